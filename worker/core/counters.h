/*
 * Traffic counters in a worker (policy.h pc_counter, master/counters.h):
 * when a request is allowed, the matching count rules are picked per
 * direction (countin and countall for bytes from the server, countout and
 * countall for bytes to it) until the first matching exception; an
 * exhausted counter refuses the request (code 10).  Bytes are added to
 * the shared counts as they move, and the connection is cut (code 10)
 * when a counter crosses its limit, not only when it ends (as 3proxy).
 */
#ifndef PC_WORKER_COUNTERS_H
#define PC_WORKER_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

struct ct_set {
	uint8_t  n;
	uint16_t idx[PC_BL_MAX];      /* into cfg->counters */
};

/* 0, or 10 when a matching counter is used up. */
int  counters_admit(const struct pc_acl_req *q, struct ct_set *in,
	    struct ct_set *out);
/* Adds k bytes; true when a limit is reached by them. */
bool counters_add(const struct ct_set *s, size_t k);
/* Bytes the set may still move before a limit is reached (the smallest
 * room of its counters); UINT64_MAX when it has none. */
uint64_t counters_room(const struct ct_set *s);

#endif
