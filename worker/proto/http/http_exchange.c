/*
 * One request/response exchange of the HTTP proxy: the rebuilt request
 * head and the body go up (the body's framing is relayed as-is and only
 * tracked, to find where it ends), the response head is rebuilt and goes
 * down with its body straight out of the read buffer (one sendmsg with the
 * head and the first body bytes, no second copy).  When the response is
 * complete the exchange is logged and the connections are kept or closed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "worker/proto/http/http_conn.h"
#include "worker/wire/http_rewrite.h"

/* Writes head (h) then the buffer's classified bytes [off, fwd) to fd;
 * returns the bytes written, or -1 on a hard error. */
static ssize_t
send2(int fd, struct hout *h, struct hbuf *b)
{
	struct iovec  iov[2];
	struct msghdr msg;
	ssize_t       w;
	uint32_t      k;
	int           n = 0;

	if (h->off < h->len)
		iov[n++] = (struct iovec){ h->p + h->off, h->len - h->off };
	if (b->off < b->fwd)
		iov[n++] = (struct iovec){ b->p + b->off, b->fwd - b->off };
	if (n == 0)
		return 0;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)n;
	w = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	k = h->len - h->off;
	if ((size_t)w < k)
		k = (uint32_t)w;
	h->off += k;
	b->off += (uint32_t)w - k;
	if (b->off == b->fwd && b->fwd == b->len)
		b->off = b->fwd = b->len = 0;   /* all out: reuse from the start */
	return w;
}

/* Marks client bytes that belong to the request body. */
static int
classify_req(struct http_state *st)
{
	struct hbuf *b = &st->in;
	uint32_t     avail = b->len - b->fwd;
	long         k;

	if (st->req_done || avail == 0)
		return 0;
	if (st->req_body == HTTP_BODY_LENGTH) {
		k = (long)(avail < st->req_left ? avail : st->req_left);
		st->req_left -= (uint64_t)k;
		st->req_done = st->req_left == 0;
	} else {
		k = http_chunked_feed(&st->req_ck, (uint8_t *)b->p + b->fwd,
		    avail);
		if (k < 0)
			return HTTP_E_CHUNK;
		st->req_done = http_chunked_done(&st->req_ck);
	}
	b->fwd += (uint32_t)k;
	return 0;
}

static void server_gone(struct conn *c);

static void
flush_up(struct conn *c)
{
	struct http_state *st = c->proto_state;
	ssize_t            w = send2(c->sfd, &st->up, &st->in);

	if (w < 0) {
		server_gone(c);
		return;
	}
	if (w > 0) {
		c->bytes_out += (uint64_t)w;
		if (counters_add(&c->ct_out, (size_t)w)) {
			conn_close(c, PC_E_LIMIT);
			return;
		}
		http_arm(c, PC_TIMEOUT_CONN_SHORT);
	}
}

void
http_exchange_begin(struct conn *c)
{
	struct http_state *st = c->proto_state;

	st->phase = HP_EXCHANGE;
	http_arm(c, PC_TIMEOUT_CONN_SHORT);
	if (classify_req(st) != 0) {
		http_fail(c, HTTP_E_CHUNK, false);
		return;
	}
	flush_up(c);
	if (!c->closing)
		http_update_events(c);
}

void
http_client_readable(struct conn *c)
{
	struct http_state *st = c->proto_state;

	if (classify_req(st) != 0) {
		http_fail(c, HTTP_E_CHUNK, false);
		return;
	}
	flush_up(c);
}

void
http_exchange_reset(struct http_state *st)
{
	free(st->up.p);
	free(st->down.p);
	st->up = (struct hout){ NULL, 0, 0 };
	st->down = (struct hout){ NULL, 0, 0 };
	hbuf_free(&st->resp);
	st->rscan = (struct http_scan){ 0, 0 };
	st->resp_head = st->resp_done = st->sent_any = false;
	st->resp_uncounted = 0;
	st->told_keep = false;
	st->reused = false;
	if (st->cred != NULL) {
		size_t ul = strlen(st->cred) + 1;

		explicit_bzero(st->cred, ul + strlen(st->cred + ul));
		free(st->cred);
		st->cred = NULL;
	}
}

/* Response complete and flushed: log, then keep or close each side. */
static void
finish(struct conn *c)
{
	struct http_state *st = c->proto_state;
	bool               more = st->in.p != NULL && st->in.fwd < st->in.len;
	/* the head promised keep-alive (told_keep): a draining worker still
	 * answers a request the client already pipelined, and closes after
	 * the one answered with Connection: close */
	bool               keep = st->told_keep && st->req_done &&
	    st->up.off == st->up.len && st->in.off == st->in.fwd &&
	    !st->client_eof && (!st->draining || more);

	if (!c->logged)
		conn_log(c, PC_E_OK);
	c->logged = false;
	if (!keep) {
		/* the client may already be sending its next request */
		if (st->client_eof)
			conn_close(c, PC_E_NOLOG);
		else
			conn_linger(c, PC_E_NOLOG);
		return;
	}
	if (!st->srv_keep && c->sfd >= 0) {
		conn_close_server(c);
		st->srv_host[0] = '\0';
	}
	http_exchange_reset(st);
	http_next_request(c);
}

static int
append_down(struct hout *h, const char *p, size_t n)
{
	char *q = realloc(h->p, h->len + n);

	if (q == NULL)
		return -1;
	memcpy(q + h->len, p, n);
	h->p = q;
	h->len += (uint32_t)n;
	return 0;
}

/* The final response head: decide keep-alive and rebuild it. */
static int
final_head(struct http_state *st, const struct http_resp *r)
{
	enum http_body body = http_resp_body(r, st->head_req);
	size_t         cap = http_resp_out_size(r);
	char          *out;

	if (body == HTTP_BODY_CLOSE)
		st->client_keep = false;
	/* RFC 9112 6.1/6.3: framing we had to guess at ends the connection */
	st->srv_keep = st->client_keep && !r->m.conn_close &&
	    (r->m.vminor >= 1 || r->m.conn_keepalive) &&
	    !(r->m.has_te && (r->m.content_length >= 0 || r->m.vminor == 0));
	if ((out = malloc(cap)) == NULL)
		return PC_E_NOMEM;
	cap = http_resp_build(st->resp.p, r, st->client_keep, out);
	st->told_keep = st->client_keep;
	if (append_down(&st->down, out, cap) != 0) {
		free(out);
		return PC_E_NOMEM;
	}
	free(out);
	st->resp_body = (uint8_t)body;
	st->resp_left = (uint64_t)(r->m.content_length > 0 ?
	    r->m.content_length : 0);
	st->resp_done = body == HTTP_BODY_NONE;
	http_chunked_init(&st->resp_ck);
	st->resp_head = true;
	st->resp.off = st->resp.fwd = (uint32_t)r->m.head_len;
	return 0;
}

/* Response heads: 1xx ones are passed on (not to HTTP/1.0 clients, RFC
 * 9110 15.2) and the final one is rebuilt.  0, or an %E code. */
static int
parse_resp_heads(struct conn *c, struct http_state *st)
{
	struct http_resp r;
	long             n;

	while (!st->resp_head) {
		n = http_head_scan(&st->rscan, st->resp.p, st->resp.len,
		    HTTP_MAX_HEAD, HTTP_MAX_HEAD);
		if (n == 0) {
			if (st->resp.len == st->resp.cap &&
			    hbuf_grow(&st->resp, HTTP_MAX_HEAD) != 0)
				return PC_E_NOMEM;
			return 0;
		}
		if (n < 0 || http_parse_response(st->resp.p, (size_t)n, &r) != 0)
			return HTTP_E_RESPONSE;
		/* 3proxy refuses a body the traffic quota cannot take
		 * before sending anything of it: 503, code 10 */
		if (r.status >= 200 && r.m.content_length > 0 && !st->head_req &&
		    (uint64_t)r.m.content_length > counters_room(&c->ct_in))
			return PC_E_LIMIT;
		if (r.status >= 200)
			return final_head(st, &r);
		/* we never ask for an upgrade, so 101 is a broken server */
		if (r.status == 101)
			return HTTP_E_RESPONSE;
		if (!st->client_v10 && append_down(&st->down, st->resp.p,
		    (size_t)n) != 0)
			return PC_E_NOMEM;
		st->resp.off = (uint32_t)n;
		hbuf_compact(&st->resp);
		st->resp.fwd = 0;
		st->rscan = (struct http_scan){ 0, 0 };
	}
	return 0;
}

/* Marks server bytes that belong to the response body. */
static int
classify_resp(struct http_state *st)
{
	struct hbuf *b = &st->resp;
	uint32_t     avail = b->len - b->fwd;
	long         k;

	if (!st->resp_done && avail > 0) {
		switch (st->resp_body) {
		case HTTP_BODY_LENGTH:
			k = (long)(avail < st->resp_left ? avail : st->resp_left);
			st->resp_left -= (uint64_t)k;
			st->resp_done = st->resp_left == 0;
			break;
		case HTTP_BODY_CHUNKED:
			k = http_chunked_feed(&st->resp_ck,
			    (uint8_t *)b->p + b->fwd, avail);
			if (k < 0)
				return HTTP_E_RESPONSE;
			st->resp_done = http_chunked_done(&st->resp_ck);
			break;
		default:
			k = avail;   /* until the server closes */
			break;
		}
		b->fwd += (uint32_t)k;
	}
	/* bytes after a complete response: the server cannot be trusted
	 * with another request */
	if (st->resp_done && b->fwd < b->len) {
		b->len = b->fwd;
		st->srv_keep = false;
	}
	return 0;
}

void
http_flush_down(struct conn *c)
{
	struct http_state *st = c->proto_state;
	ssize_t            w;

	if (c->after_log != NULL)
		return;              /* waits for the turn's log batch */
	/* the whole response is here: its record leaves first, the bytes
	 * that end it at the end of the turn (conn_after_log), so a client
	 * that saw the end finds the record even if the worker dies now */
	if (st->phase != HP_CLOSING && st->resp_done && !c->logged) {
		conn_log(c, PC_E_OK);
		c->logged = true;
		conn_after_log(c, http_flush_down);
		return;
	}
	w = send2(c->cfd, &st->down, &st->resp);
	if (w < 0) {
		conn_close(c, st->phase == HP_CLOSING ? st->close_code :
		    PC_E_CLIENT_CLOSED);
		return;
	}
	if (st->down.off == st->down.len && st->down.p != NULL) {
		free(st->down.p);
		st->down = (struct hout){ NULL, 0, 0 };
	}
	if (st->phase == HP_CLOSING) {
		if (st->down.p == NULL)
			http_linger(c);
		return;
	}
	if (w > 0) {
		st->sent_any = st->sent_any || st->resp_head;
		http_arm(c, PC_TIMEOUT_CONN_SHORT);
	}
	if (st->resp_done && st->down.p == NULL && st->resp.off == st->resp.fwd)
		finish(c);
}

static void
process_resp(struct conn *c)
{
	struct http_state *st = c->proto_state;
	int                code;

	if ((code = parse_resp_heads(c, st)) != 0 ||
	    (st->resp_head && (code = classify_resp(st)) != 0)) {
		http_fail(c, code, false);
		return;
	}
	if (st->resp_head && st->resp_uncounted > 0) {
		uint64_t k = st->resp_uncounted;

		st->resp_uncounted = 0;
		if (counters_add(&c->ct_in, (size_t)k)) {
			conn_close(c, PC_E_LIMIT);
			return;
		}
	}
	http_flush_down(c);
}

/* The server closed or failed.  A kept-alive connection that the server
 * dropped before answering is retried once on a new connection (the
 * usual race with the server's idle timeout); a close-delimited body ends
 * here. */
static void
server_gone(struct conn *c)
{
	struct http_state *st = c->proto_state;

	if (st->phase != HP_EXCHANGE) {
		conn_close_server(c);
		st->srv_host[0] = '\0';
		hbuf_free(&st->resp);
		return;
	}
	if (!st->resp_head) {
		if (st->reused && !st->retried && st->resp.len == 0 &&
		    st->req_body == HTTP_BODY_NONE && st->down.p == NULL) {
			http_retry(c);
			return;
		}
		http_fail(c, HTTP_E_RESPONSE, false);
		return;
	}
	if (st->resp_body != HTTP_BODY_CLOSE && !st->resp_done) {
		conn_close(c, PC_E_SERVER_CLOSED);
		return;
	}
	st->resp_done = true;
	st->srv_keep = false;
	conn_close_server(c);
	st->srv_host[0] = '\0';
	http_flush_down(c);
}

static void
bl_wake(struct ev_timer *t)
{
	http_update_events(t->arg);
}

/* One direction's gate (bandlim.h): true when it must not read now. */
static bool
gate(struct conn *c, const struct bl_set *s, struct bl_grant *g,
    struct ev_timer *t, size_t *cap)
{
	uint64_t w;

	if (!bl_grant_gate(s, g, cap, &w))
		return false;
	if (w > 0)
		ev_timer_start(t, w, bl_wake, c);
	return true;
}

bool
http_bl_gate(struct conn *c, size_t *cap)
{
	struct http_state *st = c->proto_state;

	return gate(c, &c->bl_in, &st->bl, &st->bl_timer, cap);
}

bool
http_bl_gate_up(struct conn *c, size_t *cap)
{
	struct http_state *st = c->proto_state;

	return gate(c, &c->bl_out, &st->bl_up, &st->bl_up_timer, cap);
}

static void
read_server(struct conn *c)
{
	struct http_state *st = c->proto_state;
	ssize_t            n;
	size_t             cap;

	if (hbuf_alloc(&st->resp) != 0) {
		http_fail(c, PC_E_NOMEM, false);
		return;
	}
	if (st->resp.len == st->resp.cap && st->resp_head)
		hbuf_compact(&st->resp);
	if (hbuf_room(&st->resp) == 0)
		return;
	cap = hbuf_room(&st->resp);
	if (http_bl_gate(c, &cap))
		return;
	n = read(c->sfd, st->resp.p + st->resp.len, cap);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		bl_grant_idle(&c->bl_in, &st->bl);
		return;
	}
	if (n > 0)
		bl_grant_used(&c->bl_in, &st->bl, (size_t)n);
	if (n <= 0) {
		server_gone(c);
		return;
	}
	c->bytes_in += (uint64_t)n;
	/* a response counts once its head is taken: body bytes that came
	 * with the head of one refused for the quota never reach the client */
	if (!st->resp_head)
		st->resp_uncounted += (uint64_t)n;
	else if (counters_add(&c->ct_in, (size_t)n)) {
		conn_close(c, PC_E_LIMIT);   /* the traffic quota is used up */
		return;
	}
	st->resp.len += (uint32_t)n;
	if (st->phase != HP_EXCHANGE) {
		/* nothing was asked: a server talking out of turn is dropped */
		server_gone(c);
		return;
	}
	process_resp(c);
}

void
http_server_io(struct ev_io *io, uint32_t revents)
{
	struct conn       *c = io->arg;
	struct http_state *st = c->proto_state;

	if (c->closing || st->phase == HP_TUNNEL)
		return;
	if ((revents & EPOLLOUT) && st->phase == HP_EXCHANGE) {
		flush_up(c);
		if (c->closing || c->sfd < 0)
			goto out;
	}
	if (revents & (EPOLLIN | EPOLLERR | EPOLLHUP))
		read_server(c);
out:
	if (!c->closing)
		http_update_events(c);
}
