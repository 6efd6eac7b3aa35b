/*
 * Accept loop of a worker (accept.h).  maxconn is the service's, as in
 * 3proxy whatever `workers` is: a connection is accepted only after it
 * reserved a place in the count the service's workers share (a CAS, so
 * the sum never passes maxconn); at the limit the worker stops polling
 * the listener, and looks again when one of its own connections closes
 * or, for the places its siblings give back, every RETRY_MS.  Waiting
 * clients stay in the kernel's backlog, as with 3proxy.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "worker/core/accept.h"
#include "worker/core/conn_life.h"

#define ACCEPT_BURST 64
#define RETRY_MS     20

static struct ev_io lio;
static int          lfd = -1;
static struct pc_addr laddr;     /* the listener's; any = ask per socket */
static bool         laddr_fixed;
static uint32_t     limit;      /* the service's maxconn */
static uint32_t    *shared;     /* its live count, all workers; NULL:
                                   this worker alone (no master map) */
static bool         paused;
static struct ev_timer retry;

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

static void
on_retry(struct ev_timer *t)
{
	(void)t;
	if (lfd >= 0 && paused)
		set_paused(false);    /* on_listen looks at the count again */
}

static void
full(void)
{
	set_paused(true);
	if (shared != NULL)
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
		accept_one(fd, &peer);
		if (lfd < 0)        /* a protocol drained us meanwhile */
			return;
	}
}

static void
on_close(void)
{
	if (paused && lfd >= 0)
		set_paused(false);
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
