/*
 * Fuzz target: DNS queries as any client may send them to `dnspr`
 * (worker/wire/dns_msg.c): parsing stays in bounds, a parsed question lies
 * within the input, and an answer built from it (with addresses of both
 * families) fits and keeps the id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "worker/wire/dns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t      out[65536];
	struct dns_question q;
	struct pc_addr      a[2];
	size_t              n;

	if (dns_msg_parse_query(data, size, &q) != 0)
		return 0;
	if (q.qlen > size || strlen(q.name) > 253)
		abort();
	memset(a, 0, sizeof(a));
	a[0].family = AF_INET;
	a[1].family = AF_INET6;
	n = dns_msg_answer(data, &q, 0, a, 2, 60, out, sizeof(out));
	if (n < q.qlen || n > q.qlen + 2 * (12 + 16) || out[0] != data[0] ||
	    out[1] != data[1] || !(out[2] & 0x80))
		abort();
	return 0;
}
