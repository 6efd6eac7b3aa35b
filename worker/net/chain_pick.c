/*
 * Hop selection (chain_pick.h).
 */
#include "worker/net/chain_pick.h"

/* The member of group [lo, hi) that r falls on, or hi when r lies beyond
 * the group's total (the group is skipped). */
static size_t
draw(const struct pc_parent *p, size_t lo, size_t hi, uint32_t r)
{
	uint32_t acc = 0;

	for (size_t i = lo; i < hi; i++) {
		if (p[i].weight == 0)
			continue;
		acc += p[i].weight;
		if (r < acc)
			return i;
	}
	return hi;
}

size_t
chain_pick(const struct pc_parent *p, size_t n, uint32_t (*rnd)(void *),
    void *arg, size_t *out, size_t max)
{
	size_t   nout = 0, lo = 0;
	uint32_t sum = 0;

	for (size_t i = 0; i <= n && nout < max; i++) {
		size_t k;

		if (i < n) {
			if (p[i].weight == 0)
				continue;
			sum += p[i].weight;
			if (sum < 1000)
				continue;
		} else if (sum == 0) {
			break;
		}
		/* the group [lo, i] is complete, or the list ended */
		k = draw(p, lo, i < n ? i + 1 : n,
		    rnd(arg) % (sum > 1000 ? sum : 1000));
		if (k < (i < n ? i + 1 : n))
			out[nout++] = k;
		lo = i + 1;
		sum = 0;
	}
	return nout;
}
