/*
 * Process diagnostics on stderr.  A single write(2) per line so lines from
 * the master and its workers (which share stderr) do not interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

static int  log_debug_on;
static int  log_journal;    /* stderr is systemd's journal stream */
static char log_prefix[64] = "portcullis";

/* systemd names the journal stream it gave us in JOURNAL_STREAM
 * ("DEV:INODE"); only then is our stderr that stream and not, say, a
 * file the process was redirected to by a script run from the unit. */
static int
stderr_is_journal(void)
{
	const char        *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat        st;

	return v != NULL && sscanf(v, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(int debug)
{
	log_debug_on = debug;
	log_journal = stderr_is_journal();
}

void
log_setprefix(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_prefix, sizeof(log_prefix), fmt, ap);
	va_end(ap);
}

/* prio: syslog's; the journal reads it from a "<N>" in front of the line
 * and adds the process name and PID itself. */
static void
log_emit(int prio, const char *level, int errnum, const char *fmt,
    va_list ap)
{
	char    line[1024];
	int     n, m;

	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>%s: %s", prio,
		    log_prefix, level);
	else
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

#define LOG_BODY(prio, level, errnum) do {      \
	va_list ap;                             \
	int saved = errno;                      \
	va_start(ap, fmt);                      \
	log_emit(prio, level, errnum, fmt, ap); \
	va_end(ap);                             \
	errno = saved;                          \
} while (0)

void log_warn(const char *fmt, ...)  { int e = errno; LOG_BODY(4, "", e); }
void log_warnx(const char *fmt, ...) { LOG_BODY(4, "", 0); }
void log_info(const char *fmt, ...)  { LOG_BODY(6, "", 0); }

void
log_debug(const char *fmt, ...)
{
	if (!log_debug_on)
		return;
	LOG_BODY(7, "debug: ", 0);
}

void
fatal(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(3, "fatal: ", e);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(3, "fatal: ", 0);
	exit(1);
}
