/*
 * The master's books (metrics.h) and their text for GET /metrics.
 *
 * Per service: requests by %E class and the bytes of each record, auth
 * failures (codes 4-8), from the access-log records; connections accepted,
 * bandwidth waits and DNS figures from the STATS heartbeats (the growth
 * since the worker's previous one, so a worker's death loses at most its
 * last second); connections active from the live workers' last STATS.
 * Per worker slot: restarts and their cause, from the reaper.  The
 * master's own: reloads, the generation, log records per target, the
 * ODBC helper's queue, the traffic counters from the shared table.
 *
 * Tables are bounded: past their size, new keys share one "other" row,
 * so a configuration reloaded with ever new ports cannot grow the master
 * without limit.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/ecode.h"
#include "common/xmalloc.h"
#include "master/fleet.h"
#include "master/logodbc.h"
#include "master/metrics.h"

#define BOOKS_MAX    256
#define RESTARTS_MAX 1024
#define TARGETS_MAX  64

/* %E classes: the ranges of 3proxy's reference (portcullis.8). */
static const struct { uint32_t lo, hi; const char *name; } classes[] = {
	{ 0, 0, "ok" }, { 1, 3, "acl" }, { 4, 9, "auth" },
	{ 10, 10, "limit" }, { 11, 19, "connect" }, { 20, 29, "internal" },
	{ 30, 79, "parent" }, { 80, 99, "io" }, { 100, 199, "resolve" },
	{ 200, 399, "udp_tls" }, { 400, 499, "socks" }, { 500, 599, "http" },
	{ 600, 699, "mail" }, { 700, 799, "ftp_url" }, { 800, 899, "ftp" },
	{ 900, UINT32_MAX, "other" },
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

struct book {
	char     type[16];
	char     addr[PC_ADDRSTRLEN];
	uint16_t port;
	uint64_t requests[NCLASSES];
	uint64_t bytes_in, bytes_out;
	uint64_t auth_nocred, auth_unknown, auth_wrong;
	uint64_t accepted, lost_logs;
	uint64_t bw_waits, bw_wait_ms;
	uint64_t dns_lookups, dns_hits, dns_failures;
};

struct restart {
	size_t      book;
	uint16_t    slot;
	const char *cause;
	char        detail[48];
	uint64_t    n;
};

struct target {
	char     kind[8];
	char     name[128];
	uint64_t written, dropped;
};

static struct book    books[BOOKS_MAX];
static size_t         nbooks;
static struct restart restarts[RESTARTS_MAX];
static size_t         nrestarts;
static struct target  targets[TARGETS_MAX];
static size_t         ntargets;
static uint64_t       reloads_ok, reloads_failed;

size_t
metrics_svc_book(const struct pc_service *s)
{
	char addr[PC_ADDRSTRLEN];
	const char *type = pc_svc_type_name(s->type);

	pc_addr_ntop(&s->listen, addr, sizeof(addr));
	for (size_t i = 0; i < nbooks; i++)
		if (strcmp(books[i].type, type) == 0 &&
		    strcmp(books[i].addr, addr) == 0 &&
		    books[i].port == s->listen.port)
			return i;
	if (nbooks == BOOKS_MAX)
		return BOOKS_MAX - 1;      /* the last one: "other" */
	snprintf(books[nbooks].type, sizeof(books[0].type), "%s",
	    nbooks == BOOKS_MAX - 1 ? "other" : type);
	snprintf(books[nbooks].addr, sizeof(books[0].addr), "%s",
	    nbooks == BOOKS_MAX - 1 ? "" : addr);
	books[nbooks].port = nbooks == BOOKS_MAX - 1 ? 0 : s->listen.port;
	return nbooks++;
}

void
metrics_record(size_t b, const struct pc_logrec *rec)
{
	struct book *k;

	if (b >= nbooks || (rec->flags & PC_LOGREC_F_EVENT))
		return;
	k = &books[b];
	for (size_t i = 0; i < NCLASSES; i++)
		if (rec->code >= classes[i].lo && rec->code <= classes[i].hi) {
			k->requests[i]++;
			break;
		}
	k->bytes_in += rec->bytes_in;
	k->bytes_out += rec->bytes_out;
	if (rec->code == PC_E_NOCRED)
		k->auth_nocred++;
	else if (rec->code == PC_E_NOUSER)
		k->auth_unknown++;
	else if (rec->code >= PC_E_BADPASS && rec->code <= PC_E_BADNT)
		k->auth_wrong++;
}

/* A figure that went down belongs to a new process: all of it is new. */
static uint64_t
growth(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

void
metrics_stats(struct worker *w, const struct pc_msg_stats *s)
{
	size_t       b = w->gen->svcs[w->svc].book;
	struct book *k;

	if (b < nbooks) {
		k = &books[b];
		k->accepted += growth(s->accepted, w->seen.accepted);
		k->lost_logs += growth(s->dropped_logs, w->seen.dropped_logs);
		k->bw_waits += growth(s->bw_waits, w->seen.bw_waits);
		k->bw_wait_ms += growth(s->bw_wait_ms, w->seen.bw_wait_ms);
		k->dns_lookups += growth(s->dns_lookups, w->seen.dns_lookups);
		k->dns_hits += growth(s->dns_hits, w->seen.dns_hits);
		k->dns_failures += growth(s->dns_failures,
		    w->seen.dns_failures);
	}
	w->seen = *s;
}

void
metrics_restart(const struct worker *w, int status)
{
	size_t          b = w->gen->svcs[w->svc].book;
	const char     *cause;
	char            detail[48];
	struct restart *r = NULL;

	if (w->violated) {
		cause = "killed";
		snprintf(detail, sizeof(detail), "%s",
		    w->kill_reason != NULL ? w->kill_reason : "");
	} else if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));

		cause = WTERMSIG(status) == SIGSYS ? "sandbox" : "signal";
		snprintf(detail, sizeof(detail), "SIG%s",
		    abbrev != NULL ? abbrev : "?");
	} else {
		cause = "exit";
		snprintf(detail, sizeof(detail), "%d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	for (size_t i = 0; i < nrestarts && r == NULL; i++)
		if (restarts[i].book == b && restarts[i].slot == w->slot &&
		    strcmp(restarts[i].cause, cause) == 0 &&
		    strcmp(restarts[i].detail, detail) == 0)
			r = &restarts[i];
	if (r == NULL && nrestarts < RESTARTS_MAX) {
		r = &restarts[nrestarts++];
		r->book = b;
		r->slot = w->slot;
		r->cause = cause;
		snprintf(r->detail, sizeof(r->detail), "%s", detail);
	}
	if (r == NULL)             /* full: the last row takes the rest */
		r = &restarts[RESTARTS_MAX - 1];
	r->n++;
}

void
metrics_reload(bool ok)
{
	if (ok)
		reloads_ok++;
	else
		reloads_failed++;
}

/* The label of a target: never a password (an ODBC connection string is
 * cut at its first ';', where UID=/PWD= would follow). */
static void
target_label(const struct pc_logtarget *t, char *kind, size_t ksz,
    char *name, size_t nsz)
{
	static const char *const kinds[] = { "none", "stdout", "file",
		"syslog", "odbc" };
	const char *p = t->path != NULL ? t->path : "";

	snprintf(kind, ksz, "%s", (size_t)t->kind < 5 ? kinds[t->kind] : "?");
	if (t->kind == PC_LOG_ODBC)
		snprintf(name, nsz, "%.*s", (int)strcspn(p, ";"), p);
	else if (t->kind == PC_LOG_STDOUT)
		snprintf(name, nsz, "-");
	else
		snprintf(name, nsz, "%s", p);
}

void
metrics_log(const struct pc_logtarget *t, size_t written, size_t dropped)
{
	char           kind[8], name[128];
	struct target *x = NULL;

	target_label(t, kind, sizeof(kind), name, sizeof(name));
	for (size_t i = 0; i < ntargets && x == NULL; i++)
		if (strcmp(targets[i].kind, kind) == 0 &&
		    strcmp(targets[i].name, name) == 0)
			x = &targets[i];
	if (x == NULL && ntargets < TARGETS_MAX) {
		x = &targets[ntargets++];
		memcpy(x->kind, kind, sizeof(kind));
		memcpy(x->name, name, sizeof(name));
	}
	if (x == NULL)
		x = &targets[TARGETS_MAX - 1];
	x->written += written;
	x->dropped += dropped;
}

/* ---- the text ---- */

struct mtext {
	char  *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
put(struct mtext *m, const char *fmt, ...)
{
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n + 1 > m->cap - m->len) {
		while ((size_t)n + 1 > m->cap - m->len)
			m->cap = m->cap ? m->cap * 2 : 16384;
		m->p = xreallocarray(m->p, 1, m->cap);
	}
	va_start(ap, fmt);
	vsnprintf(m->p + m->len, m->cap - m->len, fmt, ap);
	va_end(ap);
	m->len += (size_t)n;
}

/* A label value: \ " and newline escaped as the format says. */
static const char *
esc(const char *s)
{
	static char buf[4][512];
	static int  k;
	char       *o = buf[k = (k + 1) % 4];
	size_t      n = 0;

	for (; *s != '\0' && n + 3 < sizeof(buf[0]); s++) {
		if (*s == '\\' || *s == '"') {
			o[n++] = '\\';
			o[n++] = *s;
		} else if (*s == '\n') {
			o[n++] = '\\';
			o[n++] = 'n';
		} else {
			o[n++] = *s;
		}
	}
	o[n] = '\0';
	return o;
}

static void
family(struct mtext *m, const char *name, const char *type,
    const char *help)
{
	put(m, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *
svc_labels(size_t b)
{
	static char buf[2][160];
	static int  k;
	char       *o = buf[k = (k + 1) % 2];

	snprintf(o, sizeof(buf[0]), "service=\"%s\",address=\"%s\","
	    "port=\"%u\"", esc(books[b].type), esc(books[b].addr),
	    (unsigned)books[b].port);
	return o;
}

/* One counter per service book, read at offset off of struct book. */
static void
per_book(struct mtext *m, const char *name, const char *help, size_t off,
    double scale)
{
	family(m, name, "counter", help);
	for (size_t b = 0; b < nbooks; b++) {
		uint64_t v;

		memcpy(&v, (const char *)&books[b] + off, sizeof(v));
		if (scale != 1)
			put(m, "%s{%s} %.3f\n", name, svc_labels(b),
			    (double)v * scale);
		else
			put(m, "%s{%s} %llu\n", name, svc_labels(b),
			    (unsigned long long)v);
	}
}

/* The per-service counters that are one book field each, in the order
 * they are printed after the auth failures. */
static const struct {
	const char *name, *help;
	size_t      off;
	double      scale;
} counts[] = {
	{ "portcullis_bandlimit_waits_total",
	  "Times a bandwidth limit held a transfer.",
	  offsetof(struct book, bw_waits), 1 },
	{ "portcullis_bandlimit_wait_seconds_total",
	  "Time transfers were held by bandwidth limits.",
	  offsetof(struct book, bw_wait_ms), 0.001 },
	{ "portcullis_dns_lookups_total",
	  "Names the workers resolved (address literals not counted).",
	  offsetof(struct book, dns_lookups), 1 },
	{ "portcullis_dns_cache_hits_total",
	  "Lookups answered from the nscache.",
	  offsetof(struct book, dns_hits), 1 },
	{ "portcullis_dns_failures_total",
	  "Lookups that did not resolve.",
	  offsetof(struct book, dns_failures), 1 },
	{ "portcullis_log_records_lost_total",
	  "Access-log records a worker could not send to the master.",
	  offsetof(struct book, lost_logs), 1 },
};

static void
services(struct mtext *m)
{
	uint64_t active[BOOKS_MAX];

	memset(active, 0, sizeof(active));
	for (const struct gen *g = M.gens; g != NULL; g = g->next)
		for (size_t i = 0; i < g->nworkers; i++)
			if (g->workers[i].pid > 0 &&
			    g->svcs[g->workers[i].svc].book < BOOKS_MAX)
				active[g->svcs[g->workers[i].svc].book] +=
				    g->workers[i].active;
	family(m, "portcullis_connections_active", "gauge",
	    "Client connections open now (workers' last heartbeat).");
	for (size_t b = 0; b < nbooks; b++)
		put(m, "portcullis_connections_active{%s} %llu\n",
		    svc_labels(b), (unsigned long long)active[b]);
	per_book(m, "portcullis_connections_accepted_total",
	    "Client connections accepted.", offsetof(struct book, accepted),
	    1);
	family(m, "portcullis_requests_total", "counter",
	    "Requests logged, by class of their %E result code.");
	for (size_t b = 0; b < nbooks; b++)
		for (size_t c = 0; c < NCLASSES; c++)
			put(m, "portcullis_requests_total{%s,class=\"%s\"} "
			    "%llu\n", svc_labels(b), classes[c].name,
			    (unsigned long long)books[b].requests[c]);
	per_book(m, "portcullis_received_bytes_total",
	    "Bytes received from servers (%I of the logged requests).",
	    offsetof(struct book, bytes_in), 1);
	per_book(m, "portcullis_sent_bytes_total",
	    "Bytes sent to servers (%O of the logged requests).",
	    offsetof(struct book, bytes_out), 1);
	family(m, "portcullis_auth_failures_total", "counter",
	    "Requests refused for their credentials (%E 4, 5, 6-8).");
	for (size_t b = 0; b < nbooks; b++) {
		put(m, "portcullis_auth_failures_total{%s,reason=\""
		    "no_credentials\"} %llu\n", svc_labels(b),
		    (unsigned long long)books[b].auth_nocred);
		put(m, "portcullis_auth_failures_total{%s,reason=\""
		    "unknown_user\"} %llu\n", svc_labels(b),
		    (unsigned long long)books[b].auth_unknown);
		put(m, "portcullis_auth_failures_total{%s,reason=\""
		    "wrong_password\"} %llu\n", svc_labels(b),
		    (unsigned long long)books[b].auth_wrong);
	}
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		per_book(m, counts[i].name, counts[i].help, counts[i].off,
		    counts[i].scale);
}

static void
workers(struct mtext *m)
{
	family(m, "portcullis_worker_restarts_total", "counter",
	    "Worker processes that ended unasked and were respawned, by "
	    "slot and cause.");
	for (size_t i = 0; i < nrestarts; i++)
		put(m, "portcullis_worker_restarts_total{%s,slot=\"%u\","
		    "cause=\"%s\",detail=\"%s\"} %llu\n",
		    svc_labels(restarts[i].book),
		    (unsigned)restarts[i].slot + 1, restarts[i].cause,
		    esc(restarts[i].detail), (unsigned long long)restarts[i].n);
	family(m, "portcullis_worker_up", "gauge",
	    "1 when the slot of the current generation has a process.");
	for (size_t i = 0; M.cur != NULL && i < M.cur->nworkers; i++) {
		const struct worker *w = &M.cur->workers[i];

		put(m, "portcullis_worker_up{%s,slot=\"%u\"} %d\n",
		    svc_labels(M.cur->svcs[w->svc].book),
		    (unsigned)w->slot + 1, w->pid > 0);
	}
}

/* `counter &DSN`, `users &DSN` (docs/fleet.md) */
static void
fleet_books(struct mtext *m)
{
	struct fleet_figures f;

	fleet_figures(&f);
	if (!f.on && !f.users_on)
		return;
	family(m, "portcullis_fleet_batches_total", "counter",
	    "Counter batches the database answered: applied now, or applied "
	    "before (a retry).");
	put(m, "portcullis_fleet_batches_total{result=\"applied\"} %llu\n"
	    "portcullis_fleet_batches_total{result=\"again\"} %llu\n",
	    (unsigned long long)f.applied, (unsigned long long)f.again);
	family(m, "portcullis_fleet_batches_queued", "gauge",
	    "Counter batches sent or kept and not answered yet.");
	put(m, "portcullis_fleet_batches_queued %zu\n", f.queued);
	family(m, "portcullis_fleet_unconfirmed_bytes", "gauge",
	    "Bytes this node counted that the database has not confirmed.");
	put(m, "portcullis_fleet_unconfirmed_bytes %llu\n",
	    (unsigned long long)f.unconfirmed);
	family(m, "portcullis_fleet_answer_age_seconds", "gauge",
	    "Seconds since the database last answered a batch (-1: never).");
	put(m, "portcullis_fleet_answer_age_seconds %.1f\n",
	    f.answer_age_ms < 0 ? -1.0 : (double)f.answer_age_ms / 1000.0);
	family(m, "portcullis_fleet_helper_restarts_total", "counter",
	    "Times the fleet helper process was started again.");
	put(m, "portcullis_fleet_helper_restarts_total %llu\n",
	    (unsigned long long)f.restarts);
	family(m, "portcullis_fleet_users", "gauge",
	    "Users read from the database (users &DSN).");
	put(m, "portcullis_fleet_users %zu\n", f.users);
}

static void
master_books(struct mtext *m)
{
	struct logodbc_figures o;

	family(m, "portcullis_reloads_total", "counter",
	    "Configuration reloads, by result.");
	put(m, "portcullis_reloads_total{result=\"ok\"} %llu\n"
	    "portcullis_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)reloads_ok,
	    (unsigned long long)reloads_failed);
	family(m, "portcullis_config_generation", "gauge",
	    "Generation number of the running configuration.");
	put(m, "portcullis_config_generation %u\n",
	    M.cur != NULL ? (unsigned)M.cur->id : 0);
	family(m, "portcullis_log_records_written_total", "counter",
	    "Access-log records handed to each target.");
	for (size_t i = 0; i < ntargets; i++)
		put(m, "portcullis_log_records_written_total{kind=\"%s\","
		    "target=\"%s\"} %llu\n", targets[i].kind,
		    esc(targets[i].name),
		    (unsigned long long)targets[i].written);
	family(m, "portcullis_log_records_dropped_total", "counter",
	    "Access-log records a target could not take.");
	for (size_t i = 0; i < ntargets; i++)
		put(m, "portcullis_log_records_dropped_total{kind=\"%s\","
		    "target=\"%s\"} %llu\n", targets[i].kind,
		    esc(targets[i].name),
		    (unsigned long long)targets[i].dropped);
	logodbc_figures(&o);
	family(m, "portcullis_odbc_queue_depth", "gauge",
	    "Statements the master holds for the ODBC helper.");
	put(m, "portcullis_odbc_queue_depth %zu\n", o.queued);
	family(m, "portcullis_odbc_send_retries_total", "counter",
	    "Times the helper was busy and the master kept statements to "
	    "send again.");
	put(m, "portcullis_odbc_send_retries_total %llu\n",
	    (unsigned long long)o.retries);
	family(m, "portcullis_odbc_helper_restarts_total", "counter",
	    "Times the ODBC helper process was started again.");
	put(m, "portcullis_odbc_helper_restarts_total %llu\n",
	    (unsigned long long)o.restarts);
	fleet_books(m);
}

static void
counters(struct mtext *m)
{
	static const char *const dir[] = { "in", "out", "all" };
	static const char *const per[] = { "never", "minute", "hour", "day",
		"week", "month", "year" };
	const struct pc_config *cfg = M.cur != NULL ? M.cur->cfg : NULL;

	family(m, "portcullis_counter_bytes", "gauge",
	    "Bytes of each counter rule (countin/countout/countall) in its "
	    "period.");
	for (size_t i = 0; cfg != NULL && cfg->ctslots != NULL &&
	    i < cfg->ncounters; i++) {
		const struct pc_counter *c = &cfg->counters[i];

		if (c->exempt)
			continue;
		put(m, "portcullis_counter_bytes{rule=\"%zu\",number=\"%u\","
		    "name=\"%s\",direction=\"%s\",period=\"%s\"} %llu\n", i,
		    (unsigned)c->number, esc(c->name != NULL ? c->name : ""),
		    dir[c->dir % 3], per[(size_t)c->period % 7],
		    (unsigned long long)__atomic_load_n(
		    &cfg->ctslots[c->slot].bytes, __ATOMIC_RELAXED));
	}
	family(m, "portcullis_counter_limit_bytes", "gauge",
	    "The limit of each counter rule.");
	for (size_t i = 0; cfg != NULL && cfg->ctslots != NULL &&
	    i < cfg->ncounters; i++) {
		const struct pc_counter *c = &cfg->counters[i];

		if (c->exempt)
			continue;
		put(m, "portcullis_counter_limit_bytes{rule=\"%zu\",number="
		    "\"%u\",name=\"%s\",direction=\"%s\",period=\"%s\"} "
		    "%llu\n", i, (unsigned)c->number,
		    esc(c->name != NULL ? c->name : ""), dir[c->dir % 3],
		    per[(size_t)c->period % 7], (unsigned long long)c->limit);
	}
	family(m, "portcullis_counter_enabled", "gauge",
	    "0 when the rule was switched off with the admin's /CD<rule>.");
	for (size_t i = 0; cfg != NULL && cfg->ctslots != NULL &&
	    i < cfg->ncounters; i++) {
		const struct pc_counter *c = &cfg->counters[i];

		if (c->exempt)
			continue;
		put(m, "portcullis_counter_enabled{rule=\"%zu\",number=\"%u\","
		    "name=\"%s\",direction=\"%s\",period=\"%s\"} %d\n", i,
		    (unsigned)c->number, esc(c->name != NULL ? c->name : ""),
		    dir[c->dir % 3], per[(size_t)c->period % 7],
		    cfg->ctoff == NULL || !__atomic_load_n(&cfg->ctoff[i],
		    __ATOMIC_RELAXED));
	}
}

char *
metrics_render(size_t *len)
{
	struct mtext m = { 0 };

	services(&m);
	workers(&m);
	master_books(&m);
	counters(&m);
	put(&m, "%s", "");
	*len = m.len;
	return m.p;
}
