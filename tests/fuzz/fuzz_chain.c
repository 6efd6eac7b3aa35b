/*
 * Fuzz target: what a parent proxy answers (worker/wire/chain_msg.h), read on
 * arbitrary bytes: the HTTP reply head scanner must never claim a head
 * longer than its input, and a complete head's status is 100..599; the
 * SOCKS5 reply length is either -1 or covers at least the 5 bytes it was
 * computed from; the SOCKS4 reply check answers only 0, 42 or 43.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/chain_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int  status = -1, r4;
	long n;

	n = chain_msg_http_reply((const char *)data, size, &status);
	if (n > (long)size || n < -1)
		abort();
	if (n > 0 && (status < 100 || status > 599))
		abort();
	if (size >= 5) {
		n = chain_msg_socks5_reply_len(data);
		if (n != -1 && (n < 4 + 1 + 1 + 2 || n > 4 + 1 + 255 + 2))
			abort();
	}
	if (size >= 8) {
		r4 = chain_msg_socks4_reply(data);
		if (r4 != 0 && r4 != 42 && r4 != 43)
			abort();
	}
	return 0;
}
