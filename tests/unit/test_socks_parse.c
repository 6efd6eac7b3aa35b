/* Unit tests of the SOCKS wire formats (worker/wire/socks_parse.c): every
 * message complete, cut at every length (must ask for more, never fail or
 * read past), and malformed. */
#include <arpa/inet.h>
#include <string.h>

#include "tests/unit/check.h"
#include "worker/wire/socks_parse.h"

#define B(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

typedef long parse_fn(const uint8_t *, size_t, void *);

static long
greet(const uint8_t *p, size_t n, void *o)
{
	return socks5_parse_greeting(p, n, o);
}

static long
userpass(const uint8_t *p, size_t n, void *o)
{
	return socks5_parse_userpass(p, n, o);
}

static long
req5(const uint8_t *p, size_t n, void *o)
{
	return socks5_parse_request(p, n, o);
}

static long
req4(const uint8_t *p, size_t n, void *o)
{
	return socks4_parse_request(p, n, o);
}

/* Every proper prefix gives 0 (or the same error early), the whole gives
 * want; returns what the whole message gave. */
static long
prefixes(parse_fn *fn, const uint8_t *p, size_t n, long want, void *out)
{
	for (size_t k = 0; k < n; k++) {
		long r = fn(p, k, out);

		if (want > 0)
			CHECK_EQ_INT(r, 0);
		else
			CHECK(r == 0 || r == want);
	}
	return fn(p, n, out);
}

static void
test_version(void)
{
	CHECK_EQ_INT(socks_version(4), 4);
	CHECK_EQ_INT(socks_version(5), 5);
	CHECK_EQ_INT(socks_version(0), -SOCKS_E_VERSION);
	CHECK_EQ_INT(socks_version('G'), -SOCKS_E_VERSION);
}

static void
test_greeting(void)
{
	struct socks5_greeting g;

	CHECK_EQ_INT(prefixes(greet, B(5, 1, 0), 3, &g), 3);
	CHECK(g.noauth && !g.userpass);
	/* only "none": accepted unless -u2 (auth refuses the request later) */
	CHECK_EQ_INT(socks5_choose_method(&g, 1), SOCKS5_METHOD_NONE);
	CHECK_EQ_INT(socks5_choose_method(&g, 0), SOCKS5_METHOD_NONE);
	CHECK_EQ_INT(socks5_choose_method(&g, 2), SOCKS5_METHOD_REFUSE);
	CHECK_EQ_INT(prefixes(greet, B(5, 2, 0, 2), 4, &g), 4);
	CHECK(g.noauth && g.userpass);
	/* 3proxy chooses username/password whenever it is offered */
	CHECK_EQ_INT(socks5_choose_method(&g, 1), SOCKS5_METHOD_USERPASS);
	CHECK_EQ_INT(socks5_choose_method(&g, 2), SOCKS5_METHOD_USERPASS);
	/* -u: never ask */
	CHECK_EQ_INT(socks5_choose_method(&g, 0), SOCKS5_METHOD_NONE);
	CHECK_EQ_INT(prefixes(greet, B(5, 3, 1, 0x80, 2), 5, &g), 5);
	CHECK(!g.noauth && g.userpass);
	CHECK_EQ_INT(prefixes(greet, B(5, 2, 1, 3), 4, &g), 4);
	CHECK_EQ_INT(socks5_choose_method(&g, 1), SOCKS5_METHOD_REFUSE);
	/* trailing bytes (the request, sent optimistically) are not eaten */
	CHECK_EQ_INT(greet((const uint8_t *)"\x05\x01\x00\x05\x01", 5, &g), 3);
	CHECK_EQ_INT(greet(B(5, 0), &g), -SOCKS_E_GREETING);
	CHECK_EQ_INT(greet(B(4, 1, 0), &g), -SOCKS_E_VERSION);
	CHECK_EQ_INT(greet(B(0x16, 3, 1), &g), -SOCKS_E_VERSION);
}

static void
test_userpass(void)
{
	struct socks5_userpass up;

	CHECK_EQ_INT(prefixes(userpass, B(1, 1, 'u', 2, 'p', 'w'), 6, &up), 6);
	CHECK_STREQ(up.user, "u");
	CHECK_STREQ(up.pass, "pw");
	CHECK_EQ_INT(prefixes(userpass, B(1, 2, 'a', 'b', 0), 5, &up), 5);
	CHECK_STREQ(up.user, "ab");
	CHECK_STREQ(up.pass, "");
	CHECK_EQ_INT(userpass(B(5, 1, 'u', 1, 'p'), &up), -SOCKS_E_AUTHMSG);
	CHECK_EQ_INT(userpass(B(1, 0, 1, 'p'), &up), -SOCKS_E_AUTHMSG);
	CHECK_EQ_INT(userpass(B(1, 2, 'u', 0, 1, 'p'), &up), -SOCKS_E_AUTHMSG);
	CHECK_EQ_INT(userpass(B(1, 1, 'u', 2, 'p', 0), &up), -SOCKS_E_AUTHMSG);
	{
		uint8_t m[3 + 255 + 255];

		m[0] = 1;
		m[1] = 255;
		memset(m + 2, 'u', 255);
		m[257] = 255;
		memset(m + 258, 'p', 255);
		CHECK_EQ_INT(prefixes(userpass, m, sizeof(m), 513, &up), 513);
		CHECK_EQ_INT(strlen(up.user), 255);
		CHECK_EQ_INT(strlen(up.pass), 255);
	}
}

static void
test_request5(void)
{
	struct socks_req r;
	char             ip[64];

	CHECK_EQ_INT(prefixes(req5, B(5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90), 10,
	    &r), 10);
	CHECK_EQ_INT(r.cmd, SOCKS_CMD_CONNECT);
	CHECK_EQ_INT(r.atyp, SOCKS_ATYP_IPV4);
	CHECK_EQ_INT(r.addr.family, AF_INET);
	CHECK_STREQ(pc_addr_ntop(&r.addr, ip, sizeof(ip)), "127.0.0.1");
	CHECK_EQ_INT(r.port, 8080);
	CHECK_EQ_INT(prefixes(req5, B(5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 1, 0, 80), 22, &r), 22);
	CHECK_EQ_INT(r.addr.family, AF_INET6);
	CHECK_STREQ(pc_addr_ntop(&r.addr, ip, sizeof(ip)), "::1");
	CHECK_EQ_INT(r.port, 80);
	CHECK_EQ_INT(prefixes(req5, B(5, 1, 0, 3, 4, 'h', '.', 't', 'k', 1, 187),
	    11, &r), 11);
	CHECK_EQ_INT(r.atyp, SOCKS_ATYP_NAME);
	CHECK_STREQ(r.host, "h.tk");
	CHECK_EQ_INT(r.addr.family, 0);
	CHECK_EQ_INT(r.port, 443);
	/* BIND and UDP ASSOCIATE parse; the handler decides */
	CHECK_EQ_INT(req5(B(5, 2, 0, 1, 0, 0, 0, 0, 0, 0), &r), 10);
	CHECK_EQ_INT(r.cmd, SOCKS_CMD_BIND);
	CHECK_EQ_INT(req5(B(5, 3, 0, 1, 0, 0, 0, 0, 0, 0), &r), 10);
	/* reserved byte is ignored */
	CHECK_EQ_INT(req5(B(5, 1, 7, 1, 1, 2, 3, 4, 0, 1), &r), 10);
	CHECK_EQ_INT(req5(B(5, 0, 0, 1, 1, 2, 3, 4, 0, 1), &r),
	    -SOCKS_E_COMMAND);
	CHECK_EQ_INT(req5(B(5, 4, 0, 1, 1, 2, 3, 4, 0, 1), &r),
	    -SOCKS_E_COMMAND);
	CHECK_EQ_INT(req5(B(5, 1, 0, 2, 1, 2, 3, 4, 0, 1), &r), -SOCKS_E_ATYP);
	CHECK_EQ_INT(req5(B(5, 1, 0, 0), &r), -SOCKS_E_ATYP);
	CHECK_EQ_INT(req5(B(5, 1, 0, 3, 0, 0, 80), &r), -SOCKS_E_NAME);
	CHECK_EQ_INT(req5(B(5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80), &r),
	    -SOCKS_E_NAME);
	CHECK_EQ_INT(req5(B(4, 1, 0, 1, 1, 2, 3, 4, 0, 1), &r),
	    -SOCKS_E_VERSION);
	{
		uint8_t m[4 + 1 + 255 + 2] = { 5, 1, 0, 3, 255 };

		memset(m + 5, 'a', 255);
		m[260] = 0;
		m[261] = 22;
		CHECK_EQ_INT(prefixes(req5, m, sizeof(m), 262, &r), 262);
		CHECK_EQ_INT(strlen(r.host), 255);
		CHECK_EQ_INT(r.port, 22);
	}
}

static void
test_request4(void)
{
	struct socks_req r;
	char             ip[64];

	CHECK_EQ_INT(prefixes(req4, B(4, 1, 0, 80, 10, 0, 0, 1, 0), 9, &r), 9);
	CHECK_EQ_INT(r.version, 4);
	CHECK_EQ_INT(r.atyp, SOCKS_ATYP_IPV4);
	CHECK_STREQ(pc_addr_ntop(&r.addr, ip, sizeof(ip)), "10.0.0.1");
	CHECK_EQ_INT(r.port, 80);
	CHECK_STREQ(r.user, "");
	CHECK_EQ_INT(prefixes(req4, B(4, 1, 0x1f, 0x90, 1, 2, 3, 4, 'b', 'o',
	    'b', 0), 12, &r), 12);
	CHECK_STREQ(r.user, "bob");
	CHECK_EQ_INT(r.port, 8080);
	/* 4a */
	CHECK_EQ_INT(prefixes(req4, B(4, 1, 0, 80, 0, 0, 0, 9, 'u', 0, 'h', '.',
	    't', 0), 14, &r), 14);
	CHECK_EQ_INT(r.atyp, SOCKS_ATYP_NAME);
	CHECK_STREQ(r.user, "u");
	CHECK_STREQ(r.host, "h.t");
	CHECK_EQ_INT(r.addr.family, 0);
	/* 0.0.0.0 is an address, not 4a */
	CHECK_EQ_INT(req4(B(4, 1, 0, 80, 0, 0, 0, 0, 0), &r), 9);
	CHECK_EQ_INT(r.atyp, SOCKS_ATYP_IPV4);
	CHECK_EQ_INT(req4(B(4, 2, 0, 80, 1, 2, 3, 4, 0), &r), 9);
	CHECK_EQ_INT(r.cmd, SOCKS_CMD_BIND);
	CHECK_EQ_INT(req4(B(4, 3, 0, 80, 1, 2, 3, 4, 0), &r), -SOCKS_E_COMMAND);
	CHECK_EQ_INT(req4(B(5, 1, 0, 80, 1, 2, 3, 4, 0), &r), -SOCKS_E_VERSION);
	CHECK_EQ_INT(req4(B(4, 1, 0, 80, 0, 0, 0, 1, 0, 0), &r), -SOCKS_E_NAME);
	{
		uint8_t m[8 + 300] = { 4, 1, 0, 80, 1, 2, 3, 4 };

		/* 255 bytes of user id + NUL fit; 256 do not */
		memset(m + 8, 'u', sizeof(m) - 8);
		m[8 + 255] = 0;
		CHECK_EQ_INT(prefixes(req4, m, 8 + 256, 264, &r), 264);
		m[8 + 255] = 'u';
		CHECK_EQ_INT(req4(m, 8 + 255, &r), 0);
		CHECK_EQ_INT(req4(m, 8 + 256, &r), -SOCKS_E_FIELD);
		CHECK_EQ_INT(req4(m, sizeof(m), &r), -SOCKS_E_FIELD);
		/* 4a host of 256 bytes */
		m[4] = m[5] = m[6] = 0;
		m[7] = 1;
		m[8] = 0;
		CHECK_EQ_INT(req4(m, sizeof(m), &r), -SOCKS_E_FIELD);
		m[9 + 255] = 0;
		CHECK_EQ_INT(req4(m, sizeof(m), &r), 265);
		CHECK_EQ_INT(strlen(r.host), 255);
	}
}

static void
test_replies(void)
{
	static const int map[][2] = {
		{ 0, 0 }, { 1, 2 }, { 3, 2 }, { 4, 2 }, { 6, 2 }, { 10, 2 },
		{ 11, 5 }, { 13, 5 }, { 21, 1 }, { 31, 4 }, { 92, 4 },
		{ 100, 4 }, { SOCKS_E_COMMAND, 7 }, { SOCKS_E_ATYP, 8 },
		{ SOCKS_E_NAME, 1 }, { PC_E_LOOP, 2 }, { 79, 4 }, { 90, 4 },
	};
	struct pc_addr a;
	uint8_t        out[22];

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		CHECK_EQ_INT(socks5_reply_code(map[i][0]), map[i][1]);
	CHECK_EQ_INT(socks5_reply(5, NULL, out), 10);
	CHECK(memcmp(out, "\x05\x05\x00\x01\0\0\0\0\0\0", 10) == 0);
	pc_addr_parse("192.0.2.7", &a);
	a.port = 0x1234;
	CHECK_EQ_INT(socks5_reply(0, &a, out), 10);
	CHECK(memcmp(out, "\x05\x00\x00\x01\xc0\x00\x02\x07\x12\x34", 10) == 0);
	CHECK_EQ_INT(socks4_reply(true, &a, out), 8);
	CHECK(memcmp(out, "\x00\x5a\x12\x34\xc0\x00\x02\x07", 8) == 0);
	CHECK_EQ_INT(socks4_reply(false, NULL, out), 8);
	CHECK(memcmp(out, "\x00\x5b\0\0\0\0\0\0", 8) == 0);
	pc_addr_parse("2001:db8::1", &a);
	a.port = 443;
	CHECK_EQ_INT(socks5_reply(0, &a, out), 22);
	CHECK(out[3] == 4 && out[4] == 0x20 && out[5] == 0x01 &&
	    out[19] == 1 && out[20] == 1 && out[21] == 0xbb);
}

static void
test_udp(void)
{
	struct socks5_udp_hdr h;
	struct pc_addr        a;
	uint8_t               out[SOCKS5_UDP_HDR_MAX];
	static const uint8_t  v4[] = "\0\0\0\x01\x7f\0\0\x01\0\x35hi";
	static const uint8_t  nm[] = "\0\0\0\x03\x03" "abc\x01\xbb" "xyz";
	static const uint8_t  frag[] = "\0\0\x01\x01\x7f\0\0\x01\0\x35";
	static const uint8_t  nul[] = "\0\0\0\x03\x03" "a\0c\x01\xbb";
	static const uint8_t  empty[] = "\0\0\0\x03\x00\x01\xbb";

	CHECK_EQ_INT(socks5_parse_udp(v4, sizeof(v4) - 1, &h), 0);
	CHECK(h.dst.family == AF_INET && h.port == 53 && h.data_off == 10);
	CHECK_EQ_INT(socks5_parse_udp(nm, sizeof(nm) - 1, &h), 0);
	CHECK(h.dst.family == 0 && strcmp(h.name, "abc") == 0 &&
	    h.port == 443 && h.data_off == 10);
	CHECK_EQ_INT(socks5_parse_udp(frag, sizeof(frag) - 1, &h), -1);
	CHECK_EQ_INT(socks5_parse_udp(nul, sizeof(nul) - 1, &h), -1);
	CHECK_EQ_INT(socks5_parse_udp(empty, sizeof(empty) - 1, &h), -1);
	CHECK_EQ_INT(socks5_parse_udp(v4, 9, &h), -1);      /* port cut */
	CHECK_EQ_INT(socks5_parse_udp(nm, 5, &h), -1);
	pc_addr_parse("127.0.0.1", &a);
	a.port = 53;
	CHECK_EQ_INT(socks5_udp_header(&a, out), 10);
	CHECK(memcmp(out + 12, v4, 10) == 0);
	pc_addr_parse("2001:db8::1", &a);
	a.port = 443;
	CHECK_EQ_INT(socks5_udp_header(&a, out), 22);
	CHECK(out[3] == 4 && out[4] == 0x20 && out[20] == 1 && out[21] == 0xbb);
}

int
main(void)
{
	test_version();
	test_greeting();
	test_userpass();
	test_request5();
	test_request4();
	test_replies();
	test_udp();
	return check_summary("test_socks_parse");
}
