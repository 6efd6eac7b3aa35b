/*
 * Fuzz target: the SOCKS message parsers on arbitrary bytes, read as one
 * client conversation (SOCKS4/4a request, or SOCKS5 greeting, RFC 1929
 * sub-negotiation and request back to back).  A complete message must
 * never be longer than the input, every shorter prefix of it must ask for
 * more, and names must stay within their bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/socks_parse.h"

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

/* Parse, then check the prefix rule; returns what the whole gave. */
static long
run(parse_fn *fn, const uint8_t *p, size_t n, void *out, void *scratch)
{
	long r = fn(p, n, out);

	if (r > (long)n)
		abort();
	if (r > 0 && fn(p, (size_t)r - 1, scratch) != 0)
		abort();
	if (r > 0 && fn(p, (size_t)r - 1 - (size_t)(p[0] % r), scratch) != 0)
		abort();
	return r;
}

static void
check_req(const struct socks_req *r)
{
	uint8_t out[22];

	if (strlen(r->host) > SOCKS_NAME_MAX ||
	    strlen(r->user) > SOCKS_NAME_MAX)
		abort();
	if (r->atyp == SOCKS_ATYP_NAME && r->host[0] == '\0')
		abort();
	if (socks5_reply(socks5_reply_code(r->port), &r->addr, out) > 22 ||
	    socks4_reply(r->port & 1, &r->addr, out) != 8)
		abort();
}

/* A SOCKS5 UDP datagram (first byte 0): in bounds, a name is 1..255
 * bytes without NUL, the data offset within the datagram, and the reply
 * header for the destination fits. */
static void
udp(const uint8_t *p, size_t n)
{
	struct socks5_udp_hdr h;
	uint8_t               out[SOCKS5_UDP_HDR_MAX];
	size_t                len;

	if (socks5_parse_udp(p, n, &h) != 0)
		return;
	if (h.data_off > n)
		abort();
	if (h.dst.family == 0) {
		len = strlen(h.name);
		if (len == 0 || len > SOCKS_NAME_MAX || p[3] != SOCKS_ATYP_NAME)
			abort();
		return;
	}
	len = socks5_udp_header(&h.dst, out);
	if ((len != 10 && len != 22) ||
	    memcmp(out + SOCKS5_UDP_HDR_MAX - len, p, len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct socks_req       r, scratch_r;
	static struct socks5_userpass up, scratch_up;
	struct socks5_greeting        g, scratch_g;
	long                          k;

	if (size > 0 && data[0] == 0) {
		udp(data, size);
		return 0;
	}
	if (size == 0 || socks_version(data[0]) < 0)
		return 0;
	if (data[0] == 4) {
		if (run(req4, data, size, &r, &scratch_r) > 0)
			check_req(&r);
		return 0;
	}
	if ((k = run(greet, data, size, &g, &scratch_g)) <= 0)
		return 0;
	data += k;
	size -= (size_t)k;
	if (socks5_choose_method(&g, size & 1) == SOCKS5_METHOD_USERPASS) {
		if ((k = run(userpass, data, size, &up, &scratch_up)) <= 0)
			return 0;
		if (strlen(up.user) == 0 || strlen(up.user) > SOCKS_NAME_MAX ||
		    strlen(up.pass) > SOCKS_NAME_MAX)
			abort();
		data += k;
		size -= (size_t)k;
	}
	if (run(req5, data, size, &r, &scratch_r) > 0)
		check_req(&r);
	return 0;
}
