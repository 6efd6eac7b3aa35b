/*
 * Fuzz target: the HTTP proxy's parsers on arbitrary bytes.  The input is
 * used as a request head, a response head, a chunked body and Basic
 * credentials.  Besides not crashing, the results must not depend on how
 * the bytes were split across reads, every span must lie inside the head,
 * and a rebuilt head must fit the size the rewriter promised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/http_body.h"
#include "worker/wire/http_parse.h"
#include "worker/wire/http_rewrite.h"

static void
check_span(struct http_span s, size_t len)
{
	if ((size_t)s.off + s.len > len)
		abort();
}

static void
check_msg(const struct http_msg *m)
{
	check_span(m->line, m->head_len);
	if (m->nhdrs > HTTP_MAX_HDRS)
		abort();
	for (uint32_t i = 0; i < m->nhdrs; i++) {
		check_span(m->hdrs[i].name, m->head_len);
		check_span(m->hdrs[i].value, m->head_len);
	}
}

/* Scanning in two pieces finds the same end as scanning at once. */
static long
scan(const char *p, size_t n, size_t maxline)
{
	struct http_scan a = { 0, 0 }, b = { 0, 0 };
	size_t           cut = n ? (uint8_t)p[0] % (n + 1) : 0;
	long             whole = http_head_scan(&a, p, n, maxline, 4096);
	long             part = http_head_scan(&b, p, cut, maxline, 4096);

	if (part == 0)
		part = http_head_scan(&b, p, n, maxline, 4096);
	if (whole != part || whole > (long)n)
		abort();
	return whole;
}

static void
fuzz_request(const char *p, size_t n)
{
	static struct http_req r;
	long                   len = scan(p, n, 512);
	char                   user[64], pass[64], *out;
	size_t                 o;

	if (len <= 0 || http_parse_request(p, (size_t)len, &r) != 0)
		return;
	check_msg(&r.m);
	check_span(r.host, (size_t)len);
	check_span(r.authority, (size_t)len);
	check_span(r.path, (size_t)len);
	if (r.host.len == 0 || r.port == 0)
		abort();
	if (r.proxy_auth >= 0)
		http_basic_credentials(p + r.m.hdrs[r.proxy_auth].value.off,
		    r.m.hdrs[r.proxy_auth].value.len, user, sizeof(user), pass,
		    sizeof(pass));
	if (r.form == HTTP_FORM_AUTHORITY || (out = malloc(
	    http_req_out_size(&r))) == NULL)
		return;
	o = http_req_build(p, &r, n & 1, out);
	if (o > http_req_out_size(&r))
		abort();
	free(out);
}

static void
fuzz_response(const char *p, size_t n)
{
	static struct http_resp r;
	long                    len = scan(p, n, 4096);
	char                   *out;
	size_t                  o;

	if (len <= 0 || http_parse_response(p, (size_t)len, &r) != 0)
		return;
	check_msg(&r.m);
	(void)http_resp_body(&r, n & 2);
	if ((out = malloc(http_resp_out_size(&r))) == NULL)
		return;
	o = http_resp_build(p, &r, n & 1, out);
	if (o > http_resp_out_size(&r))
		abort();
	free(out);
}

/* Whole versus pieces of sizes taken from the input itself. */
static void
fuzz_chunked(const uint8_t *p, size_t n)
{
	struct http_chunked a, b;
	long                whole, sum = 0, k = 0;
	size_t              i = 0, j = 0;

	http_chunked_init(&a);
	http_chunked_init(&b);
	whole = http_chunked_feed(&a, p, n);
	while (i < n) {
		size_t step = 1 + p[j++ % n] % 7;

		if (step > n - i)
			step = n - i;
		if ((k = http_chunked_feed(&b, p + i, step)) < 0)
			break;
		sum += k;
		i += step;
		if (http_chunked_done(&b))
			break;
	}
	if ((whole < 0) != (k < 0) || (whole >= 0 && whole != sum) ||
	    http_chunked_done(&a) != http_chunked_done(&b))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[128];
	char    user[32], pass[32];

	(void)http_check_request_line((const char *)data, size);
	fuzz_request((const char *)data, size);
	fuzz_response((const char *)data, size);
	fuzz_chunked(data, size);
	if (http_base64_decode((const char *)data, size, out, sizeof(out)) >
	    (long)sizeof(out))
		abort();
	http_basic_credentials((const char *)data, size, user, sizeof(user),
	    pass, sizeof(pass));
	return 0;
}
