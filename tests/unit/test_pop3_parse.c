/* Unit tests of the POP3 gateway's lines (worker/wire/pop3_parse.c): lines cut
 * at every length, logins of every form, malformed logins, greetings and
 * the %T text. */
#include <string.h>

#include "tests/unit/check.h"
#include "worker/wire/pop3_parse.h"
#include "worker/wire/text.h"

#define S(s) (const uint8_t *)(s), strlen(s)

static void
test_line(void)
{
	const char *l = "USER a@b\r\nPASS x\r\n";

	CHECK_EQ_INT(text_line(S(l), POP3_LINE_MAX), 10);
	for (size_t i = 0; i < 10; i++)
		CHECK_EQ_INT(text_line((const uint8_t *)l, i, POP3_LINE_MAX),
		    0);
	CHECK_EQ_INT(text_line(S("abc"), 3), -1);
	CHECK_EQ_INT(text_line(S("abc\n"), 3), -1);
	CHECK_EQ_INT(text_line(S("ab\n"), 3), 3);
	CHECK_EQ_INT(text_line(S("\n"), 3), 1);
}

static int
cmd(const char *s, struct pop3_login *l)
{
	return pop3_parse_command(S(s), l);
}

static void
test_commands(void)
{
	struct pop3_login l;

	CHECK_EQ_INT(cmd("QUIT\r\n", &l), POP3_CMD_QUIT);
	CHECK_EQ_INT(cmd("quit", &l), POP3_CMD_QUIT);
	CHECK_EQ_INT(cmd("QUIT now\r\n", &l), POP3_CMD_QUIT);
	CHECK_EQ_INT(cmd("QUITX\r\n", &l), POP3_CMD_OTHER);
	CHECK_EQ_INT(cmd("CAPA\r\n", &l), POP3_CMD_OTHER);
	CHECK_EQ_INT(cmd("\r\n", &l), POP3_CMD_OTHER);
	CHECK_EQ_INT(cmd("USERS x@y\r\n", &l), POP3_CMD_OTHER);
	CHECK_EQ_INT(cmd("USER\r\n", &l), -POP3_E_COMMAND);
	CHECK_EQ_INT(cmd("USER   \r\n", &l), -POP3_E_COMMAND);
}

static void
test_logins(void)
{
	struct pop3_login l;

	CHECK_EQ_INT(cmd("USER alice@mail.example.com\r\n", &l),
	    POP3_CMD_USER);
	CHECK_STREQ(l.user, "alice");
	CHECK_STREQ(l.host, "mail.example.com");
	CHECK_EQ_INT(l.port, 110);
	CHECK_STREQ(l.puser, "");
	CHECK_EQ_INT(cmd("user  a@b@10.0.0.1:2110", &l), POP3_CMD_USER);
	CHECK_STREQ(l.user, "a@b");
	CHECK_STREQ(l.host, "10.0.0.1");
	CHECK_EQ_INT(l.port, 2110);
	CHECK_EQ_INT(cmd("USER x@[::1]:995\r\n", &l), POP3_CMD_USER);
	CHECK_STREQ(l.host, "::1");
	CHECK_EQ_INT(l.port, 995);
	CHECK_EQ_INT(cmd("USER x@[2001:db8::1]\r\n", &l), POP3_CMD_USER);
	CHECK_STREQ(l.host, "2001:db8::1");
	CHECK_EQ_INT(l.port, 110);
	CHECK_EQ_INT(cmd("USER x@2001:db8::1\r\n", &l), POP3_CMD_USER);
	CHECK_STREQ(l.host, "2001:db8::1");
	CHECK_EQ_INT(cmd("USER pu:pp:alice@h\r\n", &l), POP3_CMD_USER);
	CHECK_STREQ(l.puser, "pu");
	CHECK_STREQ(l.ppass, "pp");
	CHECK_STREQ(l.user, "alice");
	CHECK_EQ_INT(cmd("USER pu::alice@h\r\n", &l), POP3_CMD_USER);
	CHECK_STREQ(l.puser, "pu");
	CHECK_STREQ(l.ppass, "");
	CHECK_EQ_INT(cmd("USER pu:p:p:alice@h\r\n", &l), POP3_CMD_USER);
	CHECK_STREQ(l.ppass, "p");
	CHECK_STREQ(l.user, "p:alice");
	/* no '@': a name without a server (the caller may have a default) */
	CHECK_EQ_INT(cmd("USER alice\r\n", &l), POP3_CMD_USER);
	CHECK_STREQ(l.user, "alice");
	CHECK_STREQ(l.host, "");
	CHECK_EQ_INT(l.port, 110);
}

static void
test_bad_logins(void)
{
	static const char *const bad[] = {
		"USER alice@", "USER @host", "USER a@host:", "USER a@host:0",
		"USER a@host:65536", "USER a@host:123456", "USER a@host:8x",
		"USER a@ho/st", "USER a@ho st", "USER a@[::1", "USER a@[::1]x",
		"USER a@[::1]:", "USER a@[zz]", "USER a@[]", "USER a@h:1:g",
		"USER a\x01@h", "USER a\rb@h", "USER a@h\x7f", "USER :p:a@h",
		"USER pu:pp:@h", "USER pu:a@h", "USER a:b",
	};
	struct pop3_login l;
	char              big[600];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(cmd(bad[i], &l), -POP3_E_LOGIN);
		CHECK_STREQ(l.user, "");
	}
	memset(big, 'a', sizeof(big));
	memcpy(big, "USER ", 5);
	memcpy(big + 5 + 256, "@h", 3);        /* a 256-byte name */
	CHECK_EQ_INT(cmd(big, &l), -POP3_E_LOGIN);
	memcpy(big + 5 + 255, "@h", 3);        /* 255 is the limit */
	CHECK_EQ_INT(cmd(big, &l), POP3_CMD_USER);
	CHECK_EQ_INT(strlen(l.user), 255);
	/* NUL inside a line is a control character */
	CHECK_EQ_INT(pop3_parse_command((const uint8_t *)"USER a\0b@h", 10,
	    &l), -POP3_E_LOGIN);
}

static void
test_greeting(void)
{
	CHECK_EQ_INT(pop3_check_greeting(S("+OK ready\r\n")), 0);
	CHECK_EQ_INT(pop3_check_greeting(S("+OK\r\n")), 0);
	CHECK_EQ_INT(pop3_check_greeting(S("+OK Proxyfoo\r\n")), 0);
	CHECK_EQ_INT(pop3_check_greeting(S("+OK Proxy\r\n")), -POP3_E_REFUSED);
	CHECK_EQ_INT(pop3_check_greeting(S("+OK PROXY here\r\n")),
	    -POP3_E_REFUSED);
	CHECK_EQ_INT(pop3_check_greeting(S("-ERR busy\r\n")), -POP3_E_REFUSED);
	CHECK_EQ_INT(pop3_check_greeting(S("+OKAY\r\n")), -POP3_E_REFUSED);
	CHECK_EQ_INT(pop3_check_greeting(S("+O")), -POP3_E_REFUSED);
	CHECK_EQ_INT(pop3_check_greeting(S("")), -POP3_E_REFUSED);
}

static void
test_text(void)
{
	char out[64];

	text_login("alice", "mail.test", 110, 110, out, sizeof(out));
	CHECK_STREQ(out, "alice@mail.test");
	text_login("alice", "10.0.0.1", 2110, 110, out, sizeof(out));
	CHECK_STREQ(out, "alice@10.0.0.1:2110");
	text_login("a", "::1", 110, 110, out, sizeof(out));
	CHECK_STREQ(out, "a@[::1]");
	text_login("a", "::1", 995, 110, out, sizeof(out));
	CHECK_STREQ(out, "a@[::1]:995");
	CHECK_EQ_INT(text_login("alice", "mail.test", 110, 110, out, 6), 0);
	CHECK_STREQ(out, "");
	CHECK_EQ_INT(text_login("alice", "mail.test", 110, 110, out, 0), 0);
}

int
main(void)
{
	test_line();
	test_commands();
	test_logins();
	test_bad_logins();
	test_greeting();
	test_text();
	return check_summary("test_pop3_parse");
}
