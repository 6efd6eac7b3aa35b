/* Unit tests of the TLS ClientHello reader (worker/wire/tls_hello.c): a
 * hello cut at every length, split over records, without SNI, with
 * GREASE and TLS 1.3 versions, and malformed ones. */
#include <stdint.h>
#include <string.h>

#include "tests/unit/check.h"
#include "worker/wire/tls_hello.h"

static size_t
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* A ClientHello body with the given SNI (NULL: none), TLS 1.3 in
 * supported_versions when v13, ALPN "h2". */
static size_t
hello_body(uint8_t *b, const char *sni, int v13)
{
	size_t n = 0, e;

	b[n++] = 3; b[n++] = 3;
	memset(b + n, 0xab, 32); n += 32;
	b[n++] = 0;                                  /* session id */
	n += put16(b + n, 4);
	b[n++] = 0x13; b[n++] = 0x01; b[n++] = 0x00; b[n++] = 0x2f;
	b[n++] = 1; b[n++] = 0;                      /* compression */
	e = n;
	n += 2;
	if (sni != NULL) {
		size_t l = strlen(sni);

		n += put16(b + n, 0);
		n += put16(b + n, l + 5);
		n += put16(b + n, l + 3);
		b[n++] = 0;
		n += put16(b + n, l);
		memcpy(b + n, sni, l);
		n += l;
	}
	if (v13) {
		n += put16(b + n, 43);
		n += put16(b + n, 7);
		b[n++] = 6;
		b[n++] = 0x3a; b[n++] = 0x3a;        /* GREASE */
		b[n++] = 3; b[n++] = 4;
		b[n++] = 3; b[n++] = 3;
	}
	n += put16(b + n, 16);
	n += put16(b + n, 5);
	n += put16(b + n, 3);
	b[n++] = 2; b[n++] = 'h'; b[n++] = '2';
	put16(b + e, n - e - 2);
	return n;
}

/* Handshake message in records of at most recmax bytes each. */
static size_t
records(uint8_t *out, const uint8_t *body, size_t blen, size_t recmax)
{
	uint8_t msg[2048];
	size_t  mlen = blen + 4, n = 0;

	msg[0] = 1; msg[1] = 0;
	put16(msg + 2, blen);
	memcpy(msg + 4, body, blen);
	for (size_t off = 0; off < mlen; off += recmax) {
		size_t k = mlen - off < recmax ? mlen - off : recmax;

		out[n++] = 22; out[n++] = 3; out[n++] = 1;
		n += put16(out + n, k);
		memcpy(out + n, msg + off, k);
		n += k;
	}
	return n;
}

static void
test_whole_and_cut(void)
{
	uint8_t          body[1024], rec[2048];
	struct tls_hello h;
	size_t           bl = hello_body(body, "www.example.com", 1);
	size_t           rl = records(rec, body, bl, 16384);
	char             v[16];

	CHECK_EQ_INT(tls_hello_parse(rec, rl, &h), rl);
	CHECK_STREQ(h.sni, "www.example.com");
	CHECK_STREQ(h.alpn, "h2");
	CHECK_STREQ(tls_version_name(&h, v, sizeof(v)), "TLSv1.3");
	for (size_t i = 0; i < rl; i++)
		CHECK_EQ_INT(tls_hello_parse(rec, i, &h), 0);
	/* application bytes after the hello are not part of it */
	rec[rl] = 23;
	CHECK_EQ_INT(tls_hello_parse(rec, rl + 1, &h), rl);
}

static void
test_split_records(void)
{
	uint8_t          body[1024], rec[4096];
	struct tls_hello h;
	size_t           bl = hello_body(body, "a.b", 0);
	char             v[16];

	for (size_t m = 1; m < bl + 4; m += 7) {
		size_t rl = records(rec, body, bl, m);

		CHECK_EQ_INT(tls_hello_parse(rec, rl, &h), rl);
		CHECK_STREQ(h.sni, "a.b");
		for (size_t i = 0; i < rl; i += 3)
			CHECK_EQ_INT(tls_hello_parse(rec, i, &h), 0);
	}
	CHECK_EQ_INT(tls_hello_parse(rec, records(rec, body, bl, 9), &h) > 0,
	    1);
	CHECK_STREQ(tls_version_name(&h, v, sizeof(v)), "TLSv1.2");
}

static void
test_no_sni(void)
{
	uint8_t          body[1024], rec[2048];
	struct tls_hello h;
	size_t           rl = records(rec, body, hello_body(body, NULL, 0),
	    16384);

	CHECK_EQ_INT(tls_hello_parse(rec, rl, &h), rl);
	CHECK_STREQ(h.sni, "");
}

static void
test_malformed(void)
{
	uint8_t          body[1024], rec[2048];
	struct tls_hello h;
	size_t           bl, rl;

	CHECK_EQ_INT(tls_hello_parse((const uint8_t *)"GET / HTTP/1.1", 14,
	    &h), -TLS_E_NOTTLS);
	CHECK_EQ_INT(tls_hello_parse((const uint8_t *)"\x16\x02", 2, &h),
	    -TLS_E_NOTTLS);
	/* zero-length record */
	CHECK_EQ_INT(tls_hello_parse((const uint8_t *)"\x16\x03\x01\x00\x00",
	    5, &h), -TLS_E_RECORD);
	/* a ServerHello */
	CHECK_EQ_INT(tls_hello_parse((const uint8_t *)
	    "\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9, &h), -TLS_E_TYPE);
	/* a hello longer than the limit */
	CHECK_EQ_INT(tls_hello_parse((const uint8_t *)
	    "\x16\x03\x01\x00\x04\x01\x01\x00\x00", 9, &h), -TLS_E_BIG);
	/* a name with a control character */
	bl = hello_body(body, "bad\nname", 0);
	rl = records(rec, body, bl, 16384);
	CHECK_EQ_INT(tls_hello_parse(rec, rl, &h), -TLS_E_SNI);
	/* every truncation of the body inside a consistent record */
	bl = hello_body(body, "x.y", 1);
	for (size_t i = 0; i < bl; i++) {
		long r;

		rl = records(rec, body, i, 16384);
		r = tls_hello_parse(rec, rl, &h);
		CHECK(r < 0 || (r == (long)rl && h.sni[0] == '\0'));
	}
	/* a record of another type in the middle */
	bl = hello_body(body, "x.y", 0);
	rl = records(rec, body, bl, 20);
	rec[25] = 23;
	CHECK_EQ_INT(tls_hello_parse(rec, rl, &h), -TLS_E_RECORD);
}

int
main(void)
{
	test_whole_and_cut();
	test_split_records();
	test_no_sni();
	test_malformed();
	return check_summary("tls_hello");
}
