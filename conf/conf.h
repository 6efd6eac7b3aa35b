/*
 * The 3proxy configuration language: tokenizer (quotes, "" escapes, $file
 * inclusion, comments at line start or after leading whitespace) and the
 * sequential command interpreter that builds a struct pc_config.
 *
 * Errors: NULL is returned and err receives "FILE:LINE: TOKEN: reason"
 * (one line, no newline).  Commands of the 3proxy language that portcullis
 * does not implement yet are refused with "not supported yet"; unknown words
 * with "unknown command".  Nothing is bound or opened here.
 */
#ifndef PC_CONF_CONF_H
#define PC_CONF_CONF_H

#include <stddef.h>

#include "policy/policy.h"

struct pc_config *conf_load(const char *path, char *err, size_t errlen);
/* Same, already inside the jail of `jail` (its `chroot` DIR and ids, when
 * it has one): a reload of a `config FILE` starts where the running
 * configuration's chroot line left 3proxy, chrooted.  NULL: as conf_load. */
struct pc_config *conf_load_in(const char *path,
	    const struct pc_config *jail, char *err, size_t errlen);
/* Same, from a string; name appears in messages ("<embedded>"). */
struct pc_config *conf_load_string(const char *text, const char *name,
	    char *err, size_t errlen);
/* Warnings that do not stop loading (indented command-looking lines, ...)
 * are written to this stream when non-NULL (default stderr). */
void conf_set_warn_stream(void *FILE_ptr);

/* The embedded default used by `make run` when no file is given:
 * proxy on 127.0.0.1:3128, socks on 127.0.0.1:1080, log to stdout. */
extern const char conf_default_text[];

#endif
