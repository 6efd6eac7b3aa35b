/*
 * The printer's text buffer and words, and the fields of an ACL entry
 * (docs/portcullis.cfg.5, Access control lists) as conf/acl_parse.c reads them
 * back: address ranges as CIDR where they are one, host patterns with their
 * stars, operations by keyword (a whole group by its group name), weekdays as
 * digits and ranges, periods as HH:MM:SS-HH:MM:SS.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/print.h"

static bool
reserve(struct pc_text *t, size_t more)
{
	size_t cap;
	char  *p;

	if (t->err)
		return false;
	if (more < t->cap - t->len)
		return true;
	if (t->max != 0 && more >= t->max - t->len) {
		t->err = true;
		return false;
	}
	cap = t->cap == 0 ? 1024 : t->cap;
	while (cap - t->len <= more)
		cap *= 2;
	if (t->max != 0 && cap > t->max)
		cap = t->max;
	if ((p = realloc(t->p, cap)) == NULL) {
		t->err = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

void
pc_text_printf(struct pc_text *t, const char *fmt, ...)
{
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(t, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static void
put(struct pc_text *t, const char *s, size_t n)
{
	if (!reserve(t, n + 1))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

/* conf/token.c: blanks separate words, '"' quotes, '$' splices a file
 * outside quotes, and a word starting with '#' ends the line. */
void
pc_text_word(struct pc_text *t, const char *s)
{
	if (s[0] != '\0' && s[0] != '#' && strpbrk(s, " \t\r\n\"$") == NULL) {
		put(t, s, strlen(s));
		return;
	}
	put(t, "\"", 1);
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		put(t, s, (size_t)(q - s));
		put(t, "\"\"", 2);
	}
	put(t, s, strlen(s));
	put(t, "\"", 1);
}

void
pc_text_free(struct pc_text *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}

static size_t
family_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

static int
bit(const uint8_t *ip, size_t i)
{
	return (ip[i / 8] >> (7 - i % 8)) & 1;
}

/* The prefix length when lo-hi is one CIDR block, else -1. */
static int
cidr_len(const struct pc_addrrange *r)
{
	size_t nbits = family_len(r->family) * 8, host = 0;

	while (host < nbits && bit(r->lo, nbits - 1 - host) == 0 &&
	    bit(r->hi, nbits - 1 - host) == 1)
		host++;
	for (size_t i = 0; i < nbits - host; i++)
		if (bit(r->lo, i) != bit(r->hi, i))
			return -1;
	return (int)(nbits - host);
}

static void
range(struct pc_text *t, const struct pc_addrrange *r)
{
	struct pc_addr lo = { .family = r->family }, hi = lo;
	char           a[PC_ADDRSTRLEN], z[PC_ADDRSTRLEN];
	int            plen;

	memcpy(lo.ip, r->lo, sizeof(lo.ip));
	memcpy(hi.ip, r->hi, sizeof(hi.ip));
	pc_addr_ntop(&lo, a, sizeof(a));
	if (memcmp(r->lo, r->hi, family_len(r->family)) == 0)
		pc_text_printf(t, "%s", a);
	else if ((plen = cidr_len(r)) >= 0)
		pc_text_printf(t, "%s/%d", a, plen);
	else
		pc_text_printf(t, "%s-%s", a, pc_addr_ntop(&hi, z, sizeof(z)));
}

static void
ranges(struct pc_text *t, const struct pc_addrrange *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pc_text_printf(t, i ? "," : "");
		range(t, &r[i]);
	}
}

static void
targets(struct pc_text *t, const struct pc_acl_rule *r)
{
	ranges(t, r->dst_addrs, r->ndst_addrs);
	for (size_t i = 0; i < r->ndst_hosts; i++) {
		const struct pc_hostpat *h = &r->dst_hosts[i];

		pc_text_printf(t, "%s%s%s%s", i + r->ndst_addrs ? "," : "",
		    h->flags & PC_HOSTPAT_SUFFIX ? "*" : "", h->text,
		    h->flags & PC_HOSTPAT_PREFIX ? "*" : "");
	}
}

static void
ports(struct pc_text *t, const struct pc_acl_rule *r)
{
	for (size_t i = 0; i < r->nports; i++) {
		const struct pc_portrange *p = &r->ports[i];

		if (p->lo == p->hi)
			pc_text_printf(t, "%s%u", i ? "," : "", p->lo);
		else
			pc_text_printf(t, "%s%u-%u", i ? "," : "", p->lo, p->hi);
	}
}

/* Whole groups first ("HTTP", "FTP"), then single operations in the
 * keyword table's order; an alias (HTTPS) never appears, as its bit went
 * out under its own name first. */
static void
ops(struct pc_text *t, uint32_t ops)
{
	uint32_t    left = ops, bits;
	const char *name;
	bool        first = true;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; (name = pc_op_name(i, &bits)) != NULL; i++) {
			bool group = (bits & (bits - 1)) != 0;

			if (group != (pass == 0) || (left & bits) != bits)
				continue;
			pc_text_printf(t, "%s%s", first ? "" : ",", name);
			first = false;
			left &= ~bits;
		}
}

static void
weekdays(struct pc_text *t, uint8_t days)
{
	bool first = true;

	for (int d = 0; d < 7; d++) {
		int e = d;

		if (!(days & (1u << d)))
			continue;
		while (e + 1 < 7 && (days & (1u << (e + 1))))
			e++;
		if (e - d >= 2)
			pc_text_printf(t, "%s%d-%d", first ? "" : ",", d, e);
		else
			for (int k = d; k <= e; k++)
				pc_text_printf(t, "%s%d", first && k == d ? "" :
				    ",", k);
		first = false;
		d = e;
	}
}

static void
periods(struct pc_text *t, const struct pc_acl_rule *r)
{
	for (size_t i = 0; i < r->nperiods; i++) {
		uint32_t s = r->periods[i].start, e = r->periods[i].end;

		pc_text_printf(t, "%s%02u:%02u:%02u-%02u:%02u:%02u",
		    i ? "," : "", s / 3600, s / 60 % 60, s % 60,
		    e / 3600, e / 60 % 60, e % 60);
	}
}

enum { F_USERS, F_SRCS, F_DSTS, F_PORTS, F_OPS, F_DAYS, F_PERIODS,
       F_WEIGHT, F_COUNT };

static bool
field_set(const struct pc_acl_rule *r, int f)
{
	switch (f) {
	case F_USERS:   return r->nusers != 0;
	case F_SRCS:    return r->nsrcs != 0;
	case F_DSTS:    return r->ndst_addrs + r->ndst_hosts != 0;
	case F_PORTS:   return r->nports != 0;
	case F_OPS:     return r->ops != 0;
	case F_DAYS:    return r->weekdays != 0;
	case F_PERIODS: return r->nperiods != 0;
	default:        return r->weight != 0;
	}
}

static void
field(struct pc_text *t, const struct pc_acl_rule *r, int f)
{
	switch (f) {
	case F_USERS:
		for (size_t i = 0; i < r->nusers; i++)
			pc_text_printf(t, "%s%s", i ? "," : "", r->users[i]);
		break;
	case F_SRCS:    ranges(t, r->srcs, r->nsrcs); break;
	case F_DSTS:    targets(t, r); break;
	case F_PORTS:   ports(t, r); break;
	case F_OPS:     ops(t, r->ops); break;
	case F_DAYS:    weekdays(t, r->weekdays); break;
	case F_PERIODS: periods(t, r); break;
	default:        pc_text_printf(t, "%u", r->weight); break;
	}
}

void
pc_print_rule_fields(struct pc_text *t, const struct pc_acl_rule *r)
{
	int last = -1;

	for (int f = 0; f < F_COUNT; f++)
		if (field_set(r, f))
			last = f;
	if (last < 0) {
		pc_text_printf(t, " *");
		return;
	}
	for (int f = 0; f <= last; f++) {
		struct pc_text w = { 0 };

		if (!field_set(r, f)) {
			pc_text_printf(t, " *");
			continue;
		}
		field(&w, r, f);
		pc_text_printf(t, " ");
		if (w.err)
			t->err = true;
		else
			pc_text_word(t, w.p);
		pc_text_free(&w);
	}
}
