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

#include "worker/wire/http_parse.h"

/* Bytes the rebuilt head can take at most. */
size_t http_req_out_size(const struct http_req *r);
size_t http_resp_out_size(const struct http_resp *r);

/* Write the rebuilt head into out (http_*_out_size bytes); return its
 * length.  keepalive chooses "Connection: keep-alive" or "close". */
size_t http_req_build(const char *buf, const struct http_req *r,
	    bool keepalive, char *out);
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
