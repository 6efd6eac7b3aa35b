/*
 * Choosing the hops of a parent chain (docs/portcullis.cfg.5, Parent proxies):
 * the rule's parents with a weight are grouped in order by accumulating their
 * weights until a group reaches 1000; each group gives one hop, its member
 * drawn in proportion to the weights; a group short of 1000 is skipped with
 * the missing probability (weight W alone: used W/1000 of the time). Weight-0
 * parents are not in groups: they are the fallbacks.  Pure, with the random
 * source passed in, so tests can drive it.
 */
#ifndef PC_WORKER_CHAIN_PICK_H
#define PC_WORKER_CHAIN_PICK_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

#define CHAIN_MAX_HOPS 16

/* rnd(arg) returns a uniform 32-bit value.  out receives indices
 * into p (at most max), in chain order; returns their count. */
size_t chain_pick(const struct pc_parent *p, size_t n,
	    uint32_t (*rnd)(void *), void *arg, size_t *out, size_t max);

#endif
