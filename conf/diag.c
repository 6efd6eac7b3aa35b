/* Error and warning lines of the configuration reader. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/diag.h"

#define TOKEN_SHOWN_MAX 80

static FILE *warn_fp;
static bool  warn_set;

void
conf_set_warn_stream(void *FILE_ptr)
{
	warn_fp = FILE_ptr;
	warn_set = true;
}

FILE *
conf_warn_stream(void)
{
	return warn_set ? warn_fp : stderr;
}

/* Tokens come from untrusted files: keep the message on one line. */
static void
sanitize(char *out, size_t outlen, const char *tok)
{
	size_t i, n = strlen(tok);
	size_t shown = n > TOKEN_SHOWN_MAX ? TOKEN_SHOWN_MAX : n;

	if (outlen < shown + 4)
		shown = outlen > 4 ? outlen - 4 : 0;
	for (i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)tok[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (shown < n) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

int
conf_errf(char *err, size_t errlen, const char *file, int line,
    const char *tok, const char *fmt, ...)
{
	char    shown[TOKEN_SHOWN_MAX + 4];
	va_list ap;
	int     n;

	if (err == NULL || errlen == 0)
		return -1;
	sanitize(shown, sizeof(shown), tok);
	n = snprintf(err, errlen, "%s:%d: %s: ", file, line, shown);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void
conf_warnf(FILE *fp, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (fp == NULL)
		return;
	fprintf(fp, "%s:%d: warning: ", file, line);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fputc('\n', fp);
	fflush(fp);
}
