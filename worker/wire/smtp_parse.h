/*
 * The SMTP lines the `smtpp` gateway reads itself: the client's commands
 * before it has authenticated (RFC 5321), its AUTH PLAIN and AUTH LOGIN
 * exchanges (RFC 4954, RFC 4616) carrying `name@server[:port]` and the
 * password, and the server's replies up to its 235.  Also what the gateway
 * says to the server to log in there.  Pure functions, no I/O, so that
 * tests/fuzz/fuzz_smtp.c and tests/unit/test_smtp_parse.c can drive them.
 *
 * %E codes of the SMTP gateway (3proxy's mail range 662-683; the numbers
 * are 3proxy's where the meaning is the same):
 */
#ifndef PC_WORKER_SMTP_PARSE_H
#define PC_WORKER_SMTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ecode.h"   /* the SMTP_E_ codes */

/* RFC 4954 section 4: an AUTH line may be longer than the 512 octets of
 * RFC 5321; PLAIN with three 255-octet fields takes 1024 base64 octets. */
#define SMTP_LINE_MAX   1100
#define SMTP_REPLY_MAX  4096 /* a whole (multi-line) server reply */
#define SMTP_NAME_MAX   255  /* names, passwords, host names, EHLO domain */
#define SMTP_PORT       25   /* the server's port when the login has none */

enum smtp_cmd {
	SMTP_CMD_EHLO,
	SMTP_CMD_HELO,
	SMTP_CMD_AUTH_PLAIN,  /* arg: the initial response, or none */
	SMTP_CMD_AUTH_LOGIN,  /* arg: the base64 name, or none */
	SMTP_CMD_AUTH_OTHER,  /* another mechanism: 504 */
	SMTP_CMD_AUTH_BAD,    /* AUTH without a mechanism: 501 */
	SMTP_CMD_QUIT,
	SMTP_CMD_NOOP,        /* NOOP, RSET: 250 */
	SMTP_CMD_NEEDAUTH,    /* MAIL, RCPT, DATA, BDAT, VRFY, EXPN: 530 */
	SMTP_CMD_OTHER,       /* unknown, or STARTTLS (not offered): 500 */
	SMTP_CMD_SYNTAX,      /* a control character in the line: 500 */
};

/* One client command line (with or without its CRLF).  arg and alen give the
 * argument after the keyword (AUTH: after the mechanism), blanks trimmed;
 * alen 0 when there is none. */
enum smtp_cmd smtp_parse_command(const uint8_t *p, size_t n,
	    const uint8_t **arg, size_t *alen);

/* True when an EHLO/HELO argument may be repeated to the server: a domain
 * or an address literal of at most SMTP_NAME_MAX characters. */
bool smtp_domain_ok(const uint8_t *p, size_t n);

struct smtp_login {
	char     user[SMTP_NAME_MAX + 1];  /* the name sent to the server */
	char     pass[SMTP_NAME_MAX + 1];
	char     host[SMTP_NAME_MAX + 1];  /* IPv6 without brackets */
	uint16_t port;                     /* SMTP_PORT when not given */
};

/* An AUTH line's data: "*" (the client cancels: 1), or strict base64 of
 * at most cap - 1 octets without NUL decoded into out as a C string
 * (0).  "=" is the empty string (RFC 4954 section 4).  -SMTP_E_DECODE
 * otherwise.  *olen gets the length. */
int  smtp_decode_line(const uint8_t *p, size_t n, char *out, size_t cap,
	    size_t *olen);

/* The PLAIN message (base64 text, as smtp_decode_line reads it):
 * [authzid] NUL name@server[:port] NUL password.  0, 1 on "*",
 * -SMTP_E_DECODE or -SMTP_E_LOGIN.  On failure l is cleared. */
int  smtp_decode_plain(const uint8_t *p, size_t n, struct smtp_login *l);

/* `name@server[:port]` split at its last '@' into l (the password is left
 * alone): 0, or -SMTP_E_LOGIN.  Control characters are refused. */
int  smtp_parse_login(const char *s, size_t n, struct smtp_login *l);

/* A complete server reply at p (RFC 5321 4.2: "ddd-text" lines ending in
 * one "ddd text" line, the same code on each): its length (> 0) with the
 * code in *code, 0 when more bytes are needed, -SMTP_E_SERVER when
 * malformed or when max bytes do not hold it. */
long smtp_reply(const uint8_t *p, size_t n, size_t max, int *code);

#define SMTP_MECH_PLAIN 0x1
#define SMTP_MECH_LOGIN 0x2
/* The SMTP_MECH_ bits of the AUTH keyword lines of an EHLO reply. */
unsigned smtp_ehlo_mechs(const uint8_t *p, size_t n);

/* The server's greeting reply: 0 when it is 220 and not the proxy's own
 * "220 Proxy" (the gateway would talk to itself), else -SMTP_E_REFUSED. */
int  smtp_check_greeting(const uint8_t *p, size_t n, int code);

/* The same for another mail protocol whose login names port dport when
 * it names none (imapp: 143). */
int  mail_parse_login(const char *s, size_t n, uint16_t dport,
	    struct smtp_login *l);
int  mail_decode_plain(const uint8_t *p, size_t n, uint16_t dport,
	    struct smtp_login *l);
/* "base64(NUL user NUL pass)\r\n" (a SASL PLAIN response); 0 when it
 * does not fit. */
size_t mail_plain_line(const char *user, const char *pass, char *out,
	    size_t cap);

/* "AUTH PLAIN base64(NUL user NUL pass)\r\n"; 0 when it does not fit. */
size_t smtp_auth_plain(const char *user, const char *pass, char *out,
	    size_t cap);
/* base64(s) followed by CRLF, for the AUTH LOGIN steps; 0 when it does
 * not fit. */
size_t smtp_b64_line(const char *s, char *out, size_t cap);

#endif
