/*
 * The few IMAP4 lines (RFC 9051, RFC 3501) the `imapp` gateway reads
 * itself: the client's tagged commands before it has logged in, the
 * arguments of LOGIN (atoms or quoted strings), the server's greeting,
 * its CAPABILITY lists and tagged completions; and the quoted strings the
 * gateway writes.  The login name is `name@server[:port]` as smtpp reads
 * it (smtp_parse.h: mail_parse_login, mail_decode_plain).  Pure
 * functions, no I/O: tests/unit/test_imap_parse.c and
 * tests/fuzz/fuzz_imap.c drive them.
 *
 * %E codes of the IMAP gateway: 691-699 as 3proxy's imapp (common/ecode.h).
 */
#ifndef PC_WORKER_IMAP_PARSE_H
#define PC_WORKER_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ecode.h"              /* the IMAP_E_ codes */
#include "worker/wire/smtp_parse.h"    /* struct smtp_login */

#define IMAP_LINE_MAX   2048  /* 3proxy's line buffer */
#define IMAP_TAG_MAX    30    /* a tag; with its space it fits linegw's */
#define IMAP_PORT       143

enum imap_cmd {
	IMAP_CMD_LOGIN,        /* arg: the two astrings */
	IMAP_CMD_AUTH_PLAIN,   /* arg: the initial response, or none */
	IMAP_CMD_AUTH_LOGIN,   /* arg: the base64 name, or none */
	IMAP_CMD_AUTH_OTHER,   /* another SASL mechanism */
	IMAP_CMD_CAPABILITY,
	IMAP_CMD_NOOP,
	IMAP_CMD_LOGOUT,
	IMAP_CMD_OTHER,        /* anything else: "need LOGIN first" */
};

struct imap_command {
	char           tag[IMAP_TAG_MAX + 1];
	const uint8_t *arg;    /* into the line; blanks trimmed */
	size_t         alen;   /* 0 when there is none */
};

/* One client line (with or without its CRLF): an IMAP_CMD_ with the tag
 * and the argument filled in, or -IMAP_E_NOLOGIN when the line has no
 * valid tag and command (the tag is then empty). */
int  imap_parse_command(const uint8_t *p, size_t n, struct imap_command *c);

/* LOGIN's arguments p[0..n): two astrings (atoms or quoted strings with
 * \" and \\), the first `name@server[:port]` (port IMAP_PORT when none)
 * into l, the second the password.  0, -IMAP_E_ARGS (not two astrings,
 * a literal, too long, control characters) or -IMAP_E_LOGIN.  On failure
 * l is cleared. */
int  imap_parse_login(const uint8_t *p, size_t n, struct smtp_login *l);

/* The server's first line: 0 when it is "* OK ..." and not the proxy's
 * own greeting (the gateway would talk to itself), else -IMAP_E_REFUSED. */
int  imap_check_greeting(const uint8_t *p, size_t n);

#define IMAP_CAP_LIST   0x1   /* the line holds a capability list */
#define IMAP_CAP_PLAIN  0x2   /* AUTH=PLAIN */
#define IMAP_CAP_LOGIN  0x4   /* AUTH=LOGIN */
/* The IMAP_CAP_ bits of "* CAPABILITY ..." or of a "[CAPABILITY ...]"
 * response code in a greeting; 0 when the line holds neither. */
unsigned imap_caps(const uint8_t *p, size_t n);

/* Whether line p[0..n) is the tagged completion of tag: 1 OK, 2 NO or
 * BAD, 0 not tagged so (untagged "*", continuation "+", another tag). */
int  imap_tagged(const uint8_t *p, size_t n, const char *tag);

/* s as an IMAP quoted string ("..." with \" and \\) at out; its length,
 * or 0 when it does not fit with a NUL or s holds CR, LF or NUL. */
size_t imap_quote(const char *s, char *out, size_t cap);

#endif
