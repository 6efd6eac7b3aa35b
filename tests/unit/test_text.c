/* Unit tests of the shared text pieces (worker/wire/text.c): lines cut at
 * every length, trimming, ports at their limits, host[:port] in each mode
 * the protocols use, and the %T login text. */
#include <string.h>

#include "tests/unit/check.h"
#include "worker/wire/text.h"

#define S(s) (const uint8_t *)(s), strlen(s)

static void
test_line(void)
{
	const char *l = "USER a@b\r\nPASS x\r\n";

	CHECK_EQ_INT(text_line(S(l), 512), 10);
	for (size_t i = 0; i < 10; i++)
		CHECK_EQ_INT(text_line((const uint8_t *)l, i, 512), 0);
	CHECK_EQ_INT(text_line(S("abc"), 3), -1);
	CHECK_EQ_INT(text_line(S("abc\n"), 3), -1);
	CHECK_EQ_INT(text_line(S("ab\n"), 3), 3);
	CHECK_EQ_INT(text_line(S("\n"), 3), 1);
	CHECK_EQ_INT(text_line(S("a\nb\n"), 100), 2);
	CHECK_EQ_INT(text_line(S(""), 0), -1);
}

static void
test_trim(void)
{
	CHECK_EQ_INT(text_trim_eol(S("ab \r\n")), 3);
	CHECK_EQ_INT(text_trim_eol(S("ab\n\r\r\n")), 2);
	CHECK_EQ_INT(text_trim_eol(S("\r\n")), 0);
	CHECK_EQ_INT(text_trim(S("ab \t\r\n")), 2);
	CHECK_EQ_INT(text_trim(S(" \t ")), 0);
	CHECK_EQ_INT(text_trim(S("a b")), 3);
	CHECK(!text_has_control(S("plain text ~")));
	CHECK(text_has_control(S("a\rb")));
	CHECK(text_has_control(S("a\x7f")));
	CHECK(text_has_control((const uint8_t *)"a\0b", 3));
}

static int
port(const char *s)
{
	uint16_t p = 7;

	return text_port(S(s), &p) != 0 ? -1 : p;
}

static void
test_port(void)
{
	CHECK_EQ_INT(port("1"), 1);
	CHECK_EQ_INT(port("65535"), 65535);
	CHECK_EQ_INT(port("00110"), 110);
	CHECK_EQ_INT(port("0"), -1);
	CHECK_EQ_INT(port("00000"), -1);
	CHECK_EQ_INT(port("65536"), -1);
	CHECK_EQ_INT(port("99999"), -1);
	CHECK_EQ_INT(port("000110"), -1);
	CHECK_EQ_INT(port(""), -1);
	CHECK_EQ_INT(port("+80"), -1);
	CHECK_EQ_INT(port("8 0"), -1);
	CHECK_EQ_INT(port("80a"), -1);
}

/* host[:port] as text "host|port|given|v6", or "-" when refused. */
static const char *
hp(const char *s, unsigned flags, uint16_t defport)
{
	static char      out[300];
	struct text_host h;

	if (text_hostport(S(s), flags, defport, &h) != 0)
		return "-";
	snprintf(out, sizeof(out), "%.*s|%u|%d|%d", (int)h.len, s + h.off,
	    h.port, h.port_given, h.v6);
	return out;
}

#define MAIL (TEXT_HP_NAMES | TEXT_HP_BARE_V6)
#define HTTP (TEXT_HP_NAMES | TEXT_HP_EMPTY_PORT)

static void
test_hostport(void)
{
	char long_name[300];

	/* the mail gateways: names, brackets, bare v6 */
	CHECK_STREQ(hp("mail.test", MAIL, 110), "mail.test|110|0|0");
	CHECK_STREQ(hp("10.0.0.1:2110", MAIL, 110), "10.0.0.1|2110|1|0");
	CHECK_STREQ(hp("[::1]:995", MAIL, 110), "::1|995|1|1");
	CHECK_STREQ(hp("[2001:db8::1]", MAIL, 110), "2001:db8::1|110|0|1");
	CHECK_STREQ(hp("2001:db8::1", MAIL, 110), "2001:db8::1|110|0|1");
	CHECK_STREQ(hp("a_b-c.d", MAIL, 25), "a_b-c.d|25|0|0");
	CHECK_STREQ(hp("", MAIL, 110), "-");
	CHECK_STREQ(hp(":110", MAIL, 110), "-");
	CHECK_STREQ(hp("h:", MAIL, 110), "-");
	CHECK_STREQ(hp("h:0", MAIL, 110), "-");
	CHECK_STREQ(hp("h:65536", MAIL, 110), "-");
	CHECK_STREQ(hp("h x", MAIL, 110), "-");
	CHECK_STREQ(hp("h/x", MAIL, 110), "-");
	CHECK_STREQ(hp("[]", MAIL, 110), "-");
	CHECK_STREQ(hp("[::1", MAIL, 110), "-");
	CHECK_STREQ(hp("[::1]x", MAIL, 110), "-");
	CHECK_STREQ(hp("[::1]:", MAIL, 110), "-");
	CHECK_STREQ(hp("[mail.test]", MAIL, 110), "-");
	CHECK_STREQ(hp("2001:db8::g", MAIL, 110), "-");
	/* ftppr: any character, the first ':' ends the host */
	CHECK_STREQ(hp("ftp.test", 0, 21), "ftp.test|21|0|0");
	CHECK_STREQ(hp("h!x:2121", 0, 21), "h!x|2121|1|0");
	CHECK_STREQ(hp("[fe80::1%lo]:21", 0, 21), "fe80::1%lo|21|1|1");
	CHECK_STREQ(hp("2001:db8::1", 0, 21), "-");
	CHECK_STREQ(hp("h:", 0, 21), "-");
	/* HTTP authorities: "host:" takes the default, 0 makes it needed */
	CHECK_STREQ(hp("example.com", HTTP, 80), "example.com|80|0|0");
	CHECK_STREQ(hp("example.com:", HTTP, 80), "example.com|80|0|0");
	CHECK_STREQ(hp("example.com:8080", HTTP, 80), "example.com|8080|1|0");
	CHECK_STREQ(hp("example.com", HTTP, 0), "-");
	CHECK_STREQ(hp("example.com:", HTTP, 0), "-");
	CHECK_STREQ(hp("example.com:443", HTTP, 0), "example.com|443|1|0");
	CHECK_STREQ(hp("[::1]:443", HTTP, 0), "::1|443|1|1");
	CHECK_STREQ(hp("[::1]", HTTP, 0), "-");
	CHECK_STREQ(hp("a@b:80", HTTP, 80), "-");
	/* names up to 255 characters */
	memset(long_name, 'a', 255);
	long_name[255] = '\0';
	CHECK(strcmp(hp(long_name, MAIL, 110), "-") != 0);
	long_name[255] = 'a';
	long_name[256] = '\0';
	CHECK_STREQ(hp(long_name, MAIL, 110), "-");
	CHECK_STREQ(hp(long_name, 0, 21), "-");
}

static void
test_login(void)
{
	char out[64];

	CHECK_EQ_INT(text_login("a", "h", 110, 110, out, sizeof(out)), 3);
	CHECK_STREQ(out, "a@h");
	text_login("a", "h", 2110, 110, out, sizeof(out));
	CHECK_STREQ(out, "a@h:2110");
	text_login("a", "::1", 21, 21, out, sizeof(out));
	CHECK_STREQ(out, "a@[::1]");
	text_login("a", "::1", 2121, 21, out, sizeof(out));
	CHECK_STREQ(out, "a@[::1]:2121");
	CHECK_EQ_INT(text_login("alice", "mail.test", 25, 25, out, 16), 15);
	CHECK_EQ_INT(text_login("alice", "mail.test", 25, 25, out, 15), 0);
	CHECK_STREQ(out, "");
	CHECK_EQ_INT(text_login("alice", "mail.test", 25, 25, out, 0), 0);
}

int
main(void)
{
	test_line();
	test_trim();
	test_port();
	test_hostport();
	test_login();
	return check_summary("test_text");
}
