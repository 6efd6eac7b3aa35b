/*
 * allow / deny / flush / nolog / weight, and the ACL a service takes.
 *
 * 3proxy copies the current ACL into each service it starts, so a rule
 * written after a service line extends the list only for later services,
 * and `flush` starts an empty one (docs/portcullis.cfg.5, STATE AND SERVICES).
 * Here the services share one pc_acl (by index) until the list changes: a
 * change after a service took the list goes to a copy, which becomes current.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "conf/state.h"

static void *
dup_array(const void *src, size_t n, size_t size)
{
	void *p;

	size_t cap = 1;

	if (n == 0)
		return NULL;
	/* conf_push (util.c) takes the capacity of an array to be the power
	 * of two at or above its count: a copy that a later line pushes to
	 * (a `parent` after a rule copied for each service) needs as much */
	while (cap < n)
		cap *= 2;
	p = xreallocarray(NULL, cap, size);
	memcpy(p, src, n * size);
	return p;
}

void
conf_acl_rule_dup(struct pc_acl_rule *d, const struct pc_acl_rule *s)
{
	*d = *s;
	d->users = dup_array(s->users, s->nusers, sizeof(*s->users));
	for (size_t i = 0; i < s->nusers; i++)
		d->users[i] = xstrdup(s->users[i]);
	d->srcs = dup_array(s->srcs, s->nsrcs, sizeof(*s->srcs));
	d->dst_addrs = dup_array(s->dst_addrs, s->ndst_addrs,
	    sizeof(*s->dst_addrs));
	d->dst_hosts = dup_array(s->dst_hosts, s->ndst_hosts,
	    sizeof(*s->dst_hosts));
	for (size_t i = 0; i < s->ndst_hosts; i++)
		d->dst_hosts[i].text = xstrdup(s->dst_hosts[i].text);
	d->ports = dup_array(s->ports, s->nports, sizeof(*s->ports));
	d->periods = dup_array(s->periods, s->nperiods, sizeof(*s->periods));
	d->parents = dup_array(s->parents, s->nparents, sizeof(*s->parents));
	for (size_t i = 0; i < s->nparents; i++) {
		struct pc_parent *p = &d->parents[i];

		p->host = p->host != NULL ? xstrdup(p->host) : NULL;
		p->user = p->user != NULL ? xstrdup(p->user) : NULL;
		p->pass = p->pass != NULL ? xstrdup(p->pass) : NULL;
	}
}

static size_t
new_acl(struct conf_state *st)
{
	struct pc_config *cfg = st->cfg;

	conf_push(&cfg->acls, &cfg->nacls, sizeof(*cfg->acls));
	return cfg->nacls - 1;
}

/* The ACL that allow/deny/nolog/weight may change now. */
static struct pc_acl *
acl_for_change(struct conf_state *st)
{
	struct pc_config *cfg = st->cfg;

	if (st->acl == CONF_NO_ACL)
		st->acl = new_acl(st);
	else if (st->acl_taken) {
		size_t old = st->acl, idx = new_acl(st);

		for (size_t i = 0; i < cfg->acls[old].nrules; i++) {
			struct pc_acl *a = &cfg->acls[idx];

			conf_acl_rule_dup(conf_push(&a->rules, &a->nrules,
			    sizeof(*a->rules)), &cfg->acls[old].rules[i]);
		}
		st->acl = idx;
	}
	st->acl_taken = false;
	return &cfg->acls[st->acl];
}

size_t
conf_acl_for_service(struct conf_state *st)
{
	if (st->acl == CONF_NO_ACL)
		st->acl = new_acl(st);
	st->acl_taken = true;
	return st->acl;
}

int
cmd_allow(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_acl      *acl = acl_for_change(st);
	struct pc_acl_rule *r;

	r = conf_push(&acl->rules, &acl->nrules, sizeof(*r));
	return conf_acl_rule(st, argc, argv, r);
}

int
cmd_flush(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	(void)argv;
	st->acl = CONF_NO_ACL;
	st->acl_taken = false;
	return 0;
}

struct pc_acl_rule *
conf_last_rule(struct conf_state *st, const char *cmd)
{
	struct pc_acl *acl;

	if (st->acl == CONF_NO_ACL || st->cfg->acls[st->acl].nrules == 0) {
		conf_err(st, cmd, "no allow or deny line before it");
		return NULL;
	}
	acl = acl_for_change(st);
	return &acl->rules[acl->nrules - 1];
}

int
cmd_nolog(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_acl_rule *r = conf_last_rule(st, argv[0]);

	(void)argc;
	if (r == NULL)
		return -1;
	r->nolog = true;
	return 0;
}

int
cmd_weight(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_acl_rule *r;
	uint32_t            w;

	(void)argc;
	if (conf_uint(argv[1], 0, UINT32_MAX, &w) != 0)
		return conf_err(st, argv[1], "invalid weight");
	if ((r = conf_last_rule(st, argv[0])) == NULL)
		return -1;
	r->weight = w;
	return 0;
}
