/*
 * Fuzz target: the SMTP gateway's parsers on arbitrary bytes, read as a
 * client conversation (command lines; after AUTH without data the next
 * line is its data), then the rest as server replies.  A line is never
 * longer than the input or its limit; a parsed login is bounded and has
 * no control character in its name or host (nothing could be smuggled
 * into the log or the server's AUTH); what is sent upstream fits; replies
 * are whole lines with one code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/smtp_parse.h"
#include "worker/wire/text.h"
#include "tests/fuzz/fuzz_login.h"

static void
check_login(const struct smtp_login *l)
{
	char out[SMTP_LINE_MAX];

	check_name(l->user, true);
	check_name(l->host, true);
	check_name(l->pass, false);
	if (l->user[0] == '\0' || l->host[0] == '\0' || l->port == 0)
		abort();
	if (smtp_auth_plain(l->user, l->pass, out, sizeof(out)) == 0 ||
	    smtp_b64_line(l->user, out, 2 * SMTP_NAME_MAX) == 0 ||
	    text_login(l->user, l->host, l->port, 25, out, sizeof(out)) >=
	    sizeof(out))
		abort();
}

/* One client line in the given state; returns the next state. */
static int
client_line(const uint8_t *p, size_t n, int state)
{
	static struct smtp_login l;
	const uint8_t           *arg;
	size_t                   alen;
	char                     name[SMTP_NAME_MAX + 1];
	int                      rc;

	if (state == SMTP_CMD_AUTH_PLAIN) {
		if (smtp_decode_plain(p, n, &l) == 0)
			check_login(&l);
		return SMTP_CMD_OTHER;
	}
	if (state == SMTP_CMD_AUTH_LOGIN) {
		rc = smtp_decode_line(p, n, name, sizeof(name), &alen);
		if (rc == 0 && alen != strlen(name))
			abort();
		if (rc == 0 && smtp_parse_login(name, alen, &l) == 0)
			check_login(&l);
		return SMTP_CMD_OTHER;
	}
	rc = smtp_parse_command(p, n, &arg, &alen);
	if (arg < p || arg + alen > p + n)
		abort();
	if ((rc == SMTP_CMD_AUTH_PLAIN || rc == SMTP_CMD_AUTH_LOGIN) &&
	    alen > 0)
		return client_line(arg, alen, rc);
	if (rc == SMTP_CMD_EHLO && smtp_domain_ok(arg, alen) &&
	    alen > SMTP_NAME_MAX)
		abort();
	return rc == SMTP_CMD_AUTH_PLAIN || rc == SMTP_CMD_AUTH_LOGIN ?
	    rc : SMTP_CMD_OTHER;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = 1 + (size > 0 ? data[0] : 0) * 5;
	long   k;
	int    state = SMTP_CMD_OTHER, code;

	while ((k = text_line(data, size, max)) > 0) {
		if ((size_t)k > size || (size_t)k > max || data[k - 1] != '\n')
			abort();
		state = client_line(data, (size_t)k, state);
		data += k;
		size -= (size_t)k;
		if (state == SMTP_CMD_QUIT)
			break;
	}
	if (k < 0 && size < max)
		abort();
	/* the rest as the server's replies */
	while ((k = smtp_reply(data, size, SMTP_REPLY_MAX, &code)) > 0) {
		if ((size_t)k > size || data[k - 1] != '\n' || code < 200 ||
		    code > 599)
			abort();
		(void)smtp_ehlo_mechs(data, (size_t)k);
		if (smtp_check_greeting(data, (size_t)k, code) == 0 &&
		    code != 220)
			abort();
		data += k;
		size -= (size_t)k;
	}
	if (k != 0 && k != -SMTP_E_SERVER)
		abort();
	return 0;
}
