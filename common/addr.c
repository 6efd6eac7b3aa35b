/*
 * Textual and sockaddr forms of struct pc_addr.  inet_pton only: no name
 * resolution here (workers must never reach glibc's resolver).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

/* Accept "[v6]" as well as the bare form
 * (docs/3proxy-differences.md, decision 9). */
int
pc_addr_parse(const char *s, struct pc_addr *a)
{
	char   tmp[64];
	size_t n = strlen(s);

	memset(a, 0, sizeof(*a));
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		if (n - 2 >= sizeof(tmp))
			return -1;
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, a->ip) != 1)
			return -1;
		a->family = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, s, a->ip) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->ip) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	long  v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
pc_addr_parse_port(const char *s, struct pc_addr *a)
{
	char        tmp[64];
	const char *colon;
	uint16_t    port;
	size_t      n;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		/* a bare IPv6 address has several colons and no port */
		if (colon == NULL || memchr(s, ':', colon - s) != NULL)
			return -1;
	}
	n = colon - s;
	if (n == 0 || n >= sizeof(tmp) || parse_port(colon + 1, &port) != 0)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (pc_addr_parse(tmp, a) != 0)
		return -1;
	a->port = port;
	return 0;
}

static size_t
family_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* Set the host part (bits after plen) of ip to all zeros or all ones. */
static void
fill_host_bits(uint8_t *ip, size_t len, unsigned plen, int ones)
{
	for (size_t i = 0; i < len; i++) {
		unsigned bit0 = i * 8;
		uint8_t  mask;

		if (plen >= bit0 + 8)
			continue;
		mask = plen <= bit0 ? 0xff : (uint8_t)(0xff >> (plen - bit0));
		ip[i] = ones ? (ip[i] | mask) : (ip[i] & ~mask);
	}
}

int
pc_addrrange_parse(const char *s, struct pc_addrrange *r)
{
	char           tmp[128];
	const char    *sep;
	struct pc_addr a, b;
	size_t         n = strlen(s), len;

	memset(r, 0, sizeof(*r));
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n + 1);
	if ((sep = strchr(tmp, '/')) != NULL) {
		char *end;
		long  plen;

		tmp[sep - tmp] = '\0';
		if (pc_addr_parse(tmp, &a) != 0 || sep[1] == '\0')
			return -1;
		plen = strtol(sep + 1, &end, 10);
		len = family_len(a.family);
		if (*end != '\0' || plen < 0 || (size_t)plen > len * 8)
			return -1;
		r->family = a.family;
		memcpy(r->lo, a.ip, len);
		memcpy(r->hi, a.ip, len);
		fill_host_bits(r->lo, len, (unsigned)plen, 0);
		fill_host_bits(r->hi, len, (unsigned)plen, 1);
		return 0;
	}
	if ((sep = strchr(tmp, '-')) != NULL) {
		tmp[sep - tmp] = '\0';
		if (pc_addr_parse(tmp, &a) != 0 || pc_addr_parse(sep + 1, &b) != 0)
			return -1;
		len = family_len(a.family);
		if (a.family != b.family || memcmp(a.ip, b.ip, len) > 0)
			return -1;
		r->family = a.family;
		memcpy(r->lo, a.ip, len);
		memcpy(r->hi, b.ip, len);
		return 0;
	}
	if (pc_addr_parse(tmp, &a) != 0)
		return -1;
	r->family = a.family;
	len = family_len(a.family);
	memcpy(r->lo, a.ip, len);
	memcpy(r->hi, a.ip, len);
	return 0;
}

/* An IPv4-mapped IPv6 client (::ffff:a.b.c.d) matches IPv4 ranges. */
int
pc_addrrange_contains(const struct pc_addrrange *r, const struct pc_addr *a)
{
	static const uint8_t v4mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *ip = a->ip;
	uint8_t        fam = a->family;
	size_t         len;

	if (fam == AF_INET6 && r->family == AF_INET &&
	    memcmp(ip, v4mapped, sizeof(v4mapped)) == 0) {
		ip += 12;
		fam = AF_INET;
	}
	if (fam != r->family)
		return 0;
	len = family_len(fam);
	return memcmp(ip, r->lo, len) >= 0 && memcmp(ip, r->hi, len) <= 0;
}

int
pc_addr_is_any(const struct pc_addr *a)
{
	static const uint8_t zero[16];

	if (a->family != AF_INET && a->family != AF_INET6)
		return 0;
	return memcmp(a->ip, zero, family_len(a->family)) == 0;
}

int
pc_addr_equal(const struct pc_addr *a, const struct pc_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return 0;
	if (a->family == 0)
		return 1;
	return memcmp(a->ip, b->ip, family_len(a->family)) == 0;
}

void
pc_addr_from_sockaddr(struct pc_addr *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		a->family = AF_INET;
		a->port = ntohs(sin->sin_port);
		memcpy(a->ip, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		a->family = AF_INET6;
		a->port = ntohs(sin6->sin6_port);
		memcpy(a->ip, &sin6->sin6_addr, 16);
	}
}

socklen_t
pc_addr_to_sockaddr(const struct pc_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->ip, 4);
		return sizeof(*sin);
	}
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (void *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->ip, 16);
		return sizeof(*sin6);
	}
	return 0;
}

const char *
pc_addr_ntop(const struct pc_addr *a, char *buf, size_t len)
{
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, a->ip, buf, len) == NULL) {
		if (len > 0)
			snprintf(buf, len, "0.0.0.0");
	}
	return buf;
}
