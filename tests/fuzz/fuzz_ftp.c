/*
 * Fuzz target: the FTP proxy's parsers on arbitrary bytes.  The input is
 * cut into lines; each line is classified as a command (a login is parsed
 * from USER's argument, addresses from PORT/EPRT's), fed to the reply
 * scanner, and read as a PASV/EPSV reply, a size and a LIST line whose
 * name is escaped into a small page.  A line is never longer than the
 * input or its limit, a parsed login is bounded and free of control
 * characters (nothing smuggled into the server's USER line), and every
 * formatted text fits its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/ftp_parse.h"
#include "worker/wire/text.h"

static void
check_name(const char *s)
{
	size_t n = strnlen(s, FTP_NAME_MAX + 1);

	if (n > FTP_NAME_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			abort();
}

static void
command(const uint8_t *p, size_t n)
{
	struct ftp_login l;
	struct pc_addr   a;
	const uint8_t   *arg;
	size_t           alen;
	char             text[2 * FTP_NAME_MAX + 16];
	enum ftp_cmd     c = ftp_classify(p, n, &arg, &alen);

	if (arg < p || arg + alen > p + n)
		abort();
	if (c == FTP_C_USER && ftp_parse_login(arg, alen, &l) == 0) {
		check_name(l.user);
		check_name(l.host);
		if (l.user[0] == '\0' || l.port == 0)
			abort();
		if (text_login(l.user, l.host, l.port, FTP_PORT, text,
		    sizeof(text)) >= sizeof(text))
			abort();
	}
	if ((c == FTP_C_PORT && ftp_parse_port(arg, alen, &a) == 0) ||
	    (c == FTP_C_EPRT && ftp_parse_eprt(arg, alen, &a) == 0)) {
		if (a.port == 0 || ftp_format_passive(&a, false, text,
		    sizeof(text)) == 0)
			abort();
	}
}

static void
reply(struct ftp_reply_scan *s, const uint8_t *p, size_t n)
{
	struct pc_addr a;
	uint16_t       port;
	size_t         off, len;
	bool           dir;
	char           page[128];
	int            code = ftp_reply_feed(s, p, n);

	if (code != 0 && code != -1 && (code < 100 || code > 599))
		abort();
	if (code != 0)
		memset(s, 0, sizeof(*s));
	if (ftp_parse_pasv(p, n, &a) == 0 && a.port == 0)
		abort();
	if (ftp_parse_epsv(p, n, &port) == 0 && port == 0)
		abort();
	(void)ftp_reply_size(p, n);
	ftp_list_name(p, n, &off, &len, &dir);
	if (off + len > n)
		abort();
	if (ftp_html_append(page, 0, sizeof(page), p + off, len, true) >
	    sizeof(page) || ftp_html_append(page, 0, sizeof(page), p + off,
	    len, false) > sizeof(page))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ftp_reply_scan s = { 0, false };
	size_t                max = 1 + (size > 0 ? data[0] : 0) * 5;
	long                  k;

	while ((k = text_line(data, size, max)) > 0) {
		if ((size_t)k > size || (size_t)k > max || data[k - 1] != '\n')
			abort();
		command(data, (size_t)k);
		reply(&s, data, (size_t)k);
		data += k;
		size -= (size_t)k;
	}
	if (k < 0 && size < max)
		abort();
	command(data, size);
	reply(&s, data, size);
	return 0;
}
