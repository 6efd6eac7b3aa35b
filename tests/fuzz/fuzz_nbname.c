/*
 * Fuzz target: NetBIOS node status answers (worker/wire/nbname_msg.c) as any
 * host on the client's network may send them: the parser must stay in
 * bounds and a name it returns is 1..15 printable characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/nbname_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char     name[NBNAME_MAX];
	uint16_t id = size >= 2 ? (uint16_t)((data[0] << 8) | data[1]) : 0;

	if (nbname_parse_reply(data, size, id, name) == 0) {
		size_t n = strlen(name);

		if (n == 0 || n > 15)
			abort();
		for (size_t i = 0; i < n; i++)
			if (name[i] < 0x21 || name[i] > 0x7e)
				abort();
	}
	return 0;
}
