/* FTP text the proxy reads and writes itself: see ftp_parse.h. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"
#include "worker/wire/ftp_parse.h"
#include "worker/wire/text.h"

static int
upper(int ch)
{
	return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch;
}

enum ftp_cmd
ftp_classify(const uint8_t *p, size_t n, const uint8_t **arg, size_t *alen)
{
	static const struct { const char *verb; enum ftp_cmd c; } tab[] = {
		{ "USER", FTP_C_USER }, { "PASS", FTP_C_PASS },
		{ "QUIT", FTP_C_QUIT }, { "PASV", FTP_C_PASV },
		{ "EPSV", FTP_C_EPSV }, { "PORT", FTP_C_PORT },
		{ "EPRT", FTP_C_EPRT }, { "RETR", FTP_C_RETR },
		{ "STOR", FTP_C_STOR }, { "APPE", FTP_C_APPE },
		{ "STOU", FTP_C_STOU }, { "LIST", FTP_C_LIST },
		{ "NLST", FTP_C_NLST }, { "MLSD", FTP_C_MLSD },
	};
	char   verb[5];
	size_t v = 0, i;

	n = text_trim_eol(p, n);
	*arg = p + n;
	*alen = 0;
	for (i = 0; i < n; i++)   /* a command smuggling a second line */
		if (p[i] < 0x20 || p[i] == 0x7f)
			return FTP_C_BAD;
	while (v < n && p[v] != ' ' && v < 5)
		v++;
	if (v == 0 || v > 4 || (v < n && p[v] != ' '))
		return FTP_C_OTHER;
	for (i = 0; i < v; i++)
		verb[i] = (char)upper(p[i]);
	verb[v] = '\0';
	if (v < n) {
		*arg = p + v + 1;
		*alen = n - v - 1;
	}
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].verb, verb) == 0)
			return tab[i].c;
	return FTP_C_OTHER;
}

uint32_t
ftp_cmd_op(enum ftp_cmd c)
{
	switch (c) {
	case FTP_C_RETR:
		return PC_OP_FTP_GET;
	case FTP_C_STOR: case FTP_C_APPE: case FTP_C_STOU:
		return PC_OP_FTP_PUT;
	case FTP_C_LIST: case FTP_C_NLST: case FTP_C_MLSD:
		return PC_OP_FTP_LIST;
	default:
		return 0;
	}
}

bool
ftp_cmd_upload(enum ftp_cmd c)
{
	return ftp_cmd_op(c) == PC_OP_FTP_PUT;
}

static int
copy_name(char *dst, const uint8_t *p, size_t n)
{
	if (n > FTP_NAME_MAX)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

/* "host", "host:port", "[v6]" or "[v6]:port" into l. */
static int
parse_server(const uint8_t *p, size_t n, struct ftp_login *l)
{
	struct text_host h;

	if (text_hostport(p, n, 0, FTP_PORT, &h) != 0 ||
	    copy_name(l->host, p + h.off, h.len) != 0)
		return -1;
	l->port = h.port;
	l->port_given = h.port_given;
	return 0;
}

/* "name" or "proxyuser:proxypass:name" (an empty password allowed) */
static int
copy_names(struct ftp_login *l, const uint8_t *p, size_t n)
{
	const uint8_t *c1 = memchr(p, ':', n), *c2;

	if (c1 == NULL)
		return copy_name(l->user, p, n);
	c2 = memchr(c1 + 1, ':', (size_t)(p + n - c1) - 1);
	if (c2 == NULL)
		return copy_name(l->user, p, n);
	if (c1 == p || copy_name(l->puser, p, (size_t)(c1 - p)) != 0 ||
	    c2 + 1 == p + n ||
	    copy_name(l->user, c2 + 1, (size_t)(p + n - c2) - 1) != 0)
		return -1;
	if (c2 > c1 + 1 &&
	    copy_name(l->ppass, c1 + 1, (size_t)(c2 - c1) - 1) != 0)
		return -1;
	return 0;
}

int
ftp_parse_login(const uint8_t *p, size_t n, struct ftp_login *l)
{
	size_t at;

	memset(l, 0, sizeof(*l));
	l->port = FTP_PORT;
	n = text_trim_eol(p, n);
	for (size_t i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] == 0x7f)
			return -FTP_E_LOGIN;
	for (at = n; at > 0 && p[at - 1] != '@'; at--)
		;
	if (at == 0)   /* no '@': the name alone */
		return n == 0 || copy_names(l, p, n) != 0 ?
		    -FTP_E_LOGIN : 0;
	if (at == 1 || copy_names(l, p, at - 1) != 0 ||
	    parse_server(p + at, n - at, l) != 0)
		return -FTP_E_LOGIN;
	return 0;
}

static int
digit3(const uint8_t *p, size_t n)
{
	if (n < 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9')
		return -1;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

int
ftp_reply_feed(struct ftp_reply_scan *s, const uint8_t *p, size_t n)
{
	int code;

	n = text_trim_eol(p, n);
	code = digit3(p, n);
	if (s->code == 0) {
		if (code < 0 || (n > 3 && p[3] != ' ' && p[3] != '-'))
			return -1;
		s->code = code;
		s->multi = n > 3 && p[3] == '-';
		return s->multi ? 0 : code;
	}
	/* RFC 959 4.2: a multi-line reply ends with "code " (or "code"
	 * alone); any other line inside it is text */
	if (code == s->code && (n == 3 || p[3] == ' '))
		return code;
	return 0;
}

/* Up to count decimal numbers 0..max separated by sep, at p. */
static int
numbers(const uint8_t *p, size_t n, char sep, unsigned *v, size_t count,
    unsigned max)
{
	size_t i = 0, k;

	for (k = 0; k < count; k++) {
		size_t start = i;

		v[k] = 0;
		while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 6) {
			v[k] = v[k] * 10 + (unsigned)(p[i] - '0');
			i++;
		}
		if (i == start || v[k] > max)
			return -1;
		if (k + 1 < count) {
			if (i >= n || p[i] != sep)
				return -1;
			i++;
		}
	}
	return (int)i;
}

static void
set_v4(struct pc_addr *a, const unsigned *v)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	for (int i = 0; i < 4; i++)
		a->ip[i] = (uint8_t)v[i];
	a->port = (uint16_t)(v[4] * 256 + v[5]);
}

int
ftp_parse_pasv(const uint8_t *p, size_t n, struct pc_addr *a)
{
	unsigned v[6];

	n = text_trim_eol(p, n);
	if (digit3(p, n) != 227)
		return -1;
	/* the numbers may or may not be in parentheses (RFC 1123 4.1.2.6) */
	for (size_t i = 4; i < n; i++)
		if (p[i] >= '0' && p[i] <= '9' &&
		    numbers(p + i, n - i, ',', v, 6, 255) > 0) {
			set_v4(a, v);
			return a->port == 0 ? -1 : 0;
		}
	return -1;
}

int
ftp_parse_epsv(const uint8_t *p, size_t n, uint16_t *port)
{
	const uint8_t *lp;
	unsigned       v;
	uint8_t        d;
	int            k;

	n = text_trim_eol(p, n);
	if (digit3(p, n) != 229 || (lp = memchr(p, '(', n)) == NULL)
		return -1;
	n -= (size_t)(lp - p) + 1;
	p = lp + 1;
	if (n < 5)
		return -1;
	d = p[0];
	if (d < 33 || d > 126 || p[1] != d || p[2] != d)
		return -1;
	if ((k = numbers(p + 3, n - 3, 0, &v, 1, 65535)) <= 0 || v == 0 ||
	    (size_t)k + 3 >= n || p[3 + k] != d)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
ftp_parse_port(const uint8_t *p, size_t n, struct pc_addr *a)
{
	unsigned v[6];

	n = text_trim_eol(p, n);
	if (numbers(p, n, ',', v, 6, 255) != (int)n)
		return -1;
	set_v4(a, v);
	return a->port == 0 ? -1 : 0;
}

int
ftp_parse_eprt(const uint8_t *p, size_t n, struct pc_addr *a)
{
	char           host[64];
	const uint8_t *e;
	unsigned       v;
	uint8_t        d;
	size_t         i;

	n = text_trim_eol(p, n);
	if (n < 8 || (d = p[0]) < 33 || d > 126 || (p[1] != '1' &&
	    p[1] != '2') || p[2] != d)
		return -1;
	e = memchr(p + 3, d, n - 3);
	if (e == NULL || (i = (size_t)(e - p) - 3) == 0 || i >= sizeof(host))
		return -1;
	memcpy(host, p + 3, i);
	host[i] = '\0';
	if (host[0] == '[' || pc_addr_parse(host, a) != 0 ||
	    a->family != (p[1] == '1' ? AF_INET : AF_INET6))
		return -1;
	i += 4;
	if (numbers(p + i, n - i, 0, &v, 1, 65535) != (int)(n - i - 1) ||
	    v == 0 || p[n - 1] != d)
		return -1;
	a->port = (uint16_t)v;
	return 0;
}

size_t
ftp_format_passive(const struct pc_addr *a, bool epsv, char *out, size_t cap)
{
	int k;

	if (epsv || a->family != AF_INET)
		k = snprintf(out, cap, "229 Entering Extended Passive Mode "
		    "(|||%u|)\r\n", a->port);
	else
		k = snprintf(out, cap, "227 Entering Passive Mode "
		    "(%u,%u,%u,%u,%u,%u).\r\n", a->ip[0], a->ip[1], a->ip[2],
		    a->ip[3], a->port >> 8, a->port & 0xff);
	return k < 0 || (size_t)k >= cap ? 0 : (size_t)k;
}

int64_t
ftp_reply_size(const uint8_t *p, size_t n)
{
	int64_t v = -1;
	size_t  i;

	n = text_trim_eol(p, n);
	if (digit3(p, n) == 213)
		i = 4;
	else if (digit3(p, n) == 150 && n > 4) {
		/* "... (1234 bytes)": the number after the last '(' */
		for (i = n; i > 4 && p[i - 1] != '('; i--)
			;
		if (i == 4)
			return -1;
	} else
		return -1;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = (v < 0 ? 0 : v * 10) + (p[i] - '0');
	}
	return v;
}

void
ftp_list_name(const uint8_t *p, size_t n, size_t *off, size_t *len,
    bool *dir)
{
	size_t i = 0, field = 0, start = 0;

	n = text_trim_eol(p, n);
	*off = *len = 0;
	*dir = n > 0 && p[0] == 'd';
	while (i < n && field < 8) {
		while (i < n && p[i] == ' ')
			i++;
		start = i;
		if (i == n)
			break;
		while (i < n && p[i] != ' ')
			i++;
		field++;
	}
	while (i < n && p[i] == ' ')
		i++;
	if (field == 8 && i < n)
		start = i;      /* Unix style: the rest is the name */
	else
		*dir = false;   /* one word or an unknown style */
	*off = start;
	*len = n - start;
	if ((*len == 1 && p[start] == '.') || (*len == 2 &&
	    p[start] == '.' && p[start + 1] == '.'))
		*len = 0;
}

size_t
ftp_html_append(char *out, size_t len, size_t cap, const uint8_t *s,
    size_t n, bool url)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t            k = len;

	for (size_t i = 0; i < n; i++) {
		char        one[8];
		const char *w = one;
		uint8_t     ch = s[i];

		if (url && !((ch >= 'a' && ch <= 'z') || (ch >= 'A' &&
		    ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~/", ch) != NULL)) {
			one[0] = '%';
			one[1] = hex[ch >> 4];
			one[2] = hex[ch & 15];
			one[3] = '\0';
		} else if (!url && ch == '<')
			w = "&lt;";
		else if (!url && ch == '>')
			w = "&gt;";
		else if (!url && ch == '&')
			w = "&amp;";
		else if (!url && ch == '"')
			w = "&quot;";
		else {
			one[0] = (char)ch;
			one[1] = '\0';
		}
		if (k + strlen(w) >= cap)
			return cap;
		memcpy(out + k, w, strlen(w));
		k += strlen(w);
	}
	out[k] = '\0';
	return k;
}
