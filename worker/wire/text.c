/* Line framing, ports, host[:port] and login texts: see text.h. */
#include <stdio.h>
#include <string.h>

#include "worker/wire/text.h"

long
text_line(const uint8_t *p, size_t n, size_t max)
{
	const uint8_t *lf = memchr(p, '\n', n < max ? n : max);

	if (lf != NULL)
		return (long)(lf - p) + 1;
	return n >= max ? -1 : 0;
}

size_t
text_trim_eol(const uint8_t *p, size_t n)
{
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	return n;
}

size_t
text_trim(const uint8_t *p, size_t n)
{
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r' ||
	    p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n;
}

bool
text_has_control(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return true;
	return false;
}

int
text_port(const uint8_t *p, size_t n, uint16_t *port)
{
	uint32_t v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static bool
name_char(uint8_t ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '.' || ch == '_';
}

static bool
v6_char(uint8_t ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	    (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.';
}

static bool
all(const uint8_t *p, size_t n, bool (*ok)(uint8_t))
{
	for (size_t i = 0; i < n; i++)
		if (!ok(p[i]))
			return false;
	return true;
}

/* The ":port" (or nothing) after the host at p[0..n). */
static int
port_part(const uint8_t *p, size_t n, unsigned flags, uint16_t defport,
    struct text_host *h)
{
	if (n == 0 || (n == 1 && (flags & TEXT_HP_EMPTY_PORT) &&
	    p[0] == ':')) {
		h->port = defport;
		return defport == 0 ? -1 : 0;
	}
	if (p[0] != ':' || text_port(p + 1, n - 1, &h->port) != 0)
		return -1;
	h->port_given = true;
	return 0;
}

int
text_hostport(const uint8_t *p, size_t n, unsigned flags, uint16_t defport,
    struct text_host *h)
{
	bool           names = (flags & TEXT_HP_NAMES) != 0;
	const uint8_t *colon;
	size_t         end;

	memset(h, 0, sizeof(*h));
	if (n > 0 && p[0] == '[') {
		const uint8_t *rb = memchr(p, ']', n);

		if (rb == NULL)
			return -1;
		h->off = 1;
		h->len = (size_t)(rb - p) - 1;
		h->v6 = true;
		if (names && !all(p + 1, h->len, v6_char))
			return -1;
		end = (size_t)(rb - p) + 1;
	} else {
		colon = memchr(p, ':', n);
		if ((flags & TEXT_HP_BARE_V6) && colon != NULL &&
		    memchr(colon + 1, ':', (size_t)(p + n - colon) - 1) !=
		    NULL) {
			if (names && !all(p, n, v6_char))
				return -1;
			h->len = n;
			h->v6 = true;
			end = n;
		} else {
			h->len = end = colon != NULL ? (size_t)(colon - p) : n;
			if (names && !all(p, h->len, name_char))
				return -1;
		}
	}
	if (h->len == 0 || h->len > TEXT_HOST_MAX ||
	    port_part(p + end, n - end, flags, defport, h) != 0)
		return -1;
	return 0;
}

size_t
text_login(const char *user, const char *host, uint16_t port,
    uint16_t defport, char *out, size_t cap)
{
	bool v6 = strchr(host, ':') != NULL;
	int  k;

	if (cap == 0)
		return 0;
	if (port == defport)
		k = snprintf(out, cap, v6 ? "%s@[%s]" : "%s@%s", user, host);
	else
		k = snprintf(out, cap, v6 ? "%s@[%s]:%u" : "%s@%s:%u", user,
		    host, port);
	if (k < 0 || (size_t)k >= cap) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)k;
}
