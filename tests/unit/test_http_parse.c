/* Unit tests of the HTTP proxy's pure parts: head scanning, request and
 * response parsing, head rebuilding, the chunked tracker, Basic
 * credentials and the error replies (worker/http_*.c). */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check.h"
#include "worker/wire/http_body.h"
#include "worker/wire/http_error.h"
#include "worker/wire/http_parse.h"
#include "worker/wire/http_rewrite.h"

static struct http_req  req;
static struct http_resp resp;

/* Scan then parse a request; returns 0, an HTTP_E_ code, or -1 when the
 * head is incomplete. */
static int
parse_req(const char *text)
{
	struct http_scan s = { 0, 0 };
	long             n = http_head_scan(&s, text, strlen(text),
	    HTTP_MAX_LINE, HTTP_MAX_HEAD);

	if (n < 0)
		return (int)-n;
	if (n == 0)
		return -1;
	return http_parse_request(text, (size_t)n, &req);
}

static int
parse_resp(const char *text)
{
	struct http_scan s = { 0, 0 };
	long             n = http_head_scan(&s, text, strlen(text),
	    HTTP_MAX_HEAD, HTTP_MAX_HEAD);

	if (n <= 0)
		return -1;
	return http_parse_response(text, (size_t)n, &resp);
}

static char *
span(const char *buf, struct http_span s)
{
	static char out[4][512];
	static int  k;
	char       *o = out[k++ % 4];

	snprintf(o, sizeof(out[0]), "%.*s", (int)s.len, buf + s.off);
	return o;
}

static void
test_scan(void)
{
	const char      *t = "GET / HTTP/1.1\r\nHost: a\r\n\r\nNEXT";
	struct http_scan s = { 0, 0 };
	size_t           full = strlen(t) - 4;
	char            *big;

	/* byte by byte: incomplete until the empty line, then its length */
	for (size_t n = 1; n <= strlen(t); n++) {
		long r = http_head_scan(&s, t, n, HTTP_MAX_LINE, HTTP_MAX_HEAD);

		if (n < full)
			CHECK_EQ_INT(r, 0);
		else {
			CHECK_EQ_INT(r, (long)full);
			break;
		}
	}
	s = (struct http_scan){ 0, 0 };
	CHECK_EQ_INT(http_head_scan(&s, "GET / HTTP/1.0\n\n", 16, 100, 1000),
	    16);
	s = (struct http_scan){ 0, 0 };
	CHECK_EQ_INT(http_head_scan(&s, "GET / HTTP/1.0\nA: b\r\n\r\nx", 24,
	    100, 1000), 23);
	/* first line too long, with or without its LF yet */
	s = (struct http_scan){ 0, 0 };
	CHECK_EQ_INT(http_head_scan(&s, "GET /aaaaaaaaaa HTTP/1.1\r\n", 26,
	    10, 1000), -HTTP_E_LONGLINE);
	s = (struct http_scan){ 0, 0 };
	CHECK_EQ_INT(http_head_scan(&s, "GET /aaaaaaaaaa", 15, 10, 1000),
	    -HTTP_E_LONGLINE);
	/* exactly at the limit is fine */
	s = (struct http_scan){ 0, 0 };
	CHECK_EQ_INT(http_head_scan(&s, "0123456789\r\n\r\n", 14, 10, 1000),
	    14);
	s = (struct http_scan){ 0, 0 };
	CHECK_EQ_INT(http_head_scan(&s, "0123456789\r\nA: b\r\n\r\n", 20, 10,
	    1000), 20);
	/* header block over the limit */
	big = malloc(HTTP_MAX_HEAD + 100);
	memcpy(big, "GET / HTTP/1.1\r\n", 16);
	/* whole 10-byte lines only: the buffer's size need not be a
	 * multiple of 10 past the request line */
	for (size_t i = 16; i + 10 <= HTTP_MAX_HEAD + 100; i += 10)
		memcpy(big + i, "X-A: 1234\n", 10);
	s = (struct http_scan){ 0, 0 };
	CHECK_EQ_INT(http_head_scan(&s, big, HTTP_MAX_HEAD + 96, HTTP_MAX_LINE,
	    HTTP_MAX_HEAD), -HTTP_E_BIGHEAD);
	s = (struct http_scan){ 0, 0 };
	CHECK_EQ_INT(http_head_scan(&s, big, HTTP_MAX_HEAD - 4, HTTP_MAX_LINE,
	    HTTP_MAX_HEAD), 0);
	free(big);
}

struct good_req {
	const char      *text;
	enum http_method method;
	enum http_form   form;
	const char      *host;
	unsigned         port;
	const char      *path;
};

static void
test_request_good(void)
{
	static const struct good_req t[] = {
		{ "GET http://example.com/a?b=c HTTP/1.1\r\n\r\n",
		  HTTP_M_GET, HTTP_FORM_ABSOLUTE, "example.com", 80, "/a?b=c" },
		{ "GET http://Example.COM:8080 HTTP/1.1\r\n\r\n",
		  HTTP_M_GET, HTTP_FORM_ABSOLUTE, "Example.COM", 8080, "" },
		{ "HEAD HTTP://h:1/ HTTP/1.0\r\n\r\n",
		  HTTP_M_HEAD, HTTP_FORM_ABSOLUTE, "h", 1, "/" },
		{ "POST http://[::1]:3128/x HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
		  HTTP_M_POST, HTTP_FORM_ABSOLUTE, "::1", 3128, "/x" },
		{ "PUT http://[2001:db8::1]/ HTTP/1.1\r\n\r\n",
		  HTTP_M_PUT, HTTP_FORM_ABSOLUTE, "2001:db8::1", 80, "/" },
		{ "DELETE http://h.example:/x HTTP/1.1\r\n\r\n",
		  HTTP_M_OTHER, HTTP_FORM_ABSOLUTE, "h.example", 80, "/x" },
		{ "GET http://1.2.3.4:65535?q HTTP/1.1\r\n\r\n",
		  HTTP_M_GET, HTTP_FORM_ABSOLUTE, "1.2.3.4", 65535, "?q" },
		{ "CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n",
		  HTTP_M_CONNECT, HTTP_FORM_AUTHORITY, "example.com", 443, "" },
		{ "CONNECT [::1]:22 HTTP/1.0\r\n\r\n",
		  HTTP_M_CONNECT, HTTP_FORM_AUTHORITY, "::1", 22, "" },
		{ "GET /x HTTP/1.1\r\nHost: origin.test:81\r\n\r\n",
		  HTTP_M_GET, HTTP_FORM_ORIGIN, "origin.test", 81, "/x" },
		{ "GET / HTTP/1.1\nhost:   o_1.test \n\n",
		  HTTP_M_GET, HTTP_FORM_ORIGIN, "o_1.test", 80, "/" },
		{ "OPTIONS * HTTP/1.1\r\nHost: o\r\n\r\n",
		  HTTP_M_OTHER, HTTP_FORM_ASTERISK, "o", 80, "*" },
		{ "PATCH http://h/\xc3\xa9 HTTP/1.1\r\n\r\n",
		  HTTP_M_OTHER, HTTP_FORM_ABSOLUTE, "h", 80, "/\xc3\xa9" },
		{ "get http://h/ HTTP/1.1\r\n\r\n",   /* methods are case-sensitive */
		  HTTP_M_OTHER, HTTP_FORM_ABSOLUTE, "h", 80, "/" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse_req(t[i].text);

		CHECK_EQ_INT(rc, 0);
		if (rc != 0) {
			fprintf(stderr, "  request %zu: %s\n", i, t[i].text);
			continue;
		}
		CHECK_EQ_INT(req.method, t[i].method);
		CHECK_EQ_INT(req.form, t[i].form);
		CHECK_STREQ(span(t[i].text, req.host), t[i].host);
		CHECK_EQ_INT(req.port, t[i].port);
		CHECK_STREQ(span(t[i].text, req.path), t[i].path);
	}
	CHECK_EQ_INT(parse_req("GET http://[::1]/ HTTP/1.1\r\n\r\n"), 0);
	CHECK(req.host_v6);
	CHECK_STREQ(span("GET http://[::1]/ HTTP/1.1\r\n\r\n", req.authority),
	    "[::1]");
	CHECK_EQ_INT(req.m.vmajor, 1);
	CHECK_EQ_INT(req.m.vminor, 1);
}

static void
test_request_fields(void)
{
	const char *t;

	t = "POST http://h/ HTTP/1.1\r\nContent-Length: 42\r\n"
	    "Content-Length: 42\r\n\r\n";
	CHECK_EQ_INT(parse_req(t), 0);
	CHECK_EQ_INT(req.m.content_length, 42);
	CHECK_EQ_INT(http_req_body(&req), HTTP_BODY_LENGTH);
	t = "POST http://h/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
	CHECK_EQ_INT(parse_req(t), 0);
	CHECK(req.m.chunked);
	CHECK_EQ_INT(http_req_body(&req), HTTP_BODY_CHUNKED);
	t = "POST http://h/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
	    "Transfer-Encoding: Chunked\r\n\r\n";
	CHECK_EQ_INT(parse_req(t), 0);
	CHECK(req.m.chunked);
	t = "GET http://h/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
	CHECK_EQ_INT(parse_req(t), 0);
	CHECK_EQ_INT(http_req_body(&req), HTTP_BODY_NONE);
	t = "GET http://h/ HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
	CHECK_EQ_INT(parse_req(t), 0);
	CHECK(req.m.conn_keepalive && !req.m.conn_close);
	t = "GET http://h/ HTTP/1.1\r\nProxy-Connection: close\r\n\r\n";
	CHECK_EQ_INT(parse_req(t), 0);
	CHECK(req.m.conn_close);
	t = "GET http://h/ HTTP/1.1\r\nConnection: foo, close\r\nFoo: 1\r\n"
	    "Bar: 2\r\nProxy-Authorization: Basic dTpw\r\n\r\n";
	CHECK_EQ_INT(parse_req(t), 0);
	CHECK(req.m.conn_close);
	CHECK_EQ_INT(req.m.nhdrs, 4);
	CHECK(req.m.hdrs[0].flags & HTTP_HDR_DROP);      /* Connection */
	CHECK(req.m.hdrs[1].flags & HTTP_HDR_DROP);      /* Foo, named */
	CHECK(!(req.m.hdrs[2].flags & HTTP_HDR_DROP));   /* Bar */
	CHECK(req.m.hdrs[3].flags & HTTP_HDR_DROP);      /* Proxy-Auth */
	CHECK_EQ_INT(req.proxy_auth, 3);
	CHECK_STREQ(span(t, req.m.hdrs[3].value), "Basic dTpw");
	/* a Connection token never removes the framing fields */
	t = "POST http://h/ HTTP/1.1\r\nConnection: content-length, host\r\n"
	    "Content-Length: 1\r\n\r\n";
	CHECK_EQ_INT(parse_req(t), 0);
	CHECK(!(req.m.hdrs[1].flags & HTTP_HDR_DROP));
}

struct bad_req {
	const char *text;
	int         code;
};

static void
test_request_bad(void)
{
	static const struct bad_req t[] = {
		{ "GET\r\n\r\n", HTTP_E_LINE },
		{ "GET http://h/\r\n\r\n", HTTP_E_LINE },           /* HTTP/0.9 */
		{ "GET  http://h/ HTTP/1.1\r\n\r\n", HTTP_E_LINE },
		{ "GET http://h/ HTTP/1.1 \r\n\r\n", HTTP_E_LINE },
		{ "GET http://h/ HTTP/1.10\r\n\r\n", HTTP_E_LINE },
		{ "GET http://h/ http/1.1\r\n\r\n", HTTP_E_LINE },
		{ "G(T http://h/ HTTP/1.1\r\n\r\n", HTTP_E_LINE },
		{ " GET http://h/ HTTP/1.1\r\n\r\n", HTTP_E_LINE },
		{ "GET http://h/\x01 HTTP/1.1\r\n\r\n", HTTP_E_LINE },
		{ "GET * HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_E_LINE },
		{ "GET http://h/ HTTP/2.0\r\n\r\n", HTTP_E_VERSION },
		{ "GET http://h/ HTTP/0.9\r\n\r\n", HTTP_E_VERSION },
		{ "GET http://h\r/ HTTP/1.1\r\n\r\n", HTTP_E_LINE },
		{ "GET https://h/ HTTP/1.1\r\n\r\n", HTTP_E_UNSUPP },
		{ "GET gopher://h/f HTTP/1.1\r\n\r\n", HTTP_E_UNSUPP },
		{ "GET ftp://u@/f HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET ://h/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET h/x HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET 1ttp://h/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http:///x HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http://u:p@h/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http://h:0/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http://h:65536/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http://h:123456/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http://h:8a/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http://h!/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http://[::1/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http://[::g]/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http://[fe80::1%25eth0]/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET http://[::1]x/ HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "CONNECT h HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "CONNECT h: HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "CONNECT u@h:443 HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "CONNECT /x HTTP/1.1\r\n\r\n", HTTP_E_URL },
		{ "GET /x HTTP/1.1\r\n\r\n", HTTP_E_NOHOST },
		{ "GET /x HTTP/1.1\r\nHost:\r\n\r\n", HTTP_E_NOHOST },
		{ "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HTTP_E_URL },
		{ "GET /x HTTP/1.1\r\nHost: a b\r\n\r\n", HTTP_E_URL },
		{ "GET http://h/ HTTP/1.1\r\nNoColon\r\n\r\n", HTTP_E_HEADER },
		{ "GET http://h/ HTTP/1.1\r\nA : b\r\n\r\n", HTTP_E_HEADER },
		{ "GET http://h/ HTTP/1.1\r\n: b\r\n\r\n", HTTP_E_HEADER },
		{ "GET http://h/ HTTP/1.1\r\nA: b\r\n c\r\n\r\n", HTTP_E_HEADER },
		{ "GET http://h/ HTTP/1.1\r\nA: b\rc\r\n\r\n", HTTP_E_HEADER },
		{ "GET http://h/ HTTP/1.1\r\nA: b\x01\r\n\r\n", HTTP_E_HEADER },
		{ "GET http://h/ HTTP/1.1\r\nA\x7f: b\r\n\r\n", HTTP_E_HEADER },
		{ "POST http://h/ HTTP/1.1\r\nContent-Length: 1\r\n"
		  "Content-Length: 2\r\n\r\n", HTTP_E_FRAMING },
		{ "POST http://h/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		  HTTP_E_FRAMING },
		{ "POST http://h/ HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n",
		  HTTP_E_FRAMING },
		{ "POST http://h/ HTTP/1.1\r\nContent-Length: \r\n\r\n",
		  HTTP_E_FRAMING },
		{ "POST http://h/ HTTP/1.1\r\nContent-Length: "
		  "1234567890123456789\r\n\r\n", HTTP_E_FRAMING },
		{ "POST http://h/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
		  "Content-Length: 3\r\n\r\n", HTTP_E_FRAMING },
		{ "POST http://h/ HTTP/1.1\r\nTransfer-Encoding: chunked, gzip"
		  "\r\n\r\n", HTTP_E_FRAMING },
		{ "POST http://h/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", HTTP_E_FRAMING },
		{ "POST http://h/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
		  HTTP_E_FRAMING },
		{ "POST http://h/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		  HTTP_E_FRAMING },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse_req(t[i].text);

		CHECK_EQ_INT(rc, t[i].code);
		if (rc != t[i].code)
			fprintf(stderr, "  bad request %zu\n", i);
	}
}

static void
test_request_line(void)
{
	static const struct bad_req t[] = {
		{ "GET http://h/ HTTP/1.1\r\n", 0 },
		{ "GET /x HTTP/1.0\n", 0 },           /* Host comes later */
		{ "CONNECT h:443 HTTP/1.1\r\n", 0 },
		{ "\x16\x03\x01\x02\x00\x01\n", HTTP_E_LINE },
		{ "GET http://h/\r\n", HTTP_E_LINE },
		{ "GET https://h/ HTTP/1.1\r\n", HTTP_E_UNSUPP },
		{ "GET http://h/ HTTP/2.0\r\n", HTTP_E_VERSION },
		{ "\r\n", HTTP_E_LINE },
		{ "GET http://h/ HTTP/1.1", HTTP_E_LINE },   /* no LF yet */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_EQ_INT(http_check_request_line(t[i].text,
		    strlen(t[i].text)), t[i].code);
}

static void
test_limits(void)
{
	size_t n = HTTP_MAX_LINE + 64;
	char  *t = malloc(n + 1);
	size_t k;

	/* a request line of exactly HTTP_MAX_LINE bytes passes */
	k = (size_t)snprintf(t, n, "GET http://h/");
	memset(t + k, 'a', HTTP_MAX_LINE - k - 9);
	strcpy(t + HTTP_MAX_LINE - 9, " HTTP/1.1\r\n\r\n");
	CHECK_EQ_INT(parse_req(t), 0);
	memset(t + k, 'a', HTTP_MAX_LINE - k - 8);
	strcpy(t + HTTP_MAX_LINE - 8, " HTTP/1.1\r\n\r\n");
	CHECK_EQ_INT(parse_req(t), HTTP_E_LONGLINE);
	free(t);

	/* more than HTTP_MAX_HDRS fields */
	t = malloc(64 + 8 * (HTTP_MAX_HDRS + 1));
	k = (size_t)sprintf(t, "GET http://h/ HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_MAX_HDRS; i++)
		k += (size_t)sprintf(t + k, "A%03d:\r\n", i % 1000);
	strcpy(t + k, "\r\n");
	CHECK_EQ_INT(parse_req(t), HTTP_E_BIGHEAD);
	free(t);
}

static void
check_build_req(const char *in, bool keep, const char *want)
{
	char  *out;
	size_t n;

	CHECK_EQ_INT(parse_req(in), 0);
	out = malloc(http_req_out_size(&req));
	n = http_req_build(in, &req, keep, out);
	CHECK(n <= http_req_out_size(&req));
	out[n] = '\0';
	CHECK_STREQ(out, want);
	free(out);
}

static void
test_rewrite(void)
{
	char  *out;
	size_t n;

	check_build_req("GET http://h:8080/a?b HTTP/1.1\r\nAccept: */*\r\n"
	    "Proxy-Connection: Keep-Alive\r\nHost: wrong\r\n\r\n", true,
	    "GET /a?b HTTP/1.1\r\nHost: h:8080\r\nAccept: */*\r\n"
	    "Connection: keep-alive\r\n\r\n");
	check_build_req("GET http://h HTTP/1.0\nX:1\nkeep-alive: 300\n"
	    "TE: trailers\nUpgrade: h2c\nConnection: X-Y, upgrade\n"
	    "X-Y: 1\n\n", false,
	    "GET / HTTP/1.0\r\nHost: h\r\nX: 1\r\nConnection: close\r\n\r\n");
	check_build_req("OPTIONS http://h?q HTTP/1.1\r\n\r\n", true,
	    "OPTIONS /?q HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n");
	check_build_req("GET /p HTTP/1.1\r\nUser-Agent: t\r\nHost: o:81\r\n\r\n",
	    true, "GET /p HTTP/1.1\r\nHost: o:81\r\nUser-Agent: t\r\n"
	    "Connection: keep-alive\r\n\r\n");
	check_build_req("OPTIONS * HTTP/1.1\r\nHost: o\r\n\r\n", true,
	    "OPTIONS * HTTP/1.1\r\nHost: o\r\nConnection: keep-alive\r\n\r\n");
	check_build_req("POST http://[::1]:81/u HTTP/1.1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", true,
	    "POST /u HTTP/1.1\r\nHost: [::1]:81\r\nTransfer-Encoding: chunked"
	    "\r\nConnection: keep-alive\r\n\r\n");

	CHECK_EQ_INT(parse_resp("HTTP/1.1 200 OK\r\nConnection: close, X\r\n"
	    "X: 1\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\n\r\nhi"), 0);
	out = malloc(http_resp_out_size(&resp));
	n = http_resp_build("HTTP/1.1 200 OK\r\nConnection: close, X\r\n"
	    "X: 1\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\n\r\nhi",
	    &resp, false, out);
	CHECK(n <= http_resp_out_size(&resp));
	out[n] = '\0';
	CHECK_STREQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "Connection: close\r\n\r\n");
	free(out);
}

struct resp_case {
	const char    *text;
	int            code;
	unsigned       status;
	bool           head;
	enum http_body body;
};

static void
test_response(void)
{
	static const struct resp_case t[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 0, 200, false,
		  HTTP_BODY_LENGTH },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 0, 200, true,
		  HTTP_BODY_NONE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 200, false,
		  HTTP_BODY_NONE },
		{ "HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 200,
		  false, HTTP_BODY_CHUNKED },
		{ "HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n"
		  "Content-Length: 9\r\n\r\n", 0, 200, false, HTTP_BODY_CHUNKED },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, 200,
		  false, HTTP_BODY_CLOSE },
		{ "HTTP/1.0 200 OK\r\nServer: x\r\n\r\n", 0, 200, false,
		  HTTP_BODY_CLOSE },
		{ "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 0, 204,
		  false, HTTP_BODY_NONE },
		{ "HTTP/1.1 304 Not Modified\r\n\r\n", 0, 304, false,
		  HTTP_BODY_NONE },
		{ "HTTP/1.1 100 Continue\r\n\r\n", 0, 100, false,
		  HTTP_BODY_NONE },
		{ "HTTP/1.1 404 Not Found\nContent-Length: 3\n\n", 0, 404, false,
		  HTTP_BODY_LENGTH },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
		  "\r\n", HTTP_E_RESPONSE, 0, false, 0 },
		{ "HTTP/1.1 20 OK\r\n\r\n", HTTP_E_RESPONSE, 0, false, 0 },
		{ "HTTP/1.1 099 OK\r\n\r\n", HTTP_E_RESPONSE, 0, false, 0 },
		{ "HTTP/2.0 200 OK\r\n\r\n", HTTP_E_RESPONSE, 0, false, 0 },
		{ "HTTP/1.1 200OK\r\n\r\n", HTTP_E_RESPONSE, 0, false, 0 },
		{ "ICY 200 OK\r\n\r\n", HTTP_E_RESPONSE, 0, false, 0 },
		{ "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", HTTP_E_RESPONSE,
		  0, false, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse_resp(t[i].text);

		CHECK_EQ_INT(rc, t[i].code);
		if (rc != t[i].code)
			fprintf(stderr, "  response %zu\n", i);
		if (rc != 0 || t[i].code != 0)
			continue;
		CHECK_EQ_INT(resp.status, t[i].status);
		CHECK_EQ_INT(http_resp_body(&resp, t[i].head), t[i].body);
	}
}

/* Feed a chunked stream split at every position (and byte by byte):
 * the end is found at the same offset each time. */
static long
chunked_len(const char *body, size_t n, size_t split)
{
	struct http_chunked c;
	long                a, b;

	http_chunked_init(&c);
	if (split > n)
		split = n;
	if ((a = http_chunked_feed(&c, (const uint8_t *)body, split)) < 0)
		return -1;
	if (http_chunked_done(&c))
		return a;
	if ((b = http_chunked_feed(&c, (const uint8_t *)body + split,
	    n - split)) < 0)
		return -1;
	return http_chunked_done(&c) ? a + b : -2;
}

struct chunk_case {
	const char *text;
	long        end;   /* body length, -1 malformed, -2 incomplete */
};

static void
test_chunked(void)
{
	static const struct chunk_case t[] = {
		{ "0\r\n\r\n", 5 },
		{ "0\r\n\r\nGET / HTTP/1.1\r\n", 5 },
		{ "5\r\nhello\r\n0\r\n\r\n", 15 },
		{ "5\nhello\n0\n\n", 11 },
		{ "A;ext=1;b=\"x\"\r\n0123456789\r\n0\r\n\r\n", 32 },
		{ "a \t;x\r\n0123456789\r\n0\r\n\r\n", 24 },
		{ "1\r\nx\r\n0\r\nTrailer: v\r\nT2: w\r\n\r\nnext", 30 },
		{ "000000000000001\r\nx\r\n0\r\n\r\n", 25 },
		{ "0;last\r\n\r\n", 10 },
		{ "5\r\nhel", -2 },
		{ "0\r\n", -2 },
		{ "0\r\nT: x\r\n", -2 },
		{ "\r\n0\r\n\r\n", -1 },
		{ "g\r\n", -1 },
		{ "-1\r\n", -1 },
		{ " 1\r\nx\r\n", -1 },
		{ "1 1\r\n", -1 },
		{ "1\rx", -1 },
		{ "1\r\nxy\r\n", -1 },
		{ "1\r\nx\rx", -1 },
		{ "0000000000000001\r\nx\r\n0\r\n\r\n", -1 },
		{ "ffffffffffffffffff\r\n", -1 },
		{ "0\r\nT: x\rx", -1 },
		{ "0\r\n\rx", -1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = strlen(t[i].text);

		for (size_t s = 0; s <= n; s++) {
			long r = chunked_len(t[i].text, n, s);

			CHECK_EQ_INT(r, t[i].end);
			if (r != t[i].end) {
				fprintf(stderr, "  chunked %zu split %zu\n", i, s);
				break;
			}
		}
	}
}

static void
test_chunked_limits(void)
{
	struct http_chunked c;
	static char         buf[HTTP_TRAILER_MAX + 64];

	/* a size line with endless extensions ends in an error */
	http_chunked_init(&c);
	memset(buf, 'x', sizeof(buf));
	buf[0] = '1';
	buf[1] = ';';
	CHECK_EQ_INT(http_chunked_feed(&c, (uint8_t *)buf, HTTP_CHUNK_EXT_MAX),
	    HTTP_CHUNK_EXT_MAX);
	CHECK_EQ_INT(http_chunked_feed(&c, (uint8_t *)buf + 2, 10), -1);
	CHECK_EQ_INT(http_chunked_feed(&c, (uint8_t *)"\n", 1), -1);
	/* and so does an endless trailer */
	http_chunked_init(&c);
	CHECK_EQ_INT(http_chunked_feed(&c, (uint8_t *)"0\r\n", 3), 3);
	CHECK_EQ_INT(http_chunked_feed(&c, (uint8_t *)buf, sizeof(buf)), -1);
	/* large chunks are counted, not scanned */
	http_chunked_init(&c);
	CHECK_EQ_INT(http_chunked_feed(&c, (uint8_t *)"fffffffff\r\n", 11), 11);
	CHECK_EQ_INT(http_chunked_feed(&c, (uint8_t *)buf, sizeof(buf)),
	    (long)sizeof(buf));
	CHECK(!http_chunked_done(&c));
}

static void
test_base64(void)
{
	uint8_t out[64];
	char    u[16], p[16];

	CHECK_EQ_INT(http_base64_decode("", 0, out, sizeof(out)), 0);
	CHECK_EQ_INT(http_base64_decode("YQ==", 4, out, sizeof(out)), 1);
	CHECK(out[0] == 'a');
	CHECK_EQ_INT(http_base64_decode("YWI=", 4, out, sizeof(out)), 2);
	CHECK_EQ_INT(http_base64_decode("YWJj", 4, out, sizeof(out)), 3);
	CHECK(memcmp(out, "abc", 3) == 0);
	CHECK_EQ_INT(http_base64_decode("+/+/", 4, out, sizeof(out)), 3);
	CHECK(out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf);
	CHECK_EQ_INT(http_base64_decode("YWJj", 4, out, 2), -1);
	CHECK_EQ_INT(http_base64_decode("YQ=", 3, out, sizeof(out)), -1);
	CHECK_EQ_INT(http_base64_decode("YQ", 2, out, sizeof(out)), -1);
	CHECK_EQ_INT(http_base64_decode("YR==", 4, out, sizeof(out)), -1);
	CHECK_EQ_INT(http_base64_decode("YWJ=", 4, out, sizeof(out)), -1);
	CHECK_EQ_INT(http_base64_decode("Y===", 4, out, sizeof(out)), -1);
	CHECK_EQ_INT(http_base64_decode("YQ==YWJj", 8, out, sizeof(out)), -1);
	CHECK_EQ_INT(http_base64_decode("Y=Q=", 4, out, sizeof(out)), -1);
	CHECK_EQ_INT(http_base64_decode("YW J", 4, out, sizeof(out)), -1);
	CHECK_EQ_INT(http_base64_decode("YW-_", 4, out, sizeof(out)), -1);

	/* "user:pa:ss" */
	CHECK_EQ_INT(http_basic_credentials("Basic dXNlcjpwYTpzcw==", 22, u,
	    sizeof(u), p, sizeof(p)), 0);
	CHECK_STREQ(u, "user");
	CHECK_STREQ(p, "pa:ss");
	CHECK_EQ_INT(http_basic_credentials("basic   dTo=", 12, u, sizeof(u),
	    p, sizeof(p)), 0);
	CHECK_STREQ(u, "u");
	CHECK_STREQ(p, "");
	CHECK_EQ_INT(http_basic_credentials("Basic OnA=", 10, u, sizeof(u), p,
	    sizeof(p)), -1);                   /* ":p": empty user */
	CHECK_EQ_INT(http_basic_credentials("Basic dXNlcg==", 14, u, sizeof(u),
	    p, sizeof(p)), -1);                /* no colon */
	CHECK_EQ_INT(http_basic_credentials("Basic dQB2OnA=", 14, u, sizeof(u),
	    p, sizeof(p)), -1);                /* NUL inside */
	CHECK_EQ_INT(http_basic_credentials("Digest dTpw", 11, u, sizeof(u), p,
	    sizeof(p)), -1);
	CHECK_EQ_INT(http_basic_credentials("Basicx dTpw", 11, u, sizeof(u), p,
	    sizeof(p)), -1);
	CHECK_EQ_INT(http_basic_credentials("Basic ", 6, u, sizeof(u), p,
	    sizeof(p)), -1);
	/* "uuuuuuuuuuuuuuuu:p": the user does not fit in 16 bytes */
	CHECK_EQ_INT(http_basic_credentials("Basic dXV1dXV1dXV1dXV1dXV1dTpw",
	    30, u, sizeof(u), p, sizeof(p)), -1);
}

static void
test_errors(void)
{
	static const int map[][3] = {
		{ 1, 0, 403 }, { 3, 0, 407 }, { 4, 0, 407 }, { 6, 0, 407 },
		{ 10, 0, 503 }, { 13, 0, 502 }, { 13, 1, 504 }, { 100, 0, 502 },
		{ 21, 0, 500 }, { 31, 0, 502 }, { 92, 0, 504 }, { 511, 0, 400 },
		{ HTTP_E_NOHOST, 0, 400 }, { HTTP_E_CHUNK, 0, 400 },
		{ HTTP_E_LONGLINE, 0, 414 }, { HTTP_E_BIGHEAD, 0, 431 },
		{ HTTP_E_RESPONSE, 0, 502 }, { HTTP_E_VERSION, 0, 505 },
		{ HTTP_E_UNSUPP, 0, 501 }, { PC_E_LOOP, 0, 403 },
	};
	char        page[HTTP_ERROR_MAX];
	size_t      n;
	const char *body;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		CHECK_EQ_INT(http_error_status(map[i][0], map[i][1]),
		    map[i][2]);
	n = http_error_page(407, page, sizeof(page));
	CHECK(n > 0 && n < sizeof(page));
	CHECK(strncmp(page, "HTTP/1.0 407 Proxy Authentication Required\r\n",
	    44) == 0);
	CHECK(strstr(page, "\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\n")
	    != NULL);
	CHECK(strstr(page, "\r\nConnection: close\r\n") != NULL);
	body = strstr(page, "\r\n\r\n");
	CHECK(body != NULL);
	if (body != NULL) {
		const char *cl = strstr(page, "Content-Length: ");

		CHECK(cl != NULL && cl < body);
		if (cl != NULL)
			CHECK_EQ_INT(atoi(cl + 16), (long)(page + n - body - 4));
	}
	n = http_error_page(502, page, sizeof(page));
	CHECK(strncmp(page, "HTTP/1.0 502 Bad Gateway\r\n", 26) == 0);
	CHECK(strstr(page, "Proxy-Authenticate") == NULL);
	CHECK_EQ_INT(http_error_page(502, page, 10), 0);
}

/* ftp:// URLs (FTP over HTTP, worker/proto/http/http_ftp.c): port 21 by default,
 * the userinfo split at the last '@' and kept apart from the host. */
static void
test_request_ftp(void)
{
	const char *t = "GET ftp://u:p@w@[::1]:2121/d/f.txt HTTP/1.1\r\n\r\n";

	CHECK_EQ_INT(parse_req("GET ftp://h/f HTTP/1.1\r\n\r\n"), 0);
	CHECK(req.ftp);
	CHECK_EQ_INT(req.port, 21);
	CHECK_EQ_INT(req.userinfo.len, 0);
	CHECK_EQ_INT(parse_req(t), 0);
	CHECK(req.ftp && req.host_v6);
	CHECK_EQ_INT(req.port, 2121);
	CHECK(req.userinfo.len == 5 && memcmp(t + req.userinfo.off, "u:p@w",
	    5) == 0);
	CHECK(req.host.len == 3 && memcmp(t + req.host.off, "::1", 3) == 0);
	CHECK(req.path.len == 8 && memcmp(t + req.path.off, "/d/f.txt",
	    8) == 0);
	CHECK_EQ_INT(parse_req("GET http://h/ HTTP/1.1\r\n\r\n"), 0);
	CHECK(!req.ftp);
}

/* What the origin learns of the client: 3proxy's -a options. */
static void
test_ident(void)
{
	struct pc_addr a;
	char           out[HTTP_IDENT_MAX];

	CHECK(pc_addr_parse("192.0.2.7", &a) == 0);
	a.port = 40000;
	CHECK(http_ident_lines(0, &a, 3128, "gw", 0, out, sizeof(out)) > 0);
	CHECK_STREQ(out, "Forwarded: for=192.0.2.7:40000;by=gw:3128\r\n");
	CHECK_EQ_INT(http_ident_lines(1, &a, 3128, "gw", 0, out,
	    sizeof(out)), 0);
	CHECK_STREQ(out, "");
	CHECK(http_ident_lines(2, &a, 3128, "gw", 0x0a000102u, out,
	    sizeof(out)) > 0);
	CHECK_STREQ(out, "Via: 1.1 gw:3128 (portcullis)\r\n"
	    "X-Forwarded-For: 10.0.1.2\r\n");
	CHECK(http_ident_lines(3, &a, 3128, "gw", 0x0a000102u, out,
	    sizeof(out)) > 0);
	CHECK_STREQ(out, "Via: 1.1 gw:3128 (portcullis)\r\n"
	    "X-Forwarded-For: 192.0.2.7\r\n");
	CHECK(pc_addr_parse("2001:db8::1", &a) == 0);
	a.port = 5;
	CHECK(http_ident_lines(0, &a, 80, "gw", 0, out, sizeof(out)) > 0);
	CHECK_STREQ(out, "Forwarded: for=\"[2001:db8::1]:5\";by=gw:80\r\n");
	/* too small: nothing, never a cut line */
	CHECK_EQ_INT(http_ident_lines(0, &a, 80, "gw", 0, out, 20), 0);
	CHECK_STREQ(out, "");
	CHECK_EQ_INT(http_ident_lines(9, &a, 80, "gw", 0, out, sizeof(out)),
	    0);
}

int
main(void)
{
	test_ident();
	test_request_ftp();
	test_scan();
	test_request_good();
	test_request_fields();
	test_request_bad();
	test_request_line();
	test_limits();
	test_rewrite();
	test_response();
	test_chunked();
	test_chunked_limits();
	test_base64();
	test_errors();
	return check_summary("test_http_parse");
}
