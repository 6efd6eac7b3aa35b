/*
 * Diagnostics of the process itself (not the access log): one error
 * vocabulary for master and workers.  fatal/fatalx end the process and are
 * for setup failures and impossible states only; log_warn/log_warnx report a
 * recoverable error and the caller returns -1.  The master never calls fatal
 * because of what a worker or a client sent.
 *
 * Lines go to stderr as "portcullis[PID]: PREFIX: message" where PREFIX names
 * the role ("master", "socks 1/2 gen 3").  log_warn appends strerror(errno).
 * When stderr is systemd's journal stream (JOURNAL_STREAM), a line is
 * "<PRIORITY>PREFIX: message" instead: the journal adds name and PID and
 * keeps the priority (3 fatal, 4 warnings, 6 info, 7 debug).
 */
#ifndef PC_COMMON_LOG_H
#define PC_COMMON_LOG_H

#include <stdarg.h>

#define PC_EX_CONFIG 78 /* exit status: do not respawn (sysexits EX_CONFIG) */

void log_init(int debug);                 /* debug: log_debug prints too */
void log_setprefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
