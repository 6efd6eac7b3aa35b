/*
 * Worker messages in, verdicts and commands out.  The master's rules
 * (docs/architecture.md, "IPC messages"): it never exits because of what a
 * worker sent; a message that fails to decode, is not permitted in the
 * worker's state, carries the wrong generation, or arrives with a descriptor
 * attached (received without a control buffer: the kernel drops the fd and
 * sets MSG_CTRUNC) gets the worker SIGKILLed and its slot respawned.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/admin.h"
#include "master/auth.h"
#include "master/authcache.h"
#include "master/ipc_server.h"
#include "master/logwrite.h"
#include "master/metrics.h"
#include "master/recheck.h"
#include "master/spawn.h"

#define RECV_BATCH 64   /* messages per wake-up, then let others in */

/* Which message a worker may send in which state (OpenSSH mon_table
 * style): READY exactly once while starting, the rest only after it. */
static const unsigned permitted[PC_IPC__MAX] = {
	[PC_IPC_READY]    = 1u << W_STARTING,
	[PC_IPC_AUTH_REQ] = 1u << W_READY,
	[PC_IPC_LOG]      = 1u << W_READY,
	[PC_IPC_STATS]    = 1u << W_READY,
	[PC_IPC_ADMIN_REQ] = 1u << W_READY,   /* and only an admin worker */
};

static uint8_t inbuf[PC_IPC_MAX];

static void
set_out_interest(struct worker *w, bool want)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.ptr = w;
	epoll_ctl(M.epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void
ipc_writable(struct worker *w)
{
	while (w->fd >= 0 && w->qlen > 0) {
		struct outmsg *m = &w->q[w->qhead];
		ssize_t        n = send(w->fd, m->b, m->len,
		    MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			/* the worker is gone; the reap decides */
			worker_close_ipc(w);
			return;
		}
		if (m->auth_rep)
			w->auth_queued--;
		w->qhead = (w->qhead + 1) % OUTQ_CAP;
		w->qlen--;
	}
	if (w->fd >= 0 && w->qlen == 0)
		set_out_interest(w, false);
}

void
ipc_send(struct worker *w, const uint8_t *msg, size_t len, bool auth_rep)
{
	struct outmsg *m;

	if (w->fd < 0 || len == 0 || len > OUTQ_MSG_MAX)
		return;
	if (w->qlen == 0) {
		ssize_t n = send(w->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return;
	}
	if (w->qlen == OUTQ_CAP || (auth_rep &&
	    w->auth_queued >= AUTH_OUTSTANDING_MAX)) {
		worker_kill(w, "does not read its IPC socket (queue full)");
		return;
	}
	if (w->q == NULL)
		w->q = xcalloc(OUTQ_CAP, sizeof(*w->q));
	m = &w->q[(w->qhead + w->qlen) % OUTQ_CAP];
	memcpy(m->b, msg, len);
	m->len = (uint8_t)len;
	m->auth_rep = auth_rep;
	if (auth_rep)
		w->auth_queued++;
	if (w->qlen++ == 0)
		set_out_interest(w, true);
}

void
ipc_send_drain(struct worker *w, uint32_t grace_s)
{
	uint8_t             b[PC_IPC_MAX];
	struct pc_msg_drain d = { grace_s };

	ipc_send(w, b, pc_msg_drain_enc(b, w->gen->id, &d), false);
}

void
ipc_send_shutdown(struct worker *w)
{
	uint8_t b[PC_IPC_MAX];

	ipc_send(w, b, pc_msg_shutdown_enc(b, w->gen->id), false);
}

static const char *
sandbox_name(int m)
{
	return m == PC_SANDBOX_ENFORCE ? "enforce" :
	    m == PC_SANDBOX_LOG ? "log" : "off";
}

/* Formatted lines waiting for the end of the loop turn, all of one
 * service of one generation: the LOG batches of all its workers that
 * arrived in one turn go out in one write (ipc_logs_write). */
#define LOG_PENDING_MAX (256 * 1024)
static struct logbuf pend;
static struct gen   *pend_gen;
static size_t        pend_svc;

void
ipc_logs_write(void)
{
	if (pend_gen != NULL && pend.len > 0)
		logbuf_flush(&pend, pend_gen, pend_svc);
	pend.len = pend.nrec = 0;
	pend_gen = NULL;
}

static void
on_ready(struct worker *w, struct pc_ipcr *r)
{
	struct pc_msg_ready m;
	struct gen_svc     *gs = &w->gen->svcs[w->svc];
	char                text[64];

	if (pc_msg_ready_dec(r, &m) != 0) {
		worker_kill(w, "malformed READY");
		return;
	}
	if ((pid_t)m.pid != w->pid || m.svc != w->svc || m.slot != w->slot) {
		worker_kill(w, "READY names another worker");
		return;
	}
	w->state = W_READY;
	gs->early_deaths = 0;
	log_debug("%s pid %ld: ready (sandbox %s, %sjailed)", worker_name(w),
	    (long)w->pid, sandbox_name(m.sandbox), m.jailed ? "" : "not ");
	if (m.sandbox != PC_SANDBOX_ENFORCE)
		log_warnx("%s pid %ld: sandbox mode is \"%s\", not enforce",
		    worker_name(w), (long)w->pid, sandbox_name(m.sandbox));
	if (M.privileged && !m.jailed)
		log_warnx("%s pid %ld: reports it is not jailed",
		    worker_name(w), (long)w->pid);
	if (!gs->announced) {
		gs->announced = true;
		snprintf(text, sizeof(text), "Accepting connections [%ld/0]",
		    (long)getpid());
		ipc_logs_write();     /* records of this turn go first */
		log_service_event(w->gen, w->svc, text);
	}
}

static void
on_auth(struct worker *w, struct pc_ipcr *r, const struct pc_ipc_hdr *h)
{
	static struct pc_msg_auth_req q;
	struct pc_msg_auth_rep        rep;
	uint8_t                       b[PC_IPC_MAX];
	int                           bad;

	memset(&rep, 0, sizeof(rep));
	bad = pc_msg_auth_req_dec(r, &q) != 0 || q.svc != w->svc;
	if (!bad && q.kind == PC_AUTH_KIND_RECHECK) {
		rep.code = recheck_verdict(w->gen, w->svc, &q);
	} else if (!bad && q.kind == PC_AUTH_KIND_CACHE) {
		rep.code = authcache_lookup(&q.client, q.user, q.pass,
		    time(NULL), rep.user, sizeof(rep.user));
	} else if (!bad) {
		rep.code = auth_verdict(M.cur->cfg, q.user, q.pass);
		if (rep.code == 0)
			rep.code = authcache_login(&q.client, q.user, q.pass,
			    time(NULL));
	}
	explicit_bzero(&q, sizeof(q));
	if (bad) {
		worker_kill(w, "malformed AUTH_REQ");
		return;
	}
	ipc_send(w, b, pc_msg_auth_rep_enc(b, w->gen->id, h->id, &rep), true);
}

static void
on_log(struct worker *w, struct pc_ipcr *r)
{
	static struct pc_logrec rec;
	size_t                  len0, nrec0;
	uint16_t                count;

	if (pend_gen != NULL && (pend_gen != w->gen || pend_svc != w->svc))
		ipc_logs_write();
	pend_gen = w->gen;
	pend_svc = w->svc;
	len0 = pend.len;
	nrec0 = pend.nrec;
	if (pc_msg_log_count(r, &count) != 0)
		goto bad;
	for (uint16_t i = 0; i < count; i++) {
		if (pc_msg_log_next(r, &rec) != 0 || rec.svc != w->svc)
			goto bad;
		logbuf_add(&pend, w->gen, w->svc, &rec);
		metrics_record(w->gen->svcs[w->svc].book, &rec);
	}
	if (pc_ipcr_end(r) != 0)
		goto bad;
	if (pend.len >= LOG_PENDING_MAX)
		ipc_logs_write();
	return;
bad:
	pend.len = len0;         /* this batch is dropped, not the others */
	pend.nrec = nrec0;
	worker_kill(w, "malformed LOG batch");
}

static void
on_stats(struct worker *w, struct pc_ipcr *r)
{
	struct pc_msg_stats s;

	if (pc_msg_stats_dec(r, &s) != 0) {
		worker_kill(w, "malformed STATS");
		return;
	}
	if (s.dropped_logs > w->dropped_logs)
		log_warnx("%s pid %ld: dropped %u access-log records (IPC "
		    "queue full)", worker_name(w), (long)w->pid,
		    (unsigned)(s.dropped_logs - w->dropped_logs));
	metrics_stats(w, &s);
	w->dropped_logs = s.dropped_logs;
	w->active = s.active;
	w->accepted = s.accepted;
}

/* A reply too big for the queue's slots (ADMIN_REP): sent now, or dropped
 * when the socket is full (the asking worker times out).  It may overtake
 * queued messages; a reply is matched by its id, so that is harmless. */
static void
send_once(struct worker *w, const uint8_t *msg, size_t len)
{
	ssize_t n;

	if (w->fd < 0 || len == 0)
		return;
	do
		n = send(w->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		log_debug("%s: admin reply dropped: %s", worker_name(w),
		    strerror(errno));
}

static void
on_admin(struct worker *w, struct pc_ipcr *r, const struct pc_ipc_hdr *h)
{
	static struct pc_msg_admin_rep rep;
	static uint8_t                 b[PC_IPC_MAX];
	struct pc_msg_admin_req        q;

	if (pc_msg_admin_req_dec(r, &q) != 0) {
		worker_kill(w, "malformed ADMIN_REQ");
		return;
	}
	/* a proxy worker taken over must not reload the server or list
	 * the users */
	if (w->gen->cfg->svcs[w->svc].type != PC_SVC_ADMIN) {
		worker_kill(w, "ADMIN_REQ from a service that is not admin");
		return;
	}
	admin_answer(w, &q, &rep);
	send_once(w, b, pc_msg_admin_rep_enc(b, w->gen->id, h->id, &rep));
}

static void
dispatch(struct worker *w, size_t n)
{
	struct pc_ipcr    r;
	struct pc_ipc_hdr h;

	if (pc_ipcr_init(&r, inbuf, n, &h) != 0) {
		worker_kill(w, "malformed message header");
		return;
	}
	if (h.gen != w->gen->id) {
		worker_kill(w, "message of another generation");
		return;
	}
	if ((permitted[h.type] & (1u << w->state)) == 0) {
		worker_kill(w, "message type not permitted in its state");
		return;
	}
	w->last_msg_ms = now_ms();
	switch (h.type) {
	case PC_IPC_READY:    on_ready(w, &r); break;
	case PC_IPC_AUTH_REQ: on_auth(w, &r, &h); break;
	case PC_IPC_LOG:      on_log(w, &r); break;
	case PC_IPC_STATS:    on_stats(w, &r); break;
	case PC_IPC_ADMIN_REQ: on_admin(w, &r, &h); break;
	}
}

void
ipc_readable(struct worker *w)
{
	for (int i = 0; i < RECV_BATCH && w->fd >= 0; i++) {
		struct iovec  iov = { inbuf, sizeof(inbuf) };
		struct msghdr mh;
		ssize_t       n;

		/* no control buffer: descriptors sent to us are dropped */
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = recvmsg(w->fd, &mh, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* EOF or error: the worker is ending; the reap
			 * decides about the slot */
			worker_close_ipc(w);
			return;
		}
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			worker_kill(w, (mh.msg_flags & MSG_CTRUNC) ?
			    "sent a descriptor" : "message too long");
			return;
		}
		dispatch(w, (size_t)n);
		/* passwords do not linger in the receive buffer */
		explicit_bzero(inbuf, (size_t)n);
	}
}
