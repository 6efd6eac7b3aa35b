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
#include "worker/wire/text.h"

static bool
keyword(const uint8_t *p, size_t n, const char *kw)
{
	size_t k = strlen(kw);

	return n >= k && strncasecmp((const char *)p, kw, k) == 0 &&
	    (n == k || p[k] == ' ');
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

/* "host", "host:port", "[v6]", "[v6]:port" or a bare v6 literal. */
static int
parse_server(const uint8_t *p, size_t n, struct pop3_login *l)
{
	struct text_host h;

	if (text_hostport(p, n, TEXT_HP_NAMES | TEXT_HP_BARE_V6, POP3_PORT,
	    &h) != 0)
		return -1;
	l->port = h.port;
	return field(p + h.off, h.len, l->host);
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
	if (text_has_control(p, n))
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
	size_t k = text_trim(p, n);

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
	n = text_trim(p, n);
	if (n < 3 || strncmp((const char *)p, "+OK", 3) != 0 ||
	    (n > 3 && p[3] != ' '))
		return -POP3_E_REFUSED;
	if (n >= 9 && strncasecmp((const char *)p + 4, "proxy", 5) == 0 &&
	    (n == 9 || p[9] == ' '))
		return -POP3_E_REFUSED;
	return 0;
}
