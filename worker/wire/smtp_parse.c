/*
 * SMTP lines read and written by the gateway (smtp_parse.h).  Every field
 * is checked for length and characters before it is copied, so that what
 * reaches the resolver, the ACL, the log or the server is bounded and free
 * of control characters; what goes to the server is base64 or a checked
 * domain, so a client cannot smuggle a command of its own into the login.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "worker/wire/http_parse.h"    /* http_base64_decode: strict RFC 4648 */
#include "worker/wire/smtp_parse.h"
#include "worker/wire/text.h"

static bool
only(const uint8_t *p, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\0' || strchr(set, p[i]) == NULL)
			return false;
	return true;
}

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
                   "0123456789.-_"

static bool
word_is(const uint8_t *p, size_t n, const char *kw)
{
	return n == strlen(kw) && strncasecmp((const char *)p, kw, n) == 0;
}

/* The first blank-separated word of p[0..n) and what follows it. */
static size_t
split_word(const uint8_t *p, size_t n, const uint8_t **rest, size_t *rlen)
{
	size_t w = 0, r;

	while (w < n && p[w] != ' ')
		w++;
	for (r = w; r < n && p[r] == ' '; r++)
		;
	*rest = p + r;
	*rlen = n - r;
	return w;
}

static enum smtp_cmd
auth_command(const uint8_t *p, size_t n, const uint8_t **arg, size_t *alen)
{
	size_t mech = split_word(p, n, arg, alen);

	if (mech == 0)
		return SMTP_CMD_AUTH_BAD;
	if (word_is(p, mech, "PLAIN"))
		return SMTP_CMD_AUTH_PLAIN;
	if (word_is(p, mech, "LOGIN"))
		return SMTP_CMD_AUTH_LOGIN;
	return SMTP_CMD_AUTH_OTHER;
}

static const struct {
	const char   *kw;
	enum smtp_cmd cmd;
} commands[] = {
	{ "EHLO", SMTP_CMD_EHLO }, { "HELO", SMTP_CMD_HELO },
	{ "QUIT", SMTP_CMD_QUIT }, { "NOOP", SMTP_CMD_NOOP },
	{ "RSET", SMTP_CMD_NOOP }, { "MAIL", SMTP_CMD_NEEDAUTH },
	{ "RCPT", SMTP_CMD_NEEDAUTH }, { "DATA", SMTP_CMD_NEEDAUTH },
	{ "BDAT", SMTP_CMD_NEEDAUTH }, { "VRFY", SMTP_CMD_NEEDAUTH },
	{ "EXPN", SMTP_CMD_NEEDAUTH },
};

enum smtp_cmd
smtp_parse_command(const uint8_t *p, size_t n, const uint8_t **arg,
    size_t *alen)
{
	size_t k = text_trim(p, n), w;

	*arg = p;
	*alen = 0;
	if (text_has_control(p, k))
		return SMTP_CMD_SYNTAX;
	w = split_word(p, k, arg, alen);
	if (word_is(p, w, "AUTH"))
		return auth_command(*arg, *alen, arg, alen);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (word_is(p, w, commands[i].kw))
			return commands[i].cmd;
	return SMTP_CMD_OTHER;
}

bool
smtp_domain_ok(const uint8_t *p, size_t n)
{
	return n > 0 && n <= SMTP_NAME_MAX &&
	    only(p, n, NAME_CHARS "[]:");
}

int
smtp_decode_line(const uint8_t *p, size_t n, char *out, size_t cap,
    size_t *olen)
{
	long len;

	n = text_trim(p, n);
	*olen = 0;
	if (cap == 0)
		return -SMTP_E_DECODE;
	out[0] = '\0';
	if (n == 1 && p[0] == '*')
		return 1;
	if (n == 1 && p[0] == '=')
		return 0;
	len = http_base64_decode((const char *)p, n, (uint8_t *)out, cap - 1);
	if (len <= 0 || memchr(out, '\0', (size_t)len) != NULL) {
		out[0] = '\0';
		return -SMTP_E_DECODE;
	}
	out[len] = '\0';
	*olen = (size_t)len;
	return 0;
}

/* Copies p[0..n) as a C string when 0 < n <= SMTP_NAME_MAX. */
static int
field(const uint8_t *p, size_t n, char *out)
{
	if (n == 0 || n > SMTP_NAME_MAX)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* "host", "host:port", "[v6]", "[v6]:port" or a bare v6 literal. */
static int
parse_server(const uint8_t *p, size_t n, struct smtp_login *l)
{
	struct text_host h;

	if (text_hostport(p, n, TEXT_HP_NAMES | TEXT_HP_BARE_V6, l->port,
	    &h) != 0)
		return -1;
	l->port = h.port;
	return field(p + h.off, h.len, l->host);
}

int
smtp_parse_login(const char *s, size_t n, struct smtp_login *l)
{
	return mail_parse_login(s, n, SMTP_PORT, l);
}

int
mail_parse_login(const char *s, size_t n, uint16_t dport,
    struct smtp_login *l)
{
	const uint8_t *p = (const uint8_t *)s, *at = NULL;

	memset(l->user, 0, sizeof(l->user));
	memset(l->host, 0, sizeof(l->host));
	l->port = dport;
	for (size_t i = n; i > 0 && at == NULL; i--)
		if (p[i - 1] == '@')
			at = p + i - 1;
	if (at == NULL || text_has_control(p, n) ||
	    field(p, (size_t)(at - p), l->user) != 0 ||
	    parse_server(at + 1, (size_t)(p + n - at) - 1, l) != 0) {
		memset(l->user, 0, sizeof(l->user));
		memset(l->host, 0, sizeof(l->host));
		l->port = dport;
		return -SMTP_E_LOGIN;
	}
	return 0;
}

/* authzid NUL authcid NUL passwd: RFC 4616 section 2. */
#define PLAIN_MAX (3 * (SMTP_NAME_MAX + 1))

static int
split_plain(const char *m, size_t len, uint16_t dport, struct smtp_login *l)
{
	const char *z1 = memchr(m, '\0', len), *z2;
	size_t      nlen, plen;

	if (z1 == NULL || (size_t)(z1 - m) > SMTP_NAME_MAX)
		return -SMTP_E_DECODE;
	z2 = memchr(z1 + 1, '\0', (size_t)(m + len - z1) - 1);
	if (z2 == NULL)
		return -SMTP_E_DECODE;
	nlen = (size_t)(z2 - z1) - 1;
	plen = (size_t)(m + len - z2) - 1;
	if (plen == 0 || plen > SMTP_NAME_MAX ||
	    memchr(z2 + 1, '\0', plen) != NULL)
		return -SMTP_E_DECODE;
	if (mail_parse_login(z1 + 1, nlen, dport, l) != 0)
		return -SMTP_E_LOGIN;
	memcpy(l->pass, z2 + 1, plen);
	l->pass[plen] = '\0';
	return 0;
}

int
smtp_decode_plain(const uint8_t *p, size_t n, struct smtp_login *l)
{
	return mail_decode_plain(p, n, SMTP_PORT, l);
}

int
mail_decode_plain(const uint8_t *p, size_t n, uint16_t dport,
    struct smtp_login *l)
{
	char m[PLAIN_MAX + 1];
	long len;
	int  rc;

	memset(l, 0, sizeof(*l));
	l->port = dport;
	n = text_trim(p, n);
	if (n == 1 && p[0] == '*')
		return 1;
	len = http_base64_decode((const char *)p, n, (uint8_t *)m, PLAIN_MAX);
	rc = len < 0 ? -SMTP_E_DECODE : split_plain(m, (size_t)len, dport, l);
	explicit_bzero(m, sizeof(m));
	if (rc != 0) {
		memset(l, 0, sizeof(*l));
		l->port = dport;
	}
	return rc;
}

/* One reply line of length n (LF excluded): its separator, or -1. */
static int
reply_line(const uint8_t *p, size_t n, int *code)
{
	int c;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9')
		return -1;
	c = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (*code != 0 && c != *code)
		return -1;
	*code = c;
	if (n == 3)
		return ' ';
	return p[3] == '-' || p[3] == ' ' ? p[3] : -1;
}

long
smtp_reply(const uint8_t *p, size_t n, size_t max, int *code)
{
	size_t pos = 0, lim = n < max ? n : max;

	*code = 0;
	while (pos < lim) {
		const uint8_t *lf = memchr(p + pos, '\n', lim - pos);
		int            sep;

		if (lf == NULL)
			break;
		sep = reply_line(p + pos, (size_t)(lf - p) - pos, code);
		if (sep < 0)
			return -SMTP_E_SERVER;
		pos = (size_t)(lf - p) + 1;
		if (sep == ' ')
			return (long)pos;
	}
	*code = 0;
	return n >= max ? -SMTP_E_SERVER : 0;
}

/* The mechanisms named after "AUTH " or "AUTH=" in one reply line's text. */
static unsigned
line_mechs(const uint8_t *p, size_t n)
{
	unsigned       m = 0;
	const uint8_t *rest;
	size_t         rlen, w;

	if (n < 5 || strncasecmp((const char *)p, "AUTH", 4) != 0 ||
	    (p[4] != ' ' && p[4] != '='))
		return 0;
	p += 5;
	n -= 5;
	while (n > 0) {       /* split_word always moves past a blank */
		w = split_word(p, n, &rest, &rlen);
		if (word_is(p, w, "PLAIN"))
			m |= SMTP_MECH_PLAIN;
		else if (word_is(p, w, "LOGIN"))
			m |= SMTP_MECH_LOGIN;
		p = rest;
		n = rlen;
	}
	return m;
}

unsigned
smtp_ehlo_mechs(const uint8_t *p, size_t n)
{
	unsigned m = 0;

	while (n > 0) {
		const uint8_t *lf = memchr(p, '\n', n);
		size_t         len = lf != NULL ? (size_t)(lf - p) + 1 : n;
		size_t         k = text_trim(p, len);

		if (k > 4)
			m |= line_mechs(p + 4, k - 4);
		p += len;
		n -= len;
	}
	return m;
}

int
smtp_check_greeting(const uint8_t *p, size_t n, int code)
{
	const uint8_t *lf = memchr(p, '\n', n);

	if (code != 220)
		return -SMTP_E_REFUSED;
	if (lf != NULL)
		n = (size_t)(lf - p);
	n = text_trim(p, n);
	if (n >= 9 && strncasecmp((const char *)p + 4, "proxy", 5) == 0 &&
	    (n == 9 || p[9] == ' '))
		return -SMTP_E_REFUSED;
	return 0;
}

/* base64 of in[0..n) and CRLF at out; 0 when it does not fit with a NUL. */
static size_t
b64_crlf(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t o;

	if ((n + 2) / 3 * 4 + 3 > cap)
		return 0;
	o = http_base64_encode(in, n, out, cap);
	memcpy(out + o, "\r\n", 3);
	return o + 2;
}

size_t
smtp_auth_plain(const char *user, const char *pass, char *out, size_t cap)
{
	size_t k;

	if (cap < 12)
		return 0;
	memcpy(out, "AUTH PLAIN ", 11);
	k = mail_plain_line(user, pass, out + 11, cap - 11);
	return k == 0 ? 0 : k + 11;
}

size_t
mail_plain_line(const char *user, const char *pass, char *out, size_t cap)
{
	uint8_t raw[2 * SMTP_NAME_MAX + 2];
	size_t  ul = strlen(user), pl = strlen(pass), k;

	if (ul > SMTP_NAME_MAX || pl > SMTP_NAME_MAX)
		return 0;
	raw[0] = '\0';
	memcpy(raw + 1, user, ul);
	raw[ul + 1] = '\0';
	memcpy(raw + ul + 2, pass, pl);
	k = b64_crlf(raw, ul + pl + 2, out, cap);
	explicit_bzero(raw, sizeof(raw));
	return k;
}

size_t
smtp_b64_line(const char *s, char *out, size_t cap)
{
	return b64_crlf((const uint8_t *)s, strlen(s), out, cap);
}
