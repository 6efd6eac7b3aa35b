/*
 * Traffic counters (counters.h).
 */
#include <time.h>

#include "worker/core/conn.h"
#include "worker/core/counters.h"

static bool
used_up(const struct pc_counter *c)
{
	return __atomic_load_n(&wctx.cfg->ctslots[c->slot].bytes,
	    __ATOMIC_RELAXED) >= c->limit;
}

int
counters_admit(const struct pc_acl_req *q, struct ct_set *in,
    struct ct_set *out)
{
	const struct pc_config *cfg = wctx.cfg;
	bool                    stop_in = false, stop_out = false;

	in->n = out->n = 0;
	if (cfg->ctslots == NULL)
		return 0;
	for (size_t i = 0; i < cfg->ncounters; i++) {
		const struct pc_counter *c = &cfg->counters[i];
		bool                     d_in = c->dir != PC_CT_OUT;
		bool                     d_out = c->dir != PC_CT_IN;

		if ((!d_in || stop_in) && (!d_out || stop_out))
			continue;
		if (cfg->ctoff != NULL &&
		    __atomic_load_n(&cfg->ctoff[i], __ATOMIC_RELAXED))
			continue;      /* switched off: as if not written */
		if (!pc_acl_rule_matches(&c->rule, q))
			continue;
		if (c->exempt) {
			stop_in |= d_in;
			stop_out |= d_out;
			continue;
		}
		if (used_up(c))
			return PC_E_LIMIT;
		if (d_in && !stop_in && in->n < PC_BL_MAX)
			in->idx[in->n++] = (uint16_t)i;
		if (d_out && !stop_out && out->n < PC_BL_MAX)
			out->idx[out->n++] = (uint16_t)i;
	}
	return 0;
}

uint64_t
counters_room(const struct ct_set *s)
{
	uint64_t room = UINT64_MAX;

	for (uint8_t i = 0; i < s->n; i++) {
		const struct pc_counter *c = &wctx.cfg->counters[s->idx[i]];
		uint64_t v = __atomic_load_n(
		    &wctx.cfg->ctslots[c->slot].bytes, __ATOMIC_RELAXED);
		uint64_t left = v >= c->limit ? 0 : c->limit - v;

		if (left < room)
			room = left;
	}
	return room;
}

bool
counters_add(const struct ct_set *s, size_t k)
{
	bool crossed = false;

	for (uint8_t i = 0; i < s->n; i++) {
		const struct pc_counter *c = &wctx.cfg->counters[s->idx[i]];
		uint64_t v = __atomic_add_fetch(
		    &wctx.cfg->ctslots[c->slot].bytes, (uint64_t)k,
		    __ATOMIC_RELAXED);

		if (v >= c->limit)
			crossed = true;
	}
	return crossed;
}
