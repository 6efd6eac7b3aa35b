/*
 * Bandwidth limits in a worker (policy.h: pc_bandlim, pc_pipe).  When a
 * request is allowed, the rules matching it are picked per direction, in
 * order, until the first matching exception (at most PC_BL_MAX); then
 * before every read the mover reserves a quantum of bytes on all of that
 * direction's pipes and waits until the pipes are free for it.  The pipes
 * live in memory shared by all workers, so one rule is one pipe for every
 * connection of every service it matches.
 */
#ifndef PC_WORKER_BANDLIM_H
#define PC_WORKER_BANDLIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

struct bl_set {
	uint8_t  n;
	uint16_t idx[PC_BL_MAX];
};

/* The pipes of q for each direction (in: server->client). */
void     bandlim_select(const struct pc_acl_req *q, struct bl_set *in,
	    struct bl_set *out);
/* Bytes to reserve at a time on s: about 1/20 s of the slowest pipe,
 * 512..65536; 0 when s is empty (no limit). */
size_t   bandlim_quantum(const struct bl_set *s);
/* Reserves n bytes on every pipe of s; returns the milliseconds to wait
 * before moving them (0: now). */
uint64_t bandlim_reserve(const struct bl_set *s, size_t n);
/* Gives back n reserved bytes that were not moved. */
void     bandlim_refund(const struct bl_set *s, size_t n);

/* The grant client of one mover's direction (the relay's two, the HTTP
 * response): before a read bl_grant_gate, after a read of k bytes
 * bl_grant_used, when the source would block or the mover ends
 * bl_grant_idle.  All three do nothing when s is empty. */
struct bl_grant {
	uint32_t granted;     /* bytes reserved and not yet read */
	uint64_t wait_until;  /* ev_now() before which it may not read */
};
/* True when the mover must not read now (its pipes are busy); *wait_ms
 * is then the time to a wake-up the caller must arm, or 0 when it waits
 * for one already armed.  False: it may read at most *cap bytes (lowered
 * to what is granted). */
bool     bl_grant_gate(const struct bl_set *s, struct bl_grant *g,
	    size_t *cap, uint64_t *wait_ms);
void     bl_grant_used(const struct bl_set *s, struct bl_grant *g, size_t k);
/* What was reserved goes back to the pipes for others. */
void     bl_grant_idle(const struct bl_set *s, struct bl_grant *g);

/* Connection limits (`connlim`): the matching rules, in order, until the
 * first matching `noconnlim`.  A concurrent rule (PERIOD 0) counts the
 * request while held, a rate rule admits about RATE per PERIOD (a
 * generic cell rate check on the shared state).  0 when admitted (held
 * counts go into *held), else 10, with nothing held. */
int      connlim_acquire(const struct pc_acl_req *q, struct bl_set *held);
void     connlim_release(struct bl_set *held);

#endif
