/* Lifetime and small queries of the compiled configuration. */
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

static const char *const svc_names[PC_SVC__COUNT] = {
	[PC_SVC_PROXY] = "proxy",
	[PC_SVC_SOCKS] = "socks",
	[PC_SVC_TCPPM] = "tcppm",
	[PC_SVC_UDPPM] = "udppm",
	[PC_SVC_POP3P] = "pop3p",
	[PC_SVC_DNSPR] = "dnspr",
	[PC_SVC_FTPPR] = "ftppr",
	[PC_SVC_SMTPP] = "smtpp",
	[PC_SVC_ADMIN] = "admin",
	[PC_SVC_TLSPR] = "tlspr",
	[PC_SVC_AUTO] = "auto",
	[PC_SVC_IMAPP] = "imapp",
};

bool
pc_svc_is_udp(enum pc_svc_type t)
{
	return t == PC_SVC_UDPPM || t == PC_SVC_DNSPR;
}

const char *
pc_svc_type_name(enum pc_svc_type t)
{
	if ((unsigned)t >= PC_SVC__COUNT)
		return "?";
	return svc_names[t];
}

uint16_t
pc_svc_default_port(enum pc_svc_type t)
{
	switch (t) {
	case PC_SVC_PROXY:
		return 3128;
	case PC_SVC_SOCKS:
		return 1080;
	case PC_SVC_POP3P:
		return 110;
	case PC_SVC_DNSPR:
		return 53;
	case PC_SVC_FTPPR:
		return 21;
	case PC_SVC_SMTPP:
		return 587;   /* docs/3proxy-differences.md, decision 6 */
	case PC_SVC_ADMIN:
		return 80;
	case PC_SVC_TLSPR:
		return 1443;  /* tlspr.8 */
	case PC_SVC_IMAPP:
		return 143;
	case PC_SVC_AUTO:
		return 8080;  /* 3proxy's proxymain.c */
	default:
		return 0;   /* tcppm: LOCALPORT is mandatory */
	}
}

/* No `auth` line behaves as iponly: 3proxy 1.0.0
 * (docs/3proxy-differences.md, decision 2). */
size_t
pc_service_auth(const struct pc_service *s, const enum pc_auth_type **chain)
{
	static const enum pc_auth_type dflt[1] = { PC_AUTH_IPONLY };

	if (s->nauth == 0) {
		*chain = dflt;
		return 1;
	}
	*chain = s->auth;
	return s->nauth;
}

static void
wipe_str(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Called by a worker right after fork: its copy-on-write pages of the user
 * table are overwritten, so no password or hash outlives the fork there. */
void
pc_config_scrub_secrets(struct pc_config *cfg)
{
	for (size_t i = 0; i < cfg->nusers; i++) {
		wipe_str(cfg->users[i].secret);
		wipe_str(cfg->users[i].name);
	}
	if (cfg->users != NULL)
		explicit_bzero(cfg->users, cfg->nusers * sizeof(*cfg->users));
	free(cfg->users);
	cfg->users = NULL;
	cfg->nusers = 0;
	for (size_t i = 0; i < cfg->nlogs; i++) {
		wipe_str(cfg->logs[i].odbc_pass);   /* the ODBC password */
		cfg->logs[i].odbc_pass = NULL;
	}
	wipe_str(cfg->fleet.pass);
	cfg->fleet.pass = NULL;
	wipe_str(cfg->fleet.upass);
	cfg->fleet.upass = NULL;
}

static void
rule_free(struct pc_acl_rule *r)
{
	for (size_t i = 0; i < r->nusers; i++)
		free(r->users[i]);
	free(r->users);
	free(r->srcs);
	free(r->dst_addrs);
	for (size_t i = 0; i < r->ndst_hosts; i++)
		free(r->dst_hosts[i].text);
	free(r->dst_hosts);
	free(r->ports);
	free(r->periods);
	for (size_t i = 0; i < r->nparents; i++) {
		free(r->parents[i].host);
		free(r->parents[i].user);
		free(r->parents[i].pass);
	}
	free(r->parents);
}

static void
free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
pc_config_free(struct pc_config *cfg)
{
	if (cfg == NULL)
		return;
	pc_config_scrub_secrets(cfg);
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		free(cfg->svcs[i].logformat);
		free(cfg->svcs[i].target_host);
		free(cfg->svcs[i].connback_host);
	}
	free(cfg->svcs);
	for (size_t i = 0; i < cfg->nacls; i++) {
		for (size_t k = 0; k < cfg->acls[i].nrules; k++)
			rule_free(&cfg->acls[i].rules[k]);
		free(cfg->acls[i].rules);
	}
	free(cfg->acls);
	for (size_t i = 0; i < cfg->nlogs; i++) {
		free(cfg->logs[i].path);
		free(cfg->logs[i].odbc_user);
		free(cfg->logs[i].odbc_pass);
	}
	free(cfg->logs);
	free(cfg->archiver_ext);
	for (size_t i = 0; cfg->archiver_argv != NULL &&
	    cfg->archiver_argv[i] != NULL; i++)
		free(cfg->archiver_argv[i]);
	free(cfg->archiver_argv);
	for (size_t i = 0; i < cfg->nnsrecords; i++)
		free(cfg->nsrecords[i].name);
	free(cfg->nsrecords);
	for (size_t i = 0; i < cfg->nbandlims; i++)
		rule_free(&cfg->bandlims[i].rule);
	free(cfg->bandlims);
	for (size_t i = 0; i < cfg->nconnlims; i++)
		rule_free(&cfg->connlims[i].rule);
	free(cfg->connlims);
	for (size_t i = 0; i < cfg->ncounters; i++) {
		rule_free(&cfg->counters[i].rule);
		free(cfg->counters[i].name);
	}
	free(cfg->counters);
	free(cfg->counter_file);
	free(cfg->counter_report);
	free(cfg->fleet.dsn);
	free(cfg->fleet.user);
	free(cfg->fleet.pass);
	free(cfg->fleet.node);
	free(cfg->fleet.state);
	free(cfg->fleet.udsn);
	free(cfg->fleet.uuser);
	free(cfg->fleet.upass);
	free(cfg->pidfile);
	free(cfg->chroot);
	free(cfg->config_file);
	free_strv(cfg->monitors, cfg->nmonitors);
	free_strv(cfg->strings, cfg->nstrings);
	free(cfg->path);
	free(cfg->source);
	free(cfg);
}
