/* Unit tests of the IMAP gateway's lines (worker/wire/imap_parse.c): tags
 * and commands, LOGIN's atoms and quoted strings, logins of every form,
 * greetings (the proxy's own refused), capability lists, tagged
 * completions and the quoted strings sent upstream. */
#include <string.h>

#include "tests/unit/check.h"
#include "worker/wire/imap_parse.h"

#define S(s) (const uint8_t *)(s), strlen(s)

static void
test_command(void)
{
	struct imap_command c;

	CHECK_EQ_INT(imap_parse_command(S("a1 LOGIN x y\r\n"), &c),
	    IMAP_CMD_LOGIN);
	CHECK_STREQ(c.tag, "a1");
	CHECK_EQ_INT(c.alen, 3);
	CHECK(memcmp(c.arg, "x y", 3) == 0);
	CHECK_EQ_INT(imap_parse_command(S("A0001 login  \"a b\" c\n"), &c),
	    IMAP_CMD_LOGIN);
	CHECK_EQ_INT(c.alen, 7);
	CHECK_EQ_INT(imap_parse_command(S("t CAPABILITY\r\n"), &c),
	    IMAP_CMD_CAPABILITY);
	CHECK_EQ_INT(imap_parse_command(S("t capability x\r\n"), &c),
	    IMAP_CMD_OTHER);
	CHECK_EQ_INT(imap_parse_command(S("t NOOP"), &c), IMAP_CMD_NOOP);
	CHECK_EQ_INT(imap_parse_command(S("t LOGOUT\r\n"), &c),
	    IMAP_CMD_LOGOUT);
	CHECK_EQ_INT(imap_parse_command(S("t SELECT INBOX\r\n"), &c),
	    IMAP_CMD_OTHER);
	CHECK_EQ_INT(imap_parse_command(S("t STARTTLS\r\n"), &c),
	    IMAP_CMD_OTHER);
	CHECK_EQ_INT(imap_parse_command(S("t AUTHENTICATE PLAIN\r\n"), &c),
	    IMAP_CMD_AUTH_PLAIN);
	CHECK_EQ_INT(c.alen, 0);
	CHECK_EQ_INT(imap_parse_command(S("t authenticate plain AGEAYg==\r\n"),
	    &c), IMAP_CMD_AUTH_PLAIN);
	CHECK_EQ_INT(c.alen, 8);
	CHECK_EQ_INT(imap_parse_command(S("t AUTHENTICATE LOGIN\r\n"), &c),
	    IMAP_CMD_AUTH_LOGIN);
	CHECK_EQ_INT(imap_parse_command(S("t AUTHENTICATE CRAM-MD5\r\n"), &c),
	    IMAP_CMD_AUTH_OTHER);
	CHECK_EQ_INT(c.alen, 0);
	CHECK_EQ_INT(imap_parse_command(S("t AUTHENTICATE\r\n"), &c),
	    IMAP_CMD_OTHER);
	/* no tag, no command, bad tag characters, a long tag, controls */
	CHECK_EQ_INT(imap_parse_command(S("LOGOUT\r\n"), &c), -IMAP_E_NOLOGIN);
	CHECK_STREQ(c.tag, "");
	CHECK_EQ_INT(imap_parse_command(S("\r\n"), &c), -IMAP_E_NOLOGIN);
	CHECK_EQ_INT(imap_parse_command(S(" a LOGOUT\r\n"), &c),
	    -IMAP_E_NOLOGIN);
	CHECK_EQ_INT(imap_parse_command(S("a+ LOGOUT\r\n"), &c),
	    -IMAP_E_NOLOGIN);
	CHECK_EQ_INT(imap_parse_command(S("* LOGOUT\r\n"), &c),
	    -IMAP_E_NOLOGIN);
	CHECK_EQ_INT(imap_parse_command(S("a\"b LOGOUT\r\n"), &c),
	    -IMAP_E_NOLOGIN);
	CHECK_EQ_INT(imap_parse_command(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "LOGOUT\r\n"), &c), -IMAP_E_NOLOGIN);
	CHECK_EQ_INT(imap_parse_command(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "LOGOUT\r\n"), &c), IMAP_CMD_LOGOUT);
	CHECK_EQ_INT(imap_parse_command(S("a LOGIN x\ty z\r\n"), &c),
	    -IMAP_E_NOLOGIN);
	CHECK_EQ_INT(imap_parse_command((const uint8_t *)"a LOGIN \0 y", 11,
	    &c), -IMAP_E_NOLOGIN);
}

static void
test_login(void)
{
	struct smtp_login l;

	CHECK_EQ_INT(imap_parse_login(S("bob@mail.test pw"), &l), 0);
	CHECK_STREQ(l.user, "bob");
	CHECK_STREQ(l.host, "mail.test");
	CHECK_STREQ(l.pass, "pw");
	CHECK_EQ_INT(l.port, IMAP_PORT);
	CHECK_EQ_INT(imap_parse_login(S("\"bob@mail.test:1143\" \"p w\""),
	    &l), 0);
	CHECK_EQ_INT(l.port, 1143);
	CHECK_STREQ(l.pass, "p w");
	CHECK_EQ_INT(imap_parse_login(S("\"a\\\"b@[::1]:10\" \"x\\\\y\\\"\""),
	    &l), 0);
	CHECK_STREQ(l.user, "a\"b");
	CHECK_STREQ(l.host, "::1");
	CHECK_EQ_INT(l.port, 10);
	CHECK_STREQ(l.pass, "x\\y\"");
	CHECK_EQ_INT(imap_parse_login(S("a@b@127.0.0.1 pw  "), &l), 0);
	CHECK_STREQ(l.user, "a@b");
	CHECK_STREQ(l.host, "127.0.0.1");
	/* malformed: one argument, three, literal, open quote, bad escape,
	 * specials in an atom, empty strings */
	CHECK_EQ_INT(imap_parse_login(S("bob@mail.test"), &l), -IMAP_E_ARGS);
	CHECK_STREQ(l.user, "");
	CHECK_EQ_INT(imap_parse_login(S("a@b c d"), &l), -IMAP_E_ARGS);
	CHECK_EQ_INT(imap_parse_login(S("{5}"), &l), -IMAP_E_ARGS);
	CHECK_EQ_INT(imap_parse_login(S("a@b {2}"), &l), -IMAP_E_ARGS);
	CHECK_EQ_INT(imap_parse_login(S("\"a@b pw"), &l), -IMAP_E_ARGS);
	CHECK_EQ_INT(imap_parse_login(S("\"a\\x@b\" pw"), &l), -IMAP_E_ARGS);
	CHECK_EQ_INT(imap_parse_login(S("a(b@c pw"), &l), -IMAP_E_ARGS);
	CHECK_EQ_INT(imap_parse_login(S("\"\" pw"), &l), -IMAP_E_ARGS);
	CHECK_EQ_INT(imap_parse_login(S("\"a@b\"pw"), &l), -IMAP_E_ARGS);
	CHECK_EQ_INT(imap_parse_login(S(""), &l), -IMAP_E_ARGS);
	/* not name@server[:port] */
	CHECK_EQ_INT(imap_parse_login(S("bob pw"), &l), -IMAP_E_LOGIN);
	CHECK_STREQ(l.pass, "");
	CHECK_EQ_INT(imap_parse_login(S("bob@ pw"), &l), -IMAP_E_LOGIN);
	CHECK_EQ_INT(imap_parse_login(S("@h pw"), &l), -IMAP_E_LOGIN);
	CHECK_EQ_INT(imap_parse_login(S("b@h:0 pw"), &l), -IMAP_E_LOGIN);
	CHECK_EQ_INT(imap_parse_login(S("b@h:99999 pw"), &l), -IMAP_E_LOGIN);
}

static void
test_server(void)
{
	CHECK_EQ_INT(imap_check_greeting(S("* OK ready\r\n")), 0);
	CHECK_EQ_INT(imap_check_greeting(S("* ok\r\n")), 0);
	CHECK_EQ_INT(imap_check_greeting(S("* OKAY\r\n")), -IMAP_E_REFUSED);
	CHECK_EQ_INT(imap_check_greeting(S("* BYE go away\r\n")),
	    -IMAP_E_REFUSED);
	CHECK_EQ_INT(imap_check_greeting(S("* PREAUTH hi\r\n")),
	    -IMAP_E_REFUSED);
	CHECK_EQ_INT(imap_check_greeting(S("* OK [CAPABILITY IMAP4rev1] "
	    "IMAP4rev1 Proxy Ready\r\n")), -IMAP_E_REFUSED);
	CHECK_EQ_INT(imap_caps(S("* OK hi\r\n")), 0);
	CHECK_EQ_INT(imap_caps(S("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] "
	    "hi\r\n")), IMAP_CAP_LIST | IMAP_CAP_PLAIN);
	CHECK_EQ_INT(imap_caps(S("* OK [CAPABILITY IMAP4rev1] hi "
	    "AUTH=PLAIN\r\n")), IMAP_CAP_LIST);
	CHECK_EQ_INT(imap_caps(S("* CAPABILITY IMAP4rev1 auth=login "
	    "AUTH=PLAIN\r\n")), IMAP_CAP_LIST | IMAP_CAP_PLAIN |
	    IMAP_CAP_LOGIN);
	CHECK_EQ_INT(imap_caps(S("* CAPABILITY AUTH=PLAINX\r\n")),
	    IMAP_CAP_LIST);
	CHECK_EQ_INT(imap_tagged(S("zz OK done\r\n"), "zz"), 1);
	CHECK_EQ_INT(imap_tagged(S("zz OK\r\n"), "zz"), 1);
	CHECK_EQ_INT(imap_tagged(S("zz NO nope\r\n"), "zz"), 2);
	CHECK_EQ_INT(imap_tagged(S("zz bad x\r\n"), "zz"), 2);
	CHECK_EQ_INT(imap_tagged(S("zzz OK\r\n"), "zz"), 0);
	CHECK_EQ_INT(imap_tagged(S("* OK\r\n"), "zz"), 0);
	CHECK_EQ_INT(imap_tagged(S("zz OKAY\r\n"), "zz"), 0);
	CHECK_EQ_INT(imap_tagged(S("zz OK\r\n"), ""), 0);
}

static void
test_quote(void)
{
	char out[16];

	CHECK_EQ_INT(imap_quote("a b", out, sizeof(out)), 5);
	CHECK_STREQ(out, "\"a b\"");
	CHECK_EQ_INT(imap_quote("a\"\\", out, sizeof(out)), 7);
	CHECK_STREQ(out, "\"a\\\"\\\\\"");
	CHECK_EQ_INT(imap_quote("", out, sizeof(out)), 2);
	CHECK_EQ_INT(imap_quote("a\r\n", out, sizeof(out)), 0);
	CHECK_EQ_INT(imap_quote("0123456789abc", out, sizeof(out)), 15);
	CHECK_EQ_INT(imap_quote("0123456789abcd", out, sizeof(out)), 0);
	CHECK_EQ_INT(imap_quote("0123456789ab\"", out, sizeof(out)), 0);
	CHECK_EQ_INT(imap_quote("a", out, 2), 0);
}

int
main(void)
{
	test_command();
	test_login();
	test_server();
	test_quote();
	return check_summary("test_imap_parse");
}
