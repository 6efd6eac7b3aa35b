/*
 * UDP port mapper sessions (udppm.h).  Each session is a struct conn with
 * no client socket (cfd -1; answers go out on the shared service socket)
 * and its own connected UDP socket to the target as sfd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/core/conn_life.h"
#include "worker/net/connect.h"
#include "worker/net/request.h"
#include "worker/proto/udppm.h"
#include "worker/proto/proto.h"

#define BUCKETS      256
#define QUEUE_MAX    8          /* datagrams held while the pipeline runs */
#define DGRAM_MAX    65535

struct dgram {
	size_t  n;
	uint8_t data[];
};

struct session {
	struct session *hnext;
	struct conn    *c;
	struct dgram   *queue[QUEUE_MAX];
	size_t          nqueue;
	bool            ready;      /* sfd connected to the target */
	uint64_t        last;
};

static int              ufd = -1;
static struct ev_io     uio;
static struct pc_addr   local;
static struct session  *bucket[BUCKETS];
static uint8_t          buf[DGRAM_MAX];

static uint32_t
hash(const struct pc_addr *a)
{
	uint32_t h = a->port;

	for (int i = 0; i < 16; i++)
		h = h * 31 + a->ip[i];
	return h % BUCKETS;
}

static struct session *
find(const struct pc_addr *a)
{
	for (struct session *s = bucket[hash(a)]; s != NULL; s = s->hnext)
		if (pc_addr_equal(&s->c->client, a))
			return s;
	return NULL;
}

static void
udppm_release(struct conn *c)
{
	struct session  *s = c->proto_state;
	struct session **pp;

	if (s == NULL)
		return;
	for (pp = &bucket[hash(&c->client)]; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	for (size_t i = 0; i < s->nqueue; i++)
		free(s->queue[i]);
	free(s);
	c->proto_state = NULL;
}

static void
udppm_start(struct conn *c)
{
	(void)c;                /* sessions are set up by on_dgram */
}

static void
udppm_drain(struct conn *c)
{
	(void)c;                /* a session ends by its idle timeout */
}

const struct proto proto_udppm = {
	.logname = "UDPPM",
	.start = udppm_start,
	.drain = udppm_drain,
	.release = udppm_release,
};

static void
to_target(struct conn *c, const uint8_t *p, size_t n)
{
	if (send(c->sfd, p, n, 0) >= 0)
		c->bytes_out += n;
}

/* Answers from the target go back to the client on the service socket. */
static void
on_target(struct ev_io *io, uint32_t revents)
{
	struct conn            *c = io->arg;
	struct session         *s = c->proto_state;
	struct sockaddr_storage ss;
	socklen_t               len = pc_addr_to_sockaddr(&c->client, &ss);
	ssize_t                 k;

	(void)revents;
	for (int i = 0; i < 64; i++) {
		k = recv(c->sfd, buf, sizeof(buf), 0);
		if (k < 0) {
			/* e.g. an ICMP port unreachable */
			if (errno != EAGAIN && errno != EINTR)
				conn_close(c, PC_E_SERVER_CLOSED);
			return;
		}
		if (sendto(ufd, buf, (size_t)k, 0, (struct sockaddr *)&ss,
		    len) >= 0)
			c->bytes_in += (size_t)k;
		s->last = ev_now();
		if (wctx.svc->single) {
			conn_close(c, PC_E_OK);
			return;
		}
	}
}

static uint64_t
idle_ms(void)
{
	uint32_t t = wctx.cfg->timeouts[PC_TIMEOUT_STRING_LONG];

	return (uint64_t)(t ? t : 60) * 1000;
}

static void
on_idle(struct ev_timer *t)
{
	struct conn    *c = t->arg;
	struct session *s = c->proto_state;
	uint64_t        idle = ev_now() - s->last;

	if (idle >= idle_ms()) {
		conn_close(c, PC_E_OK);
		return;
	}
	ev_timer_start(&c->timer, idle_ms() - idle, on_idle, c);
}

static void
pipeline_done(struct conn *c, enum pc_ecode code)
{
	struct session *s = c->proto_state;
	struct sockaddr_storage ss;
	struct pc_addr  dst = c->req, ext;
	socklen_t       len;
	int             fd;

	if (code != 0) {
		conn_close(c, code);
		return;
	}
	len = pc_addr_to_sockaddr(&dst, &ss);
	fd = socket(dst.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_close(c, PC_E_SOCKET);
		return;
	}
	c->sfd = fd;
	/* the external address, as for TCP (a failure is a bind error) */
	ext = dst.family == AF_INET6 ? wctx.svc->ext6 : wctx.svc->ext4;
	if (ext.family == dst.family && !pc_addr_is_any(&ext)) {
		struct sockaddr_storage es;
		socklen_t               el;

		ext.port = 0;
		el = pc_addr_to_sockaddr(&ext, &es);
		if (bind(fd, (struct sockaddr *)&es, el) != 0) {
			conn_close(c, PC_E_BIND);
			return;
		}
	}
	if (connect(fd, (struct sockaddr *)&ss, len) != 0 ||
	    ev_io_add(&c->sio, fd, EPOLLIN, on_target, c) != 0) {
		conn_close(c, PC_E_CONNECT);
		return;
	}
	c->remote = dst;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		pc_addr_from_sockaddr(&c->ext, (struct sockaddr *)&ss);
	s->ready = true;
	for (size_t i = 0; i < s->nqueue; i++) {
		to_target(c, s->queue[i]->data, s->queue[i]->n);
		free(s->queue[i]);
	}
	s->nqueue = 0;
	s->last = ev_now();
	ev_timer_start(&c->timer, idle_ms(), on_idle, c);
}

static void
new_session(const struct pc_addr *client, const uint8_t *p, size_t n)
{
	const struct pc_service *svc = wctx.svc;
	struct conn             *c;
	struct session          *s;
	struct target_req        t;
	uint32_t                 h;

	if (conn_active_count() >= (svc->maxconn ? svc->maxconn : 500))
		return;                      /* full: the datagram is dropped */
	if ((c = conn_new(-1, client, &local)) == NULL)
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->queue[0] = malloc(sizeof(struct dgram) + n)) == NULL) {
		free(s);
		conn_close(c, PC_E_NOMEM);
		return;
	}
	s->c = c;
	s->queue[0]->n = n;
	memcpy(s->queue[0]->data, p, n);
	s->nqueue = 1;
	c->proto_state = s;
	h = hash(client);
	s->hnext = bucket[h];
	bucket[h] = s;
	memset(&t, 0, sizeof(t));
	t.op = PC_OP_UDPASSOC;
	t.port = svc->target_port;
	if (pc_addr_parse(svc->target_host, &t.addr) != 0)
		t.host = svc->target_host;
	t.no_connect = true;
	conn_set_text(c, svc->target_host);
	request_start(c, &t, pipeline_done);
}

static void
on_dgram(struct ev_io *io, uint32_t revents)
{
	struct sockaddr_storage ss;
	socklen_t               len;
	struct pc_addr          from;
	struct session         *s;
	ssize_t                 k;

	(void)io;
	(void)revents;
	for (int i = 0; i < 64; i++) {
		len = sizeof(ss);
		k = recvfrom(ufd, buf, sizeof(buf), 0, (struct sockaddr *)&ss,
		    &len);
		if (k < 0)
			return;
		pc_addr_from_sockaddr(&from, (struct sockaddr *)&ss);
		if ((s = find(&from)) == NULL) {
			new_session(&from, buf, (size_t)k);
			continue;
		}
		if (s->ready) {
			to_target(s->c, buf, (size_t)k);
			s->last = ev_now();
		} else if (s->nqueue < QUEUE_MAX &&
		    (s->queue[s->nqueue] = malloc(sizeof(struct dgram) +
		    (size_t)k)) != NULL) {
			s->queue[s->nqueue]->n = (size_t)k;
			memcpy(s->queue[s->nqueue]->data, buf, (size_t)k);
			s->nqueue++;
		}
	}
}

void
udppm_stop(void)
{
	ev_io_del(&uio);
}

int
udppm_init(int udp_fd)
{
	struct sockaddr_storage ss;
	socklen_t               len = sizeof(ss);

	ufd = udp_fd;
	if (getsockname(ufd, (struct sockaddr *)&ss, &len) == 0)
		pc_addr_from_sockaddr(&local, (struct sockaddr *)&ss);
	return ev_io_add(&uio, ufd, EPOLLIN, on_dgram, NULL);
}
