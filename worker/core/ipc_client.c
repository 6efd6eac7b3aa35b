/*
 * The worker's end of the master socket (ipc_client.h).
 *
 * Outgoing messages go straight out with a non-blocking send; when the
 * socket is full they wait in a small ring and leave on EPOLLOUT.  When the
 * ring is full, LOG batches are dropped and counted (reported in STATS),
 * and AUTH requests fail at once with code 4, so a stalled master can slow
 * a worker's logging but never wedge its connections.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "worker/core/ev.h"
#include "worker/core/ipc_client.h"
#include "worker/core/wstats.h"

#define OUTQ        64         /* queued messages while the socket is full */
#define AUTH_MAX    1024       /* outstanding password checks */
#define AUTH_WAIT   10000      /* ms before an unanswered check fails */
#define STATS_EVERY 1000
#define ADMIN_MAX   16         /* admin questions in flight */
#define ADMIN_WAIT  5000

struct outmsg {
	uint8_t *p;
	size_t   len;
};

struct pending_auth {
	uint32_t     id;       /* 0 = free slot */
	uint64_t     deadline;
	ipc_auth_cb *cb;
	void        *arg;
};

struct pending_admin {
	uint32_t      id;      /* 0 = free slot */
	uint64_t      deadline;
	ipc_admin_cb *cb;
	void         *arg;
};

struct pc_wstats                      wstats;
static struct pending_admin           admins[ADMIN_MAX];
static int                            ipcfd = -1;
static uint32_t                       mygen;
static const struct ipc_client_hooks *hooks;
static struct ev_io                   io;
static struct ev_timer                stats_timer;
static struct outmsg                  q[OUTQ];
static size_t                         qhead, qlen;
static uint32_t                       dropped_logs;
static struct pending_auth           *auths;
static size_t                         nauths;   /* slots in use */
static uint32_t                       next_id = 1;
static bool                           gone;

/* the open LOG batch */
static uint8_t        logbuf[PC_IPC_MAX];
static struct pc_ipcw logw;
static bool           logopen;

static void
master_gone(void)
{
	if (gone)
		return;
	gone = true;
	ev_io_del(&io);
	ev_timer_stop(&stats_timer);
	hooks->shutdown();
}

static void
update_interest(void)
{
	if (!gone && ev_io_mod(&io, EPOLLIN | (qlen > 0 ? EPOLLOUT : 0)) != 0)
		master_gone();
}

static void
flush_queue(void)
{
	while (qlen > 0) {
		struct outmsg *m = &q[qhead];
		ssize_t        n = send(ipcfd, m->p, m->len,
		    MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1) {
			master_gone();
			return;
		}
		free(m->p);
		m->p = NULL;
		qhead = (qhead + 1) % OUTQ;
		qlen--;
	}
	update_interest();
}

/* 0 sent or queued, -1 the queue is full (nothing done). */
static int
send_msg(const uint8_t *p, size_t len)
{
	ssize_t n;

	if (gone || len == 0)
		return -1;
	if (qlen == 0) {
		do
			n = send(ipcfd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (n == -1 && errno == EINTR);
		if (n >= 0)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			master_gone();
			return -1;
		}
	}
	if (qlen == OUTQ)
		return -1;
	q[(qhead + qlen) % OUTQ].p = xmalloc(len);
	memcpy(q[(qhead + qlen) % OUTQ].p, p, len);
	q[(qhead + qlen) % OUTQ].len = len;
	qlen++;
	update_interest();
	return 0;
}

/* ---- LOG batches ---- */

void
ipc_log_flush(void)
{
	size_t n;

	if (!logopen)
		return;
	logopen = false;
	if ((n = pc_msg_log_finish(&logw)) == 0)
		return;
	if (send_msg(logbuf, n) != 0)
		dropped_logs++;
}

void
ipc_log(const struct pc_logrec *rec)
{
	if (!logopen) {
		pc_msg_log_begin(&logw, logbuf, mygen);
		logopen = true;
	}
	if (pc_msg_log_add(&logw, rec) == 0)
		return;
	ipc_log_flush();               /* full: send it and start another */
	pc_msg_log_begin(&logw, logbuf, mygen);
	logopen = true;
	if (pc_msg_log_add(&logw, rec) != 0)
		dropped_logs++;     /* cannot happen: one record always fits */
}

/* ---- AUTH ---- */

/* AUTH and ADMIN requests share the ids */
static uint32_t
new_id(void)
{
	uint32_t id = next_id++;

	return id != 0 ? id : next_id++;
}

static struct pending_auth *
auth_find(uint32_t id)
{
	for (size_t i = 0; i < AUTH_MAX && auths != NULL; i++)
		if (auths[i].id == id)
			return &auths[i];
	return NULL;
}

static void
auth_finish(struct pending_auth *p, uint32_t code, const char *user)
{
	ipc_auth_cb *cb = p->cb;
	void        *arg = p->arg;

	p->id = 0;
	nauths--;
	cb(arg, code, user);
}

uint32_t
ipc_auth(const struct pc_msg_auth_req *req, ipc_auth_cb *cb, void *arg)
{
	uint8_t              buf[PC_IPC_MAX];
	struct pending_auth *p;
	uint32_t             id;
	size_t               n;

	if (auths == NULL)
		auths = xcalloc(AUTH_MAX, sizeof(*auths));
	if (nauths == AUTH_MAX || (p = auth_find(0)) == NULL)
		return 0;
	id = new_id();
	n = pc_msg_auth_req_enc(buf, mygen, id, req);
	if (send_msg(buf, n) != 0)
		return 0;
	p->id = id;
	p->deadline = ev_now() + AUTH_WAIT;
	p->cb = cb;
	p->arg = arg;
	nauths++;
	return id;
}

void
ipc_auth_cancel(uint32_t id)
{
	struct pending_auth *p;

	if (id != 0 && (p = auth_find(id)) != NULL) {
		p->id = 0;
		nauths--;
	}
}

static void
auth_expire(void)
{
	uint64_t now = ev_now();

	for (size_t i = 0; i < AUTH_MAX && nauths > 0; i++)
		if (auths[i].id != 0 && auths[i].deadline <= now)
			auth_finish(&auths[i], 4, "");
}

/* ---- ADMIN ---- */

static struct pending_admin *
admin_find(uint32_t id)
{
	for (size_t i = 0; i < ADMIN_MAX; i++)
		if (admins[i].id == id)
			return &admins[i];
	return NULL;
}

uint32_t
ipc_admin(uint8_t kind, uint32_t karg, ipc_admin_cb *cb, void *arg)
{
	struct pc_msg_admin_req req = { kind, karg };
	uint8_t                 buf[64];
	struct pending_admin   *p = admin_find(0);
	uint32_t                id;

	if (p == NULL)
		return 0;
	id = new_id();
	if (send_msg(buf, pc_msg_admin_req_enc(buf, mygen, id, &req)) != 0)
		return 0;
	p->id = id;
	p->deadline = ev_now() + ADMIN_WAIT;
	p->cb = cb;
	p->arg = arg;
	return id;
}

void
ipc_admin_cancel(uint32_t id)
{
	struct pending_admin *p;

	if (id != 0 && (p = admin_find(id)) != NULL)
		p->id = 0;
}

static void
admin_finish(struct pending_admin *p, const struct pc_msg_admin_rep *rep)
{
	ipc_admin_cb *cb = p->cb;
	void         *arg = p->arg;

	p->id = 0;
	cb(arg, rep);
}

static void
admin_expire(void)
{
	uint64_t now = ev_now();

	for (size_t i = 0; i < ADMIN_MAX; i++)
		if (admins[i].id != 0 && admins[i].deadline <= now)
			admin_finish(&admins[i], NULL);
}

/* The master answered: a reply for nobody (cancelled, timed out) is
 * dropped; one that does not decode means the master is broken. */
static int
admin_reply(struct pc_ipcr *r, uint32_t id)
{
	static struct pc_msg_admin_rep rep;
	struct pending_admin          *p;

	if (pc_msg_admin_rep_dec(r, &rep) != 0)
		return -1;
	if (id != 0 && (p = admin_find(id)) != NULL)
		admin_finish(p, &rep);
	return 0;
}

/* ---- incoming ---- */

static void
on_message(const uint8_t *buf, size_t n)
{
	struct pc_ipc_hdr      h;
	struct pc_ipcr         r;
	struct pc_msg_auth_rep rep;
	struct pc_msg_drain    d;
	struct pending_auth   *p;

	if (pc_ipcr_init(&r, buf, n, &h) != 0 || h.gen != mygen) {
		log_warnx("malformed message from the master");
		master_gone();
		return;
	}
	switch (h.type) {
	case PC_IPC_AUTH_REP:
		if (pc_msg_auth_rep_dec(&r, &rep) != 0)
			break;
		if ((p = auth_find(h.id)) != NULL && h.id != 0)
			auth_finish(p, rep.code, rep.user);
		return;
	case PC_IPC_ADMIN_REP:
		if (admin_reply(&r, h.id) != 0)
			break;
		return;
	case PC_IPC_DRAIN:
		if (pc_msg_drain_dec(&r, &d) != 0)
			break;
		hooks->drain(d.grace_s);
		return;
	case PC_IPC_SHUTDOWN:
		master_gone();
		return;
	default:
		break;
	}
	log_warnx("unexpected message %u from the master", (unsigned)h.type);
	master_gone();
}

static void
on_io(struct ev_io *w, uint32_t revents)
{
	uint8_t buf[PC_IPC_MAX];

	(void)w;
	if (revents & EPOLLOUT)
		flush_queue();
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (int i = 0; i < 64 && !gone; i++) {
		ssize_t n = recv(ipcfd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {           /* EOF: the master is gone */
			master_gone();
			return;
		}
		on_message(buf, (size_t)n);
	}
}

static void
send_stats(void)
{
	struct pc_msg_stats s;
	uint8_t             buf[128];

	memset(&s, 0, sizeof(s));
	hooks->stats(&s);
	s.dropped_logs = dropped_logs;
	s.bw_waits = wstats.bw_waits;
	s.bw_wait_ms = wstats.bw_wait_ms;
	s.dns_lookups = wstats.dns_lookups;
	s.dns_hits = wstats.dns_hits;
	s.dns_failures = wstats.dns_failures;
	(void)send_msg(buf, pc_msg_stats_enc(buf, mygen, &s));
}

void
ipc_client_last_stats(void)
{
	ipc_log_flush();
	send_stats();
}

static void
on_stats(struct ev_timer *t)
{
	send_stats();
	if (nauths > 0)
		auth_expire();
	admin_expire();
	ev_timer_start(t, STATS_EVERY, on_stats, NULL);
}

void
ipc_send_ready(const struct pc_msg_ready *m)
{
	uint8_t buf[64];

	(void)send_msg(buf, pc_msg_ready_enc(buf, mygen, m));
}

int
ipc_client_init(int fd, uint32_t gen, const struct ipc_client_hooks *h)
{
	ipcfd = fd;
	mygen = gen;
	hooks = h;
	if (ev_io_add(&io, fd, EPOLLIN, on_io, NULL) != 0) {
		log_warn("epoll_ctl ipc");
		return -1;
	}
	ev_at_turn_end(ipc_log_flush);
	ev_timer_start(&stats_timer, STATS_EVERY, on_stats, NULL);
	return 0;
}
