/*
 * IMAP lines read and written by the gateway (imap_parse.h).  Every field
 * is checked for length and characters before it is copied; what goes to
 * the server is a checked tag, quoted strings or base64, so a client
 * cannot smuggle a command of its own into the login.
 */
#include <string.h>
#include <strings.h>

#include "worker/wire/imap_parse.h"
#include "worker/wire/text.h"

/* RFC 9051 tag: ASTRING-CHAR but "+", i.e. printable ASCII but these. */
static bool
tag_char(uint8_t ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("(){%*\"\\+", ch) == NULL;
}

static bool
word_is(const uint8_t *p, size_t n, const char *kw)
{
	return n == strlen(kw) && strncasecmp((const char *)p, kw, n) == 0;
}

/* The word at p[0..n) up to a space: its length. */
static size_t
word_len(const uint8_t *p, size_t n)
{
	size_t w = 0;

	while (w < n && p[w] != ' ')
		w++;
	return w;
}

static const uint8_t *
skip_blanks(const uint8_t *p, const uint8_t *end)
{
	while (p < end && p[0] == ' ')
		p++;
	return p;
}

static int
auth_kind(const uint8_t *p, size_t n, struct imap_command *c)
{
	const uint8_t *end = p + n, *a;
	size_t         w = word_len(p, n);

	a = skip_blanks(p + w, end);
	c->arg = a;
	c->alen = (size_t)(end - a);
	if (word_is(p, w, "PLAIN"))
		return IMAP_CMD_AUTH_PLAIN;
	if (word_is(p, w, "LOGIN"))
		return IMAP_CMD_AUTH_LOGIN;
	c->alen = 0;
	return w == 0 ? IMAP_CMD_OTHER : IMAP_CMD_AUTH_OTHER;
}

int
imap_parse_command(const uint8_t *p, size_t n, struct imap_command *c)
{
	const uint8_t *end, *cmd, *a;
	size_t         t, w;

	memset(c, 0, sizeof(*c));
	n = text_trim(p, n);
	end = p + n;
	t = word_len(p, n);
	if (t == 0 || t > IMAP_TAG_MAX || t == n)
		return -IMAP_E_NOLOGIN;
	for (size_t i = 0; i < t; i++)
		if (!tag_char(p[i]))
			return -IMAP_E_NOLOGIN;
	if (text_has_control(p, n))
		return -IMAP_E_NOLOGIN;
	memcpy(c->tag, p, t);
	c->tag[t] = '\0';
	cmd = p + t + 1;
	w = word_len(cmd, (size_t)(end - cmd));
	a = skip_blanks(cmd + w, end);
	if (word_is(cmd, w, "LOGIN")) {
		c->arg = a;
		c->alen = (size_t)(end - a);
		return IMAP_CMD_LOGIN;
	}
	if (word_is(cmd, w, "AUTHENTICATE"))
		return auth_kind(a, (size_t)(end - a), c);
	if (a != end)
		return IMAP_CMD_OTHER;
	if (word_is(cmd, w, "CAPABILITY"))
		return IMAP_CMD_CAPABILITY;
	if (word_is(cmd, w, "NOOP"))
		return IMAP_CMD_NOOP;
	if (word_is(cmd, w, "LOGOUT"))
		return IMAP_CMD_LOGOUT;
	return IMAP_CMD_OTHER;
}

/* One astring at *pp (up to end) into out[cap] as a C string: 0, or -1.
 * *pp moves past it. */
static int
astring(const uint8_t **pp, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *p = *pp;
	size_t         o = 0;

	if (p == end)
		return -1;
	if (*p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\') {
				if (++p == end || (*p != '"' && *p != '\\'))
					return -1;
			}
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)*p;
		}
		if (p == end)
			return -1;
		p++;                        /* the closing quote */
	} else {
		/* an atom (or "]"): no literal {n}, no specials */
		for (; p < end && *p != ' '; p++) {
			if (strchr("(){%*\"\\", *p) != NULL || o + 1 >= cap)
				return -1;
			out[o++] = (char)*p;
		}
	}
	if (o == 0 || (p < end && *p != ' '))
		return -1;
	out[o] = '\0';
	*pp = p;
	return 0;
}

int
imap_parse_login(const uint8_t *p, size_t n, struct smtp_login *l)
{
	const uint8_t *end = p + n;
	char           name[SMTP_NAME_MAX + 1];
	int            rc = -IMAP_E_ARGS;

	memset(l, 0, sizeof(*l));
	l->port = IMAP_PORT;
	if (text_has_control(p, n) || astring(&p, end, name, sizeof(name)))
		goto out;
	p = skip_blanks(p, end);
	if (astring(&p, end, l->pass, sizeof(l->pass)) != 0 ||
	    skip_blanks(p, end) != end)
		goto out;
	rc = mail_parse_login(name, strlen(name), IMAP_PORT, l) == 0 ? 0 :
	    -IMAP_E_LOGIN;
out:
	explicit_bzero(name, sizeof(name));
	if (rc != 0) {
		explicit_bzero(l, sizeof(*l));
		l->port = IMAP_PORT;
	}
	return rc;
}

int
imap_check_greeting(const uint8_t *p, size_t n)
{
	n = text_trim(p, n);
	if (n < 4 || strncasecmp((const char *)p, "* OK", 4) != 0 ||
	    (n > 4 && p[4] != ' '))
		return -IMAP_E_REFUSED;
	/* the proxy's own: "... IMAP4rev1 Proxy Ready" */
	if (n >= 11 && strncasecmp((const char *)p + n - 11, "Proxy Ready",
	    11) == 0)
		return -IMAP_E_REFUSED;
	return 0;
}

/* The capability atoms from p up to end or "]". */
static unsigned
cap_atoms(const uint8_t *p, const uint8_t *end)
{
	unsigned m = IMAP_CAP_LIST;

	while (p < end && *p != ']') {
		const uint8_t *w = p;

		while (p < end && *p != ' ' && *p != ']')
			p++;
		if (word_is(w, (size_t)(p - w), "AUTH=PLAIN"))
			m |= IMAP_CAP_PLAIN;
		else if (word_is(w, (size_t)(p - w), "AUTH=LOGIN"))
			m |= IMAP_CAP_LOGIN;
		p = skip_blanks(p, end);
	}
	return m;
}

unsigned
imap_caps(const uint8_t *p, size_t n)
{
	const uint8_t *end, *q;

	n = text_trim(p, n);
	end = p + n;
	if (n >= 13 && strncasecmp((const char *)p, "* CAPABILITY ", 13) == 0)
		return cap_atoms(p + 13, end);
	for (q = p; q + 12 <= end; q++)
		if (strncasecmp((const char *)q, "[CAPABILITY ", 12) == 0)
			return cap_atoms(q + 12, end);
	return 0;
}

int
imap_tagged(const uint8_t *p, size_t n, const char *tag)
{
	size_t t = strlen(tag);

	n = text_trim(p, n);
	if (t == 0 || n < t + 3 || memcmp(p, tag, t) != 0 || p[t] != ' ')
		return 0;
	p += t + 1;
	n -= t + 1;
	if (n >= 2 && strncasecmp((const char *)p, "OK", 2) == 0 &&
	    (n == 2 || p[2] == ' '))
		return 1;
	if ((n >= 2 && strncasecmp((const char *)p, "NO", 2) == 0 &&
	    (n == 2 || p[2] == ' ')) ||
	    (n >= 3 && strncasecmp((const char *)p, "BAD", 3) == 0 &&
	    (n == 3 || p[3] == ' ')))
		return 2;
	return 0;
}

size_t
imap_quote(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	if (cap < 3)
		return 0;
	out[o++] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '\r' || *s == '\n')
			return 0;
		if ((*s == '"' || *s == '\\') && o + 1 < cap)
			out[o++] = '\\';
		if (o + 2 >= cap)
			return 0;
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}
