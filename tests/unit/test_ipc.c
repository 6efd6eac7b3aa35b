/*
 * Unit tests of common/ipc_msg.c: every message round-trips, and the reader
 * rejects what a hostile worker could send (short, long, trailing bytes,
 * unknown types, over-long or NUL-carrying strings, bad address families).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "common/ipc_msg.h"
#include "tests/unit/check.h"

static uint8_t buf[PC_IPC_MAX];
static uint8_t buf2[PC_IPC_MAX + 64];

static int
open_msg(const uint8_t *b, size_t n, struct pc_ipcr *r, uint16_t type,
    uint32_t gen)
{
	struct pc_ipc_hdr h;

	if (pc_ipcr_init(r, b, n, &h) != 0)
		return -1;
	if (h.type != type || h.gen != gen || h.len != n - 16)
		return -1;
	return 0;
}

static void
test_ready(void)
{
	struct pc_msg_ready m = { 4242, 3, 1, PC_SANDBOX_LOG, 1 }, o;
	struct pc_ipcr      r;
	size_t              n;

	n = pc_msg_ready_enc(buf, 7, &m);
	CHECK_EQ_INT(n, 16 + 10);
	CHECK(open_msg(buf, n, &r, PC_IPC_READY, 7) == 0);
	CHECK(pc_msg_ready_dec(&r, &o) == 0);
	CHECK_EQ_INT(o.pid, 4242);
	CHECK_EQ_INT(o.svc, 3);
	CHECK_EQ_INT(o.slot, 1);
	CHECK_EQ_INT(o.sandbox, PC_SANDBOX_LOG);
	CHECK_EQ_INT(o.jailed, 1);

	/* truncated by one byte: header len no longer matches */
	CHECK(pc_ipcr_init(&r, buf, n - 1, &(struct pc_ipc_hdr){0}) == -1);
	/* trailing byte, with the header len patched to match */
	memcpy(buf2, buf, n);
	buf2[n] = 0;
	{
		uint32_t l = (uint32_t)(n + 1 - 16);
		memcpy(buf2 + 4, &l, 4);
	}
	CHECK(open_msg(buf2, n + 1, &r, PC_IPC_READY, 7) == 0);
	CHECK(pc_msg_ready_dec(&r, &o) == -1);
	/* payload cut short, header len patched to match */
	{
		uint32_t l = (uint32_t)(n - 1 - 16);
		memcpy(buf2, buf, n);
		memcpy(buf2 + 4, &l, 4);
	}
	CHECK(open_msg(buf2, n - 1, &r, PC_IPC_READY, 7) == 0);
	CHECK(pc_msg_ready_dec(&r, &o) == -1);
	/* out-of-range sandbox mode */
	m.sandbox = 9;
	n = pc_msg_ready_enc(buf, 7, &m);
	CHECK(open_msg(buf, n, &r, PC_IPC_READY, 7) == 0);
	CHECK(pc_msg_ready_dec(&r, &o) == -1);
}

static void
test_auth(void)
{
	struct pc_msg_auth_req q, oq;
	struct pc_msg_auth_rep p = { 7, "bob" }, op;
	struct pc_ipcr         r;
	struct pc_ipc_hdr      h;
	size_t                 n;

	memset(&q, 0, sizeof(q));
	q.svc = 2;
	q.client.family = AF_INET;
	q.client.port = 5555;
	inet_pton(AF_INET, "10.1.2.3", q.client.ip);
	strcpy(q.user, "alice");
	strcpy(q.pass, "s3cret:with:colons");
	q.kind = PC_AUTH_KIND_CACHE;
	n = pc_msg_auth_req_enc(buf, 9, 12345, &q);
	CHECK(n > 16);
	CHECK(pc_ipcr_init(&r, buf, n, &h) == 0);
	CHECK_EQ_INT(h.type, PC_IPC_AUTH_REQ);
	CHECK_EQ_INT(h.id, 12345);
	CHECK_EQ_INT(h.gen, 9);
	CHECK(pc_msg_auth_req_dec(&r, &oq) == 0);
	CHECK_EQ_INT(oq.svc, 2);
	CHECK(pc_addr_equal(&oq.client, &q.client));
	CHECK_EQ_INT(oq.client.family, AF_INET);
	CHECK_STREQ(oq.user, "alice");
	CHECK_STREQ(oq.pass, "s3cret:with:colons");
	CHECK_EQ_INT(oq.kind, PC_AUTH_KIND_CACHE);

	/* a user name of exactly the limit passes, one more is rejected */
	memset(q.user, 'u', PC_IPC_USER_MAX);
	q.user[PC_IPC_USER_MAX] = '\0';
	n = pc_msg_auth_req_enc(buf, 9, 1, &q);
	CHECK(pc_ipcr_init(&r, buf, n, &h) == 0);
	CHECK(pc_msg_auth_req_dec(&r, &oq) == 0);
	CHECK_EQ_INT(strlen(oq.user), PC_IPC_USER_MAX);
	{
		/* hand-built: the user field claims 256 bytes */
		struct pc_ipcw w;
		char           longu[PC_IPC_USER_MAX + 2];

		memset(longu, 'x', sizeof(longu) - 1);
		longu[sizeof(longu) - 1] = '\0';
		pc_ipcw_init(&w, buf, sizeof(buf), PC_IPC_AUTH_REQ, 1, 9);
		pc_ipcw_u16(&w, 0);
		pc_ipcw_addr(&w, &q.client);
		pc_ipcw_str(&w, longu, sizeof(longu));
		pc_ipcw_str(&w, "p", 255);
		n = pc_ipcw_finish(&w);
		CHECK(n > 0);
		CHECK(pc_ipcr_init(&r, buf, n, &h) == 0);
		CHECK(pc_msg_auth_req_dec(&r, &oq) == -1);

		/* a NUL inside a string */
		pc_ipcw_init(&w, buf, sizeof(buf), PC_IPC_AUTH_REQ, 1, 9);
		pc_ipcw_u16(&w, 0);
		pc_ipcw_addr(&w, &q.client);
		pc_ipcw_u16(&w, 3);
		pc_ipcw_u8(&w, 'a');
		pc_ipcw_u8(&w, 0);
		pc_ipcw_u8(&w, 'b');
		pc_ipcw_str(&w, "p", 255);
		n = pc_ipcw_finish(&w);
		CHECK(pc_ipcr_init(&r, buf, n, &h) == 0);
		CHECK(pc_msg_auth_req_dec(&r, &oq) == -1);

		/* an address family that is neither 0, v4 nor v6 */
		pc_ipcw_init(&w, buf, sizeof(buf), PC_IPC_AUTH_REQ, 1, 9);
		pc_ipcw_u16(&w, 0);
		q.client.family = 77;
		pc_ipcw_addr(&w, &q.client);
		pc_ipcw_str(&w, "u", 255);
		pc_ipcw_str(&w, "p", 255);
		n = pc_ipcw_finish(&w);
		CHECK(pc_ipcr_init(&r, buf, n, &h) == 0);
		CHECK(pc_msg_auth_req_dec(&r, &oq) == -1);
		/* the string length claims more bytes than remain */
		pc_ipcw_init(&w, buf, sizeof(buf), PC_IPC_AUTH_REQ, 1, 9);
		pc_ipcw_u16(&w, 0);
		q.client.family = AF_INET;
		pc_ipcw_addr(&w, &q.client);
		pc_ipcw_u16(&w, 10);
		pc_ipcw_u8(&w, 'a');
		n = pc_ipcw_finish(&w);
		CHECK(pc_ipcr_init(&r, buf, n, &h) == 0);
		CHECK(pc_msg_auth_req_dec(&r, &oq) == -1);
	}

	n = pc_msg_auth_rep_enc(buf, 9, 12345, &p);
	CHECK_EQ_INT(n, 25);
	CHECK(pc_ipcr_init(&r, buf, n, &h) == 0);
	CHECK_EQ_INT(h.type, PC_IPC_AUTH_REP);
	CHECK_EQ_INT(h.id, 12345);
	CHECK(pc_msg_auth_rep_dec(&r, &op) == 0);
	CHECK_EQ_INT(op.code, 7);
	CHECK_STREQ(op.user, "bob");

	/* RECHECK carries the target */
	q.kind = PC_AUTH_KIND_RECHECK;
	q.verified = 1;
	q.dst.family = AF_INET6;
	q.dst.port = 443;
	q.dst.ip[15] = 1;
	strcpy(q.host, "origin.test");
	q.port = 443;
	q.op = 1u << 3;
	n = pc_msg_auth_req_enc(buf, 9, 2, &q);
	CHECK(pc_ipcr_init(&r, buf, n, &h) == 0);
	CHECK(pc_msg_auth_req_dec(&r, &oq) == 0);
	CHECK_EQ_INT(oq.kind, PC_AUTH_KIND_RECHECK);
	CHECK_EQ_INT(oq.verified, 1);
	CHECK(pc_addr_equal(&oq.dst, &q.dst));
	CHECK_STREQ(oq.host, "origin.test");
	CHECK_EQ_INT(oq.port, 443);
	CHECK_EQ_INT(oq.op, 1u << 3);
	/* verified is a flag */
	q.verified = 2;
	n = pc_msg_auth_req_enc(buf, 9, 1, &q);
	CHECK(pc_ipcr_init(&r, buf, n, &h) == 0);
	CHECK(pc_msg_auth_req_dec(&r, &oq) == -1);
	q.verified = 0;
	/* an unknown kind is malformed */
	q.kind = 3;
	n = pc_msg_auth_req_enc(buf, 9, 1, &q);
	CHECK(pc_ipcr_init(&r, buf, n, &h) == 0);
	CHECK(pc_msg_auth_req_dec(&r, &oq) == -1);
}

static void
test_stats_drain_shutdown(void)
{
	struct pc_msg_stats s = { 12, 0x123456789ULL, 4, 1, 7, 3500, 20, 5,
		2 }, os;
	struct pc_msg_drain d = { 300 }, od;
	struct pc_ipcr      r;
	struct pc_ipc_hdr   h;
	size_t              n;

	n = pc_msg_stats_enc(buf, 1, &s);
	CHECK(open_msg(buf, n, &r, PC_IPC_STATS, 1) == 0);
	CHECK(pc_msg_stats_dec(&r, &os) == 0);
	CHECK_EQ_INT(os.active, 12);
	CHECK(os.accepted == 0x123456789ULL);
	CHECK_EQ_INT(os.dropped_logs, 4);
	CHECK_EQ_INT(os.draining, 1);
	CHECK(os.bw_waits == 7 && os.bw_wait_ms == 3500);
	CHECK(os.dns_lookups == 20 && os.dns_hits == 5 &&
	    os.dns_failures == 2);
	/* more cache hits or failures than lookups cannot be */
	s.dns_hits = 21;
	n = pc_msg_stats_enc(buf, 1, &s);
	CHECK(open_msg(buf, n, &r, PC_IPC_STATS, 1) == 0);
	CHECK(pc_msg_stats_dec(&r, &os) == -1);
	s.dns_hits = 5;
	s.dns_failures = 21;
	n = pc_msg_stats_enc(buf, 1, &s);
	CHECK(open_msg(buf, n, &r, PC_IPC_STATS, 1) == 0);
	CHECK(pc_msg_stats_dec(&r, &os) == -1);

	n = pc_msg_drain_enc(buf, 2, &d);
	CHECK(open_msg(buf, n, &r, PC_IPC_DRAIN, 2) == 0);
	CHECK(pc_msg_drain_dec(&r, &od) == 0);
	CHECK_EQ_INT(od.grace_s, 300);
	/* a DRAIN read as STATS runs out of bytes */
	CHECK(open_msg(buf, n, &r, PC_IPC_DRAIN, 2) == 0);
	CHECK(pc_msg_stats_dec(&r, &os) == -1);

	n = pc_msg_shutdown_enc(buf, 3);
	CHECK_EQ_INT(n, 16);
	CHECK(open_msg(buf, n, &r, PC_IPC_SHUTDOWN, 3) == 0);
	CHECK(pc_ipcr_end(&r) == 0);

	/* header checks: unknown types, short and oversized input */
	buf[0] = 0; buf[1] = 0;
	CHECK(pc_ipcr_init(&r, buf, n, &h) == -1);
	{
		uint16_t t = PC_IPC__MAX;
		memcpy(buf, &t, 2);
		CHECK(pc_ipcr_init(&r, buf, n, &h) == -1);
		t = 0xffff;
		memcpy(buf, &t, 2);
		CHECK(pc_ipcr_init(&r, buf, n, &h) == -1);
	}
	CHECK(pc_ipcr_init(&r, buf, 15, &h) == -1);
	CHECK(pc_ipcr_init(&r, buf, 0, &h) == -1);
	{
		uint16_t t = PC_IPC_SHUTDOWN;
		uint32_t l = PC_IPC_MAX + 1 - 16;
		memset(buf2, 0, sizeof(buf2));
		memcpy(buf2, &t, 2);
		memcpy(buf2 + 4, &l, 4);
		CHECK(pc_ipcr_init(&r, buf2, PC_IPC_MAX + 1, &h) == -1);
	}
	/* after an error every read returns 0 and the error sticks */
	CHECK_EQ_INT(pc_ipcr_u32(&r), 0);
	CHECK(pc_ipcr_end(&r) == -1);
	CHECK_EQ_INT(pc_ipcr_remaining(&r), 0);
}

static void
fill_rec(struct pc_logrec *rec, int i)
{
	memset(rec, 0, sizeof(*rec));
	rec->t_ms = 1700000000123ULL + (uint64_t)i;
	rec->dur_ms = 250;
	rec->code = (uint32_t)i;
	rec->svc = 1;
	rec->flags = PC_LOGREC_F_EVENT;
	rec->hops = 2;
	strcpy(rec->svcname, "PROXY");
	rec->client.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", rec->client.ip);
	rec->client.port = 40000;
	rec->remote.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.9", rec->remote.ip);
	rec->remote.port = 443;
	rec->bytes_in = 1ULL << 40;
	rec->bytes_out = 77;
	strcpy(rec->user, "bob");
	strcpy(rec->host, "www.example.com");
	memset(rec->text, 'T', 1000);
	rec->text[1000] = '\0';
}

static void
test_log(void)
{
	static struct pc_logrec rec, o;
	struct pc_ipcw          w;
	struct pc_ipcr          r;
	uint16_t                count;
	size_t                  n;
	int                     added = 0, i;

	pc_msg_log_begin(&w, buf, 5);
	CHECK_EQ_INT(pc_msg_log_finish(&w), 0);  /* empty batch */
	pc_msg_log_begin(&w, buf, 5);
	for (i = 0; i < 100; i++) {
		fill_rec(&rec, i);
		if (pc_msg_log_add(&w, &rec) != 0)
			break;
		added++;
	}
	/* ~1.1 KB per record: fewer than 100 fit in 16 KiB, and the rest
	 * was refused without breaking the batch */
	CHECK(added > 5 && added < 100);
	n = pc_msg_log_finish(&w);
	CHECK(n > 0 && n <= PC_IPC_MAX);
	CHECK(open_msg(buf, n, &r, PC_IPC_LOG, 5) == 0);
	CHECK(pc_msg_log_count(&r, &count) == 0);
	CHECK_EQ_INT(count, added);
	for (i = 0; i < count; i++) {
		CHECK(pc_msg_log_next(&r, &o) == 0);
		fill_rec(&rec, i);
		CHECK(o.t_ms == rec.t_ms);
		CHECK_EQ_INT(o.code, i);
		CHECK_EQ_INT(o.dur_ms, 250);
		CHECK_EQ_INT(o.hops, 2);
		CHECK_EQ_INT(o.flags, PC_LOGREC_F_EVENT);
		CHECK_STREQ(o.svcname, "PROXY");
		CHECK(pc_addr_equal(&o.client, &rec.client));
		CHECK(pc_addr_equal(&o.remote, &rec.remote));
		CHECK_EQ_INT(o.local.family, 0);
		CHECK(o.bytes_in == rec.bytes_in && o.bytes_out == 77);
		CHECK_STREQ(o.user, "bob");
		CHECK_STREQ(o.host, "www.example.com");
		CHECK_STREQ(o.text, rec.text);
	}
	CHECK(pc_ipcr_end(&r) == 0);

	/* one record more than the count says: trailing bytes */
	CHECK(open_msg(buf, n, &r, PC_IPC_LOG, 5) == 0);
	CHECK(pc_msg_log_count(&r, &count) == 0);
	for (i = 0; i < count - 1; i++)
		CHECK(pc_msg_log_next(&r, &o) == 0);
	CHECK(pc_ipcr_end(&r) == -1);

	/* count claims one record more than present */
	count = (uint16_t)(added + 1);
	memcpy(buf + 16, &count, 2);
	CHECK(open_msg(buf, n, &r, PC_IPC_LOG, 5) == 0);
	CHECK(pc_msg_log_count(&r, &count) == 0);
	for (i = 0; i < added; i++)
		CHECK(pc_msg_log_next(&r, &o) == 0);
	CHECK(pc_msg_log_next(&r, &o) == -1);

	/* a zero count is malformed */
	count = 0;
	memcpy(buf + 16, &count, 2);
	CHECK(open_msg(buf, n, &r, PC_IPC_LOG, 5) == 0);
	CHECK(pc_msg_log_count(&r, &count) == -1);

	/* the sender truncates an over-long text to the field limit */
	fill_rec(&rec, 0);
	memset(rec.text, 'x', sizeof(rec.text) - 1);
	rec.text[sizeof(rec.text) - 1] = '\0';
	pc_msg_log_begin(&w, buf, 5);
	CHECK(pc_msg_log_add(&w, &rec) == 0);
	n = pc_msg_log_finish(&w);
	CHECK(open_msg(buf, n, &r, PC_IPC_LOG, 5) == 0);
	CHECK(pc_msg_log_count(&r, &count) == 0 && count == 1);
	CHECK(pc_msg_log_next(&r, &o) == 0);
	CHECK_EQ_INT(strlen(o.text), PC_IPC_TEXT_MAX);
	CHECK(pc_ipcr_end(&r) == 0);
}

static void
test_admin(void)
{
	static struct pc_msg_admin_rep m, o;
	struct pc_msg_admin_req        q = { PC_ADMIN_RELOAD, 0 }, oq;
	struct pc_ipcr                 r;
	size_t                         n;

	n = pc_msg_admin_req_enc(buf, 5, 77, &q);
	CHECK_EQ_INT(n, 16 + 5);
	CHECK(open_msg(buf, n, &r, PC_IPC_ADMIN_REQ, 5) == 0);
	CHECK(pc_msg_admin_req_dec(&r, &oq) == 0);
	CHECK_EQ_INT(oq.kind, PC_ADMIN_RELOAD);
	/* an unknown kind is refused */
	buf[16] = PC_ADMIN__MAX;
	CHECK(open_msg(buf, n, &r, PC_IPC_ADMIN_REQ, 5) == 0);
	CHECK(pc_msg_admin_req_dec(&r, &oq) == -1);
	/* METRICS: an offset, below the bound of a whole text */
	q.kind = PC_ADMIN_METRICS;
	q.arg = 16000;
	n = pc_msg_admin_req_enc(buf, 5, 78, &q);
	CHECK(open_msg(buf, n, &r, PC_IPC_ADMIN_REQ, 5) == 0);
	CHECK(pc_msg_admin_req_dec(&r, &oq) == 0);
	CHECK_EQ_INT(oq.arg, 16000);
	q.kind = PC_ADMIN_CFGFILE;
	n = pc_msg_admin_req_enc(buf, 5, 79, &q);
	CHECK(open_msg(buf, n, &r, PC_IPC_ADMIN_REQ, 5) == 0);
	CHECK(pc_msg_admin_req_dec(&r, &oq) == 0);
	CHECK_EQ_INT(oq.kind, PC_ADMIN_CFGFILE);
	q.arg = PC_IPC_ADMIN_TOTAL;
	n = pc_msg_admin_req_enc(buf, 5, 78, &q);
	CHECK(open_msg(buf, n, &r, PC_IPC_ADMIN_REQ, 5) == 0);
	CHECK(pc_msg_admin_req_dec(&r, &oq) == -1);

	/* a text piece: the longest fits one message */
	memset(&m, 0, sizeof(m));
	m.kind = PC_ADMIN_METRICS;
	m.total = 40000;
	m.offset = 16000;
	memset(m.text, 'x', PC_IPC_ADMIN_TEXT);
	n = pc_msg_admin_rep_enc(buf, 5, 78, &m);
	CHECK(n > 0 && n <= PC_IPC_MAX);
	CHECK(open_msg(buf, n, &r, PC_IPC_ADMIN_REP, 5) == 0);
	CHECK(pc_msg_admin_rep_dec(&r, &o) == 0);
	CHECK_EQ_INT(o.total, 40000);
	CHECK_EQ_INT(o.offset, 16000);
	CHECK_EQ_INT(strlen(o.text), PC_IPC_ADMIN_TEXT);
	/* a piece past the total, or text beside rows, is refused by the
	 * encoder; forged on the wire, by the decoder */
	m.offset = 30000;
	CHECK_EQ_INT(pc_msg_admin_rep_enc(buf, 5, 78, &m), 0);
	m.offset = 0;
	m.nrows = 1;
	CHECK_EQ_INT(pc_msg_admin_rep_enc(buf, 5, 78, &m), 0);
	m.nrows = 0;
	n = pc_msg_admin_rep_enc(buf, 5, 78, &m);
	memcpy(buf2, buf, n);
	{
		uint32_t t = 100;   /* total below offset + text */
		memcpy(buf2 + 16 + 1 + 4 + 2 + 2 + 4, &t, 4);
	}
	CHECK(open_msg(buf2, n, &r, PC_IPC_ADMIN_REP, 5) == 0);
	CHECK(pc_msg_admin_rep_dec(&r, &o) == -1);
	CHECK_EQ_INT(o.text[0], '\0');

	/* a full reply: every row and every name, longest names */
	memset(&m, 0, sizeof(m));
	m.kind = PC_ADMIN_STATS;
	m.code = 0;
	m.nrows = PC_IPC_ADMIN_ROWS;
	for (int i = 0; i < PC_IPC_ADMIN_ROWS; i++) {
		m.rows[i].svc = (uint16_t)(i / 4);
		m.rows[i].slot = (uint16_t)(i % 4);
		m.rows[i].pid = 1000u + (uint32_t)i;
		m.rows[i].active = (uint32_t)i;
		m.rows[i].accepted = 0x100000000ULL + (uint64_t)i;
		m.rows[i].state = (uint8_t)(i % 3);
	}
	m.nusers = PC_IPC_ADMIN_NAMES;
	m.nusers_total = 1000;
	for (int i = 0; i < PC_IPC_ADMIN_NAMES; i++) {
		memset(m.users[i].name, 'a' + i % 26, PC_IPC_USER_MAX);
		m.users[i].type = (uint8_t)(i % 4);
	}
	n = pc_msg_admin_rep_enc(buf, 5, 77, &m);
	CHECK(n > 0 && n <= PC_IPC_MAX);
	CHECK(open_msg(buf, n, &r, PC_IPC_ADMIN_REP, 5) == 0);
	CHECK(pc_msg_admin_rep_dec(&r, &o) == 0);
	CHECK_EQ_INT(o.nrows, PC_IPC_ADMIN_ROWS);
	CHECK(o.rows[127].accepted == 0x100000000ULL + 127);
	CHECK_EQ_INT(o.rows[5].pid, 1005);
	CHECK_EQ_INT(o.rows[5].state, 2);
	CHECK_EQ_INT(o.nusers, PC_IPC_ADMIN_NAMES);
	CHECK_EQ_INT(o.nusers_total, 1000);
	CHECK(memcmp(o.users[39].name, m.users[39].name,
	    PC_IPC_USER_MAX + 1) == 0);
	CHECK_EQ_INT(o.users[3].type, 3);

	/* too many rows: the sender refuses to encode them */
	m.nrows = PC_IPC_ADMIN_ROWS + 1;
	CHECK_EQ_INT(pc_msg_admin_rep_enc(buf, 5, 77, &m), 0);

	/* malformed: a row state out of range, a count above the limit,
	 * a total below the names given, truncated */
	m.nrows = 1;
	m.nusers = 1;
	m.nusers_total = 1;
	n = pc_msg_admin_rep_enc(buf, 5, 77, &m);
	memcpy(buf2, buf, n);
	buf2[16 + 1 + 4 + 2 + 20] = 3;            /* rows[0].state */
	CHECK(open_msg(buf2, n, &r, PC_IPC_ADMIN_REP, 5) == 0);
	CHECK(pc_msg_admin_rep_dec(&r, &o) == -1);
	CHECK_EQ_INT(o.nrows, 0);
	memcpy(buf2, buf, n);
	{
		uint16_t big = PC_IPC_ADMIN_ROWS + 1;
		memcpy(buf2 + 16 + 5, &big, 2);
	}
	CHECK(open_msg(buf2, n, &r, PC_IPC_ADMIN_REP, 5) == 0);
	CHECK(pc_msg_admin_rep_dec(&r, &o) == -1);
	memcpy(buf2, buf, n);
	{
		uint32_t zero = 0;
		memcpy(buf2 + 16 + 7 + 21 + 2, &zero, 4);  /* nusers_total */
	}
	CHECK(open_msg(buf2, n, &r, PC_IPC_ADMIN_REP, 5) == 0);
	CHECK(pc_msg_admin_rep_dec(&r, &o) == -1);
	memcpy(buf2, buf, n);
	{
		uint32_t l = (uint32_t)(n - 1 - 16);
		memcpy(buf2 + 4, &l, 4);
	}
	CHECK(open_msg(buf2, n - 1, &r, PC_IPC_ADMIN_REP, 5) == 0);
	CHECK(pc_msg_admin_rep_dec(&r, &o) == -1);
	/* a user type out of range (total, offset, empty text follow) */
	memcpy(buf2, buf, n);
	buf2[n - 1 - 10] = 4;
	CHECK(open_msg(buf2, n, &r, PC_IPC_ADMIN_REP, 5) == 0);
	CHECK(pc_msg_admin_rep_dec(&r, &o) == -1);
}

static void
test_writer_overflow(void)
{
	struct pc_ipcw w;
	uint8_t        small[20];

	pc_ipcw_init(&w, small, sizeof(small), PC_IPC_STATS, 0, 1);
	pc_ipcw_u32(&w, 1);
	CHECK_EQ_INT(w.err, 0);
	pc_ipcw_u8(&w, 1);
	CHECK_EQ_INT(w.err, 1);
	CHECK_EQ_INT(pc_ipcw_finish(&w), 0);
	pc_ipcw_init(&w, small, 8, PC_IPC_STATS, 0, 1);
	CHECK_EQ_INT(pc_ipcw_finish(&w), 0);
}

int
main(void)
{
	test_ready();
	test_auth();
	test_stats_drain_shutdown();
	test_log();
	test_writer_overflow();
	test_admin();
	return check_summary("test_ipc");
}
