/* Whole-file reads for the configuration reader (private to conf/). */
#ifndef PC_CONF_READFILE_H
#define PC_CONF_READFILE_H

#include <stdbool.h>
#include <stddef.h>

#define CONF_FILE_MAX (16u << 20)  /* a config or list file larger than
                                      this is a mistake, not a config */

/* Reads path into a NUL-terminated heap buffer.  regular_only: refuse
 * anything but a regular file and never block (used for `include` and
 * `$file`, whose names come from the config text itself).  On failure
 * returns -1 and *why says what went wrong (strerror text or a reason). */
int conf_read_file(const char *path, bool regular_only, char **buf,
	    size_t *len, const char **why);

/* A file name as the master opens it: after `chroot DIR`, 3proxy has
 * chrooted itself, so later names are inside DIR; the master never
 * chroots (it rereads the config and reopens logs), so it reads
 * DIR + name instead.  root NULL: name unchanged.  Heap copy. */
char *conf_rooted(const char *root, const char *name);

/* Buffers that may have held a password (file text, words) are wiped
 * before they go back to the heap: workers inherit the master's heap, and
 * pc_config_scrub_secrets only reaches the live copies. */
void  conf_wipe_free(void *p, size_t n);
void *conf_wipe_grow(void *p, size_t oldn, size_t newn);

#endif
