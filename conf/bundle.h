/*
 * The configuration bundle (issue 14 item 5): the exact bytes the master
 * read while loading a configuration - the main file (or the stdin or
 * embedded text), every `include` and every `$file` - plus the few
 * answers the loader got from the system (user and group names, the CPU
 * count), so that an exec'ed worker parses the same configuration again
 * with no file system access and gets the same model.  The master puts it
 * in a sealed memfd (master/gen.c); a worker maps it read-only.
 *
 * Layout: "PCBNDL01", then entries {u8 type, u32 klen, u32 vlen, key,
 * value} in host byte order (both ends run the same binary).
 */
#ifndef PC_CONF_BUNDLE_H
#define PC_CONF_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

struct conf_bundle {
	uint8_t *p;
	size_t   len, cap;
};

/* Where the master's configuration comes from: a file (path; jail as
 * conf_load_in) or a text (stdin, embedded) named name. */
struct conf_src {
	const char             *path;
	const char             *text;
	const char             *name;
	const struct pc_config *jail;
};

/* Loads like conf_load_in/conf_load_string, recording into *out (which
 * the caller frees with conf_bundle_free, also on failure). */
struct pc_config *conf_bundle_load(const struct conf_src *src,
	    struct conf_bundle *out, char *err, size_t errlen);

/* Appends the counters' slots (counters_attach's choice, made after the
 * load) so the worker's counters use the master's slots. */
void conf_bundle_add_slots(struct conf_bundle *b, const struct pc_config *c);

/* The worker's side: the configuration from a bundle only.  NULL with
 * err when the bundle is malformed or names a file it does not hold. */
struct pc_config *conf_bundle_parse(const void *p, size_t len, char *err,
	    size_t errlen);

void conf_bundle_free(struct conf_bundle *b);  /* wipes: passwords */

/* Hooks of the loader (private to conf/): while recording, answers are
 * appended; while replaying, they come from the bundle.  Return 1 when
 * the bundle answered (replay), 0 to do the real thing. */
int  conf_bundle_file(const char *path, char **buf, size_t *len,
	    const char **why);
void conf_bundle_saw_file(const char *path, const char *buf, size_t len);
int  conf_bundle_id(char type, const char *name, uint32_t *id);
void conf_bundle_saw_id(char type, const char *name, uint32_t id);
bool conf_bundle_ncpu(uint32_t *n);
void conf_bundle_saw_ncpu(uint32_t n);

#endif
