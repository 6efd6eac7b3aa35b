/*
 * The running configuration for the admin page, written back as lines of
 * the 3proxy language from the compiled model (the worker cannot read the
 * file: it is jailed, and the file holds passwords).  Secrets are never
 * printed: `users` names come from the master without their passwords
 * (the worker's own table is wiped after fork) and a parent's password
 * is shown as "*****".  Only what the model keeps is shown; comments,
 * includes and the order of global commands are gone.
 */
#include <stdio.h>
#include <string.h>

#include "worker/proto/admin/admin.h"

#define MASK "*****"

static const char *const auth_names[] = {
	[PC_AUTH_NONE] = "none", [PC_AUTH_IPONLY] = "iponly",
	[PC_AUTH_STRONG] = "strong", [PC_AUTH_USERONLY] = "useronly",
	[PC_AUTH_CACHE] = "cache", [PC_AUTH_NBNAME] = "nbname",
};

static const char *const parent_names[] = {
	[PC_PARENT_TCP] = "tcp", [PC_PARENT_HTTP] = "http",
	[PC_PARENT_CONNECT] = "connect", [PC_PARENT_CONNECTP] = "connect+",
	[PC_PARENT_SOCKS4] = "socks4", [PC_PARENT_SOCKS4P] = "socks4+",
	[PC_PARENT_SOCKS5] = "socks5", [PC_PARENT_SOCKS5P] = "socks5+",
	[PC_PARENT_EXTIP] = "extip", [PC_PARENT_POP3] = "pop3",
	[PC_PARENT_FTP] = "ftp",
};

static const struct { uint32_t bit; const char *name; } op_names[] = {
	{ PC_OP_CONNECT, "CONNECT" }, { PC_OP_BIND, "BIND" },
	{ PC_OP_UDPASSOC, "UDPASSOC" }, { PC_OP_ICMPASSOC, "ICMPASSOC" },
	{ PC_OP_HTTP_GET, "HTTP_GET" }, { PC_OP_HTTP_PUT, "HTTP_PUT" },
	{ PC_OP_HTTP_POST, "HTTP_POST" }, { PC_OP_HTTP_HEAD, "HTTP_HEAD" },
	{ PC_OP_HTTP_CONNECT, "HTTP_CONNECT" },
	{ PC_OP_HTTP_OTHER, "HTTP_OTHER" }, { PC_OP_FTP_GET, "FTP_GET" },
	{ PC_OP_FTP_PUT, "FTP_PUT" }, { PC_OP_FTP_LIST, "FTP_LIST" },
	{ PC_OP_FTP_DATA, "FTP_DATA" }, { PC_OP_ADMIN, "ADMIN" },
	{ PC_OP_DNSRESOLVE, "DNSRESOLVE" },
};

static const char *const pw_names[] = { "CL", "CR", "NT", "SYS" };

static void
range(struct abuf *b, const struct pc_addrrange *r)
{
	struct pc_addr lo = { .family = r->family }, hi = lo;
	char           a[PC_ADDRSTRLEN], z[PC_ADDRSTRLEN];

	memcpy(lo.ip, r->lo, sizeof(lo.ip));
	memcpy(hi.ip, r->hi, sizeof(hi.ip));
	pc_addr_ntop(&lo, a, sizeof(a));
	if (memcmp(r->lo, r->hi, sizeof(r->lo)) == 0)
		abuf_printf(b, "%s", a);
	else
		abuf_printf(b, "%s-%s", a, pc_addr_ntop(&hi, z, sizeof(z)));
}

static void
ranges(struct abuf *b, const struct pc_addrrange *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		abuf_printf(b, i ? "," : "");
		range(b, &r[i]);
	}
}

static void
targets(struct abuf *b, const struct pc_acl_rule *r)
{
	if (r->ndst_addrs + r->ndst_hosts == 0) {
		abuf_printf(b, " *");
		return;
	}
	abuf_printf(b, " ");
	ranges(b, r->dst_addrs, r->ndst_addrs);
	for (size_t i = 0; i < r->ndst_hosts; i++) {
		const struct pc_hostpat *h = &r->dst_hosts[i];

		abuf_printf(b, "%s%s", i + r->ndst_addrs ? "," : "",
		    h->flags & PC_HOSTPAT_SUFFIX ? "*" : "");
		abuf_html(b, h->text);
		abuf_printf(b, "%s", h->flags & PC_HOSTPAT_PREFIX ? "*" : "");
	}
}

static void
ops_field(struct abuf *b, uint32_t ops)
{
	bool first = true;

	if (ops == 0) {
		abuf_printf(b, " *");
		return;
	}
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (ops & op_names[i].bit) {
			abuf_printf(b, "%s%s", first ? " " : ",",
			    op_names[i].name);
			first = false;
		}
}

static void
when(struct abuf *b, const struct pc_acl_rule *r)
{
	if (r->weekdays == 0 && r->nperiods == 0)
		return;
	abuf_printf(b, " ");
	for (int d = 0; d < 7; d++)
		if (r->weekdays == 0 || (r->weekdays & (1u << d)))
			abuf_printf(b, "%d", d);
	for (size_t i = 0; i < r->nperiods; i++) {
		uint32_t s = r->periods[i].start, e = r->periods[i].end;

		abuf_printf(b, "%s%02u:%02u:%02u-%02u:%02u:%02u",
		    i ? "," : " ", s / 3600, s / 60 % 60, s % 60,
		    e / 3600, e / 60 % 60, e % 60);
	}
}

/* users sources targets ports operations [weekdays [periods]] */
static void
rule_fields(struct abuf *b, const struct pc_acl_rule *r)
{
	abuf_printf(b, " ");
	if (r->nusers == 0)
		abuf_printf(b, "*");
	for (size_t i = 0; i < r->nusers; i++) {
		abuf_printf(b, i ? "," : "");
		abuf_html(b, r->users[i]);
	}
	abuf_printf(b, " ");
	if (r->nsrcs == 0)
		abuf_printf(b, "*");
	ranges(b, r->srcs, r->nsrcs);
	targets(b, r);
	abuf_printf(b, " ");
	if (r->nports == 0)
		abuf_printf(b, "*");
	for (size_t i = 0; i < r->nports; i++) {
		const struct pc_portrange *p = &r->ports[i];

		abuf_printf(b, i ? "," : "");
		if (p->lo == p->hi)
			abuf_printf(b, "%u", p->lo);
		else
			abuf_printf(b, "%u-%u", p->lo, p->hi);
	}
	ops_field(b, r->ops);
	when(b, r);
}

static void
parent(struct abuf *b, const struct pc_parent *p)
{
	abuf_printf(b, "parent %u %s ", p->weight,
	    (size_t)p->type < sizeof(parent_names) / sizeof(parent_names[0]) &&
	    parent_names[p->type] != NULL ? parent_names[p->type] : "?");
	abuf_html(b, p->host);
	abuf_printf(b, " %u", p->port);
	if (p->user != NULL) {
		abuf_printf(b, " ");
		abuf_html(b, p->user);
	}
	if (p->pass != NULL)
		abuf_printf(b, " " MASK);
	abuf_printf(b, "\n");
}

static void
acl(struct abuf *b, const struct pc_acl *a)
{
	abuf_printf(b, "flush\n");
	for (size_t i = 0; i < a->nrules; i++) {
		const struct pc_acl_rule *r = &a->rules[i];

		abuf_printf(b, "%s", r->action == PC_ACL_ALLOW ? "allow" : "deny");
		rule_fields(b, r);
		abuf_printf(b, "\n");
		for (size_t k = 0; k < r->nparents; k++)
			parent(b, &r->parents[k]);
		if (r->nolog)
			abuf_printf(b, "nolog\n");
		if (r->weight != 0)
			abuf_printf(b, "weight %u\n", r->weight);
	}
}

static void
service(struct abuf *b, const struct pc_service *s)
{
	char ip[PC_ADDRSTRLEN];

	abuf_printf(b, "%s -p%u -i%s", pc_svc_type_name(s->type),
	    s->listen.port, pc_addr_ntop(&s->listen, ip, sizeof(ip)));
	if (s->ext4.family != 0)
		abuf_printf(b, " -e%s", pc_addr_ntop(&s->ext4, ip, sizeof(ip)));
	if (s->ext6.family != 0)
		abuf_printf(b, " -e%s", pc_addr_ntop(&s->ext6, ip, sizeof(ip)));
	if (s->silent)
		abuf_printf(b, " -t");
	if (s->single)
		abuf_printf(b, " -s");
	if (s->target_host != NULL) {
		abuf_printf(b, " %u ", s->listen.port);
		abuf_html(b, s->target_host);
		abuf_printf(b, " %u", s->target_port);
	}
	abuf_printf(b, "\n");
}

static void
auth_line(struct abuf *b, const struct pc_service *s)
{
	abuf_printf(b, "auth");
	if (s->nauth == 0)
		abuf_printf(b, " iponly");
	for (size_t i = 0; i < s->nauth; i++)
		abuf_printf(b, " %s", (size_t)s->auth[i] <
		    sizeof(auth_names) / sizeof(auth_names[0]) ?
		    auth_names[s->auth[i]] : "?");
	abuf_printf(b, "\n");
}

static void
users(struct abuf *b, const struct pc_msg_admin_rep *u)
{
	if (u == NULL) {
		abuf_printf(b, "# users: the master did not answer\n");
		return;
	}
	for (uint16_t i = 0; i < u->nusers; i++) {
		abuf_printf(b, "users ");
		abuf_html(b, u->users[i].name);
		abuf_printf(b, ":%s:" MASK "\n", pw_names[u->users[i].type & 3]);
	}
	if (u->nusers_total > u->nusers)
		abuf_printf(b, "# ... and %u more users\n",
		    (unsigned)(u->nusers_total - u->nusers));
}

static void
globals(struct abuf *b, const struct pc_config *cfg)
{
	char ip[PC_ADDRSTRLEN];

	abuf_printf(b, "timeouts");
	for (size_t i = 0; i < PC_NTIMEOUTS; i++)
		abuf_printf(b, " %u", cfg->timeouts[i]);
	abuf_printf(b, "\n");
	for (size_t i = 0; i < cfg->nnservers; i++)
		abuf_printf(b, "nserver %s:%u%s\n",
		    pc_addr_ntop(&cfg->nservers[i].addr, ip, sizeof(ip)),
		    cfg->nservers[i].addr.port, cfg->nservers[i].tcp ? "/tcp" : "");
	if (cfg->nscache != 0)
		abuf_printf(b, "nscache %u\n", cfg->nscache);
	for (size_t i = 0; i < cfg->nnsrecords; i++) {
		abuf_printf(b, "nsrecord ");
		abuf_html(b, cfg->nsrecords[i].name);
		abuf_printf(b, " %s\n", pc_addr_ntop(&cfg->nsrecords[i].addr,
		    ip, sizeof(ip)));
	}
	if (cfg->fakeresolve)
		abuf_printf(b, "fakeresolve\n");
	if (cfg->counter_file != NULL) {
		abuf_printf(b, "counter ");
		abuf_html(b, cfg->counter_file);
		abuf_printf(b, "\n");
	}
}

void
admin_config_render(struct abuf *b, const struct pc_config *cfg,
    const struct pc_msg_admin_rep *u)
{
	size_t last_acl = (size_t)-1;

	globals(b, cfg);
	users(b, u);
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct pc_service *s = &cfg->svcs[i];

		abuf_printf(b, "\n# ");
		abuf_html(b, s->file != NULL ? s->file : "?");
		abuf_printf(b, ":%d\n", s->line);
		auth_line(b, s);
		if (s->acl != last_acl && s->acl < cfg->nacls)
			acl(b, &cfg->acls[s->acl]);
		last_acl = s->acl;
		abuf_printf(b, "maxconn %u\n", s->maxconn);
		service(b, s);
	}
}
