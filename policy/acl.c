/*
 * ACL matching, run for every request in the workers: no allocation, no
 * locale, no system call except localtime_r for rules with weekdays or
 * periods (the worker calls tzset() before it enters its jail, so that
 * reads no file later).  Semantics: docs/portcullis.cfg.5,
 * Access control lists.
 */
#include <string.h>

#include "policy/policy.h"

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 'a' - 'A') : c;
}

/* Patterns are stored lower case; the request is folded here. */
static bool
eq_fold(const char *req, const char *pat, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(req[i]) != pat[i])
			return false;
	return true;
}

static bool
host_matches(const struct pc_hostpat *p, const char *h, size_t hn)
{
	size_t pn = strlen(p->text);

	if (hn < pn)
		return false;
	switch (p->flags & (PC_HOSTPAT_PREFIX | PC_HOSTPAT_SUFFIX)) {
	case 0:
		return hn == pn && eq_fold(h, p->text, pn);
	case PC_HOSTPAT_PREFIX:
		return eq_fold(h, p->text, pn);
	case PC_HOSTPAT_SUFFIX:
		return eq_fold(h + hn - pn, p->text, pn);
	default:
		for (size_t i = 0; i + pn <= hn; i++)
			if (eq_fold(h + i, p->text, pn))
				return true;
		return false;
	}
}

static bool
target_matches(const struct pc_acl_rule *r, const struct pc_acl_req *q)
{
	if (r->ndst_addrs == 0 && r->ndst_hosts == 0)
		return true;
	/* a request naming no target (UDP ASSOCIATE with 0.0.0.0:0) is not
	 * held to target entries (docs/portcullis.cfg.5,
	 * Access control lists) */
	if (q->dst.family == 0 && q->host == NULL)
		return true;
	if (q->dst.family != 0)
		for (size_t i = 0; i < r->ndst_addrs; i++)
			if (pc_addrrange_contains(&r->dst_addrs[i], &q->dst))
				return true;
	if (q->host != NULL) {
		size_t hn = strlen(q->host);

		/* "example.com." is the same name as "example.com" */
		if (hn > 1 && q->host[hn - 1] == '.')
			hn--;
		for (size_t i = 0; i < r->ndst_hosts; i++)
			if (host_matches(&r->dst_hosts[i], q->host, hn))
				return true;
	}
	return false;
}

static bool
user_matches(const struct pc_acl_rule *r, const char *user)
{
	if (r->nusers == 0)
		return true;
	if (user == NULL)
		user = "-";
	for (size_t i = 0; i < r->nusers; i++)
		if (strcmp(r->users[i], user) == 0)
			return true;
	return false;
}

static bool
port_matches(const struct pc_acl_rule *r, uint16_t port)
{
	if (r->nports == 0 || port == 0)
		return true;
	for (size_t i = 0; i < r->nports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

static bool
time_matches(const struct pc_acl_rule *r, time_t now)
{
	struct tm tm;
	uint32_t  sec;

	if (r->weekdays == 0 && r->nperiods == 0)
		return true;
	if (localtime_r(&now, &tm) == NULL)
		return false;
	if (r->weekdays != 0 && !(r->weekdays & (1u << tm.tm_wday)))
		return false;
	if (r->nperiods == 0)
		return true;
	/* tm_sec may be 60 on a leap second: still before midnight */
	sec = (uint32_t)(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	for (size_t i = 0; i < r->nperiods; i++)
		if (sec >= r->periods[i].start && sec < r->periods[i].end)
			return true;
	return false;
}

bool
pc_acl_rule_matches(const struct pc_acl_rule *r, const struct pc_acl_req *q)
{
	bool src = r->nsrcs == 0;

	if (!user_matches(r, q->user))
		return false;
	for (size_t i = 0; i < r->nsrcs && !src; i++)
		src = pc_addrrange_contains(&r->srcs[i], &q->client);
	if (!src || !target_matches(r, q) || !port_matches(r, q->port))
		return false;
	/* every operation bit of the request must be in the rule's set (or
	 * of its other name: an ftppr transfer is FTP_DATA as well) */
	if (r->ops != 0 && (q->op & r->ops) != q->op &&
	    (q->op_also == 0 || (q->op_also & r->ops) != q->op_also))
		return false;
	return time_matches(r, q->now);
}

static bool
has_local_parent(const struct pc_acl_rule *r)
{
	for (size_t i = 0; i < r->nparents; i++)
		if (r->parents[i].local)
			return true;
	return false;
}

int
pc_acl_check(const struct pc_acl *acl, const struct pc_acl_req *req,
    size_t *rule)
{
	if (rule != NULL)
		*rule = (size_t)-1;
	if (acl == NULL || acl->nrules == 0)
		return PC_ACL_OK;
	for (size_t i = 0; i < acl->nrules; i++) {
		if (req->redirected && has_local_parent(&acl->rules[i]))
			continue;   /* 3proxy: "redirection rule itself is
			               skipped" on the second walk */
		if (!pc_acl_rule_matches(&acl->rules[i], req))
			continue;
		if (rule != NULL)
			*rule = i;
		return acl->rules[i].action == PC_ACL_DENY ? PC_ACL_DENIED :
		    PC_ACL_OK;
	}
	return PC_ACL_NOMATCH;
}
