/*
 * Process diagnostics on stderr.  A single write(2) per line so lines from
 * the master and its workers (which share stderr) do not interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static int  log_debug_on;
static char log_prefix[64] = "portcullis";

void
log_init(int debug)
{
	log_debug_on = debug;
}

void
log_setprefix(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_prefix, sizeof(log_prefix), fmt, ap);
	va_end(ap);
}

static void
log_emit(const char *level, int errnum, const char *fmt, va_list ap)
{
	char    line[1024];
	int     n, m;

	n = snprintf(line, sizeof(line), "portcullis[%ld]: %s: %s",
	    (long)getpid(), log_prefix, level);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m > 0)
		n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	if (errnum != 0) {
		m = snprintf(line + n, sizeof(line) - n, ": %s",
		    strerror(errnum));
		if (m > 0)
			n += m;
		if ((size_t)n >= sizeof(line) - 1)
			n = sizeof(line) - 2;
	}
	line[n++] = '\n';
	/* best effort: nowhere to report a failed diagnostic */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

#define LOG_BODY(level, errnum) do {            \
	va_list ap;                             \
	int saved = errno;                      \
	va_start(ap, fmt);                      \
	log_emit(level, errnum, fmt, ap);       \
	va_end(ap);                             \
	errno = saved;                          \
} while (0)

void log_warn(const char *fmt, ...)  { int e = errno; LOG_BODY("", e); }
void log_warnx(const char *fmt, ...) { LOG_BODY("", 0); }
void log_info(const char *fmt, ...)  { LOG_BODY("", 0); }

void
log_debug(const char *fmt, ...)
{
	if (!log_debug_on)
		return;
	LOG_BODY("debug: ", 0);
}

void
fatal(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY("fatal: ", e);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY("fatal: ", 0);
	exit(1);
}
