/*
 * Rotated log names, period boundaries (in a fixed time zone with DST),
 * old-file matching, archiver arguments and `rotate N` cleanup.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "master/archiver.h"
#include "master/logname.h"
#include "master/logrotate.h"
#include "tests/unit/check.h"

/* Central Europe with its DST rule, spelled out so no tzdata is needed. */
#define TZ_CET "CET-1CEST,M3.5.0,M10.5.0/3"

static time_t
mk(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi, .tm_sec = s, .tm_isdst = -1 };

	return mktime(&tm);
}

static const char *
name(const char *path, enum pc_logrot rot, bool utc, time_t t)
{
	static char         out[LOGNAME_MAX];
	struct pc_logtarget lt = { .kind = PC_LOG_FILE, .path = (char *)path,
	    .rot = rot, .pattern = strchr(path, '%') != NULL, .utc = utc };

	if (logname_expand(&lt, t, out, sizeof(out)) != 0)
		return "(too long)";
	return out;
}

static void
test_names(void)
{
	time_t t = mk(2024, 3, 13, 14, 37, 25);    /* a Wednesday */

	CHECK_STREQ(name("/l/a.log", PC_ROT_MINUTE, false, t),
	    "/l/a.log.2024.03.13-14.37");
	CHECK_STREQ(name("/l/a.log", PC_ROT_HOUR, false, t),
	    "/l/a.log.2024.03.13-14");
	CHECK_STREQ(name("/l/a.log", PC_ROT_DAY, false, t),
	    "/l/a.log.2024.03.13");
	CHECK_STREQ(name("/l/a.log", PC_ROT_WEEK, false, t),
	    "/l/a.log.2024.03.10");                /* that week's Sunday */
	CHECK_STREQ(name("/l/a.log", PC_ROT_MONTH, false, t), "/l/a.log.2024.03");
	CHECK_STREQ(name("/l/a.log", PC_ROT_YEAR, false, t), "/l/a.log.2024");
	CHECK_STREQ(name("/l/a.log", PC_ROT_NONE, false, t), "/l/a.log");
	/* a Sunday is its own week's start */
	CHECK_STREQ(name("a", PC_ROT_WEEK, false, mk(2024, 3, 10, 0, 0, 0)),
	    "a.2024.03.10");
	CHECK_STREQ(name("a", PC_ROT_WEEK, false, mk(2024, 3, 9, 23, 59, 59)),
	    "a.2024.03.03");
	/* templates: the HowTo's example, month names, %t of the period */
	CHECK_STREQ(name("/l/%y%m%d.log", PC_ROT_DAY, false,
	    mk(2006, 7, 29, 10, 0, 0)), "/l/060729.log");
	CHECK_STREQ(name("/l/%Y/%o-%d_%H%M%S.log", PC_ROT_HOUR, false, t),
	    "/l/2024/Mar-13_140000.log");
	CHECK_STREQ(name("x.%t", PC_ROT_MINUTE, false, t), "x.1710337020");
	CHECK_STREQ(name("100%%-%Y", PC_ROT_YEAR, false, t), "100%-2024");
	/* G templates in UTC: 14:37 CET is 13:37 UTC */
	CHECK_STREQ(name("/l/%H.log", PC_ROT_HOUR, true, t), "/l/13.log");
	CHECK_STREQ(name("/l/%H.log", PC_ROT_HOUR, false, t), "/l/14.log");
	/* a template without rotation is expanded for the time given */
	CHECK_STREQ(name("s%S", PC_ROT_NONE, false, t), "s25");
}

static void
test_boundaries(void)
{
	time_t t = mk(2024, 3, 13, 14, 37, 25);

	CHECK_EQ_INT(logname_next(PC_ROT_MINUTE, false, t),
	    mk(2024, 3, 13, 14, 38, 0));
	CHECK_EQ_INT(logname_next(PC_ROT_HOUR, false, t),
	    mk(2024, 3, 13, 15, 0, 0));
	CHECK_EQ_INT(logname_next(PC_ROT_DAY, false, t),
	    mk(2024, 3, 14, 0, 0, 0));
	CHECK_EQ_INT(logname_next(PC_ROT_WEEK, false, t),
	    mk(2024, 3, 17, 0, 0, 0));
	CHECK_EQ_INT(logname_next(PC_ROT_MONTH, false, t),
	    mk(2024, 4, 1, 0, 0, 0));
	CHECK_EQ_INT(logname_next(PC_ROT_YEAR, false, t),
	    mk(2025, 1, 1, 0, 0, 0));
	CHECK_EQ_INT(logname_next(PC_ROT_NONE, false, t), 0);
	CHECK_EQ_INT(logname_period_start(PC_ROT_WEEK, false, t),
	    mk(2024, 3, 10, 0, 0, 0));
	/* exactly on a boundary: that period, the next boundary ahead */
	t = mk(2024, 3, 13, 15, 0, 0);
	CHECK_EQ_INT(logname_period_start(PC_ROT_HOUR, false, t), t);
	CHECK_EQ_INT(logname_next(PC_ROT_HOUR, false, t), t + 3600);
	/* year and month ends; February of a leap year */
	t = mk(2024, 12, 31, 23, 59, 59);
	CHECK_EQ_INT(logname_next(PC_ROT_MINUTE, false, t), t + 1);
	CHECK_STREQ(name("a", PC_ROT_MINUTE, false, t + 1), "a.2025.01.01-00.00");
	CHECK_EQ_INT(logname_next(PC_ROT_MONTH, false, mk(2024, 2, 10, 0, 0, 0)),
	    mk(2024, 3, 1, 0, 0, 0));
	CHECK_EQ_INT(logname_next(PC_ROT_DAY, false, mk(2024, 2, 28, 12, 0, 0)),
	    mk(2024, 2, 29, 0, 0, 0));
	/* DST starts 2024-03-31 02:00 CET -> 03:00 CEST: the hour after
	 * 01:30 ends 30 real minutes later, and that day is 23 hours long */
	t = mk(2024, 3, 31, 1, 30, 0);
	CHECK_EQ_INT(logname_next(PC_ROT_HOUR, false, t) - t, 1800);
	CHECK_STREQ(name("a", PC_ROT_HOUR, false, t + 1800), "a.2024.03.31-03");
	CHECK_EQ_INT(logname_next(PC_ROT_DAY, false, t) -
	    logname_period_start(PC_ROT_DAY, false, t), 23 * 3600);
	/* DST ends 2024-10-27 03:00 CEST -> 02:00 CET: that day has 25 h */
	t = mk(2024, 10, 27, 12, 0, 0);
	CHECK_EQ_INT(logname_next(PC_ROT_DAY, false, t) -
	    logname_period_start(PC_ROT_DAY, false, t), 25 * 3600);
	/* UTC periods: the UTC day starts at 01:00 CET */
	t = mk(2024, 1, 10, 0, 30, 0);
	CHECK_EQ_INT(logname_next(PC_ROT_DAY, true, t), mk(2024, 1, 10, 1, 0, 0));
}

static void
test_match(void)
{
	const char *c = "/l/a.log.%Y.%m.%d-%H.%M";
	time_t      k = 0;

	CHECK(logname_match(c, false, "a.log.2024.03.13-14.37", NULL, &k));
	CHECK_EQ_INT(k, mk(2024, 3, 13, 14, 37, 0));
	CHECK(logname_match(c, false, "a.log.2024.03.13-14.37.gz", "gz", &k));
	CHECK(!logname_match(c, false, "a.log.2024.03.13-14.37.gz", NULL, &k));
	CHECK(!logname_match(c, false, "a.log.2024.03.13-14.37.gzz", "gz", &k));
	CHECK(!logname_match(c, false, "a.log.2024.03.13-14.3", NULL, &k));
	CHECK(!logname_match(c, false, "b.log.2024.03.13-14.37", NULL, &k));
	CHECK(!logname_match(c, false, "a.log", NULL, &k));
	CHECK(!logname_match(c, false, "a.log.2024.03.13-14.37x", NULL, &k));
	CHECK(logname_match("/x/%o-%y.%t", false, "Dec-99.12345", NULL, &k));
	CHECK_EQ_INT(k, 12345);
	CHECK(logname_match("d/%d%m%Y.log", false, "01022023.log", NULL, &k));
	CHECK_EQ_INT(k, mk(2023, 2, 1, 0, 0, 0));
	CHECK(!logname_match("d/%d%m%Y.log", false, "0102202.log", NULL, &k));
}

static void
test_archiver_arg(void)
{
	char out[64];

	CHECK_EQ_INT(archiver_arg("%F", "/l/a.1", "gz", out, sizeof(out)), 0);
	CHECK_STREQ(out, "/l/a.1");
	CHECK_EQ_INT(archiver_arg("%A", "/l/a.1", "gz", out, sizeof(out)), 0);
	CHECK_STREQ(out, "/l/a.1.gz");
	/* docs/3proxy-differences.md, decision 18: inside a word too */
	CHECK_EQ_INT(archiver_arg("--out=%A", "f", "zip", out, sizeof(out)), 0);
	CHECK_STREQ(out, "--out=f.zip");
	CHECK_EQ_INT(archiver_arg("%%F %f %", "f", "gz", out, sizeof(out)), 0);
	CHECK_STREQ(out, "%F %f %");
	CHECK_EQ_INT(archiver_arg("-9", "f", "gz", out, sizeof(out)), 0);
	CHECK_STREQ(out, "-9");
	CHECK_EQ_INT(archiver_arg("%A", "0123456789", "gz", out, 12), -1);
	CHECK_EQ_INT(archiver_arg("%A", "012345678", "gz", out, 13), 0);
}

static int
touch(const char *dir, const char *n)
{
	char path[512];
	int  fd;

	snprintf(path, sizeof(path), "%s/%s", dir, n);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) < 0)
		return -1;
	close(fd);
	return 0;
}

static bool
exists(const char *dir, const char *n)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, n);
	return access(path, F_OK) == 0;
}

static void
test_cleanup(void)
{
	char dir[] = "/tmp/test_logrotate.XXXXXX";
	char tmpl[600], fin[600], live[600];
	static const char *const files[] = {
		"a.log.2024.03.13-14.30.gz", "a.log.2024.03.13-14.31.gz",
		"a.log.2024.03.13-14.32.gz", "a.log.2024.03.13-14.33",
		"a.log.2024.03.13-14.34", "a.log.2024.03.13-14.34.gz",
		"a.log.2024.03.13-14.35", "a.log.2024.03.13-14.35.bz2",
		"a.log", "a.log.2024.03.13-14.29.gz.tmp", "other",
	};

	CHECK(mkdtemp(dir) != NULL);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		CHECK_EQ_INT(touch(dir, files[i]), 0);
	CHECK_EQ_INT(mkdir(strcat(strcpy(fin, dir),
	    "/a.log.2024.03.13-14.20"), 0700), 0);
	snprintf(tmpl, sizeof(tmpl), "%s/a.log.%%Y.%%m.%%d-%%H.%%M", dir);
	snprintf(fin, sizeof(fin), "%s/a.log.2024.03.13-14.34", dir);
	snprintf(live, sizeof(live), "%s/a.log.2024.03.13-14.35", dir);
	/* keep the 2 newest finished periods (14.34 with its half-made
	 * archive, 14.33); 14.30-14.32 go; the live 14.35, foreign names and
	 * the directory stay */
	CHECK_EQ_INT(logrotate_cleanup(tmpl, 0, fin, live, 2, "gz"), 3);
	CHECK(!exists(dir, "a.log.2024.03.13-14.30.gz"));
	CHECK(!exists(dir, "a.log.2024.03.13-14.32.gz"));
	CHECK(exists(dir, "a.log.2024.03.13-14.33"));
	CHECK(exists(dir, "a.log.2024.03.13-14.34"));
	CHECK(exists(dir, "a.log.2024.03.13-14.34.gz"));
	CHECK(exists(dir, "a.log.2024.03.13-14.35"));
	CHECK(exists(dir, "a.log.2024.03.13-14.35.bz2"));
	CHECK(exists(dir, "a.log.2024.03.13-14.29.gz.tmp"));
	CHECK(exists(dir, "a.log.2024.03.13-14.20"));
	CHECK(exists(dir, "other"));
	CHECK_EQ_INT(logrotate_cleanup(tmpl, 0, fin, live, 1, "gz"), 1);
	CHECK(!exists(dir, "a.log.2024.03.13-14.33"));
	CHECK_EQ_INT(logrotate_cleanup(tmpl, 0, fin, live, 1, "gz"), 0);
	/* the archiver raced us: neither the finished file nor its archive is
	 * listed, yet its period is the newest and 14.33 is older than it */
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/a.log.2024.03.13-14.34", dir);
		CHECK_EQ_INT(unlink(p), 0);
		strcat(p, ".gz");
		CHECK_EQ_INT(unlink(p), 0);
	}
	CHECK_EQ_INT(touch(dir, "a.log.2024.03.13-14.33"), 0);
	CHECK_EQ_INT(logrotate_cleanup(tmpl, 0, fin, live, 1, "gz"), 1);
	CHECK(!exists(dir, "a.log.2024.03.13-14.33"));
	/* leave nothing behind */
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[600];

		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	snprintf(fin, sizeof(fin), "%s/a.log.2024.03.13-14.20", dir);
	rmdir(fin);
	CHECK_EQ_INT(rmdir(dir), 0);
}

int
main(void)
{
	setenv("TZ", TZ_CET, 1);
	tzset();
	test_names();
	test_boundaries();
	test_match();
	test_archiver_arg();
	test_cleanup();
	return check_summary("test_logrotate");
}
