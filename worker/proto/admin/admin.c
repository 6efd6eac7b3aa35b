/*
 * The `admin` service: a small HTTP/1.1 server (one request per
 * connection, answered with Connection: close) showing the running
 * configuration, the connection counts, the traffic counters, and a reload
 * action (admin_pages.c).  Requests are parsed by http_parse.c.
 *
 * Every page, the index included, passes the request pipeline first
 * (request.h) with operation ADMIN and no connect: the service's auth chain
 * and its ACL.  Credentials come from "Authorization: Basic" (this is a web
 * server, not a proxy).  Every refusal -- no or a wrong password, a deny
 * rule, no rule matching -- is answered 401 with WWW-Authenticate, as
 * 3proxy answers it.  Each request is logged with %N ADMIN and, as 3proxy
 * logs it, the path without its '/' as %T.  `admin -s` is 3proxy's
 * read-only admin: the counters (those that count the asking client),
 * the index for every other page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "worker/proto/admin/admin.h"
#include "worker/core/conn.h"
#include "worker/wire/http_error.h"
#include "worker/wire/http_parse.h"
#include "worker/core/ipc_client.h"
#include "worker/net/request.h"
#include "worker/proto/proto.h"

#define ADMIN_BUF  8192        /* request head and body */
#define ADMIN_LINE 2048

/* 3proxy's letters: /S services (XML), /SX its stylesheet, /C counters
 * (/CD<n> /CS<n>), /F the file, /R reload; ours: /W workers (the HTML
 * table /S was), /E the running configuration (what /F was), /metrics. */
enum page { PG_INDEX, PG_XML, PG_CSS, PG_WORKERS, PG_COUNTERS, PG_FILE,
	PG_MODEL, PG_RELOAD, PG_METRICS, PG_NONE };

#define CT_HTML    "text/html; charset=utf-8"
#define CT_XML     "text/xml; charset=utf-8"
#define CT_CSS     "text/css"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
enum phase { AP_READ, AP_WAIT, AP_SEND };

struct admin_state {
	uint8_t          phase;
	uint8_t          page;
	char             ctswitch;    /* /CD<n>: 'D', /CS<n>: 'S', else 0 */
	uint32_t         ctrule;      /* its n */
	bool             head_only;   /* HEAD: no body in the answer */
	int              code;        /* %E logged at the end */
	uint32_t         len, need;   /* bytes in buf; head + body wanted */
	uint32_t         ipc_id;      /* ADMIN_REQ in flight, or 0 */
	const char      *ctype;       /* Content-Type of a 200 (NULL: HTML) */
	struct http_scan scan;
	struct abuf      text;        /* pieces of a long answer (METRICS,
	                                 CFGFILE) */
	struct abuf      out;
	size_t           off;         /* of out sent */
	char             buf[ADMIN_BUF];
};

static void admin_io(struct ev_io *io, uint32_t revents);
static void admin_release(struct conn *c);

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 503: return "Service Unavailable";
	default:  return "Error";
	}
}

static void admin_timeout(struct ev_timer *t);

static void
arm(struct conn *c, int which)
{
	uint64_t ms = (uint64_t)wctx.cfg->timeouts[which] * 1000;

	ev_timer_start(&c->timer, ms != 0 ? ms : 1000, admin_timeout, c);
}

/* Head and body into st->out, then write it out and close. */
static void
respond(struct conn *c, int status, const struct abuf *body)
{
	struct admin_state *st = c->proto_state;
	struct abuf         page = { 0 };
	size_t              blen = body != NULL && !body->err ? body->len : 0;

	if (body == NULL || body->err) {
		if (body != NULL && body->err)
			status = 500;
		admin_page_begin(&page, reason(status));
		admin_page_end(&page);
		body = &page;
		blen = page.len;
	}
	abuf_free(&st->out);
	abuf_printf(&st->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store"
	    "\r\nConnection: close\r\n%s%s\r\n", status, reason(status),
	    status == 200 && st->ctype != NULL ? st->ctype : CT_HTML, blen,
	    status == 401 ? "WWW-Authenticate: Basic realm=\"portcullis "
	    "admin\"\r\n" : "",
	    status == 405 ? "Allow: GET, HEAD, POST\r\n" : "");
	if (!st->head_only && blen > 0)
		abuf_printf(&st->out, "%.*s", (int)blen, body->p);
	abuf_free(&page);
	if (st->out.err) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	st->off = 0;
	st->phase = AP_SEND;
	arm(c, PC_TIMEOUT_STRING_LONG);
	if (ev_io_take(&c->cio, c->cfd, EPOLLOUT, admin_io, c) != 0)
		conn_close(c, PC_E_SYSTEM);
}

static void
fail(struct conn *c, int status, int code)
{
	struct admin_state *st = c->proto_state;

	st->code = code;
	respond(c, status, NULL);
}

static void answered(void *arg, const struct pc_msg_admin_rep *rep);

/* A piece of a long text: append it, ask for the next, or answer.  The
 * master's figures are believed, but the pieces must follow each other
 * and the whole stay under its bound. */
static void
piece(struct conn *c, const struct pc_msg_admin_rep *rep)
{
	struct admin_state *st = c->proto_state;
	size_t              n;

	if (rep == NULL || rep->offset != st->text.len ||
	    rep->total > PC_IPC_ADMIN_TOTAL) {
		fail(c, 503, PC_E_OK);
		return;
	}
	n = strlen(rep->text);
	abuf_printf(&st->text, "%s", rep->text);
	if (st->text.err) {
		fail(c, 500, PC_E_NOMEM);
		return;
	}
	if (st->text.len < rep->total && n > 0) {
		if ((st->ipc_id = ipc_admin(rep->kind,
		    (uint32_t)st->text.len, answered, c)) == 0)
			fail(c, 503, PC_E_OK);
		return;
	}
	if (st->page == PG_METRICS) {
		st->ctype = CT_METRICS;
		respond(c, 200, &st->text);
	} else {
		struct abuf b = { 0 };

		admin_page_file(&b, &st->text, true);
		respond(c, 200, &b);
		explicit_bzero(b.p, b.len);   /* it may hold passwords */
		abuf_free(&b);
	}
	if (st->text.p != NULL)
		explicit_bzero(st->text.p, st->text.len);
}

static void
answered(void *arg, const struct pc_msg_admin_rep *rep)
{
	struct conn        *c = arg;
	struct admin_state *st = c->proto_state;
	struct abuf         b = { 0 };

	st->ipc_id = 0;
	if (st->page == PG_METRICS || st->page == PG_FILE) {
		if (rep != NULL && rep->kind != (st->page == PG_METRICS ?
		    PC_ADMIN_METRICS : PC_ADMIN_CFGFILE))
			rep = NULL;
		piece(c, rep);
		return;
	}
	if (st->page == PG_XML) {
		admin_page_xml(&b, rep);
		st->ctype = CT_XML;
	} else if (st->page == PG_WORKERS) {
		admin_page_stats(&b, rep);
	} else if (st->page == PG_RELOAD) {
		admin_page_reload(&b, rep);
	} else {
		admin_page_config(&b, rep);
	}
	respond(c, rep != NULL ? 200 : 503, &b);
	abuf_free(&b);
}

/* The admin's request as the counter rules see it (admin -s shows the
 * rules that count this client, as 3proxy does). */
static void
acl_view(const struct conn *c, struct pc_acl_req *q)
{
	memset(q, 0, sizeof(*q));
	q->user = c->user;
	q->client = c->client;
	q->dst = c->local;
	q->port = c->local.port;
	q->op = PC_OP_ADMIN;
	q->now = time(NULL);
}

/* /CD<n> /CS<n>: rule n (3proxy's numbering: every counter rule, the
 * nocount ones too, from 0) off or on until the next reload.  The
 * switches live in memory the master shares per generation. */
static void
counter_switch(const struct admin_state *st)
{
	const struct pc_config *cfg = wctx.cfg;

	if (st->ctswitch == 0 || cfg->ctoff == NULL ||
	    st->ctrule >= cfg->ncounters)
		return;
	__atomic_store_n(&cfg->ctoff[st->ctrule],
	    st->ctswitch == 'D' ? 1 : 0, __ATOMIC_RELAXED);
}

static uint8_t
kind_of(enum page pg)
{
	switch (pg) {
	case PG_XML:
	case PG_WORKERS: return PC_ADMIN_STATS;
	case PG_RELOAD:  return PC_ADMIN_RELOAD;
	case PG_METRICS: return PC_ADMIN_METRICS;
	case PG_FILE:    return PC_ADMIN_CFGFILE;
	default:         return PC_ADMIN_USERS;   /* PG_MODEL */
	}
}

static void
serve(struct conn *c)
{
	struct admin_state *st = c->proto_state;
	struct abuf         b = { 0 };
	struct pc_acl_req   q;
	bool                limited = wctx.svc->single;

	/* admin -s (3proxy's read-only admin): the counters without their
	 * switches; any other page shows the index, as 3proxy does */
	if (limited && st->page != PG_COUNTERS && st->page != PG_CSS &&
	    st->page != PG_NONE)
		st->page = PG_INDEX;
	switch (st->page) {
	case PG_INDEX:
		admin_page_index(&b, limited);
		break;
	case PG_CSS:
		admin_page_css(&b);
		st->ctype = CT_CSS;
		break;
	case PG_COUNTERS:
		if (!limited)
			counter_switch(st);
		acl_view(c, &q);
		admin_page_counters(&b, limited, &q);
		break;
	case PG_NONE:
		fail(c, 404, PC_E_OK);
		return;
	default:
		if ((st->ipc_id = ipc_admin(kind_of(st->page), 0, answered,
		    c)) == 0)
			fail(c, 503, PC_E_OK);
		return;
	}
	respond(c, 200, &b);
	abuf_free(&b);
}

static void
authorized(struct conn *c, enum pc_ecode code)
{
	/* every refusal, an explicit deny too, is 401 with WWW-Authenticate,
	 * as 3proxy answers it (a browser asks for another login); a limit
	 * (10: a used-up counter, connlim) does not lock the administrator
	 * out, as in 3proxy: the page is served (and logged 10) */
	if (code == PC_E_OK || code == PC_E_LIMIT) {
		((struct admin_state *)c->proto_state)->code = code;
		serve(c);
	}
	else if (code >= PC_E_DENY && code <= PC_E_AUTH_LAST)
		fail(c, 401, code);
	else
		fail(c, 500, code);
}

/* /CD<n> or /CS<n> (n: 1 to 9 digits) */
static bool
switch_of(const char *p, size_t n, struct admin_state *st)
{
	uint32_t v = 0;

	if (n < 4 || n > 12 || p[0] != '/' || p[1] != 'C' ||
	    (p[2] != 'D' && p[2] != 'S'))
		return false;
	for (size_t i = 3; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(p[i] - '0');
	}
	st->ctswitch = p[2];
	st->ctrule = v;
	return true;
}

static enum page
page_of(const char *buf, struct http_span path, struct admin_state *st)
{
	static const struct { const char *p; enum page pg; } pages[] = {
		{ "/", PG_INDEX }, { "/S", PG_XML }, { "/SX", PG_CSS },
		{ "/W", PG_WORKERS }, { "/C", PG_COUNTERS }, { "/F", PG_FILE },
		{ "/E", PG_MODEL }, { "/R", PG_RELOAD },
		{ "/metrics", PG_METRICS },
	};
	size_t n = 0;

	while (n < path.len && buf[path.off + n] != '?')
		n++;
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strlen(pages[i].p) == n &&
		    memcmp(buf + path.off, pages[i].p, n) == 0)
			return pages[i].pg;
	if (switch_of(buf + path.off, n, st))
		return PG_COUNTERS;
	return PG_NONE;
}

/* "Authorization: Basic": 0 and the credentials, or -1 when absent or
 * unusable (then the request goes on without them). */
static int
credentials(const char *buf, const struct http_req *r, char *user,
    size_t usz, char *pass, size_t psz)
{
	for (uint32_t i = 0; i < r->m.nhdrs; i++)
		if (http_span_eq(buf, r->m.hdrs[i].name, "authorization"))
			return http_basic_credentials(buf +
			    r->m.hdrs[i].value.off, r->m.hdrs[i].value.len,
			    user, usz, pass, psz);
	return -1;
}

/* %T as 3proxy logs an admin request: the path without its '/' ("S",
 * "C", "CD0", "" for the index), query included. */
static void
set_text(struct conn *c, const char *buf, struct http_span path)
{
	char   text[256];
	size_t skip = path.len > 0 && buf[path.off] == '/' ? 1 : 0;
	size_t len = path.len - skip;
	int    n = len < sizeof(text) ? (int)len : (int)sizeof(text) - 1;

	snprintf(text, sizeof(text), "%.*s", n, buf + path.off + skip);
	conn_set_text(c, text);
}

/* A whole request is in: check it, then the pipeline decides. */
static void
request(struct conn *c, const struct http_req *r)
{
	struct admin_state *st = c->proto_state;
	struct target_req   t;
	char                user[256], pass[256];
	bool                have;

	if (r->method != HTTP_M_GET && r->method != HTTP_M_HEAD &&
	    r->method != HTTP_M_POST) {
		fail(c, 405, HTTP_E_UNSUPP);
		return;
	}
	st->head_only = r->method == HTTP_M_HEAD;
	st->page = (uint8_t)page_of(st->buf, r->path, st);
	have = credentials(st->buf, r, user, sizeof(user), pass,
	    sizeof(pass)) == 0;
	if (!have && request_needs_password()) {
		fail(c, 401, PC_E_NOCRED);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.op = PC_OP_ADMIN;
	t.addr = c->local;           /* the ACL sees the admin's own address */
	t.port = c->local.port;
	t.no_connect = true;
	if (have) {
		t.user = user;
		t.pass = pass;
	}
	st->phase = AP_WAIT;
	ev_timer_stop(&c->timer);
	if (ev_io_mod(&c->cio, 0) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	request_start(c, &t, authorized);
	explicit_bzero(pass, sizeof(pass));
}

/* 0 wait for more, 1 handled (the connection moved on or closed). */
static int
parse(struct conn *c)
{
	static struct http_req r;
	struct admin_state    *st = c->proto_state;
	long                   h;
	int                    e;

	h = http_head_scan(&st->scan, st->buf, st->len, ADMIN_LINE, ADMIN_BUF);
	if (h < 0) {
		fail(c, http_error_status((int)-h, false), (int)-h);
		return 1;
	}
	if (h == 0) {
		if (st->len == ADMIN_BUF) {
			fail(c, 431, HTTP_E_BIGHEAD);
			return 1;
		}
		return 0;
	}
	if ((e = http_parse_request(st->buf, (size_t)h, &r)) != 0) {
		fail(c, http_error_status(e, false), e);
		return 1;
	}
	set_text(c, st->buf, r.path);
	if (r.m.chunked || r.m.has_te) {
		fail(c, 400, HTTP_E_FRAMING);
		return 1;
	}
	/* the body (a form's POST) is read and ignored: closing with unread
	 * bytes would reset the connection under the answer */
	if (r.m.content_length > ADMIN_BUF - h) {
		fail(c, 413, HTTP_E_FRAMING);
		return 1;
	}
	st->need = (uint32_t)h + (uint32_t)(r.m.content_length > 0 ?
	    r.m.content_length : 0);
	if (st->len < st->need)
		return 0;
	request(c, &r);
	return 1;
}

static void
readable(struct conn *c)
{
	struct admin_state *st = c->proto_state;
	const char         *lf;
	ssize_t             n;

	n = read(c->cfd, st->buf + st->len, sizeof(st->buf) - st->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c, st->len == 0 ? PC_E_NOLOG : HTTP_E_LINE);
		return;
	}
	st->len += (uint32_t)n;
	if (st->need != 0) {          /* head done, body coming */
		if (st->len >= st->need) {
			memset(&st->scan, 0, sizeof(st->scan));
			parse(c);
		}
		return;
	}
	/* garbage is refused at its first line, not after a whole head */
	lf = memchr(st->buf, '\n', st->len);
	if (lf != NULL && http_check_request_line(st->buf,
	    (size_t)(lf - st->buf) + 1) != 0) {
		fail(c, 400, HTTP_E_LINE);
		return;
	}
	parse(c);
}

static void
writable(struct conn *c)
{
	struct admin_state *st = c->proto_state;
	ssize_t             n = conn_send(c->cfd, st->out.p + st->off,
	    st->out.len - st->off);

	if (n < 0) {
		conn_close(c, st->code ? st->code : PC_E_SYSTEM);
		return;
	}
	st->off += (size_t)n;
	if (st->off == st->out.len) {
		shutdown(c->cfd, SHUT_WR);
		conn_close(c, st->code);
	}
}

static void
admin_io(struct ev_io *io, uint32_t revents)
{
	struct conn        *c = io->arg;
	struct admin_state *st = c->proto_state;

	if (c->closing || st == NULL)
		return;
	if (st->phase == AP_SEND && (revents & (EPOLLOUT | EPOLLERR |
	    EPOLLHUP)))
		writable(c);
	else if (st->phase == AP_READ)
		readable(c);
	else if (revents & (EPOLLERR | EPOLLHUP))
		conn_close(c, PC_E_SYSTEM);
}

static void
admin_timeout(struct ev_timer *t)
{
	struct conn        *c = t->arg;
	struct admin_state *st = c->proto_state;

	conn_close(c, st->phase == AP_READ && st->len == 0 ? PC_E_NOLOG :
	    PC_E_TIMEOUT);
}

static void
admin_start(struct conn *c)
{
	struct admin_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	c->proto_state = st;
	arm(c, PC_TIMEOUT_STRING_SHORT);
	if (ev_io_add(&c->cio, c->cfd, EPOLLIN, admin_io, c) != 0)
		conn_close(c, PC_E_SYSTEM);
}

static void
admin_drain(struct conn *c)
{
	(void)c;      /* a request is short; it finishes */
}

static void
admin_release(struct conn *c)
{
	struct admin_state *st = c->proto_state;

	if (st == NULL)
		return;
	ipc_admin_cancel(st->ipc_id);
	abuf_free(&st->text);
	abuf_free(&st->out);
	explicit_bzero(st, sizeof(*st));
	free(st);
	c->proto_state = NULL;
}

const struct proto proto_admin = {
	.logname = "ADMIN",
	.start = admin_start,
	.drain = admin_drain,
	.release = admin_release,
};
