/*
 * Fleet counters, the master's side (fleet.h).
 *
 * Per counter NUMBER the master keeps `mark`: the slot's value that the
 * database already knows or has been sent.  A batch takes slot - mark of
 * every numbered counter (mark moves to the slot), and the reply's total
 * T moves slot and mark by T - mark (plus what later queued batches
 * still carry), so slot - mark stays the node's bytes not yet sent and
 * the slot is the fleet's total as far as this node knows.  One batch is
 * in flight at a time; it is kept until it is answered (the helper
 * retries it), and a batch carries the node's name and an increasing
 * seq, so the database applies it once however often it is sent.
 *
 * A period is part of the row's key (its start), so a new period is a new
 * row: the slot starts again from 0 here, and whatever the old period
 * still had unsent goes out in the next batch under the old key.
 *
 * The state file (`fleet NODE STATEFILE`) holds the queued batches, the
 * unsent bytes as one more batch, and the marks, rewritten at most every
 * STATE_MS: a stop while the database is away, or a SIGKILL, loses at
 * most what moved since the last write.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/fleet.h"
#include "master/fleet_msg.h"
#include "master/fleet_users.h"
#include "master/logname.h"
#include "master/logodbc.h"
#include "master/master.h"

#define TICK_MS        100      /* how often slot - mark is looked at */
#define BATCH_MS       1000     /* a batch at least this often */
#define STATE_MS       1000
#define STOP_MS        2000
#define RESTART_MIN_MS 1000     /* a failed fork */
#define QMAX           4

struct track {
	uint64_t mark;
	int64_t  period;
	uint32_t stamp;              /* dedupe within one pass */
	bool     known;
};

struct batch {
	uint64_t          seq;
	uint32_t          n;
	struct fleet_item items[FLEET_ITEMS_MAX];
};

static struct {
	bool              on, loaded, sent, warned_items;
	char              node[PC_FLEET_NODE_MAX + 1];
	pid_t             pid;
	int               fd;
	int64_t           restart_at, started_ms, sent_ms, last_batch_ms;
	int64_t           next_state_ms;
	unsigned          deaths;
	uint64_t          last_seq;
	uint64_t          applied, again, starts;
	int64_t           answer_ms;     /* 0: no answer yet */
	uint32_t          stamp;
	struct batch      q[QMAX];   /* q[0] is in flight once sent */
	size_t            nq;
	struct fleet_item carry[FLEET_ITEMS_MAX];  /* old periods' rests */
	uint32_t          ncarry;
	struct fleet_req  req, ureq;
	union {
		struct fleet_rep  rep;
		struct fleet_urep urep;
	} in;
} F = { .fd = -1 };

static struct track tr[PC_CT_NUMBERS + 1];

static const struct pc_config *
cfg_now(void)
{
	return M.cur != NULL ? M.cur->cfg : NULL;
}

bool
fleet_on(const struct pc_config *cfg)
{
	return cfg != NULL && cfg->fleet.dsn != NULL;
}

static uint64_t *
slot_of(const struct pc_config *cfg, uint32_t num)
{
	return &cfg->ctslots[num - 1].bytes;
}

static int64_t
period_of(const struct pc_counter *c, time_t now)
{
	return c->period == PC_ROT_NONE ? 0 :
	    (int64_t)logname_period_start(c->period, false, now);
}

/* realtime microseconds, above every seq used: increasing over restarts
 * without a state file as long as the clock does not go back */
static uint64_t
new_seq(void)
{
	struct timespec ts;
	uint64_t        us;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	F.last_seq = us > F.last_seq ? us : F.last_seq + 1;
	return F.last_seq;
}

/* Calls fn for each numbered counter of cfg once (the first rule of a
 * NUMBER decides its period). */
static void
each_counter(const struct pc_config *cfg,
    void (*fn)(const struct pc_counter *, void *), void *arg)
{
	F.stamp++;
	for (size_t i = 0; i < cfg->ncounters; i++) {
		const struct pc_counter *c = &cfg->counters[i];

		if (c->exempt || c->number == 0 ||
		    tr[c->number].stamp == F.stamp)
			continue;
		tr[c->number].stamp = F.stamp;
		fn(c, arg);
	}
}

static void
push_item(struct fleet_item *items, uint32_t *n, uint32_t num,
    int64_t period, uint64_t v)
{
	if (*n >= FLEET_ITEMS_MAX) {
		if (!F.warned_items)
			log_warnx("fleet: more than %d counters in a batch, "
			    "the rest stay local", FLEET_ITEMS_MAX);
		F.warned_items = true;
		return;
	}
	items[(*n)++] = (struct fleet_item){ .num = num, .period = period,
	    .v = v };
}

/* A new period: the slot starts from 0, the old one's rest is carried. */
static void
roll(const struct pc_counter *c, void *arg)
{
	const struct pc_config *cfg = cfg_now();
	struct track           *t = &tr[c->number];
	int64_t                 p = period_of(c, *(time_t *)arg);
	uint64_t                old;

	if (!t->known) {
		t->known = true;
		t->period = p;
		return;
	}
	if (t->period == p)
		return;
	old = __atomic_exchange_n(slot_of(cfg, c->number), 0,
	    __ATOMIC_RELAXED);
	if (old > t->mark)
		push_item(F.carry, &F.ncarry, c->number, t->period,
		    old - t->mark);
	cfg->ctslots[c->number - 1].reset = *(time_t *)arg;
	t->mark = 0;
	t->period = p;
}

/* slot - mark, never below 0 (a local reset lowers the slot) */
static uint64_t
unsent(const struct pc_config *cfg, uint32_t num)
{
	uint64_t v = __atomic_load_n(slot_of(cfg, num), __ATOMIC_RELAXED);

	return v > tr[num].mark ? v - tr[num].mark : 0;
}

static void
most_unsent(const struct pc_counter *c, void *arg)
{
	uint64_t u = unsent(cfg_now(), c->number);

	if (u > *(uint64_t *)arg)
		*(uint64_t *)arg = u;
}

static void
take(const struct pc_counter *c, void *arg)
{
	const struct pc_config *cfg = cfg_now();
	struct batch           *b = arg;
	struct track           *t = &tr[c->number];
	uint64_t v = __atomic_load_n(slot_of(cfg, c->number), __ATOMIC_RELAXED);

	push_item(b->items, &b->n, c->number, t->period,
	    v > t->mark ? v - t->mark : 0);
	t->mark = v;
}

static void
snapshot(const struct pc_config *cfg, int64_t now)
{
	struct batch *b = &F.q[F.nq++];

	b->n = 0;
	for (uint32_t i = 0; i < F.ncarry; i++)
		push_item(b->items, &b->n, F.carry[i].num, F.carry[i].period,
		    F.carry[i].v);
	F.ncarry = 0;
	each_counter(cfg, take, b);
	b->seq = new_seq();
	F.last_batch_ms = now;
}

/* ---- the state file ---------------------------------------------- */

struct state_out {
	FILE    *f;
	uint64_t pseudo_seq;
	bool     any;
};

static void
write_mark(const struct pc_counter *c, void *arg)
{
	struct state_out *o = arg;

	fprintf(o->f, "mark %" PRIu32 " %" PRId64 " %" PRIu64 "\n", c->number,
	    tr[c->number].period, tr[c->number].mark);
}

static void
write_unsent(const struct pc_counter *c, void *arg)
{
	struct state_out *o = arg;
	uint64_t          u = unsent(cfg_now(), c->number);

	if (u == 0)
		return;
	if (!o->any)
		fprintf(o->f, "batch %" PRIu64 "\n", o->pseudo_seq);
	o->any = true;
	fprintf(o->f, "item %" PRIu32 " %" PRId64 " %" PRIu64 "\n", c->number,
	    tr[c->number].period, u);
}

static void
write_batch(FILE *f, uint64_t seq, const struct fleet_item *it, uint32_t n)
{
	fprintf(f, "batch %" PRIu64 "\n", seq);
	for (uint32_t i = 0; i < n; i++)
		if (it[i].v != 0)
			fprintf(f, "item %" PRIu32 " %" PRId64 " %" PRIu64 "\n",
			    it[i].num, it[i].period, it[i].v);
}

static void
state_write(const struct pc_config *cfg)
{
	struct state_out o = { .pseudo_seq = F.last_seq + 1 };
	char             tmp[4096];
	bool             ok;

	if (cfg->fleet.state == NULL)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", cfg->fleet.state) >=
	    (int)sizeof(tmp) || (o.f = fopen(tmp, "we")) == NULL) {
		log_warn("fleet state %s", cfg->fleet.state);
		return;
	}
	fprintf(o.f, "portcullis-fleet 1\nnode %s\nseq %" PRIu64 "\n", F.node,
	    F.last_seq);
	each_counter(cfg, write_mark, &o);
	for (size_t i = 0; i < F.nq; i++)
		write_batch(o.f, F.q[i].seq, F.q[i].items, F.q[i].n);
	if (F.ncarry > 0) {
		write_batch(o.f, o.pseudo_seq, F.carry, F.ncarry);
		o.any = true;
	}
	each_counter(cfg, write_unsent, &o);
	ok = fflush(o.f) == 0 && fsync(fileno(o.f)) == 0;
	ok = fclose(o.f) == 0 && ok;
	if (!ok || rename(tmp, cfg->fleet.state) != 0) {
		log_warn("fleet state %s", cfg->fleet.state);
		(void)unlink(tmp);
	}
}

/* What a previous run left: its batches queued again (same seqs, so
 * those the database has are not counted twice), the slots at the marks
 * plus those batches, for the periods that are still current. */
static void
state_load(const struct pc_config *cfg, time_t now)
{
	FILE         *f = fopen(cfg->fleet.state, "re");
	char          line[256], node[PC_FLEET_NODE_MAX + 2];
	uint64_t      seq, v;
	uint32_t      num;
	int64_t       period;
	struct batch *b = NULL;
	size_t        items = 0;

	if (f == NULL) {
		if (errno != ENOENT)
			log_warn("fleet state %s", cfg->fleet.state);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "node %65s", node) == 1 &&
		    strcmp(node, F.node) != 0) {
			log_warnx("fleet state %s: written by node %s, not %s; "
			    "ignored", cfg->fleet.state, node, F.node);
			F.nq = 0;
			break;
		} else if (sscanf(line, "seq %" SCNu64, &seq) == 1) {
			if (seq > F.last_seq)
				F.last_seq = seq;
		} else if (sscanf(line, "mark %" SCNu32 " %" SCNd64 " %" SCNu64,
		    &num, &period, &v) == 3 && num >= 1 &&
		    num <= PC_CT_NUMBERS) {
			tr[num] = (struct track){ .mark = v, .period = period,
			    .known = true };
		} else if (sscanf(line, "batch %" SCNu64, &seq) == 1 &&
		    F.nq < QMAX) {
			b = &F.q[F.nq++];
			b->seq = seq;
			b->n = 0;
			if (seq > F.last_seq)
				F.last_seq = seq;
		} else if (b != NULL && sscanf(line, "item %" SCNu32 " %" SCNd64
		    " %" SCNu64, &num, &period, &v) == 3 && num >= 1 &&
		    num <= PC_CT_NUMBERS && b->n < FLEET_ITEMS_MAX) {
			b->items[b->n++] = (struct fleet_item){ .num = num,
			    .period = period, .v = v };
			items++;
		}
	}
	fclose(f);
	/* queued bytes of a current period count as the node's own */
	for (size_t i = 0; i < F.nq; i++)
		for (uint32_t k = 0; k < F.q[i].n; k++) {
			struct fleet_item *it = &F.q[i].items[k];

			if (tr[it->num].known && tr[it->num].period ==
			    it->period)
				tr[it->num].mark += it->v;
		}
	for (uint32_t n = 1; n <= PC_CT_NUMBERS; n++)
		if (tr[n].known)
			__atomic_store_n(slot_of(cfg, n), tr[n].mark,
			    __ATOMIC_RELAXED);
	(void)now;
	log_info("fleet state %s: %zu batches (%zu rows) to charge again",
	    cfg->fleet.state, F.nq, items);
}

/* ---- the helper and its replies ----------------------------------- */

static void
helper_start(int64_t now)
{
	pid_t pid = odbc_fork(fleet_helper_main, &F.fd, "fleet helper");

	if (pid == -1) {
		F.restart_at = now + RESTART_MIN_MS;
		return;
	}
	F.pid = pid;
	F.starts++;
	F.started_ms = now;
	F.restart_at = 0;
	F.sent = false;
}

bool
fleet_reaped(pid_t pid, int status)
{
	if (pid != F.pid || pid == 0)
		return false;
	F.restart_at = now_ms() + odbc_helper_ended("fleet helper", "its "
	    "batch is sent again", pid, status, F.started_ms, &F.deaths);
	close(F.fd);
	F.fd = -1;
	F.pid = 0;
	F.sent = false;
	fleet_users_lost();
	return true;
}

static void
send_head(const struct pc_config *cfg)
{
	const struct pc_fleet *fl = &cfg->fleet;
	const char *u = fl->user != NULL ? fl->user : "";
	const char *p = fl->pass != NULL ? fl->pass : "";
	size_t      a = strlen(fl->dsn) + 1, b = strlen(u) + 1,
	            c = strlen(p) + 1;

	if (F.sent || F.nq == 0 || F.fd < 0 || a + b + c > FLEET_CONN_MAX)
		return;
	memset(&F.req, 0, sizeof(F.req));
	F.req.seq = F.q[0].seq;
	F.req.n = F.q[0].n;
	memcpy(F.req.items, F.q[0].items, F.q[0].n * sizeof(F.req.items[0]));
	memcpy(F.req.node, F.node, sizeof(F.req.node));
	memcpy(F.req.conn, fl->dsn, a);
	memcpy(F.req.conn + a, u, b);
	memcpy(F.req.conn + a + b, p, c);
	F.req.conn_len = (uint32_t)(a + b + c);
	if (send(F.fd, &F.req, sizeof(F.req), MSG_NOSIGNAL | MSG_DONTWAIT) ==
	    (ssize_t)sizeof(F.req)) {
		F.sent = true;
		F.sent_ms = now_ms();
	}
	explicit_bzero(F.req.conn, sizeof(F.req.conn));
}

/* The fleet's totals: slot and mark move to T plus the bytes of the
 * batches still queued behind the answered one. */
static void
answered(const struct pc_config *cfg)
{
	for (uint32_t i = 0; i < F.in.rep.n && i < FLEET_ITEMS_MAX; i++) {
		const struct fleet_item *it = &F.in.rep.items[i];
		struct track            *t;
		uint64_t                 target, adjust;

		if (it->num < 1 || it->num > PC_CT_NUMBERS)
			continue;
		t = &tr[it->num];
		if (!t->known || t->period != it->period)
			continue;            /* a finished period's row */
		target = it->v;
		for (size_t q = 1; q < F.nq; q++)
			for (uint32_t k = 0; k < F.q[q].n; k++)
				if (F.q[q].items[k].num == it->num &&
				    F.q[q].items[k].period == it->period)
					target += F.q[q].items[k].v;
		adjust = target - t->mark;    /* modulo 2^64 */
		__atomic_add_fetch(slot_of(cfg, it->num), adjust,
		    __ATOMIC_RELAXED);
		t->mark = target;
		cfg->ctslots[it->num - 1].update = (int64_t)time(NULL);
	}
	memmove(&F.q[0], &F.q[1], (F.nq - 1) * sizeof(F.q[0]));
	F.nq--;
	F.sent = false;
}

static void
read_replies(const struct pc_config *cfg)
{
	for (int i = 0; i < 16 && F.fd >= 0; i++) {
		ssize_t n = recv(F.fd, &F.in, sizeof(F.in), MSG_DONTWAIT);

		if (n <= 0)
			return;
		if ((size_t)n == sizeof(F.in.urep) &&
		    F.in.urep.kind == FLEET_USERS) {
			fleet_users_piece(&F.in.urep);
			/* no copy of a password for what the master forks */
			explicit_bzero(&F.in.urep, sizeof(F.in.urep));
			continue;
		}
		if ((size_t)n != sizeof(F.in.rep) ||
		    F.in.rep.kind != FLEET_BATCH ||
		    F.in.rep.n > FLEET_ITEMS_MAX) {
			log_warnx("fleet helper: malformed reply dropped");
			continue;
		}
		if (!F.on)
			continue;
		log_debug("fleet: reply to batch %" PRIu64 ": %" PRIu32 " rows, "
		    "%s", F.in.rep.seq, F.in.rep.n, F.in.rep.applied ? "applied" :
		    "had been applied");
		if (F.nq > 0 && F.sent && F.in.rep.seq == F.q[0].seq) {
			*(F.in.rep.applied ? &F.applied : &F.again) += 1;
			F.answer_ms = now_ms();
			answered(cfg);
		}
	}
}

/* ---- the loop's side ---------------------------------------------- */

static void
node_name(const struct pc_config *cfg)
{
	char   host[256];
	size_t i;

	if (cfg->fleet.node != NULL) {
		snprintf(F.node, sizeof(F.node), "%s", cfg->fleet.node);
		return;
	}
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "portcullis");
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0' && i < PC_FLEET_NODE_MAX; i++)
		F.node[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
		    "QRSTUVWXYZ0123456789._-", host[i]) != NULL ? host[i] : '-';
	F.node[i] = '\0';
}

void
fleet_attach(const struct pc_config *cfg)
{
	char old[sizeof(F.node)];

	fleet_users_attach(cfg);
	F.on = fleet_on(cfg);
	if (fleet_users_on() && F.pid == 0 && F.restart_at == 0)
		F.restart_at = now_ms();
	if (!F.on) {
		if (F.fd >= 0 && !fleet_users_on()) {
			/* a reload left the fleet */
			log_warnx("fleet: no `counter &DSN` any more; %zu "
			    "unconfirmed batches dropped", F.nq);
			close(F.fd);   /* the helper exits at EOF */
			F.fd = -1;
		}
		F.nq = 0;
		F.ncarry = 0;
		F.sent = false;
		return;
	}
	memcpy(old, F.node, sizeof(old));
	node_name(cfg);
	if (old[0] != '\0' && strcmp(old, F.node) != 0)
		log_warnx("fleet: the node name changed from %s to %s by a "
		    "reload", old, F.node);
	if (!F.loaded && cfg->fleet.state != NULL) {
		F.loaded = true;
		state_load(cfg, time(NULL));
	}
	if (F.pid == 0 && F.restart_at == 0)
		F.restart_at = now_ms();
}

/* One step: replies, periods, a batch when due, the state file. */
static void
step(const struct pc_config *cfg, int64_t now)
{
	time_t   t = time(NULL);
	uint64_t most = 0, batch = (uint64_t)(cfg->fleet.batch_kb != 0 ?
	    cfg->fleet.batch_kb : PC_FLEET_BATCH_KB) * 1024u;

	each_counter(cfg, roll, &t);
	if (F.nq == 0) {
		each_counter(cfg, most_unsent, &most);
		if (now - F.last_batch_ms >= BATCH_MS || most >= batch ||
		    F.ncarry > 0)
			snapshot(cfg, now);
	}
	send_head(cfg);
	if (now >= F.next_state_ms) {
		state_write(cfg);
		F.next_state_ms = now + STATE_MS;
	}
}

int64_t
fleet_tick(int64_t now)
{
	const struct pc_config *cfg = cfg_now();

	if ((!F.on && !fleet_users_on()) || cfg == NULL ||
	    cfg->ctslots == NULL || M.stopping)
		return 0;
	if (F.pid == 0 && F.restart_at != 0 && now >= F.restart_at)
		helper_start(now);
	read_replies(cfg);
	if (F.fd >= 0 && fleet_users_due(cfg, &F.ureq)) {
		if (send(F.fd, &F.ureq, sizeof(F.ureq), MSG_NOSIGNAL |
		    MSG_DONTWAIT) == (ssize_t)sizeof(F.ureq))
			fleet_users_sent();
		explicit_bzero(F.ureq.conn, sizeof(F.ureq.conn));
	}
	if (F.on)
		step(cfg, now);
	return now + TICK_MS;
}

static void
add_unsent(const struct pc_counter *c, void *arg)
{
	*(uint64_t *)arg += unsent(cfg_now(), c->number);
}

void
fleet_figures(struct fleet_figures *f)
{
	const struct pc_config *cfg = cfg_now();

	memset(f, 0, sizeof(*f));
	f->on = F.on;
	f->users_on = fleet_users_on();
	f->applied = F.applied;
	f->again = F.again;
	f->restarts = F.starts > 0 ? F.starts - 1 : 0;
	f->queued = F.nq;
	f->answer_age_ms = F.answer_ms != 0 ? now_ms() - F.answer_ms : -1;
	f->users = fleet_users_count();
	if (F.on && cfg != NULL && cfg->ctslots != NULL)
		each_counter(cfg, add_unsent, &f->unconfirmed);
	for (size_t i = 0; i < F.nq; i++)
		for (uint32_t k = 0; k < F.q[i].n; k++)
			f->unconfirmed += F.q[i].items[k].v;
	for (uint32_t k = 0; k < F.ncarry; k++)
		f->unconfirmed += F.carry[k].v;
}

static bool
all_sent(const struct pc_config *cfg)
{
	uint64_t most = 0;

	each_counter(cfg, most_unsent, &most);
	return F.nq == 0 && F.ncarry == 0 && most == 0;
}

void
fleet_stop(void)
{
	const struct pc_config *cfg = cfg_now();
	int64_t                 end = now_ms() + STOP_MS;

	if (!F.on || cfg == NULL || cfg->ctslots == NULL)
		return;
	while (F.fd >= 0 && !all_sent(cfg) && now_ms() < end) {
		struct pollfd pfd = { .fd = F.fd, .events = POLLIN };

		F.last_batch_ms = 0;              /* a batch now */
		read_replies(cfg);
		step(cfg, now_ms());
		if (F.nq > 0)
			(void)poll(&pfd, 1, (int)(end - now_ms() > 0 ?
			    end - now_ms() : 0));
		read_replies(cfg);
	}
	state_write(cfg);
	if (!all_sent(cfg))
		log_warnx("fleet: stopping with counter bytes the database "
		    "has not confirmed; %s", cfg->fleet.state != NULL ?
		    "the state file keeps them for the next start" :
		    "they are lost (no state file: `fleet NODE STATEFILE`)");
	else
		log_info("fleet: every counter byte charged");
	if (F.fd >= 0)
		close(F.fd);
	F.fd = -1;
}
