/*
 * `log &DSN,USER,PASS`: access-log records as SQL statements, executed by
 * an ODBC helper process of the master (master/odbc_helper.c) so that a
 * slow, hung or crashing driver never stalls or kills the master.
 */
#ifndef PC_MASTER_LOGODBC_H
#define PC_MASTER_LOGODBC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/ipc_msg.h"
#include "policy/policy.h"

/* Longest message to the helper: three connection words (<= 1024 each,
 * NUL-terminated) and one statement (LOGFMT_LINE_MAX). */
#define LOGODBC_MSG_MAX (3 * 1025 + 8192)

/* A loaded config has an ODBC target: start the helper at the loop's next
 * tick (and keep it running, restarted when it dies). */
void    logodbc_want(void);
/* Queues each line of buf (newline-separated statements) for target t.
 * Never blocks: past the master's bound, records are dropped and counted. */
void    logodbc_send(const struct pc_logtarget *t, const char *buf,
	    size_t len);
/* rec with ' doubled in the client-influenced strings (%U %n %T), unless
 * the logformat's "-CHARS+R" prefix already replaces the quote; a static
 * copy, or rec itself. */
const struct pc_logrec *logodbc_sqlsafe(const struct pc_logrec *rec,
	    const char *logformat);
/* For the metrics: statements held now, times the helper was busy and
 * the queue was kept for later, helper starts after the first, and
 * statements dropped since the start. */
struct logodbc_figures {
	size_t   queued;
	uint64_t retries, restarts, dropped;
};
void    logodbc_figures(struct logodbc_figures *f);
/* For the reaper: true when pid was the helper (restarted by the tick). */
bool    logodbc_reaped(pid_t pid, int status);
/* Restarts a dead helper, retries the queue; the next deadline or 0. */
int64_t logodbc_tick(int64_t now);

/* Forks a helper process of the master running entry(3) on its end of a
 * new SOCK_SEQPACKET pair (its only descriptor besides stdio), secrets
 * scrubbed; *fd is the master's end, non-blocking.  Its pid, or -1. */
pid_t   odbc_fork(void (*entry)(int), int *fd, const char *what);
/* A helper ended: logs how (lost: what a signal cost), counts a quick
 * death; the delay before the next start (1 s doubling to 30 s). */
int64_t odbc_helper_ended(const char *what, const char *lost, pid_t pid,
	    int status, int64_t started_ms, unsigned *deaths);

/* The helper process: reads messages from fd until EOF (odbc_helper.c). */
void    odbc_helper_main(int fd) __attribute__((noreturn));

#endif
