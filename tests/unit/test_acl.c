/* Unit tests of ACL matching (policy/acl.c): every field, boundaries,
 * first match, implicit deny.  Rules are compiled by conf/ from text. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "tests/unit/check.h"

/* 2024-01-01 00:00:00 UTC, a Monday */
#define MONDAY ((time_t)1704067200)
#define DAY    86400

static struct pc_config *cfg;

/* Compiles "ACL lines" + a service; the ACL under test is svcs[0]'s. */
static const struct pc_acl *
acl(const char *lines)
{
	char text[2048], err[512];

	pc_config_free(cfg);
	snprintf(text, sizeof(text), "%sproxy\n", lines);
	cfg = conf_load_string(text, "acl.cfg", err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "cannot compile: %s\n", err);
		CHECK(cfg != NULL);
		return NULL;
	}
	return &cfg->acls[cfg->svcs[0].acl];
}

static struct pc_acl_req
req(void)
{
	struct pc_acl_req q = { 0 };

	pc_addr_parse("192.0.2.1", &q.client);
	q.op = PC_OP_CONNECT;
	q.port = 80;
	q.now = MONDAY + 12 * 3600;
	return q;
}

static int
check(const struct pc_acl *a, const struct pc_acl_req *q)
{
	return a == NULL ? -1 : pc_acl_check(a, q, NULL);
}

static void
test_empty_and_order(void)
{
	struct pc_acl_req  q = req();
	const struct pc_acl *a = acl("");
	size_t             rule = 7;

	CHECK_EQ_INT(pc_acl_check(a, &q, &rule), PC_ACL_OK);
	CHECK_EQ_INT(rule, (size_t)-1);
	CHECK_EQ_INT(pc_acl_check(NULL, &q, NULL), PC_ACL_OK);

	a = acl("deny * * * 25\nallow * * * 1-1000\n");
	q.port = 25;
	CHECK_EQ_INT(pc_acl_check(a, &q, &rule), PC_ACL_DENIED);
	CHECK_EQ_INT(rule, 0);
	q.port = 80;
	CHECK_EQ_INT(pc_acl_check(a, &q, &rule), PC_ACL_OK);
	CHECK_EQ_INT(rule, 1);
	q.port = 1001;
	CHECK_EQ_INT(pc_acl_check(a, &q, &rule), PC_ACL_NOMATCH);
	CHECK_EQ_INT(rule, (size_t)-1);
	/* port 0: the request has no port, port rules are ignored */
	q.port = 0;
	CHECK_EQ_INT(pc_acl_check(a, &q, &rule), PC_ACL_DENIED);
}

static void
test_users(void)
{
	struct pc_acl_req    q = req();
	const struct pc_acl *a = acl("allow alice,bob\n");

	q.user = "alice";
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	q.user = "bob";
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	q.user = "Alice";  /* exact, case-sensitive */
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	q.user = "alic";
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	q.user = NULL;
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	a = acl("deny -\nallow *\n");
	CHECK_EQ_INT(check(a, &q), PC_ACL_DENIED);   /* NULL is "-" */
	q.user = "carol";
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
}

static void
set(struct pc_addr *a, const char *s)
{
	CHECK_EQ_INT(pc_addr_parse(s, a), 0);
}

static void
test_sources(void)
{
	struct pc_acl_req    q = req();
	const struct pc_acl *a = acl("allow * 10.0.0.0/8,2001:db8::/32,"
	    "192.0.2.10-192.0.2.20,198.51.100.7\n");

	set(&q.client, "10.0.0.0");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	set(&q.client, "10.255.255.255");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	set(&q.client, "11.0.0.0");
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	set(&q.client, "9.255.255.255");
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	set(&q.client, "192.0.2.10");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	set(&q.client, "192.0.2.20");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	set(&q.client, "192.0.2.21");
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	set(&q.client, "192.0.2.9");
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	set(&q.client, "198.51.100.7");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	set(&q.client, "198.51.100.8");
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	set(&q.client, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	set(&q.client, "2001:db9::");
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	/* a v4-mapped client matches IPv4 entries */
	set(&q.client, "::ffff:10.1.2.3");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);

	a = acl("allow * ::1,fe80::1-fe80::ff\n");
	set(&q.client, "::1");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	set(&q.client, "fe80::ff");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	set(&q.client, "fe80::100");
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	set(&q.client, "127.0.0.1");
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
}

static int
host(const struct pc_acl *a, const char *h)
{
	struct pc_acl_req q = req();

	q.host = h;
	return check(a, &q);
}

static void
test_targets(void)
{
	const struct pc_acl *a = acl("allow * * *.example.com\n");
	struct pc_acl_req    q = req();

	CHECK_EQ_INT(host(a, "www.example.com"), PC_ACL_OK);
	CHECK_EQ_INT(host(a, "WWW.Example.COM."), PC_ACL_OK);
	CHECK_EQ_INT(host(a, "a.b.example.com"), PC_ACL_OK);
	CHECK_EQ_INT(host(a, "example.com"), PC_ACL_NOMATCH);
	CHECK_EQ_INT(host(a, "www.example.com.evil"), PC_ACL_NOMATCH);
	CHECK_EQ_INT(host(a, "wwwexample.com"), PC_ACL_NOMATCH);

	a = acl("allow * * www*\n");
	CHECK_EQ_INT(host(a, "www"), PC_ACL_OK);
	CHECK_EQ_INT(host(a, "WWW.anything"), PC_ACL_OK);
	CHECK_EQ_INT(host(a, "awww"), PC_ACL_NOMATCH);
	CHECK_EQ_INT(host(a, "ww"), PC_ACL_NOMATCH);

	a = acl("allow * * *mid*\n");
	CHECK_EQ_INT(host(a, "mid"), PC_ACL_OK);
	CHECK_EQ_INT(host(a, "aMIDb"), PC_ACL_OK);
	CHECK_EQ_INT(host(a, "xxmi"), PC_ACL_NOMATCH);
	CHECK_EQ_INT(host(a, "m-i-d"), PC_ACL_NOMATCH);

	a = acl("allow * * Exact.Org.\n");
	CHECK_EQ_INT(host(a, "exact.org"), PC_ACL_OK);
	CHECK_EQ_INT(host(a, "EXACT.ORG."), PC_ACL_OK);
	CHECK_EQ_INT(host(a, "xexact.org"), PC_ACL_NOMATCH);
	CHECK_EQ_INT(host(a, "exact.or"), PC_ACL_NOMATCH);
	CHECK_EQ_INT(host(a, "exact.org.."), PC_ACL_NOMATCH);

	/* address entries need an address, host entries a name */
	a = acl("allow * * 203.0.113.0/24,2001:db8::/64\n");
	CHECK_EQ_INT(host(a, "203.0.113.1"), PC_ACL_NOMATCH);
	set(&q.dst, "203.0.113.255");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	set(&q.dst, "203.0.114.0");
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	set(&q.dst, "2001:db8::ffff");
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);

	a = acl("allow * * 203.0.113.5,host.test\n");
	memset(&q.dst, 0, sizeof(q.dst));
	q.host = "HOST.test";
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	set(&q.dst, "203.0.113.5");
	q.host = "other.test";
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);      /* the address matches */
	set(&q.dst, "203.0.113.6");
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	q.host = "host.test";
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);      /* the name matches */
	/* no target in the request at all (UDP ASSOCIATE naming 0.0.0.0,
	 * checked again per datagram): target entries are not applied,
	 * docs/portcullis.cfg.5, Access control lists */
	memset(&q.dst, 0, sizeof(q.dst));
	q.host = NULL;
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
}

static void
test_ports_ops(void)
{
	const struct pc_acl *a = acl("allow * * * 80,1000-2000,65535\n");
	struct pc_acl_req    q = req();
	static const struct { uint16_t port; int want; } ports[] = {
		{ 80, PC_ACL_OK }, { 79, PC_ACL_NOMATCH }, { 81, PC_ACL_NOMATCH },
		{ 999, PC_ACL_NOMATCH }, { 1000, PC_ACL_OK }, { 1500, PC_ACL_OK },
		{ 2000, PC_ACL_OK }, { 2001, PC_ACL_NOMATCH },
		{ 65535, PC_ACL_OK }, { 0, PC_ACL_OK },
	};

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		q.port = ports[i].port;
		CHECK_EQ_INT(check(a, &q), ports[i].want);
	}

	q = req();
	a = acl("allow * * * * HTTP\ndeny * * * * HTTPS\n"
	    "allow * * * * CONNECT,BIND\n");
	q.op = PC_OP_HTTP_GET;
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	q.op = PC_OP_HTTP_OTHER;
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	q.op = PC_OP_HTTP_CONNECT;
	CHECK_EQ_INT(check(a, &q), PC_ACL_DENIED);
	q.op = PC_OP_BIND;
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	q.op = PC_OP_UDPASSOC;
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	q.op = PC_OP_FTP_GET;
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);

	/* an ftppr transfer: FTP_GET, also FTP_DATA (3proxy's check) */
	q = req();
	a = acl("deny * * * * FTP_PUT\nallow * * * * CONNECT,FTP_DATA\n");
	q.op = PC_OP_FTP_GET;
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);
	q.op_also = PC_OP_FTP_DATA;
	CHECK_EQ_INT(check(a, &q), PC_ACL_OK);
	q.op = PC_OP_FTP_PUT;
	CHECK_EQ_INT(check(a, &q), PC_ACL_DENIED);
	a = acl("allow * * * * FTP_GET\n");
	q.op = PC_OP_FTP_LIST;
	CHECK_EQ_INT(check(a, &q), PC_ACL_NOMATCH);

	CHECK_EQ_INT(pc_op_from_name("HTTP_GET"), PC_OP_HTTP_GET);
	CHECK_EQ_INT(pc_op_from_name("http_post"), PC_OP_HTTP_POST);
	CHECK_EQ_INT(pc_op_from_name("HTTPS"), PC_OP_HTTP_CONNECT);
	CHECK_EQ_INT(pc_op_from_name("FTP"), PC_OP_FTP);
	CHECK_EQ_INT(pc_op_from_name("DNSRESOLVE"), PC_OP_DNSRESOLVE);
	CHECK_EQ_INT(pc_op_from_name("ADMIN"), PC_OP_ADMIN);
	CHECK_EQ_INT(pc_op_from_name("ICMPASSOC"), PC_OP_ICMPASSOC);
	CHECK_EQ_INT(pc_op_from_name("HTTP_"), 0);
	CHECK_EQ_INT(pc_op_from_name(""), 0);
}

static int
at(const struct pc_acl *a, time_t now)
{
	struct pc_acl_req q = req();

	q.now = now;
	return check(a, &q);
}

static void
test_time(void)
{
	const struct pc_acl *a = acl("allow * * * * * 1-5\n");
	time_t sat = MONDAY + 5 * DAY, sun = MONDAY + 6 * DAY;

	CHECK_EQ_INT(at(a, MONDAY), PC_ACL_OK);
	CHECK_EQ_INT(at(a, MONDAY + 5 * DAY - 1), PC_ACL_OK);   /* Fri 23:59:59 */
	CHECK_EQ_INT(at(a, sat), PC_ACL_NOMATCH);
	CHECK_EQ_INT(at(a, MONDAY - 1), PC_ACL_NOMATCH);        /* Sun 23:59:59 */

	a = acl("allow * * * * * 0\n");
	CHECK_EQ_INT(at(a, sun), PC_ACL_OK);
	CHECK_EQ_INT(at(a, sat), PC_ACL_NOMATCH);
	a = acl("allow * * * * * 7\n");
	CHECK_EQ_INT(at(a, sun + DAY - 1), PC_ACL_OK);
	CHECK_EQ_INT(at(a, MONDAY), PC_ACL_NOMATCH);
	a = acl("allow * * * * * 6-7\n");
	CHECK_EQ_INT(at(a, sat), PC_ACL_OK);
	CHECK_EQ_INT(at(a, sun), PC_ACL_OK);
	CHECK_EQ_INT(at(a, sun + DAY), PC_ACL_NOMATCH);

	a = acl("allow * * * * * * 09:00:00-17:00:00,22:30:00-24:00:00\n");
	CHECK_EQ_INT(at(a, MONDAY + 9 * 3600 - 1), PC_ACL_NOMATCH);
	CHECK_EQ_INT(at(a, MONDAY + 9 * 3600), PC_ACL_OK);
	CHECK_EQ_INT(at(a, MONDAY + 17 * 3600 - 1), PC_ACL_OK);
	CHECK_EQ_INT(at(a, MONDAY + 17 * 3600), PC_ACL_NOMATCH);
	CHECK_EQ_INT(at(a, MONDAY + 22 * 3600 + 1799), PC_ACL_NOMATCH);
	CHECK_EQ_INT(at(a, MONDAY + 22 * 3600 + 1800), PC_ACL_OK);
	CHECK_EQ_INT(at(a, MONDAY + DAY - 1), PC_ACL_OK);
	CHECK_EQ_INT(at(a, MONDAY + DAY), PC_ACL_NOMATCH);

	/* weekday and period together: both must hold */
	a = acl("allow * * * * * 1 00:00:00-01:00:00\n");
	CHECK_EQ_INT(at(a, MONDAY + 60), PC_ACL_OK);
	CHECK_EQ_INT(at(a, MONDAY + DAY + 60), PC_ACL_NOMATCH);
	CHECK_EQ_INT(at(a, MONDAY + 3600), PC_ACL_NOMATCH);

	/* local time, not UTC: in UTC+2, 07:30 UTC is 09:30 */
	setenv("TZ", "<+02>-2", 1);
	tzset();
	a = acl("allow * * * * * * 09:00:00-10:00:00\n");
	CHECK_EQ_INT(at(a, MONDAY + 7 * 3600 + 1800), PC_ACL_OK);
	CHECK_EQ_INT(at(a, MONDAY + 9 * 3600 + 1800), PC_ACL_NOMATCH);
	a = acl("allow * * * * * 1\n");
	CHECK_EQ_INT(at(a, MONDAY - 3600), PC_ACL_OK);  /* Sun 23:00 UTC */
	setenv("TZ", "UTC", 1);
	tzset();
}

static void
test_rule_direct(void)
{
	struct pc_acl_rule r = { .action = PC_ACL_ALLOW };
	struct pc_acl_req  q = req();
	struct pc_hostpat  any = { .text = (char *)"",
	    .flags = PC_HOSTPAT_PREFIX | PC_HOSTPAT_SUFFIX };

	CHECK(pc_acl_rule_matches(&r, &q));
	r.dst_hosts = &any;
	r.ndst_hosts = 1;
	q.host = "anything";
	CHECK(pc_acl_rule_matches(&r, &q));
	r.ops = PC_OP_CONNECT;
	q.op = PC_OP_BIND;
	CHECK(!pc_acl_rule_matches(&r, &q));
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	conf_set_warn_stream(NULL);
	test_empty_and_order();
	test_users();
	test_sources();
	test_targets();
	test_ports_ops();
	test_time();
	test_rule_direct();
	pc_config_free(cfg);
	return check_summary("test_acl");
}
