/*
 * TLS ClientHello reader (tls_hello.h).  Records are walked first and the
 * handshake bytes they carry gathered into one buffer, so a hello split
 * over records or segments reads the same as a whole one; only then is
 * the message parsed, every length checked against what is left.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "worker/wire/tls_hello.h"

struct rd {
	const uint8_t *p;
	size_t         n;
};

static unsigned
u16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static bool
take(struct rd *r, size_t k, struct rd *sub)
{
	if (r->n < k)
		return false;
	if (sub != NULL) {
		sub->p = r->p;
		sub->n = k;
	}
	r->p += k;
	r->n -= k;
	return true;
}

/* A vector with a 1- or 2-byte length prefix. */
static bool
vec(struct rd *r, int lenbytes, struct rd *sub)
{
	size_t k;

	if (r->n < (size_t)lenbytes)
		return false;
	k = lenbytes == 1 ? r->p[0] : u16(r->p);
	r->p += lenbytes;
	r->n -= (size_t)lenbytes;
	return take(r, k, sub);
}

/* server_name: a host_name entry; letters, digits, '-', '.', '_' only,
 * so the name is safe in the ACL, the resolver and the log. */
static int
ext_sni(struct rd d, struct tls_hello *h)
{
	struct rd list, name;

	if (!vec(&d, 2, &list) || d.n != 0)
		return -TLS_E_MALFORMED;
	while (list.n > 0) {
		if (!take(&list, 1, &name))
			return -TLS_E_MALFORMED;
		if (name.p[0] != 0) {            /* unknown name type */
			if (!vec(&list, 2, NULL))
				return -TLS_E_MALFORMED;
			continue;
		}
		if (!vec(&list, 2, &name))
			return -TLS_E_MALFORMED;
		if (h->sni[0] != '\0')
			return -TLS_E_SNI;       /* one host_name only */
		if (name.n == 0 || name.n > TLS_SNI_MAX)
			return -TLS_E_SNI;
		for (size_t i = 0; i < name.n; i++) {
			uint8_t c = name.p[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			    c == '_'))
				return -TLS_E_SNI;
		}
		memcpy(h->sni, name.p, name.n);
		h->sni[name.n] = '\0';
	}
	return 0;
}

static int
ext_versions(struct rd d, struct tls_hello *h)
{
	struct rd list;

	if (!vec(&d, 1, &list) || d.n != 0 || list.n == 0 || list.n % 2)
		return -TLS_E_MALFORMED;
	for (; list.n > 0; list.p += 2, list.n -= 2) {
		if ((list.p[0] & 0x0f) == 0x0a && list.p[1] == list.p[0])
			continue;                /* GREASE (RFC 8701) */
		if (u16(list.p) > ((unsigned)h->major << 8 | h->minor)) {
			h->major = list.p[0];
			h->minor = list.p[1];
		}
	}
	return 0;
}

static int
ext_alpn(struct rd d, struct tls_hello *h)
{
	struct rd list, proto;

	if (!vec(&d, 2, &list) || d.n != 0 || !vec(&list, 1, &proto) ||
	    proto.n == 0)
		return -TLS_E_MALFORMED;
	if (proto.n <= TLS_ALPN_MAX) {
		for (size_t i = 0; i < proto.n; i++)
			h->alpn[i] = proto.p[i] > 0x20 && proto.p[i] < 0x7f ?
			    (char)proto.p[i] : '?';
		h->alpn[proto.n] = '\0';
	}
	return 0;
}

static int
extensions(struct rd r, struct tls_hello *h)
{
	bool seen_sni = false, seen_ver = false, seen_alpn = false;
	int  rc = 0;

	while (r.n > 0 && rc == 0) {
		struct rd data;
		unsigned  type;

		if (r.n < 4)
			return -TLS_E_MALFORMED;
		type = u16(r.p);
		r.p += 2;
		r.n -= 2;
		if (!vec(&r, 2, &data))
			return -TLS_E_MALFORMED;
		if (type == 0) {
			if (seen_sni)
				return -TLS_E_MALFORMED;
			seen_sni = true;
			rc = ext_sni(data, h);
		} else if (type == 43) {
			if (seen_ver)
				return -TLS_E_MALFORMED;
			seen_ver = true;
			rc = ext_versions(data, h);
		} else if (type == 16) {
			if (seen_alpn)
				return -TLS_E_MALFORMED;
			seen_alpn = true;
			rc = ext_alpn(data, h);
		}
	}
	return rc;
}

static int
client_hello(struct rd r, struct tls_hello *h)
{
	struct rd ext;

	if (r.n < 2 + 32)
		return -TLS_E_MALFORMED;
	if (r.p[0] != 3)
		return -TLS_E_MALFORMED;
	h->major = r.p[0];
	h->minor = r.p[1];
	take(&r, 2 + 32, NULL);
	if (!vec(&r, 1, NULL) ||        /* legacy_session_id */
	    !vec(&r, 2, NULL) ||        /* cipher_suites */
	    !vec(&r, 1, NULL))          /* legacy_compression_methods */
		return -TLS_E_MALFORMED;
	if (r.n == 0)
		return 0;                   /* SSLv3-style: no extensions */
	if (!vec(&r, 2, &ext) || r.n != 0)
		return -TLS_E_MALFORMED;
	return extensions(ext, h);
}

long
tls_hello_parse(const uint8_t *buf, size_t len, struct tls_hello *h)
{
	uint8_t msg[4 + TLS_HELLO_MAX];
	size_t  have = 0, need = 4, off = 0;
	int     rc;

	memset(h, 0, sizeof(*h));
	if (len >= 1 && buf[0] != 22)
		return -TLS_E_NOTTLS;
	if (len >= 2 && buf[1] != 3)
		return -TLS_E_NOTTLS;
	while (have < need) {
		size_t rlen, k;

		if (len - off < 5)
			return 0;
		if (buf[off] != 22 || buf[off + 1] != 3)
			return -TLS_E_RECORD;
		rlen = u16(buf + off + 3);
		if (rlen == 0 || rlen > TLS_REC_MAX)
			return -TLS_E_RECORD;
		/* what this record carries, as far as it has arrived */
		k = len - off - 5 < rlen ? len - off - 5 : rlen;
		if (k > sizeof(msg) - have)
			k = sizeof(msg) - have;
		memcpy(msg + have, buf + off + 5, k);
		have += k;
		if (need == 4 && have >= 4) {
			if (msg[0] != 1)
				return -TLS_E_TYPE;
			need = 4 + ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 |
			    msg[3]);
			if (need > sizeof(msg))
				return -TLS_E_BIG;
		}
		if (len - off - 5 < rlen)
			return 0;           /* record incomplete */
		off += 5 + rlen;
	}
	/* the hello must end with its record (RFC 8446 5.1: no other
	 * message may follow it in the same record before the server's) */
	if (have != need)
		return -TLS_E_MALFORMED;
	rc = client_hello((struct rd){ msg + 4, need - 4 }, h);
	if (rc < 0) {
		memset(h, 0, sizeof(*h));
		return rc;
	}
	return (long)off;
}

const char *
tls_version_name(const struct tls_hello *h, char *out, size_t outsz)
{
	if (h->major != 3)
		snprintf(out, outsz, "NONEv0.0");
	else if (h->minor == 0)
		snprintf(out, outsz, "SSLv3.0");
	else
		snprintf(out, outsz, "TLSv1.%u", (unsigned)(h->minor - 1));
	return out;
}
