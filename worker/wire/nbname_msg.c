/*
 * NetBIOS node status messages (nbname_msg.h): the query we send and the
 * answer we read, pure functions over bytes.
 */
#include <string.h>

#include "worker/wire/nbname_msg.h"

size_t
nbname_build_query(uint8_t out[NBNAME_QUERY_LEN], uint16_t id)
{
	uint8_t *p = out;

	memset(out, 0, NBNAME_QUERY_LEN);
	p[0] = (uint8_t)(id >> 8);
	p[1] = (uint8_t)id;
	p[5] = 1;                       /* QDCOUNT */
	p += 12;
	*p++ = 32;                      /* "*" and 15 NULs, half-bytes + 'A' */
	*p++ = 'A' + ('*' >> 4);
	*p++ = 'A' + ('*' & 15);
	for (int i = 0; i < 15; i++) {
		*p++ = 'A';
		*p++ = 'A';
	}
	*p++ = 0;
	*p++ = 0;
	*p++ = 0x21;                    /* NBSTAT */
	*p++ = 0;
	*p++ = 1;                       /* IN */
	return (size_t)(p - out);
}

/* Skips a name (labels or a compression pointer); the offset after it,
 * or 0. */
static size_t
skip_name(const uint8_t *p, size_t n, size_t off)
{
	for (int labels = 0; off < n && labels < 64; labels++) {
		uint8_t l = p[off];

		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= n ? off + 2 : 0;
		if ((l & 0xc0) != 0)
			return 0;
		off += 1u + l;
	}
	return 0;
}

int
nbname_parse_reply(const uint8_t *p, size_t n, uint16_t id,
    char name[NBNAME_MAX])
{
	size_t off, rdlen, count;

	if (n < 12 || ((p[0] << 8) | p[1]) != id || !(p[2] & 0x80) ||
	    ((p[6] << 8) | p[7]) == 0)
		return -1;
	off = 12;
	/* questions, if echoed */
	for (unsigned q = (unsigned)((p[4] << 8) | p[5]); q > 0; q--) {
		if ((off = skip_name(p, n, off)) == 0 || off + 4 > n)
			return -1;
		off += 4;
	}
	if ((off = skip_name(p, n, off)) == 0 || off + 10 > n)
		return -1;
	if (((p[off] << 8) | p[off + 1]) != 0x21)
		return -1;
	rdlen = (size_t)((p[off + 8] << 8) | p[off + 9]);
	off += 10;
	if (rdlen < 1 || off + rdlen > n)
		return -1;
	count = p[off++];
	for (size_t i = 0; i < count && off + 18 <= n; i++, off += 18) {
		const uint8_t *e = p + off;
		size_t         len = 15;

		/* suffix 0x00 (workstation), unique (group bit clear) */
		if (e[15] != 0x00 || (e[16] & 0x80))
			continue;
		while (len > 0 && (e[len - 1] == ' ' || e[len - 1] == 0))
			len--;
		for (size_t k = 0; k < len; k++)
			if (e[k] < 0x21 || e[k] > 0x7e)
				return -1;
		memcpy(name, e, len);
		name[len] = '\0';
		return len > 0 ? 0 : -1;
	}
	return -1;
}
