/*
 * heap_trim_live (heap_trim.h).  glibc's malloc gives memory back on its
 * own only from the top of the heap; after a burst the heap is a field of
 * free chunks pinned by a few live ones (one worker kept 17 MB after
 * 10,000 tunnels had closed).  malloc_trim(0) returns every whole free
 * page inside the heap too (madvise MADV_DONTNEED, brk for the top: both
 * on the worker's seccomp allow-list, sandbox_seccomp.c).  It walks the
 * heap, so it runs once a burst is over, not on every close.
 */
#include <malloc.h>

#include "worker/core/ev.h"
#include "worker/core/heap_trim.h"

#define TRIM_PEAK_MIN 64      /* smaller peaks leave little to give back */
#define TRIM_AFTER_MS 1000    /* the fall must last this long */

static unsigned        cur, peak;
static struct ev_timer timer;

static void
trim_now(struct ev_timer *t)
{
	(void)t;
	if (cur > peak / 4)
		return;               /* busy again: the next fall re-arms */
	(void)malloc_trim(0);
	peak = cur;
}

void
heap_trim_live(unsigned n)
{
	cur = n;
	if (n > peak) {
		peak = n;
		return;
	}
	if (peak >= TRIM_PEAK_MIN && n <= peak / 4 && !ev_timer_armed(&timer))
		ev_timer_start(&timer, TRIM_AFTER_MS, trim_now, NULL);
}
