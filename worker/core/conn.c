/*
 * Connection life cycle (conn.h, conn_life.h): creation by the accept code,
 * the access-log record of each request, and the one way out, conn_close(),
 * which cancels whatever is in flight (pipeline, relay, timers), closes both
 * sockets and frees the connection at the end of the loop turn so that
 * events already fetched for it are skipped safely.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ipc_msg.h"
#include "common/xmalloc.h"
#include "worker/core/conn_life.h"
#include "worker/core/heap_trim.h"
#include "worker/core/ipc_client.h"

/* Lingering close (conn_linger): how long and how much a connection we
 * half-closed is read and discarded before close(). */
#define LINGER_MS    2000
#define LINGER_BYTES (256 * 1024)

struct worker_ctx wctx;

static struct conn *live;
static unsigned     nlive;
static uint64_t     accepted;
static void       (*close_hook)(void);

/* Set once by worker_main (conn_setup): the core calls the service and the
 * net room's releasers through these, and includes neither. */
static struct conn_parts parts;

/* conn_after_log's connections of this turn (valid until its end: frees
 * are deferred past the turn hooks) */
static struct conn **after;
static size_t        nafter, capafter;

static void after_log_turn(void);

void
conn_setup(const struct conn_parts *p)
{
	parts = *p;
	ev_at_turn_end(after_log_turn);
}

void
conn_after_log(struct conn *c, void (*fn)(struct conn *c))
{
	if (c->after_log == NULL) {
		if (nafter == capafter) {
			size_t        cap = capafter ? capafter * 2 : 64;
			struct conn **n = reallocarray(after, cap, sizeof(*n));

			if (n == NULL) {      /* no list: write now, unordered */
				fn(c);
				return;
			}
			after = n;
			capafter = cap;
		}
		after[nafter++] = c;
	}
	c->after_log = fn;
}

/* Rounds: flush the records, then run the writes that waited for them;
 * what those do (a pipelined request answered at once) may log and wait
 * again, for the next round. */
static void
after_log_turn(void)
{
	size_t done = 0;

	while (done < nafter) {
		size_t end = nafter;

		ipc_log_flush();
		for (; done < end; done++) {
			struct conn *c = after[done];
			void       (*fn)(struct conn *) = c->after_log;

			c->after_log = NULL;
			if (fn != NULL && !(c->closing && !c->lingering))
				fn(c);
		}
	}
	nafter = 0;
	ipc_log_flush();
}

struct conn *
conn_new(int cfd, const struct pc_addr *client, const struct pc_addr *local)
{
	return conn_new_slot(cfd, client, local, false);
}

struct conn *
conn_new_slot(int cfd, const struct pc_addr *client,
    const struct pc_addr *local, bool slot)
{
	const struct proto *p = parts.proto;
	struct conn        *c = calloc(1, sizeof(*c));

	if (c == NULL || p == NULL) {
		free(c);
		close(cfd);
		if (slot && wctx.cfg->svc_active != NULL)
			(void)__atomic_fetch_sub(
			    &wctx.cfg->svc_active[wctx.svc_idx], 1,
			    __ATOMIC_RELEASE);
		return NULL;
	}
	c->maxconn_slot = slot;
	c->proto = p;
	c->cfd = cfd;
	c->sfd = -1;
	c->dead_cfd = -1;
	c->start_ms = ev_wallclock_ms();
	c->client = *client;
	c->local = *local;
	strncpy(c->svcname, p->logname, sizeof(c->svcname) - 1);
	c->next = live;
	if (live != NULL)
		live->prev = c;
	live = c;
	nlive++;
	accepted++;
	heap_trim_live(nlive);
	p->start(c);
	return c;
}

static void
set_str(struct conn *c, char **dst, const char *s)
{
	free(*dst);
	if (pc_strdup_opt(dst, s) != 0)
		c->field_nomem = true;
}

void
conn_set_user(struct conn *c, const char *user)
{
	set_str(c, &c->user, user);
}

void
conn_set_host(struct conn *c, const char *host)
{
	set_str(c, &c->host, host);
}

void
conn_set_text(struct conn *c, const char *text)
{
	set_str(c, &c->text, text);
}

static void
copy_field(char *dst, size_t cap, const char *s)
{
	size_t n = s != NULL ? strnlen(s, cap - 1) : 0;

	if (n > 0)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

static void log_record(struct conn *c, int code);

void
conn_log(struct conn *c, int code)
{
	log_record(c, code);
	c->field_nomem = false;
	c->bytes_in = c->bytes_out = 0;
	c->dumped_in = c->dumped_out = 0;
	c->start_ms = ev_wallclock_ms();
}

void
conn_log_dump(struct conn *c)
{
	log_record(c, PC_E_OK);
	c->dumped_in = c->bytes_in;
	c->dumped_out = c->bytes_out;
}

static void
log_record(struct conn *c, int code)
{
	struct pc_logrec rec;
	uint64_t         now = ev_wallclock_ms();

	if (!c->nolog) {
		memset(&rec, 0, offsetof(struct pc_logrec, user));
		rec.t_ms = now;
		rec.dur_ms = now > c->start_ms ?
		    (uint32_t)(now - c->start_ms) : 0;
		rec.code = (uint32_t)(c->field_nomem ? PC_E_NOMEM : code);
		rec.svc = wctx.svc_idx;
		rec.hops = c->hops;
		memcpy(rec.svcname, c->svcname, sizeof(rec.svcname));
		rec.client = c->client;
		rec.local = c->local;
		rec.ext = c->ext;
		rec.remote = c->remote;
		rec.req = c->req;
		rec.bytes_in = c->bytes_in;
		rec.bytes_out = c->bytes_out;
		copy_field(rec.user, sizeof(rec.user), c->user);
		copy_field(rec.host, sizeof(rec.host), c->host);
		copy_field(rec.text, sizeof(rec.text), c->text);
		ipc_log(&rec);
	}
}

static void
conn_free(void *p)
{
	struct conn *c = p;

	/* the client socket closes here, after this turn's log batch went
	 * to the master (turn hooks run before deferred frees): a client
	 * that sees EOF has its request's record with the master already */
	if (c->dead_cfd >= 0)
		close(c->dead_cfd);
	free(c->user);
	free(c->host);
	free(c->text);
	free(c);
}

void
conn_close_server(struct conn *c)
{
	if (c->sfd >= 0) {
		ev_io_forget(&c->sio);
		close(c->sfd);
	} else {
		ev_io_del(&c->sio);
	}
	c->sfd = -1;
}

/* Everything but the client socket: the pipeline, the relay, limits,
 * the timer, the server socket and the protocol's state. */
static void
conn_release_parts(struct conn *c)
{
	if (c->req_state != NULL)
		parts.request_cancel(c);
	if (c->relay != NULL)
		parts.relay_release(c);
	connlim_release(&c->cl_held);
	if (c->recheck_id != 0) {
		ipc_auth_cancel(c->recheck_id);
		c->recheck_id = 0;
	}
	if (c->maxconn_slot && wctx.cfg->svc_active != NULL)
		(void)__atomic_fetch_sub(&wctx.cfg->svc_active[wctx.svc_idx], 1,
		    __ATOMIC_RELEASE);
	c->maxconn_slot = false;
	ev_timer_stop(&c->timer);
	conn_close_server(c);
	if (c->proto->release != NULL && !c->released)
		c->proto->release(c);
	c->released = true;
}

static void
linger_over(struct ev_timer *t)
{
	conn_close(t->arg, PC_E_NOLOG);
}

static void
linger_read(struct ev_io *io, uint32_t revents)
{
	static char  sink[16384];
	struct conn *c = io->arg;
	ssize_t      n;

	(void)revents;
	if (!c->lingering)
		return;
	for (int i = 0; i < 4; i++) {
		n = read(c->cfd, sink, sizeof(sink));
		if (n > 0) {
			c->linger_bytes += (uint32_t)n;
			if (c->linger_bytes > LINGER_BYTES)
				break;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		break;                  /* EOF or error: the client is done */
	}
	if (n > 0 && c->linger_bytes <= LINGER_BYTES)
		return;                 /* more next turn */
	conn_close(c, PC_E_NOLOG);
}

/* conn_linger's half-close, once the record is with the master. */
static void
linger_start(struct conn *c)
{
	if (c->cfd < 0 || shutdown(c->cfd, SHUT_WR) != 0 ||
	    ev_io_mod(&c->cio, EPOLLIN) != 0) {
		conn_close(c, PC_E_NOLOG);
		return;
	}
	ev_timer_start(&c->timer, LINGER_MS, linger_over, c);
}

void
conn_linger(struct conn *c, int code)
{
	if (c->closing)
		return;
	if (code >= 0 && !c->logged)
		conn_log(c, code);
	c->logged = true;
	conn_release_parts(c);
	/* closing: the protocol's code sees a closed connection and stops
	 * touching it (its state is gone); conn_close finishes the job */
	c->closing = true;
	c->lingering = true;
	c->linger_bytes = 0;
	/* parked (no events) until the turn's log batch is out */
	if (c->cfd < 0 ||
	    ev_io_take(&c->cio, c->cfd, 0, linger_read, c) != 0) {
		conn_close(c, PC_E_NOLOG);
		return;
	}
	conn_after_log(c, linger_start);
}

void
conn_close(struct conn *c, int code)
{
	if (c->closing && !c->lingering)
		return;
	c->lingering = false;
	c->closing = true;
	c->after_log = NULL;
	if (code >= 0 && !c->logged)
		conn_log(c, code);
	conn_release_parts(c);
	if (c->cfd >= 0) {
		ev_io_forget(&c->cio);
		c->dead_cfd = c->cfd;    /* closed by conn_free */
	} else {
		ev_io_del(&c->cio);
	}
	c->cfd = -1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		live = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	nlive--;
	heap_trim_live(nlive);
	ev_defer_free(conn_free, c);
	if (close_hook != NULL)
		close_hook();
}

ssize_t
conn_send(int fd, const void *p, size_t n)
{
	ssize_t k;

	do
		k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (k == -1 && errno == EINTR);
	if (k == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	return k;
}

unsigned
conn_active_count(void)
{
	return nlive;
}

uint64_t
conn_accepted_total(void)
{
	return accepted;
}

void
conn_set_close_hook(void (*fn)(void))
{
	close_hook = fn;
}

void
conn_drain_all(void)
{
	struct conn *c = live, *next;

	/* drain may close c (unlinking it), so fetch next first */
	while (c != NULL) {
		next = c->next;
		if (!c->closing && c->proto->drain != NULL)
			c->proto->drain(c);
		c = next;
	}
}

void
conn_close_all(int code)
{
	while (live != NULL)
		conn_close(live, code);
}

/* ---- force: open tunnels checked again after a reload ---- */

static struct ev_timer recheck_timer;

static void
recheck_done(void *arg, uint32_t code, const char *user)
{
	struct conn *c = arg;

	(void)user;
	c->recheck_id = 0;
	if (code != PC_E_OK && !c->closing)
		conn_close(c, (int)code);
}

static void
recheck_again(struct ev_timer *t)
{
	(void)t;
	conn_recheck_all();
}

void
conn_recheck_all(void)
{
	struct pc_msg_auth_req q;

	for (struct conn *c = live; c != NULL; c = c->next) {
		if (c->closing || c->rechecked || c->relay == NULL)
			continue;
		memset(&q, 0, sizeof(q));
		q.kind = PC_AUTH_KIND_RECHECK;
		q.svc = wctx.svc_idx;
		q.client = c->client;
		if (c->user != NULL)
			snprintf(q.user, sizeof(q.user), "%s", c->user);
		q.verified = c->verified;
		if (c->req.family != 0 && !pc_addr_is_any(&c->req))
			q.dst = c->req;
		if (c->host != NULL)
			snprintf(q.host, sizeof(q.host), "%s", c->host);
		q.port = c->req.port;
		q.op = c->op;
		if ((c->recheck_id = ipc_auth(&q, recheck_done, c)) == 0) {
			/* the master's questions are all in flight */
			ev_timer_start(&recheck_timer, 200, recheck_again, NULL);
			return;
		}
		c->rechecked = true;
	}
}
