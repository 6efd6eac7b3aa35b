/*
 * DNS messages (dns_msg.h).
 */
#include <string.h>
#include <sys/socket.h>

#include "worker/wire/dns_msg.h"

static uint16_t
u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
dns_msg_parse_query(const uint8_t *p, size_t n, struct dns_question *q)
{
	size_t off = 12, len = 0;

	memset(q, 0, sizeof(*q));
	if (n < 12 + 5)
		return -1;
	q->id = u16(p);
	q->flags = u16(p + 2);
	/* a query (QR 0), standard (opcode 0), one question */
	if ((q->flags & 0x8000) || (q->flags & 0x7800) || u16(p + 4) != 1)
		return -1;
	for (;;) {
		uint8_t l;

		if (off >= n)
			return -1;
		l = p[off++];
		if (l == 0)
			break;
		/* a label is at most 63 bytes, a name at most 255 on the wire
		 * (RFC 1035 2.3.4): 253 characters dotted; a compression
		 * pointer (0xc0) in a query is refused */
		if (l > 63 || off + l > n || len + (len > 0) + l > 253)
			return -1;
		if (len > 0)
			q->name[len++] = '.';
		for (size_t i = 0; i < l; i++) {
			uint8_t c = p[off + i];

			if (c == 0 || c == '.')
				return -1;
			q->name[len++] = (char)(c >= 'A' && c <= 'Z' ?
			    c + ('a' - 'A') : c);
		}
		off += l;
	}
	if (off + 4 > n)
		return -1;
	q->qtype = u16(p + off);
	q->qclass = u16(p + off + 2);
	q->qlen = off + 4;
	return 0;
}

size_t
dns_msg_answer(const uint8_t *query, const struct dns_question *q, int rcode,
    const struct pc_addr *addrs, size_t n, uint32_t ttl, uint8_t *out,
    size_t cap)
{
	int      fam = q->qtype == DNS_TYPE_AAAA ? AF_INET6 : AF_INET;
	size_t   alen = fam == AF_INET6 ? 16 : 4, off = q->qlen;
	uint16_t an = 0;

	if (q->qlen > cap)
		return 0;
	memcpy(out, query, q->qlen);
	/* QR, the query's opcode and RD, RA; AA 0; the rcode */
	out[2] = (uint8_t)(0x80 | (query[2] & 0x79));
	out[3] = (uint8_t)(0x80 | (rcode & 15));
	memset(out + 6, 0, 6);                      /* AN, NS, AR */
	for (size_t i = 0; rcode == 0 && i < n; i++) {
		if (addrs[i].family != fam)
			continue;
		if (off + 12 + alen > cap)
			return 0;
		out[off++] = 0xc0;                  /* the question's name */
		out[off++] = 12;
		out[off++] = (uint8_t)(q->qtype >> 8);
		out[off++] = (uint8_t)q->qtype;
		out[off++] = 0;
		out[off++] = 1;                     /* IN */
		out[off++] = (uint8_t)(ttl >> 24);
		out[off++] = (uint8_t)(ttl >> 16);
		out[off++] = (uint8_t)(ttl >> 8);
		out[off++] = (uint8_t)ttl;
		out[off++] = 0;
		out[off++] = (uint8_t)alen;
		memcpy(out + off, addrs[i].ip, alen);
		off += alen;
		an++;
	}
	out[6] = (uint8_t)(an >> 8);
	out[7] = (uint8_t)an;
	return off;
}
