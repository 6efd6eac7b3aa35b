/*
 * Fuzz target: the TLS ClientHello reader on arbitrary bytes.  A result
 * never exceeds the input, a name is a bounded string of name characters,
 * and every prefix of an accepted input asks for more or fails, never
 * reads past what it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/tls_hello.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_hello h;
	long             r = tls_hello_parse(data, size, &h);
	char             v[16];

	if (r > (long)size || r < -TLS_E_SNI)
		abort();
	if (r <= 0)
		return 0;
	if (strnlen(h.sni, sizeof(h.sni)) > TLS_SNI_MAX ||
	    strnlen(h.alpn, sizeof(h.alpn)) > TLS_ALPN_MAX)
		abort();
	if (strspn(h.sni, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-._") != strlen(h.sni))
		abort();
	if (tls_version_name(&h, v, sizeof(v))[0] == '\0')
		abort();
	/* the same bytes cut short are never accepted */
	if (tls_hello_parse(data, (size_t)r - 1, &h) > 0)
		abort();
	return 0;
}
