/*
 * `log @ident`: access-log records to the local syslog daemon, facility
 * daemon, priority info, with the master's PID (docs/portcullis.cfg.5,
 * Access log).
 */
#ifndef PC_MASTER_LOGSYSLOG_H
#define PC_MASTER_LOGSYSLOG_H

#include <stddef.h>

/* Sends each line of buf (newline-separated) as one message tagged
 * ident[PID].  Never blocks: what the daemon cannot take now is dropped,
 * counted and reported. */
void logsyslog_send(const char *ident, const char *buf, size_t len);
/* Closes the socket (reconnected on the next send): after SIGUSR2 and
 * reloads, so a restarted daemon is found again. */
void logsyslog_reset(void);
/* Messages dropped since the start (for the metrics). */
unsigned long logsyslog_dropped_total(void);

#endif
