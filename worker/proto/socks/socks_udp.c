/*
 * SOCKS5 UDP ASSOCIATE (socks_more.h).
 *
 * The SOCKS5 UDP header: RSV(2) FRAG(1) ATYP(1) DST.ADDR DST.PORT(2),
 * then the data.  A destination given by name is resolved through the
 * worker's resolver; while one name is being resolved, further datagrams
 * for names are dropped (UDP may drop; the client retries).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "worker/net/dns.h"
#include "worker/proto/socks/socks_more.h"
#include "worker/wire/socks_parse.h"

#define UDP_MAX 65535

struct udp_state {
	int               cfd;          /* client side */
	int               sfd4, sfd6;   /* server side, per family */
	struct ev_io      cio, sio4, sio6;
	struct pc_addr    client;       /* the client's UDP address */
	bool              port_known;
	uint64_t          last;         /* ev_now() of the last datagram */
	uint64_t          idle_ms;
	struct dns_query *dq;           /* name in resolution, or NULL */
	uint8_t          *pending;      /* its datagram's data */
	size_t            npending;
	uint16_t          pending_port;
	char              pending_name[SOCKS_NAME_MAX + 1];
};

static void udp_release(struct conn *c);

static const struct proto proto_socks_udp = {
	.logname = "SOCKS",
	.release = udp_release,
};

static void
close_io(struct ev_io *io, int *fd)
{
	if (*fd >= 0) {
		ev_io_forget(io);
		close(*fd);
		*fd = -1;
	}
}

static void
udp_release(struct conn *c)
{
	struct udp_state *u = c->proto_state;

	if (u == NULL)
		return;
	if (u->dq != NULL)
		dns_cancel(u->dq);
	close_io(&u->cio, &u->cfd);
	close_io(&u->sio4, &u->sfd4);
	close_io(&u->sio6, &u->sfd6);
	free(u->pending);
	free(u);
	c->proto_state = NULL;
}

static int
bound_socket(const struct pc_addr *a, struct pc_addr *out)
{
	struct sockaddr_storage ss;
	socklen_t               len;
	struct pc_addr          b = *a;
	int                     fd;

	b.port = 0;
	len = pc_addr_to_sockaddr(&b, &ss);
	fd = socket(b.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		close(fd);
		return -1;
	}
	if (out != NULL)
		pc_addr_from_sockaddr(out, (struct sockaddr *)&ss);
	return fd;
}

static void on_server(struct ev_io *io, uint32_t revents);

/* The server-side socket for a family, made on first use. */
static int
server_fd(struct conn *c, int family)
{
	struct udp_state     *u = c->proto_state;
	int                  *fd = family == AF_INET6 ? &u->sfd6 : &u->sfd4;
	struct ev_io         *io = family == AF_INET6 ? &u->sio6 : &u->sio4;
	const struct pc_addr *ext = family == AF_INET6 ? &wctx.svc->ext6 :
	    &wctx.svc->ext4;
	struct pc_addr        a;

	if (*fd >= 0)
		return *fd;
	if (ext->family == family)
		a = *ext;
	else {
		memset(&a, 0, sizeof(a));
		a.family = (uint8_t)family;
	}
	if ((*fd = bound_socket(&a, NULL)) < 0)
		return -1;
	if (ev_io_add(io, *fd, EPOLLIN, on_server, c) != 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	return *fd;
}

static bool
allowed(struct conn *c, const struct pc_addr *dst, const char *name,
    uint16_t port)
{
	const struct pc_acl *acl = &wctx.cfg->acls[wctx.svc->acl];
	const enum pc_auth_type *chain;
	struct pc_acl_req    q;

	if (pc_service_auth(wctx.svc, &chain) == 1 &&
	    chain[0] == PC_AUTH_NONE)
		return true;
	memset(&q, 0, sizeof(q));
	q.user = c->user;
	q.client = c->client;
	q.dst = *dst;
	q.dst.port = 0;
	q.host = name;
	q.port = port;
	q.op = PC_OP_UDPASSOC;
	q.now = time(NULL);
	return pc_acl_check(acl, &q, NULL) == PC_ACL_OK;
}

static void
send_out(struct conn *c, const struct pc_addr *dst, const char *name,
    uint16_t port, const uint8_t *data, size_t n)
{
	struct sockaddr_storage ss;
	struct pc_addr          a = *dst;
	socklen_t               len;
	int                     fd;

	if (!allowed(c, dst, name, port))
		return;
	if ((fd = server_fd(c, a.family)) < 0)
		return;
	a.port = port;
	len = pc_addr_to_sockaddr(&a, &ss);
	if (sendto(fd, data, n, 0, (struct sockaddr *)&ss, len) >= 0) {
		c->bytes_out += n;
		c->remote = a;
	}
}

static void
name_resolved(void *arg, enum pc_ecode status, const struct pc_addr *addrs,
    size_t n)
{
	struct conn      *c = arg;
	struct udp_state *u = c->proto_state;

	u->dq = NULL;
	if (status == 0 && n > 0)
		send_out(c, &addrs[0], u->pending_name, u->pending_port,
		    u->pending, u->npending);
	free(u->pending);
	u->pending = NULL;
}

/* One datagram from the client: header, then data. */
static void
from_client(struct conn *c, const uint8_t *p, size_t n)
{
	struct udp_state     *u = c->proto_state;
	struct socks5_udp_hdr h;

	if (socks5_parse_udp(p, n, &h) != 0)
		return;             /* malformed, or a fragment: dropped */
	if (h.dst.family != 0) {
		send_out(c, &h.dst, NULL, h.port, p + h.data_off,
		    n - h.data_off);
		return;
	}
	if (u->dq != NULL)
		return;
	memcpy(u->pending_name, h.name, sizeof(h.name));
	u->pending_port = h.port;
	u->npending = n - h.data_off;
	if ((u->pending = malloc(u->npending + 1)) == NULL)
		return;
	memcpy(u->pending, p + h.data_off, u->npending);
	u->dq = dns_resolve(u->pending_name, wctx.svc->fampref, name_resolved,
	    c);
}

static void
on_client_udp(struct ev_io *io, uint32_t revents)
{
	struct conn            *c = io->arg;
	struct udp_state       *u = c->proto_state;
	static uint8_t          buf[UDP_MAX];
	struct sockaddr_storage ss;
	socklen_t               len;
	struct pc_addr          src;
	ssize_t                 k;

	(void)revents;
	for (int i = 0; i < 64; i++) {
		len = sizeof(ss);
		k = recvfrom(u->cfd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&ss, &len);
		if (k < 0)
			return;
		pc_addr_from_sockaddr(&src, (struct sockaddr *)&ss);
		/* only the client's address, and its port once known */
		if (src.family != c->client.family || memcmp(src.ip,
		    c->client.ip, src.family == AF_INET ? 4 : 16) != 0 ||
		    (u->port_known && src.port != u->client.port))
			continue;
		if (!u->port_known) {
			u->client = src;
			u->port_known = true;
		}
		u->last = ev_now();
		from_client(c, buf, (size_t)k);
		if (c->closing)
			return;
	}
}

static void
on_server(struct ev_io *io, uint32_t revents)
{
	struct conn            *c = io->arg;
	struct udp_state       *u = c->proto_state;
	static uint8_t          buf[UDP_MAX + 22];
	struct sockaddr_storage ss, cs;
	socklen_t               len, clen;
	struct pc_addr          src;
	size_t                  h;
	ssize_t                 k;

	(void)revents;
	for (int i = 0; i < 64; i++) {
		len = sizeof(ss);
		/* room for the longest header before the data */
		k = recvfrom(io->fd, buf + 22, UDP_MAX, 0,
		    (struct sockaddr *)&ss, &len);
		if (k < 0)
			return;
		if (!u->port_known)
			continue;
		pc_addr_from_sockaddr(&src, (struct sockaddr *)&ss);
		h = socks5_udp_header(&src, buf);
		clen = pc_addr_to_sockaddr(&u->client, &cs);
		if (sendto(u->cfd, buf + 22 - h, (size_t)k + h, 0,
		    (struct sockaddr *)&cs, clen) >= 0)
			c->bytes_in += (size_t)k;
		u->last = ev_now();
	}
}

/* The TCP connection: its end ends the association. */
static void
on_control(struct ev_io *io, uint32_t revents)
{
	struct conn *c = io->arg;
	char         junk[512];
	ssize_t      k;

	(void)revents;
	k = recv(c->cfd, junk, sizeof(junk), 0);
	if (k == 0)
		conn_close(c, PC_E_OK);
	else if (k < 0 && errno != EAGAIN && errno != EINTR)
		conn_close(c, PC_E_CLIENT_CLOSED);
}

static void
on_idle(struct ev_timer *t)
{
	struct conn      *c = t->arg;
	struct udp_state *u = c->proto_state;
	uint64_t          idle = ev_now() - u->last;

	if (idle >= u->idle_ms) {
		conn_close(c, PC_E_TIMEOUT);
		return;
	}
	ev_timer_start(&c->timer, u->idle_ms - idle, on_idle, c);
}

void
socks_udp_start(struct conn *c, const struct pc_addr *hint)
{
	struct udp_state *u = calloc(1, sizeof(*u));
	struct pc_addr    a;
	uint8_t           out[22];
	size_t            n;
	uint32_t          to = wctx.cfg->timeouts[PC_TIMEOUT_CONN_LONG];

	if (u == NULL) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	u->cfd = u->sfd4 = u->sfd6 = -1;
	c->proto = &proto_socks_udp;
	c->proto_state = u;
	u->idle_ms = (uint64_t)(to ? to : 1800) * 1000;
	u->last = ev_now();
	if (hint->family == c->client.family && hint->port != 0 &&
	    !pc_addr_is_any(hint)) {
		u->client = *hint;
		u->port_known = true;
	}
	if ((u->cfd = bound_socket(&c->local, &a)) < 0 ||
	    ev_io_add(&u->cio, u->cfd, EPOLLIN, on_client_udp, c) != 0) {
		n = socks5_reply(1, NULL, out);
		(void)conn_send(c->cfd, out, n);
		conn_close(c, u->cfd < 0 ? PC_E_SOCKET : PC_E_SYSTEM);
		return;
	}
	c->ext = a;
	if (wctx.svc->nat_int.family != 0) {       /* -Ni: behind 1:1 NAT */
		uint16_t port = a.port;

		a = wctx.svc->nat_int;
		a.port = port;
	}
	n = socks5_reply(0, &a, out);
	if (conn_send(c->cfd, out, n) != (ssize_t)n ||
	    ev_io_take(&c->cio, c->cfd, EPOLLIN, on_control, c) != 0) {
		conn_close(c, PC_E_CLIENT_CLOSED);
		return;
	}
	ev_timer_start(&c->timer, u->idle_ms, on_idle, c);
}
