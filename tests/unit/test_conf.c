/* Unit tests of the configuration interpreter (conf/): every command,
 * the snapshot semantics of services, and the error messages. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "tests/unit/check.h"

static char err[512];
static char dir[] = "/tmp/pc_conf_XXXXXX";

static struct pc_config *
load(const char *text)
{
	struct pc_config *c = conf_load_string(text, "t.cfg", err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "unexpected error: %s\n", err);
	return c;
}

/* The text must fail with exactly this message. */
#define FAILS(text, msg) do {                                           \
	struct pc_config *c_ = conf_load_string(text, "t.cfg", err,     \
	    sizeof(err));                                               \
	CHECK(c_ == NULL);                                              \
	pc_config_free(c_);                                             \
	CHECK_STREQ(err, msg);                                          \
} while (0)

static const char *
path_of(const char *name)
{
	static char p[4][256];
	static int  k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static void
write_file(const char *name, const char *text)
{
	FILE *fp = fopen(path_of(name), "w");

	CHECK(fp != NULL);
	fputs(text, fp);
	fclose(fp);
}

static const char *
ntop(const struct pc_addr *a)
{
	static char b[4][PC_ADDRSTRLEN];
	static int  k;

	k = (k + 1) % 4;
	return pc_addr_ntop(a, b[k], sizeof(b[k]));
}

static void
test_default(void)
{
	struct pc_config        *c = load(conf_default_text);
	const enum pc_auth_type *chain;

	if (c == NULL)
		return;
	CHECK_EQ_INT(c->nsvcs, 2);
	CHECK_EQ_INT(c->svcs[0].type, PC_SVC_PROXY);
	CHECK_STREQ(ntop(&c->svcs[0].listen), "127.0.0.1");
	CHECK_EQ_INT(c->svcs[0].listen.port, 3128);
	CHECK_EQ_INT(c->svcs[1].type, PC_SVC_SOCKS);
	CHECK_EQ_INT(c->svcs[1].listen.port, 1080);
	CHECK_EQ_INT(c->nlogs, 1);
	CHECK_EQ_INT(c->logs[0].kind, PC_LOG_STDOUT);
	CHECK_EQ_INT(c->svcs[0].log, 0);
	CHECK_EQ_INT(pc_service_auth(&c->svcs[0], &chain), 1);
	CHECK_EQ_INT(chain[0], PC_AUTH_IPONLY);
	CHECK_EQ_INT(c->svcs[0].maxconn, 500);
	CHECK(c->svcs[0].workers >= 1);
	CHECK_EQ_INT(c->svcs[0].workers, sysconf(_SC_NPROCESSORS_ONLN) > 256 ?
	    256 : sysconf(_SC_NPROCESSORS_ONLN));
	CHECK_STREQ(c->source, "t.cfg");
	CHECK(c->path == NULL);
	CHECK_EQ_INT(c->timeouts[PC_TIMEOUT_BYTE_SHORT], 1);
	CHECK_EQ_INT(c->timeouts[PC_TIMEOUT_CONN_LONG], 1800);
	CHECK_EQ_INT(c->timeouts[PC_TIMEOUT_LINGER], 5);
	pc_config_free(c);
}

static void
test_addresses(void)
{
	struct pc_config *c = load(
	    "internal ::1\nproxy\n"
	    "internal [::]\nsocks\n"
	    "internal localhost\nexternal 192.0.2.1\nexternal 2001:db8::1\n"
	    "proxy -p1\n"
	    "external 192.0.2.2\nsocks -p2 -e[2001:db8::2]\n"
	    "socks -p3 -i[::1] -e198.51.100.1 -e2001:db8::3\n"
	    "internal 0.0.0.0\nproxy -p4\n");

	if (c == NULL)
		return;
	CHECK_EQ_INT(c->nsvcs, 6);
	CHECK_EQ_INT(c->svcs[0].listen.family, AF_INET6);
	CHECK_STREQ(ntop(&c->svcs[0].listen), "::1");
	CHECK_STREQ(ntop(&c->svcs[1].listen), "::");
	CHECK_STREQ(ntop(&c->svcs[2].listen), "127.0.0.1");
	CHECK_EQ_INT(c->svcs[0].ext4.family, 0);
	CHECK_STREQ(ntop(&c->svcs[2].ext4), "192.0.2.1");
	CHECK_STREQ(ntop(&c->svcs[2].ext6), "2001:db8::1");
	CHECK_STREQ(ntop(&c->svcs[3].ext4), "192.0.2.2");
	CHECK_STREQ(ntop(&c->svcs[3].ext6), "2001:db8::2");
	CHECK_STREQ(ntop(&c->svcs[4].listen), "::1");
	CHECK_EQ_INT(c->svcs[4].listen.port, 3);
	CHECK_STREQ(ntop(&c->svcs[4].ext4), "198.51.100.1");
	CHECK_STREQ(ntop(&c->svcs[4].ext6), "2001:db8::3");
	CHECK_STREQ(ntop(&c->svcs[5].listen), "0.0.0.0");
	pc_config_free(c);

	/* no internal at all: every IPv4 address, as 3proxy */
	c = load("proxy\n");
	if (c != NULL) {
		CHECK_EQ_INT(c->svcs[0].listen.family, AF_INET);
		CHECK(pc_addr_is_any(&c->svcs[0].listen));
		CHECK_EQ_INT(c->svcs[0].log, -1);
		CHECK(c->svcs[0].logformat == NULL);
	}
	pc_config_free(c);

	FAILS("internal 10.0.0.300\n", "t.cfg:1: 10.0.0.300: invalid address");
	FAILS("internal example.com\n", "t.cfg:1: example.com: invalid address");
	FAILS("internal [::1\n", "t.cfg:1: [::1: invalid address");
	FAILS("internal unix:/tmp/s\n",
	    "t.cfg:1: unix:/tmp/s: not supported yet: unix sockets");
	FAILS("external 1.2.3\n", "t.cfg:1: 1.2.3: invalid address");
	FAILS("internal\n", "t.cfg:1: internal: wrong number of arguments "
	    "(expected 1)");
	FAILS("external a b\n", "t.cfg:1: external: wrong number of arguments "
	    "(expected 1)");
	FAILS("socks -e1.2.3.4 -e5.6.7.8\n",
	    "t.cfg:1: 5.6.7.8: -e given twice for IPv4 (once per family)");
	FAILS("socks -e::1 -e::2\n",
	    "t.cfg:1: ::2: -e given twice for IPv6 (once per family)");
	FAILS("socks -i300.1.1.1\n", "t.cfg:1: 300.1.1.1: invalid address");
	FAILS("socks -i\n", "t.cfg:1: -i: missing value (written -i<value>)");
}

static void
test_log(void)
{
	struct pc_config *c = load(
	    "proxy -p1\n"
	    "log\nlogformat \"L%t %U %n\"\nproxy -p2\n"
	    "log /var/log/p.log\nsocks -p3\n"
	    "log /dev/null\nsocks -p4\n"
	    "log /var/log/p.log\nsocks -p5 -l\n"
	    "socks -p6 -l/tmp/own.log\nsocks -p7 -l/dev/null\n");

	if (c == NULL)
		return;
	CHECK_EQ_INT(c->svcs[0].log, -1);
	CHECK(c->svcs[0].logformat == NULL);
	CHECK_EQ_INT(c->logs[c->svcs[1].log].kind, PC_LOG_STDOUT);
	CHECK_STREQ(c->svcs[1].logformat, "L%t %U %n");
	CHECK_EQ_INT(c->logs[c->svcs[2].log].kind, PC_LOG_FILE);
	CHECK_STREQ(c->logs[c->svcs[2].log].path, "/var/log/p.log");
	CHECK_STREQ(c->svcs[2].logformat, "L%t %U %n");
	CHECK_EQ_INT(c->svcs[3].log, -1);
	/* the same file is one target */
	CHECK_EQ_INT(c->svcs[4].log, c->svcs[1].log);
	CHECK_EQ_INT(c->logs[c->svcs[4].log].kind, PC_LOG_STDOUT);
	CHECK_STREQ(c->logs[c->svcs[5].log].path, "/tmp/own.log");
	CHECK_EQ_INT(c->svcs[6].log, -1);
	CHECK_EQ_INT(c->nlogs, 3);
	pc_config_free(c);

	c = load("log /var/log/x d\nproxy\nlog G/l/%Y.log\nsocks -l@id\n"
	    "rotate 3\narchiver gz gzip -9 %F\n");
	if (c == NULL)
		return;
	CHECK_EQ_INT(c->logs[c->svcs[0].log].rot, PC_ROT_DAY);
	CHECK_STREQ(c->logs[c->svcs[0].log].path, "/var/log/x");
	CHECK_EQ_INT(c->logs[c->svcs[1].log].kind, PC_LOG_SYSLOG);
	CHECK_STREQ(c->logs[c->svcs[1].log].path, "id");
	CHECK_EQ_INT(c->logs[1].pattern, 1);
	CHECK_EQ_INT(c->logs[1].utc, 1);
	CHECK_STREQ(c->logs[1].path, "/l/%Y.log");
	CHECK_EQ_INT(c->rotate, 3);
	CHECK_STREQ(c->archiver_ext, "gz");
	CHECK_STREQ(c->archiver_argv[2], "%F");
	CHECK(c->archiver_argv[3] == NULL);
	pc_config_free(c);
	FAILS("log /var/log/x Q\n", "t.cfg:1: Q: unknown log rotation type "
	    "(expected C, H, D, W, M or Y)");
	FAILS("log &dsn,u,p,x\n", "t.cfg:1: &dsn,u,p,x: expected "
	    "&DSN[,USER[,PASSWORD]]");
	FAILS("log &\n", "t.cfg:1: &: empty or over-long ODBC data source");
	FAILS("log radius\n",
	    "t.cfg:1: radius: not supported yet: RADIUS accounting");
	FAILS("proxy -lradius\n",
	    "t.cfg:1: -lradius: not supported yet: RADIUS accounting");
	FAILS("log a b c\n", "t.cfg:1: log: wrong number of arguments "
	    "(expected 0 to 2)");
	FAILS("logformat\n", "t.cfg:1: logformat: wrong number of arguments "
	    "(expected 1)");
	FAILS("socks -l@\n", "t.cfg:1: -l@: empty syslog ident");

	/* ODBC: DSN or connection string, optional user and password; the
	 * password is a secret wiped by pc_config_scrub_secrets */
	c = load("log &dsn,u,p\nproxy\nsocks -l&DRIVER=SQLite3;Database=/x\n"
	    "proxy -p1 -l&dsn,u,p\n");
	if (c == NULL)
		return;
	CHECK_EQ_INT(c->logs[c->svcs[0].log].kind, PC_LOG_ODBC);
	CHECK_STREQ(c->logs[c->svcs[0].log].path, "dsn");
	CHECK_STREQ(c->logs[c->svcs[0].log].odbc_user, "u");
	CHECK_STREQ(c->logs[c->svcs[0].log].odbc_pass, "p");
	CHECK_STREQ(c->logs[c->svcs[1].log].path,
	    "DRIVER=SQLite3;Database=/x");
	CHECK(c->logs[c->svcs[1].log].odbc_user == NULL);
	CHECK_EQ_INT(c->svcs[2].log, c->svcs[0].log);
	pc_config_scrub_secrets(c);
	CHECK(c->logs[c->svcs[0].log].odbc_pass == NULL);
	pc_config_free(c);
}

static void
test_auth_users(void)
{
	struct pc_config *c;

	FAILS("users $\"/dev/null\"x\n",
	    "t.cfg:1: /dev/nullx: cannot read: No such file or directory");
	c = load("proxy -p1\nauth none\nproxy -p2\nauth iponly strong\n"
	    "proxy -p3\n"
	    "users alice:CL:pw bob:secret:with:colons\n"
	    "users \"carol:CR:$6$saltsalt$abcdefghijklmnopqrstuv\" "
	    "dave:NT:0123456789ABCDEF0123456789abcdef eve:\n");
	if (c == NULL)
		return;
	CHECK_EQ_INT(c->svcs[0].nauth, 0);
	CHECK_EQ_INT(c->svcs[1].nauth, 1);
	CHECK_EQ_INT(c->svcs[1].auth[0], PC_AUTH_NONE);
	CHECK_EQ_INT(c->svcs[2].nauth, 2);
	CHECK_EQ_INT(c->svcs[2].auth[0], PC_AUTH_IPONLY);
	CHECK_EQ_INT(c->svcs[2].auth[1], PC_AUTH_STRONG);
	CHECK_EQ_INT(c->nusers, 5);
	CHECK_STREQ(c->users[0].name, "alice");
	CHECK_EQ_INT(c->users[0].type, PC_PW_CL);
	CHECK_STREQ(c->users[0].secret, "pw");
	CHECK_STREQ(c->users[1].name, "bob");
	CHECK_EQ_INT(c->users[1].type, PC_PW_CL);
	CHECK_STREQ(c->users[1].secret, "secret:with:colons");
	CHECK_EQ_INT(c->users[2].type, PC_PW_CR);
	CHECK_STREQ(c->users[2].secret, "$6$saltsalt$abcdefghijklmnopqrstuv");
	CHECK_EQ_INT(c->users[3].type, PC_PW_NT);
	CHECK_STREQ(c->users[3].secret, "0123456789abcdef0123456789abcdef");
	CHECK_STREQ(c->users[4].secret, "");
	pc_config_scrub_secrets(c);
	CHECK_EQ_INT(c->nusers, 0);
	CHECK(c->users == NULL);
	pc_config_free(c);

	/* a later entry for the same user replaces it */
	c = load("users a:CL:1\nusers a:CL:2\n");
	if (c != NULL) {
		CHECK_EQ_INT(c->nusers, 1);
		CHECK_STREQ(c->users[0].secret, "2");
	}
	pc_config_free(c);

	c = load("auth iponly useronly cache nbname strong\n"
	    "authcache ip,user,limit 30 100\n"
	    "users bob sys:CL:x\nproxy\n");
	if (c != NULL) {
		CHECK_EQ_INT(c->svcs[0].nauth, 5);
		CHECK_EQ_INT(c->svcs[0].auth[1], PC_AUTH_USERONLY);
		CHECK_EQ_INT(c->svcs[0].auth[2], PC_AUTH_CACHE);
		CHECK_EQ_INT(c->svcs[0].auth[3], PC_AUTH_NBNAME);
		CHECK_EQ_INT(c->authcache.flags, PC_AUTHCACHE_IP |
		    PC_AUTHCACHE_USER | PC_AUTHCACHE_LIMIT);
		CHECK_EQ_INT(c->authcache.ttl_s, 30);
		CHECK_EQ_INT(c->authcache.max, 100);
		/* `users name` alone: system authentication */
		CHECK_STREQ(c->users[0].name, "bob");
		CHECK_EQ_INT(c->users[0].type, PC_PW_SYS);
		CHECK(c->users[0].secret == NULL);
	}
	pc_config_free(c);
	c = load("authcache user,password\n");
	if (c != NULL) {
		CHECK_EQ_INT(c->authcache.flags, PC_AUTHCACHE_USER |
		    PC_AUTHCACHE_PASS);
		CHECK_EQ_INT(c->authcache.ttl_s, 600);
	}
	pc_config_free(c);
	FAILS("authcache limit\n", "t.cfg:1: limit: authcache needs ip, "
	    "user or password");
	FAILS("authcache ip,limit\n", "t.cfg:1: ip,limit: limit needs ip "
	    "and user");
	FAILS("authcache ip,frob\n", "t.cfg:1: frob: unknown authcache flag");
	FAILS("authcache ip 0\n", "t.cfg:1: 0: invalid time");
	FAILS("auth radius\n", "t.cfg:1: radius: not supported yet");
	FAILS("auth strongest\n", "t.cfg:1: strongest: unknown auth type");
	FAILS("auth\n", "t.cfg:1: auth: wrong number of arguments "
	    "(expected 1 to 8)");
	FAILS("auth none none none none none none none none none\n",
	    "t.cfg:1: auth: wrong number of arguments (expected 1 to 8)");
	FAILS("users bob:XX:pw\n", "t.cfg:1: bob: unknown password type 'XX' "
	    "(expected CL, CR or NT)");
	FAILS("users bob:NT:1234\n", "t.cfg:1: bob: NT hash must be 32 hex "
	    "digits");
	FAILS("users bob:CR:plain\n", "t.cfg:1: bob: not a crypt(3) hash this "
	    "system supports");
	FAILS("users \"bob:CR:$9x$abc\"\n", "t.cfg:1: bob: not a crypt(3) hash "
	    "this system supports");
	c = load("users bob:CR:abJnggxhB/yWI \"c:CR:$1$salt$qJH7.N4xYta3aEG/dfqo/0\""
	    " \"d:CR:$y$j9T$abc$def\"\n");
	CHECK(c != NULL && c->nusers == 3);
	pc_config_free(c);
	FAILS("users :CL:x\n", "t.cfg:1: users: empty user name");
}

static void
test_acl_fields(void)
{
	struct pc_config   *c = load(
	    "allow alice,bob 10.0.0.0/8,2001:db8::/32,192.0.2.1-192.0.2.9 "
	    "*.Example.COM.,www*,*mid*,exact.org,10.1.0.0/16 80,1000-2000 "
	    "HTTP,CONNECT 1-5,0 09:00:00-12:00:00,13:00:00-24:00:00 7\n"
	    "deny * * * * * * *\n"
	    "allow\nnolog\nweight 42\n"
	    "deny - * * 25 * 6\n"
	    "proxy\n");
	struct pc_acl_rule *r;

	if (c == NULL)
		return;
	CHECK_EQ_INT(c->nacls, 1);
	CHECK_EQ_INT(c->acls[0].nrules, 4);
	r = &c->acls[0].rules[0];
	CHECK_EQ_INT(r->action, PC_ACL_ALLOW);
	CHECK_STREQ(r->file, "t.cfg");
	CHECK_EQ_INT(r->line, 1);
	CHECK_EQ_INT(r->nusers, 2);
	CHECK_STREQ(r->users[1], "bob");
	CHECK_EQ_INT(r->nsrcs, 3);
	CHECK_EQ_INT(r->srcs[1].family, AF_INET6);
	CHECK_EQ_INT(r->ndst_hosts, 4);
	CHECK_STREQ(r->dst_hosts[0].text, ".example.com");
	CHECK_EQ_INT(r->dst_hosts[0].flags, PC_HOSTPAT_SUFFIX);
	CHECK_STREQ(r->dst_hosts[1].text, "www");
	CHECK_EQ_INT(r->dst_hosts[1].flags, PC_HOSTPAT_PREFIX);
	CHECK_STREQ(r->dst_hosts[2].text, "mid");
	CHECK_EQ_INT(r->dst_hosts[2].flags,
	    PC_HOSTPAT_PREFIX | PC_HOSTPAT_SUFFIX);
	CHECK_EQ_INT(r->dst_hosts[3].flags, 0);
	CHECK_EQ_INT(r->ndst_addrs, 1);
	CHECK_EQ_INT(r->nports, 2);
	CHECK_EQ_INT(r->ports[1].lo, 1000);
	CHECK_EQ_INT(r->ports[1].hi, 2000);
	CHECK_EQ_INT(r->ops, PC_OP_HTTP | PC_OP_CONNECT);
	CHECK_EQ_INT(r->weekdays, 0x3f);
	CHECK_EQ_INT(r->nperiods, 2);
	CHECK_EQ_INT(r->periods[0].start, 9 * 3600);
	CHECK_EQ_INT(r->periods[1].end, 86400);
	CHECK_EQ_INT(r->weight, 7);
	r = &c->acls[0].rules[1];
	CHECK_EQ_INT(r->action, PC_ACL_DENY);
	CHECK(r->nusers == 0 && r->nsrcs == 0 && r->ndst_addrs == 0 &&
	    r->ndst_hosts == 0 && r->nports == 0 && r->ops == 0 &&
	    r->weekdays == 0 && r->nperiods == 0);
	r = &c->acls[0].rules[2];
	CHECK(r->nolog);
	CHECK_EQ_INT(r->weight, 42);
	CHECK_EQ_INT(r->line, 3);
	r = &c->acls[0].rules[3];
	CHECK_STREQ(r->users[0], "-");
	CHECK_EQ_INT(r->weekdays, 0x40);
	CHECK(!r->nolog);
	pc_config_free(c);

	FAILS("allow * 10.0.0.300\n", "t.cfg:1: 10.0.0.300: invalid address");
	FAILS("allow * 10.0.0.0/33\n", "t.cfg:1: 10.0.0.0/33: invalid address");
	FAILS("allow * example.com\n", "t.cfg:1: example.com: invalid address");
	FAILS("allow * * 10.0.0.300\n", "t.cfg:1: 10.0.0.300: invalid address");
	FAILS("allow * * 2001:db8::g\n",
	    "t.cfg:1: 2001:db8::g: invalid address");
	FAILS("allow * * a*b.com\n", "t.cfg:1: a*b.com: '*' is allowed only "
	    "at the start or end of a host name");
	FAILS("allow * * exa!mple\n", "t.cfg:1: exa!mple: invalid host name");
	/* '$' in the main text is the file macro */
	FAILS("allow * * exa$mple\n",
	    "t.cfg:1: mple: cannot read: No such file or directory");
	FAILS("allow * * * 70000\n",
	    "t.cfg:1: 70000: invalid port or port range");
	FAILS("allow * * * 90-80\n", "t.cfg:1: 90-80: invalid port or port range");
	FAILS("allow * * * 80,,81\n", "t.cfg:1: 80,,81: empty item in list");
	FAILS("allow * * * * HTTP_GETS\n",
	    "t.cfg:1: HTTP_GETS: unknown operation");
	FAILS("allow * * * * * 8\n", "t.cfg:1: 8: invalid weekdays (expected "
	    "digits 0-7 and ranges such as 1-5)");
	FAILS("allow * * * * * 5-1\n", "t.cfg:1: 5-1: invalid weekday range");
	FAILS("allow * * * * * * 9:00:00-10:00:00\n",
	    "t.cfg:1: 9:00:00-10:00:00: invalid period (expected "
	    "HH:MM:SS-HH:MM:SS)");
	FAILS("allow * * * * * * 22:00:00-06:00:00\n",
	    "t.cfg:1: 22:00:00-06:00:00: period must not wrap past midnight "
	    "(write two periods)");
	FAILS("allow * * * * * * 24:00:00-24:00:00\n",
	    "t.cfg:1: 24:00:00-24:00:00: invalid period (expected "
	    "HH:MM:SS-HH:MM:SS)");
	FAILS("allow * * * * * * 10:60:00-11:00:00\n",
	    "t.cfg:1: 10:60:00-11:00:00: invalid period (expected "
	    "HH:MM:SS-HH:MM:SS)");
	FAILS("allow * * * * * * * x\n", "t.cfg:1: x: invalid weight");
	FAILS("allow 1 2 3 4 5 6 7 8 9\n", "t.cfg:1: allow: wrong number of "
	    "arguments (expected 0 to 8)");
	FAILS("nolog\n", "t.cfg:1: nolog: no allow or deny line before it");
	FAILS("allow *\nflush\nweight 3\n",
	    "t.cfg:3: weight: no allow or deny line before it");
	FAILS("allow *\nweight -1\n", "t.cfg:2: -1: invalid weight");
}

/* Snapshot semantics (docs/portcullis.cfg.5, STATE AND SERVICES). */
static void
test_snapshots(void)
{
	struct pc_config *c = load(
	    "allow a\n"
	    "proxy -p1\n"         /* [a] */
	    "socks -p2\n"         /* shares [a] */
	    "allow b\n"
	    "proxy -p3\n"         /* [a b] */
	    "nolog\n"             /* only for later services */
	    "socks -p4\n"         /* [a b(nolog)] */
	    "flush\n"
	    "socks -p5\n"         /* [] */
	    "socks -p6\n"         /* [] */
	    "deny c\n"
	    "socks -p7\n"         /* [c] */
	    "auth strong\nmaxconn 7\nworkers 3\n"
	    "tcppm 8 h 9\n");

	if (c == NULL)
		return;
	CHECK_EQ_INT(c->nsvcs, 8);
	CHECK_EQ_INT(c->svcs[0].acl, c->svcs[1].acl);
	CHECK_EQ_INT(c->acls[c->svcs[0].acl].nrules, 1);
	CHECK_STREQ(c->acls[c->svcs[0].acl].rules[0].users[0], "a");
	CHECK(c->svcs[2].acl != c->svcs[0].acl);
	CHECK_EQ_INT(c->acls[c->svcs[2].acl].nrules, 2);
	CHECK_STREQ(c->acls[c->svcs[2].acl].rules[1].users[0], "b");
	CHECK(!c->acls[c->svcs[2].acl].rules[1].nolog);
	CHECK(c->svcs[3].acl != c->svcs[2].acl);
	CHECK(c->acls[c->svcs[3].acl].rules[1].nolog);
	CHECK_EQ_INT(c->acls[c->svcs[3].acl].nrules, 2);
	CHECK_EQ_INT(c->acls[c->svcs[4].acl].nrules, 0);
	CHECK_EQ_INT(c->svcs[4].acl, c->svcs[5].acl);
	CHECK_EQ_INT(c->acls[c->svcs[6].acl].nrules, 1);
	CHECK_EQ_INT(c->acls[c->svcs[6].acl].rules[0].action, PC_ACL_DENY);
	CHECK_EQ_INT(c->svcs[6].nauth, 0);
	CHECK_EQ_INT(c->svcs[6].maxconn, 500);
	CHECK_EQ_INT(c->svcs[7].nauth, 1);
	CHECK_EQ_INT(c->svcs[7].maxconn, 7);
	CHECK_EQ_INT(c->svcs[7].workers, 3);
	CHECK_EQ_INT(c->svcs[7].acl, c->svcs[6].acl);
	pc_config_free(c);
}

static void
test_services(void)
{
	struct pc_config *c = load(
	    "proxy\nsocks\n"
	    "proxy -p8080 -46 -n -t\nsocks -p1081 -4\nsocks -p1082 -6\n"
	    "socks -p1083 -64 -d\n"
	    "tcppm -i127.0.0.1 2222 example.org 22\n"
	    "tcppm 2223 [2001:db8::1] 443\n");

	if (c == NULL)
		return;
	CHECK_EQ_INT(c->svcs[0].listen.port, 3128);
	CHECK_EQ_INT(c->svcs[1].listen.port, 1080);
	CHECK_EQ_INT(c->svcs[2].listen.port, 8080);
	CHECK_EQ_INT(c->svcs[2].fampref, PC_FAM_46);
	CHECK(c->svcs[2].silent);
	CHECK(!c->svcs[3].silent);
	CHECK_EQ_INT(c->svcs[3].fampref, PC_FAM_4);
	CHECK_EQ_INT(c->svcs[4].fampref, PC_FAM_6);
	CHECK_EQ_INT(c->svcs[5].fampref, PC_FAM_64);
	CHECK(c->daemon);
	CHECK_EQ_INT(c->svcs[6].type, PC_SVC_TCPPM);
	CHECK_EQ_INT(c->svcs[6].listen.port, 2222);
	CHECK_STREQ(c->svcs[6].target_host, "example.org");
	CHECK_EQ_INT(c->svcs[6].target_port, 22);
	CHECK_STREQ(c->svcs[7].target_host, "[2001:db8::1]");
	CHECK_EQ_INT(c->svcs[7].file == c->svcs[0].file, 1);
	CHECK_EQ_INT(c->svcs[7].line, 8);
	CHECK_STREQ(pc_svc_type_name(PC_SVC_TCPPM), "tcppm");
	CHECK_EQ_INT(pc_svc_default_port(PC_SVC_TCPPM), 0);
	pc_config_free(c);
	c = load("pop3p\npop3p -p1110 -i127.0.0.1\n");
	if (c != NULL) {
		CHECK_EQ_INT(c->svcs[0].type, PC_SVC_POP3P);
		CHECK_EQ_INT(c->svcs[0].listen.port, 110);
		CHECK_EQ_INT(c->svcs[1].listen.port, 1110);
		CHECK_STREQ(pc_svc_type_name(PC_SVC_POP3P), "pop3p");
	}
	pc_config_free(c);
	FAILS("pop3p 110\n", "t.cfg:1: 110: unexpected argument (options are "
	    "one word: -p3128)");
	c = load("smtpp\nsmtpp -p2525 -i127.0.0.1\n");
	if (c != NULL) {  /* docs/3proxy-differences.md, decision 6 */
		CHECK_EQ_INT(c->svcs[0].type, PC_SVC_SMTPP);
		CHECK_EQ_INT(c->svcs[0].listen.port, 587);
		CHECK_EQ_INT(c->svcs[1].listen.port, 2525);
		CHECK_STREQ(pc_svc_type_name(PC_SVC_SMTPP), "smtpp");
	}
	pc_config_free(c);
	c = load("admin\nadmin -p8081 -i127.0.0.1\n");
	if (c != NULL) {
		CHECK_EQ_INT(c->svcs[0].type, PC_SVC_ADMIN);
		CHECK_EQ_INT(c->svcs[0].listen.port, 80);
		CHECK_EQ_INT(c->svcs[1].listen.port, 8081);
		CHECK_STREQ(pc_svc_type_name(PC_SVC_ADMIN), "admin");
	}
	pc_config_free(c);
	FAILS("admin 80\n", "t.cfg:1: 80: unexpected argument (options are "
	    "one word: -p3128)");

	FAILS("socks -a\n", "t.cfg:1: -a: -a is a proxy (and auto) option");
	FAILS("proxy -a3\n", "t.cfg:1: -a3: invalid option");
	c = load("proxy -a -p1\nproxy -a1 -p2\nproxy -a2 -p3\nproxy -p4\n");
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_EQ_INT(c->svcs[0].anonymous, 1);
		CHECK_EQ_INT(c->svcs[1].anonymous, 2);
		CHECK_EQ_INT(c->svcs[2].anonymous, 3);
		CHECK_EQ_INT(c->svcs[3].anonymous, 0);
	}
	pc_config_free(c);
	FAILS("proxy -u\n", "t.cfg:1: -u: not supported yet on this service "
	    "(socks and auto only; proxy -u2)");
	FAILS("socks -u3\n", "t.cfg:1: -u3: invalid option");
	c = load("socks -u -p1081\nsocks -u2 -p1082\nsocks -p1083\n");
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_EQ_INT(c->svcs[0].needuser, 0);
		CHECK_EQ_INT(c->svcs[1].needuser, 2);
		CHECK_EQ_INT(c->svcs[2].needuser, 1);
		pc_config_free(c);
	}
	c = load("proxy -rback.test:1234\ntcppm -R127.0.0.1:1234 3128 "
	    "192.0.2.1 3128\nsocks -Ne192.0.2.7 -Ni192.0.2.8\n"
	    "dnspr -p3128\n");
	CHECK(c != NULL);     /* -r listens nowhere; UDP 3128 is not TCP's */
	if (c != NULL) {
		CHECK_STREQ(c->svcs[0].connback_host, "back.test");
		CHECK_EQ_INT(c->svcs[0].connback_port, 1234);
		CHECK_EQ_INT(c->svcs[1].backlisten.port, 1234);
		CHECK_EQ_INT(c->svcs[1].workers, 1);
		CHECK_STREQ(ntop(&c->svcs[2].nat_ext), "192.0.2.7");
		CHECK_STREQ(ntop(&c->svcs[2].nat_int), "192.0.2.8");
	}
	pc_config_free(c);
	FAILS("proxy -rhost\n", "t.cfg:1: -rhost: expected -rHOST:PORT");
	FAILS("proxy -R1\n", "t.cfg:1: -R1: -R is a tcppm option");
	FAILS("proxy -Sx\n", "t.cfg:1: -Sx: invalid number");
	c = load("stacksize -5000\nproxy -S-100 -p3128\nsocks -S65536\n");
	CHECK(c != NULL);   /* accepted, with a warning (no threads) */
	pc_config_free(c);
	FAILS("system \"echo hi\"\n", "t.cfg:1: system: refused: portcullis "
	    "runs no shell command from its configuration (3proxy runs it as "
	    "root at every start and reload); run it before the server, e.g. "
	    "ExecStartPre= of the systemd unit");
	FAILS("allow *\nparent 1000 http 192.168.1.2 80 * * * 80\n",
	    "t.cfg:2: *: words after the password (3proxy ignores them; ACL "
	    "fields belong on the allow line before)");
	FAILS("proxy -nilo\n", "t.cfg:1: -nilo: not supported yet: option -ni "
	    "(network namespaces)");
	FAILS("proxy -z\n", "t.cfg:1: -z: invalid option");
	FAILS("proxy -\n", "t.cfg:1: -: invalid option");
	FAILS("proxy -tx\n", "t.cfg:1: -tx: invalid option");
	FAILS("proxy -5\n", "t.cfg:1: -5: invalid option");
	FAILS("proxy -p0\n", "t.cfg:1: -p0: invalid port");
	FAILS("proxy -p65536\n", "t.cfg:1: -p65536: invalid port");
	FAILS("proxy -p80x\n", "t.cfg:1: -p80x: invalid port");
	FAILS("proxy -p 8080\n", "t.cfg:1: -p: missing value (written -p<value>)");
	FAILS("proxy 8080\n", "t.cfg:1: 8080: unexpected argument (options are "
	    "one word: -p3128)");
	FAILS("tcppm 1 2\n", "t.cfg:1: tcppm: wrong number of arguments "
	    "(expected [options] LOCALPORT HOST PORT)");
	FAILS("tcppm -p5 1 h 2\n", "t.cfg:1: -p5: a port mapper takes its "
	    "port as LOCALPORT, not -p");
	FAILS("tcppm 0 h 2\n", "t.cfg:1: 0: invalid port");
	c = load("udppm -s 5353 ns.test 53\nudppm 5354 127.0.0.1 53\n");
	if (c != NULL) {
		CHECK_EQ_INT(c->svcs[0].type, PC_SVC_UDPPM);
		CHECK(c->svcs[0].single);
		CHECK(!c->svcs[1].single);
		CHECK_EQ_INT(c->svcs[0].workers, 1);
		CHECK_EQ_INT(c->svcs[0].listen.port, 5353);
		CHECK_STREQ(c->svcs[0].target_host, "ns.test");
	}
	pc_config_free(c);
	FAILS("tcppm -s 1 h 2\n", "t.cfg:1: -s: not supported yet: "
	    "option -s");
	FAILS("tcppm 1 h 99999\n", "t.cfg:1: 99999: invalid port");
	FAILS("tcppm 1 bad/host 2\n", "t.cfg:1: bad/host: invalid host");
	FAILS("tcppm 1 unix:/s 2\n", "t.cfg:1: unix:/s: not supported yet: "
	    "unix sockets");
	/* semantic check: the second service on a port is named */
	FAILS("socks\n# c\nsocks\n", "t.cfg:3: socks: 0.0.0.0 port 1080 is "
	    "already used by the service at t.cfg:1");
	FAILS("proxy -p80\nproxy -p80 -i127.0.0.1\n", "t.cfg:2: proxy: "
	    "127.0.0.1 port 80 is already used by the service at t.cfg:1");
	FAILS("proxy -i::1 -p80\ntcppm -i[::] 80 h 1\n", "t.cfg:2: tcppm: "
	    ":: port 80 is already used by the service at t.cfg:1");
	/* different families or addresses may share a port */
	c = load("proxy -i::1\nproxy -i127.0.0.1\nproxy -i127.0.0.2\n");
	CHECK(c != NULL);
	pc_config_free(c);
}

static void
test_globals(void)
{
	struct pc_config *c = load(
	    "maxconn 1000\ntimeouts 2 3 4\n"
	    "nserver 192.0.2.53\nnserver 192.0.2.54:5353/tcp\n"
	    "nserver [2001:db8::53]:54\nnserver ::1\nnserver 10.0.0.1/tcp\n"
	    "nscache 65536\nnscache6 1024\n"
	    "nsrecord WWW.Example.ORG. 192.0.2.80\nnsrecord www.example.org ::1\n"
	    "nsrecord www.example.org 192.0.2.81\n"
	    "fakeresolve\ndaemon\npidfile /run/p.pid\npidfile /run/q.pid\n"
	    "chroot /var/empty 65534 65534\nsetuid nobody\nsetgid 1234\n"
	    "monitor /etc/a\nmonitor /etc/b\nservice\nstacksize 65536\n"
	    "workers 256\nproxy\n");

	if (c == NULL)
		return;
	CHECK_EQ_INT(c->svcs[0].maxconn, 1000);
	CHECK_EQ_INT(c->svcs[0].workers, 256);
	CHECK_EQ_INT(c->timeouts[0], 2);
	CHECK_EQ_INT(c->timeouts[2], 4);
	CHECK_EQ_INT(c->timeouts[3], 60);
	CHECK_EQ_INT(c->nnservers, 5);
	CHECK_STREQ(ntop(&c->nservers[0].addr), "192.0.2.53");
	CHECK_EQ_INT(c->nservers[0].addr.port, 53);
	CHECK(!c->nservers[0].tcp);
	CHECK_EQ_INT(c->nservers[1].addr.port, 5353);
	CHECK(c->nservers[1].tcp);
	CHECK_STREQ(ntop(&c->nservers[2].addr), "2001:db8::53");
	CHECK_EQ_INT(c->nservers[2].addr.port, 54);
	CHECK_EQ_INT(c->nservers[3].addr.port, 53);
	CHECK(c->nservers[4].tcp);
	CHECK_EQ_INT(c->nservers[4].addr.port, 53);
	CHECK_EQ_INT(c->nscache, 65536);
	CHECK_EQ_INT(c->nnsrecords, 2);
	CHECK_STREQ(c->nsrecords[0].name, "www.example.org");
	CHECK_STREQ(ntop(&c->nsrecords[0].addr), "192.0.2.81");
	CHECK_EQ_INT(c->nsrecords[1].addr.family, AF_INET6);
	CHECK(c->fakeresolve);
	CHECK(c->daemon);
	CHECK_STREQ(c->pidfile, "/run/q.pid");
	CHECK_STREQ(c->chroot, "/var/empty");
	CHECK(c->uid_set && c->gid_set);
	CHECK_EQ_INT(c->uid, 65534);    /* setuid nobody */
	CHECK_EQ_INT(c->gid, 1234);
	CHECK_EQ_INT(c->nmonitors, 2);
	/* after `chroot /var/empty` names are inside it, as in 3proxy */
	CHECK_STREQ(c->monitors[1], "/var/empty/etc/b");
	pc_config_free(c);

	FAILS("maxconn 0\n", "t.cfg:1: 0: invalid number (expected 1 to 1000000)");
	FAILS("maxconn -5\n", "t.cfg:1: -5: invalid number (expected 1 to 1000000)");
	FAILS("workers 0\n", "t.cfg:1: 0: invalid number (expected 1 to 256)");
	FAILS("workers 257\n", "t.cfg:1: 257: invalid number (expected 1 to 256)");
	FAILS("timeouts 1 2 3 4 5 6 7 8 9 10 11 12\n", "t.cfg:1: timeouts: wrong "
	    "number of arguments (expected 1 to 11)");
	FAILS("timeouts 1 0\n", "t.cfg:1: 0: invalid timeout (expected 1 to "
	    "2000000 seconds)");
	FAILS("timeouts 2000001\n", "t.cfg:1: 2000001: invalid timeout "
	    "(expected 1 to 2000000 seconds)");
	FAILS("nserver 1.2.3.4:0\n", "t.cfg:1: 1.2.3.4:0: invalid name server "
	    "(expected ADDR[:PORT][/tcp])");
	FAILS("nserver 1.2.3.4/udp\n", "t.cfg:1: 1.2.3.4/udp: invalid name "
	    "server (expected ADDR[:PORT][/tcp])");
	FAILS("nserver ns.example.org\n", "t.cfg:1: ns.example.org: invalid "
	    "name server (expected ADDR[:PORT][/tcp])");
	FAILS("nserver ::1\nnserver ::1\nnserver ::1\nnserver ::1\nnserver ::1\n"
	    "nserver ::1\n", "t.cfg:6: ::1: too many name servers (at most 5)");
	FAILS("nscache x\n", "t.cfg:1: x: invalid cache size (expected 0 to "
	    "16777216)");
	FAILS("nsrecord a b/\n", "t.cfg:1: b/: invalid address");
	FAILS("nsrecord a www.example.org\n", "t.cfg:1: www.example.org: an "
	    "address, not a host name (names are not resolved while the "
	    "configuration is read)");
	FAILS("nsrecord a/b 1.2.3.4\n", "t.cfg:1: a/b: invalid host name");
	FAILS("nsrecord a\n", "t.cfg:1: nsrecord: wrong number of arguments "
	    "(expected 2)");
	FAILS("daemon now\n", "t.cfg:1: daemon: wrong number of arguments "
	    "(expected none)");
	FAILS("setuid 0\n", "t.cfg:1: 0: refusing to run as root (uid 0)");
	FAILS("setuid root\n", "t.cfg:1: root: refusing to run as root (uid 0)");
	FAILS("setuid no_such_user_here\n",
	    "t.cfg:1: no_such_user_here: unknown user");
	FAILS("setgid 0\n", "t.cfg:1: 0: refusing to run as group 0");
	FAILS("setgid no_such_group_here\n",
	    "t.cfg:1: no_such_group_here: unknown group");
	FAILS("chroot jail\n", "t.cfg:1: jail: not an absolute path");
	FAILS("chroot /a\nchroot /b\n", "t.cfg:2: chroot: given twice");
	FAILS("chroot /a root\n", "t.cfg:1: root: refusing to run as root (uid 0)");
	FAILS("chroot /a b c d\n", "t.cfg:1: chroot: wrong number of arguments "
	    "(expected 1 to 3)");
	FAILS("stacksize big\n", "t.cfg:1: big: invalid number");
	FAILS("users\nusers\nend now\n", "t.cfg:3: end: wrong number of "
	    "arguments (expected none)");
}

static void
test_parents(void)
{
	struct pc_config *c = load(
	    "parentretries 5\n"
	    "allow * * * 80\n"
	    "parent 500 socks5+ 127.0.0.1 1080 bob \"p w\"\n"
	    "parent 500 CONNECT Proxy.Example.Test 3128 *\n"
	    "parent 0 http [::1] 8080\n"
	    "parent 1000 tcp 0.0.0.0 8080\n"
	    "parent 500 socks4 192.0.2.7 0\n"
	    "parent 500 extip 192.0.2.8 0\n"
	    "proxy\n"
	    "allow *\n"
	    "proxy -p3129\n");
	const struct pc_parent *p;

	if (c == NULL)
		return;
	CHECK_EQ_INT(c->parentretries, 5);
	CHECK_EQ_INT(c->acls[0].rules[0].nparents, 6);
	p = c->acls[0].rules[0].parents;
	CHECK_EQ_INT(p[0].type, PC_PARENT_SOCKS5P);
	CHECK_EQ_INT(p[0].weight, 500);
	CHECK_STREQ(ntop(&p[0].addr), "127.0.0.1");
	CHECK_EQ_INT(p[0].port, 1080);
	CHECK_STREQ(p[0].user, "bob");
	CHECK_STREQ(p[0].pass, "p w");
	CHECK_EQ_INT(p[0].line, 3);
	CHECK_EQ_INT(p[1].type, PC_PARENT_CONNECT);
	CHECK_EQ_INT(p[1].addr.family, 0);
	CHECK_STREQ(p[1].host, "proxy.example.test");
	CHECK_STREQ(p[1].user, "*");
	CHECK(p[1].pass == NULL);
	CHECK_EQ_INT(p[2].weight, 0);
	CHECK_EQ_INT(p[2].addr.family, AF_INET6);
	CHECK(p[3].same_addr);
	/* the HowTo's outgoing-address form and extip are the same */
	CHECK_EQ_INT(p[4].type, PC_PARENT_EXTIP);
	CHECK_EQ_INT(p[5].type, PC_PARENT_EXTIP);
	/* the second service's ACL is a copy: the parents stay with rule 0 */
	CHECK_EQ_INT(c->acls[c->svcs[1].acl].rules[0].nparents, 6);
	CHECK_EQ_INT(c->acls[c->svcs[1].acl].rules[1].nparents, 0);
	pc_config_free(c);

	c = load("proxy\n");
	if (c != NULL)
		CHECK_EQ_INT(c->parentretries, 2);
	pc_config_free(c);

	/* a parent line after a service line goes to the copied rule, whose
	 * parents array must have room to grow (libFuzzer found the heap
	 * overflow: a copy held exactly 3 entries, conf_push assumed 4) */
	c = load("allow *\n"
	    "parent 500 socks5 127.0.0.1 1080\n"
	    "parent 500 socks5 127.0.0.1 1081\n"
	    "parent 500 socks5 127.0.0.1 1082\n"
	    "proxy -p3128\n"
	    "parent 500 socks5 127.0.0.1 1083\n"
	    "parent 500 socks5 127.0.0.1 1084\n"
	    "proxy -p3129\n");
	if (c != NULL) {
		CHECK_EQ_INT(c->acls[c->svcs[1].acl].rules[0].nparents, 5);
		CHECK_EQ_INT(c->acls[c->svcs[1].acl].rules[0].parents[4].port,
		    1084);
	}
	pc_config_free(c);

	FAILS("parent 1000 socks5 127.0.0.1 1080\n",
	    "t.cfg:1: parent: no allow or deny line before it");
	FAILS("deny *\nparent 1000 socks5 127.0.0.1 1080\n",
	    "t.cfg:2: parent: must follow an allow line");
	FAILS("allow *\nparent 1000 sox 127.0.0.1 1080\n",
	    "t.cfg:2: sox: unknown parent type");
	FAILS("allow *\nparent 1001 socks5 127.0.0.1 1080\n",
	    "t.cfg:2: 1001: weight must be 0..1000");
	FAILS("allow *\nparent 1000 socks5 127.0.0.1 65536\n",
	    "t.cfg:2: 65536: invalid port");
	FAILS("allow *\nparent 1000 socks5 bad/host 1080\n",
	    "t.cfg:2: bad/host: invalid parent address");
	c = load("allow *\nparent 1000 pop3 0.0.0.0 0\nsocks\n");
	if (c != NULL) {
		CHECK(c->acls[0].rules[0].parents[0].local);
		CHECK_EQ_INT(c->acls[0].rules[0].parents[0].type,
		    PC_PARENT_POP3);
	}
	pc_config_free(c);
	FAILS("allow *\nparent 1000 pop3 127.0.0.1 110\n",
	    "t.cfg:2: pop3: pop3 is only a local redirection (pop3 0.0.0.0 0)");
	c = load("allow *\nparent 1000 ftp 0.0.0.0 0\nsocks\n");
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK(c->acls[0].rules[0].parents[0].local);
		CHECK_EQ_INT(c->acls[0].rules[0].parents[0].type,
		    PC_PARENT_FTP);
	}
	pc_config_free(c);
	FAILS("allow *\nparent 1000 ftp 127.0.0.1 21\n",
	    "t.cfg:2: ftp: ftp is only a local redirection (ftp 0.0.0.0 0)");
	c = load("allow *\nparent 1000 http 0.0.0.0 0\nsocks\n");
	if (c != NULL)
		CHECK(c->acls[0].rules[0].parents[0].local);
	pc_config_free(c);
	FAILS("allow *\nparent 1000 socks5 0.0.0.0 0\n",
	    "t.cfg:2: socks5: local redirection is only to http, pop3, ftp "
	    "and tls");
	FAILS("allow *\nparent 1000 tls 127.0.0.1 443\n",
	    "t.cfg:2: tls: tls is only a local redirection (tls 0.0.0.0 0)");
	FAILS("allow *\nparent 1000 socks5s 127.0.0.1 1080\n",
	    "t.cfg:2: socks5s: TLS to a parent is not supported");
	FAILS("allow *\nparent 1000 extip 192.0.2.1 0 u\n",
	    "t.cfg:2: u: no credentials for an outgoing address");
	FAILS("parentretries x\n", "t.cfg:1: x: expected 0..100");
}

static void
test_bandlim(void)
{
	struct pc_config *c = load("nobandlimin * * * 110\n"
	    "bandlimin 57600 * 192.168.10.16\n"
	    "bandlimout 300 alice * * 80,443 HTTP\n");

	if (c != NULL) {
		CHECK_EQ_INT(c->nbandlims, 3);
		CHECK(c->bandlims[0].exempt);
		CHECK_EQ_INT(c->bandlims[0].dir, PC_BL_IN);
		CHECK_EQ_INT(c->bandlims[0].rule.nports, 1);
		CHECK_EQ_INT(c->bandlims[1].rate, 57600);
		CHECK_EQ_INT(c->bandlims[1].rule.nsrcs, 1);
		CHECK_EQ_INT(c->bandlims[2].dir, PC_BL_OUT);
		CHECK_EQ_INT(c->bandlims[2].rule.nusers, 1);
		CHECK_EQ_INT(c->bandlims[2].rule.nports, 2);
		CHECK(c->bandlims[2].rule.ops != 0);
		CHECK(c->pipes == NULL);   /* mapped by the master, not here */
	}
	pc_config_free(c);
	c = load("redirect 192.0.2.1 3128 * 10.0.0.0/8 * 80\nredirect "
	    "0.0.0.0 0 * * * 80\nsocks\n");
	if (c != NULL) {
		const struct pc_acl_rule *r = c->acls[0].rules;

		CHECK_EQ_INT(c->acls[0].nrules, 2);
		CHECK_EQ_INT(r[0].action, PC_ACL_ALLOW);
		CHECK_EQ_INT(r[0].nsrcs, 1);
		CHECK_EQ_INT(r[0].nparents, 1);
		CHECK_EQ_INT(r[0].parents[0].type, PC_PARENT_HTTP);
		CHECK_EQ_INT(r[0].parents[0].weight, 1000);
		CHECK_EQ_INT(r[0].parents[0].port, 3128);
		CHECK(r[1].parents[0].local);
	}
	pc_config_free(c);
	FAILS("bandlimin 299 *\n", "t.cfg:1: 299: rate must be 300 or more "
	    "(bits per second)");
	FAILS("bandlimin\n", "t.cfg:1: bandlimin: wrong number of "
	    "arguments (expected 1 to 8)");
}

static void
test_counters(void)
{
	struct pc_config *c = load("counter /var/log/c.bin D /var/log/rep\n"
	    "nocountin * 10.0.0.1\n"
	    "countin 1/alice D 100 alice\n"
	    "countall 0 N 5 * * * 80\n"
	    "countout 7/up M 1\n");

	if (c != NULL) {
		CHECK_STREQ(c->counter_file, "/var/log/c.bin");
		CHECK_EQ_INT(c->counter_rtype, PC_ROT_DAY);
		CHECK_STREQ(c->counter_report, "/var/log/rep");
		CHECK_EQ_INT(c->ncounters, 4);
		CHECK(c->counters[0].exempt);
		CHECK_EQ_INT(c->counters[0].dir, PC_CT_IN);
		CHECK_EQ_INT(c->counters[1].number, 1);
		CHECK_STREQ(c->counters[1].name, "alice");
		CHECK_EQ_INT(c->counters[1].period, PC_ROT_DAY);
		CHECK(c->counters[1].limit == 100ull * 1048576);
		CHECK_EQ_INT(c->counters[1].rule.nusers, 1);
		CHECK_EQ_INT(c->counters[2].dir, PC_CT_ALL);
		CHECK_EQ_INT(c->counters[2].period, PC_ROT_NONE);
		CHECK_EQ_INT(c->counters[2].rule.nports, 1);
		CHECK_EQ_INT(c->counters[3].dir, PC_CT_OUT);
		CHECK_EQ_INT(c->counters[3].period, PC_ROT_MONTH);
	}
	pc_config_free(c);
	FAILS("countin 1 D 0\n", "t.cfg:1: 0: limit must be 1 MB or more");
	FAILS("countin 70000 D 1\n", "t.cfg:1: 70000: counter number must "
	    "be 0..65535");
	FAILS("countin 1 D\n", "t.cfg:1: countin: wrong number of arguments "
	    "(expected 3 to 10)");
}

static void
test_refused(void)
{
	static const char *const later[] = {
		"delimchar",
		"radius", "authnserver", "dialer",
		"writable", "plugin", "filtermaxsize",
		"maxseg", "backlog", "ssl_mitm", "ssl_server_cert",
		"pcre", "pcre_rewrite", "transparent",
	};
	char text[128], want[160];

	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
		snprintf(text, sizeof(text), "# x\n%s 1 2 3\n", later[i]);
		snprintf(want, sizeof(want), "t.cfg:2: %s: not supported yet",
		    later[i]);
		FAILS(text, want);
	}
	FAILS("frobnicate\n", "t.cfg:1: frobnicate: unknown command");
	FAILS("Allow *\n", "t.cfg:1: Allow: unknown command");
	FAILS("\"\"\n", "t.cfg:1: : unknown command");
	FAILS("x \"y\n", "t.cfg:1: \"y: unterminated quote");
	FAILS("proxy\nallow\n\n\n\x01\x02\n",
	    "t.cfg:5: ??: unknown command");
}

/* After `chroot DIR` names are DIR + name (3proxy has chrooted itself);
 * a reload of `config FILE` starts inside the running jail. */
static void
test_chroot_paths(void)
{
	struct pc_config *c, *r;
	char              text[1024], want[512];

	snprintf(text, sizeof(text), "mkdir -p '%s/jail/conf'", dir);
	CHECK(system(text) == 0);
	write_file("jail/conf/pw", "alice:CL:x\n");
	snprintf(text, sizeof(text),
	    "config /conf/in.cfg\nmonitor /conf/in.cfg\n"
	    "users $/conf/pw\nlog /logs/a.log D\nlog rel.log\n"
	    "counter /count/c.3cf D /count/report\npidfile /p.pid\n"
	    "proxy -p3128\n");
	write_file("jail/conf/in.cfg", text);
	snprintf(text, sizeof(text), "pidfile /run/host.pid\nchroot %s/jail/ "
	    "nobody\ninclude /conf/in.cfg\n", dir);
	write_file("main", text);
	c = conf_load(path_of("main"), err, sizeof(err));
	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	snprintf(want, sizeof(want), "%s/jail/conf/in.cfg", dir);
	CHECK_STREQ(c->config_file, want);
	CHECK_STREQ(c->monitors[0], want);
	CHECK_STREQ(c->svcs[0].file, want);
	snprintf(want, sizeof(want), "%s/jail/logs/a.log", dir);
	CHECK_STREQ(c->logs[0].path, want);
	snprintf(want, sizeof(want), "%s/jail/rel.log", dir);
	CHECK_STREQ(c->logs[1].path, want);
	snprintf(want, sizeof(want), "%s/jail/count/c.3cf", dir);
	CHECK_STREQ(c->counter_file, want);
	snprintf(want, sizeof(want), "%s/jail/count/report", dir);
	CHECK_STREQ(c->counter_report, want);
	snprintf(want, sizeof(want), "%s/jail/p.pid", dir);
	CHECK_STREQ(c->pidfile, want);
	CHECK_EQ_INT(c->nusers, 1);

	/* the reload reads the config file alone, inside the jail */
	r = conf_load_in(c->config_file, c, err, sizeof(err));
	CHECK(r != NULL);
	if (r != NULL) {
		snprintf(want, sizeof(want), "%s/jail/p.pid", dir);
		CHECK_STREQ(r->pidfile, want);
		CHECK_EQ_INT(r->nusers, 1);
		CHECK(r->uid_set && r->uid == 65534);
		pc_config_free(r);
	}
	/* a chroot there may not move the jail */
	write_file("jail/conf/in.cfg", "chroot /elsewhere\nproxy -p3128\n");
	r = conf_load_in(c->config_file, c, err, sizeof(err));
	CHECK(r == NULL);
	CHECK(strstr(err, "cannot move the jail") != NULL);
	snprintf(text, sizeof(text), "chroot %s/jail\nproxy -p3128\n", dir);
	write_file("jail/conf/in.cfg", text);
	r = conf_load_in(c->config_file, c, err, sizeof(err));
	CHECK(r != NULL);
	pc_config_free(r);
	/* before the chroot line names are the host's */
	snprintf(text, sizeof(text), "include /conf/in.cfg\nchroot %s/jail\n",
	    dir);
	write_file("main", text);
	CHECK(conf_load(path_of("main"), err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/conf/in.cfg: cannot read") != NULL);
	pc_config_free(c);
}

static void
test_include(void)
{
	struct pc_config *c;
	char              text[512], want[512];

	write_file("inner", "# inner\n\nproxy -p11\nend\nbogus line\n");
	write_file("bad", "allow *\nallow * 1.2.3.999\n");
	write_file("self", "");
	snprintf(text, sizeof(text), "include %s\n", path_of("self"));
	write_file("self", text);
	write_file("main", "");

	/* line numbers per file; `end` stops only the included file */
	snprintf(text, sizeof(text), "socks -p1\ninclude %s\nproxy -p12\n"
	    "include %s\n", path_of("inner"), path_of("bad"));
	write_file("main", text);
	c = conf_load(path_of("main"), err, sizeof(err));
	CHECK(c == NULL);
	snprintf(want, sizeof(want), "%s:2: 1.2.3.999: invalid address",
	    path_of("bad"));
	CHECK_STREQ(err, want);

	snprintf(text, sizeof(text), "socks -p1\ninclude %s\nproxy -p12\n"
	    "bogus\n", path_of("inner"));
	write_file("main", text);
	c = conf_load(path_of("main"), err, sizeof(err));
	CHECK(c == NULL);
	snprintf(want, sizeof(want), "%s:4: bogus: unknown command",
	    path_of("main"));
	CHECK_STREQ(err, want);

	snprintf(text, sizeof(text), "socks -p1\ninclude %s\nproxy -p12\n",
	    path_of("inner"));
	write_file("main", text);
	c = conf_load(path_of("main"), err, sizeof(err));
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_EQ_INT(c->nsvcs, 3);
		CHECK_STREQ(c->svcs[1].file, path_of("inner"));
		CHECK_EQ_INT(c->svcs[1].line, 3);
		CHECK_STREQ(c->svcs[2].file, path_of("main"));
		CHECK_EQ_INT(c->svcs[2].line, 3);
		CHECK_STREQ(c->path, path_of("main"));
	}
	pc_config_free(c);

	snprintf(text, sizeof(text), "include %s\n", path_of("self"));
	c = conf_load_string(text, "t.cfg", err, sizeof(err));
	CHECK(c == NULL);
	snprintf(want, sizeof(want), "%s:1: %s: include nested too deeply (at "
	    "most 16 levels)", path_of("self"), path_of("self"));
	CHECK_STREQ(err, want);

	/* an included file is config text: '$' is the file macro there */
	write_file("list", "alice:CL:a\nbob:CL:b\n");
	snprintf(text, sizeof(text), "users $%s\n", path_of("list"));
	write_file("inc_users", text);
	snprintf(text, sizeof(text), "include %s\n", path_of("inc_users"));
	c = load(text);
	CHECK(c != NULL && c->nusers == 2);
	if (c != NULL && c->nusers == 2)
		CHECK_STREQ(c->users[1].name, "bob");
	pc_config_free(c);

	FAILS("include /nonexistent/x\n", "t.cfg:1: /nonexistent/x: cannot "
	    "read: No such file or directory");
	c = conf_load("/nonexistent/y", err, sizeof(err));
	CHECK(c == NULL);
	CHECK_STREQ(err, "/nonexistent/y:0: /nonexistent/y: cannot read: No "
	    "such file or directory");
	/* `end` in the main text stops there */
	c = load("proxy\nend\nbogus\n");
	CHECK(c != NULL && c->nsvcs == 1);
	pc_config_free(c);
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	conf_set_warn_stream(NULL);
	test_default();
	test_addresses();
	test_log();
	test_auth_users();
	test_acl_fields();
	test_snapshots();
	test_services();
	test_globals();
	test_parents();
	test_bandlim();
	test_counters();
	test_refused();
	test_include();
	test_chroot_paths();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_summary("test_conf");
}
