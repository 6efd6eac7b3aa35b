/*
 * The `proxy` service: an HTTP/1.x forward proxy (absolute-URI requests,
 * transparent origin-form requests with Host, CONNECT tunnels) with
 * keep-alive on both sides.  This file reads request heads, runs the
 * request pipeline (request.h) and answers errors; http_exchange.c moves a
 * request and its response; the pure parts are http_parse.c, http_body.c,
 * http_rewrite.c and http_error.c.
 *
 * %E codes of our own (http_parse.h): 511-520 malformed requests (400,
 * 414, 431, 505), 519 no usable response from the server (502), 999
 * unsupported (501); 92 idle timeout, 95 the client went away mid-request,
 * 96 the server cut a response short.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "worker/proto/http/http_conn.h"
#include "worker/wire/http_error.h"
#include "worker/wire/http_rewrite.h"
#include "worker/net/redirect.h"
#include "worker/net/relay.h"
#include "worker/net/request.h"
#include "worker/proto/proto.h"

static void request_done(struct conn *c, enum pc_ecode code);
static void text_from_line(struct conn *c, const char *p, size_t n);

static void
http_timer(struct ev_timer *t)
{
	struct conn       *c = t->arg;
	struct http_state *st = c->proto_state;
	uint64_t           now = ev_now();

	if (c->closing)
		return;
	if (now < st->deadline) {   /* activity moved the deadline on */
		ev_timer_start(&c->timer, st->deadline - now, http_timer, c);
		return;
	}
	switch (st->phase) {
	case HP_HEAD:
		/* an idle kept-alive client has nothing left to log; a request
		 * racing with the timeout meets EOF, not a reset */
		if (st->in.len > 0)
			text_from_line(c, st->in.p, st->in.len);
		conn_linger(c, st->in.len == 0 ? PC_E_NOLOG : PC_E_TIMEOUT);
		break;
	case HP_EXCHANGE:
		http_fail(c, PC_E_TIMEOUT, true);
		break;
	case HP_CLOSING:
		conn_close(c, st->close_code);
		break;
	default:
		break;
	}
}

/* Timeouts are lazy: activity only moves st->deadline; the timer is
 * re-armed when it fires early or when the new deadline is sooner. */
void
http_arm(struct conn *c, int which)
{
	struct http_state *st = c->proto_state;
	uint64_t           ms = (uint64_t)wctx.cfg->timeouts[which] * 1000;

	st->deadline = ev_now() + ms;
	if (!ev_timer_armed(&c->timer) || c->timer.when > st->deadline)
		ev_timer_start(&c->timer, ms, http_timer, c);
}

static void
http_start(struct conn *c)
{
	struct http_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	st->phase = HP_HEAD;
	st->first = true;
	c->proto_state = st;
	if (ev_io_add(&c->cio, c->cfd, EPOLLIN, http_client_io, c) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	http_arm(c, PC_TIMEOUT_STRING_LONG);
}

static void parse_head(struct conn *c);

void
http_takeover(struct conn *c, const void *early, size_t n, const char *user,
    const char *pass)
{
	struct http_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	st->phase = HP_HEAD;
	st->first = true;
	st->redirected = true;
	c->proto = &proto_http;
	c->proto_state = st;
	if (user != NULL) {
		size_t ul = strlen(user) + 1;
		size_t pl = (pass != NULL ? strlen(pass) : 0) + 1;

		if ((st->redir_cred = calloc(1, ul + pl)) == NULL) {
			conn_close(c, PC_E_NOMEM);
			return;
		}
		memcpy(st->redir_cred, user, ul);
		if (pass != NULL)
			memcpy(st->redir_cred + ul, pass, pl);
	}
	if (n > 0) {
		if (hbuf_alloc(&st->in) != 0 ||
		    hbuf_grow(&st->in, (uint32_t)n) != 0) {
			conn_close(c, PC_E_NOMEM);
			return;
		}
		memcpy(st->in.p, early, n);
		st->in.len = (uint32_t)n;
	}
	if (ev_io_take(&c->cio, c->cfd, EPOLLIN, http_client_io, c) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	c->start_ms = ev_wallclock_ms();
	http_arm(c, PC_TIMEOUT_STRING_LONG);
	if (n > 0)
		parse_head(c);
}

/* %T for a request that never parsed: its first line, cut short. */
static void
text_from_line(struct conn *c, const char *p, size_t n)
{
	char   line[256];
	size_t k = 0;

	while (k < n && k < sizeof(line) - 1 && p[k] != '\r' && p[k] != '\n' &&
	    p[k] != '\0') {
		line[k] = p[k];
		k++;
	}
	line[k] = '\0';
	conn_set_text(c, line);
}

/* The error page is out: stop sending and read what the client still
 * sends until it closes (or LINGER passes), so that closing with unread
 * bytes does not reset the connection before the page was read. */
void
http_linger(struct conn *c)
{
	struct http_state *st = c->proto_state;

	if (st->client_eof || shutdown(c->cfd, SHUT_WR) != 0) {
		conn_close(c, st->close_code);
		return;
	}
	st->lingering = true;
	hbuf_free(&st->in);
	http_arm(c, PC_TIMEOUT_LINGER);
	http_update_events(c);
}

void
http_fail(struct conn *c, int code, bool timed_out)
{
	struct http_state *st = c->proto_state;
	char               page[HTTP_ERROR_MAX];
	size_t             n;

	/* once a response is under way there is no way to report */
	if (st->sent_any || st->down.off > 0 || st->phase == HP_TUNNEL) {
		conn_close(c, code);
		return;
	}
	if (c->sfd >= 0)
		conn_close_server(c);
	n = http_error_page(http_error_status(code, timed_out), page,
	    sizeof(page));
	free(st->down.p);
	st->down.p = NULL;
	st->down.len = st->down.off = 0;
	hbuf_free(&st->resp);
	st->phase = HP_CLOSING;
	st->close_code = code;
	if ((st->down.p = malloc(n)) == NULL) {
		conn_close(c, code);
		return;
	}
	memcpy(st->down.p, page, n);
	st->down.len = (uint32_t)n;
	/* the page leaves after its record (conn_after_log): a client that
	 * has read it finds it logged even if the worker dies now */
	if (code >= 0)
		conn_log(c, code);
	c->logged = true;
	conn_after_log(c, http_flush_down);
	http_arm(c, PC_TIMEOUT_LINGER);
	http_update_events(c);
}

static uint32_t
op_of(enum http_method m)
{
	switch (m) {
	case HTTP_M_GET:     return PC_OP_HTTP_GET;
	case HTTP_M_HEAD:    return PC_OP_HTTP_HEAD;
	case HTTP_M_POST:    return PC_OP_HTTP_POST;
	case HTTP_M_PUT:     return PC_OP_HTTP_PUT;
	case HTTP_M_CONNECT: return PC_OP_HTTP_CONNECT;
	default:             return PC_OP_HTTP_OTHER;
	}
}

/* Credentials from Proxy-Authorization, kept as "user\0pass\0" until the
 * exchange ends (a retry on a fresh server connection needs them).  -1
 * when out of memory. */
static int
take_credentials(struct http_state *st, const char *buf,
    const struct http_req *r)
{
	char   user[256], pass[256];
	size_t ul, pl;

	if (r->proxy_auth < 0 || http_basic_credentials(
	    buf + r->m.hdrs[r->proxy_auth].value.off,
	    r->m.hdrs[r->proxy_auth].value.len, user, sizeof(user), pass,
	    sizeof(pass)) != 0) {
		/* redirected from SOCKS: the login given there */
		if (st->redir_cred != NULL) {
			ul = strlen(st->redir_cred) + 1;
			pl = strlen(st->redir_cred + ul) + 1;
			if ((st->cred = malloc(ul + pl)) == NULL)
				return -1;
			memcpy(st->cred, st->redir_cred, ul + pl);
		}
		return 0;
	}
	ul = strlen(user) + 1;
	pl = strlen(pass) + 1;
	if ((st->cred = malloc(ul + pl)) != NULL) {
		memcpy(st->cred, user, ul);
		memcpy(st->cred + ul, pass, pl);
	}
	explicit_bzero(pass, sizeof(pass));
	return st->cred != NULL ? 0 : -1;
}

static void
drop_credentials(struct http_state *st)
{
	if (st->cred != NULL) {
		explicit_bzero(st->cred, strlen(st->cred) + 1 +
		    strlen(st->cred + strlen(st->cred) + 1));
		free(st->cred);
		st->cred = NULL;
	}
}

/* Runs the pipeline for st->host:st->port.  May call back before it
 * returns; the caller must not touch the connection afterwards. */
static void
run_pipeline(struct conn *c, bool reuse)
{
	struct http_state *st = c->proto_state;
	struct target_req  t;

	memset(&t, 0, sizeof(t));
	t.op = st->op;
	t.port = st->port;
	/* an address in the URL is an address for the ACL, not a name */
	if (pc_addr_parse(st->host, &t.addr) != 0)
		t.host = st->host;
	if (st->cred != NULL) {
		t.user = st->cred;
		t.pass = st->cred + strlen(st->cred) + 1;
	}
	t.no_connect = reuse;
	t.proxyform = st->op != PC_OP_HTTP_CONNECT;
	t.parent = t.proxyform ? &st->parent : NULL;
	/* what an `http` parent needed belongs to its server connection: a
	 * new one (a direct connect, a chain) starts without it */
	if (!reuse)
		chain_parent_clear(&st->parent);
	t.redirected = st->redirected;
	t.http_tunnel = st->op == PC_OP_HTTP_CONNECT;
	st->reused = reuse;
	st->phase = HP_PIPELINE;
	st->pipeline_ms = ev_now();
	ev_timer_stop(&c->timer);
	http_update_events(c);
	request_start(c, &t, request_done);
}

void
http_retry(struct conn *c)
{
	struct http_state *st = c->proto_state;

	st->retried = true;
	conn_close_server(c);
	st->srv_host[0] = '\0';
	st->up.off = 0;
	run_pipeline(c, false);
}

/* Request line, target and credentials of a parsed head; then either a
 * tunnel or a forwarded request. */
static void
start_request(struct conn *c, const struct http_req *r)
{
	struct http_state *st = c->proto_state;
	const char        *buf = st->in.p;
	bool               reuse;

	memcpy(st->host, buf + r->host.off, r->host.len);
	st->host[r->host.len] = '\0';
	st->port = r->port;
	st->op = op_of(r->method);
	/* %n: the name or IPv4 text as the client wrote it (3proxy's
	 * hostname); an IPv6 literal is bracketed from the address */
	conn_set_host(c, r->host_v6 ? NULL : st->host);
	if (take_credentials(st, buf, r) != 0) {
		http_fail(c, PC_E_NOMEM, false);
		return;
	}
	/* -u2 (3proxy's needuser 2): no user, no request */
	if (st->cred == NULL && (request_needs_password() ||
	    wctx.svc->needuser == 2)) {
		http_fail(c, PC_E_NOCRED, false);
		return;
	}
	st->in.off = st->in.fwd = r->m.head_len;
	st->head_req = r->method == HTTP_M_HEAD;
	st->client_v10 = r->m.vminor == 0;
	st->client_keep = !st->draining && (st->client_v10 ?
	    r->m.conn_keepalive && !r->m.conn_close : !r->m.conn_close);
	if (r->method != HTTP_M_CONNECT) {
		st->req_body = (uint8_t)http_req_body(r);
		st->req_left = (uint64_t)(r->m.content_length > 0 ?
		    r->m.content_length : 0);
		st->req_done = st->req_body == HTTP_BODY_NONE;
		http_chunked_init(&st->req_ck);
		uint32_t rnd = 0;
		char     ident[HTTP_IDENT_MAX];

		if (wctx.svc->anonymous == 2 &&
		    getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			rnd = (uint32_t)ev_wallclock_ms() * 2654435761u;
		(void)http_ident_lines(wctx.svc->anonymous, &c->client,
		    c->local.port, wctx.hostname, rnd, ident, sizeof(ident));
		if ((st->up.p = malloc(http_req_out_size(r) +
		    strlen(ident))) == NULL) {
			http_fail(c, PC_E_NOMEM, false);
			return;
		}
		st->up.len = (uint32_t)http_req_build_extra(buf, r,
		    st->client_keep, ident[0] != '\0' ? ident : NULL,
		    st->up.p);
		st->up.off = 0;
		st->up_proxy = false;
	}
	reuse = c->sfd >= 0 && r->method != HTTP_M_CONNECT &&
	    st->srv_port == st->port && strcasecmp(st->srv_host, st->host) == 0;
	if (c->sfd >= 0 && !reuse) {
		conn_close_server(c);
		hbuf_free(&st->resp);
	}
	st->retried = false;
	run_pipeline(c, reuse);
}

/* Sets %T from the request line (as received, cut to the log limit). */
static void
set_text(struct conn *c, const char *buf, struct http_span line)
{
	char   text[4096];
	size_t n = line.len < sizeof(text) - 1 ? line.len : sizeof(text) - 1;

	memcpy(text, buf + line.off, n);
	text[n] = '\0';
	conn_set_text(c, text);
}

/* %T of an origin-form request (transparent, or redirected from SOCKS):
 * the URL it stands for, "GET http://host:port/path HTTP/1.1", so logs
 * show what was fetched as they do for proxy-form requests. */
static void
set_text_url(struct conn *c, const char *buf, const struct http_req *r)
{
	char   text[4096];
	int    k;

	k = snprintf(text, sizeof(text), "%.*s http://%.*s%.*s %.8s",
	    (int)r->mtext.len, buf + r->mtext.off,
	    (int)r->authority.len, buf + r->authority.off,
	    (int)r->path.len, buf + r->path.off,
	    buf + r->m.line.off + r->m.line.len - 8);
	if (k < 0)
		return;
	conn_set_text(c, text);
}

static void
parse_head(struct conn *c)
{
	struct http_state *st = c->proto_state;
	struct http_req    r;
	uint32_t           skip = 0;
	long               n;
	int                code;

	/* empty lines before a request line are ignored (RFC 9112 2.2) */
	while (skip < st->in.len && (st->in.p[skip] == '\r' ||
	    st->in.p[skip] == '\n'))
		skip++;
	if (skip > 0) {
		st->in.off = skip;
		hbuf_compact(&st->in);
		st->scan = (struct http_scan){ 0, 0 };
		st->line_ok = false;
		if (st->in.len == 0)
			return;
	}
	n = http_head_scan(&st->scan, st->in.p, st->in.len, HTTP_MAX_LINE,
	    HTTP_MAX_HEAD);
	if (n == 0) {
		/* refuse garbage once its first line is in */
		if (!st->line_ok && st->scan.line_start > 0) {
			if ((code = http_check_request_line(st->in.p,
			    st->scan.line_start)) != 0) {
				text_from_line(c, st->in.p, st->in.len);
				http_fail(c, code, false);
				return;
			}
			st->line_ok = true;
		}
		if (st->in.len == st->in.cap &&
		    hbuf_grow(&st->in, HTTP_MAX_HEAD) != 0)
			http_fail(c, PC_E_NOMEM, false);
		return;
	}
	if (n < 0) {
		text_from_line(c, st->in.p, st->in.len);
		http_fail(c, (int)-n, false);
		return;
	}
	code = http_parse_request(st->in.p, (size_t)n, &r);
	if (code == 0 && r.form == HTTP_FORM_ORIGIN)
		set_text_url(c, st->in.p, &r);
	else if (r.m.line.len > 0)
		set_text(c, st->in.p, r.m.line);
	else
		text_from_line(c, st->in.p, (size_t)n);
	if (code == 0 && r.ftp)
		code = http_ftp_start(c, st->in.p, &r);
	if (code != 0) {
		http_fail(c, code, false);
		return;
	}
	if (r.ftp)
		return;
	start_request(c, &r);
}

static void
tunnel(struct conn *c)
{
	static const char  ok[] = "HTTP/1.0 200 Connection established\r\n\r\n";
	struct http_state *st = c->proto_state;

	if (conn_send(c->cfd, ok, sizeof(ok) - 1) != sizeof(ok) - 1) {
		conn_close(c, PC_E_CLIENT_CLOSED);
		return;
	}
	st->phase = HP_TUNNEL;
	ev_timer_stop(&c->timer);
	drop_credentials(st);
	/* relay_start copies the bytes the client sent after its header */
	relay_start(c, st->in.p + st->in.off, st->in.len - st->in.off, NULL,
	    0, 0);
	if (!c->closing)
		hbuf_free(&st->in);
}

/* A connect that failed by timeout is told apart for the 504 reply: a
 * refused connect fails at once, a timed out one only after the CONNECT
 * timeout has passed since the pipeline started. */
static bool
connect_timed_out(const struct conn *c, int code)
{
	const struct http_state *st = c->proto_state;

	/* 100 ms of slack for timer granularity */
	return code == PC_E_CONNECT && ev_now() - st->pipeline_ms + 100 >=
	    (uint64_t)wctx.cfg->timeouts[PC_TIMEOUT_CONNECT] * 1000;
}

/* The request goes to an `http` parent: absolute form, its credentials. */
static int
to_proxy_form(struct conn *c)
{
	struct http_state *st = c->proto_state;
	size_t             cap = st->up.len + strlen(st->host) + 64 +
	    (st->parent.auth != NULL ? strlen(st->parent.auth) + 32 : 0);
	char              *p = malloc(cap);
	size_t             n;

	if (p == NULL)
		return -1;
	n = http_req_proxy_form(st->up.p, st->up.len, st->parent.auth, p,
	    cap);
	if (n == 0) {
		free(p);
		return -1;
	}
	free(st->up.p);
	st->up.p = p;
	st->up.len = (uint32_t)n;
	st->up_proxy = true;
	return 0;
}

static void
request_done(struct conn *c, enum pc_ecode code)
{
	struct http_state *st = c->proto_state;

	if (code != 0) {
		http_fail(c, code, connect_timed_out(c, code));
		return;
	}
	if (st->op == PC_OP_HTTP_CONNECT) {
		tunnel(c);
		return;
	}
	if (st->reused && c->sfd < 0) {
		/* the kept connection closed while the pipeline ran */
		http_retry(c);
		return;
	}
	if (st->parent.via_http && !st->up_proxy && to_proxy_form(c) != 0) {
		http_fail(c, PC_E_NOMEM, false);
		return;
	}
	if (!st->reused) {
		memcpy(st->srv_host, st->host, sizeof(st->srv_host));
		st->srv_port = st->port;
		if (ev_io_take(&c->sio, c->sfd, EPOLLIN, http_server_io,
		    c) != 0) {
			http_fail(c, PC_E_SYSTEM, false);
			return;
		}
	}
	http_exchange_begin(c);
}

/* The exchange is over and the client stays: wait for the next request,
 * or parse the one it already pipelined. */
void
http_next_request(struct conn *c)
{
	struct http_state *st = c->proto_state;

	st->phase = HP_HEAD;
	st->first = false;
	st->scan = (struct http_scan){ 0, 0 };
	st->line_ok = false;
	if (st->in.p != NULL && st->in.fwd < st->in.len) {
		st->in.off = st->in.fwd;
		hbuf_compact(&st->in);
		c->start_ms = ev_wallclock_ms();
		http_arm(c, PC_TIMEOUT_STRING_LONG);
		parse_head(c);
		return;
	}
	hbuf_free(&st->in);
	http_arm(c, PC_TIMEOUT_CONN_SHORT);
}

static void
client_gone(struct conn *c, bool eof)
{
	struct http_state *st = c->proto_state;

	switch (st->phase) {
	case HP_HEAD:
		conn_close(c, st->in.len == 0 ? PC_E_NOLOG :
		    PC_E_CLIENT_CLOSED);
		break;
	case HP_PIPELINE:
	case HP_EXCHANGE:
		/* a half-close after a whole request still gets its answer */
		if (eof && st->req_done && st->op != PC_OP_HTTP_CONNECT)
			st->client_eof = true;
		else
			conn_close(c, PC_E_CLIENT_CLOSED);
		break;
	default:
		conn_close(c, st->close_code);
		break;
	}
}

static void
read_client(struct conn *c)
{
	struct http_state *st = c->proto_state;
	ssize_t            n;
	size_t             cap;
	bool               body;

	if (st->lingering) {
		char sink[4096];

		n = read(c->cfd, sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c, st->close_code);
		return;
	}
	if (hbuf_alloc(&st->in) != 0) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	if (st->in.len == st->in.cap && st->phase != HP_HEAD)
		hbuf_compact(&st->in);
	if ((cap = hbuf_room(&st->in)) == 0)
		return;
	/* a request body is held by bandlimout as a tunnel's upload is */
	body = st->phase == HP_EXCHANGE && !st->req_done;
	if (body && http_bl_gate_up(c, &cap))
		return;
	n = read(c->cfd, st->in.p + st->in.len, cap);
	if (body && n > 0)
		bl_grant_used(&c->bl_out, &st->bl_up, (size_t)n);
	else if (body)
		bl_grant_idle(&c->bl_out, &st->bl_up);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (st->phase == HP_HEAD && st->in.len == 0)
			hbuf_free(&st->in);
		return;
	}
	if (n <= 0) {
		client_gone(c, n == 0);
		return;
	}
	if (st->in.len == 0 && st->phase == HP_HEAD) {
		c->start_ms = ev_wallclock_ms();
		http_arm(c, PC_TIMEOUT_STRING_LONG);
	}
	st->in.len += (uint32_t)n;
	if (st->phase == HP_HEAD)
		parse_head(c);
	else if (st->phase == HP_EXCHANGE)
		http_client_readable(c);
	if (body && !c->closing && st->req_done)
		bl_grant_idle(&c->bl_out, &st->bl_up);  /* the rest to others */
}

void
http_client_io(struct ev_io *io, uint32_t revents)
{
	struct conn       *c = io->arg;
	struct http_state *st = c->proto_state;

	if (c->closing || st->phase == HP_TUNNEL || st->phase == HP_FTP)
		return;
	if (revents & EPOLLOUT) {
		http_flush_down(c);
		if (c->closing)
			return;
	}
	if (st->client_eof && (revents & (EPOLLERR | EPOLLHUP))) {
		conn_close(c, PC_E_CLIENT_CLOSED);
		return;
	}
	if ((revents & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !st->client_eof) {
		read_client(c);
		if (c->closing)
			return;
	}
	http_update_events(c);
}

void
http_update_events(struct conn *c)
{
	struct http_state *st = c->proto_state;
	bool               down = st->down.off < st->down.len ||
	    st->resp.off < st->resp.fwd;
	bool               up = st->up.off < st->up.len ||
	    st->in.off < st->in.fwd;
	uint32_t           ce = 0, se = 0;

	if (c->closing || st->phase == HP_TUNNEL || st->phase == HP_FTP)
		return;
	/* a request body waits while its bandlimout pipes are busy */
	if (st->phase != HP_CLOSING && !st->client_eof &&
	    (st->in.p == NULL || st->in.len < st->in.cap || st->in.off > 0) &&
	    (st->phase != HP_EXCHANGE || st->bl_up.wait_until <= ev_now()))
		ce |= EPOLLIN;
	if (st->lingering)
		ce = EPOLLIN;
	if (down)
		ce |= EPOLLOUT;
	if ((c->cio.events & (EPOLLIN | EPOLLOUT)) != ce &&
	    ev_io_mod(&c->cio, ce) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	if (c->sfd < 0 || !c->sio.active)
		return;
	/* read the server only while the response has somewhere to go (and
	 * its bandwidth pipes let it) */
	if ((st->resp.p == NULL || st->resp.len < st->resp.cap ||
	    st->resp.off > 0) && st->bl.wait_until <= ev_now())
		se |= EPOLLIN;
	if (up && st->phase == HP_EXCHANGE)
		se |= EPOLLOUT;
	if ((c->sio.events & (EPOLLIN | EPOLLOUT)) != se &&
	    ev_io_mod(&c->sio, se) != 0)
		conn_close(c, PC_E_SYSTEM);
}

static void
http_drain(struct conn *c)
{
	struct http_state *st = c->proto_state;

	if (st == NULL || c->closing)
		return;
	st->draining = true;
	st->client_keep = false;
	/* an idle kept-alive client goes now, by a lingering close, unless
	 * its next request is already in the socket (then it is answered,
	 * with Connection: close); a fresh one has its request on the way
	 * (accepted just before the drain) and is served */
	if (st->phase == HP_HEAD && st->in.len == 0 && !st->first &&
	    recv(c->cfd, &(char){ 0 }, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
		conn_linger(c, PC_E_NOLOG);
}

static void
http_release(struct conn *c)
{
	struct http_state *st = c->proto_state;

	if (st == NULL)
		return;
	drop_credentials(st);
	chain_parent_clear(&st->parent);
	http_ftp_release(c);
	bl_grant_idle(&c->bl_in, &st->bl);
	ev_timer_stop(&st->bl_timer);
	bl_grant_idle(&c->bl_out, &st->bl_up);
	ev_timer_stop(&st->bl_up_timer);
	if (st->redir_cred != NULL) {
		size_t ul = strlen(st->redir_cred) + 1;

		explicit_bzero(st->redir_cred, ul +
		    strlen(st->redir_cred + ul) + 1);
		free(st->redir_cred);
	}
	hbuf_free(&st->in);
	hbuf_free(&st->resp);
	free(st->up.p);
	free(st->down.p);
	free(st);
	c->proto_state = NULL;
}

const struct proto proto_http = {
	.logname = "PROXY",
	.start = http_start,
	.drain = http_drain,
	.release = http_release,
};
