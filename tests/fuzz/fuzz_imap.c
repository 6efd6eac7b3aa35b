/*
 * Fuzz target: the IMAP gateway's parsers on arbitrary bytes, read as a
 * client conversation (tagged commands; after AUTHENTICATE without data
 * the next line is its data), then the rest as server lines.  A tag is
 * bounded and printable; a parsed login is bounded, has no control
 * character in its name or host, and what is sent upstream (quoted
 * strings, base64) fits and holds no line end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/imap_parse.h"
#include "worker/wire/text.h"
#include "tests/fuzz/fuzz_login.h"

static void
check_login(const struct smtp_login *l)
{
	char   out[4 * SMTP_NAME_MAX];
	size_t k;

	check_name(l->user, true);
	check_name(l->host, true);
	check_name(l->pass, false);
	if (l->user[0] == '\0' || l->host[0] == '\0' || l->port == 0)
		abort();
	if (mail_plain_line(l->user, l->pass, out, sizeof(out)) == 0 ||
	    text_login(l->user, l->host, l->port, IMAP_PORT, out,
	    sizeof(out)) >= sizeof(out))
		abort();
	k = imap_quote(l->user, out, sizeof(out));
	if (k == 0 || memchr(out, '\r', k) != NULL ||
	    memchr(out, '\n', k) != NULL)
		abort();
	if (imap_quote(l->pass, out, sizeof(out)) == 0 &&
	    strpbrk(l->pass, "\r\n") == NULL)
		abort();
}

/* One client line in the given state; returns the next state. */
static int
client_line(const uint8_t *p, size_t n, int state)
{
	static struct smtp_login l;
	struct imap_command      c;
	char                     name[SMTP_NAME_MAX + 1];
	size_t                   len;
	int                      rc;

	if (state == IMAP_CMD_AUTH_PLAIN) {
		if (mail_decode_plain(p, n, IMAP_PORT, &l) == 0)
			check_login(&l);
		return IMAP_CMD_OTHER;
	}
	if (state == IMAP_CMD_AUTH_LOGIN) {
		rc = smtp_decode_line(p, n, name, sizeof(name), &len);
		if (rc == 0 && mail_parse_login(name, len, IMAP_PORT, &l) == 0)
			check_login(&l);
		return IMAP_CMD_OTHER;
	}
	rc = imap_parse_command(p, n, &c);
	if (rc < 0) {
		if (rc != -IMAP_E_NOLOGIN || c.tag[0] != '\0')
			abort();
		return IMAP_CMD_OTHER;
	}
	len = strlen(c.tag);
	if (len == 0 || len > IMAP_TAG_MAX)
		abort();
	for (size_t i = 0; i < len; i++)
		if (c.tag[i] <= 0x20 || c.tag[i] >= 0x7f)
			abort();
	if (c.alen > 0 && (c.arg < p || c.arg + c.alen > p + n))
		abort();
	if (rc == IMAP_CMD_LOGIN && imap_parse_login(c.arg, c.alen, &l) == 0)
		check_login(&l);
	if ((rc == IMAP_CMD_AUTH_PLAIN || rc == IMAP_CMD_AUTH_LOGIN) &&
	    c.alen > 0)
		return client_line(c.arg, c.alen, rc);
	return rc == IMAP_CMD_AUTH_PLAIN || rc == IMAP_CMD_AUTH_LOGIN ||
	    rc == IMAP_CMD_LOGOUT ? rc : IMAP_CMD_OTHER;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = 1 + (size > 0 ? data[0] : 0) * 8;
	long   k;
	int    state = IMAP_CMD_OTHER;

	while ((k = text_line(data, size, max)) > 0) {
		state = client_line(data, (size_t)k, state);
		data += k;
		size -= (size_t)k;
		if (state == IMAP_CMD_LOGOUT)
			break;
	}
	/* the rest as the server's lines */
	while ((k = text_line(data, size, IMAP_LINE_MAX)) > 0) {
		unsigned caps = imap_caps(data, (size_t)k);

		if (caps != 0 && !(caps & IMAP_CAP_LIST))
			abort();
		(void)imap_check_greeting(data, (size_t)k);
		(void)imap_tagged(data, (size_t)k, "zz");
		data += k;
		size -= (size_t)k;
	}
	return 0;
}
