/*
 * NetBIOS node status lookups for `auth nbname` (nbname.h).  One
 * connected UDP socket per query: an ICMP "port unreachable" then ends
 * the wait at once (ECONNREFUSED) instead of after the timeout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/core/ev.h"
#include "worker/net/nbname.h"
#include "worker/wire/nbname_msg.h"

struct nbname_query {
	int             fd;
	uint16_t        id;
	struct ev_io    io;
	struct ev_timer timer;
	nbname_cb      *cb;
	void           *arg;
};

static uint16_t next_id = 0x5043;


static void
done(struct nbname_query *q, const char *name)
{
	nbname_cb *cb = q->cb;
	void      *arg = q->arg;

	nbname_cancel(q);
	cb(arg, name);
}

static void
on_read(struct ev_io *io, uint32_t revents)
{
	struct nbname_query *q = io->arg;
	uint8_t              buf[1500];
	char                 name[NBNAME_MAX];
	ssize_t              k;

	(void)revents;
	k = recv(q->fd, buf, sizeof(buf), 0);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (k > 0 && nbname_parse_reply(buf, (size_t)k, q->id, name) == 0)
		done(q, name);
	else if (k < 0)
		done(q, "");         /* refused: nobody answers there */
	/* a datagram that is not our answer: keep waiting */
}

static void
on_timeout(struct ev_timer *t)
{
	done(t->arg, "");
}

static void
fail_soon(struct ev_timer *t)
{
	done(t->arg, "");
}

struct nbname_query *
nbname_start(const struct pc_addr *client, uint32_t timeout_ms, nbname_cb *cb,
    void *arg)
{
	struct nbname_query    *q = calloc(1, sizeof(*q));
	struct pc_addr          a = *client;
	struct sockaddr_storage ss;
	socklen_t               len;
	uint8_t                 query[NBNAME_QUERY_LEN];

	if (q == NULL)
		return NULL;
	q->cb = cb;
	q->arg = arg;
	q->fd = -1;
	q->id = next_id++;
	a.port = 137;
	if (client->family != AF_INET ||
	    (len = pc_addr_to_sockaddr(&a, &ss)) == 0 ||
	    (q->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0 ||
	    connect(q->fd, (struct sockaddr *)&ss, len) != 0 ||
	    send(q->fd, query, nbname_build_query(query, q->id), 0) < 0 ||
	    ev_io_add(&q->io, q->fd, EPOLLIN, on_read, q) != 0) {
		if (q->fd >= 0)
			close(q->fd);
		q->fd = -1;
		ev_timer_start(&q->timer, 0, fail_soon, q);
		return q;
	}
	ev_timer_start(&q->timer, timeout_ms, on_timeout, q);
	return q;
}

void
nbname_cancel(struct nbname_query *q)
{
	if (q == NULL)
		return;
	ev_timer_stop(&q->timer);
	if (q->fd >= 0) {
		ev_io_forget(&q->io);
		close(q->fd);
	}
	free(q);
}
