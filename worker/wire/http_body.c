/*
 * Chunked framing tracker.  Lines end in CRLF or a bare LF (accepted, as
 * for heads); a CR must be followed by LF.  Sizes are limited to 15 hex
 * digits so they cannot overflow, extensions and trailers to fixed sizes so
 * a client cannot keep the state machine busy forever inside one line.
 */
#include "worker/wire/http_body.h"

enum {
	CK_SIZE0,       /* first hex digit of a chunk size */
	CK_SIZE,        /* more hex digits */
	CK_SIZE_WS,     /* whitespace after the size (BWS before ';') */
	CK_EXT,         /* chunk extension up to the end of the line */
	CK_SIZE_LF,     /* CR seen at the end of the size line */
	CK_DATA,
	CK_DATA_CR,     /* CRLF after the chunk data */
	CK_DATA_LF,
	CK_TRAILER,     /* start of a trailer line (or the final empty one) */
	CK_TRAILER_LINE,
	CK_TRAILER_LF,
	CK_END_LF,      /* CR of the final empty line seen */
	CK_DONE,
	CK_ERROR
};

void
http_chunked_init(struct http_chunked *c)
{
	c->state = CK_SIZE0;
	c->ndigits = 0;
	c->linelen = 0;
	c->trailer = 0;
	c->remaining = 0;
}

bool
http_chunked_done(const struct http_chunked *c)
{
	return c->state == CK_DONE;
}

static int
hexval(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* End of a chunk-size line: data follows, or the trailer section. */
static uint8_t
size_line_done(struct http_chunked *c)
{
	c->linelen = 0;
	c->ndigits = 0;
	return c->remaining ? CK_DATA : CK_TRAILER;
}

/* One byte of everything except chunk data; returns the next state. */
static uint8_t
step(struct http_chunked *c, uint8_t ch)
{
	int v = hexval(ch);

	if (c->state <= CK_EXT && ++c->linelen > HTTP_CHUNK_EXT_MAX)
		return CK_ERROR;
	switch (c->state) {
	case CK_SIZE0:
	case CK_SIZE:
		if (v >= 0) {
			if (c->ndigits++ == 15)
				return CK_ERROR;
			c->remaining = c->remaining << 4 | (uint64_t)v;
			return CK_SIZE;
		}
		if (c->state == CK_SIZE0)
			return CK_ERROR;
		/* FALLTHROUGH */
	case CK_SIZE_WS:
		if (ch == ' ' || ch == '\t')
			return CK_SIZE_WS;
		if (ch == ';')
			return CK_EXT;
		/* FALLTHROUGH */
	case CK_EXT:
		if (ch == '\r')
			return CK_SIZE_LF;
		if (ch == '\n')
			return size_line_done(c);
		return c->state == CK_EXT ? CK_EXT : CK_ERROR;
	case CK_SIZE_LF:
		return ch == '\n' ? size_line_done(c) : CK_ERROR;
	case CK_DATA_CR:
		if (ch == '\r')
			return CK_DATA_LF;
		/* FALLTHROUGH */
	case CK_DATA_LF:
		return ch == '\n' ? CK_SIZE0 : CK_ERROR;
	case CK_TRAILER:
		if (ch == '\r')
			return CK_END_LF;
		if (ch == '\n')
			return CK_DONE;
		/* FALLTHROUGH */
	case CK_TRAILER_LINE:
		if (++c->trailer > HTTP_TRAILER_MAX)
			return CK_ERROR;
		if (ch == '\r')
			return CK_TRAILER_LF;
		return ch == '\n' ? CK_TRAILER : CK_TRAILER_LINE;
	case CK_TRAILER_LF:
		return ch == '\n' ? CK_TRAILER : CK_ERROR;
	case CK_END_LF:
		return ch == '\n' ? CK_DONE : CK_ERROR;
	default:
		return CK_ERROR;
	}
}

long
http_chunked_feed(struct http_chunked *c, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && c->state != CK_DONE) {
		if (c->state == CK_ERROR)
			return -1;
		if (c->state == CK_DATA) {
			uint64_t k = n - i;

			if (k > c->remaining)
				k = c->remaining;
			i += (size_t)k;
			if ((c->remaining -= k) == 0)
				c->state = CK_DATA_CR;
			continue;
		}
		c->state = step(c, p[i++]);
	}
	return c->state == CK_ERROR ? -1 : (long)i;
}
