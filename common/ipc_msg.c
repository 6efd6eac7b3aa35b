/*
 * Master <-> worker messages: a bounded writer, a checked cursor reader and
 * one encoder/decoder pair per message type (layout in ipc_msg.h).
 *
 * The reader is the trust boundary of the master: every read checks the
 * bounds first and, once an error is seen, every later read returns zero and
 * the error sticks, so a decoder can read all its fields and check once at
 * the end.  Strings with a NUL inside are rejected: the receiver works with
 * C strings, and "admin\0junk" must not turn into "admin".
 */
#include <string.h>
#include <sys/socket.h>

#include "common/ipc_msg.h"

#define HDR_LEN      16

/* ---- writer ---- */

static void
w_put(struct pc_ipcw *w, const void *p, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = 1;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void
pc_ipcw_init(struct pc_ipcw *w, uint8_t *buf, size_t cap, uint16_t type,
    uint32_t id, uint32_t gen)
{
	struct pc_ipc_hdr h;

	w->buf = buf;
	w->cap = cap > PC_IPC_MAX ? PC_IPC_MAX : cap;
	w->len = 0;
	w->err = 0;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.id = id;
	h.gen = gen;
	pc_ipcw_u16(w, h.type);
	pc_ipcw_u16(w, h.flags);
	pc_ipcw_u32(w, h.len);
	pc_ipcw_u32(w, h.id);
	pc_ipcw_u32(w, h.gen);
}

void pc_ipcw_u8(struct pc_ipcw *w, uint8_t v)   { w_put(w, &v, sizeof(v)); }
void pc_ipcw_u16(struct pc_ipcw *w, uint16_t v) { w_put(w, &v, sizeof(v)); }
void pc_ipcw_u32(struct pc_ipcw *w, uint32_t v) { w_put(w, &v, sizeof(v)); }
void pc_ipcw_u64(struct pc_ipcw *w, uint64_t v) { w_put(w, &v, sizeof(v)); }

void
pc_ipcw_addr(struct pc_ipcw *w, const struct pc_addr *a)
{
	pc_ipcw_u8(w, a->family);
	pc_ipcw_u16(w, a->port);
	w_put(w, a->ip, sizeof(a->ip));
}

void
pc_ipcw_str(struct pc_ipcw *w, const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		s = "";
	if (max > UINT16_MAX)
		max = UINT16_MAX;
	n = strnlen(s, max);
	pc_ipcw_u16(w, (uint16_t)n);
	w_put(w, s, n);
}

size_t
pc_ipcw_finish(struct pc_ipcw *w)
{
	uint32_t plen;

	if (w->err || w->len < HDR_LEN)
		return 0;
	plen = (uint32_t)(w->len - HDR_LEN);
	memcpy(w->buf + offsetof(struct pc_ipc_hdr, len), &plen, sizeof(plen));
	return w->len;
}

/* ---- reader ---- */

static int
r_get(struct pc_ipcr *r, void *p, size_t n)
{
	if (r->err || n > r->len - r->off) {
		r->err = 1;
		memset(p, 0, n);
		return -1;
	}
	memcpy(p, r->buf + r->off, n);
	r->off += n;
	return 0;
}

int
pc_ipcr_init(struct pc_ipcr *r, const uint8_t *buf, size_t n,
    struct pc_ipc_hdr *h)
{
	struct pc_ipcr hr = { buf, n < HDR_LEN ? 0 : HDR_LEN, 0, 0 };

	memset(h, 0, sizeof(*h));
	r->buf = buf;
	r->len = 0;
	r->off = 0;
	r->err = 1;
	if (buf == NULL || n < HDR_LEN || n > PC_IPC_MAX)
		return -1;
	h->type = pc_ipcr_u16(&hr);
	h->flags = pc_ipcr_u16(&hr);
	h->len = pc_ipcr_u32(&hr);
	h->id = pc_ipcr_u32(&hr);
	h->gen = pc_ipcr_u32(&hr);
	if (hr.err || h->type == 0 || h->type >= PC_IPC__MAX ||
	    h->len != n - HDR_LEN)
		return -1;
	r->buf = buf + HDR_LEN;
	r->len = n - HDR_LEN;
	r->err = 0;
	return 0;
}

uint8_t
pc_ipcr_u8(struct pc_ipcr *r)
{
	uint8_t v;

	r_get(r, &v, sizeof(v));
	return v;
}

uint16_t
pc_ipcr_u16(struct pc_ipcr *r)
{
	uint16_t v;

	r_get(r, &v, sizeof(v));
	return v;
}

uint32_t
pc_ipcr_u32(struct pc_ipcr *r)
{
	uint32_t v;

	r_get(r, &v, sizeof(v));
	return v;
}

uint64_t
pc_ipcr_u64(struct pc_ipcr *r)
{
	uint64_t v;

	r_get(r, &v, sizeof(v));
	return v;
}

void
pc_ipcr_addr(struct pc_ipcr *r, struct pc_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = pc_ipcr_u8(r);
	a->port = pc_ipcr_u16(r);
	r_get(r, a->ip, sizeof(a->ip));
	if (a->family != 0 && a->family != AF_INET && a->family != AF_INET6)
		r->err = 1;
	if (r->err)
		memset(a, 0, sizeof(*a));
}

/* out has room for max + 1 bytes. */
void
pc_ipcr_str(struct pc_ipcr *r, char *out, size_t max)
{
	uint16_t n;

	out[0] = '\0';
	n = pc_ipcr_u16(r);
	if (r->err)
		return;
	if (n > max || n > r->len - r->off ||
	    memchr(r->buf + r->off, '\0', n) != NULL) {
		r->err = 1;
		return;
	}
	memcpy(out, r->buf + r->off, n);
	out[n] = '\0';
	r->off += n;
}

int
pc_ipcr_end(struct pc_ipcr *r)
{
	if (r->err || r->off != r->len) {
		r->err = 1;
		return -1;
	}
	return 0;
}

size_t
pc_ipcr_remaining(const struct pc_ipcr *r)
{
	return r->err ? 0 : r->len - r->off;
}

/* ---- typed messages ---- */

size_t
pc_msg_ready_enc(uint8_t *buf, uint32_t gen, const struct pc_msg_ready *m)
{
	struct pc_ipcw w;

	pc_ipcw_init(&w, buf, PC_IPC_MAX, PC_IPC_READY, 0, gen);
	pc_ipcw_u32(&w, m->pid);
	pc_ipcw_u16(&w, m->svc);
	pc_ipcw_u16(&w, m->slot);
	pc_ipcw_u8(&w, m->sandbox);
	pc_ipcw_u8(&w, m->jailed);
	return pc_ipcw_finish(&w);
}

int
pc_msg_ready_dec(struct pc_ipcr *r, struct pc_msg_ready *m)
{
	m->pid = pc_ipcr_u32(r);
	m->svc = pc_ipcr_u16(r);
	m->slot = pc_ipcr_u16(r);
	m->sandbox = pc_ipcr_u8(r);
	m->jailed = pc_ipcr_u8(r);
	if (m->sandbox > PC_SANDBOX_OFF || m->jailed > 1)
		r->err = 1;
	return pc_ipcr_end(r);
}

size_t
pc_msg_auth_req_enc(uint8_t *buf, uint32_t gen, uint32_t id,
    const struct pc_msg_auth_req *m)
{
	struct pc_ipcw w;

	pc_ipcw_init(&w, buf, PC_IPC_MAX, PC_IPC_AUTH_REQ, id, gen);
	pc_ipcw_u16(&w, m->svc);
	pc_ipcw_addr(&w, &m->client);
	pc_ipcw_str(&w, m->user, PC_IPC_USER_MAX);
	pc_ipcw_str(&w, m->pass, PC_IPC_PASS_MAX);
	pc_ipcw_u8(&w, m->kind);
	pc_ipcw_u8(&w, m->verified);
	pc_ipcw_addr(&w, &m->dst);
	pc_ipcw_str(&w, m->host, PC_IPC_HOST_MAX);
	pc_ipcw_u16(&w, m->port);
	pc_ipcw_u32(&w, m->op);
	return pc_ipcw_finish(&w);
}

int
pc_msg_auth_req_dec(struct pc_ipcr *r, struct pc_msg_auth_req *m)
{
	m->svc = pc_ipcr_u16(r);
	pc_ipcr_addr(r, &m->client);
	pc_ipcr_str(r, m->user, PC_IPC_USER_MAX);
	pc_ipcr_str(r, m->pass, PC_IPC_PASS_MAX);
	m->kind = pc_ipcr_u8(r);
	m->verified = pc_ipcr_u8(r);
	pc_ipcr_addr(r, &m->dst);
	pc_ipcr_str(r, m->host, PC_IPC_HOST_MAX);
	m->port = pc_ipcr_u16(r);
	m->op = pc_ipcr_u32(r);
	if (m->kind > PC_AUTH_KIND_RECHECK || m->verified > 1)
		return -1;
	return pc_ipcr_end(r);
}

size_t
pc_msg_auth_rep_enc(uint8_t *buf, uint32_t gen, uint32_t id,
    const struct pc_msg_auth_rep *m)
{
	struct pc_ipcw w;

	pc_ipcw_init(&w, buf, PC_IPC_MAX, PC_IPC_AUTH_REP, id, gen);
	pc_ipcw_u32(&w, m->code);
	pc_ipcw_str(&w, m->user, PC_IPC_USER_MAX);
	return pc_ipcw_finish(&w);
}

int
pc_msg_auth_rep_dec(struct pc_ipcr *r, struct pc_msg_auth_rep *m)
{
	m->code = pc_ipcr_u32(r);
	pc_ipcr_str(r, m->user, PC_IPC_USER_MAX);
	return pc_ipcr_end(r);
}

size_t
pc_msg_stats_enc(uint8_t *buf, uint32_t gen, const struct pc_msg_stats *m)
{
	struct pc_ipcw w;

	pc_ipcw_init(&w, buf, PC_IPC_MAX, PC_IPC_STATS, 0, gen);
	pc_ipcw_u32(&w, m->active);
	pc_ipcw_u64(&w, m->accepted);
	pc_ipcw_u32(&w, m->dropped_logs);
	pc_ipcw_u8(&w, m->draining);
	pc_ipcw_u64(&w, m->bw_waits);
	pc_ipcw_u64(&w, m->bw_wait_ms);
	pc_ipcw_u64(&w, m->dns_lookups);
	pc_ipcw_u64(&w, m->dns_hits);
	pc_ipcw_u64(&w, m->dns_failures);
	return pc_ipcw_finish(&w);
}

int
pc_msg_stats_dec(struct pc_ipcr *r, struct pc_msg_stats *m)
{
	m->active = pc_ipcr_u32(r);
	m->accepted = pc_ipcr_u64(r);
	m->dropped_logs = pc_ipcr_u32(r);
	m->draining = pc_ipcr_u8(r);
	m->bw_waits = pc_ipcr_u64(r);
	m->bw_wait_ms = pc_ipcr_u64(r);
	m->dns_lookups = pc_ipcr_u64(r);
	m->dns_hits = pc_ipcr_u64(r);
	m->dns_failures = pc_ipcr_u64(r);
	if (m->draining > 1 || m->dns_hits > m->dns_lookups ||
	    m->dns_failures > m->dns_lookups)
		r->err = 1;
	return pc_ipcr_end(r);
}

size_t
pc_msg_drain_enc(uint8_t *buf, uint32_t gen, const struct pc_msg_drain *m)
{
	struct pc_ipcw w;

	pc_ipcw_init(&w, buf, PC_IPC_MAX, PC_IPC_DRAIN, 0, gen);
	pc_ipcw_u32(&w, m->grace_s);
	return pc_ipcw_finish(&w);
}

int
pc_msg_drain_dec(struct pc_ipcr *r, struct pc_msg_drain *m)
{
	m->grace_s = pc_ipcr_u32(r);
	return pc_ipcr_end(r);
}

size_t
pc_msg_shutdown_enc(uint8_t *buf, uint32_t gen)
{
	struct pc_ipcw w;

	pc_ipcw_init(&w, buf, PC_IPC_MAX, PC_IPC_SHUTDOWN, 0, gen);
	return pc_ipcw_finish(&w);
}

/* ---- ADMIN ---- */

size_t
pc_msg_admin_req_enc(uint8_t *buf, uint32_t gen, uint32_t id,
    const struct pc_msg_admin_req *m)
{
	struct pc_ipcw w;

	pc_ipcw_init(&w, buf, PC_IPC_MAX, PC_IPC_ADMIN_REQ, id, gen);
	pc_ipcw_u8(&w, m->kind);
	pc_ipcw_u32(&w, m->arg);
	return pc_ipcw_finish(&w);
}

int
pc_msg_admin_req_dec(struct pc_ipcr *r, struct pc_msg_admin_req *m)
{
	m->kind = pc_ipcr_u8(r);
	m->arg = pc_ipcr_u32(r);
	if (m->kind >= PC_ADMIN__MAX ||
	    (PC_ADMIN_IS_TEXT(m->kind) && m->arg >= PC_IPC_ADMIN_TOTAL))
		r->err = 1;
	return pc_ipcr_end(r);
}

/* The reply has fixed room for both lists (ipc_msg.h): 13 KB at most, so
 * a full reply always fits in one message; a reply with text carries no
 * list (the encoder refuses both at once). */
size_t
pc_msg_admin_rep_enc(uint8_t *buf, uint32_t gen, uint32_t id,
    const struct pc_msg_admin_rep *m)
{
	struct pc_ipcw w;

	size_t tlen = strnlen(m->text, sizeof(m->text));

	if (m->nrows > PC_IPC_ADMIN_ROWS || m->nusers > PC_IPC_ADMIN_NAMES ||
	    tlen > PC_IPC_ADMIN_TEXT || (tlen > 0 && m->nrows + m->nusers > 0) ||
	    m->total > PC_IPC_ADMIN_TOTAL || m->offset > m->total ||
	    tlen > m->total - m->offset)
		return 0;
	pc_ipcw_init(&w, buf, PC_IPC_MAX, PC_IPC_ADMIN_REP, id, gen);
	pc_ipcw_u8(&w, m->kind);
	pc_ipcw_u32(&w, m->code);
	pc_ipcw_u16(&w, m->nrows);
	for (uint16_t i = 0; i < m->nrows; i++) {
		const struct pc_admin_row *row = &m->rows[i];

		pc_ipcw_u16(&w, row->svc);
		pc_ipcw_u16(&w, row->slot);
		pc_ipcw_u32(&w, row->pid);
		pc_ipcw_u32(&w, row->active);
		pc_ipcw_u64(&w, row->accepted);
		pc_ipcw_u8(&w, row->state);
	}
	pc_ipcw_u16(&w, m->nusers);
	pc_ipcw_u32(&w, m->nusers_total);
	for (uint16_t i = 0; i < m->nusers; i++) {
		pc_ipcw_str(&w, m->users[i].name, PC_IPC_USER_MAX);
		pc_ipcw_u8(&w, m->users[i].type);
	}
	pc_ipcw_u32(&w, m->total);
	pc_ipcw_u32(&w, m->offset);
	pc_ipcw_str(&w, m->text, PC_IPC_ADMIN_TEXT);
	return pc_ipcw_finish(&w);
}

int
pc_msg_admin_rep_dec(struct pc_ipcr *r, struct pc_msg_admin_rep *m)
{
	m->kind = pc_ipcr_u8(r);
	m->code = pc_ipcr_u32(r);
	m->nrows = pc_ipcr_u16(r);
	if (m->kind >= PC_ADMIN__MAX || m->nrows > PC_IPC_ADMIN_ROWS)
		r->err = 1;
	for (uint16_t i = 0; i < m->nrows && !r->err; i++) {
		struct pc_admin_row *row = &m->rows[i];

		row->svc = pc_ipcr_u16(r);
		row->slot = pc_ipcr_u16(r);
		row->pid = pc_ipcr_u32(r);
		row->active = pc_ipcr_u32(r);
		row->accepted = pc_ipcr_u64(r);
		row->state = pc_ipcr_u8(r);
		if (row->state > 2)
			r->err = 1;
	}
	m->nusers = pc_ipcr_u16(r);
	m->nusers_total = pc_ipcr_u32(r);
	if (m->nusers > PC_IPC_ADMIN_NAMES || m->nusers_total < m->nusers)
		r->err = 1;
	for (uint16_t i = 0; i < m->nusers && !r->err; i++) {
		pc_ipcr_str(r, m->users[i].name, PC_IPC_USER_MAX);
		m->users[i].type = pc_ipcr_u8(r);
		if (m->users[i].type > 3)
			r->err = 1;
	}
	m->total = pc_ipcr_u32(r);
	m->offset = pc_ipcr_u32(r);
	pc_ipcr_str(r, m->text, PC_IPC_ADMIN_TEXT);
	if (!r->err) {
		size_t tlen = strlen(m->text);

		if (m->total > PC_IPC_ADMIN_TOTAL || m->offset > m->total ||
		    tlen > m->total - m->offset ||
		    (tlen > 0 && m->nrows + m->nusers > 0))
			r->err = 1;
	}
	if (r->err) {
		m->nrows = m->nusers = 0;
		m->text[0] = '\0';
	}
	return pc_ipcr_end(r);
}

/* ---- LOG batches ---- */

#define LOG_COUNT_OFF HDR_LEN

static uint16_t
log_count_get(const struct pc_ipcw *w)
{
	uint16_t c;

	memcpy(&c, w->buf + LOG_COUNT_OFF, sizeof(c));
	return c;
}

void
pc_msg_log_begin(struct pc_ipcw *w, uint8_t *buf, uint32_t gen)
{
	pc_ipcw_init(w, buf, PC_IPC_MAX, PC_IPC_LOG, 0, gen);
	pc_ipcw_u16(w, 0);
}

static void
log_rec_put(struct pc_ipcw *w, const struct pc_logrec *rec)
{
	pc_ipcw_u64(w, rec->t_ms);
	pc_ipcw_u32(w, rec->dur_ms);
	pc_ipcw_u32(w, rec->code);
	pc_ipcw_u16(w, rec->svc);
	pc_ipcw_u16(w, rec->flags);
	pc_ipcw_u16(w, rec->hops);
	pc_ipcw_str(w, rec->svcname, sizeof(rec->svcname) - 1);
	pc_ipcw_addr(w, &rec->client);
	pc_ipcw_addr(w, &rec->local);
	pc_ipcw_addr(w, &rec->ext);
	pc_ipcw_addr(w, &rec->remote);
	pc_ipcw_addr(w, &rec->req);
	pc_ipcw_u64(w, rec->bytes_in);
	pc_ipcw_u64(w, rec->bytes_out);
	pc_ipcw_str(w, rec->user, PC_IPC_USER_MAX);
	pc_ipcw_str(w, rec->host, PC_IPC_HOST_MAX);
	pc_ipcw_str(w, rec->text, PC_IPC_TEXT_MAX);
}

int
pc_msg_log_add(struct pc_ipcw *w, const struct pc_logrec *rec)
{
	size_t   mark = w->len;
	uint16_t c;

	if (w->err || w->len < LOG_COUNT_OFF + sizeof(c))
		return -1;
	c = log_count_get(w);
	if (c == UINT16_MAX)
		return -1;
	log_rec_put(w, rec);
	if (w->err) {
		/* roll back: the batch stays valid without this record */
		w->err = 0;
		w->len = mark;
		return -1;
	}
	c++;
	memcpy(w->buf + LOG_COUNT_OFF, &c, sizeof(c));
	return 0;
}

size_t
pc_msg_log_finish(struct pc_ipcw *w)
{
	if (w->err || w->len < LOG_COUNT_OFF + sizeof(uint16_t) ||
	    log_count_get(w) == 0)
		return 0;
	return pc_ipcw_finish(w);
}

int
pc_msg_log_count(struct pc_ipcr *r, uint16_t *count)
{
	*count = pc_ipcr_u16(r);
	if (r->err)
		return -1;
	/* an empty batch is never sent */
	if (*count == 0) {
		r->err = 1;
		return -1;
	}
	return 0;
}

int
pc_msg_log_next(struct pc_ipcr *r, struct pc_logrec *rec)
{
	rec->t_ms = pc_ipcr_u64(r);
	rec->dur_ms = pc_ipcr_u32(r);
	rec->code = pc_ipcr_u32(r);
	rec->svc = pc_ipcr_u16(r);
	rec->flags = pc_ipcr_u16(r);
	rec->hops = pc_ipcr_u16(r);
	pc_ipcr_str(r, rec->svcname, sizeof(rec->svcname) - 1);
	pc_ipcr_addr(r, &rec->client);
	pc_ipcr_addr(r, &rec->local);
	pc_ipcr_addr(r, &rec->ext);
	pc_ipcr_addr(r, &rec->remote);
	pc_ipcr_addr(r, &rec->req);
	rec->bytes_in = pc_ipcr_u64(r);
	rec->bytes_out = pc_ipcr_u64(r);
	pc_ipcr_str(r, rec->user, PC_IPC_USER_MAX);
	pc_ipcr_str(r, rec->host, PC_IPC_HOST_MAX);
	pc_ipcr_str(r, rec->text, PC_IPC_TEXT_MAX);
	return r->err ? -1 : 0;
}
