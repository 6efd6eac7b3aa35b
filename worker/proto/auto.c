/*
 * The `auto` service (3proxy 0.9+): one port for SOCKS, TLS and HTTP
 * proxy clients.  The client's first byte, peeked and left in the socket,
 * picks the protocol as 3proxy's auto.c does: 4 or 5 is SOCKS, 22 (a TLS
 * handshake record) is tlspr, anything else the HTTP proxy.  That
 * protocol then starts on the connection as if its own service had
 * accepted it, with this service's auth, ACL, limits and log: %N becomes
 * its name (SOCK4, SOCK5, SOC45, TLSPR, PROXY).  A client that closes
 * or sends nothing within the CONNECTION_SHORT timeout is logged 801
 * under AUTO, as 3proxy logs it.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/ecode.h"
#include "worker/proto/proto.h"

static void
auto_timeout(struct ev_timer *t)
{
	conn_close(t->arg, AUTO_E_EARLY);
}

/* 1 when the protocol was handed over or the connection closed, 0 when
 * the first byte has not arrived yet. */
static int
pick(struct conn *c)
{
	const struct proto *p;
	uint8_t             b;
	ssize_t             n = recv(c->cfd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		conn_close(c, AUTO_E_EARLY);
		return 1;
	}
	p = b == 4 || b == 5 ? &proto_socks : b == 22 ? &proto_tlspr :
	    &proto_http;
	ev_timer_stop(&c->timer);
	ev_io_del(&c->cio);
	c->proto = p;
	memset(c->svcname, 0, sizeof(c->svcname));
	strncpy(c->svcname, p->logname, sizeof(c->svcname) - 1);
	p->start(c);
	return 1;
}

static void
auto_io(struct ev_io *io, uint32_t revents)
{
	struct conn *c = io->arg;

	(void)revents;
	if (!c->closing)
		(void)pick(c);
}

static void
auto_start(struct conn *c)
{
	if (pick(c))
		return;
	if (ev_io_add(&c->cio, c->cfd, EPOLLIN, auto_io, c) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	ev_timer_start(&c->timer,
	    (uint64_t)wctx.cfg->timeouts[PC_TIMEOUT_CONN_SHORT] * 1000,
	    auto_timeout, c);
}

static void
auto_drain(struct conn *c)
{
	(void)c;   /* its first byte is on the way; the handler drains then */
}

static void
auto_release(struct conn *c)
{
	(void)c;   /* no state of its own */
}

const struct proto proto_auto = {
	.logname = "AUTO",
	.start = auto_start,
	.drain = auto_drain,
	.release = auto_release,
};
