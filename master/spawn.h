/* Forking workers into their slots, killing them, and respawn timers. */
#ifndef PC_MASTER_SPAWN_H
#define PC_MASTER_SPAWN_H

#include <stdint.h>

#include "master/master.h"

void    spawn_gen(struct gen *g);         /* every slot of g */
int     spawn_worker(struct worker *w);   /* 0 ok, -1 retried later */
/* SIGKILL for cause: logged, the slot respawns with back-off. */
void    worker_kill(struct worker *w, const char *why);
void    worker_close_ipc(struct worker *w);
void    spawn_schedule(struct worker *w, int64_t delay_ms);
/* Starts the slots whose back-off has passed; returns the next deadline
 * (monotonic ms) or 0 if none is pending. */
int64_t spawn_due(int64_t now);

#endif
