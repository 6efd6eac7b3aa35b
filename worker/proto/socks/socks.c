/*
 * The `socks` service: SOCKS4, SOCKS4a and SOCKS5 CONNECT (RFC 1928, with
 * RFC 1929 username/password).  A small state machine over one bounded
 * buffer: greeting -> [username/password] -> request -> pipeline
 * (request.h) -> reply -> relay (relay.h).  The wire formats live in
 * socks_parse.c; this file only moves bytes and decides.
 *
 * RFC 1929 answer: the credentials are checked by the request pipeline
 * together with the ACL (the master verifies the password when the request
 * is known), so the sub-negotiation is answered with success and a wrong
 * password is refused at the request with reply 2 and %E 6/7/8, exactly as
 * 3proxy does.  A malformed sub-negotiation message gets status 1 and the
 * connection is closed (%E 421).
 *
 * %E codes for malformed input are the SOCKS_E_ ones of socks_parse.h;
 * 441 also covers a client that closes or stalls during the handshake.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "worker/core/conn.h"
#include "worker/net/relay.h"
#include "worker/net/redirect.h"
#include "worker/proto/socks/socks_more.h"
#include "worker/net/request.h"
#include "worker/wire/socks_parse.h"
#include "worker/proto/proto.h"

/* The longest client message: SOCKS4a with 255-byte user id and host
 * (8 + 256 + 256) or RFC 1929 (3 + 255 + 255); room for early data. */
#define SOCKS_BUF 1024

enum phase { PH_FIRST, PH_GREETING, PH_USERPASS, PH_REQUEST, PH_WAIT };

struct socks_state {
	uint8_t  phase;
	uint8_t  version;
	bool     userpass;            /* RFC 1929 credentials were given */
	uint16_t len;                 /* bytes in buf */
	struct socks5_userpass up;
	char     ruser[256];          /* a SOCKS4 user id, for redirection */
	uint8_t  cmd;                 /* SOCKS_CMD_ of the request */
	struct pc_addr want;          /* BIND/UDP: the address it names */
	bool     host_is_ip;          /* c->host is the IPv4 text (for %n) */
	enum request_redirect redirect; /* the pipeline's decision */
	uint8_t  buf[SOCKS_BUF];
};

static void socks_io(struct ev_io *io, uint32_t revents);
static void socks_release(struct conn *c);

static uint64_t
timeout_ms(int which)
{
	return (uint64_t)wctx.cfg->timeouts[which] * 1000;
}

static void
socks_timeout(struct ev_timer *t)
{
	conn_close(t->arg, SOCKS_E_SHORT);
}

static void
socks_start(struct conn *c)
{
	struct socks_state *st = malloc(sizeof(*st));

	if (st == NULL) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	st->phase = PH_FIRST;
	st->version = 0;
	st->userpass = false;
	st->len = 0;
	st->ruser[0] = '\0';       /* redirect() reads it (ASan found it) */
	st->host_is_ip = false;
	st->cmd = 0;
	c->proto_state = st;
	if (ev_io_add(&c->cio, c->cfd, EPOLLIN, socks_io, c) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	ev_timer_start(&c->timer, timeout_ms(PC_TIMEOUT_BYTE_LONG),
	    socks_timeout, c);
}

/* Replies are a few bytes on a fresh socket: they go out in one write.  A
 * short write means the client's side is broken; give up on it. */
static int
reply(struct conn *c, const void *p, size_t n)
{
	return conn_send(c->cfd, p, n) == (ssize_t)n ? 0 : -1;
}

static void
fail(struct conn *c, int code)
{
	struct socks_state *st = c->proto_state;
	uint8_t             out[22];
	size_t              n = 0;

	if (st->version == 4) {
		n = socks4_reply(false, NULL, out);
	} else if (st->phase >= PH_REQUEST) {
		n = socks5_reply(socks5_reply_code(code), NULL, out);
	} else if (st->phase == PH_GREETING) {
		out[0] = 5;
		out[1] = SOCKS5_METHOD_REFUSE;
		n = 2;
	}
	if (n > 0)
		(void)reply(c, out, n);
	conn_close(c, code);
}

/* The bound address for the reply: the local end of the outgoing socket
 * (normally c->ext, read right after connect(); asked again only when its
 * port is missing). */
static void
bound_addr(const struct conn *c, struct pc_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t               len = sizeof(ss);

	*a = c->ext;
	if (a->port == 0 &&
	    getsockname(c->sfd, (struct sockaddr *)&ss, &len) == 0)
		pc_addr_from_sockaddr(a, (struct sockaddr *)&ss);
}

/* Local redirection (redirect.h): a granted reply naming no address,
 * then the HTTP (or POP3) handler takes the client with what it sent
 * already. */
static void
redirect(struct conn *c)
{
	struct socks_state *st = c->proto_state;
	struct pc_addr      none;
	struct socks_state  keep;
	uint8_t             out[22];
	size_t              n;

	memset(&none, 0, sizeof(none));
	none.family = AF_INET;
	n = st->version == 4 ? socks4_reply(true, &none, out) :
	    socks5_reply(0, &none, out);
	if (reply(c, out, n) != 0) {
		conn_close(c, SOCKS_E_SHORT);
		return;
	}
	keep = *st;
	/* the %n text of an IPv4 request is no name for the gateway */
	if (st->host_is_ip)
		conn_set_host(c, NULL);
	socks_release(c);
	conn_set_text(c, NULL);
	(keep.redirect == REDIRECT_POP3 ? pop3_takeover :
	    keep.redirect == REDIRECT_FTP ? ftp_takeover :
	    keep.redirect == REDIRECT_TLS ? tlspr_takeover :
	    http_takeover)(c, keep.buf,
	    keep.len, keep.userpass ? keep.up.user :
	    keep.ruser[0] != '\0' ? keep.ruser : NULL,
	    keep.userpass ? keep.up.pass : NULL);
	explicit_bzero(&keep, sizeof(keep));
}

static void
request_done(struct conn *c, enum pc_ecode code)
{
	struct socks_state *st = c->proto_state;
	struct pc_addr      bnd;
	uint8_t             out[22];
	size_t              n;

	if (code != 0) {
		fail(c, code);
		return;
	}
	if (st->cmd == SOCKS_CMD_BIND || st->cmd == SOCKS_CMD_UDP) {
		struct pc_addr want = st->want;
		uint8_t        version = st->version, cmd = st->cmd;

		socks_release(c);
		if (cmd == SOCKS_CMD_BIND)
			socks_bind_start(c, version, &want);
		else
			socks_udp_start(c, &want);
		return;
	}
	if (st->redirect != REDIRECT_NONE) {
		redirect(c);
		return;
	}
	bound_addr(c, &bnd);
	if (wctx.svc->nat_ext.family != 0) {   /* -Ne: behind 1:1 NAT */
		uint16_t port = bnd.port;

		bnd = wctx.svc->nat_ext;
		bnd.port = port;
	}
	n = st->version == 4 ? socks4_reply(true, &bnd, out) :
	    socks5_reply(0, &bnd, out);
	if (reply(c, out, n) != 0) {
		conn_close(c, SOCKS_E_SHORT);
		return;
	}
	/* relay_start copies what the client sent after its request */
	relay_start(c, st->buf, st->len, NULL, 0, 0);
}

/* %T "CONNECT host:port" as 3proxy; %n the name, or for an IPv4 address
 * its text (3proxy keeps the request's address text as the host name,
 * so %n is bare: 127.0.0.1; an IPv6 one is bracketed by the master);
 * %N of a SOCKS4a request is 3proxy's "SOC45". */
static void
set_text(struct conn *c, const struct socks_req *r)
{
	struct socks_state *st = c->proto_state;
	char        text[SOCKS_NAME_MAX + 32], ip[PC_ADDRSTRLEN];
	const char *verb = r->cmd == SOCKS_CMD_BIND ? "BIND" :
	    r->cmd == SOCKS_CMD_UDP ? "UDPMAP" : "CONNECT";   /* 3proxy's */

	if (r->version == 4 && r->atyp == SOCKS_ATYP_NAME)
		memcpy(c->svcname, "SOC45", 6);
	if (r->atyp == SOCKS_ATYP_NAME) {
		conn_set_host(c, r->host);
		snprintf(text, sizeof(text), "%s %s:%u", verb, r->host,
		    r->port);
	} else if (r->addr.family == AF_INET6) {
		snprintf(text, sizeof(text), "%s [%s]:%u", verb,
		    pc_addr_ntop(&r->addr, ip, sizeof(ip)), r->port);
	} else {
		snprintf(text, sizeof(text), "%s %s:%u", verb,
		    pc_addr_ntop(&r->addr, ip, sizeof(ip)), r->port);
		conn_set_host(c, ip);
		st->host_is_ip = true;
	}
	conn_set_text(c, text);
}

static void
run_request(struct conn *c, const struct socks_req *r)
{
	struct socks_state *st = c->proto_state;
	struct target_req   t;

	set_text(c, r);
	if (r->cmd == SOCKS_CMD_UDP && r->version != 5) {
		fail(c, SOCKS_E_COMMAND);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.op = r->cmd == SOCKS_CMD_BIND ? PC_OP_BIND :
	    r->cmd == SOCKS_CMD_UDP ? PC_OP_UDPASSOC : PC_OP_CONNECT;
	t.no_connect = r->cmd != SOCKS_CMD_CONNECT;
	st->cmd = r->cmd;
	st->want = r->addr;
	st->want.port = r->port;
	/* UDP ASSOCIATE's address is the client's own (a hint), never a
	 * target to resolve; PySocks sends the name "0" there */
	t.host = r->atyp == SOCKS_ATYP_NAME && r->cmd != SOCKS_CMD_UDP ?
	    r->host : NULL;
	t.addr = r->addr;
	t.port = r->port;
	if (r->cmd == SOCKS_CMD_UDP && r->atyp == SOCKS_ATYP_NAME) {
		memset(&t.addr, 0, sizeof(t.addr));
		t.addr.family = AF_INET;        /* 0.0.0.0: no address */
		st->want = t.addr;
		st->want.port = r->port;
	}
	if (st->userpass) {
		t.user = st->up.user;
		t.pass = st->up.pass;
	} else if (r->version == 4 && r->user[0] != '\0' &&
	    wctx.svc->needuser > 0) {
		t.user = r->user;    /* SOCKS4 has a user id, no password */
		snprintf(st->ruser, sizeof(st->ruser), "%s", r->user);
	}
	t.redirect = &st->redirect;
	st->phase = PH_WAIT;
	/* the pipeline owns the connection now; early data stays queued
	 * (socks_io stops reading only when some arrives: most clients wait
	 * for the reply, and the relay wants EPOLLIN again anyway) */
	ev_timer_stop(&c->timer);
	request_start(c, &t, request_done);
}

static void
consume(struct socks_state *st, size_t n)
{
	memmove(st->buf, st->buf + n, st->len - n);
	st->len = (uint16_t)(st->len - n);
}

/* One message if complete: > 0 consumed (or moved to PH_WAIT), 0 need
 * more, < 0 the connection was closed. */
static long
step(struct conn *c)
{
	struct socks_state    *st = c->proto_state;
	struct socks5_greeting g;
	struct socks_req       r;
	uint8_t                out[2];
	long                   k = 0;
	int                    v;

	switch (st->phase) {
	case PH_FIRST:
		if ((v = socks_version(st->buf[0])) < 0) {
			conn_close(c, -v);
			return -1;
		}
		st->version = (uint8_t)v;
		memcpy(c->svcname, v == 4 ? "SOCK4" : "SOCK5", 6);
		st->phase = v == 4 ? PH_REQUEST : PH_GREETING;
		return 1;
	case PH_GREETING:
		if ((k = socks5_parse_greeting(st->buf, st->len, &g)) <= 0)
			break;
		out[0] = 5;
		out[1] = socks5_choose_method(&g, wctx.svc->needuser);
		if (reply(c, out, 2) != 0 || out[1] == SOCKS5_METHOD_REFUSE) {
			/* -u2 without username/password: 3proxy's code 4 */
			conn_close(c, out[1] != SOCKS5_METHOD_REFUSE ?
			    SOCKS_E_SHORT : wctx.svc->needuser > 1 && g.noauth ?
			    PC_E_NOCRED : SOCKS_E_METHOD);
			return -1;
		}
		st->phase = out[1] == SOCKS5_METHOD_USERPASS ? PH_USERPASS :
		    PH_REQUEST;
		break;
	case PH_USERPASS:
		if ((k = socks5_parse_userpass(st->buf, st->len, &st->up)) < 0) {
			out[0] = 1;
			out[1] = 1;
			(void)reply(c, out, 2);
			conn_close(c, (int)-k);
			return -1;
		}
		if (k == 0)
			break;
		st->userpass = true;
		out[0] = 1;
		out[1] = 0;
		if (reply(c, out, 2) != 0) {
			conn_close(c, SOCKS_E_SHORT);
			return -1;
		}
		st->phase = PH_REQUEST;
		break;
	case PH_REQUEST:
		k = st->version == 4 ? socks4_parse_request(st->buf, st->len, &r) :
		    socks5_parse_request(st->buf, st->len, &r);
		if (k > 0) {
			consume(st, (size_t)k);
			run_request(c, &r);
			return -1;   /* nothing more to parse here */
		}
		break;
	default:
		return 0;
	}
	if (k < 0) {
		fail(c, (int)-k);
		return -1;
	}
	if (k > 0)
		consume(st, (size_t)k);
	return k;
}

static void
socks_io(struct ev_io *io, uint32_t revents)
{
	struct conn        *c = io->arg;
	struct socks_state *st = c->proto_state;
	ssize_t             n;
	long                k;

	if (c->closing)
		return;
	if (st->phase == PH_WAIT) {
		/* early data waits in the socket for the relay; an error
		 * ends the handshake */
		if (revents & (EPOLLERR | EPOLLHUP))
			conn_close(c, SOCKS_E_SHORT);
		else if (ev_io_mod(&c->cio, 0) != 0)
			conn_close(c, PC_E_SYSTEM);
		return;
	}
	n = read(c->cfd, st->buf + st->len, sizeof(st->buf) - st->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c, SOCKS_E_SHORT);
		return;
	}
	st->len = (uint16_t)(st->len + n);
	while (st->len > 0) {
		k = step(c);
		/* the pipeline may have finished at once and handed the
		 * connection over (BIND, UDP, redirection): st is gone */
		if (c->closing || c->proto != &proto_socks)
			return;
		if (k <= 0)
			break;
	}
	if (st->phase == PH_WAIT)
		return;
	if (st->len == sizeof(st->buf)) {    /* cannot be a valid message */
		fail(c, SOCKS_E_FIELD);
		return;
	}
	ev_timer_start(&c->timer, timeout_ms(st->len ? PC_TIMEOUT_STRING_SHORT :
	    PC_TIMEOUT_BYTE_LONG), socks_timeout, c);
}

static void
socks_drain(struct conn *c)
{
	/* a handshake is short; a relayed tunnel is the relay's business */
	(void)c;
}

static void
socks_release(struct conn *c)
{
	free(c->proto_state);
	c->proto_state = NULL;
}

const struct proto proto_socks = {
	.logname = "SOCKS",
	.start = socks_start,
	.drain = socks_drain,
	.release = socks_release,
};
