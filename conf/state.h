/*
 * The interpreter's state while a configuration is read (private to
 * conf/).  The file is a script run top to bottom (docs/portcullis.cfg.5,
 * STATE AND SERVICES): "snapshot" settings below are copied into each service
 * when its line is read; global settings go straight into the pc_config being
 * built.
 */
#ifndef PC_CONF_STATE_H
#define PC_CONF_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"

#define CONF_NO_ACL      ((size_t)-1)
#define CONF_MAX_DEPTH   16     /* include nesting */
#define CONF_MAXCONN_DEF PC_MAXCONN_DEFAULT
#define CONF_WORKERS_MAX 256

struct conf_state {
	struct pc_config *cfg;
	char             *err;
	size_t            errlen;
	FILE             *warn;
	const char       *file;     /* file being read (interned) */
	int               line;
	int               depth;    /* include nesting */
	bool              hash_warned; /* per file (token.c) */
	bool              stop;     /* `end` seen in this file */

	/* snapshot state, copied into each service */
	enum pc_auth_type auth[PC_AUTH_MAX];
	size_t            nauth;
	size_t            acl;       /* ACL being built, CONF_NO_ACL: none */
	bool              acl_taken; /* a service already uses st->acl, so a
	                                change must go to a copy */
	struct pc_addr    internal;  /* family 0: 0.0.0.0 */
	struct pc_addr    ext4, ext6;
	uint32_t          maxconn;
	uint32_t          workers;
	bool              noforce;   /* `noforce` (3proxy's default: force) */
	int               log;       /* pc_config.logs index, -1: none */
	char             *logformat; /* owned; NULL: the 3proxy default */
};

/* "FILE:LINE: TOK: reason" for the current line; returns -1. */
int   conf_err(struct conf_state *st, const char *tok, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void  conf_warn(struct conf_state *st, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Decimal without sign or spaces, min <= v <= max; 0 ok, -1 not. */
int   conf_uint(const char *s, uint32_t min, uint32_t max, uint32_t *v);
/* Listen/outgoing address: bare v4/v6, "[v6]", "localhost". */
int   conf_addr(const char *s, struct pc_addr *a);
/* Same, for a config word: errors name it ("invalid address"). */
int   conf_addr_arg(struct conf_state *st, const char *s,
	    struct pc_addr *a);
/* A file name named by the config as the master opens it (inside the
 * `chroot` DIR once that line is read: readfile.h); heap copy. */
char *conf_path(struct conf_state *st, const char *name);
/* A name kept alive for rule->file and svc->file. */
const char *conf_intern(struct pc_config *cfg, const char *s);
/* Appends one zeroed element to an array grown in powers of two (every
 * array of the config is grown only through this). */
void *conf_push(void *arrayp, size_t *n, size_t size);
/* uid/gid from a name or a number; 0 (root) is refused. */
int   conf_uid(struct conf_state *st, const char *s, uid_t *uid);
int   conf_gid(struct conf_state *st, const char *s, gid_t *gid);

/* Command table (cmd_table.c). */
bool  conf_is_command(const char *word);
int   conf_dispatch(struct conf_state *st, size_t argc, char **argv);
int   conf_nargs(struct conf_state *st, size_t argc, char **argv,
	    size_t min, size_t max);

/* Reading a file's text line by line; include recurses (load.c). */
int   conf_run_text(struct conf_state *st, const char *name,
	    const char *text, size_t len);
int   conf_include(struct conf_state *st, const char *path);

/* Handlers, one file per group. */
int   cmd_internal(struct conf_state *, size_t, char **);
int   cmd_external(struct conf_state *, size_t, char **);
int   cmd_maxconn(struct conf_state *, size_t, char **);
int   cmd_force(struct conf_state *, size_t, char **);
int   cmd_logdump(struct conf_state *, size_t, char **);
int   cmd_workers(struct conf_state *, size_t, char **);
int   cmd_timeouts(struct conf_state *, size_t, char **);
int   cmd_stacksize(struct conf_state *, size_t, char **);
int   cmd_system(struct conf_state *, size_t, char **);
int   cmd_nserver(struct conf_state *, size_t, char **);
int   cmd_nscache(struct conf_state *, size_t, char **);
int   cmd_nsrecord(struct conf_state *, size_t, char **);
int   cmd_fakeresolve(struct conf_state *, size_t, char **);
int   cmd_daemon(struct conf_state *, size_t, char **);
int   cmd_pidfile(struct conf_state *, size_t, char **);
int   cmd_chroot(struct conf_state *, size_t, char **);
int   cmd_setuid(struct conf_state *, size_t, char **);
int   cmd_setgid(struct conf_state *, size_t, char **);
int   cmd_monitor(struct conf_state *, size_t, char **);
int   cmd_config(struct conf_state *, size_t, char **);
int   cmd_noop(struct conf_state *, size_t, char **);
int   cmd_include(struct conf_state *, size_t, char **);
int   cmd_end(struct conf_state *, size_t, char **);
int   cmd_log(struct conf_state *, size_t, char **);
int   cmd_logformat(struct conf_state *, size_t, char **);
int   cmd_rotate(struct conf_state *, size_t, char **);
int   cmd_archiver(struct conf_state *, size_t, char **);
int   cmd_auth(struct conf_state *, size_t, char **);
int   cmd_users(struct conf_state *, size_t, char **);
int   cmd_authcache(struct conf_state *, size_t, char **);
int   cmd_allow(struct conf_state *, size_t, char **);
int   cmd_flush(struct conf_state *, size_t, char **);
int   cmd_nolog(struct conf_state *, size_t, char **);
int   cmd_weight(struct conf_state *, size_t, char **);
int   cmd_service(struct conf_state *, size_t, char **);
int   cmd_parent(struct conf_state *, size_t, char **);
int   cmd_parentretries(struct conf_state *, size_t, char **);
int   cmd_redirect(struct conf_state *, size_t, char **);
int   cmd_bandlim(struct conf_state *, size_t, char **);
int   cmd_connlim(struct conf_state *, size_t, char **);
int   cmd_counter(struct conf_state *, size_t, char **);
int   cmd_count(struct conf_state *, size_t, char **);

/* The last allow/deny rule of the ACL being built, for the commands that
 * qualify it (nolog, weight, parent); an error naming cmd when none. */
struct pc_acl_rule *conf_last_rule(struct conf_state *st, const char *cmd);

/* Log targets (cmd_log.c): index of a target equal to (kind, path),
 * added when new. */
int   conf_log_target(struct conf_state *st, enum pc_logkind kind,
	    const char *path);
/* A file target: path may be a % template, type the rotation letter
 * (NULL: none); the index, or -1 after reporting the error at tok. */
int   conf_log_file(struct conf_state *st, const char *tok,
	    const char *path, const char *type);
/* An ODBC target from "DSN[,USER[,PASS]]" (after the '&'); the index, or
 * -1 after reporting the error at tok. */
int   conf_log_odbc(struct conf_state *st, const char *tok, const char *spec);
/* Splits &DSN[,USER[,PASS]] (spec after the '&'); heap copies, NULL for
 * an empty USER or PASS; 0, or -1 with the error named by tok. */
int   conf_odbc_spec(struct conf_state *st, const char *tok,
	    const char *spec, char **dsn, char **user, char **pass);
int   cmd_fleet(struct conf_state *, size_t, char **);

/* ACL entry fields (acl_parse.c): fills r from argv[1..]; 0 or -1. */
int   conf_acl_rule(struct conf_state *st, size_t argc, char **argv,
	    struct pc_acl_rule *r);
void  conf_acl_rule_dup(struct pc_acl_rule *dst,
	    const struct pc_acl_rule *src);
/* The ACL a service takes now (creates an empty one if needed). */
size_t conf_acl_for_service(struct conf_state *st);

/* Checks across the whole config once it is read (check.c). */
int   conf_check(struct conf_state *st);

#endif
