/* Unit tests of the weekday and period fields of ACL rules with the
 * injectable clock (pc_acl_req.now), for IPv4 and IPv6 requests: the
 * boundaries test_acl.c leaves out (lists of days, adjacent and whole-day
 * periods, daylight saving changes, time rules deciding first match) and
 * the parser's refusals.  Semantics: docs/portcullis.cfg.5,
 * Access control lists. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "tests/unit/check.h"

/* 2024-01-01 00:00:00 UTC, a Monday */
#define MONDAY ((time_t)1704067200)
#define DAY    86400
#define H      3600

static struct pc_config *cfg;

static const struct pc_acl *
acl(const char *lines)
{
	char text[2048], err[512];

	pc_config_free(cfg);
	snprintf(text, sizeof(text), "%sproxy\n", lines);
	cfg = conf_load_string(text, "time.cfg", err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "cannot compile: %s\n", err);
		CHECK(cfg != NULL);
		return NULL;
	}
	return &cfg->acls[cfg->svcs[0].acl];
}

/* true when the text does not compile */
static bool
refused(const char *lines)
{
	char text[1024], err[512];
	struct pc_config *c;

	snprintf(text, sizeof(text), "%sproxy\n", lines);
	c = conf_load_string(text, "bad.cfg", err, sizeof(err));
	pc_config_free(c);
	return c == NULL;
}

/* A CONNECT from client to dst:443 at now; v6 picks the address family. */
static int
at6(const struct pc_acl *a, time_t now, bool v6)
{
	struct pc_acl_req q = { 0 };

	if (a == NULL)
		return -1;
	pc_addr_parse(v6 ? "2001:db8::10" : "192.0.2.10", &q.client);
	pc_addr_parse(v6 ? "2001:db8:1::1" : "198.51.100.1", &q.dst);
	q.op = PC_OP_CONNECT;
	q.port = 443;
	q.now = now;
	return pc_acl_check(a, &q, NULL);
}

static void
both(const struct pc_acl *a, time_t now, int want)
{
	CHECK_EQ_INT(at6(a, now, false), want);
	CHECK_EQ_INT(at6(a, now, true), want);
}

static void
test_day_lists(void)
{
	const struct pc_acl *a = acl("allow * * * * * 1,3,5\n");

	for (int d = 0; d < 7; d++) {
		/* MONDAY + d days: d=0 Monday ... d=6 Sunday */
		int want = (d == 0 || d == 2 || d == 4) ? PC_ACL_OK :
		    PC_ACL_NOMATCH;

		both(a, MONDAY + d * DAY, want);
		both(a, MONDAY + d * DAY + DAY - 1, want);
	}
	a = acl("allow * * * * * 06\n");        /* no commas: 0 and 6 */
	both(a, MONDAY + 5 * DAY, PC_ACL_OK);
	both(a, MONDAY + 6 * DAY, PC_ACL_OK);
	both(a, MONDAY + 4 * DAY + DAY - 1, PC_ACL_NOMATCH);
	both(a, MONDAY + 7 * DAY, PC_ACL_NOMATCH);
	a = acl("allow * * * * * 0-7\n");       /* every day */
	for (int d = 0; d < 7; d++)
		both(a, MONDAY + d * DAY + 12 * H, PC_ACL_OK);
	a = acl("allow * * * * * 3-3\n");
	both(a, MONDAY + 2 * DAY, PC_ACL_OK);
	both(a, MONDAY + 2 * DAY - 1, PC_ACL_NOMATCH);
	both(a, MONDAY + 3 * DAY, PC_ACL_NOMATCH);
	a = acl("allow * * * * * 5-7\n");       /* Friday to Sunday */
	both(a, MONDAY + 4 * DAY, PC_ACL_OK);
	both(a, MONDAY + 7 * DAY - 1, PC_ACL_OK);
	both(a, MONDAY + 7 * DAY, PC_ACL_NOMATCH);
}

static void
test_period_edges(void)
{
	const struct pc_acl *a = acl("allow * * * * * * "
	    "08:00:00-12:00:00,12:00:00-13:00:00\n");

	both(a, MONDAY + 8 * H - 1, PC_ACL_NOMATCH);
	both(a, MONDAY + 8 * H, PC_ACL_OK);
	both(a, MONDAY + 12 * H - 1, PC_ACL_OK);
	both(a, MONDAY + 12 * H, PC_ACL_OK);      /* the second period */
	both(a, MONDAY + 13 * H - 1, PC_ACL_OK);
	both(a, MONDAY + 13 * H, PC_ACL_NOMATCH);

	a = acl("allow * * * * * * 00:00:00-00:00:01\n");
	both(a, MONDAY, PC_ACL_OK);
	both(a, MONDAY + 1, PC_ACL_NOMATCH);
	both(a, MONDAY - 1, PC_ACL_NOMATCH);
	both(a, MONDAY + DAY, PC_ACL_OK);

	a = acl("allow * * * * * * 00:00:00-24:00:00\n");
	both(a, MONDAY, PC_ACL_OK);
	both(a, MONDAY + DAY - 1, PC_ACL_OK);
	both(a, MONDAY + 13 * H + 1234, PC_ACL_OK);

	a = acl("allow * * * * * * 23:59:59-24:00:00\n");
	both(a, MONDAY + DAY - 1, PC_ACL_OK);
	both(a, MONDAY + DAY - 2, PC_ACL_NOMATCH);
	both(a, MONDAY + DAY, PC_ACL_NOMATCH);

	/* a period over midnight is written as two; with a weekday the
	 * night from Friday to Saturday is Friday's end plus Saturday's
	 * start only when both days are listed */
	a = acl("allow * * * * * 5 22:00:00-24:00:00,00:00:00-06:00:00\n");
	both(a, MONDAY + 4 * DAY + 22 * H, PC_ACL_OK);
	both(a, MONDAY + 4 * DAY + 6 * H - 1, PC_ACL_OK);   /* Fri 05:59 */
	both(a, MONDAY + 5 * DAY + 1, PC_ACL_NOMATCH);      /* Sat 00:00 */
	both(a, MONDAY + 4 * DAY + 21 * H, PC_ACL_NOMATCH);
}

static void
test_time_decides_first_match(void)
{
	const struct pc_acl *a = acl("deny * * * * * 6-7\n"
	    "allow * * * * * * 09:00:00-17:00:00\n"
	    "allow * 2001:db8::/32 * * * 1-5 17:00:00-18:00:00\n");

	both(a, MONDAY + 5 * DAY + 10 * H, PC_ACL_DENIED);   /* Sat */
	both(a, MONDAY + 10 * H, PC_ACL_OK);
	both(a, MONDAY + 8 * H, PC_ACL_NOMATCH);
	/* only the v6 client has the extra hour */
	CHECK_EQ_INT(at6(a, MONDAY + 17 * H, true), PC_ACL_OK);
	CHECK_EQ_INT(at6(a, MONDAY + 17 * H, false), PC_ACL_NOMATCH);
	CHECK_EQ_INT(at6(a, MONDAY + 18 * H, true), PC_ACL_NOMATCH);
	CHECK_EQ_INT(at6(a, MONDAY + 6 * DAY + 17 * H, true),
	    PC_ACL_DENIED);                                   /* Sun */

	a = acl("allow * * 2001:db8:1::/48 * * 1 10:00:00-11:00:00\n"
	    "allow * * 198.51.100.0/24 * * 2 10:00:00-11:00:00\n");
	CHECK_EQ_INT(at6(a, MONDAY + 10 * H, true), PC_ACL_OK);
	CHECK_EQ_INT(at6(a, MONDAY + 10 * H, false), PC_ACL_NOMATCH);
	CHECK_EQ_INT(at6(a, MONDAY + DAY + 10 * H, false), PC_ACL_OK);
	CHECK_EQ_INT(at6(a, MONDAY + DAY + 10 * H, true), PC_ACL_NOMATCH);
	CHECK_EQ_INT(at6(a, MONDAY + 11 * H, true), PC_ACL_NOMATCH);
}

/* Wall clock, not elapsed time: on the days clocks change a period is
 * compared with the local time of day.  POSIX TZ rule for central
 * Europe: +1, summer time from the last Sunday of March 01:00 UTC to
 * the last Sunday of October 01:00 UTC. */
static void
test_daylight_saving(void)
{
	/* 2024-03-31 and 2024-10-27, 00:00 UTC (both Sundays) */
	const time_t spring = (time_t)1711843200, autumn = (time_t)1729987200;
	const struct pc_acl *a;

	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	a = acl("allow * * * * * * 02:00:00-03:00:00\n");
	/* spring: 01:59:59 CET is followed by 03:00:00 CEST */
	both(a, spring + H - 1, PC_ACL_NOMATCH);
	both(a, spring + H, PC_ACL_NOMATCH);
	/* autumn: 02:30 happens twice, in CEST and in CET */
	both(a, autumn + 30 * 60, PC_ACL_OK);           /* 02:30 CEST */
	both(a, autumn + H + 30 * 60, PC_ACL_OK);       /* 02:30 CET */
	both(a, autumn + 2 * H, PC_ACL_NOMATCH);        /* 03:00 CET */

	a = acl("allow * * * * * * 03:00:00-04:00:00\n");
	both(a, spring + H, PC_ACL_OK);                 /* 03:00 CEST */
	a = acl("allow * * * * * 0 00:00:00-01:00:00\n");
	/* Sunday 00:30 local is Saturday 23:30 UTC in winter */
	both(a, spring - 30 * 60, PC_ACL_OK);
	both(a, spring - 90 * 60, PC_ACL_NOMATCH);      /* Sat 23:30 local */
	setenv("TZ", "UTC", 1);
	tzset();
}

static void
test_refused_fields(void)
{
	CHECK(refused("allow * * * * * 8\n"));
	CHECK(refused("allow * * * * * 5-1\n"));
	CHECK(refused("allow * * * * * 1-\n"));
	CHECK(refused("allow * * * * * * 22:00:00-02:00:00\n"));
	CHECK(refused("allow * * * * * * 10:00:00-10:00:00\n"));
	CHECK(refused("allow * * * * * * 24:00:00-24:00:00\n"));
	CHECK(refused("allow * * * * * * 09:00:00-24:00:01\n"));
	CHECK(refused("allow * * * * * * 09:60:00-10:00:00\n"));
	CHECK(refused("allow * * * * * * 9:00:00-10:00:00\n"));
	CHECK(refused("allow * * * * * * 09:00:00\n"));
	CHECK(!refused("allow * * * * * 0-7 00:00:00-24:00:00\n"));
	CHECK(!refused("allow * * * * * * 09:00:00-10:00:00\n"));
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	conf_set_warn_stream(NULL);
	test_day_lists();
	test_period_edges();
	test_time_decides_first_match();
	test_daylight_saving();
	test_refused_fields();
	pc_config_free(cfg);
	return check_summary("test_acl_time");
}
