/*
 * Tracking a chunked body (RFC 9112 section 7.1) as it streams through:
 * the bytes are relayed unchanged, this only finds where the body ends.
 * Incremental and pure: any split of the input gives the same answer.
 */
#ifndef PC_WORKER_HTTP_BODY_H
#define PC_WORKER_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_CHUNK_EXT_MAX  4096    /* one chunk-size line with extensions */
#define HTTP_TRAILER_MAX    65536   /* all trailer fields together */

struct http_chunked {
	uint8_t  state;
	uint8_t  ndigits;
	uint32_t linelen;     /* bytes of the current size or trailer line */
	uint32_t trailer;     /* trailer bytes so far */
	uint64_t remaining;   /* data bytes left in the current chunk */
};

void http_chunked_init(struct http_chunked *c);
/* Consumes p[0..n): returns how many bytes belong to the body (n, or less
 * when the body ends inside), or -1 when the framing is malformed (then
 * the state stays in error). */
long http_chunked_feed(struct http_chunked *c, const uint8_t *p, size_t n);
bool http_chunked_done(const struct http_chunked *c);

#endif
