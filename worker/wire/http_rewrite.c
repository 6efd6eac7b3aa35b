/*
 * Head rebuilding for the two directions of the proxy hop.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "worker/wire/http_rewrite.h"

#define CONN_KEEP  "Connection: keep-alive\r\n"
#define CONN_CLOSE "Connection: close\r\n"

static char *
put(char *o, const void *p, size_t n)
{
	memcpy(o, p, n);
	return o + n;
}

static char *
put_span(char *o, const char *buf, struct http_span s)
{
	return put(o, buf + s.off, s.len);
}

/* Kept fields, normalised to "Name: value\r\n". */
static char *
put_fields(char *o, const char *buf, const struct http_msg *m)
{
	for (uint32_t i = 0; i < m->nhdrs; i++) {
		const struct http_hdr *h = &m->hdrs[i];

		if (h->flags & HTTP_HDR_DROP)
			continue;
		o = put_span(o, buf, h->name);
		o = put(o, ": ", 2);
		o = put_span(o, buf, h->value);
		o = put(o, "\r\n", 2);
	}
	return o;
}

static size_t
fields_size(const struct http_msg *m)
{
	/* every field line grows by at most ": " and CRLF over its input */
	return m->head_len + 4 * (size_t)m->nhdrs;
}

size_t
http_req_out_size(const struct http_req *r)
{
	return fields_size(&r->m) + r->authority.len +
	    sizeof("Host: \r\n/" CONN_KEEP "\r\n") + 16;
}

size_t
http_resp_out_size(const struct http_resp *r)
{
	return fields_size(&r->m) + sizeof(CONN_KEEP "\r\n") + 16;
}

size_t
http_req_build(const char *buf, const struct http_req *r, bool keepalive,
    char *out)
{
	return http_req_build_extra(buf, r, keepalive, NULL, out);
}

size_t
http_req_build_extra(const char *buf, const struct http_req *r,
    bool keepalive, const char *extra, char *out)
{
	const char *line = buf + r->m.line.off;
	char       *o = out;

	o = put_span(o, buf, r->mtext);
	o = put(o, " ", 1);
	if (r->form == HTTP_FORM_ABSOLUTE &&
	    (r->path.len == 0 || buf[r->path.off] != '/'))
		o = put(o, "/", 1);
	o = put_span(o, buf, r->path);
	/* the client's version: a 1.0 client must not get chunked replies */
	o = put(o, " ", 1);
	o = put(o, line + r->m.line.len - 8, 8);
	o = put(o, "\r\nHost: ", 8);
	o = put_span(o, buf, r->authority);
	o = put(o, "\r\n", 2);
	o = put_fields(o, buf, &r->m);
	if (extra != NULL)
		o = put(o, extra, strlen(extra));
	o = keepalive ? put(o, CONN_KEEP, sizeof(CONN_KEEP) - 1) :
	    put(o, CONN_CLOSE, sizeof(CONN_CLOSE) - 1);
	o = put(o, "\r\n", 2);
	return (size_t)(o - out);
}

size_t
http_ident_lines(int anon, const struct pc_addr *client, uint16_t port,
    const char *host, uint32_t rnd, char *out, size_t cap)
{
	char ip[PC_ADDRSTRLEN];
	int  n;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (strlen(host) > 255 || pc_addr_ntop(client, ip, sizeof(ip)) == NULL)
		return 0;
	if (anon == 0 && client->family == AF_INET6)
		n = snprintf(out, cap, "Forwarded: for=\"[%s]:%u\";by=%s:%u\r\n",
		    ip, client->port, host, port);
	else if (anon == 0)
		n = snprintf(out, cap, "Forwarded: for=%s:%u;by=%s:%u\r\n", ip,
		    client->port, host, port);
	else if (anon == 2 || anon == 3) {
		if (anon == 2)
			snprintf(ip, sizeof(ip), "%u.%u.%u.%u", rnd >> 24,
			    (rnd >> 16) & 255, (rnd >> 8) & 255, rnd & 255);
		n = snprintf(out, cap, "Via: 1.1 %s:%u (portcullis)\r\n"
		    "X-Forwarded-For: %s\r\n", host, port, ip);
	} else
		return 0;
	if (n < 0 || (size_t)n >= cap) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

size_t
http_resp_build(const char *buf, const struct http_resp *r, bool keepalive,
    char *out)
{
	char *o = out;

	o = put_span(o, buf, r->m.line);
	o = put(o, "\r\n", 2);
	o = put_fields(o, buf, &r->m);
	o = keepalive ? put(o, CONN_KEEP, sizeof(CONN_KEEP) - 1) :
	    put(o, CONN_CLOSE, sizeof(CONN_CLOSE) - 1);
	o = put(o, "\r\n", 2);
	return (size_t)(o - out);
}

size_t
http_req_proxy_form(const char *head, size_t len, const char *auth,
    char *out, size_t cap)
{
	const char *sp = memchr(head, ' ', len), *eol, *host, *hend;
	size_t      alen = auth != NULL ? strlen(auth) : 0, need;
	char       *o = out;

	if (sp == NULL || (eol = memchr(head, '\n', len)) == NULL ||
	    (size_t)(eol - head) + 7 > len || memcmp(eol + 1, "Host: ", 6) != 0)
		return 0;
	host = eol + 7;
	if ((hend = memchr(host, '\r', len - (size_t)(host - head))) == NULL)
		return 0;
	need = len + sizeof("http://") + (size_t)(hend - host) +
	    (auth != NULL ? sizeof("Proxy-Authorization: \r\n") + alen : 0);
	if (need > cap)
		return 0;
	o = put(o, head, (size_t)(sp - head) + 1);          /* "GET " */
	o = put(o, "http://", 7);
	o = put(o, host, (size_t)(hend - host));            /* authority */
	o = put(o, sp + 1, (size_t)(hend + 2 - (sp + 1)));  /* to Host CRLF */
	if (auth != NULL) {
		o = put(o, "Proxy-Authorization: ", 21);
		o = put(o, auth, alen);
		o = put(o, "\r\n", 2);
	}
	o = put(o, hend + 2, len - (size_t)(hend + 2 - head));
	return (size_t)(o - out);
}
