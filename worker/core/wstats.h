/*
 * Counts a worker keeps for the master's books (master/metrics.c): plain
 * increments where the thing happens, sent in the 1 Hz STATS heartbeat
 * (ipc_client.c), never a message of their own.
 */
#ifndef PC_WORKER_WSTATS_H
#define PC_WORKER_WSTATS_H

#include <stdint.h>

struct pc_wstats {
	uint64_t bw_waits;      /* a bandwidth limit held a transfer */
	uint64_t bw_wait_ms;
	uint64_t dns_lookups;   /* names to resolve (not address literals) */
	uint64_t dns_hits;      /* answered from the nscache */
	uint64_t dns_failures;  /* did not resolve */
};

extern struct pc_wstats wstats;

#endif
