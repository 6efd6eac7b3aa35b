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

#include "common/xmalloc.h"
#include "worker/ev.h"
#include "worker/nbname.h"

struct nbname_query {
	int             fd;
	uint16_t        id;
	struct ev_io    io;
	struct ev_timer timer;
	nbname_cb      *cb;
	void           *arg;
};

static uint16_t next_id = 0x5043;

size_t
nbname_build_query(uint8_t out[NBNAME_QUERY_LEN], uint16_t id)
{
	uint8_t *p = out;

	memset(out, 0, NBNAME_QUERY_LEN);
	p[0] = (uint8_t)(id >> 8);
	p[1] = (uint8_t)id;
	p[5] = 1;                       /* QDCOUNT */
	p += 12;
	*p++ = 32;                      /* "*" and 15 NULs, half-bytes + 'A' */
	*p++ = 'A' + ('*' >> 4);
	*p++ = 'A' + ('*' & 15);
	for (int i = 0; i < 15; i++) {
		*p++ = 'A';
		*p++ = 'A';
	}
	*p++ = 0;
	*p++ = 0;
	*p++ = 0x21;                    /* NBSTAT */
	*p++ = 0;
	*p++ = 1;                       /* IN */
	return (size_t)(p - out);
}

/* Skips a name (labels or a compression pointer); the offset after it,
 * or 0. */
static size_t
skip_name(const uint8_t *p, size_t n, size_t off)
{
	for (int labels = 0; off < n && labels < 64; labels++) {
		uint8_t l = p[off];

		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= n ? off + 2 : 0;
		if ((l & 0xc0) != 0)
			return 0;
		off += 1u + l;
	}
	return 0;
}

int
nbname_parse_reply(const uint8_t *p, size_t n, uint16_t id,
    char name[NBNAME_MAX])
{
	size_t off, rdlen, count;

	if (n < 12 || ((p[0] << 8) | p[1]) != id || !(p[2] & 0x80) ||
	    ((p[6] << 8) | p[7]) == 0)
		return -1;
	off = 12;
	/* questions, if echoed */
	for (unsigned q = (unsigned)((p[4] << 8) | p[5]); q > 0; q--) {
		if ((off = skip_name(p, n, off)) == 0 || off + 4 > n)
			return -1;
		off += 4;
	}
	if ((off = skip_name(p, n, off)) == 0 || off + 10 > n)
		return -1;
	if (((p[off] << 8) | p[off + 1]) != 0x21)
		return -1;
	rdlen = (size_t)((p[off + 8] << 8) | p[off + 9]);
	off += 10;
	if (rdlen < 1 || off + rdlen > n)
		return -1;
	count = p[off++];
	for (size_t i = 0; i < count && off + 18 <= n; i++, off += 18) {
		const uint8_t *e = p + off;
		size_t         len = 15;

		/* suffix 0x00 (workstation), unique (group bit clear) */
		if (e[15] != 0x00 || (e[16] & 0x80))
			continue;
		while (len > 0 && (e[len - 1] == ' ' || e[len - 1] == 0))
			len--;
		for (size_t k = 0; k < len; k++)
			if (e[k] < 0x21 || e[k] > 0x7e)
				return -1;
		memcpy(name, e, len);
		name[len] = '\0';
		return len > 0 ? 0 : -1;
	}
	return -1;
}

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
	struct nbname_query    *q = xcalloc(1, sizeof(*q));
	struct pc_addr          a = *client;
	struct sockaddr_storage ss;
	socklen_t               len;
	uint8_t                 query[NBNAME_QUERY_LEN];

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
