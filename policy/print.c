/*
 * The compiled model as 3proxy-language lines (print.h).  The reader of
 * the output is conf/: each command is written in the one form that
 * gives back the value the model holds, and snapshot settings (auth,
 * ACL, maxconn, workers, log, logformat) are written before every
 * service line, so each block reads on its own.  A service without an
 * `auth` line gets `auth iponly` (what it does: there is no command that
 * unsets the chain).  `logformat` cannot be unset either, so it is
 * written only when a service has one: no service without one follows.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/print.h"

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
	[PC_PARENT_FTP] = "ftp", [PC_PARENT_TLS] = "tls",
};

/* log rotation and counter reset letters; N: none (`countin`'s never) */
static const char rot_letters[] = {
	[PC_ROT_NONE] = 'N', [PC_ROT_MINUTE] = 'C', [PC_ROT_HOUR] = 'H',
	[PC_ROT_DAY] = 'D', [PC_ROT_WEEK] = 'W', [PC_ROT_MONTH] = 'M',
	[PC_ROT_YEAR] = 'Y',
};

static const char *const pw_names[] = {
	[PC_PW_CL] = "CL", [PC_PW_CR] = "CR", [PC_PW_NT] = "NT",
	[PC_PW_SYS] = "SYS",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NAME(tab, i) ((size_t)(i) < NELEM(tab) && (tab)[i] ? (tab)[i] : "?")

const char *
pc_print_user_mask(enum pc_pwtype type)
{
	static const char *const masks[] = {
		[PC_PW_CL] = "$6$maskedCL$", [PC_PW_CR] = "$6$maskedCR$",
		[PC_PW_NT] = "$6$maskedNT$", [PC_PW_SYS] = "$6$maskedCR$",
	};

	return NAME(masks, type);
}

static bool
is_mask(const char *s)
{
	return s != NULL && (strcmp(s, pc_print_user_mask(PC_PW_CL)) == 0 ||
	    strcmp(s, pc_print_user_mask(PC_PW_CR)) == 0 ||
	    strcmp(s, pc_print_user_mask(PC_PW_NT)) == 0);
}

/* " WORD" */
static void
word(struct pc_text *t, const char *s)
{
	pc_text_printf(t, " ");
	pc_text_word(t, s);
}

/* " PREFIX"+"S"+"SUFFIX" as one word */
static void
word3(struct pc_text *t, const char *a, const char *b, const char *c)
{
	struct pc_text w = { 0 };

	pc_text_printf(&w, "%s%s%s", a, b, c);
	if (w.err)
		t->err = true;
	else
		word(t, w.p);
	pc_text_free(&w);
}

static const char *
ntop(const struct pc_addr *a, char *buf)
{
	return pc_addr_ntop(a, buf, PC_ADDRSTRLEN);
}

/* ADDR:PORT, [V6]:PORT */
static void
addr_port(struct pc_text *t, const struct pc_addr *a)
{
	char ip[PC_ADDRSTRLEN];

	pc_text_printf(t, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
	    ntop(a, ip), a->port);
}

/* users NAME:TYPE:SECRET, one a line; masked, every password becomes
 * a CR setting without a hash, which no password matches (print.h) */
static void
user_line(struct pc_text *t, const struct pc_user *u, unsigned flags)
{
	struct pc_text w = { 0 };
	const char    *type = "CR", *secret;

	if ((flags & PC_PRINT_SECRETS) && u->secret != NULL) {
		type = NAME(pw_names, u->type);
		secret = u->secret;
	} else if (u->type == PC_PW_CR && is_mask(u->secret))
		secret = u->secret;
	else
		secret = pc_print_user_mask(u->type);
	if (u->type == PC_PW_SYS)
		pc_text_printf(&w, "%s", u->name);
	else
		pc_text_printf(&w, "%s:%s:%s", u->name, type, secret);
	pc_text_printf(t, "users");
	if (w.err)
		t->err = true;
	else
		word(t, w.p);
	pc_text_printf(t, "\n");
	pc_text_free(&w);
}

static void odbc_word(struct pc_text *t, const char *path, const char *user,
    const char *pass, bool pass_set, unsigned flags);

static void
users(struct pc_text *t, const struct pc_config *cfg, unsigned flags,
    const struct pc_print_users *ov)
{
	const struct pc_user *u = ov != NULL ? ov->users : cfg->users;
	size_t                n = ov != NULL ? ov->nusers : cfg->nusers;

	if (ov != NULL && ov->users == NULL) {
		pc_text_printf(t, "# users: the master did not answer\n");
		return;
	}
	for (size_t i = 0; i < n; i++)
		user_line(t, &u[i], flags);
	if (ov != NULL && ov->more > 0)
		pc_text_printf(t, "# ... and %zu more users\n", ov->more);
	if (cfg->fleet.udsn != NULL) {
		pc_text_printf(t, "users");
		odbc_word(t, cfg->fleet.udsn, cfg->fleet.uuser,
		    cfg->fleet.upass, cfg->fleet.upass_set, flags);
		pc_text_printf(t, "\n");
	}
}

static void
resolver(struct pc_text *t, const struct pc_config *cfg)
{
	char ip[PC_ADDRSTRLEN];

	for (size_t i = 0; i < cfg->nnservers; i++) {
		pc_text_printf(t, "nserver ");
		addr_port(t, &cfg->nservers[i].addr);
		pc_text_printf(t, "%s\n", cfg->nservers[i].tcp ? "/tcp" : "");
	}
	if (cfg->nscache != 0)
		pc_text_printf(t, "nscache %u\n", cfg->nscache);
	for (size_t i = 0; i < cfg->nnsrecords; i++) {
		pc_text_printf(t, "nsrecord");
		word(t, cfg->nsrecords[i].name);
		pc_text_printf(t, " %s\n", ntop(&cfg->nsrecords[i].addr, ip));
	}
	if (cfg->fakeresolve)
		pc_text_printf(t, "fakeresolve\n");
}

static void
authcache(struct pc_text *t, const struct pc_authcache *ac)
{
	static const struct { uint8_t bit; const char *name; } f[] = {
		{ PC_AUTHCACHE_IP, "ip" }, { PC_AUTHCACHE_USER, "user" },
		{ PC_AUTHCACHE_PASS, "password" },
		{ PC_AUTHCACHE_LIMIT, "limit" },
	};
	bool first = true;

	if (ac->flags == 0)
		return;
	pc_text_printf(t, "authcache ");
	for (size_t i = 0; i < NELEM(f); i++)
		if (ac->flags & f[i].bit) {
			pc_text_printf(t, "%s%s", first ? "" : ",", f[i].name);
			first = false;
		}
	pc_text_printf(t, " %u %u\n", ac->ttl_s, ac->max);
}

static void
process(struct pc_text *t, const struct pc_config *cfg)
{
	if (cfg->daemon)
		pc_text_printf(t, "daemon\n");
	if (cfg->pidfile != NULL) {
		pc_text_printf(t, "pidfile");
		word(t, cfg->pidfile);
		pc_text_printf(t, "\n");
	}
	if (cfg->config_file != NULL) {      /* what reloads read */
		pc_text_printf(t, "config");
		word(t, cfg->config_file);
		pc_text_printf(t, "\n");
	}
	if (cfg->uid_set)
		pc_text_printf(t, "setuid %lu\n", (unsigned long)cfg->uid);
	if (cfg->gid_set)
		pc_text_printf(t, "setgid %lu\n", (unsigned long)cfg->gid);
	for (size_t i = 0; i < cfg->nmonitors; i++) {
		pc_text_printf(t, "monitor");
		word(t, cfg->monitors[i]);
		pc_text_printf(t, "\n");
	}
}

static void
globals(struct pc_text *t, const struct pc_config *cfg, unsigned flags)
{
	pc_text_printf(t, "timeouts");
	for (size_t i = 0; i < PC_NTIMEOUTS; i++)
		pc_text_printf(t, " %u", cfg->timeouts[i]);
	pc_text_printf(t, "\n");
	resolver(t, cfg);
	pc_text_printf(t, "parentretries %u\n", cfg->parentretries);
	if (cfg->rotate != 0)
		pc_text_printf(t, "rotate %u\n", cfg->rotate);
	if (cfg->logdump_in != 0 || cfg->logdump_out != 0)
		pc_text_printf(t, "logdump %llu %llu\n",
		    (unsigned long long)cfg->logdump_in,
		    (unsigned long long)cfg->logdump_out);
	if (cfg->archiver_ext != NULL && cfg->archiver_argv != NULL) {
		pc_text_printf(t, "archiver");
		word(t, cfg->archiver_ext);
		for (size_t i = 0; cfg->archiver_argv[i] != NULL; i++)
			word(t, cfg->archiver_argv[i]);
		pc_text_printf(t, "\n");
	}
	authcache(t, &cfg->authcache);
	if (cfg->counter_file != NULL || cfg->fleet.dsn != NULL) {
		pc_text_printf(t, "counter");
		if (cfg->fleet.dsn != NULL)
			odbc_word(t, cfg->fleet.dsn, cfg->fleet.user,
			    cfg->fleet.pass, cfg->fleet.pass_set, flags);
		else
			word(t, cfg->counter_file);
		if (cfg->counter_report != NULL) {
			pc_text_printf(t, " %c", rot_letters[cfg->counter_rtype]);
			word(t, cfg->counter_report);
		}
		pc_text_printf(t, "\n");
	}
	if (cfg->fleet.node != NULL) {
		pc_text_printf(t, "fleet");
		word(t, cfg->fleet.node);
		if (cfg->fleet.state != NULL)
			word(t, cfg->fleet.state);
		if (cfg->fleet.batch_kb != 0)
			pc_text_printf(t, "%s %u", cfg->fleet.state != NULL ?
			    "" : " \"\"", cfg->fleet.batch_kb);
		pc_text_printf(t, "\n");
	}
	process(t, cfg);
}

static void
limits(struct pc_text *t, const struct pc_config *cfg)
{
	for (size_t i = 0; i < cfg->nbandlims; i++) {
		const struct pc_bandlim *b = &cfg->bandlims[i];

		pc_text_printf(t, "%sbandlim%s", b->exempt ? "no" : "",
		    b->dir == PC_BL_IN ? "in" : "out");
		if (!b->exempt)
			pc_text_printf(t, " %u", b->rate);
		pc_print_rule_fields(t, &b->rule);
		pc_text_printf(t, "\n");
	}
	for (size_t i = 0; i < cfg->nconnlims; i++) {
		const struct pc_connlim *l = &cfg->connlims[i];

		if (l->exempt)
			pc_text_printf(t, "noconnlim");
		else
			pc_text_printf(t, "connlim %u %u", l->rate, l->period);
		pc_print_rule_fields(t, &l->rule);
		pc_text_printf(t, "\n");
	}
	for (size_t i = 0; i < cfg->ncounters; i++) {
		const struct pc_counter *c = &cfg->counters[i];
		static const char *const dirs[] = { "in", "out", "all" };
		char num[16];

		pc_text_printf(t, "%scount%s", c->exempt ? "no" : "",
		    NAME(dirs, c->dir));
		if (!c->exempt) {
			snprintf(num, sizeof(num), "%u", c->number);
			word3(t, num, c->name != NULL ? "/" : "",
			    c->name != NULL ? c->name : "");
			pc_text_printf(t, " %c %llu", rot_letters[c->period],
			    (unsigned long long)(c->limit / 1048576u));
		}
		pc_print_rule_fields(t, &c->rule);
		pc_text_printf(t, "\n");
	}
}

static void
parent(struct pc_text *t, const struct pc_parent *p, unsigned flags)
{
	pc_text_printf(t, "parent %u %s", p->weight,
	    NAME(parent_names, p->type));
	word(t, p->host);
	pc_text_printf(t, " %u", p->port);
	if (p->user != NULL)
		word(t, p->user);
	if (p->pass != NULL)
		word(t, flags & PC_PRINT_SECRETS ? p->pass : MASK);
	pc_text_printf(t, "\n");
}

static void
acl(struct pc_text *t, const struct pc_acl *a, unsigned flags)
{
	pc_text_printf(t, "flush\n");
	for (size_t i = 0; i < a->nrules; i++) {
		const struct pc_acl_rule *r = &a->rules[i];

		pc_text_printf(t, "%s", r->action == PC_ACL_ALLOW ? "allow" :
		    "deny");
		pc_print_rule_fields(t, r);
		pc_text_printf(t, "\n");
		for (size_t k = 0; k < r->nparents; k++)
			parent(t, &r->parents[k], flags);
		if (r->nolog)
			pc_text_printf(t, "nolog\n");
	}
}

/* The value of PWD= or PASSWORD= in an ODBC connection string masked. */
static void
dsn(struct pc_text *t, const char *s, unsigned flags)
{
	while (*s != '\0') {
		size_t key = strcspn(s, "=;"), val;

		if (s[key] != '=') {
			pc_text_printf(t, "%.*s", (int)(key + (s[key] == ';')),
			    s);
			s += key + (s[key] == ';');
			continue;
		}
		val = strcspn(s + key + 1, ";");
		if (!(flags & PC_PRINT_SECRETS) && ((key == 3 &&
		    strncasecmp(s, "pwd", 3) == 0) || (key == 8 &&
		    strncasecmp(s, "password", 8) == 0)))
			pc_text_printf(t, "%.*s" MASK, (int)(key + 1), s);
		else
			pc_text_printf(t, "%.*s", (int)(key + 1 + val), s);
		s += key + 1 + val;
		if (*s == ';') {
			pc_text_printf(t, ";");
			s++;
		}
	}
}

/* &DSN[,USER[,PASS]] as one word, the password masked */
static void
odbc_word(struct pc_text *t, const char *path, const char *user,
    const char *pass, bool pass_set, unsigned flags)
{
	struct pc_text w = { 0 };

	pc_text_printf(&w, "&");
	dsn(&w, path, flags);
	if (user != NULL || pass_set)
		pc_text_printf(&w, ",%s", user != NULL ? user : "");
	if (pass_set)
		pc_text_printf(&w, ",%s", (flags & PC_PRINT_SECRETS) &&
		    pass != NULL ? pass : MASK);
	if (w.err)
		t->err = true;
	else
		word(t, w.p);
	pc_text_free(&w);
}

static void
log_odbc(struct pc_text *t, const struct pc_logtarget *l, unsigned flags)
{
	odbc_word(t, l->path, l->odbc_user, l->odbc_pass, l->odbc_pass_set,
	    flags);
}

static void
log_line(struct pc_text *t, const struct pc_config *cfg, int idx,
    unsigned flags)
{
	const struct pc_logtarget *l;

	if (idx < 0 || (size_t)idx >= cfg->nlogs) {
		pc_text_printf(t, "log /dev/null\n");
		return;
	}
	l = &cfg->logs[idx];
	pc_text_printf(t, "log");
	switch (l->kind) {
	case PC_LOG_STDOUT:
		break;
	case PC_LOG_SYSLOG:
		word3(t, "@", l->path, "");
		break;
	case PC_LOG_ODBC:
		log_odbc(t, l, flags);
		break;
	case PC_LOG_FILE:
		/* the time-zone letter of a template (conf/cmd_log.c took
		 * it off, so no stored template starts with [LG][/%]) */
		word3(t, l->utc ? "G" : "", l->path, "");
		if (l->rot != PC_ROT_NONE)
			pc_text_printf(t, " %c", rot_letters[l->rot]);
		break;
	default:
		pc_text_printf(t, " /dev/null");
		break;
	}
	pc_text_printf(t, "\n");
}

/* What the printer said last: the next block repeats only what it must
 * (an ACL shared by consecutive services is written once). */
struct said {
	size_t   acl;
	uint32_t workers;
	bool     noforce;
};

static bool
workers_forced(const struct pc_service *s)
{
	return s->type == PC_SVC_UDPPM || s->type == PC_SVC_DNSPR ||
	    s->backlisten.family != 0;
}

static void
service_line(struct pc_text *t, const struct pc_service *s)
{
	static const char *const fam[] = {
		[PC_FAM_46] = "", [PC_FAM_4] = " -4", [PC_FAM_6] = " -6",
		[PC_FAM_64] = " -64",
	};
	bool pm = s->type == PC_SVC_TCPPM || s->type == PC_SVC_UDPPM;
	char ip[PC_ADDRSTRLEN];

	pc_text_printf(t, "%s", pc_svc_type_name(s->type));
	if (!pm)
		pc_text_printf(t, " -p%u", s->listen.port);
	pc_text_printf(t, " -i%s", ntop(&s->listen, ip));
	if (s->ext4.family != 0)
		pc_text_printf(t, " -e%s", ntop(&s->ext4, ip));
	if (s->ext6.family != 0)
		pc_text_printf(t, " -e%s", ntop(&s->ext6, ip));
	pc_text_printf(t, "%s%s%s", NAME(fam, s->fampref),
	    s->silent ? " -t" : "", s->single ? " -s" : "");
	if (s->anonymous != 0)
		pc_text_printf(t, " -a%s", s->anonymous == 1 ? "" :
		    s->anonymous == 2 ? "1" : "2");
	if (s->needuser != 1)
		pc_text_printf(t, " -u%s", s->needuser == 2 ? "2" : "");
	if ((s->type == PC_SVC_TLSPR || s->type == PC_SVC_AUTO) &&
	    s->target_port != 443)
		pc_text_printf(t, " -P%u", s->target_port);
	if (s->tls_check != 0)
		pc_text_printf(t, " -c%u", s->tls_check);
	if (s->nat_ext.family != 0)
		pc_text_printf(t, " -Ne%s", ntop(&s->nat_ext, ip));
	if (s->nat_int.family != 0)
		pc_text_printf(t, " -Ni%s", ntop(&s->nat_int, ip));
	if (s->connback_host != NULL) {
		bool v6 = strchr(s->connback_host, ':') != NULL;
		char port[8];

		snprintf(port, sizeof(port), "%s:%u", v6 ? "]" : "",
		    s->connback_port);
		word3(t, v6 ? "-r[" : "-r", s->connback_host, port);
	}
	if (s->backlisten.family != 0) {
		pc_text_printf(t, " -R");
		addr_port(t, &s->backlisten);
	}
	if (pm) {
		pc_text_printf(t, " %u", s->listen.port);
		word(t, s->target_host != NULL ? s->target_host : "?");
		pc_text_printf(t, " %u", s->target_port);
	}
	pc_text_printf(t, "\n");
}

static void
service_block(struct pc_text *t, const struct pc_config *cfg, size_t i,
    unsigned flags, struct said *said)
{
	const struct pc_service *s = &cfg->svcs[i];
	const enum pc_auth_type *chain;
	size_t                   n = pc_service_auth(s, &chain);

	pc_text_printf(t, "\n");
	if (flags & PC_PRINT_ORIGIN)
		pc_text_printf(t, "# service %zu: %s:%d\n", i + 1,
		    s->file != NULL ? s->file : "?", s->line);
	pc_text_printf(t, "auth");
	for (size_t k = 0; k < n; k++)
		pc_text_printf(t, " %s", NAME(auth_names, chain[k]));
	pc_text_printf(t, "\n");
	if (s->acl == said->acl)
		pc_text_printf(t, "# the ACL of the service above\n");
	else if (s->acl < cfg->nacls)
		acl(t, &cfg->acls[s->acl], flags);
	else
		pc_text_printf(t, "flush\n");
	said->acl = s->acl;
	pc_text_printf(t, "maxconn %u\n", s->maxconn);
	if (s->noforce != said->noforce) {
		pc_text_printf(t, "%s\n", s->noforce ? "noforce" : "force");
		said->noforce = s->noforce;
	}
	if (!workers_forced(s) && s->workers != said->workers) {
		pc_text_printf(t, "workers %u\n", s->workers);
		said->workers = s->workers;
	}
	log_line(t, cfg, s->log, flags);
	if (s->logformat != NULL) {
		pc_text_printf(t, "logformat");
		word(t, s->logformat);
		pc_text_printf(t, "\n");
	}
	service_line(t, s);
}

void
pc_print_config(struct pc_text *t, const struct pc_config *cfg,
    unsigned flags, const struct pc_print_users *ov)
{
	struct said said = { (size_t)-1, cfg->workers_default, false };

	if (flags & PC_PRINT_ORIGIN)
		pc_text_printf(t, "# the configuration compiled from %s%s\n",
		    cfg->source != NULL ? cfg->source : "?",
		    flags & PC_PRINT_SECRETS ? "" : ", secrets masked");
	globals(t, cfg, flags);
	users(t, cfg, flags, ov);
	limits(t, cfg);
	for (size_t i = 0; i < cfg->nsvcs; i++)
		service_block(t, cfg, i, flags, &said);
	/* last: the file names after `chroot` are read inside it, and the
	 * model holds them with the directory already in front */
	if (cfg->chroot != NULL) {
		pc_text_printf(t, "\nchroot");
		word(t, cfg->chroot);
		pc_text_printf(t, "\n");
	}
}
