/*
 * Accept loop of a worker (accept.h).
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

static struct ev_io lio;
static int          lfd = -1;
static struct pc_addr laddr;     /* the listener's; any = ask per socket */
static bool         laddr_fixed;
static unsigned     limit;      /* this worker's share of maxconn */
static bool         paused;

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

static void
accept_one(int fd, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage me;
	socklen_t               mlen = sizeof(me);
	struct pc_addr          client, local;
	int                     one = 1;

	if (laddr_fixed) {
		local = laddr;
	} else if (getsockname(fd, (struct sockaddr *)&me, &mlen) == -1) {
		close(fd);
		return;
	} else {
		pc_addr_from_sockaddr(&local, (struct sockaddr *)&me);
	}
	pc_addr_from_sockaddr(&client, (const struct sockaddr *)peer);
	/* replies are written in pieces: do not let Nagle hold them back */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_new(fd, &client, &local);
}

static void
on_listen(struct ev_io *io, uint32_t revents)
{
	(void)revents;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage peer;
		socklen_t               plen = sizeof(peer);
		int                     fd;

		if (conn_active_count() >= limit) {
			set_paused(true);
			return;
		}
		fd = accept4(io->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
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
	if (paused && conn_active_count() < limit)
		set_paused(false);
}

int
accept_init(int listen_fd)
{
	uint32_t                n = wctx.svc->workers ? wctx.svc->workers : 1;
	uint32_t                mc = wctx.svc->maxconn ? wctx.svc->maxconn : 500;
	struct sockaddr_storage ss;
	socklen_t               slen = sizeof(ss);

	limit = (mc + n - 1) / n;
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
	ev_io_del(&lio);
	paused = false;
	close(lfd);
	lfd = -1;
}
