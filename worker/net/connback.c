/*
 * Connect-back (connback.h): the dialer of a -r service and the pool of
 * a tcppm -R service.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "worker/core/conn_life.h"
#include "worker/net/connback.h"
#include "worker/net/connect.h"
#include "worker/net/dns.h"

#define RETRY_MS 1000
#define POOL_MAX 256

/* ---- the -r side: one connection out at a time ---- */

static struct {
	bool              on;
	int               fd;
	bool              connected;
	struct ev_io      io;
	struct ev_timer   retry;
	struct dns_query *dq;
	struct pc_addr    peer;
} dial = { .fd = -1 };

static void dial_start(struct ev_timer *t);

static void
dial_fail(void)
{
	if (dial.fd >= 0) {
		ev_io_forget(&dial.io);
		close(dial.fd);
		dial.fd = -1;
	}
	dial.connected = false;
	if (dial.on)
		ev_timer_start(&dial.retry, RETRY_MS, dial_start, NULL);
}

static void
dial_io(struct ev_io *io, uint32_t revents)
{
	struct sockaddr_storage ss;
	socklen_t               len = sizeof(ss);
	struct pc_addr          local;
	int                     err = 0, fd;
	char                    b;

	(void)io;
	if (!dial.connected) {
		socklen_t el = sizeof(err);

		if (getsockopt(dial.fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 ||
		    err != 0) {
			if (err != EINPROGRESS)
				dial_fail();
			return;
		}
		dial.connected = true;
		(void)ev_io_mod(&dial.io, EPOLLIN);
		return;
	}
	/* the other side sends a client's first bytes, or closes */
	if ((revents & (EPOLLHUP | EPOLLERR)) ||
	    recv(dial.fd, &b, 1, MSG_PEEK) <= 0) {
		dial_fail();
		return;
	}
	fd = dial.fd;
	ev_io_del(&dial.io);
	dial.fd = -1;
	dial.connected = false;
	memset(&local, 0, sizeof(local));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		pc_addr_from_sockaddr(&local, (struct sockaddr *)&ss);
	if (dial.on)
		ev_timer_start(&dial.retry, 0, dial_start, NULL);
	(void)conn_new(fd, &dial.peer, &local);
}

static void
dial_resolved(void *arg, enum pc_ecode status, const struct pc_addr *addrs,
    size_t n)
{
	struct pc_addr ext;
	int            code;

	(void)arg;
	dial.dq = NULL;
	if (status != 0 || n == 0) {
		dial_fail();
		return;
	}
	dial.peer = addrs[0];
	dial.peer.port = wctx.svc->connback_port;
	dial.fd = connect_start(&dial.peer, &ext, &code);
	if (dial.fd < 0 || ev_io_add(&dial.io, dial.fd, EPOLLOUT, dial_io,
	    NULL) != 0) {
		dial_fail();
		return;
	}
}

static void
dial_start(struct ev_timer *t)
{
	struct dns_query *q;

	(void)t;
	if (!dial.on || dial.fd >= 0 || dial.dq != NULL)
		return;
	q = dns_resolve(wctx.svc->connback_host, wctx.svc->fampref,
	    dial_resolved, NULL);
	if (q != NULL)
		dial.dq = q;
}

int
connback_init(void)
{
	dial.on = true;
	ev_timer_start(&dial.retry, 0, dial_start, NULL);
	return 0;
}

void
connback_stop(void)
{
	dial.on = false;
	ev_timer_stop(&dial.retry);
	if (dial.dq != NULL) {
		dns_cancel(dial.dq);
		dial.dq = NULL;
	}
	if (dial.fd >= 0) {
		ev_io_forget(&dial.io);
		close(dial.fd);
		dial.fd = -1;
	}
}

/* ---- the -R side: a pool of connections, a queue of clients ---- */

struct pooled {
	int          fd;            /* -1: free slot */
	uint64_t     seq;           /* arrival order */
	struct ev_io io;
};

struct waiter {
	struct conn *c;
	void       (*cb)(struct conn *, enum pc_ecode);
};

static int             bfd = -1;
static struct ev_io    bio;
static struct pooled   pool[POOL_MAX];
static size_t          npool;
static uint64_t        nextseq;
static struct waiter  *waiting;
static size_t          nwaiting, capwaiting;
static struct ev_timer kicker;

bool
backpool_active(void)
{
	return bfd >= 0;
}

static void
pool_drop(struct pooled *p)
{
	ev_io_forget(&p->io);
	close(p->fd);
	p->fd = -1;
	npool--;
}

static struct pooled *
oldest(void)
{
	struct pooled *o = NULL;

	for (size_t i = 0; i < POOL_MAX; i++)
		if (pool[i].fd >= 0 && (o == NULL || pool[i].seq < o->seq))
			o = &pool[i];
	return o;
}

/* Hands the oldest pooled connection to the oldest waiting client. */
static void
pair(void)
{
	struct pooled *p;

	while (nwaiting > 0 && (p = oldest()) != NULL) {
		struct waiter w = waiting[0];
		int           fd = p->fd;

		memmove(waiting, waiting + 1, (nwaiting - 1) * sizeof(*waiting));
		nwaiting--;
		ev_io_del(&p->io);
		p->fd = -1;
		npool--;
		ev_timer_stop(&w.c->timer);
		w.c->sfd = fd;
		w.cb(w.c, PC_E_OK);
	}
}

/* A pooled connection may not speak first: data or EOF ends it. */
static void
pool_event(struct ev_io *io, uint32_t revents)
{
	(void)revents;
	pool_drop(io->arg);
}

static void
on_back(struct ev_io *io, uint32_t revents)
{
	int fd;

	(void)io;
	(void)revents;
	for (int i = 0; i < 16; i++) {
		struct pooled *p = NULL;

		fd = accept4(bfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (size_t k = 0; k < POOL_MAX && p == NULL; k++)
			if (pool[k].fd < 0)
				p = &pool[k];
		if (p == NULL || ev_io_add(&p->io, fd, EPOLLIN, pool_event,
		    p) != 0) {
			close(fd);
			continue;
		}
		p->fd = fd;
		p->seq = nextseq++;
		npool++;
		pair();
	}
}

int
backpool_init(int back_fd)
{
	for (size_t i = 0; i < POOL_MAX; i++)
		pool[i].fd = -1;
	bfd = back_fd;
	return ev_io_add(&bio, bfd, EPOLLIN, on_back, NULL);
}

void
backpool_stop(void)
{
	if (bfd >= 0)
		ev_io_del(&bio);
}

static void
wait_over(struct ev_timer *t)
{
	struct conn *c = t->arg;

	for (size_t i = 0; i < nwaiting; i++)
		if (waiting[i].c == c) {
			void (*cb)(struct conn *, enum pc_ecode) =
			    waiting[i].cb;

			memmove(waiting + i, waiting + i + 1,
			    (nwaiting - i - 1) * sizeof(*waiting));
			nwaiting--;
			cb(c, PC_E_CONNECT);
			return;
		}
}

static void
kick(struct ev_timer *t)
{
	(void)t;
	pair();
}

void
backpool_take(struct conn *c, void (*cb)(struct conn *, enum pc_ecode))
{
	uint32_t s = wctx.cfg->timeouts[PC_TIMEOUT_CONNBACK];

	if (nwaiting == capwaiting) {
		capwaiting = capwaiting ? capwaiting * 2 : 16;
		waiting = xreallocarray(waiting, capwaiting, sizeof(*waiting));
	}
	waiting[nwaiting].c = c;
	waiting[nwaiting].cb = cb;
	nwaiting++;
	ev_timer_start(&c->timer, (uint64_t)(s ? s : 5) * 1000, wait_over, c);
	ev_timer_start(&kicker, 0, kick, NULL);   /* pair from the loop */
}

void
backpool_cancel(struct conn *c)
{
	for (size_t i = 0; i < nwaiting; i++)
		if (waiting[i].c == c) {
			memmove(waiting + i, waiting + i + 1,
			    (nwaiting - i - 1) * sizeof(*waiting));
			nwaiting--;
			return;
		}
}
