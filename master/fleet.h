/*
 * Fleet counters (`counter &DSN`, docs/fleet.md): the master's side.  The
 * workers keep adding to the shared table as for the file form; the
 * master charges what its node added since the last batch to the
 * database through the fleet helper process (fleet_helper.c), every
 * second or sooner when a batch's bytes are waiting, and moves each slot
 * to the fleet's total from the reply plus what the node added since, so
 * the workers' own limit checks see the fleet's bytes.  While the
 * database does not answer the node goes on with the last total it
 * learnt plus its own bytes.
 */
#ifndef PC_MASTER_FLEET_H
#define PC_MASTER_FLEET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

/* The configuration in use from now (start and each reload); the first
 * one with a state file reloads the batches a previous run left. */
void    fleet_attach(const struct pc_config *cfg);
/* true when cfg's numbered counters are the fleet's (no local resets). */
bool    fleet_on(const struct pc_config *cfg);
/* Periods, batches, replies, the state file; the next deadline or 0. */
int64_t fleet_tick(int64_t now);
/* For the reaper: true when pid was the fleet helper. */
bool    fleet_reaped(pid_t pid, int status);
/* For the metrics (master/metrics.c). */
struct fleet_figures {
	bool     on, users_on;
	uint64_t applied, again;       /* batches answered: new, repeated */
	uint64_t restarts;             /* helper starts after the first */
	size_t   queued;               /* batches not answered yet */
	uint64_t unconfirmed;          /* bytes counted that the database
	                                  has not confirmed (queued, unsent) */
	int64_t  answer_age_ms;        /* since the last answer, -1: none */
	size_t   users;                /* users read from the database */
};
void    fleet_figures(struct fleet_figures *f);
/* At stop, after the workers: the last batch, waiting for its reply at
 * most FLEET_STOP_MS, then the state file. */
void    fleet_stop(void);

#endif
