/*
 * SOCKS BIND (socks_more.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/net/relay.h"
#include "worker/proto/socks/socks_more.h"
#include "worker/wire/socks_parse.h"

struct bind_state {
	uint8_t         version;
	struct pc_addr  want;
	int             lfd;
	struct ev_io    lio;
};

static void bind_release(struct conn *c);

static const struct proto proto_socks_bind = {
	.logname = "SOCKS",
	.release = bind_release,
};

static int
send_reply(struct conn *c, uint8_t version, bool ok, const struct pc_addr *a)
{
	uint8_t out[22];
	size_t  n = version == 4 ? socks4_reply(ok, a, out) :
	    socks5_reply(ok ? 0 : 1, a, out);

	return conn_send(c->cfd, out, n) == (ssize_t)n ? 0 : -1;
}

static void
bind_release(struct conn *c)
{
	struct bind_state *b = c->proto_state;

	if (b == NULL)
		return;
	if (b->lfd >= 0) {
		ev_io_forget(&b->lio);
		close(b->lfd);
	}
	free(b);
	c->proto_state = NULL;
}

static void
on_timeout(struct ev_timer *t)
{
	struct conn       *c = t->arg;
	struct bind_state *b = c->proto_state;

	(void)send_reply(c, b->version, false, NULL);
	conn_close(c, PC_E_CONNECT);      /* the peer never arrived */
}

/* While waiting, the client may only close. */
static void
on_client(struct ev_io *io, uint32_t revents)
{
	struct conn *c = io->arg;
	char         x;

	(void)revents;
	if (recv(c->cfd, &x, 1, MSG_PEEK) == 0 ||
	    (revents & (EPOLLHUP | EPOLLERR)))
		conn_close(c, PC_E_CLIENT_CLOSED);
	else
		(void)ev_io_mod(&c->cio, 0);   /* data: keep it for later */
}

static bool
peer_ok(const struct bind_state *b, const struct pc_addr *peer)
{
	if (b->want.family == 0 || pc_addr_is_any(&b->want))
		return true;
	return b->want.family == peer->family &&
	    memcmp(b->want.ip, peer->ip, b->want.family == AF_INET ? 4 : 16)
	    == 0;
}

static void
on_listen(struct ev_io *io, uint32_t revents)
{
	struct conn            *c = io->arg;
	struct bind_state      *b = c->proto_state;
	struct sockaddr_storage ss;
	socklen_t               len = sizeof(ss);
	struct pc_addr          peer;
	int                     fd;

	(void)revents;
	fd = accept4(b->lfd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	pc_addr_from_sockaddr(&peer, (struct sockaddr *)&ss);
	if (!peer_ok(b, &peer)) {
		close(fd);          /* not the expected peer: keep waiting */
		return;
	}
	ev_timer_stop(&c->timer);
	if (send_reply(c, b->version, true, &peer) != 0) {
		close(fd);
		conn_close(c, PC_E_CLIENT_CLOSED);
		return;
	}
	c->sfd = fd;
	c->remote = peer;
	bind_release(c);
	relay_start(c, NULL, 0, NULL, 0, 0);
}

void
socks_bind_start(struct conn *c, uint8_t version, const struct pc_addr *want)
{
	struct bind_state      *b = calloc(1, sizeof(*b));
	struct sockaddr_storage ss;
	struct pc_addr          a;
	socklen_t               len;
	const struct pc_addr   *ext = c->local.family == AF_INET6 ?
	    &wctx.svc->ext6 : &wctx.svc->ext4;
	uint32_t                to = wctx.cfg->timeouts[PC_TIMEOUT_CONN_SHORT];

	if (b == NULL) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	b->version = version;
	b->want = *want;
	b->lfd = -1;
	c->proto = &proto_socks_bind;
	c->proto_state = b;
	/* the external address when set, else where the client reached us */
	a = ext->family != 0 && !pc_addr_is_any(ext) ? *ext : c->local;
	a.port = 0;
	if (version == 4 && a.family != AF_INET) {
		(void)send_reply(c, version, false, NULL);
		conn_close(c, PC_E_BIND);
		return;
	}
	len = pc_addr_to_sockaddr(&a, &ss);
	b->lfd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (b->lfd < 0 || bind(b->lfd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(b->lfd, 1) != 0 ||
	    getsockname(b->lfd, (struct sockaddr *)&ss, &len) != 0 ||
	    ev_io_add(&b->lio, b->lfd, EPOLLIN, on_listen, c) != 0) {
		(void)send_reply(c, version, false, NULL);
		conn_close(c, b->lfd < 0 ? PC_E_SOCKET : PC_E_BIND);
		return;
	}
	pc_addr_from_sockaddr(&a, (struct sockaddr *)&ss);
	c->ext = a;
	if (wctx.svc->nat_ext.family != 0) {       /* -Ne: behind 1:1 NAT */
		uint16_t port = a.port;

		a = wctx.svc->nat_ext;
		a.port = port;
	}
	if (send_reply(c, version, true, &a) != 0 ||
	    ev_io_take(&c->cio, c->cfd, EPOLLIN, on_client, c) != 0) {
		conn_close(c, PC_E_CLIENT_CLOSED);
		return;
	}
	ev_timer_start(&c->timer, (uint64_t)(to ? to : 180) * 1000, on_timeout,
	    c);
}
