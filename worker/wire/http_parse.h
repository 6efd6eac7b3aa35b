/*
 * HTTP/1.x message heads, parsed in place: pure functions over bytes (no
 * I/O, no globals, no allocation) so that tests/fuzz/fuzz_http.c and
 * tests/unit/test_http_parse.c can drive them without a worker.
 *
 * Results are spans (offset + length) into the caller's buffer; the buffer
 * must outlive the parsed message.  Failures are returned as the %E code
 * that the proxy logs (500-599 = HTTP proxy protocol errors, our own
 * numbering inside the range 3proxy gives them; http_error_status() maps
 * each one to the status line sent to the client):
 */
#ifndef PC_WORKER_HTTP_PARSE_H
#define PC_WORKER_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ecode.h"   /* the HTTP_E_ codes */

/* At least 3proxy 1.0's: it reads lines of up to 32 KB and stops growing
 * its header buffer past 512 KB (what it holds then: 576 KB); it has no
 * count of fields, here bounded by what a 576 KB block of real fields
 * (a few dozen bytes and more each) needs. */
#define HTTP_MAX_LINE   32768   /* request line, without its EOL */
#define HTTP_MAX_HEAD   589824  /* whole header block */
#define HTTP_MAX_HDRS   2048    /* header fields per message */

struct http_span {
	uint32_t off;
	uint32_t len;
};

#define HTTP_HDR_DROP   0x01    /* hop-by-hop: never forwarded */

struct http_hdr {
	struct http_span name;
	struct http_span value; /* optional whitespace trimmed */
	uint8_t          flags;
};

enum http_method {
	HTTP_M_OTHER, HTTP_M_GET, HTTP_M_HEAD, HTTP_M_POST, HTTP_M_PUT,
	HTTP_M_CONNECT
};

enum http_form {
	HTTP_FORM_ORIGIN,      /* "/path": transparent, target from Host */
	HTTP_FORM_ABSOLUTE,    /* "http://host[:port]/path" */
	HTTP_FORM_AUTHORITY,   /* "host:port" (CONNECT) */
	HTTP_FORM_ASTERISK     /* "*" (OPTIONS), target from Host */
};

/* What both requests and responses carry. */
struct http_msg {
	uint32_t         head_len;       /* incl. the empty line ending it */
	struct http_span line;           /* first line without its EOL */
	uint8_t          vmajor, vminor;
	int64_t          content_length; /* -1 when absent */
	bool             chunked;        /* Transfer-Encoding ends in chunked */
	bool             has_te;         /* any Transfer-Encoding field */
	bool             conn_close;     /* Connection/Proxy-Connection tokens */
	bool             conn_keepalive;
	uint32_t         nhdrs;
	struct http_hdr  hdrs[HTTP_MAX_HDRS];
};

struct http_req {
	struct http_msg  m;
	enum http_method method;
	enum http_form   form;
	struct http_span mtext;      /* the method as sent */
	struct http_span target;     /* request-target as sent */
	struct http_span authority;  /* host[:port] as written (URL or Host) */
	struct http_span host;       /* without brackets; never empty */
	struct http_span path;       /* origin-form path+query, may be empty */
	uint16_t         port;       /* explicit or default (80, 443) */
	bool             host_v6;    /* host was a bracketed IPv6 literal */
	int              proxy_auth; /* index of Proxy-Authorization, or -1 */
	bool             ftp;        /* "ftp://[userinfo@]host[:port]/path"
	                                (http_ftp.c); port 21 by default */
	struct http_span userinfo;   /* ftp:// only: "user[:pass]", or empty */
};

struct http_resp {
	struct http_msg  m;
	uint16_t         status;
};

/* Progress of the search for the end of a head across partial reads. */
struct http_scan {
	size_t pos;         /* bytes examined so far */
	size_t line_start;  /* start of the line being examined */
};

/*
 * Looks for the empty line that ends a head in buf[0..len), resuming where
 * the previous call on the same (grown) buffer stopped; zero *s to start.
 * Lines end in LF or CRLF.  Returns the head length when complete, 0 when
 * more bytes are needed, or -HTTP_E_LONGLINE when the first line exceeds
 * maxline / -HTTP_E_BIGHEAD when the head exceeds maxhead bytes.
 */
long http_head_scan(struct http_scan *s, const char *buf, size_t len,
	    size_t maxline, size_t maxhead);

/* Parses a complete head of head_len bytes (from http_head_scan).  Returns
 * 0 or one of the HTTP_E_ codes. */
int  http_parse_request(const char *buf, size_t head_len, struct http_req *r);
int  http_parse_response(const char *buf, size_t head_len,
	    struct http_resp *r);

/* The request line alone (buf up to and including its LF), so that
 * garbage is refused as soon as its first line is in, without waiting for
 * a whole head.  0, or an HTTP_E_ code. */
int  http_check_request_line(const char *buf, size_t len);

/* "host[:port]" or "[v6][:port]": 0, or -1 when malformed. */
int  http_parse_authority(const char *p, size_t n, uint16_t defport,
	    struct http_span *host, uint16_t *port, bool *v6);

/* Framing of a response body (RFC 9112 section 6.3). */
enum http_body {
	HTTP_BODY_NONE, HTTP_BODY_LENGTH, HTTP_BODY_CHUNKED, HTTP_BODY_CLOSE
};
enum http_body http_resp_body(const struct http_resp *r, bool head_request);
enum http_body http_req_body(const struct http_req *r);

/*
 * "Proxy-Authorization: Basic <base64(user:pass)>": strict base64 (padding
 * required, no stray bits, no whitespace inside).  user and pass are NUL
 * terminated; returns 0, or -1 when the field is not usable Basic
 * credentials or a part does not fit (usz/psz include the NUL).
 */
int  http_basic_credentials(const char *val, size_t n, char *user,
	    size_t usz, char *pass, size_t psz);
/* Strict base64 decode into out[0..cap); returns the length or -1. */
long http_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap);
/* base64 of in[0..n) into out, NUL-terminated; its length, or 0 when it
 * does not fit in cap (parent Basic credentials, SMTP AUTH). */
size_t http_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* Case-insensitive comparison of a span with a NUL-terminated word. */
bool http_span_eq(const char *buf, struct http_span s, const char *word);

#endif
