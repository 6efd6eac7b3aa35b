/*
 * What the mail gateways' fuzz targets (fuzz_smtp.c, fuzz_imap.c) check
 * of a parsed login field: bounded by SMTP_NAME_MAX and, where it reaches
 * the log or the resolver, free of control characters.
 */
#ifndef PC_TESTS_FUZZ_LOGIN_H
#define PC_TESTS_FUZZ_LOGIN_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "worker/wire/smtp_parse.h"

static void
check_name(const char *s, bool printable)
{
	size_t n = strnlen(s, SMTP_NAME_MAX + 1);

	if (n > SMTP_NAME_MAX)
		abort();
	for (size_t i = 0; printable && i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

#endif
