/*
 * The worker's event loop (ev.h): level-triggered epoll for descriptors, a
 * binary min-heap of timers for deadlines.  One loop per process, so the
 * state is file-static.
 *
 * Removal safety: epoll_wait hands back pointers to struct ev_io.  An io
 * removed during a turn is marked inactive and its pending events of that
 * turn are skipped; the memory holding it is only freed through
 * ev_defer_free, which runs after every event of the turn was looked at.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "worker/core/ev.h"

#define EV_BATCH   256
#define TURN_HOOKS 8

struct deferred {
	void (*fn)(void *);
	void  *p;
};

static int               epfd = -1;
static uint64_t          now_cache;
static struct ev_timer **heap;
static size_t            nheap, heapcap;
static void            (*turn_hooks[TURN_HOOKS])(void);
static size_t            nturn_hooks;
static struct deferred  *defer;
static size_t            ndefer, defercap;
static long              turn_delay_ms;   /* PORTCULLIS_TEST_TURN_DELAY */

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
ev_now(void)
{
	return now_cache;
}

uint64_t
ev_wallclock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* PORTCULLIS_TEST_TURN_DELAY, for the test of records before the end of
 * a response (docs/portcullis.8): every busy turn sleeps that many ms
 * before its end hooks, so what waits for them waits visibly. */
static void
turn_delay_init(void)
{
	const char *d = getenv("PORTCULLIS_TEST_TURN_DELAY");

	if (d == NULL || (turn_delay_ms = strtol(d, NULL, 10)) <= 0) {
		turn_delay_ms = 0;
		return;
	}
	if (turn_delay_ms > 1000)
		turn_delay_ms = 1000;
	log_warnx("PORTCULLIS_TEST_TURN_DELAY=%ld: every busy turn sleeps "
	    "that many ms", turn_delay_ms);
}

int
ev_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd == -1) {
		log_warn("epoll_create1");
		return -1;
	}
	now_cache = mono_ms();
	turn_delay_init();
	return 0;
}

int
ev_io_add(struct ev_io *io, int fd, uint32_t events, ev_io_cb *cb, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	io->fd = fd;
	io->events = events & ~(uint32_t)EPOLLEXCLUSIVE;
	io->cb = cb;
	io->arg = arg;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		io->active = false;
		return -1;
	}
	io->active = true;
	return 0;
}

int
ev_io_mod(struct ev_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (!io->active)
		return -1;
	if (io->events == events)
		return 0;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, io->fd, &ev) == -1)
		return -1;
	io->events = events;
	return 0;
}

void
ev_io_del(struct ev_io *io)
{
	if (!io->active)
		return;
	/* the fd may already be closed; EBADF/ENOENT are then harmless */
	(void)epoll_ctl(epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->active = false;
}

void
ev_io_forget(struct ev_io *io)
{
	io->active = false;
}

void
ev_io_set_cb(struct ev_io *io, ev_io_cb *cb, void *arg)
{
	io->cb = cb;
	io->arg = arg;
}

int
ev_io_take(struct ev_io *io, int fd, uint32_t events, ev_io_cb *cb,
    void *arg)
{
	if (io->active && io->fd == fd) {
		ev_io_set_cb(io, cb, arg);
		return ev_io_mod(io, events);
	}
	ev_io_del(io);
	return ev_io_add(io, fd, events, cb, arg);
}

/* ---- timers: heap[i]->slot == i + 1 ---- */

static void
heap_set(size_t i, struct ev_timer *t)
{
	heap[i] = t;
	t->slot = i + 1;
}

static void
sift_up(size_t i)
{
	struct ev_timer *t = heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (heap[p]->when <= t->when)
			break;
		heap_set(i, heap[p]);
		i = p;
	}
	heap_set(i, t);
}

static void
sift_down(size_t i)
{
	struct ev_timer *t = heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		const struct ev_timer *best = t;

		if (l < nheap && heap[l]->when < best->when) {
			m = l;
			best = heap[l];
		}
		if (l + 1 < nheap && heap[l + 1]->when < best->when)
			m = l + 1;
		if (m == i)
			break;
		heap_set(i, heap[m]);
		i = m;
	}
	heap_set(i, t);
}

void
ev_timer_stop(struct ev_timer *t)
{
	size_t i;

	if (t->slot == 0)
		return;
	i = t->slot - 1;
	t->slot = 0;
	if (--nheap == i)
		return;
	heap[i] = heap[nheap];
	heap[i]->slot = i + 1;
	if (i > 0 && heap[(i - 1) / 2]->when > heap[i]->when)
		sift_up(i);
	else
		sift_down(i);
}

void
ev_timer_start(struct ev_timer *t, uint64_t after_ms, ev_timer_cb *cb,
    void *arg)
{
	ev_timer_stop(t);
	t->when = now_cache + after_ms;
	t->cb = cb;
	t->arg = arg;
	if (nheap == heapcap) {
		heapcap = heapcap ? heapcap * 2 : 64;
		heap = xreallocarray(heap, heapcap, sizeof(*heap));
	}
	heap_set(nheap, t);
	sift_up(nheap++);
}

bool
ev_timer_armed(const struct ev_timer *t)
{
	return t->slot != 0;
}

static void
run_timers(void)
{
	while (nheap > 0 && heap[0]->when <= now_cache) {
		struct ev_timer *t = heap[0];

		ev_timer_stop(t);
		t->cb(t);
	}
}

static int
next_timeout(void)
{
	uint64_t d;

	if (nheap == 0)
		return -1;
	if (heap[0]->when <= now_cache)
		return 0;
	d = heap[0]->when - now_cache;
	return d > 60000 ? 60000 : (int)d;
}

/* ---- end of turn ---- */

void
ev_at_turn_end(void (*fn)(void))
{
	for (size_t i = 0; i < nturn_hooks; i++)
		if (turn_hooks[i] == fn)
			return;
	if (nturn_hooks == TURN_HOOKS)
		fatalx("ev_at_turn_end: too many hooks");
	turn_hooks[nturn_hooks++] = fn;
}

void
ev_defer_free(void (*fn)(void *), void *p)
{
	if (ndefer == defercap) {
		defercap = defercap ? defercap * 2 : 64;
		defer = xreallocarray(defer, defercap, sizeof(*defer));
	}
	defer[ndefer].fn = fn;
	defer[ndefer++].p = p;
}

static void
end_turn(void)
{
	for (size_t i = 0; i < nturn_hooks; i++)
		turn_hooks[i]();
	/* a free may defer another; walk by index as the array may grow */
	for (size_t i = 0; i < ndefer; i++)
		defer[i].fn(defer[i].p);
	ndefer = 0;
}

int
ev_run(volatile int *stop)
{
	struct epoll_event evs[EV_BATCH];

	while (!*stop) {
		int n = epoll_wait(epfd, evs, EV_BATCH, next_timeout());

		if (n == -1 && errno != EINTR) {
			log_warn("epoll_wait");
			return -1;
		}
		now_cache = mono_ms();
		for (int i = 0; i < n; i++) {
			struct ev_io *io = evs[i].data.ptr;

			if (io->active)
				io->cb(io, evs[i].events);
		}
		run_timers();
		if (turn_delay_ms > 0 && n > 0) {
			struct timespec ts = { turn_delay_ms / 1000,
			    (turn_delay_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
		end_turn();
	}
	return 0;
}
