/* Unit tests of the SMTP gateway's lines (worker/wire/smtp_parse.c): lines cut
 * at every length, commands, AUTH PLAIN and LOGIN data, logins of every
 * form, server replies (multi-line, malformed, overlong), EHLO
 * mechanisms, greetings, what is sent upstream and the %T text. */
#include <string.h>

#include "tests/unit/check.h"
#include "worker/wire/smtp_parse.h"
#include "worker/wire/text.h"

#define S(s) (const uint8_t *)(s), strlen(s)

static void
test_line(void)
{
	const char *l = "EHLO a\r\nAUTH x\r\n";

	CHECK_EQ_INT(text_line(S(l), SMTP_LINE_MAX), 8);
	for (size_t i = 0; i < 8; i++)
		CHECK_EQ_INT(text_line((const uint8_t *)l, i, SMTP_LINE_MAX),
		    0);
	CHECK_EQ_INT(text_line(S("abc"), 3), -1);
	CHECK_EQ_INT(text_line(S("abc\n"), 3), -1);
	CHECK_EQ_INT(text_line(S("ab\n"), 3), 3);
}

static enum smtp_cmd
cmd(const char *s, const char **arg)
{
	const uint8_t *a;
	size_t         n;
	enum smtp_cmd  c = smtp_parse_command(S(s), &a, &n);
	static char    buf[256];

	memcpy(buf, a, n < 255 ? n : 255);
	buf[n < 255 ? n : 255] = '\0';
	*arg = buf;
	return c;
}

static void
test_commands(void)
{
	const char *a;

	CHECK_EQ_INT(cmd("EHLO client.test\r\n", &a), SMTP_CMD_EHLO);
	CHECK_STREQ(a, "client.test");
	CHECK_EQ_INT(cmd("helo  x \r\n", &a), SMTP_CMD_HELO);
	CHECK_STREQ(a, "x");
	CHECK_EQ_INT(cmd("EHLO\r\n", &a), SMTP_CMD_EHLO);
	CHECK_STREQ(a, "");
	CHECK_EQ_INT(cmd("AUTH PLAIN\r\n", &a), SMTP_CMD_AUTH_PLAIN);
	CHECK_STREQ(a, "");
	CHECK_EQ_INT(cmd("auth plain AGFAYjoxAHB3\r\n", &a),
	    SMTP_CMD_AUTH_PLAIN);
	CHECK_STREQ(a, "AGFAYjoxAHB3");
	CHECK_EQ_INT(cmd("AUTH LOGIN eA==\r\n", &a), SMTP_CMD_AUTH_LOGIN);
	CHECK_STREQ(a, "eA==");
	CHECK_EQ_INT(cmd("AUTH CRAM-MD5\r\n", &a), SMTP_CMD_AUTH_OTHER);
	CHECK_EQ_INT(cmd("AUTH PLAINX\r\n", &a), SMTP_CMD_AUTH_OTHER);
	CHECK_EQ_INT(cmd("AUTH\r\n", &a), SMTP_CMD_AUTH_BAD);
	CHECK_EQ_INT(cmd("AUTH   \r\n", &a), SMTP_CMD_AUTH_BAD);
	CHECK_EQ_INT(cmd("QUIT\r\n", &a), SMTP_CMD_QUIT);
	CHECK_EQ_INT(cmd("rset\r\n", &a), SMTP_CMD_NOOP);
	CHECK_EQ_INT(cmd("MAIL FROM:<a@b>\r\n", &a), SMTP_CMD_NEEDAUTH);
	CHECK_EQ_INT(cmd("DATA\r\n", &a), SMTP_CMD_NEEDAUTH);
	CHECK_EQ_INT(cmd("STARTTLS\r\n", &a), SMTP_CMD_OTHER);
	CHECK_EQ_INT(cmd("QUITX\r\n", &a), SMTP_CMD_OTHER);
	CHECK_EQ_INT(cmd(" QUIT\r\n", &a), SMTP_CMD_OTHER);
	CHECK_EQ_INT(cmd("\r\n", &a), SMTP_CMD_OTHER);
	CHECK_EQ_INT(cmd("EHLO a\rb\r\n", &a), SMTP_CMD_SYNTAX);
	CHECK_EQ_INT(cmd("QU\x00IT\r\n", &a), SMTP_CMD_OTHER); /* "QU" */
	CHECK_EQ_INT(smtp_parse_command((const uint8_t *)"QU\0IT\r\n", 7,
	    (const uint8_t **)&a, &(size_t){0}), SMTP_CMD_SYNTAX);
	CHECK(smtp_domain_ok(S("mail.example.com")));
	CHECK(smtp_domain_ok(S("[127.0.0.1]")));
	CHECK(smtp_domain_ok(S("[IPv6:::1]")));
	CHECK(!smtp_domain_ok(S("")));
	CHECK(!smtp_domain_ok(S("a b")));
	CHECK(!smtp_domain_ok(S("a\r\nMAIL")));
}

static void
test_decode_line(void)
{
	char   out[16];
	size_t n;

	CHECK_EQ_INT(smtp_decode_line(S("YWxpY2U=\r\n"), out, sizeof(out),
	    &n), 0);
	CHECK_STREQ(out, "alice");
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_INT(smtp_decode_line(S("*\r\n"), out, sizeof(out), &n), 1);
	CHECK_EQ_INT(smtp_decode_line(S("="), out, sizeof(out), &n), 0);
	CHECK_STREQ(out, "");
	CHECK_EQ_INT(smtp_decode_line(S("YWxpY2U"), out, sizeof(out), &n),
	    -SMTP_E_DECODE);
	CHECK_EQ_INT(smtp_decode_line(S("YW=pY2U="), out, sizeof(out), &n),
	    -SMTP_E_DECODE);
	CHECK_EQ_INT(smtp_decode_line(S("AGE="), out, sizeof(out), &n),
	    -SMTP_E_DECODE);                        /* "\0a" */
	CHECK_EQ_INT(smtp_decode_line(S(""), out, sizeof(out), &n),
	    -SMTP_E_DECODE);
	/* 16 octets do not fit 15 + NUL */
	CHECK_EQ_INT(smtp_decode_line(S("YWFhYWFhYWFhYWFhYWFhYQ=="), out,
	    sizeof(out), &n), -SMTP_E_DECODE);
	CHECK_EQ_INT(smtp_decode_line(S("YWFhYWFhYWFhYWFhYWFh"), out,
	    sizeof(out), &n), 0);
	CHECK_EQ_INT(n, 15);
}

static int
plain(const char *raw, size_t n, struct smtp_login *l)
{
	char   b64[1200];
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	/* encode raw[0..n) by hand to test the decoder on its own */
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)(uint8_t)raw[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)(uint8_t)raw[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)raw[i + 2];
		b64[o++] = al[(v >> 18) & 63];
		b64[o++] = al[(v >> 12) & 63];
		b64[o++] = i + 1 < n ? al[(v >> 6) & 63] : '=';
		b64[o++] = i + 2 < n ? al[v & 63] : '=';
	}
	return smtp_decode_plain((const uint8_t *)b64, o, l);
}

#define P(s) s, sizeof(s) - 1

static void
test_plain(void)
{
	struct smtp_login l;

	CHECK_EQ_INT(plain(P("\0alice@127.0.0.1:2525\0pw"), &l), 0);
	CHECK_STREQ(l.user, "alice");
	CHECK_STREQ(l.host, "127.0.0.1");
	CHECK_EQ_INT(l.port, 2525);
	CHECK_STREQ(l.pass, "pw");
	CHECK_EQ_INT(plain(P("zid\0a@b.example@mx.test\0p w\x01"), &l), 0);
	CHECK_STREQ(l.user, "a@b.example");
	CHECK_STREQ(l.host, "mx.test");
	CHECK_EQ_INT(l.port, 25);
	CHECK_STREQ(l.pass, "p w\x01");
	CHECK_EQ_INT(plain(P("\0alice@[::1]:587\0pw"), &l), 0);
	CHECK_STREQ(l.host, "::1");
	CHECK_EQ_INT(l.port, 587);
	CHECK_EQ_INT(plain(P("\0alice@127.0.0.1\0"), &l), -SMTP_E_DECODE);
	CHECK_EQ_INT(plain(P("\0alice@127.0.0.1"), &l), -SMTP_E_DECODE);
	CHECK_EQ_INT(plain(P("alice@127.0.0.1\0pw"), &l), -SMTP_E_DECODE);
	CHECK_EQ_INT(plain(P("\0alice@127.0.0.1\0p\0w"), &l),
	    -SMTP_E_DECODE);
	CHECK_EQ_INT(plain(P("\0alice\0pw"), &l), -SMTP_E_LOGIN);
	CHECK_STREQ(l.pass, "");            /* cleared on failure */
	CHECK_EQ_INT(plain(P("\0al\rice@h\0pw"), &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(smtp_decode_plain(S("*\r\n"), &l), 1);
	CHECK_EQ_INT(smtp_decode_plain(S("=\r\n"), &l), -SMTP_E_DECODE);
	CHECK_EQ_INT(smtp_decode_plain(S("!!!!"), &l), -SMTP_E_DECODE);
}

static int
login(const char *s, struct smtp_login *l)
{
	return smtp_parse_login(s, strlen(s), l);
}

static void
test_logins(void)
{
	struct smtp_login l;
	char              longname[300];

	memset(&l, 0, sizeof(l));
	strcpy(l.pass, "kept");
	CHECK_EQ_INT(login("alice@mail.example.com", &l), 0);
	CHECK_STREQ(l.user, "alice");
	CHECK_STREQ(l.host, "mail.example.com");
	CHECK_EQ_INT(l.port, 25);
	CHECK_STREQ(l.pass, "kept");
	CHECK_EQ_INT(login("a@b@10.0.0.1:2525", &l), 0);
	CHECK_STREQ(l.user, "a@b");
	CHECK_EQ_INT(l.port, 2525);
	CHECK_EQ_INT(login("x@2001:db8::1", &l), 0);
	CHECK_STREQ(l.host, "2001:db8::1");
	CHECK_EQ_INT(login("x@[2001:db8::1]:26", &l), 0);
	CHECK_EQ_INT(l.port, 26);
	CHECK_EQ_INT(login("alice", &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(login("alice@", &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(login("@host", &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(login("a@h:0", &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(login("a@h:65536", &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(login("a@h:", &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(login("a@bad/host", &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(login("a@[::1", &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(login("a@[::1]x", &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(login("a\x7f@h", &l), -SMTP_E_LOGIN);
	CHECK_STREQ(l.user, "");
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 280, "@host", 6);
	CHECK_EQ_INT(login(longname, &l), -SMTP_E_LOGIN);
	CHECK_EQ_INT(login(longname + 30, &l), 0);  /* 250 + "@host" */
}

static void
test_replies(void)
{
	int  code;
	char big[5000];

	CHECK_EQ_INT(smtp_reply(S("220 ready\r\n"), 4096, &code), 11);
	CHECK_EQ_INT(code, 220);
	CHECK_EQ_INT(smtp_reply(S("250-a\r\n250-AUTH LOGIN PLAIN\r\n250 OK"
	    "\r\n334 x\r\n"), 4096, &code), 37);
	CHECK_EQ_INT(code, 250);
	CHECK_EQ_INT(smtp_reply(S("250-a\r\n250-b\r\n"), 4096, &code), 0);
	CHECK_EQ_INT(code, 0);
	CHECK_EQ_INT(smtp_reply(S("235\r\n"), 4096, &code), 5);
	CHECK_EQ_INT(smtp_reply(S("235\n"), 4096, &code), 4);
	CHECK_EQ_INT(smtp_reply(S("250-a\r\n251 b\r\n"), 4096, &code),
	    -SMTP_E_SERVER);
	CHECK_EQ_INT(smtp_reply(S("25\r\n"), 4096, &code), -SMTP_E_SERVER);
	CHECK_EQ_INT(smtp_reply(S("hello\r\n"), 4096, &code),
	    -SMTP_E_SERVER);
	CHECK_EQ_INT(smtp_reply(S("250x\r\n"), 4096, &code), -SMTP_E_SERVER);
	CHECK_EQ_INT(smtp_reply(S("650 x\r\n"), 4096, &code),
	    -SMTP_E_SERVER);
	CHECK_EQ_INT(smtp_reply(S("220 ready"), 4096, &code), 0);
	memset(big, 'x', sizeof(big));
	memcpy(big, "250-", 4);
	CHECK_EQ_INT(smtp_reply((const uint8_t *)big, sizeof(big), 4096,
	    &code), -SMTP_E_SERVER);
	CHECK_EQ_INT(smtp_reply(S("220 a\r\n"), 5, &code), -SMTP_E_SERVER);
}

static void
test_mechs_greeting(void)
{
	const char *e1 = "250-mx\r\n250-AUTH LOGIN PLAIN\r\n250 HELP\r\n";
	const char *e2 = "250-mx\r\n250-auth=login cram-md5\r\n250 X\r\n";
	const char *e3 = "250-mx\r\n250-AUTHX PLAIN\r\n250 AUTH CRAM-MD5\r\n";

	CHECK_EQ_INT(smtp_ehlo_mechs(S(e1)),
	    SMTP_MECH_PLAIN | SMTP_MECH_LOGIN);
	CHECK_EQ_INT(smtp_ehlo_mechs(S(e2)), SMTP_MECH_LOGIN);
	CHECK_EQ_INT(smtp_ehlo_mechs(S(e3)), 0);
	CHECK_EQ_INT(smtp_ehlo_mechs(S("250 AUTH  PLAIN")), SMTP_MECH_PLAIN);
	CHECK_EQ_INT(smtp_check_greeting(S("220 mx ESMTP\r\n"), 220), 0);
	CHECK_EQ_INT(smtp_check_greeting(S("220-Proxy\r\n220 x\r\n"), 220),
	    -SMTP_E_REFUSED);
	CHECK_EQ_INT(smtp_check_greeting(S("220 Proxy ready\r\n"), 220),
	    -SMTP_E_REFUSED);
	CHECK_EQ_INT(smtp_check_greeting(S("220 Proxyish\r\n"), 220), 0);
	CHECK_EQ_INT(smtp_check_greeting(S("554 no\r\n"), 554),
	    -SMTP_E_REFUSED);
}

static void
test_upstream(void)
{
	char out[1200];

	CHECK_EQ_INT(smtp_auth_plain("alice", "pw", out, sizeof(out)), 25);
	CHECK_STREQ(out, "AUTH PLAIN AGFsaWNlAHB3\r\n");
	CHECK_EQ_INT(smtp_auth_plain("alice", "pw", out, 25), 0);
	CHECK_EQ_INT(smtp_b64_line("alice", out, sizeof(out)), 10);
	CHECK_STREQ(out, "YWxpY2U=\r\n");
	CHECK_EQ_INT(smtp_b64_line("alice", out, 10), 0);
	CHECK_EQ_INT(text_login("alice", "mx.test", 25, 25, out, sizeof(out)),
	    13);
	CHECK_STREQ(out, "alice@mx.test");
	text_login("alice", "::1", 587, 25, out, sizeof(out));
	CHECK_STREQ(out, "alice@[::1]:587");
	CHECK_EQ_INT(text_login("alice", "h", 26, 25, out, 5), 0);
	CHECK_STREQ(out, "");
}

int
main(void)
{
	test_line();
	test_commands();
	test_decode_line();
	test_plain();
	test_logins();
	test_replies();
	test_mechs_greeting();
	test_upstream();
	return check_summary("smtp_parse");
}
