/*
 * The master's books for the admin service's GET /metrics (Prometheus
 * text format 0.0.4): filled from what workers send anyway (every access
 * log record, the 1 Hz STATS heartbeat) and from the master's own events
 * (reaps, reloads, log writes).  A scrape reads the books; it never asks
 * a worker anything.
 *
 * A service's book is keyed by its type, address and port, so its
 * counters go on across reloads and worker restarts.
 */
#ifndef PC_MASTER_METRICS_H
#define PC_MASTER_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/ipc_msg.h"
#include "master/master.h"

/* The book of service s (created on first use). */
size_t metrics_svc_book(const struct pc_service *s);
/* One access-log record of service book b. */
void   metrics_record(size_t b, const struct pc_logrec *rec);
/* A STATS heartbeat of w: the growth since its last one (w->seen). */
void   metrics_stats(struct worker *w, const struct pc_msg_stats *s);
/* w's process ended unasked and its slot is respawned. */
void   metrics_restart(const struct worker *w, int status);
void   metrics_reload(bool ok);
/* A batch for log target t: records handed over, and lost. */
void   metrics_log(const struct pc_logtarget *t, size_t written,
	    size_t dropped);

/* The whole text, malloc'ed (NUL-terminated, *len bytes). */
char  *metrics_render(size_t *len);

#endif
