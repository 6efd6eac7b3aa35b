/*
 * Fuzz target: the shared text pieces (worker/wire/text.c) on arbitrary
 * bytes.  The first byte picks the line limit and the host[:port] mode;
 * then lines are cut until the input ends, each one trimmed and read as
 * host[:port] and as a port.  A line is never longer than the input or
 * the limit and ends in LF; a host lies inside the line, is 1..255 bytes,
 * holds only name or v6 characters in the NAMES mode, and its port is
 * never 0; a login text always fits or is empty.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/text.h"

static void
check_host(const uint8_t *p, size_t n, unsigned flags)
{
	struct text_host h;
	char             host[TEXT_HOST_MAX + 1], out[2 * TEXT_HOST_MAX + 16];
	size_t           k;

	if (text_hostport(p, n, flags, flags & 0x8 ? 0 : 110, &h) != 0)
		return;
	if (h.len == 0 || h.len > TEXT_HOST_MAX || h.off + h.len > n ||
	    h.port == 0)
		abort();
	if ((flags & TEXT_HP_NAMES) && text_has_control(p + h.off, h.len))
		abort();
	if ((flags & TEXT_HP_NAMES) && memchr(p + h.off, '@', h.len) != NULL)
		abort();
	memcpy(host, p + h.off, h.len);
	host[h.len] = '\0';
	k = text_login("u", host, h.port, 110, out, sizeof(out));
	if (k >= sizeof(out) || (k > 0 && out[k] != '\0'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned flags = size > 0 ? data[0] & 0xf : 0;
	size_t   max = 1 + (size > 0 ? data[0] >> 4 : 0) * 37;
	long     k;
	uint16_t port;

	if (size > 0) {
		data++;
		size--;
	}
	while ((k = text_line(data, size, max)) > 0) {
		size_t n;

		if ((size_t)k > size || (size_t)k > max || data[k - 1] != '\n')
			abort();
		n = text_trim(data, (size_t)k);
		if (n > text_trim_eol(data, (size_t)k))
			abort();
		check_host(data, n, flags & 0x7);
		if (text_port(data, n, &port) == 0 && (port == 0 || n > 5))
			abort();
		data += k;
		size -= (size_t)k;
	}
	if (k < 0 && size < max)
		abort();
	/* the unterminated rest as it is */
	check_host(data, size, flags);
	return 0;
}
