/*
 * systemd's readiness protocol (sd_notify(3)) for Type=notify: one
 * datagram per state change to the AF_UNIX socket named by NOTIFY_SOCKET.
 * Written here instead of linking libsystemd (notify.c says why).
 * Without NOTIFY_SOCKET every call does nothing.
 */
#ifndef PC_MASTER_NOTIFY_H
#define PC_MASTER_NOTIFY_H

/* Reads NOTIFY_SOCKET, removes it from the environment (workers and
 * archivers never see it) and opens the sending socket.  Once, at start. */
void notify_init(void);
/* READY=1, with STATUS=status if not NULL: the first generation serves,
 * or a reload has finished (or failed: the old configuration serves). */
void notify_ready(const char *status);
/* RELOADING=1 and MONOTONIC_USEC= (CLOCK_MONOTONIC now): a reload
 * starts; READY=1 follows when it is over. */
void notify_reloading(void);
/* STOPPING=1: SIGTERM or SIGINT arrived, workers are told to stop. */
void notify_stopping(void);

#endif
