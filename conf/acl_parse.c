/*
 * The fields of an ACL entry (docs/portcullis.cfg.5, Access control lists):
 *   USERS SOURCES TARGETS PORTS OPERATIONS WEEKDAYS PERIODS [WEIGHT]
 * Each is a comma list; `*` (alone or as an item) or an omitted field means
 * any.  Every item is checked here, so the matcher (policy/acl.c) can trust
 * the rule.
 */
#include <stdlib.h>
#include <string.h>

#include "common/ipc_msg.h"
#include "common/xmalloc.h"
#include "conf/state.h"

typedef int (*item_fn)(struct conf_state *, const char *,
	    struct pc_acl_rule *);

static bool
has_star_item(const char *field)
{
	for (const char *q = field; q != NULL; q = strchr(q, ',')) {
		if (*q == ',')
			q++;
		if (q[0] == '*' && (q[1] == ',' || q[1] == '\0'))
			return true;
	}
	return false;
}

/* Calls fn for each item of a comma list; nothing when an item is "*". */
static int
each_item(struct conf_state *st, const char *field, struct pc_acl_rule *r,
    item_fn fn)
{
	char *copy, *p, *comma;
	int   rc = 0;

	if (has_star_item(field))
		return 0;
	p = copy = xstrdup(field);
	for (;;) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (*p == '\0')
			rc = conf_err(st, field, "empty item in list");
		else
			rc = fn(st, p, r);
		if (rc != 0 || comma == NULL)
			break;
		p = comma + 1;
	}
	free(copy);
	return rc;
}

static int
item_user(struct conf_state *st, const char *s, struct pc_acl_rule *r)
{
	char **slot;

	if (strlen(s) > PC_IPC_USER_MAX)
		return conf_err(st, s, "user name too long");
	slot = conf_push(&r->users, &r->nusers, sizeof(*slot));
	*slot = xstrdup(s);
	return 0;
}

static int
item_src(struct conf_state *st, const char *s, struct pc_acl_rule *r)
{
	struct pc_addrrange a;

	if (pc_addrrange_parse(s, &a) != 0)
		return conf_err(st, s, "invalid address");
	*(struct pc_addrrange *)conf_push(&r->srcs, &r->nsrcs, sizeof(a)) = a;
	return 0;
}

static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* "name" exact, "name*" prefix, "*name" suffix, "*name*" substring. */
static int
item_host(struct conf_state *st, const char *s, struct pc_acl_rule *r)
{
	struct pc_hostpat p = { 0 };
	size_t            n = strlen(s), b = 0;

	if (s[0] == '*') {
		p.flags |= PC_HOSTPAT_SUFFIX;
		b = 1;
	}
	if (n > b && s[n - 1] == '*') {
		p.flags |= PC_HOSTPAT_PREFIX;
		n--;
	}
	for (size_t i = b; i < n; i++)
		if (!host_char(s[i]))
			return conf_err(st, s, s[i] == '*' ? "'*' is allowed "
			    "only at the start or end of a host name" :
			    "invalid host name");
	/* a request's trailing dot is dropped too (policy/acl.c) */
	if (n > b + 1 && s[n - 1] == '.' && !(p.flags & PC_HOSTPAT_PREFIX))
		n--;
	p.text = xstrndup(s + b, n - b);
	for (char *c = p.text; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c += 'a' - 'A';
	*(struct pc_hostpat *)conf_push(&r->dst_hosts, &r->ndst_hosts,
	    sizeof(p)) = p;
	return 0;
}

static int
item_dst(struct conf_state *st, const char *s, struct pc_acl_rule *r)
{
	struct pc_addrrange a;

	if (pc_addrrange_parse(s, &a) == 0) {
		*(struct pc_addrrange *)conf_push(&r->dst_addrs,
		    &r->ndst_addrs, sizeof(a)) = a;
		return 0;
	}
	/* "10.0.0.300" or "1.2.3.4/33" was meant as an address */
	if (strpbrk(s, ":/") != NULL || strspn(s, "0123456789.-") == strlen(s))
		return conf_err(st, s, "invalid address");
	return item_host(st, s, r);
}

static int
item_port(struct conf_state *st, const char *s, struct pc_acl_rule *r)
{
	struct pc_portrange p;
	const char         *dash = strchr(s, '-');
	char               *lo = xstrndup(s, dash ? (size_t)(dash - s) :
	    strlen(s));
	uint32_t            a, b;
	int                 bad;

	bad = conf_uint(lo, 0, 65535, &a) != 0 ||
	    conf_uint(dash ? dash + 1 : lo, 0, 65535, &b) != 0 || a > b;
	free(lo);
	if (bad)
		return conf_err(st, s, "invalid port or port range");
	p.lo = (uint16_t)a;
	p.hi = (uint16_t)b;
	*(struct pc_portrange *)conf_push(&r->ports, &r->nports, sizeof(p)) =
	    p;
	return 0;
}

static int
item_op(struct conf_state *st, const char *s, struct pc_acl_rule *r)
{
	uint32_t op = pc_op_from_name(s);

	if (op == 0)
		return conf_err(st, s, "unknown operation");
	r->ops |= op;
	return 0;
}

static uint32_t
two_digits(const char *s)
{
	return (uint32_t)(s[0] - '0') * 10 + (uint32_t)(s[1] - '0');
}

/* "HH:MM:SS" into seconds; end allows 24:00:00 (the end is exclusive). */
static int
hms(const char *s, bool end, uint32_t *sec)
{
	uint32_t h, m, x;

	for (int i = 0; i < 8; i++)
		if ((i % 3 == 2) ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
			return -1;
	h = two_digits(s);
	m = two_digits(s + 3);
	x = two_digits(s + 6);
	if (m > 59 || x > 59 || h > 24 || (h == 24 && (!end || m || x)))
		return -1;
	*sec = h * 3600 + m * 60 + x;
	return 0;
}

static int
item_period(struct conf_state *st, const char *s, struct pc_acl_rule *r)
{
	struct pc_period p;

	if (strlen(s) != 17 || s[8] != '-' || hms(s, false, &p.start) != 0 ||
	    hms(s + 9, true, &p.end) != 0)
		return conf_err(st, s, "invalid period (expected "
		    "HH:MM:SS-HH:MM:SS)");
	if (p.start >= p.end)
		return conf_err(st, s, "period must not wrap past midnight "
		    "(write two periods)");
	*(struct pc_period *)conf_push(&r->periods, &r->nperiods,
	    sizeof(p)) = p;
	return 0;
}

/* Digits and d-d ranges, commas optional ("1-5", "06", "0,6"); 0 and 7
 * are Sunday. */
static int
weekdays(struct conf_state *st, const char *s, struct pc_acl_rule *r)
{
	if (strcmp(s, "*") == 0)
		return 0;
	for (const char *p = s; *p != '\0'; p++) {
		int a, b;

		if (*p == ',')
			continue;
		if (*p < '0' || *p > '7')
			return conf_err(st, s, "invalid weekdays (expected "
			    "digits 0-7 and ranges such as 1-5)");
		a = b = *p - '0';
		if (p[1] == '-') {
			if (p[2] < '0' || p[2] > '7' || p[2] - '0' < a)
				return conf_err(st, s, "invalid weekday range");
			b = p[2] - '0';
			p += 2;
		}
		for (int d = a; d <= b; d++)
			r->weekdays |= (uint8_t)(1u << (d % 7));
	}
	return 0;
}

int
conf_acl_rule(struct conf_state *st, size_t argc, char **argv,
    struct pc_acl_rule *r)
{
	static const item_fn fns[] = { item_user, item_src, item_dst,
	    item_port, item_op, NULL, item_period };
	int rc = 0;

	r->action = strcmp(argv[0], "deny") == 0 ? PC_ACL_DENY : PC_ACL_ALLOW;
	r->file = st->file;
	r->line = st->line;
	for (size_t i = 1; i < argc && rc == 0; i++) {
		if (i == 6)
			rc = weekdays(st, argv[i], r);
		else if (i == 8 && conf_uint(argv[i], 0, UINT32_MAX,
		    &r->weight) != 0)
			rc = conf_err(st, argv[i], "invalid weight");
		else if (i < 8 && fns[i - 1] != NULL)
			rc = each_item(st, argv[i], r, fns[i - 1]);
	}
	return rc;
}
