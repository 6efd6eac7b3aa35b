/*
 * Fuzz target: the POP3 gateway's parsers on arbitrary bytes, read as a
 * client conversation (lines until one is USER or the input ends), then
 * the rest as a server greeting.  A line is never longer than the input
 * or than its limit; a parsed login is bounded, has no control character
 * (nothing could be smuggled into the server's USER line) and its %T fits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/pop3_parse.h"
#include "worker/wire/text.h"

static void
check_name(const char *s)
{
	size_t n = strnlen(s, POP3_NAME_MAX + 1);

	if (n > POP3_NAME_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void
check_login(const struct pop3_login *l)
{
	char text[2 * POP3_NAME_MAX + 16];

	check_name(l->user);
	check_name(l->puser);
	check_name(l->ppass);
	check_name(l->host);
	if (l->user[0] == '\0' || l->port == 0)
		abort();
	if (text_login(l->user, l->host[0] ? l->host : "x", l->port, 110, text,
	    sizeof(text)) >= sizeof(text))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pop3_login l;
	size_t                   max = 1 + (size > 0 ? data[0] : 0) * 3;
	long                     k;
	int                      c;

	while ((k = text_line(data, size, max)) > 0) {
		if ((size_t)k > size || (size_t)k > max || data[k - 1] != '\n')
			abort();
		c = pop3_parse_command(data, (size_t)k, &l);
		data += k;
		size -= (size_t)k;
		if (c == POP3_CMD_USER) {
			check_login(&l);
			break;
		}
		if (c != POP3_CMD_QUIT && c != POP3_CMD_OTHER &&
		    c != -POP3_E_COMMAND && c != -POP3_E_LOGIN)
			abort();
	}
	if (k < 0 && size < max)
		abort();
	/* the whole remainder, unterminated, as a command and a greeting */
	if (pop3_parse_command(data, size, &l) == POP3_CMD_USER)
		check_login(&l);
	c = pop3_check_greeting(data, size);
	if (c != 0 && c != -POP3_E_REFUSED)
		abort();
	if (c == 0 && (size < 3 || memcmp(data, "+OK", 3) != 0))
		abort();
	return 0;
}
