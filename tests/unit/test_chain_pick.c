/* Unit tests of hop picking by weights and groups
 * (worker/net/chain_pick.c). */
#include <stdio.h>
#include <string.h>

#include "worker/net/chain_pick.h"

static int failures;
#define T(cond) do { if (!(cond)) { failures++; \
	fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

/* a counter as the random source: r = 0, 1, 2, ... covers [0, 1000)
 * evenly over 1000 picks of one group */
static uint32_t
seq(void *arg)
{
	uint32_t *n = arg;

	return (*n)++;
}

static void
mk(struct pc_parent *p, uint32_t w, enum pc_parent_type t)
{
	memset(p, 0, sizeof(*p));
	p->weight = w;
	p->type = t;
}

static void
test_pick(void)
{
	struct pc_parent p[8];
	size_t           out[CHAIN_MAX_HOPS], n, cnt[8];
	uint32_t         r;

	/* 300 + 700: one hop, A 30 %, B 70 % */
	mk(&p[0], 300, PC_PARENT_SOCKS5);
	mk(&p[1], 700, PC_PARENT_SOCKS5);
	memset(cnt, 0, sizeof(cnt));
	r = 0;
	for (int i = 0; i < 1000; i++) {
		n = chain_pick(p, 2, seq, &r, out, CHAIN_MAX_HOPS);
		T(n == 1);
		if (n == 1)
			cnt[out[0]]++;
	}
	T(cnt[0] == 300 && cnt[1] == 700);

	/* 1000 A, 1000 B, 300 C, 700 D: A -> B -> (C | D) */
	mk(&p[0], 1000, PC_PARENT_SOCKS5);
	mk(&p[1], 1000, PC_PARENT_CONNECT);
	mk(&p[2], 300, PC_PARENT_SOCKS4);
	mk(&p[3], 700, PC_PARENT_SOCKS4);
	memset(cnt, 0, sizeof(cnt));
	r = 0;
	for (int i = 0; i < 1000; i++) {
		/* three draws per pick: keep the third on an even spread */
		n = chain_pick(p, 4, seq, &r, out, CHAIN_MAX_HOPS);
		T(n == 3 && out[0] == 0 && out[1] == 1 &&
		    (out[2] == 2 || out[2] == 3));
		if (n == 3)
			cnt[out[2]]++;
	}
	T(cnt[2] > 250 && cnt[2] < 350 && cnt[2] + cnt[3] == 1000);

	/* a lone 250: used a quarter of the time */
	mk(&p[0], 250, PC_PARENT_SOCKS5);
	r = 0;
	cnt[0] = 0;
	for (int i = 0; i < 1000; i++)
		cnt[0] += chain_pick(p, 1, seq, &r, out, CHAIN_MAX_HOPS);
	T(cnt[0] == 250);

	/* weight 0 is a fallback, never drawn; a trailing one does not keep
	 * the group before it open */
	mk(&p[0], 1000, PC_PARENT_SOCKS5);
	mk(&p[1], 0, PC_PARENT_SOCKS5);
	r = 0;
	n = chain_pick(p, 2, seq, &r, out, CHAIN_MAX_HOPS);
	T(n == 1 && out[0] == 0);
	mk(&p[0], 0, PC_PARENT_SOCKS5);
	T(chain_pick(p, 1, seq, &r, out, CHAIN_MAX_HOPS) == 0);

	/* extip entries are drawn like hops (the caller sets them apart) */
	mk(&p[0], 500, PC_PARENT_EXTIP);
	mk(&p[1], 500, PC_PARENT_EXTIP);
	r = 0;
	memset(cnt, 0, sizeof(cnt));
	for (int i = 0; i < 1000; i++) {
		n = chain_pick(p, 2, seq, &r, out, CHAIN_MAX_HOPS);
		T(n == 1);
		if (n == 1)
			cnt[out[0]]++;
	}
	T(cnt[0] == 500 && cnt[1] == 500);

	/* the output is bounded by max */
	for (int i = 0; i < 8; i++)
		mk(&p[i], 1000, PC_PARENT_SOCKS5);
	T(chain_pick(p, 8, seq, &r, out, 3) == 3);
}

int
main(void)
{
	test_pick();
	printf("test_chain_pick: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
