/*
 * Bandwidth pipes (bandlim.h): a pipe is the monotonic time at which it
 * is free again; reserving n bytes moves that time on by n * 8e9 / rate
 * with a compare-and-swap, so workers share a pipe without locks.
 */
#include <time.h>

#include "worker/core/bandlim.h"
#include "worker/core/conn.h"
#include "worker/core/ev.h"
#include "worker/core/wstats.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
cost_ns(uint32_t rate, size_t n)
{
	return (uint64_t)((double)n * 8e9 / (double)rate);
}

void
bandlim_select(const struct pc_acl_req *q, struct bl_set *in,
    struct bl_set *out)
{
	const struct pc_config *cfg = wctx.cfg;
	bool                    done_in = false, done_out = false;

	in->n = out->n = 0;
	if (cfg->pipes == NULL)
		return;
	for (size_t i = 0; i < cfg->nbandlims; i++) {
		const struct pc_bandlim *b = &cfg->bandlims[i];
		struct bl_set           *s = b->dir == PC_BL_IN ? in : out;
		bool                    *done = b->dir == PC_BL_IN ? &done_in :
		    &done_out;

		if (*done || !pc_acl_rule_matches(&b->rule, q))
			continue;
		if (b->exempt)
			*done = true;
		else if (s->n < PC_BL_MAX)
			s->idx[s->n++] = (uint16_t)i;
	}
}

static bool
rate_admit(struct pc_connstate *st, const struct pc_connlim *l)
{
	uint64_t now = now_ns(), t = (uint64_t)l->period * 1000000000u /
	    l->rate, tau = (uint64_t)l->period * 1000000000u, old, start;

	old = __atomic_load_n(&st->tat_ns, __ATOMIC_RELAXED);
	do {
		start = old > now ? old : now;
		if (start - now + t > tau)
			return false;         /* RATE already in this PERIOD */
	} while (!__atomic_compare_exchange_n(&st->tat_ns, &old, start + t,
	    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

int
connlim_acquire(const struct pc_acl_req *q, struct bl_set *held)
{
	const struct pc_config *cfg = wctx.cfg;

	held->n = 0;
	if (cfg->connstates == NULL)
		return 0;
	for (size_t i = 0; i < cfg->nconnlims; i++) {
		const struct pc_connlim *l = &cfg->connlims[i];
		struct pc_connstate     *st = &cfg->connstates[i];

		if (!pc_acl_rule_matches(&l->rule, q))
			continue;
		if (l->exempt)
			break;
		if (l->period != 0) {
			if (!rate_admit(st, l)) {
				connlim_release(held);
				return PC_E_LIMIT;
			}
			continue;
		}
		if (__atomic_add_fetch(&st->active, 1, __ATOMIC_RELAXED) >
		    (int64_t)l->rate || held->n == PC_BL_MAX) {
			__atomic_sub_fetch(&st->active, 1, __ATOMIC_RELAXED);
			connlim_release(held);
			return PC_E_LIMIT;
		}
		held->idx[held->n++] = (uint16_t)i;
	}
	return 0;
}

void
connlim_release(struct bl_set *held)
{
	for (uint8_t i = 0; i < held->n; i++)
		__atomic_sub_fetch(&wctx.cfg->connstates[held->idx[i]].active, 1,
		    __ATOMIC_RELAXED);
	held->n = 0;
}

size_t
bandlim_quantum(const struct bl_set *s)
{
	uint32_t slow = UINT32_MAX;
	size_t   q;

	if (s->n == 0)
		return 0;
	for (uint8_t i = 0; i < s->n; i++)
		if (wctx.cfg->bandlims[s->idx[i]].rate < slow)
			slow = wctx.cfg->bandlims[s->idx[i]].rate;
	q = slow / 8 / 20;
	return q < 512 ? 512 : q > 65536 ? 65536 : q;
}

uint64_t
bandlim_reserve(const struct bl_set *s, size_t n)
{
	uint64_t now = now_ns(), wait = 0;

	for (uint8_t i = 0; i < s->n; i++) {
		struct pc_pipe *p = &wctx.cfg->pipes[s->idx[i]];
		uint64_t        c = cost_ns(wctx.cfg->bandlims[s->idx[i]].rate,
		    n), old, start;

		old = __atomic_load_n(&p->next_ns, __ATOMIC_RELAXED);
		do
			start = old > now ? old : now;
		while (!__atomic_compare_exchange_n(&p->next_ns, &old,
		    start + c, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
		if (start - now > wait)
			wait = start - now;
	}
	wait = (wait + 999999) / 1000000;
	if (wait > 0) {
		wstats.bw_waits++;
		wstats.bw_wait_ms += wait;
	}
	return wait;
}

void
bandlim_refund(const struct bl_set *s, size_t n)
{
	for (uint8_t i = 0; n > 0 && i < s->n; i++) {
		struct pc_pipe *p = &wctx.cfg->pipes[s->idx[i]];
		uint64_t        c = cost_ns(wctx.cfg->bandlims[s->idx[i]].rate,
		    n), old;

		old = __atomic_load_n(&p->next_ns, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&p->next_ns, &old,
		    old > c ? old - c : 0, false, __ATOMIC_RELAXED,
		    __ATOMIC_RELAXED))
			;
	}
}

bool
bl_grant_gate(const struct bl_set *s, struct bl_grant *g, size_t *cap,
    uint64_t *wait_ms)
{
	uint64_t w, now;

	*wait_ms = 0;
	if (s->n == 0)
		return false;
	now = ev_now();
	if (g->wait_until > now)
		return true;
	if (g->granted == 0) {
		g->granted = (uint32_t)bandlim_quantum(s);
		if ((w = bandlim_reserve(s, g->granted)) > 0) {
			g->wait_until = now + w;
			*wait_ms = w;
			return true;
		}
	}
	if (*cap > g->granted)
		*cap = g->granted;
	return false;
}

void
bl_grant_used(const struct bl_set *s, struct bl_grant *g, size_t k)
{
	if (s->n > 0)
		g->granted -= k < g->granted ? (uint32_t)k : g->granted;
}

void
bl_grant_idle(const struct bl_set *s, struct bl_grant *g)
{
	if (s->n > 0 && g->granted > 0) {
		bandlim_refund(s, g->granted);
		g->granted = 0;
	}
}
