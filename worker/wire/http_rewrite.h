/*
 * Rebuilding heads at the proxy hop (RFC 9112 section 3.2.2 and RFC 9110
 * section 7.6.1): the request goes upstream in origin-form with our own
 * Host and Connection fields, the response goes back with our Connection
 * field; hop-by-hop fields (flagged HTTP_HDR_DROP by the parser) stay
 * behind.  Pure functions; lines always end in CRLF on output.
 */
#ifndef PC_WORKER_HTTP_REWRITE_H
#define PC_WORKER_HTTP_REWRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/addr.h"
#include "worker/wire/http_parse.h"

/* Bytes the rebuilt head can take at most. */
size_t http_req_out_size(const struct http_req *r);
size_t http_resp_out_size(const struct http_resp *r);

/* Write the rebuilt head into out (http_*_out_size bytes); return its
 * length.  keepalive chooses "Connection: keep-alive" or "close". */
size_t http_req_build(const char *buf, const struct http_req *r,
	    bool keepalive, char *out);
/* The same with extra (whole "Name: value\r\n" lines, or NULL) before
 * the Connection field; out needs http_req_out_size + strlen(extra). */
size_t http_req_build_extra(const char *buf, const struct http_req *r,
	    bool keepalive, const char *extra, char *out);

/* What 3proxy's proxy adds about the client (its -a options): anon 0
 * "Forwarded: for=IP:PORT;by=HOST:PORT" (RFC 7239; an IPv6 for= quoted
 * and bracketed), 1 nothing, 2 "Via: 1.1 HOST:PORT (portcullis)" and
 * "X-Forwarded-For: " an IPv4 address made of rnd, 3 the same with the
 * client's address.  client: the client's address and port; port: the
 * service's; host: this host's name.  The length written to out (NUL
 * terminated), 0 for nothing or when cap is too small. */
#define HTTP_IDENT_MAX 600
size_t http_ident_lines(int anon, const struct pc_addr *client,
	    uint16_t port, const char *host, uint32_t rnd, char *out,
	    size_t cap);
size_t http_resp_build(const char *buf, const struct http_resp *r,
	    bool keepalive, char *out);
/* A head built by http_req_build (origin form, Host on the second line)
 * rewritten for an `http` parent proxy: absolute-form target
 * "http://HOST/path" and, when auth is not NULL, Proxy-Authorization.
 * Returns the length written to out, or 0 when cap is too small or the
 * head is not of that shape.  out needs len + host + auth + 40 bytes. */
size_t http_req_proxy_form(const char *head, size_t len, const char *auth,
	    char *out, size_t cap);

#endif
