/*
 * POP3 lines read by the gateway (pop3_parse.h).  Every field is checked
 * for length and characters before it is copied, so that what reaches the
 * resolver, the ACL, the log or the server's USER line is bounded and
 * free of control characters (a CR or LF inside a name would let a client
 * smuggle a second command to the server).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "worker/wire/pop3_parse.h"

long
pop3_line(const uint8_t *p, size_t n, size_t max)
{
	const uint8_t *lf = memchr(p, '\n', n < max ? n : max);

	if (lf != NULL)
		return (long)(lf - p) + 1;
	return n >= max ? -POP3_E_LONG : 0;
}

/* The line without its LF, CR and trailing blanks. */
static size_t
trim(const uint8_t *p, size_t n)
{
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r' ||
	    p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n;
}

static bool
keyword(const uint8_t *p, size_t n, const char *kw)
{
	size_t k = strlen(kw);

	return n >= k && strncasecmp((const char *)p, kw, k) == 0 &&
	    (n == k || p[k] == ' ');
}

static bool
has_control(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return true;
	return false;
}

/* Copies p[0..n) as a C string when 0 < n <= POP3_NAME_MAX. */
static int
field(const uint8_t *p, size_t n, char *out)
{
	if (n == 0 || n > POP3_NAME_MAX)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static bool
only(const uint8_t *p, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\0' || strchr(set, p[i]) == NULL)
			return false;
	return true;
}

#define V6_CHARS   "0123456789abcdefABCDEF:."
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
                   "0123456789.-_"

static int
parse_port(const uint8_t *p, size_t n, uint16_t *port)
{
	unsigned v = 0;

	if (n == 0 || n > 5 || !only(p, n, "0123456789"))
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(p[i] - '0');
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "host", "host:port", "[v6]", "[v6]:port" or a bare v6 literal. */
static int
parse_server(const uint8_t *p, size_t n, struct pop3_login *l)
{
	const uint8_t *colon;
	size_t         hn = n;

	l->port = POP3_PORT;
	if (n > 0 && p[0] == '[') {
		const uint8_t *rb = memchr(p, ']', n);

		if (rb == NULL || !only(p + 1, (size_t)(rb - p) - 1, V6_CHARS))
			return -1;
		if (rb + 1 < p + n && (rb[1] != ':' || parse_port(rb + 2,
		    (size_t)(p + n - rb) - 2, &l->port) != 0))
			return -1;
		return field(p + 1, (size_t)(rb - p) - 1, l->host);
	}
	colon = memchr(p, ':', n);
	if (colon != NULL && memchr(colon + 1, ':', (size_t)(p + n - colon)
	    - 1) != NULL)
		return only(p, n, V6_CHARS) ? field(p, n, l->host) : -1;
	if (colon != NULL) {
		hn = (size_t)(colon - p);
		if (parse_port(colon + 1, n - hn - 1, &l->port) != 0)
			return -1;
	}
	if (!only(p, hn, NAME_CHARS))
		return -1;
	return field(p, hn, l->host);
}

/* "name", or "proxyuser:proxypass:name" (the password may be empty). */
static int
parse_names(const uint8_t *p, size_t n, struct pop3_login *l)
{
	const uint8_t *c1 = memchr(p, ':', n), *c2;

	if (c1 == NULL)
		return field(p, n, l->user);
	c2 = memchr(c1 + 1, ':', (size_t)(p + n - c1) - 1);
	if (c2 == NULL || field(p, (size_t)(c1 - p), l->puser) != 0 ||
	    field(c2 + 1, (size_t)(p + n - c2) - 1, l->user) != 0)
		return -1;
	if (c2 > c1 + 1 && field(c1 + 1, (size_t)(c2 - c1) - 1, l->ppass) != 0)
		return -1;
	return 0;
}

static int
parse_login(const uint8_t *p, size_t n, struct pop3_login *l)
{
	const uint8_t *at = NULL;

	memset(l, 0, sizeof(*l));
	l->port = POP3_PORT;
	if (has_control(p, n))
		return -1;
	for (size_t i = n; i > 0; i--)
		if (p[i - 1] == '@') {
			at = p + i - 1;
			break;
		}
	if (at == NULL)
		return parse_names(p, n, l);
	if (parse_names(p, (size_t)(at - p), l) != 0 ||
	    parse_server(at + 1, (size_t)(p + n - at) - 1, l) != 0)
		return -1;
	return 0;
}

int
pop3_parse_command(const uint8_t *p, size_t n, struct pop3_login *l)
{
	size_t k = trim(p, n);

	if (keyword(p, k, "QUIT"))
		return POP3_CMD_QUIT;
	if (!keyword(p, k, "USER"))
		return POP3_CMD_OTHER;
	p += 4;
	k -= 4;
	while (k > 0 && p[0] == ' ') {
		p++;
		k--;
	}
	if (k == 0)
		return -POP3_E_COMMAND;
	if (parse_login(p, k, l) != 0) {
		memset(l, 0, sizeof(*l));
		return -POP3_E_LOGIN;
	}
	return POP3_CMD_USER;
}

int
pop3_check_greeting(const uint8_t *p, size_t n)
{
	n = trim(p, n);
	if (n < 3 || strncmp((const char *)p, "+OK", 3) != 0 ||
	    (n > 3 && p[3] != ' '))
		return -POP3_E_REFUSED;
	if (n >= 9 && strncasecmp((const char *)p + 4, "proxy", 5) == 0 &&
	    (n == 9 || p[9] == ' '))
		return -POP3_E_REFUSED;
	return 0;
}

size_t
pop3_text(const char *user, const char *host, uint16_t port, char *out,
    size_t cap)
{
	bool v6 = strchr(host, ':') != NULL;
	int  k;

	if (cap == 0)
		return 0;
	if (port == POP3_PORT)
		k = snprintf(out, cap, v6 ? "%s@[%s]" : "%s@%s", user, host);
	else
		k = snprintf(out, cap, v6 ? "%s@[%s]:%u" : "%s@%s:%u", user,
		    host, port);
	if (k < 0) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)k < cap ? (size_t)k : cap - 1;
}
