/*
 * Text pieces every line protocol reads the same way: the framing of a
 * line (up to its LF, bounded), the line end and blanks trimmed, a
 * decimal port, `host[:port]` (with "[v6]" and, where a protocol allows
 * it, a bare IPv6 literal), and the "name@host[:port]" text that %T shows
 * for a mail or FTP login.  Pure functions, no I/O: tests/unit/test_text.c
 * and tests/fuzz/fuzz_text.c drive them; pop3_parse.c, smtp_parse.c,
 * ftp_parse.c, http_parse.c and the line gateways (proto/linegw.c) use
 * them instead of copies of their own.
 */
#ifndef PC_WORKER_WIRE_TEXT_H
#define PC_WORKER_WIRE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEXT_HOST_MAX 255   /* a host name, as DNS bounds it */

/* A complete line at p[0..n): its length with the LF (> 0), 0 when more
 * bytes are needed, -1 when the first max bytes hold no LF (a bare LF
 * ends a line as CRLF does; the caller trims the CR). */
long   text_line(const uint8_t *p, size_t n, size_t max);

/* The length of p[0..n) without its line end (any LF and CR at the end);
 * text_trim also drops the blanks (space, TAB) before it. */
size_t text_trim_eol(const uint8_t *p, size_t n);
size_t text_trim(const uint8_t *p, size_t n);

/* Whether p[0..n) holds a control character (below 0x20, or DEL). */
bool   text_has_control(const uint8_t *p, size_t n);

/* A decimal port: 1 to 5 digits, 1..65535.  0, or -1. */
int    text_port(const uint8_t *p, size_t n, uint16_t *port);

/* How text_hostport reads a host. */
#define TEXT_HP_NAMES      0x1  /* a name is letters, digits and ".-_";
                                   inside brackets hex digits, ':', '.' */
#define TEXT_HP_BARE_V6    0x2  /* two ':' or more: the whole text is an
                                   IPv6 literal without a port */
#define TEXT_HP_EMPTY_PORT 0x4  /* "host:" takes the default port */

struct text_host {
	size_t   off, len;      /* the host in p, brackets left out */
	uint16_t port;          /* as given, else the default */
	bool     port_given;
	bool     v6;            /* in brackets, or a bare IPv6 literal */
};

/* "host", "host:port", "[v6]", "[v6]:port" (and with TEXT_HP_BARE_V6 a
 * bare v6 literal) at p[0..n): 0 with *h filled, or -1.  The host has 1 to
 * TEXT_HOST_MAX characters; without a port the port is defport, and
 * defport 0 makes the port mandatory. */
int    text_hostport(const uint8_t *p, size_t n, unsigned flags,
	    uint16_t defport, struct text_host *h);

/* %T of a login: "user@host", ":port" added unless it is defport, an IPv6
 * host in brackets.  The length written (< cap), or 0 with out empty when
 * it does not fit. */
size_t text_login(const char *user, const char *host, uint16_t port,
	    uint16_t defport, char *out, size_t cap);

#endif
