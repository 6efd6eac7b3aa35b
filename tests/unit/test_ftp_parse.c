/* Unit tests of the FTP proxy's text (worker/wire/ftp_parse.c): lines, command
 * classification, logins, replies (multi-line), PASV/EPSV/PORT/EPRT both
 * ways, sizes, LIST names and the HTML escaping of the listing page. */
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"
#include "tests/unit/check.h"
#include "worker/wire/ftp_parse.h"
#include "worker/wire/text.h"

#define S(s) (const uint8_t *)(s), strlen(s)

static void
test_line(void)
{
	CHECK_EQ_INT(text_line(S("USER a\r\nPASS b\r\n"), FTP_LINE_MAX), 8);
	CHECK_EQ_INT(text_line(S("USER a"), FTP_LINE_MAX), 0);
	CHECK_EQ_INT(text_line(S("abcd"), 4), -1);
	CHECK_EQ_INT(text_line(S("ab\n"), 3), 3);
}

static enum ftp_cmd
cls(const char *s, char *arg)
{
	const uint8_t *a;
	size_t         n;
	enum ftp_cmd   c = ftp_classify(S(s), &a, &n);

	memcpy(arg, a, n);
	arg[n] = '\0';
	return c;
}

static void
test_classify(void)
{
	char arg[64];

	CHECK_EQ_INT(cls("retr file name.txt\r\n", arg), FTP_C_RETR);
	CHECK_STREQ(arg, "file name.txt");
	CHECK_EQ_INT(cls("PASV\r\n", arg), FTP_C_PASV);
	CHECK_STREQ(arg, "");
	CHECK_EQ_INT(cls("EPSV ALL\n", arg), FTP_C_EPSV);
	CHECK_EQ_INT(cls("STOU\r\n", arg), FTP_C_STOU);
	CHECK_EQ_INT(cls("LISTX\r\n", arg), FTP_C_OTHER);
	CHECK_EQ_INT(cls("NOOP\r\n", arg), FTP_C_OTHER);
	CHECK_EQ_INT(cls("\r\n", arg), FTP_C_OTHER);
	CHECK_EQ_INT(cls("RETR a\rSTOR b\r\n", arg), FTP_C_BAD);
	CHECK_EQ_INT(cls("RETR a\0b\r\n", arg), FTP_C_RETR);  /* S() stops */
	CHECK_EQ_INT(ftp_cmd_op(FTP_C_RETR), PC_OP_FTP_GET);
	CHECK_EQ_INT(ftp_cmd_op(FTP_C_APPE), PC_OP_FTP_PUT);
	CHECK_EQ_INT(ftp_cmd_op(FTP_C_MLSD), PC_OP_FTP_LIST);
	CHECK_EQ_INT(ftp_cmd_op(FTP_C_PASV), 0);
	CHECK(ftp_cmd_upload(FTP_C_STOR));
	CHECK(!ftp_cmd_upload(FTP_C_NLST));
}

static void
test_login(void)
{
	struct ftp_login l;
	char             t[600];

	CHECK_EQ_INT(ftp_parse_login(S("alice@ftp.test\r\n"), &l), 0);
	CHECK_STREQ(l.user, "alice");
	CHECK_STREQ(l.host, "ftp.test");
	CHECK_EQ_INT(l.port, 21);
	text_login(l.user, l.host, l.port, FTP_PORT, t, sizeof(t));
	CHECK_STREQ(t, "alice@ftp.test");
	CHECK_EQ_INT(ftp_parse_login(S("a@b@[::1]:2121"), &l), 0);
	CHECK_STREQ(l.user, "a@b");
	CHECK_STREQ(l.host, "::1");
	CHECK_EQ_INT(l.port, 2121);
	text_login(l.user, l.host, l.port, FTP_PORT, t, sizeof(t));
	CHECK_STREQ(t, "a@b@[::1]:2121");
	CHECK_EQ_INT(ftp_parse_login(S("pu:pp:alice@ftp.test:2121"), &l), 0);
	CHECK_STREQ(l.puser, "pu");
	CHECK_STREQ(l.ppass, "pp");
	CHECK_STREQ(l.user, "alice");
	CHECK_STREQ(l.host, "ftp.test");
	CHECK_EQ_INT(ftp_parse_login(S("pu::alice@h"), &l), 0);
	CHECK_STREQ(l.puser, "pu");
	CHECK_STREQ(l.ppass, "");
	CHECK_EQ_INT(ftp_parse_login(S("a:b@h"), &l), 0);   /* one ':' */
	CHECK_STREQ(l.user, "a:b");
	CHECK_STREQ(l.puser, "");
	CHECK_EQ_INT(ftp_parse_login(S(":pp:alice@h"), &l), -FTP_E_LOGIN);
	CHECK_EQ_INT(ftp_parse_login(S("pu:pp:@h"), &l), -FTP_E_LOGIN);
	CHECK_EQ_INT(ftp_parse_login(S("anonymous"), &l), 0);
	CHECK_STREQ(l.host, "");
	CHECK_EQ_INT(ftp_parse_login(S("@host"), &l), -FTP_E_LOGIN);
	CHECK_EQ_INT(ftp_parse_login(S("a@"), &l), -FTP_E_LOGIN);
	CHECK_EQ_INT(ftp_parse_login(S("a@h:0"), &l), -FTP_E_LOGIN);
	CHECK_EQ_INT(ftp_parse_login(S("a@h:65536"), &l), -FTP_E_LOGIN);
	CHECK_EQ_INT(ftp_parse_login(S("a@h:"), &l), -FTP_E_LOGIN);
	CHECK_EQ_INT(ftp_parse_login(S("a@[::1"), &l), -FTP_E_LOGIN);
	CHECK_EQ_INT(ftp_parse_login(S("a b@h"), &l), -FTP_E_LOGIN);
	CHECK_EQ_INT(ftp_parse_login(S(""), &l), -FTP_E_LOGIN);
}

static int
feed(struct ftp_reply_scan *s, const char *line)
{
	return ftp_reply_feed(s, S(line));
}

static void
test_reply(void)
{
	struct ftp_reply_scan s = { 0, false };

	CHECK_EQ_INT(feed(&s, "220 Ready\r\n"), 220);
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(feed(&s, "230-Welcome\r\n"), 0);
	CHECK_EQ_INT(feed(&s, " 230 indented is text\r\n"), 0);
	CHECK_EQ_INT(feed(&s, "231 another code\r\n"), 0);
	CHECK_EQ_INT(feed(&s, "230-still going\r\n"), 0);
	CHECK_EQ_INT(feed(&s, "230 done\r\n"), 230);
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(feed(&s, "200\r\n"), 200);
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(feed(&s, "20 short\r\n"), -1);
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(feed(&s, "600 bad\r\n"), -1);
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(feed(&s, "200x\r\n"), -1);
}

static void
test_pasv(void)
{
	struct pc_addr a;
	uint16_t       port = 0;
	char           out[128];

	CHECK_EQ_INT(ftp_parse_pasv(S("227 Entering Passive Mode "
	    "(127,0,0,1,195,80).\r\n"), &a), 0);
	CHECK_EQ_INT(a.family, AF_INET);
	CHECK_EQ_INT(a.ip[0], 127);
	CHECK_EQ_INT(a.ip[3], 1);
	CHECK_EQ_INT(a.port, 195 * 256 + 80);
	CHECK_EQ_INT(ftp_parse_pasv(S("227 =10,0,0,2,0,21\r\n"), &a), 0);
	CHECK_EQ_INT(a.port, 21);
	CHECK_EQ_INT(ftp_parse_pasv(S("227 (1,2,3,4,0,0)\r\n"), &a), -1);
	CHECK_EQ_INT(ftp_parse_pasv(S("227 (1,2,3,256,1,1)\r\n"), &a), -1);
	CHECK_EQ_INT(ftp_parse_pasv(S("227 (1,2,3)\r\n"), &a), -1);
	CHECK_EQ_INT(ftp_parse_pasv(S("200 (1,2,3,4,5,6)\r\n"), &a), -1);
	CHECK_EQ_INT(ftp_parse_epsv(S("229 Entering Extended Passive Mode "
	    "(|||50000|)\r\n"), &port), 0);
	CHECK_EQ_INT(port, 50000);
	CHECK_EQ_INT(ftp_parse_epsv(S("229 (!!!21!)\r\n"), &port), 0);
	CHECK_EQ_INT(port, 21);
	CHECK_EQ_INT(ftp_parse_epsv(S("229 (|||70000|)\r\n"), &port), -1);
	CHECK_EQ_INT(ftp_parse_epsv(S("229 (|||0|)\r\n"), &port), -1);
	CHECK_EQ_INT(ftp_parse_epsv(S("229 (||21|)\r\n"), &port), -1);
	CHECK_EQ_INT(ftp_parse_epsv(S("229 (|||21\r\n"), &port), -1);
	CHECK_EQ_INT(ftp_parse_pasv(S("227 (10,0,0,2,18,52)\r\n"), &a), 0);
	CHECK(ftp_format_passive(&a, false, out, sizeof(out)) > 0);
	CHECK_STREQ(out, "227 Entering Passive Mode (10,0,0,2,18,52).\r\n");
	CHECK(ftp_format_passive(&a, true, out, sizeof(out)) > 0);
	CHECK_STREQ(out, "229 Entering Extended Passive Mode (|||4660|)\r\n");
	CHECK_EQ_INT(ftp_format_passive(&a, false, out, 10), 0);
}

static void
test_port(void)
{
	struct pc_addr a;

	CHECK_EQ_INT(ftp_parse_port(S("127,0,0,1,4,1\r\n"), &a), 0);
	CHECK_EQ_INT(a.port, 1025);
	CHECK_EQ_INT(ftp_parse_port(S("127,0,0,1,4,1,7"), &a), -1);
	CHECK_EQ_INT(ftp_parse_port(S("127,0,0,1,4"), &a), -1);
	CHECK_EQ_INT(ftp_parse_port(S("127,0,0,1,0,0"), &a), -1);
	CHECK_EQ_INT(ftp_parse_port(S(" 127,0,0,1,4,1"), &a), -1);
	CHECK_EQ_INT(ftp_parse_eprt(S("|1|127.0.0.1|2121|\r\n"), &a), 0);
	CHECK_EQ_INT(a.family, AF_INET);
	CHECK_EQ_INT(a.port, 2121);
	CHECK_EQ_INT(ftp_parse_eprt(S("|2|::1|40000|"), &a), 0);
	CHECK_EQ_INT(a.family, AF_INET6);
	CHECK_EQ_INT(a.port, 40000);
	CHECK_EQ_INT(ftp_parse_eprt(S("|1|::1|40000|"), &a), -1);
	CHECK_EQ_INT(ftp_parse_eprt(S("|2|[::1]|40000|"), &a), -1);
	CHECK_EQ_INT(ftp_parse_eprt(S("|1|127.0.0.1|0|"), &a), -1);
	CHECK_EQ_INT(ftp_parse_eprt(S("|1|127.0.0.1|99999|"), &a), -1);
	CHECK_EQ_INT(ftp_parse_eprt(S("|1|127.0.0.1|21"), &a), -1);
	CHECK_EQ_INT(ftp_parse_eprt(S("|3|127.0.0.1|21|"), &a), -1);
}

static void
test_size_and_list(void)
{
	size_t off, len;
	bool   dir;
	char   out[64];
	const char *l = "-rw-r--r--   1 alice staff  10 Nov 25 09:00 a b.txt";

	CHECK_EQ_INT(ftp_reply_size(S("213 1048576\r\n")), 1048576);
	CHECK_EQ_INT(ftp_reply_size(S("150 Opening (42 bytes)\r\n")), 42);
	CHECK_EQ_INT(ftp_reply_size(S("150 Opening data connection\r\n")), -1);
	CHECK_EQ_INT(ftp_reply_size(S("213 99999999999999999999999\r\n")), -1);
	CHECK_EQ_INT(ftp_reply_size(S("550 no\r\n")), -1);
	ftp_list_name(S(l), &off, &len, &dir);
	CHECK_EQ_INT(len, 7);
	CHECK(memcmp(l + off, "a b.txt", 7) == 0);
	CHECK(!dir);
	ftp_list_name(S("drwxr-xr-x 2 a b 4096 Nov 25 09:00 sub\r\n"), &off,
	    &len, &dir);
	CHECK_EQ_INT(len, 3);
	CHECK(dir);
	ftp_list_name(S("drwxr-xr-x 2 a b 4096 Nov 25 09:00 ..\r\n"), &off,
	    &len, &dir);
	CHECK_EQ_INT(len, 0);
	ftp_list_name(S("plainname\r\n"), &off, &len, &dir);
	CHECK_EQ_INT(len, 9);
	CHECK_EQ_INT(ftp_html_append(out, 0, sizeof(out), S("<a&\">"), false),
	    strlen("&lt;a&amp;&quot;&gt;"));
	CHECK_STREQ(out, "&lt;a&amp;&quot;&gt;");
	CHECK_EQ_INT(ftp_html_append(out, 0, sizeof(out), S("a b/%"), true),
	    strlen("a%20b/%25"));
	CHECK_STREQ(out, "a%20b/%25");
	CHECK_EQ_INT(ftp_html_append(out, 0, 4, S("<<"), false), 4);
}

int
main(void)
{
	test_line();
	test_classify();
	test_login();
	test_reply();
	test_pasv();
	test_port();
	test_size_and_list();
	return check_summary("test_ftp_parse");
}
