/*
 * The line-gateway skeleton (linegw.h): greeting, client lines, the
 * pipeline, the server's frames up to the login, hand-over to the relay,
 * and the failures in between, for every protocol that brings an ops
 * table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/net/relay.h"
#include "worker/proto/linegw.h"
#include "worker/wire/text.h"

static void client_io(struct ev_io *io, uint32_t revents);
static void client_lines(struct conn *c);

void
linegw_say(struct conn *c, const char *line)
{
	(void)conn_send(c->cfd, line, strlen(line));
}

const char *
linegw_reply(const struct linegw_ops *ops, int code)
{
	const struct linegw_reply *r = ops->errors;

	while (r->lo != 0 && (code < r->lo || code > r->hi))
		r++;
	return r->line;
}

void
linegw_set_tag(struct conn *c, const char *tag, size_t n)
{
	struct linegw *g = linegw_of(c);

	if (n > LINEGW_TAG_MAX)
		n = LINEGW_TAG_MAX;
	memcpy(g->tag, tag, n);
	g->tag[n] = '\0';
}

/* reply[0..n) to the client, after the tag when there is one. */
static void
say_tagged(struct conn *c, const void *reply, size_t n)
{
	struct linegw *g = linegw_of(c);
	uint8_t        out[LINEGW_TAG_MAX + LINEGW_FRAME_MAX];
	size_t         t = strlen(g->tag);

	if (t == 0 || n > LINEGW_FRAME_MAX) {
		(void)conn_send(c->cfd, reply, n);
		return;
	}
	memcpy(out, g->tag, t);
	memcpy(out + t, reply, n);
	(void)conn_send(c->cfd, out, t + n);
}

void
linegw_hang_up(struct conn *c, const char *line, int code)
{
	struct linegw *g = linegw_of(c);

	if (line != NULL)
		linegw_say(c, line);
	if (g->logged && (code == 0 || code == g->ops->e_idle))
		code = -1;
	conn_close(c, code);
}

void
linegw_fail_reply(struct conn *c, int code, const void *reply, size_t n)
{
	struct linegw           *g = linegw_of(c);
	const struct linegw_ops *ops = g->ops;

	if (ops->tries == 0) {
		say_tagged(c, reply, n);
		conn_close(c, code);
		return;
	}
	conn_close_server(c);
	ev_timer_stop(&c->timer);
	say_tagged(c, reply, n);
	if (ops->reset != NULL)
		ops->reset(c);
	g->slen = 0;
	if (++g->fails >= ops->tries) {
		linegw_say(c, ops->tries_reply);
		conn_close(c, code);
		return;
	}
	conn_log(c, code);
	g->logged = true;
	linegw_resume(c);
}

void
linegw_fail(struct conn *c, int code)
{
	const char *line = linegw_reply(linegw_of(c)->ops, code);

	linegw_fail_reply(c, code, line, strlen(line));
}

int
linegw_other(struct conn *c, const char *reply)
{
	struct linegw *g = linegw_of(c);

	if (++g->others > LINEGW_OTHERS) {
		linegw_say(c, g->ops->others_reply);
		conn_close(c, g->ops->e_idle);
		return 0;
	}
	linegw_say(c, reply);
	return 1;
}

static void
timeout(struct ev_timer *t)
{
	struct conn             *c = t->arg;
	struct linegw           *g = linegw_of(c);
	const struct linegw_ops *ops = g->ops;
	const char              *line;

	if (g->phase >= LG_UPSTREAM) {
		line = ops->server_reply != NULL ? ops->server_reply :
		    linegw_reply(ops, ops->e_server);
		linegw_fail_reply(c, ops->e_server, line, strlen(line));
		return;
	}
	linegw_hang_up(c, ops->idle_reply != NULL ? ops->idle_reply :
	    linegw_reply(ops, ops->e_idle), ops->e_idle);
}

void
linegw_arm(struct conn *c, int which)
{
	ev_timer_start(&c->timer, (uint64_t)wctx.cfg->timeouts[which] * 1000,
	    timeout, c);
}

static void
consume(uint8_t *buf, uint16_t *len, size_t n)
{
	memmove(buf, buf + n, *len - n);
	*len = (uint16_t)(*len - n);
}

/* The state, the greeting and the first timeout: the state or NULL
 * (closed). */
static struct linegw *
state_new(struct conn *c, const struct linegw_ops *ops)
{
	size_t         n = strlen(ops->greeting);
	struct linegw *g = calloc(1, sizeof(*g) + ops->priv_size + ops->cbuf +
	    ops->sbuf);

	if (g == NULL) {
		conn_close(c, PC_E_NOMEM);
		return NULL;
	}
	g->ops = ops;
	g->priv = g + 1;
	g->cbuf = (uint8_t *)g->priv + ops->priv_size;
	g->sbuf = g->cbuf + ops->cbuf;
	c->proto_state = g;
	if (conn_send(c->cfd, ops->greeting, n) != (ssize_t)n) {
		conn_close(c, ops->e_greeting);
		return NULL;
	}
	linegw_arm(c, PC_TIMEOUT_STRING_SHORT);
	return g;
}

void
linegw_start(struct conn *c, const struct linegw_ops *ops)
{
	if (state_new(c, ops) == NULL)
		return;
	if (ev_io_add(&c->cio, c->cfd, EPOLLIN, client_io, c) != 0)
		conn_close(c, PC_E_SYSTEM);
}

void
linegw_takeover(struct conn *c, const struct linegw_ops *ops,
    const void *early, size_t n, const char *user, const char *pass)
{
	struct linegw *g;

	c->proto = ops->proto;
	if ((g = state_new(c, ops)) == NULL)
		return;
	if (n > ops->cbuf) {
		linegw_fail(c, ops->e_long);
		return;
	}
	g->redirected = true;
	/* a login without a server goes to the SOCKS target */
	g->dflt_port = c->req.port;
	g->dflt_addr = c->req;
	g->dflt_host = c->host;
	c->host = NULL;
	if (user != NULL)
		snprintf(g->cuser, sizeof(g->cuser), "%s", user);
	if (pass != NULL)
		snprintf(g->cpass, sizeof(g->cpass), "%s", pass);
	memcpy(g->cbuf, early, n);
	g->clen = (uint16_t)n;
	c->start_ms = ev_wallclock_ms();
	if (ev_io_take(&c->cio, c->cfd, EPOLLIN, client_io, c) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	client_lines(c);
}

void
linegw_drain(struct conn *c)
{
	struct linegw *g = linegw_of(c);

	if (g != NULL && g->ops->drain != NULL)
		g->ops->drain(c);
}

void
linegw_release(struct conn *c)
{
	struct linegw *g = linegw_of(c);

	if (g == NULL)
		return;
	if (g->ops->release != NULL)
		g->ops->release(c);
	free(g->dflt_host);
	explicit_bzero(g, sizeof(*g) + g->ops->priv_size + g->ops->cbuf +
	    g->ops->sbuf);
	free(g);
	c->proto_state = NULL;
}

/* Client lines of the login phase, each one a copy. */
static void
client_lines(struct conn *c)
{
	struct linegw           *g = linegw_of(c);
	const struct linegw_ops *ops = g->ops;
	uint8_t                  ln[LINEGW_LINE_MAX];
	long                     k;
	int                      rc;

	while (g->clen > 0 && g->phase == LG_LOGIN) {
		k = text_line(g->cbuf, g->clen, ops->line_max);
		if (k < 0) {
			linegw_hang_up(c, ops->long_reply != NULL ?
			    ops->long_reply : linegw_reply(ops, ops->e_long),
			    ops->e_long);
			return;
		}
		if (k == 0)
			return;
		/* a copy: a login that fails at once reads the buffer on */
		memcpy(ln, g->cbuf, (size_t)k);
		consume(g->cbuf, &g->clen, (size_t)k);
		rc = ops->line(c, ln, (size_t)k);
		explicit_bzero(ln, (size_t)k);
		if (rc == 0)
			return;
	}
}

static void
client_io(struct ev_io *io, uint32_t revents)
{
	struct conn   *c = io->arg;
	struct linegw *g = linegw_of(c);
	ssize_t        n;

	if (c->closing || g == NULL)
		return;
	if (g->phase != LG_LOGIN) {
		/* only errors arrive here while the login runs */
		if (revents & (EPOLLERR | EPOLLHUP))
			linegw_hang_up(c, NULL, g->ops->e_idle);
		return;
	}
	n = read(c->cfd, g->cbuf + g->clen, g->ops->cbuf - g->clen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		linegw_hang_up(c, NULL, g->ops->e_idle);
		return;
	}
	g->clen = (uint16_t)(g->clen + n);
	client_lines(c);
	if (!c->closing && c->proto_state == g && g->phase == LG_LOGIN)
		linegw_arm(c, PC_TIMEOUT_STRING_SHORT);
}

void
linegw_resume(struct conn *c)
{
	struct linegw *g = linegw_of(c);

	g->phase = LG_LOGIN;
	if (ev_io_mod(&c->cio, EPOLLIN) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	linegw_arm(c, PC_TIMEOUT_STRING_SHORT);
	client_lines(c);
}

int
linegw_target(const struct conn *c, const char *host, uint16_t port,
    const char *user, struct target_req *t)
{
	const struct linegw *g = linegw_of(c);

	memset(t, 0, sizeof(*t));
	t->op = PC_OP_CONNECT;
	if (host != NULL && host[0] != '\0') {
		t->port = port;
		if (pc_addr_parse(host, &t->addr) != 0)
			t->host = host;
	} else if (g->dflt_port != 0) {
		t->port = g->dflt_port;
		t->host = g->dflt_host;
		t->addr = g->dflt_addr;
	} else {
		return -1;
	}
	if (g->cuser[0] != '\0') {
		t->user = g->cuser;
		t->pass = g->cpass[0] != '\0' ? g->cpass : NULL;
	} else {
		t->user = user;
	}
	/* the second walk passes over the rules that redirected here */
	t->redirected = g->redirected;
	return 0;
}

const char *
linegw_target_host(const struct target_req *t, char *ip, size_t cap)
{
	return t->host != NULL ? t->host : pc_addr_ntop(&t->addr, ip, cap);
}

int
linegw_send_server(struct conn *c, const void *line, size_t n)
{
	if (n == 0 || conn_send(c->sfd, line, n) != (ssize_t)n) {
		linegw_fail(c, linegw_of(c)->ops->e_send);
		return -1;
	}
	c->bytes_out += n;
	return 0;
}

/* Server frames, one at a time (a server that runs ahead is read in
 * order), while the protocol reads the server. */
static void
server_frames(struct conn *c)
{
	struct linegw           *g = linegw_of(c);
	const struct linegw_ops *ops = g->ops;
	size_t                   max = ops->server_line_max != 0 ?
	    ops->server_line_max : ops->sbuf;
	uint8_t                  fr[LINEGW_FRAME_MAX];
	long                     k;
	int                      code = 0;

	while (!c->closing && c->proto_state == g && g->phase >= LG_UPSTREAM &&
	    g->slen > 0) {
		k = ops->frame != NULL ? ops->frame(g->sbuf, g->slen, max,
		    &code) : text_line(g->sbuf, g->slen, max);
		if (k == 0)
			return;
		if (k < 0) {
			linegw_fail(c, ops->e_server);
			return;
		}
		c->bytes_in += (uint64_t)k;
		memcpy(fr, g->sbuf, (size_t)k);
		consume(g->sbuf, &g->slen, (size_t)k);
		ops->server(c, fr, (size_t)k, code);
		explicit_bzero(fr, (size_t)k);
	}
}

static void
server_io(struct ev_io *io, uint32_t revents)
{
	struct conn   *c = io->arg;
	struct linegw *g = linegw_of(c);
	ssize_t        n;

	(void)revents;
	if (c->closing || g == NULL || g->phase < LG_UPSTREAM)
		return;
	n = read(c->sfd, g->sbuf + g->slen, g->ops->sbuf - g->slen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (g->phase == LG_SESSION && g->ops->server_gone != NULL)
			g->ops->server_gone(c);
		else
			linegw_fail(c, g->ops->e_server);
		return;
	}
	g->slen = (uint16_t)(g->slen + n);
	server_frames(c);
}

static void
connected(struct conn *c, enum pc_ecode code)
{
	struct linegw *g = linegw_of(c);

	if (code != 0) {
		linegw_fail(c, code);
		return;
	}
	g->phase = LG_UPSTREAM;
	g->slen = 0;
	if (ev_io_take(&c->sio, c->sfd, EPOLLIN, server_io, c) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	linegw_arm(c, PC_TIMEOUT_STRING_LONG);
	if (g->ops->connected != NULL)
		g->ops->connected(c);
}

void
linegw_login(struct conn *c, const struct target_req *t)
{
	struct linegw *g = linegw_of(c);
	char           ip[PC_ADDRSTRLEN];

	/* %n of name@127.0.0.1 is the bare address, as 3proxy logs the
	 * server part of the login (an IPv6 one is bracketed) */
	if (t->host == NULL && t->addr.family == AF_INET)
		conn_set_host(c, pc_addr_ntop(&t->addr, ip, sizeof(ip)));
	g->phase = LG_WAIT;
	ev_timer_stop(&c->timer);
	/* the pipeline owns the connection; pipelined bytes stay in cbuf */
	if (ev_io_mod(&c->cio, 0) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	request_start(c, t, connected);
}

void
linegw_relay(struct conn *c)
{
	struct linegw *g = linegw_of(c);

	ev_timer_stop(&c->timer);
	relay_start(c, g->cbuf, g->clen, g->sbuf, g->slen,
	    wctx.cfg->timeouts[PC_TIMEOUT_CONN_SHORT]);
	if (!c->closing)
		linegw_release(c);    /* the relay copied what it needs */
}
