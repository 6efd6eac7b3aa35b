/*
 * The few POP3 lines the `pop3p` gateway reads itself (RFC 1939): the
 * client's commands before it has named its server, the login
 * `USER name@server[:port]` (or `USER proxyuser:proxypass:name@server`),
 * and the server's greeting (lines are cut and the %T text made by
 * text.h).  Pure functions, no I/O, so that
 * tests/fuzz/fuzz_pop3.c and tests/unit/test_pop3_parse.c can drive them.
 *
 * %E codes of the POP3 gateway (600-699 are the mail gateways' in 3proxy;
 * the numbers are 3proxy's where the meaning is the same):
 */
#ifndef PC_WORKER_POP3_PARSE_H
#define PC_WORKER_POP3_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ecode.h"   /* the POP3_E_ codes */

/* RFC 2449 allows 255 octets per command; older clients send more. */
#define POP3_LINE_MAX   512
#define POP3_NAME_MAX   255  /* user names, passwords and host names */
#define POP3_PORT       110

enum pop3_cmd {
	POP3_CMD_USER,     /* USER with an argument; the login is filled in */
	POP3_CMD_QUIT,
	POP3_CMD_OTHER,    /* anything else: "need USER first" */
};

struct pop3_login {
	char     user[POP3_NAME_MAX + 1];  /* the name sent to the server */
	char     puser[POP3_NAME_MAX + 1]; /* proxyuser:proxypass: form; */
	char     ppass[POP3_NAME_MAX + 1]; /*   both "" when not given */
	char     host[POP3_NAME_MAX + 1];  /* "" when the login names none;
	                                      IPv6 without brackets */
	uint16_t port;                     /* POP3_PORT when not given */
};

/* One client line (with or without its CRLF) before the login: a
 * POP3_CMD_, or -POP3_E_COMMAND / -POP3_E_LOGIN.  Splits the login at its
 * last '@'; a login without '@' gives an empty host (the caller decides
 * whether it has a default).  Control characters are refused anywhere. */
int  pop3_parse_command(const uint8_t *p, size_t n, struct pop3_login *l);

/* The server's first line: 0 when it is "+OK ...", else -POP3_E_REFUSED
 * (also for a "+OK Proxy" greeting: the gateway would talk to itself). */
int  pop3_check_greeting(const uint8_t *p, size_t n);

#endif
