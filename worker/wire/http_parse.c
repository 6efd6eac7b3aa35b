/*
 * HTTP/1.x request and response heads (RFC 9112 sections 2-6), parsed in
 * place.  Strict where a lax reading lets two parties disagree about where
 * a message ends (request smuggling): bare CR, obs-fold, whitespace before
 * the colon, Content-Length with Transfer-Encoding, differing duplicate
 * Content-Length values are all refused.  Bare LF line ends are accepted
 * (RFC 9112 section 2.2 allows it) and normalised when the head is rebuilt.
 */
#include <string.h>

#include "worker/wire/http_parse.h"
#include "worker/wire/text.h"

static bool
is_tchar(unsigned char ch)
{
	if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z'))
		return true;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static unsigned char
lower(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (unsigned char)(ch + 32) : ch;
}

bool
http_span_eq(const char *buf, struct http_span s, const char *word)
{
	size_t n = strlen(word);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)buf[s.off + i]) !=
		    lower((unsigned char)word[i]))
			return false;
	return true;
}

static bool
spans_eq(const char *buf, struct http_span a, struct http_span b)
{
	if (a.len != b.len)
		return false;
	for (uint32_t i = 0; i < a.len; i++)
		if (lower((unsigned char)buf[a.off + i]) !=
		    lower((unsigned char)buf[b.off + i]))
			return false;
	return true;
}

long
http_head_scan(struct http_scan *s, const char *buf, size_t len,
    size_t maxline, size_t maxhead)
{
	while (s->pos < len) {
		const char *lf = memchr(buf + s->pos, '\n', len - s->pos);
		size_t      end, content;

		if (lf == NULL) {
			s->pos = len;
			break;
		}
		end = (size_t)(lf - buf);
		content = end - s->line_start;
		if (content > 0 && buf[end - 1] == '\r')
			content--;
		if (s->line_start == 0 && content > maxline)
			return -HTTP_E_LONGLINE;
		if (end + 1 > maxhead)
			return -HTTP_E_BIGHEAD;
		s->pos = end + 1;
		if (content == 0 && s->line_start > 0)
			return (long)(end + 1);
		s->line_start = end + 1;
	}
	if (s->line_start == 0 && len > maxline + 1)
		return -HTTP_E_LONGLINE;
	if (len >= maxhead)
		return -HTTP_E_BIGHEAD;
	return 0;
}

/* The line starting at off: its content (no EOL) and where the next one
 * starts.  A CR anywhere but right before the LF is refused. */
static int
next_line(const char *buf, size_t end, size_t off, struct http_span *line,
    size_t *next)
{
	const char *lf = memchr(buf + off, '\n', end - off);
	size_t      stop;

	if (lf == NULL)
		return -1;
	stop = (size_t)(lf - buf);
	*next = stop + 1;
	if (stop > off && buf[stop - 1] == '\r')
		stop--;
	if (memchr(buf + off, '\r', stop - off) != NULL)
		return -1;
	line->off = (uint32_t)off;
	line->len = (uint32_t)(stop - off);
	return 0;
}

/* "HTTP/d.d" */
static int
parse_version(const char *p, size_t n, uint8_t *maj, uint8_t *min)
{
	if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' ||
	    p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9')
		return -1;
	*maj = (uint8_t)(p[5] - '0');
	*min = (uint8_t)(p[7] - '0');
	return 0;
}

/* Names as DNS knows them, or a bracketed IPv6 literal (no zone id); the
 * resolver checks that the literal really is one. */
int
http_parse_authority(const char *p, size_t n, uint16_t defport,
    struct http_span *host, uint16_t *port, bool *v6)
{
	struct text_host h;

	*v6 = false;
	if (text_hostport((const uint8_t *)p, n, TEXT_HP_NAMES |
	    TEXT_HP_EMPTY_PORT, defport, &h) != 0 ||
	    (h.v6 && (h.len < 2 || h.len > 45)))
		return -1;
	host->off = (uint32_t)h.off;
	host->len = (uint32_t)h.len;
	*port = h.port;
	*v6 = h.v6;
	return 0;
}

static enum http_method
method_of(const char *p, size_t n)
{
	static const struct { const char *s; enum http_method m; } tab[] = {
		{ "GET", HTTP_M_GET }, { "HEAD", HTTP_M_HEAD },
		{ "POST", HTTP_M_POST }, { "PUT", HTTP_M_PUT },
		{ "CONNECT", HTTP_M_CONNECT },
	};

	/* methods are case-sensitive (RFC 9110 section 9.1) */
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].s) == n && memcmp(tab[i].s, p, n) == 0)
			return tab[i].m;
	return HTTP_M_OTHER;
}

/* Sets authority/host/port from an authority text at buf[off..off+n). */
static int
set_authority(const char *buf, uint32_t off, uint32_t n, uint16_t defport,
    struct http_req *r)
{
	struct http_span h;

	if (http_parse_authority(buf + off, n, defport, &h, &r->port,
	    &r->host_v6) != 0)
		return -1;
	r->authority.off = off;
	r->authority.len = n;
	r->host.off = off + h.off;
	r->host.len = h.len;
	return 0;
}

static int
parse_absolute(const char *buf, struct http_req *r)
{
	const char *t = buf + r->target.off;
	const char *sep = memmem(t, r->target.len, "://", 3);
	uint32_t    slen, a, i;

	if (sep == NULL || sep == t)
		return HTTP_E_URL;
	slen = (uint32_t)(sep - t);
	for (i = 0; i < slen; i++)
		if (!((lower((unsigned char)t[i]) >= 'a' &&
		    lower((unsigned char)t[i]) <= 'z') ||
		    (i > 0 && strchr("0123456789+-.", t[i]) != NULL)))
			return HTTP_E_URL;
	/* ftp:// is fetched by the proxy itself (http_ftp.c) */
	r->ftp = slen == 3 && lower((unsigned char)t[0]) == 'f' &&
	    lower((unsigned char)t[1]) == 't' &&
	    lower((unsigned char)t[2]) == 'p';
	if (!r->ftp && (slen != 4 || lower((unsigned char)t[0]) != 'h' ||
	    lower((unsigned char)t[1]) != 't' ||
	    lower((unsigned char)t[2]) != 't' ||
	    lower((unsigned char)t[3]) != 'p'))
		return HTTP_E_UNSUPP;
	a = slen + 3;
	for (i = a; i < r->target.len; i++)
		if (t[i] == '/' || t[i] == '?' || t[i] == '#')
			break;
	/* userinfo would put a password in the log and can mislead readers
	 * about the real host (RFC 9110 section 4.2.4); an ftp:// URL's is
	 * the FTP login, kept out of the log by http_ftp.c */
	sep = memrchr(t + a, '@', i - a);
	if (sep != NULL && !r->ftp)
		return HTTP_E_URL;
	if (sep != NULL) {
		r->userinfo.off = r->target.off + a;
		r->userinfo.len = (uint32_t)(sep - (t + a));
		a = (uint32_t)(sep - t) + 1;
	}
	if (set_authority(buf, r->target.off + a, i - a, r->ftp ? 21 : 80,
	    r) != 0)
		return HTTP_E_URL;
	r->path.off = r->target.off + i;
	r->path.len = r->target.len - i;
	r->form = HTTP_FORM_ABSOLUTE;
	return 0;
}

static int
parse_target(const char *buf, struct http_req *r)
{
	const char *t = buf + r->target.off;

	for (uint32_t i = 0; i < r->target.len; i++)
		if ((unsigned char)t[i] <= 0x20 || t[i] == 0x7f)
			return HTTP_E_LINE;
	if (r->method == HTTP_M_CONNECT) {
		r->form = HTTP_FORM_AUTHORITY;
		if (set_authority(buf, r->target.off, r->target.len, 0, r) != 0)
			return HTTP_E_URL;
		return 0;
	}
	if (r->target.len == 1 && t[0] == '*') {
		if (!http_span_eq(buf, r->mtext, "OPTIONS"))
			return HTTP_E_LINE;
		r->form = HTTP_FORM_ASTERISK;
		r->path = r->target;
		return 0;
	}
	if (t[0] == '/') {
		r->form = HTTP_FORM_ORIGIN;
		r->path = r->target;
		return 0;
	}
	return parse_absolute(buf, r);
}

static int
parse_request_line(const char *buf, struct http_req *r)
{
	const char *l = buf + r->m.line.off;
	const char *sp1 = memchr(l, ' ', r->m.line.len), *sp2;
	uint32_t    i;

	if (sp1 == NULL || sp1 == l)
		return HTTP_E_LINE;
	r->mtext.off = r->m.line.off;
	r->mtext.len = (uint32_t)(sp1 - l);
	for (i = 0; i < r->mtext.len; i++)
		if (!is_tchar((unsigned char)l[i]))
			return HTTP_E_LINE;
	sp2 = memchr(sp1 + 1, ' ', r->m.line.len - r->mtext.len - 1);
	if (sp2 == NULL || sp2 == sp1 + 1)
		return HTTP_E_LINE;
	r->target.off = r->m.line.off + r->mtext.len + 1;
	r->target.len = (uint32_t)(sp2 - sp1 - 1);
	if (parse_version(sp2 + 1, r->m.line.len - (size_t)(sp2 + 1 - l),
	    &r->m.vmajor, &r->m.vminor) != 0)
		return HTTP_E_LINE;
	if (r->m.vmajor != 1)
		return HTTP_E_VERSION;
	r->method = method_of(l, r->mtext.len);
	return parse_target(buf, r);
}

/* Calls fn for each non-empty element of a comma-separated list. */
static void
each_token(const char *buf, struct http_span v,
    void (*fn)(const char *, struct http_span, void *), void *arg)
{
	uint32_t i = v.off, end = v.off + v.len;

	while (i < end) {
		uint32_t s, e;

		while (i < end && (buf[i] == ',' || buf[i] == ' ' ||
		    buf[i] == '\t'))
			i++;
		s = i;
		while (i < end && buf[i] != ',')
			i++;
		e = i;
		while (e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
			e--;
		if (e > s)
			fn(buf, (struct http_span){ s, e - s }, arg);
	}
}

static void
conn_token(const char *buf, struct http_span t, void *arg)
{
	struct http_msg *m = arg;

	if (http_span_eq(buf, t, "close"))
		m->conn_close = true;
	else if (http_span_eq(buf, t, "keep-alive"))
		m->conn_keepalive = true;
}

struct te_state {
	unsigned nchunked;
	bool     last_chunked;
};

static void
te_token(const char *buf, struct http_span t, void *arg)
{
	struct te_state *te = arg;

	/* a coding may carry parameters ("gzip;q=1"): compare the name */
	for (uint32_t i = 0; i < t.len; i++)
		if (buf[t.off + i] == ';' || buf[t.off + i] == ' ') {
			t.len = i;
			break;
		}
	te->last_chunked = http_span_eq(buf, t, "chunked");
	if (te->last_chunked)
		te->nchunked++;
}

static int
content_length(const char *buf, struct http_span v, struct http_msg *m)
{
	int64_t n = 0;

	if (v.len == 0 || v.len > 18)
		return -1;
	for (uint32_t i = 0; i < v.len; i++) {
		char ch = buf[v.off + i];

		if (ch < '0' || ch > '9')
			return -1;
		n = n * 10 + (ch - '0');
	}
	if (m->content_length >= 0 && m->content_length != n)
		return -1;
	m->content_length = n;
	return 0;
}

/* Framing fields: never dropped because a Connection header names them
 * (dropping them would let the two sides frame the body differently). */
static bool
is_framing(const char *buf, struct http_span name)
{
	return http_span_eq(buf, name, "content-length") ||
	    http_span_eq(buf, name, "transfer-encoding") ||
	    http_span_eq(buf, name, "host");
}

struct drop_arg {
	struct http_msg *m;
};

static void
drop_named(const char *buf, struct http_span t, void *arg)
{
	struct http_msg *m = ((struct drop_arg *)arg)->m;

	if (http_span_eq(buf, t, "close") || http_span_eq(buf, t, "keep-alive"))
		return;
	for (uint32_t i = 0; i < m->nhdrs; i++)
		if (spans_eq(buf, m->hdrs[i].name, t) &&
		    !is_framing(buf, m->hdrs[i].name))
			m->hdrs[i].flags |= HTTP_HDR_DROP;
}

/* Hop-by-hop fields (RFC 9110 section 7.6.1) and our own rewrites. */
static bool
is_hop(const char *buf, struct http_span name)
{
	static const char *const hop[] = {
		"connection", "proxy-connection", "keep-alive", "te",
		"upgrade", "proxy-authorization", "host",
	};

	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (http_span_eq(buf, name, hop[i]))
			return true;
	return false;
}

static int
interpret(const char *buf, struct http_msg *m, struct http_hdr *h)
{
	struct te_state te = { 0, false };

	if (http_span_eq(buf, h->name, "content-length"))
		return content_length(buf, h->value, m);
	if (http_span_eq(buf, h->name, "transfer-encoding")) {
		/* chunked must be the last coding and appear once, over all
		 * the fields together */
		te.nchunked = m->chunked ? 1 : 0;
		each_token(buf, h->value, te_token, &te);
		if (te.nchunked > 1 || (te.nchunked == 1 && !te.last_chunked))
			return -1;
		m->has_te = true;
		m->chunked = te.last_chunked;
		return 0;
	}
	if (http_span_eq(buf, h->name, "connection") ||
	    http_span_eq(buf, h->name, "proxy-connection"))
		each_token(buf, h->value, conn_token, m);
	if (is_hop(buf, h->name))
		h->flags |= HTTP_HDR_DROP;
	return 0;
}

static int
header_line(const char *buf, struct http_span line, struct http_hdr *h)
{
	const char *l = buf + line.off;
	const char *colon = memchr(l, ':', line.len);
	uint32_t    n, s, e;

	if (colon == NULL || colon == l)
		return -1;
	n = (uint32_t)(colon - l);
	for (uint32_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)l[i]))
			return -1;   /* also refuses obs-fold and "name :" */
	s = n + 1;
	e = line.len;
	while (s < e && (l[s] == ' ' || l[s] == '\t'))
		s++;
	while (e > s && (l[e - 1] == ' ' || l[e - 1] == '\t'))
		e--;
	for (uint32_t i = s; i < e; i++) {
		unsigned char ch = (unsigned char)l[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return -1;
	}
	h->name = (struct http_span){ line.off, n };
	h->value = (struct http_span){ line.off + s, e - s };
	h->flags = 0;
	return 0;
}

/* Header fields after the first line; returns 0 or an HTTP_E_ code. */
static int
parse_fields(const char *buf, size_t head_len, size_t off, struct http_msg *m)
{
	struct http_span line;
	struct drop_arg  da = { m };

	for (;;) {
		if (next_line(buf, head_len, off, &line, &off) != 0)
			return HTTP_E_HEADER;
		if (line.len == 0)
			break;
		if (m->nhdrs == HTTP_MAX_HDRS)
			return HTTP_E_BIGHEAD;
		if (header_line(buf, line, &m->hdrs[m->nhdrs]) != 0)
			return HTTP_E_HEADER;
		if (interpret(buf, m, &m->hdrs[m->nhdrs]) != 0)
			return HTTP_E_FRAMING;
		m->nhdrs++;
	}
	if (off != head_len)
		return HTTP_E_HEADER;
	for (uint32_t i = 0; i < m->nhdrs; i++)
		if (http_span_eq(buf, m->hdrs[i].name, "connection"))
			each_token(buf, m->hdrs[i].value, drop_named, &da);
	return 0;
}

static void
msg_init(struct http_msg *m, size_t head_len)
{
	m->head_len = (uint32_t)head_len;
	m->content_length = -1;
	m->chunked = m->has_te = false;
	m->conn_close = m->conn_keepalive = false;
	m->nhdrs = 0;
	m->vmajor = m->vminor = 0;
	m->line = (struct http_span){ 0, 0 };
}

/* Origin-form and "*": the target is the Host field (exactly one). */
static int
host_from_field(const char *buf, struct http_req *r)
{
	int found = -1;

	for (uint32_t i = 0; i < r->m.nhdrs; i++) {
		if (!http_span_eq(buf, r->m.hdrs[i].name, "host"))
			continue;
		if (found >= 0)
			return HTTP_E_URL;
		found = (int)i;
	}
	if (found < 0 || r->m.hdrs[found].value.len == 0)
		return HTTP_E_NOHOST;
	if (set_authority(buf, r->m.hdrs[found].value.off,
	    r->m.hdrs[found].value.len, 80, r) != 0)
		return HTTP_E_URL;
	return 0;
}

int
http_parse_request(const char *buf, size_t head_len, struct http_req *r)
{
	size_t off;
	int    e;

	if (head_len > HTTP_MAX_HEAD)
		return HTTP_E_BIGHEAD;
	msg_init(&r->m, head_len);
	r->method = HTTP_M_OTHER;
	r->form = HTTP_FORM_ORIGIN;
	r->mtext = r->target = r->authority = r->host = r->path =
	    (struct http_span){ 0, 0 };
	r->port = 0;
	r->host_v6 = false;
	r->proxy_auth = -1;
	r->ftp = false;
	r->userinfo = (struct http_span){ 0, 0 };
	if (next_line(buf, head_len, 0, &r->m.line, &off) != 0 ||
	    r->m.line.len == 0)
		return HTTP_E_LINE;
	if (r->m.line.len > HTTP_MAX_LINE)
		return HTTP_E_LONGLINE;
	if ((e = parse_request_line(buf, r)) != 0)
		return e;
	if ((e = parse_fields(buf, head_len, off, &r->m)) != 0)
		return e;
	/* RFC 9112 section 6.1 and 6.3: a request framed both ways, or an
	 * HTTP/1.0 one with Transfer-Encoding, cannot be framed reliably */
	if (r->m.has_te && (!r->m.chunked || r->m.content_length >= 0 ||
	    r->m.vminor == 0))
		return HTTP_E_FRAMING;
	for (uint32_t i = 0; i < r->m.nhdrs; i++)
		if (http_span_eq(buf, r->m.hdrs[i].name,
		    "proxy-authorization") && r->proxy_auth < 0)
			r->proxy_auth = (int)i;
	if (r->form == HTTP_FORM_ORIGIN || r->form == HTTP_FORM_ASTERISK)
		return host_from_field(buf, r);
	return 0;
}

int
http_check_request_line(const char *buf, size_t len)
{
	struct http_req r;
	size_t          off;

	msg_init(&r.m, len);
	if (next_line(buf, len, 0, &r.m.line, &off) != 0 || r.m.line.len == 0)
		return HTTP_E_LINE;
	if (r.m.line.len > HTTP_MAX_LINE)
		return HTTP_E_LONGLINE;
	return parse_request_line(buf, &r);
}

int
http_parse_response(const char *buf, size_t head_len, struct http_resp *r)
{
	struct http_span line;
	const char      *l;
	size_t           off;

	if (head_len > HTTP_MAX_HEAD)
		return HTTP_E_RESPONSE;
	msg_init(&r->m, head_len);
	r->status = 0;
	if (next_line(buf, head_len, 0, &line, &off) != 0 || line.len < 12)
		return HTTP_E_RESPONSE;
	r->m.line = line;
	l = buf + line.off;
	/* "HTTP/d.d SP 3DIGIT [SP reason]" */
	if (parse_version(l, 8, &r->m.vmajor, &r->m.vminor) != 0 ||
	    r->m.vmajor != 1 || l[8] != ' ' ||
	    (line.len > 12 && l[12] != ' '))
		return HTTP_E_RESPONSE;
	for (int i = 9; i < 12; i++) {
		if (l[i] < '0' || l[i] > '9')
			return HTTP_E_RESPONSE;
		r->status = (uint16_t)(r->status * 10 + (l[i] - '0'));
	}
	if (r->status < 100)
		return HTTP_E_RESPONSE;
	if (parse_fields(buf, head_len, off, &r->m) != 0)
		return HTTP_E_RESPONSE;
	return 0;
}

enum http_body
http_resp_body(const struct http_resp *r, bool head_request)
{
	if (head_request || r->status < 200 || r->status == 204 ||
	    r->status == 304)
		return HTTP_BODY_NONE;
	/* Transfer-Encoding wins over Content-Length (RFC 9112 6.3 item 3);
	 * a coding other than chunked last is read until close */
	if (r->m.has_te)
		return r->m.chunked ? HTTP_BODY_CHUNKED : HTTP_BODY_CLOSE;
	if (r->m.content_length >= 0)
		return r->m.content_length ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	return HTTP_BODY_CLOSE;
}

enum http_body
http_req_body(const struct http_req *r)
{
	if (r->m.chunked)
		return HTTP_BODY_CHUNKED;
	if (r->m.content_length > 0)
		return HTTP_BODY_LENGTH;
	return HTTP_BODY_NONE;
}
