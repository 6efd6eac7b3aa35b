/*
 * Unit tests of master/logfmt.c: every macro of docs/portcullis.cfg.5 LOG
 * FORMAT, the "-CHARS+R" filter prefix, G versus local time, %X-YT, and the
 * HowTo's Squid and Apache formats on one fixed record.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "master/logfmt.h"
#include "tests/unit/check.h"

static struct pc_logrec rec;

static void
addr(struct pc_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (strchr(ip, ':') != NULL) {
		a->family = AF_INET6;
		inet_pton(AF_INET6, ip, a->ip);
	} else {
		a->family = AF_INET;
		inet_pton(AF_INET, ip, a->ip);
	}
	a->port = port;
}

/* 2003-01-13 10:45:27.296 UTC, the moment of the HowTo's sample line. */
static void
fixed_record(void)
{
	memset(&rec, 0, sizeof(rec));
	rec.t_ms = 1042454727296ULL;
	rec.dur_ms = 2500;
	rec.code = 0;
	rec.hops = 1;
	strcpy(rec.svcname, "SOCK4");
	addr(&rec.client, "127.0.0.1", 4739);
	addr(&rec.local, "127.0.0.1", 1080);
	addr(&rec.ext, "192.0.2.7", 0);
	addr(&rec.remote, "195.122.226.28", 80);
	addr(&rec.req, "195.122.226.28", 80);
	rec.bytes_in = 18735;
	rec.bytes_out = 505;
	strcpy(rec.user, "3APA3A");
	strcpy(rec.host, "3proxy.org");
	strcpy(rec.text, "GET http://3proxy.org/ HTTP/1.1");
}

static const char *
fmt(const char *f)
{
	static char line[LOGFMT_LINE_MAX];

	logfmt_format(line, sizeof(line), f, &rec, 1080);
	return line;
}

static void
test_macros(void)
{
	fixed_record();
	CHECK_STREQ(fmt("G%y|%Y|%m|%o|%d|%H|%M|%S"),
	    "03|2003|01|Jan|13|10|45|27");
	CHECK_STREQ(fmt("G%t.%. %z"), "1042454727.296 +0000");
	CHECK_STREQ(fmt("G%D %b %B"), "2500 202 7494");
	CHECK_STREQ(fmt("G%U %N %p %E"), "3APA3A SOCK4 1080 00000");
	CHECK_STREQ(fmt("G%C:%c %R:%r %i %e %Q:%q"),
	    "127.0.0.1:4739 195.122.226.28:80 127.0.0.1 192.0.2.7 "
	    "195.122.226.28:80");
	CHECK_STREQ(fmt("G%n %I %O %h"), "3proxy.org 18735 505 1");
	CHECK_STREQ(fmt("G%T"), "GET http://3proxy.org/ HTTP/1.1");
	CHECK_STREQ(fmt("G%%|%x|%L|50%"), "%|x|0|50%");
	CHECK_STREQ(fmt("G%1-1T|%2-3T|%3-9T|%4-5T|%2-1T"),
	    "GET|http://3proxy.org/ HTTP/1.1|HTTP/1.1||");
	/* not the %X-YT form: the character after % is printed */
	CHECK_STREQ(fmt("G%1T %1-T"), "1T 1-T");

	/* the HowTo's example format and line (5-digit %E, see section 6) */
	rec.code = 0;
	CHECK_STREQ(fmt("L%t.%. %N.%p %E %U %C:%c %R:%r %O %I %h %T"),
	    "1042454727.296 SOCK4.1080 00000 3APA3A 127.0.0.1:4739 "
	    "195.122.226.28:80 505 18735 1 GET http://3proxy.org/ HTTP/1.1");

	/* %E wider than 5 digits is not cut */
	rec.code = 8011;
	CHECK_STREQ(fmt("G%E"), "08011");
	rec.code = 123456;
	CHECK_STREQ(fmt("G%E"), "123456");

	/* no user, no name: '-' and [IP] of the requested address */
	fixed_record();
	rec.user[0] = '\0';
	rec.host[0] = '\0';
	CHECK_STREQ(fmt("G%U %n"), "- [195.122.226.28]");
	addr(&rec.req, "2001:db8::5", 443);
	CHECK_STREQ(fmt("G%n %Q:%q"), "[2001:db8::5] 2001:db8::5:443");
	strcpy(rec.host, "::1");
	CHECK_STREQ(fmt("G%n"), "[::1]");
	memset(&rec.req, 0, sizeof(rec.req));
	rec.host[0] = '\0';
	CHECK_STREQ(fmt("G%n"), "[195.122.226.28]");
	/* no address at all prints 0.0.0.0, as 3proxy does */
	memset(&rec.remote, 0, sizeof(rec.remote));
	CHECK_STREQ(fmt("G%R:%r %n"), "0.0.0.0:0 [0.0.0.0]");
	/* %D of 0 gives rates of 0 */
	rec.dur_ms = 0;
	CHECK_STREQ(fmt("G%b %B"), "0 0");
}

static void
test_time_zone(void)
{
	fixed_record();
	/* local time three hours east of UTC */
	setenv("TZ", "XYZ-3", 1);
	tzset();
	CHECK_STREQ(fmt("L%H:%M:%S %z"), "13:45:27 +0300");
	CHECK_STREQ(fmt("G%H:%M:%S %z"), "10:45:27 +0000");
	CHECK_STREQ(fmt("g%H %z"), "10 +0000");
	/* any other first character means local time and is consumed */
	CHECK_STREQ(fmt("%H %z"), "H +0300");
	CHECK_STREQ(fmt("X%H"), "13");
	setenv("TZ", "XYZ+5:30", 1);
	tzset();
	CHECK_STREQ(fmt("L%H:%M %z"), "05:15 -0530");
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK_STREQ(fmt("L%z"), "+0000");
	CHECK_STREQ(fmt(""), "");
	CHECK_STREQ(fmt("G"), "");
}

static void
test_filter(void)
{
	fixed_record();
	setenv("TZ", "UTC", 1);
	tzset();
	/* "- +_": spaces become underscores in %U %n %T, not elsewhere */
	strcpy(rec.user, "john smith");
	CHECK_STREQ(fmt("- +_G%U %T"),
	    "john_smith GET_http://3proxy.org/_HTTP/1.1");
	CHECK_STREQ(fmt("- +_G%2-3T"), "http://3proxy.org/_HTTP/1.1");
	/* several characters; the filter does not touch %C or literals */
	strcpy(rec.host, "a,b%c");
	CHECK_STREQ(fmt("-,%+ G%n,%C"), "a b c,127.0.0.1");
	/* the HowTo's SQL example: \ and ' become _ */
	strcpy(rec.user, "o'neil\\x");
	CHECK_STREQ(fmt("-\\'+_GINSERT INTO t VALUES (%t, '%c', '%U', %I)"),
	    "INSERT INTO t VALUES (1042454727, '4739', 'o_neil_x', 18735)");
	/* control characters: R with a filter, '?' without one */
	strcpy(rec.text, "GET /\r\nforged line\x7f");
	CHECK_STREQ(fmt("-x+_G%T"), "GET /__forged line_");
	CHECK_STREQ(fmt("G%T"), "GET /??forged line?");
	/* no character after '+': not a filter; '-' is the time letter */
	fixed_record();
	CHECK_STREQ(fmt("-a+"), "a+");
	CHECK_STREQ(fmt("-%U"), "3APA3A");
}

static void
test_howto_formats(void)
{
	static const char squid[] = "- +_G%t.%. %D %C TCP_MISS/200 %I %1-1T "
	    "%2-2T %U DIRECT/%R application/unknown";
	/* the config reader turns "" into " inside quotes */
	static const char apache[] = "-\"+_L%C - %U [%d/%o/%Y:%H:%M:%S %z] "
	    "\"%T\" %E %I";
	static const char def[] = "030113104527.296 1080 00000 3APA3A "
	    "127.0.0.1:4739 195.122.226.28:80 505 18735 1 "
	    "GET http://3proxy.org/ HTTP/1.1";

	fixed_record();
	setenv("TZ", "XYZ-3", 1);
	tzset();
	CHECK_STREQ(fmt(squid), "1042454727.296 2500 127.0.0.1 TCP_MISS/200 "
	    "18735 GET http://3proxy.org/ 3APA3A DIRECT/195.122.226.28 "
	    "application/unknown");
	CHECK_STREQ(fmt(apache), "127.0.0.1 - 3APA3A [13/Jan/2003:13:45:27 "
	    "+0300] \"GET http://3proxy.org/ HTTP/1.1\" 00000 18735");
	strcpy(rec.text, "GET http://x/?q=\"a\" HTTP/1.1");
	CHECK_STREQ(fmt(apache), "127.0.0.1 - 3APA3A [13/Jan/2003:13:45:27 "
	    "+0300] \"GET http://x/?q=_a_ HTTP/1.1\" 00000 18735");
	/* the HowTo's ISA 2004 WEB.w3c format (TAB-separated; the prefix
	 * makes TAB a blank in client fields) */
	fixed_record();
	strcpy(rec.user, "a\tb");
	CHECK_STREQ(fmt("-\t+ L%C\t%U\tUnknown\t%Y-%m-%d\t%H:%M:%S\t3PROXY"
	    "\t-\t%n\t%R\t%r\t%D\t%O\t%I\thttp\t%1-1T\t%2-2T\t-\t%E\t-"
	    "\t-\tInternal\tExternal\t0x0\tAllowed"),
	    "127.0.0.1\ta b\tUnknown\t2003-01-13\t13:45:27\t3PROXY\t-\t"
	    "3proxy.org\t195.122.226.28\t80\t2500\t505\t18735\thttp\tGET\t"
	    "http://3proxy.org/\t-\t00000\t-\t-\tInternal\tExternal\t0x0\t"
	    "Allowed");
	/* only a space separates %X-YT fields: a TAB stays in its field */
	strcpy(rec.text, "GET /a\tb HTTP/1.1");
	CHECK_STREQ(fmt("-\t+ G%2-2T|%3-3T"), "/a b|HTTP/1.1");
	CHECK_STREQ(fmt("G%2-2T"), "/a?b");
	/* runs of spaces count as one separator; edges are trimmed */
	strcpy(rec.text, "  GET   /x  HTTP/1.0 ");
	CHECK_STREQ(fmt("G%1-1T|%2-3T|%3-3T|%4-4T"), "GET|/x HTTP/1.0|HTTP/1.0|");
	/* the default format, in UTC whatever TZ says */
	fixed_record();
	CHECK_STREQ(fmt(NULL), def);
	CHECK_STREQ(fmt(logfmt_default), def);
}

static void
test_truncation(void)
{
	char   small[16];
	size_t n;

	fixed_record();
	n = logfmt_format(small, sizeof(small), "G%T", &rec, 1);
	CHECK_EQ_INT(n, 15);
	CHECK_STREQ(small, "GET http://3pro");
	n = logfmt_format(small, 1, "G%T", &rec, 1);
	CHECK_EQ_INT(n, 0);
	CHECK_STREQ(small, "");
}

int
main(void)
{
	test_macros();
	test_time_zone();
	test_filter();
	test_howto_formats();
	test_truncation();
	return check_summary("test_logfmt");
}
