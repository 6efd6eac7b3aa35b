/*
 * The printer (policy/print.c) against the parser (conf/): for every
 * tests/conf/NAME.cfg (run from the top of the tree, as `make unit` does),
 * print(parse(x)) parsed again gives the same model, compared field by
 * field, and prints the same text; with the secrets as written and
 * masked.  A masked config lets nobody in.  Plus the printer's words and
 * fields one by one.  The golden renderings are tests/conf/golden.sh's.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "master/auth.h"
#include "policy/print.h"
#include "tests/unit/check.h"

static const char *cur;   /* the file being compared, for messages */
static char        err[512];
static bool        masked;  /* comparing with a masked print: secrets
                               differ, their presence does not */

#define SAME(cond, what) do {                                           \
	check_total++;                                                  \
	if (!(cond)) {                                                  \
		check_failed++;                                         \
		fprintf(stderr, "%s: %s differs after the round trip%s\n", \
		    cur, what, masked ? " (masked)" : ""); \
	}                                                               \
} while (0)

static bool
str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
secret_eq(const char *a, const char *b)
{
	return masked ? (a == NULL) == (b == NULL) : str_eq(a, b);
}

static bool
addr_eq(const struct pc_addr *a, const struct pc_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->ip, b->ip, sizeof(a->ip)) == 0;
}

#define MEM_EQ(a, b, n) ((n) == 0 || memcmp((a), (b), (n) * sizeof(*(a))) == 0)

static bool
parent_eq(const struct pc_parent *a, const struct pc_parent *b)
{
	return a->type == b->type && a->weight == b->weight &&
	    str_eq(a->host, b->host) && addr_eq(&a->addr, &b->addr) &&
	    a->port == b->port && a->same_addr == b->same_addr &&
	    a->local == b->local && str_eq(a->user, b->user) &&
	    secret_eq(a->pass, b->pass);
}

static bool
rule_eq(const struct pc_acl_rule *a, const struct pc_acl_rule *b)
{
	if (a->action != b->action || a->nolog != b->nolog ||
	    a->weight != b->weight || a->nusers != b->nusers ||
	    a->nsrcs != b->nsrcs || a->ndst_addrs != b->ndst_addrs ||
	    a->ndst_hosts != b->ndst_hosts || a->nports != b->nports ||
	    a->ops != b->ops || a->weekdays != b->weekdays ||
	    a->nperiods != b->nperiods || a->nparents != b->nparents)
		return false;
	for (size_t i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i], b->users[i]) != 0)
			return false;
	for (size_t i = 0; i < a->ndst_hosts; i++)
		if (strcmp(a->dst_hosts[i].text, b->dst_hosts[i].text) != 0 ||
		    a->dst_hosts[i].flags != b->dst_hosts[i].flags)
			return false;
	for (size_t i = 0; i < a->nparents; i++)
		if (!parent_eq(&a->parents[i], &b->parents[i]))
			return false;
	return MEM_EQ(a->srcs, b->srcs, a->nsrcs) &&
	    MEM_EQ(a->dst_addrs, b->dst_addrs, a->ndst_addrs) &&
	    MEM_EQ(a->ports, b->ports, a->nports) &&
	    MEM_EQ(a->periods, b->periods, a->nperiods);
}

static bool
acl_eq(const struct pc_config *ca, size_t ia, const struct pc_config *cb,
    size_t ib)
{
	const struct pc_acl *a = &ca->acls[ia], *b = &cb->acls[ib];

	if (ia >= ca->nacls || ib >= cb->nacls || a->nrules != b->nrules)
		return false;
	for (size_t i = 0; i < a->nrules; i++)
		if (!rule_eq(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

/* Log targets by content: an unused target has no index to keep. */
static bool
log_eq(const struct pc_config *ca, int ia, const struct pc_config *cb,
    int ib)
{
	const struct pc_logtarget *a, *b;

	if (ia < 0 || ib < 0)
		return ia < 0 && ib < 0;
	a = &ca->logs[ia];
	b = &cb->logs[ib];
	return a->kind == b->kind && (a->kind == PC_LOG_ODBC ?
	    secret_eq(a->path, b->path) : str_eq(a->path, b->path)) &&
	    a->rot == b->rot && a->pattern == b->pattern &&
	    a->utc == b->utc && str_eq(a->odbc_user, b->odbc_user) &&
	    secret_eq(a->odbc_pass, b->odbc_pass) &&
	    a->odbc_pass_set == b->odbc_pass_set;
}

static void
services_eq(const struct pc_config *a, const struct pc_config *b)
{
	SAME(a->nsvcs == b->nsvcs, "the number of services");
	for (size_t i = 0; i < a->nsvcs && i < b->nsvcs; i++) {
		const struct pc_service *s = &a->svcs[i], *t = &b->svcs[i];
		const enum pc_auth_type *ca, *cb;
		size_t na = pc_service_auth(s, &ca), nb = pc_service_auth(t, &cb);

		SAME(s->type == t->type, "a service's type");
		SAME(addr_eq(&s->listen, &t->listen), "a listen address");
		SAME(addr_eq(&s->ext4, &t->ext4) && addr_eq(&s->ext6, &t->ext6),
		    "an external address");
		SAME(s->fampref == t->fampref, "a family preference");
		SAME(na == nb && MEM_EQ(ca, cb, na), "an auth chain");
		SAME(acl_eq(a, s->acl, b, t->acl), "an ACL");
		/* services that shared an ACL still share one */
		SAME(i == 0 || (s->acl == a->svcs[i - 1].acl) ==
		    (t->acl == b->svcs[i - 1].acl), "ACL sharing");
		SAME(s->maxconn == t->maxconn, "maxconn");
		SAME(s->workers == t->workers, "workers");
		SAME(log_eq(a, s->log, b, t->log), "a log target");
		SAME(str_eq(s->logformat, t->logformat), "a logformat");
		SAME(s->silent == t->silent && s->single == t->single,
		    "-t or -s");
		SAME(str_eq(s->target_host, t->target_host) &&
		    s->target_port == t->target_port, "a port mapper's target");
		SAME(s->needuser == t->needuser, "-u or -u2");
		SAME(s->noforce == t->noforce, "force or noforce");
		SAME(s->anonymous == t->anonymous, "-a");
		SAME(s->tls_check == t->tls_check, "-c");
		SAME(addr_eq(&s->nat_ext, &t->nat_ext) &&
		    addr_eq(&s->nat_int, &t->nat_int), "-Ne or -Ni");
		SAME(str_eq(s->connback_host, t->connback_host) &&
		    s->connback_port == t->connback_port, "-r");
		SAME(addr_eq(&s->backlisten, &t->backlisten), "-R");
	}
}

static void
limits_eq(const struct pc_config *a, const struct pc_config *b)
{
	SAME(a->nbandlims == b->nbandlims, "the number of bandlim rules");
	for (size_t i = 0; i < a->nbandlims && i < b->nbandlims; i++) {
		const struct pc_bandlim *x = &a->bandlims[i], *y = &b->bandlims[i];

		SAME(x->dir == y->dir && x->exempt == y->exempt &&
		    x->rate == y->rate && rule_eq(&x->rule, &y->rule),
		    "a bandlim rule");
	}
	SAME(a->nconnlims == b->nconnlims, "the number of connlim rules");
	for (size_t i = 0; i < a->nconnlims && i < b->nconnlims; i++) {
		const struct pc_connlim *x = &a->connlims[i], *y = &b->connlims[i];

		SAME(x->exempt == y->exempt && x->rate == y->rate &&
		    x->period == y->period && rule_eq(&x->rule, &y->rule),
		    "a connlim rule");
	}
	SAME(a->ncounters == b->ncounters, "the number of counters");
	for (size_t i = 0; i < a->ncounters && i < b->ncounters; i++) {
		const struct pc_counter *x = &a->counters[i], *y = &b->counters[i];

		SAME(x->dir == y->dir && x->exempt == y->exempt &&
		    x->number == y->number && str_eq(x->name, y->name) &&
		    x->period == y->period && x->limit == y->limit &&
		    rule_eq(&x->rule, &y->rule), "a counter rule");
	}
}

static void
globals_eq(const struct pc_config *a, const struct pc_config *b)
{
	bool same = a->nusers == b->nusers;

	for (size_t i = 0; same && i < a->nusers; i++)
		same = str_eq(a->users[i].name, b->users[i].name) &&
		    a->users[i].type == b->users[i].type &&
		    str_eq(a->users[i].secret, b->users[i].secret);
	SAME(same, "the user table");
	SAME(MEM_EQ(a->timeouts, b->timeouts, PC_NTIMEOUTS), "timeouts");
	SAME(a->nnservers == b->nnservers &&
	    MEM_EQ(a->nservers, b->nservers, a->nnservers), "nserver");
	SAME(a->nscache == b->nscache, "nscache");
	same = a->nnsrecords == b->nnsrecords;
	for (size_t i = 0; same && i < a->nnsrecords; i++)
		same = str_eq(a->nsrecords[i].name, b->nsrecords[i].name) &&
		    addr_eq(&a->nsrecords[i].addr, &b->nsrecords[i].addr);
	SAME(same, "nsrecord");
	SAME(a->fakeresolve == b->fakeresolve, "fakeresolve");
	SAME(a->parentretries == b->parentretries, "parentretries");
	SAME(a->rotate == b->rotate, "rotate");
	SAME(a->logdump_in == b->logdump_in &&
	    a->logdump_out == b->logdump_out, "logdump");
	same = str_eq(a->archiver_ext, b->archiver_ext) &&
	    (a->archiver_argv == NULL) == (b->archiver_argv == NULL);
	for (size_t i = 0; same && a->archiver_argv != NULL &&
	    (a->archiver_argv[i] != NULL || b->archiver_argv[i] != NULL); i++)
		same = str_eq(a->archiver_argv[i], b->archiver_argv[i]);
	SAME(same, "archiver");
	SAME(a->authcache.flags == b->authcache.flags &&
	    a->authcache.ttl_s == b->authcache.ttl_s &&
	    a->authcache.max == b->authcache.max, "authcache");
	SAME(str_eq(a->counter_file, b->counter_file) &&
	    a->counter_rtype == b->counter_rtype &&
	    str_eq(a->counter_report, b->counter_report), "counter");
	SAME(a->daemon == b->daemon && str_eq(a->pidfile, b->pidfile) &&
	    str_eq(a->chroot, b->chroot), "daemon, pidfile or chroot");
	SAME(a->uid_set == b->uid_set && a->gid_set == b->gid_set &&
	    (!a->uid_set || a->uid == b->uid) &&
	    (!a->gid_set || a->gid == b->gid), "setuid or setgid");
	same = a->nmonitors == b->nmonitors;
	for (size_t i = 0; same && i < a->nmonitors; i++)
		same = str_eq(a->monitors[i], b->monitors[i]);
	SAME(same, "monitor");
}

static char *
print(const struct pc_config *cfg, unsigned flags)
{
	struct pc_text t = { 0 };

	pc_print_config(&t, cfg, flags, NULL);
	CHECK(!t.err && t.p != NULL);
	return t.p;
}

/* parse(print(a)) is a; its print is print(a). */
static struct pc_config *
round_trip(const struct pc_config *a, unsigned flags, char **text)
{
	struct pc_config *b;
	char             *again;

	*text = print(a, flags);
	b = conf_load_string(*text, "<printed>", err, sizeof(err));
	if (b == NULL) {
		fprintf(stderr, "%s: the printed text does not parse: %s\n%s",
		    cur, err, *text);
		CHECK(b != NULL);
		return NULL;
	}
	again = print(b, flags);
	if (strcmp(*text, again) != 0)
		fprintf(stderr, "%s: printed again:\n%s\nfirst:\n%s", cur,
		    again, *text);
	CHECK_STREQ(again, *text);
	free(again);
	return b;
}

/* Nobody logs in with a password of a masked config, not even "*****"
 * or the mask's own text. */
static void
masked_locks_out(const struct pc_config *m)
{
	for (size_t i = 0; i < m->nusers; i++) {
		const struct pc_user *u = &m->users[i];

		if (u->type == PC_PW_SYS)
			continue;
		CHECK(u->type == PC_PW_CR);
		CHECK(auth_verdict(m, u->name, "*****") != 0);
		CHECK(auth_verdict(m, u->name, u->secret) != 0);
		CHECK(auth_verdict(m, u->name, "") != 0);
	}
}

static void
one_file(const char *path)
{
	struct pc_config *a, *b, *m;
	char             *text;

	cur = path;
	a = conf_load(path, err, sizeof(err));
	if (a == NULL) {
		fprintf(stderr, "%s\n", err);
		CHECK(a != NULL);
		return;
	}
	if ((b = round_trip(a, PC_PRINT_SECRETS, &text)) != NULL) {
		services_eq(a, b);
		limits_eq(a, b);
		globals_eq(a, b);
	}
	free(text);
	pc_config_free(b);
	/* masked: the same model but for the secrets, and stable */
	if ((m = round_trip(a, 0, &text)) != NULL) {
		masked = true;
		services_eq(a, m);
		limits_eq(a, m);
		masked = false;
		masked_locks_out(m);
		SAME(m->nusers == a->nusers, "the number of users (masked)");
	}
	CHECK(strstr(text, "secret") == NULL);
	free(text);
	pc_config_free(m);
	pc_config_free(a);
}

static int
by_name(const struct dirent **x, const struct dirent **y)
{
	return strcmp((*x)->d_name, (*y)->d_name);
}

static int
is_cfg(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".cfg") == 0;
}

static void
test_files(void)
{
	struct dirent **ents;
	int             n = scandir("tests/conf", &ents, is_cfg, by_name);
	char            path[512];

	CHECK(n >= 8);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "tests/conf/%s", ents[i]->d_name);
		one_file(path);
		free(ents[i]);
	}
	free(ents);
	one_file("contrib/portcullis.cfg.sample");
	one_file("contrib/3proxy-howto.cfg");
}

static char *
words(const char *s)
{
	static char    buf[256];
	struct pc_text t = { 0 };

	pc_text_word(&t, s);
	snprintf(buf, sizeof(buf), "%s", t.p != NULL ? t.p : "(null)");
	pc_text_free(&t);
	return buf;
}

static void
test_words(void)
{
	CHECK_STREQ(words("plain"), "plain");
	CHECK_STREQ(words(""), "\"\"");
	CHECK_STREQ(words("a b"), "\"a b\"");
	CHECK_STREQ(words("say \"hi\""), "\"say \"\"hi\"\"\"");
	CHECK_STREQ(words("$6$x$"), "\"$6$x$\"");
	CHECK_STREQ(words("#x"), "\"#x\"");
	CHECK_STREQ(words("a#x"), "a#x");
	CHECK_STREQ(words("tab\there"), "\"tab\there\"");
}

static char *
fields_of(const char *line)
{
	static char       buf[512];
	struct pc_config *c = conf_load_string(line, "t.cfg", err, sizeof(err));
	struct pc_text    t = { 0 };

	if (c == NULL || c->nacls == 0 || c->acls[0].nrules == 0) {
		fprintf(stderr, "%s: %s\n", line, err);
		pc_config_free(c);
		return (char *)"(error)";
	}
	pc_print_rule_fields(&t, &c->acls[0].rules[0]);
	snprintf(buf, sizeof(buf), "%s", t.p);
	pc_text_free(&t);
	pc_config_free(c);
	return buf;
}

static void
test_fields(void)
{
	CHECK_STREQ(fields_of("allow"), " *");
	CHECK_STREQ(fields_of("allow * * * * * * *"), " *");
	CHECK_STREQ(fields_of("allow * 10.0.0.0-10.255.255.255"),
	    " * 10.0.0.0/8");
	CHECK_STREQ(fields_of("allow * 10.0.0.1-10.0.0.2,10.0.0.3-10.0.0.9"),
	    " * 10.0.0.1-10.0.0.2,10.0.0.3-10.0.0.9");
	CHECK_STREQ(fields_of("allow * ::/0,fe80::/10,0.0.0.0/32"),
	    " * ::/0,fe80::/10,0.0.0.0");
	CHECK_STREQ(fields_of("allow * * *.A.b.,c*,*d*"), " * * *.a.b,c*,*d*");
	CHECK_STREQ(fields_of("allow * * * * http_get,http_put,http_post,"
	    "http_head,http_other"), " * * * * HTTP");
	CHECK_STREQ(fields_of("allow * * * * HTTPS,FTP_GET"),
	    " * * * * HTTP_CONNECT,FTP_GET");
	CHECK_STREQ(fields_of("allow * * * * * 0123"), " * * * * * 0-3");
	CHECK_STREQ(fields_of("allow * * * * * 1,2,4,5"), " * * * * * 1,2,4,5");
	CHECK_STREQ(fields_of("allow * * * * * 6,7"), " * * * * * 0,6");
	CHECK_STREQ(fields_of("allow \"a b\""), " \"a b\"");
}

/* The admin page's view: names and types from the master, no secrets. */
static void
test_users_override(void)
{
	struct pc_config     *c = conf_load_string("users a:CL:pw\n", "t.cfg",
	    err, sizeof(err));
	struct pc_user        u[2] = { { (char *)"x", PC_PW_NT, NULL },
	                               { (char *)"y", PC_PW_SYS, NULL } };
	struct pc_print_users ov = { u, 2, 3 };
	struct pc_text        t = { 0 };

	CHECK(c != NULL);
	if (c == NULL)
		return;
	pc_print_config(&t, c, PC_PRINT_SECRETS, &ov);
	CHECK(t.p != NULL && strstr(t.p, "users \"x:CR:$6$maskedNT$\"\n"
	    "users y\n# ... and 3 more users\n") != NULL);
	CHECK(t.p != NULL && strstr(t.p, "a:CL") == NULL);
	pc_text_free(&t);
	ov.users = NULL;
	pc_print_config(&t, c, 0, &ov);
	CHECK(t.p != NULL && strstr(t.p, "# users: the master did not "
	    "answer\n") != NULL);
	pc_text_free(&t);
	t.max = 64;    /* a page has a limit: err, and a prefix */
	pc_print_config(&t, c, 0, NULL);
	CHECK(t.err && t.len < 64);
	pc_text_free(&t);
	pc_config_free(c);
}

int
main(void)
{
	conf_set_warn_stream(fopen("/dev/null", "w"));
	test_words();
	test_fields();
	test_users_override();
	test_files();
	return check_summary("test_print");
}
