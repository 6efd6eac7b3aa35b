/*
 * Access-log formatting, the one formatter of the project: workers send
 * structured records (docs/architecture.md, "Access log (master)") and
 * only the master turns them into text.
 *
 * Differences from 3proxy, both deliberate:
 * - control characters in the client-influenced fields (%U %n %T %X-YT)
 *   are always replaced, by R when a filter prefix is set and by '?'
 *   otherwise, so that a request line can never forge a log line;
 * - %L (3proxy's internal loop counter) has no equivalent and prints 0.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "master/logfmt.h"

const char logfmt_default[] =
    "G%y%m%d%H%M%S.%. %p %E %U %C:%c %R:%r %O %I %h %T";

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

struct out {
	char       *p;
	size_t      cap, len;   /* len < cap always: room for the NUL */
	const char *filter;     /* CHARS of "-CHARS+R", NULL = none */
	size_t      nfilter;
	char        repl;
};

static void
put_c(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->p[o->len++] = c;
}

static void
put_s(struct out *o, const char *s)
{
	while (*s != '\0')
		put_c(o, *s++);
}

static void
put_fmt(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put_fmt(struct out *o, const char *fmt, ...)
{
	char    tmp[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put_s(o, tmp);
}

/* A client-influenced byte: filtered characters and control characters
 * become the replacement. */
static void
put_filtered_c(struct out *o, char c)
{
	unsigned char u = (unsigned char)c;

	if (o->filter != NULL && memchr(o->filter, c, o->nfilter) != NULL)
		c = o->repl;
	else if (u < 0x20 || u == 0x7f)
		c = o->filter != NULL ? o->repl : '?';
	put_c(o, c);
}

static void
put_filtered_n(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i] != '\0'; i++)
		put_filtered_c(o, s[i]);
}

static void
put_addr(struct out *o, const struct pc_addr *a)
{
	char buf[PC_ADDRSTRLEN];

	put_s(o, pc_addr_ntop(a, buf, sizeof(buf)));
}

/* %n: the requested name, or "[IP]" when there is none; a name with a ':'
 * (an IPv6 literal) is bracketed too, as 3proxy does. */
static void
put_host(struct out *o, const struct pc_logrec *r)
{
	const struct pc_addr *a = r->req.family != 0 ? &r->req : &r->remote;

	if (r->host[0] != '\0' && strchr(r->host, ':') == NULL) {
		put_filtered_n(o, r->host, sizeof(r->host));
		return;
	}
	put_c(o, '[');
	if (r->host[0] != '\0')
		put_filtered_n(o, r->host, sizeof(r->host));
	else
		put_addr(o, a);
	put_c(o, ']');
}

/* %X-YT: fields X..Y (1-based) of %T, one space between them.  Only a
 * space separates fields, as the HowTo says: a TAB inside a field is a
 * control character to replace, so the ISA formats (TAB-separated, with
 * the "-<TAB>+ " prefix) keep a URL with a TAB whole. */
static void
put_fields(struct out *o, const char *t, unsigned long x, unsigned long y)
{
	unsigned long field = 0;
	int           first = 1;

	while (*t != '\0') {
		const char *start;

		while (*t == ' ')
			t++;
		if (*t == '\0')
			break;
		start = t;
		while (*t != '\0' && *t != ' ')
			t++;
		field++;
		if (field < x || field > y)
			continue;
		if (!first)
			put_filtered_c(o, ' ');
		put_filtered_n(o, start, (size_t)(t - start));
		first = 0;
	}
}

/* Parses "X-YT" after a '%'; returns the characters consumed, 0 if it is
 * not that form. */
static size_t
parse_fields(const char *s, unsigned long *x, unsigned long *y)
{
	const char *p = s;
	char       *end;

	if (*p < '0' || *p > '9')
		return 0;
	*x = strtoul(p, &end, 10);
	if (*end != '-' || end[1] < '0' || end[1] > '9')
		return 0;
	*y = strtoul(end + 1, &end, 10);
	if (*end != 'T')
		return 0;
	return (size_t)(end + 1 - s);
}

static uint64_t
rate(uint64_t bytes, uint32_t ms)
{
	return ms == 0 ? 0 : bytes * 1000 / ms;
}

struct when {
	struct tm tm;
	long      gmtoff;
	uint64_t  ms;
	time_t    sec;
};

static void
put_zone(struct out *o, long off)
{
	char sign = off < 0 ? '-' : '+';

	if (off < 0)
		off = -off;
	put_fmt(o, "%c%02ld%02ld", sign, off / 3600, off % 3600 / 60);
}

/* One macro letter; returns 0 if the letter is not a macro. */
static int
put_time_macro(struct out *o, char c, const struct when *w)
{
	const struct tm *tm = &w->tm;

	switch (c) {
	case 'y': put_fmt(o, "%02d", tm->tm_year % 100); break;
	case 'Y': put_fmt(o, "%04d", tm->tm_year + 1900); break;
	case 'm': put_fmt(o, "%02d", tm->tm_mon + 1); break;
	case 'o': put_s(o, months[tm->tm_mon % 12]); break;
	case 'd': put_fmt(o, "%02d", tm->tm_mday); break;
	case 'H': put_fmt(o, "%02d", tm->tm_hour); break;
	case 'M': put_fmt(o, "%02d", tm->tm_min); break;
	case 'S': put_fmt(o, "%02d", tm->tm_sec); break;
	case 't': put_fmt(o, "%010lld", (long long)w->sec); break;
	case '.': put_fmt(o, "%03u", (unsigned)(w->ms % 1000)); break;
	case 'z': put_zone(o, w->gmtoff); break;
	default:  return 0;
	}
	return 1;
}

static void
put_macro(struct out *o, char c, const struct pc_logrec *r, uint16_t port)
{
	switch (c) {
	case 'D': put_fmt(o, "%" PRIu32, r->dur_ms); break;
	case 'b': put_fmt(o, "%" PRIu64, rate(r->bytes_out, r->dur_ms)); break;
	case 'B': put_fmt(o, "%" PRIu64, rate(r->bytes_in, r->dur_ms)); break;
	case 'U':
		if (r->user[0] == '\0')
			put_c(o, '-');
		else
			put_filtered_n(o, r->user, sizeof(r->user));
		break;
	case 'N':
		put_filtered_n(o, r->svcname[0] != '\0' ? r->svcname : "-",
		    sizeof(r->svcname));
		break;
	case 'p': put_fmt(o, "%u", (unsigned)port); break;
	case 'E': put_fmt(o, "%05" PRIu32, r->code); break;
	case 'C': put_addr(o, &r->client); break;
	case 'c': put_fmt(o, "%u", (unsigned)r->client.port); break;
	case 'R': put_addr(o, &r->remote); break;
	case 'r': put_fmt(o, "%u", (unsigned)r->remote.port); break;
	case 'i': put_addr(o, &r->local); break;
	case 'e': put_addr(o, &r->ext); break;
	case 'Q': put_addr(o, &r->req); break;
	case 'q': put_fmt(o, "%u", (unsigned)r->req.port); break;
	case 'n': put_host(o, r); break;
	case 'I': put_fmt(o, "%" PRIu64, r->bytes_in); break;
	case 'O': put_fmt(o, "%" PRIu64, r->bytes_out); break;
	case 'h': put_fmt(o, "%u", (unsigned)r->hops); break;
	case 'T': put_filtered_n(o, r->text, sizeof(r->text)); break;
	case 'L': put_c(o, '0'); break;
	default:  put_c(o, c); break;   /* %% and unknown %x print x */
	}
}

/* "-CHARS+R" at the start: sets the filter, returns the bytes consumed. */
static size_t
parse_filter(const char *fmt, struct out *o)
{
	const char *plus;

	if (fmt[0] != '-' || (plus = strchr(fmt + 1, '+')) == NULL ||
	    plus[1] == '\0')
		return 0;
	o->filter = fmt + 1;
	o->nfilter = (size_t)(plus - (fmt + 1));
	o->repl = plus[1];
	return (size_t)(plus + 2 - fmt);
}

static void
set_time(struct when *w, uint64_t t_ms, int utc)
{
	w->ms = t_ms;
	w->sec = (time_t)(t_ms / 1000);
	if (utc) {
		gmtime_r(&w->sec, &w->tm);
		w->gmtoff = 0;
	} else {
		localtime_r(&w->sec, &w->tm);
		w->gmtoff = w->tm.tm_gmtoff;
	}
}

size_t
logfmt_format(char *buf, size_t cap, const char *fmt,
    const struct pc_logrec *rec, uint16_t port)
{
	struct out  o = { buf, cap, 0, NULL, 0, 0 };
	struct when w;
	const char *p;

	if (cap == 0)
		return 0;
	if (fmt == NULL)
		fmt = logfmt_default;
	p = fmt + parse_filter(fmt, &o);
	/* the time-zone letter: G/g = UTC, anything else = local, consumed */
	set_time(&w, rec->t_ms, *p == 'G' || *p == 'g');
	if (*p != '\0')
		p++;
	for (; *p != '\0'; p++) {
		unsigned long x, y;
		size_t        n;

		if (*p != '%') {
			put_c(&o, *p);
			continue;
		}
		if (p[1] == '\0') {     /* a trailing lone % prints % */
			put_c(&o, '%');
			break;
		}
		p++;
		if ((n = parse_fields(p, &x, &y)) > 0) {
			put_fields(&o, rec->text, x, y);
			p += n - 1;
		} else if (!put_time_macro(&o, *p, &w))
			put_macro(&o, *p, rec, port);
	}
	buf[o.len] = '\0';
	return o.len;
}
