/*
 * The compiled model written back as lines of the 3proxy language
 * (`portcullis -t -v`, the admin page /F, the golden config tests).
 *
 * The output parses back to the same model: every service as one block
 * (its auth chain, ACL with parents, maxconn, workers, log target and
 * format, then the service line with its options resolved), after the
 * global settings, users and limit rules.  Comments, includes, `$file`
 * splices and the order of global commands are gone.
 *
 * Secrets are masked unless PC_PRINT_SECRETS is given (the round-trip
 * tests only, never the command line or the admin page), in forms that
 * still parse and never let anybody in (docs/portcullis.8, -v):
 *   users     "NAME:CR:$6$maskedXX$"  (XX: the type written, CL CR NT);
 *             a crypt(3) setting without a hash, which no password
 *             matches; a mask read back is printed as it is
 *   parent    PASS as *****
 *   log &DSN  PASS as *****, and the value of PWD= or PASSWORD= in a
 *             connection string
 * Pure: no I/O; the text goes to a buffer the caller owns.
 */
#ifndef PC_POLICY_PRINT_H
#define PC_POLICY_PRINT_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

struct pc_text {
	char  *p;       /* NUL-terminated; NULL before the first write */
	size_t len, cap;
	size_t max;     /* 0: no limit */
	bool   err;     /* out of memory or over max: p holds a prefix */
};

void pc_text_printf(struct pc_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* One word of a line, in quotes when the tokenizer needs them (blanks,
 * '"', '$', a leading '#', empty), '"' doubled inside. */
void pc_text_word(struct pc_text *t, const char *s);
void pc_text_free(struct pc_text *t);

#define PC_PRINT_SECRETS 0x1   /* passwords as written: tests only */
#define PC_PRINT_ORIGIN  0x2   /* "# service N: FILE:LINE" comments */

/* The user table to print instead of cfg->users (a worker has wiped its
 * own and gets names and types from the master).  users NULL: the
 * master did not answer; more: names the list left out. */
struct pc_print_users {
	const struct pc_user *users;
	size_t                nusers;
	size_t                more;
};

/* users NULL: cfg->users. */
void pc_print_config(struct pc_text *t, const struct pc_config *cfg,
	    unsigned flags, const struct pc_print_users *users);

/* " USERS SOURCES TARGETS PORTS OPERATIONS WEEKDAYS PERIODS WEIGHT" of
 * an ACL entry, trailing "any" fields left out (" *" when all are). */
void pc_print_rule_fields(struct pc_text *t, const struct pc_acl_rule *r);

/* The mask printed for a password of this type ("$6$maskedCL$"). */
const char *pc_print_user_mask(enum pc_pwtype type);

#endif
