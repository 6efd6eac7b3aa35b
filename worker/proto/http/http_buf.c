/*
 * Read buffers of the HTTP proxy.  Borrowed when a request starts, given
 * back when it ends, so an idle kept-alive connection holds none; a small
 * per-worker free list keeps the keep-alive path free of malloc/free pairs
 * of HTTP_BUF bytes on every request.
 */
#include <stdlib.h>
#include <string.h>

#include "worker/proto/http/http_conn.h"

#define POOL_MAX 64   /* cached buffers per worker: 1 MiB at most */

static void    *pool[POOL_MAX];
static unsigned npool;

int
hbuf_alloc(struct hbuf *b)
{
	if (b->p != NULL)
		return 0;
	b->p = npool > 0 ? pool[--npool] : malloc(HTTP_BUF);
	if (b->p == NULL)
		return -1;
	b->cap = HTTP_BUF;
	b->len = b->off = b->fwd = 0;
	return 0;
}

int
hbuf_grow(struct hbuf *b, uint32_t cap)
{
	char *p;

	if (cap <= b->cap)
		return 0;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

void
hbuf_free(struct hbuf *b)
{
	if (b->p != NULL) {
		if (b->cap == HTTP_BUF && npool < POOL_MAX)
			pool[npool++] = b->p;
		else
			free(b->p);
	}
	memset(b, 0, sizeof(*b));
}

void
hbuf_compact(struct hbuf *b)
{
	if (b->off == 0)
		return;
	memmove(b->p, b->p + b->off, b->len - b->off);
	b->len -= b->off;
	b->fwd -= b->off;
	b->off = 0;
}

uint32_t
hbuf_room(const struct hbuf *b)
{
	return b->p == NULL ? 0 : b->cap - b->len;
}
