/*
 * SOCKS wire formats.  Every length byte is checked against what has
 * arrived before it is used; names are bounded by their one-byte length
 * (SOCKS5) or by SOCKS_NAME_MAX (SOCKS4 NUL-terminated fields), and names
 * with a NUL inside are refused so that a truncated copy never reaches the
 * resolver or the ACL.
 */
#include <string.h>
#include <sys/socket.h>

#include "worker/wire/socks_parse.h"

int
socks_version(uint8_t first)
{
	return (first == 4 || first == 5) ? first : -SOCKS_E_VERSION;
}

long
socks5_parse_greeting(const uint8_t *p, size_t n, struct socks5_greeting *g)
{
	size_t nm;

	if (n < 1)
		return 0;
	if (p[0] != 5)
		return -SOCKS_E_VERSION;
	if (n < 2)
		return 0;
	if ((nm = p[1]) == 0)
		return -SOCKS_E_GREETING;
	if (n < 2 + nm)
		return 0;
	g->noauth = memchr(p + 2, SOCKS5_METHOD_NONE, nm) != NULL;
	g->userpass = memchr(p + 2, SOCKS5_METHOD_USERPASS, nm) != NULL;
	return (long)(2 + nm);
}

uint8_t
socks5_choose_method(const struct socks5_greeting *g, int needuser)
{
	if (g->userpass && needuser > 0)
		return SOCKS5_METHOD_USERPASS;
	if (g->noauth && needuser < 2)
		return SOCKS5_METHOD_NONE;
	return SOCKS5_METHOD_REFUSE;
}

/* A length-prefixed string at p[0]: 0 when incomplete, -1 when it holds a
 * NUL, else 1 + its length.  Copied NUL-terminated into out. */
static long
lstring(const uint8_t *p, size_t n, char *out)
{
	size_t len;

	if (n < 1)
		return 0;
	len = p[0];
	if (n < 1 + len)
		return 0;
	if (memchr(p + 1, '\0', len) != NULL)
		return -1;
	memcpy(out, p + 1, len);
	out[len] = '\0';
	return (long)(1 + len);
}

long
socks5_parse_userpass(const uint8_t *p, size_t n, struct socks5_userpass *up)
{
	long u, w;

	if (n < 1)
		return 0;
	/* RFC 1929: sub-negotiation version 1, user name of 1..255 bytes */
	if (p[0] != 1 || (n >= 2 && p[1] == 0))
		return -SOCKS_E_AUTHMSG;
	if ((u = lstring(p + 1, n - 1, up->user)) <= 0)
		return u < 0 ? -SOCKS_E_AUTHMSG : 0;
	if ((w = lstring(p + 1 + u, n - 1 - (size_t)u, up->pass)) <= 0)
		return w < 0 ? -SOCKS_E_AUTHMSG : 0;
	return 1 + u + w;
}

static void
req_init(struct socks_req *r, uint8_t version)
{
	memset(&r->addr, 0, sizeof(r->addr));
	r->version = version;
	r->cmd = 0;
	r->atyp = 0;
	r->host[0] = '\0';
	r->user[0] = '\0';
	r->port = 0;
}

long
socks5_parse_request(const uint8_t *p, size_t n, struct socks_req *r)
{
	size_t alen;
	long   k;

	if (n < 1)
		return 0;
	if (p[0] != 5)
		return -SOCKS_E_VERSION;
	if (n < 2)
		return 0;
	req_init(r, 5);
	if (p[1] < SOCKS_CMD_CONNECT || p[1] > SOCKS_CMD_UDP)
		return -SOCKS_E_COMMAND;
	r->cmd = p[1];
	if (n < 4)
		return 0;
	/* p[2] is RSV: ignored, as a receiver should */
	r->atyp = p[3];
	switch (r->atyp) {
	case SOCKS_ATYP_IPV4:
		alen = 4;
		break;
	case SOCKS_ATYP_IPV6:
		alen = 16;
		break;
	case SOCKS_ATYP_NAME:
		if ((k = lstring(p + 4, n - 4, r->host)) <= 0)
			return k < 0 ? -SOCKS_E_NAME : 0;
		if (k == 1)
			return -SOCKS_E_NAME;
		alen = (size_t)k;
		break;
	default:
		return -SOCKS_E_ATYP;
	}
	if (n < 4 + alen + 2)
		return 0;
	if (r->atyp != SOCKS_ATYP_NAME) {
		r->addr.family = alen == 4 ? AF_INET : AF_INET6;
		memcpy(r->addr.ip, p + 4, alen);
	}
	r->port = (uint16_t)(p[4 + alen] << 8 | p[5 + alen]);
	return (long)(4 + alen + 2);
}

/* A NUL-terminated field at p[0..n): 0 incomplete, -SOCKS_E_FIELD too
 * long, else its length + 1. */
static long
zstring(const uint8_t *p, size_t n, char *out)
{
	size_t         lim = n < SOCKS_NAME_MAX + 1 ? n : SOCKS_NAME_MAX + 1;
	const uint8_t *z = memchr(p, '\0', lim);

	if (z == NULL)
		return n > SOCKS_NAME_MAX ? -SOCKS_E_FIELD : 0;
	memcpy(out, p, (size_t)(z - p) + 1);
	return (long)(z - p) + 1;
}

long
socks4_parse_request(const uint8_t *p, size_t n, struct socks_req *r)
{
	long u, h;

	if (n < 1)
		return 0;
	if (p[0] != 4)
		return -SOCKS_E_VERSION;
	if (n < 2)
		return 0;
	req_init(r, 4);
	if (p[1] != SOCKS_CMD_CONNECT && p[1] != SOCKS_CMD_BIND)
		return -SOCKS_E_COMMAND;
	r->cmd = p[1];
	if (n < 8)
		return 0;
	r->port = (uint16_t)(p[2] << 8 | p[3]);
	if ((u = zstring(p + 8, n - 8, r->user)) <= 0)
		return u;
	/* 4a: 0.0.0.x with x != 0 means a host name follows the user id */
	if (p[4] == 0 && p[5] == 0 && p[6] == 0 && p[7] != 0) {
		r->atyp = SOCKS_ATYP_NAME;
		if ((h = zstring(p + 8 + u, n - 8 - (size_t)u, r->host)) <= 0)
			return h;
		if (h == 1)
			return -SOCKS_E_NAME;
		return 8 + u + h;
	}
	r->atyp = SOCKS_ATYP_IPV4;
	r->addr.family = AF_INET;
	memcpy(r->addr.ip, p + 4, 4);
	return 8 + u;
}

uint8_t
socks5_reply_code(int code)
{
	if (code == 0)
		return 0;
	if (code <= 10 || code == PC_E_LOOP)
		return 2;            /* not allowed by ruleset */
	if (code <= 19)
		return 5;            /* connection refused */
	if (code <= 29)
		return 1;            /* general failure */
	if (code <= 100)
		return 4;            /* host unreachable */
	if (code == SOCKS_E_COMMAND)
		return 7;
	if (code == SOCKS_E_ATYP)
		return 8;
	return 1;
}

size_t
socks5_reply(uint8_t rep, const struct pc_addr *bnd, uint8_t *out)
{
	size_t alen = 4;

	out[0] = 5;
	out[1] = rep;
	out[2] = 0;
	out[3] = SOCKS_ATYP_IPV4;
	memset(out + 4, 0, 4);
	if (bnd != NULL && bnd->family == AF_INET6) {
		out[3] = SOCKS_ATYP_IPV6;
		alen = 16;
	}
	if (bnd != NULL && bnd->family != 0)
		memcpy(out + 4, bnd->ip, alen);
	out[4 + alen] = bnd != NULL ? (uint8_t)(bnd->port >> 8) : 0;
	out[5 + alen] = bnd != NULL ? (uint8_t)bnd->port : 0;
	return 4 + alen + 2;
}

size_t
socks4_reply(bool granted, const struct pc_addr *bnd, uint8_t *out)
{
	memset(out, 0, 8);
	out[1] = granted ? 90 : 91;
	if (bnd != NULL && bnd->family == AF_INET) {
		out[2] = (uint8_t)(bnd->port >> 8);
		out[3] = (uint8_t)bnd->port;
		memcpy(out + 4, bnd->ip, 4);
	}
	return 8;
}

int
socks5_parse_udp(const uint8_t *p, size_t n, struct socks5_udp_hdr *h)
{
	size_t alen;

	if (n < 4 || p[0] != 0 || p[1] != 0 || p[2] != 0)
		return -1;
	memset(h, 0, sizeof(*h));
	switch (p[3]) {
	case SOCKS_ATYP_IPV4:
		alen = 4;
		h->dst.family = AF_INET;
		break;
	case SOCKS_ATYP_IPV6:
		alen = 16;
		h->dst.family = AF_INET6;
		break;
	case SOCKS_ATYP_NAME:
		if (n < 5 || p[4] == 0)
			return -1;
		alen = 1u + p[4];
		break;
	default:
		return -1;
	}
	if (n < 4 + alen + 2)
		return -1;
	h->port = (uint16_t)(p[4 + alen] << 8 | p[4 + alen + 1]);
	h->data_off = 4 + alen + 2;
	if (p[3] != SOCKS_ATYP_NAME) {
		memcpy(h->dst.ip, p + 4, alen);
		h->dst.port = h->port;
		return 0;
	}
	if (memchr(p + 5, 0, p[4]) != NULL)
		return -1;
	memcpy(h->name, p + 5, p[4]);
	h->name[p[4]] = '\0';
	return 0;
}

size_t
socks5_udp_header(const struct pc_addr *src, uint8_t out[SOCKS5_UDP_HDR_MAX])
{
	size_t   h = src->family == AF_INET6 ? 22 : 10;
	uint8_t *b = out + SOCKS5_UDP_HDR_MAX - h;

	b[0] = 0;
	b[1] = 0;
	b[2] = 0;
	b[3] = src->family == AF_INET6 ? SOCKS_ATYP_IPV6 : SOCKS_ATYP_IPV4;
	memcpy(b + 4, src->ip, h - 6);
	b[h - 2] = (uint8_t)(src->port >> 8);
	b[h - 1] = (uint8_t)src->port;
	return h;
}
