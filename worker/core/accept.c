/*
 * Accept loop of a worker (accept.h).  maxconn is the service's, as in
 * 3proxy whatever `workers` is: a connection is accepted only after it
 * reserved a place in the count the service's workers share (a CAS, so
 * the sum never passes maxconn); at the limit the worker stops polling
 * the listener, and looks again when one of its own connections closes
 * or, for the places its siblings give back, every RETRY_MS.  Waiting
 * clients stay in the kernel's backlog, as with 3proxy.
 *
 * Two more reasons to let the siblings take a client (issue 14 item 8):
 * - a descriptor reserve: a worker stops accepting while fewer than
 *   FD_RESERVE descriptors would be left (each client needs an upstream
 *   socket, splice pipes, maybe a DNS socket: accepting it anyway ends
 *   in 502/code 11 while a sibling has hundreds free);
 * - balance: EPOLLEXCLUSIVE wakes whichever worker sleeps, and the one
 *   that accepts bursts gets most (35:1 seen with 2,000 idle tunnels over
 *   4 workers).  A worker holding more than the pool's mean plus
 *   BALANCE_SLACK stops polling for RETRY_MS after each client, so the
 *   others are woken instead.  It still takes one client per RETRY_MS, so
 *   a pool whose lighter workers cannot accept is never stuck.
 * One listening socket stays (no SO_REUSEPORT per worker): a reload keeps
 * the socket and its backlog, and a draining worker's queue would be lost
 * with a socket of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "worker/core/accept.h"
#include "worker/core/conn_life.h"

#define ACCEPT_BURST  64
#define RETRY_MS      20
#define FD_RESERVE    32   /* descriptors kept for the clients we have */
#define BALANCE_SLACK 16   /* connections above the pool's mean */

static struct ev_io lio;
static int          lfd = -1;
static struct pc_addr laddr;     /* the listener's; any = ask per socket */
static bool         laddr_fixed;
static uint32_t     limit;      /* the service's maxconn */
static uint32_t    *shared;     /* its live count, all workers; NULL:
                                   this worker alone (no master map) */
static bool         paused;
static struct ev_timer retry;
static unsigned     fd_limit;   /* RLIMIT_NOFILE, 0 = unknown */
static unsigned     fd_base;    /* in use before the first client */
static int          last_fd;    /* the last accepted one: all below it
                                   are open (lowest-free allocation) */

static void on_listen(struct ev_io *io, uint32_t revents);

static void
set_paused(bool p)
{
	if (lfd < 0 || paused == p)
		return;
	/* EPOLLEXCLUSIVE cannot be modified, only removed and added */
	if (p)
		ev_io_del(&lio);
	else if (ev_io_add(&lio, lfd, EPOLLIN | EPOLLEXCLUSIVE, on_listen,
	    NULL) != 0)
		return;
	paused = p;
}

/* One place of maxconn, or false at the limit. */
static bool
reserve(void)
{
	uint32_t cur;

	if (shared == NULL)
		return conn_active_count() < limit;
	cur = __atomic_load_n(shared, __ATOMIC_ACQUIRE);
	while (cur < limit)
		if (__atomic_compare_exchange_n(shared, &cur, cur + 1, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

static void
unreserve(void)
{
	if (shared != NULL)
		(void)__atomic_fetch_sub(shared, 1, __ATOMIC_RELEASE);
}

/* Fewer than FD_RESERVE descriptors would be left after one more
 * client: two per connection (client, server) over what was open at the
 * start, or more when the last accepted descriptor says so. */
static bool
fds_short(void)
{
	unsigned used = fd_base + 2 * conn_active_count();

	if (fd_limit == 0)
		return false;
	if (last_fd >= 0 && (unsigned)last_fd + 1 > used)
		used = (unsigned)last_fd + 1;
	return used + 2 + FD_RESERVE > fd_limit;
}

/* Holding more than the pool's mean plus the slack (and a tenth). */
static bool
busier(void)
{
	uint32_t n = wctx.svc->workers, mean, mine;

	if (shared == NULL || n <= 1)
		return false;
	mean = __atomic_load_n(shared, __ATOMIC_ACQUIRE) / n;
	mine = conn_active_count();
	return mine > mean + BALANCE_SLACK + mean / 10;
}

static void
on_retry(struct ev_timer *t)
{
	(void)t;
	if (lfd < 0 || !paused)
		return;
	if (fds_short())     /* a close resumes it (on_close) */
		return;
	set_paused(false);   /* on_listen looks at the counts again */
}

static void
full(void)
{
	set_paused(true);
	if (shared != NULL)
		ev_timer_start(&retry, RETRY_MS, on_retry, NULL);
}

/* Let the siblings take the next clients for a while. */
static void
yield(void)
{
	set_paused(true);
	ev_timer_start(&retry, RETRY_MS, on_retry, NULL);
}

static void
accept_one(int fd, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage me;
	socklen_t               mlen = sizeof(me);
	struct pc_addr          client, local;

	if (laddr_fixed) {
		local = laddr;
	} else if (getsockname(fd, (struct sockaddr *)&me, &mlen) == -1) {
		close(fd);
		unreserve();
		return;
	} else {
		pc_addr_from_sockaddr(&local, (struct sockaddr *)&me);
	}
	pc_addr_from_sockaddr(&client, (const struct sockaddr *)peer);
	/* TCP_NODELAY comes from the listener (master/listen.c) */
	conn_new_slot(fd, &client, &local, shared != NULL);
}

static void
on_listen(struct ev_io *io, uint32_t revents)
{
	(void)revents;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage peer;
		socklen_t               plen = sizeof(peer);
		int                     fd;

		if (fds_short()) {
			set_paused(true);     /* resumes when one closes */
			return;
		}
		if (i > 0 && busier()) {  /* one client per wake at least */
			yield();
			return;
		}
		if (!reserve()) {
			full();
			return;
		}
		fd = accept4(io->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			unreserve();
			if (errno == EMFILE || errno == ENFILE) {
				log_warn("accept");
				set_paused(true);   /* resumes when one closes */
			}
			return;     /* EAGAIN: another worker took it */
		}
		last_fd = fd;
		accept_one(fd, &peer);
		if (lfd < 0)        /* a protocol drained us meanwhile */
			return;
	}
}

static void
on_close(void)
{
	/* the descriptors freed may be any: the next accept tells again */
	last_fd = -1;
	if (paused && lfd >= 0 && !fds_short() &&
	    !(ev_timer_armed(&retry) && busier()))
		set_paused(false);
}

/* The limit, and what is open now: the lowest free descriptor (all below
 * it are open) plus a few for what may sit above it (the IPC socket and
 * listener the master passed, c-ares' sockets later). */
static void
fd_init(void)
{
	struct rlimit rl;
	int           probe;

	fd_limit = 0;
	last_fd = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (1u << 30))
		return;
	fd_limit = (unsigned)rl.rlim_cur;
	probe = fcntl(0, F_DUPFD_CLOEXEC, 0);
	fd_base = (probe >= 0 ? (unsigned)probe : 0) + 8;
	if (probe >= 0)
		close(probe);
}

int
accept_init(int listen_fd)
{
	struct sockaddr_storage ss;
	socklen_t               slen = sizeof(ss);

	limit = wctx.svc->maxconn ? wctx.svc->maxconn : 500;
	shared = wctx.cfg->svc_active != NULL ?
	    &wctx.cfg->svc_active[wctx.svc_idx] : NULL;
	lfd = listen_fd;
	/* a listener on one address: every connection's local end is it */
	laddr_fixed = false;
	if (getsockname(lfd, (struct sockaddr *)&ss, &slen) == 0) {
		pc_addr_from_sockaddr(&laddr, (struct sockaddr *)&ss);
		laddr_fixed = !pc_addr_is_any(&laddr);
	}
	fd_init();
	conn_set_close_hook(on_close);
	if (ev_io_add(&lio, lfd, EPOLLIN | EPOLLEXCLUSIVE, on_listen, NULL)
	    != 0) {
		log_warn("epoll_ctl listener");
		return -1;
	}
	return 0;
}

void
accept_stop(void)
{
	if (lfd < 0)
		return;
	if (!paused)
		ev_io_del(&lio);
	ev_timer_stop(&retry);
	paused = false;
	close(lfd);
	lfd = -1;
}
