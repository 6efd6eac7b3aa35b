/*
 * The TLS ClientHello as a `tlspr` service sees it, without decrypting:
 * the server name (SNI, RFC 6066 section 3), the version the client
 * offers (the highest of supported_versions, RFC 8446 4.2.1, else
 * legacy_version) and the first ALPN protocol (RFC 7301), for the ACL
 * and %T.  Pure: no I/O, no allocation.
 *
 * The hello may arrive split across TCP segments and across several
 * handshake records (RFC 8446 5.1: a handshake message may span
 * records), so tls_hello_parse() is called with all the bytes read so
 * far and says whether it needs more.
 */
#ifndef PC_WORKER_WIRE_TLS_HELLO_H
#define PC_WORKER_WIRE_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#define TLS_SNI_MAX    255      /* a DNS name */
#define TLS_ALPN_MAX   31
#define TLS_HELLO_MAX  16384    /* the handshake message, reassembled */
#define TLS_REC_MAX    16384    /* plaintext record payload (2^14) */

struct tls_hello {
	char    sni[TLS_SNI_MAX + 1];    /* "" when the hello has none */
	char    alpn[TLS_ALPN_MAX + 1];  /* "" when none */
	uint8_t major, minor;            /* offered version: 3.4 is TLS 1.3 */
};

/* Failures, returned negated; the numbers are not %E codes. */
enum {
	TLS_E_NOTTLS = 1,   /* first record not a TLS handshake record */
	TLS_E_RECORD,       /* bad record header or another record type */
	TLS_E_TYPE,         /* first handshake message not a ClientHello */
	TLS_E_BIG,          /* hello longer than TLS_HELLO_MAX */
	TLS_E_MALFORMED,    /* a length field that does not add up */
	TLS_E_SNI,          /* server_name present but not a usable name */
};

/* buf: the client's first len bytes.  Returns the number of bytes of the
 * records that carry the whole ClientHello (> 0, *h filled), 0 when more
 * bytes are needed, or -TLS_E_*. */
long tls_hello_parse(const uint8_t *buf, size_t len, struct tls_hello *h);

/* "TLSv1.3", "SSLv3.0": the version as 3proxy writes it in %T. */
const char *tls_version_name(const struct tls_hello *h, char *out,
	    size_t outsz);

#endif
