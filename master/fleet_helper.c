/*
 * The fleet helper process (fleet_msg.h): charges one batch of counter
 * deltas at a time to the database and answers with the fleet's totals.
 * Forked by the master (fleet.c) like the log helper, with the same
 * scrubbing; it may block in the driver as long as it likes, the master
 * never waits for it.
 *
 * One statement per batch, so it is one transaction: the node's row in
 * portcullis_fleet_nodes moves to the batch's seq only when it was below,
 * the deltas are added only when it moved, and the totals come back in
 * the reply (RETURNING, or the rows as they are when the batch had been
 * applied before).  A failed connect or statement keeps the batch,
 * closes the connection and tries again every RETRY_MS; the tables are
 * created (contrib/sql/fleet-postgresql.sql) after each connect.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/fleet_msg.h"
#include "master/odbc_conn.h"

#define RETRY_MS 1000

static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS portcullis_fleet_counters ("
	"num integer NOT NULL, period_start bigint NOT NULL, "
	"bytes bigint NOT NULL DEFAULT 0, "
	"updated timestamptz NOT NULL DEFAULT now(), "
	"PRIMARY KEY (num, period_start))",
	"CREATE TABLE IF NOT EXISTS portcullis_fleet_nodes ("
	"node text PRIMARY KEY, seq bigint NOT NULL, "
	"updated timestamptz NOT NULL DEFAULT now())",
};

static SQLHENV          env;
static SQLHDBC          dbc = SQL_NULL_HDBC;
static bool             up, failing, have;
static char             label[160];
static struct fleet_req req;        /* the batch being charged */
static struct fleet_rep rep;
static int64_t          next_try;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
fail(const char *what, const char *why)
{
	if (!failing)
		log_warnx("%s: %s failed (%s); counting locally, retrying "
		    "every %d s", label, what, why, RETRY_MS / 1000);
	else
		log_debug("%s: %s failed again (%s)", label, what, why);
	failing = true;
	if (up)
		SQLDisconnect(dbc);
	if (dbc != SQL_NULL_HDBC)
		SQLFreeHandle(SQL_HANDLE_DBC, dbc);
	dbc = SQL_NULL_HDBC;
	up = false;
	next_try = mono_ms() + RETRY_MS;
}

/* Runs sql; with out != NULL, fetches (num, period, bytes, applied)
 * rows into it.  false after fail(). */
static bool
run(const char *sql, struct fleet_rep *out)
{
	SQLHSTMT  st;
	SQLRETURN rc;
	char      why[600];

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st))) {
		odbc_diag(SQL_HANDLE_DBC, dbc, why, sizeof(why));
		fail("SQLAllocHandle", why);
		return false;
	}
	SQLSetStmtAttr(st, SQL_ATTR_QUERY_TIMEOUT,
	    (SQLPOINTER)(intptr_t)ODBC_TIMEOUT_S, 0);
	rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
	while (out != NULL && SQL_SUCCEEDED(rc) &&
	    SQL_SUCCEEDED(rc = SQLFetch(st))) {
		int64_t v[4] = { 0, 0, 0, 0 };
		SQLLEN  ind;

		for (SQLUSMALLINT c = 0; c < 4 && SQL_SUCCEEDED(rc); c++)
			rc = SQLGetData(st, c + 1, SQL_C_SBIGINT, &v[c],
			    sizeof(v[c]), &ind);
		if (SQL_SUCCEEDED(rc) && out->n < FLEET_ITEMS_MAX) {
			out->items[out->n++] = (struct fleet_item){
			    .num = (uint32_t)v[0], .period = v[1],
			    .v = v[2] < 0 ? 0 : (uint64_t)v[2] };
			if (v[3] > 0)
				out->applied = 1;
		}
	}
	if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
		odbc_diag(SQL_HANDLE_STMT, st, why, sizeof(why));
		SQLFreeHandle(SQL_HANDLE_STMT, st);
		fail("a statement", why);
		return false;
	}
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return true;
}

static bool
connect_db(const char *dsn, const char *user, const char *pass)
{
	char why[600];

	if (odbc_connect(env, &dbc, dsn, user, pass, why, sizeof(why)) != 0) {
		fail("connect", why);
		return false;
	}
	up = true;
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (!run(schema[i], NULL))
			return false;
	return true;
}

/* The batch's statement (the node name is [A-Za-z0-9._-]: conf). */
static char *
statement(const struct fleet_req *r)
{
	size_t cap = 1024 + (size_t)r->n * 80, o;
	char  *s = xmalloc(cap);

	o = (size_t)snprintf(s, cap,
	    "WITH b AS (INSERT INTO portcullis_fleet_nodes AS n (node, seq) "
	    "VALUES ('%s', %" PRIu64 ") ON CONFLICT (node) DO UPDATE SET "
	    "seq = EXCLUDED.seq, updated = now() WHERE n.seq < EXCLUDED.seq "
	    "RETURNING 1), d (num, period_start, delta) AS (VALUES ",
	    r->node, r->seq & INT64_MAX);
	for (uint32_t i = 0; i < r->n; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s(%" PRIu32
		    "::integer, %" PRId64 "::bigint, %" PRIu64 "::bigint)",
		    i > 0 ? ", " : "", r->items[i].num, r->items[i].period,
		    r->items[i].v & INT64_MAX);
	snprintf(s + o, cap - o, "), u AS (INSERT INTO "
	    "portcullis_fleet_counters AS c (num, period_start, bytes) "
	    "SELECT num, period_start, delta FROM d WHERE delta <> 0 AND "
	    "EXISTS (SELECT 1 FROM b) ON CONFLICT (num, period_start) DO "
	    "UPDATE SET bytes = c.bytes + EXCLUDED.bytes, updated = now() "
	    "RETURNING num, period_start, bytes) "
	    "SELECT num, period_start, bytes, 1 FROM u UNION ALL "
	    "SELECT c.num, c.period_start, c.bytes, "
	    "(SELECT count(*) FROM b) FROM portcullis_fleet_counters c "
	    "JOIN d USING (num, period_start) WHERE d.delta = 0 OR "
	    "NOT EXISTS (SELECT 1 FROM b)");
	return s;
}

/* Charges the batch held; true when it is done and answered. */
static bool
charge(int fd)
{
	const char *dsn = req.conn, *user = dsn + strlen(dsn) + 1;
	const char *pass = user + strlen(user) + 1;
	char       *sql;
	bool        ok;

	memset(&rep, 0, sizeof(rep));
	rep.seq = req.seq;
	if (req.n == 0) {          /* nothing to charge or learn */
		(void)send(fd, &rep, sizeof(rep), MSG_NOSIGNAL | MSG_DONTWAIT);
		return true;
	}
	if (!up && !connect_db(dsn, user, pass))
		return false;
	sql = statement(&req);
	ok = run(sql, &rep);
	free(sql);
	if (!ok)
		return false;
	if (failing)
		log_info("%s: charging again", label);
	failing = false;
	/* to a full socket the reply is lost and the master sends the
	 * batch again (applied once: its seq) */
	(void)send(fd, &rep, sizeof(rep), MSG_NOSIGNAL | MSG_DONTWAIT);
	return true;
}

/* A request from the master, checked; false at EOF. */
static bool
read_master(int fd)
{
	static struct fleet_req in;
	ssize_t                 n;

	for (;;) {
		n = recv(fd, &in, sizeof(in), MSG_DONTWAIT | MSG_TRUNC);
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if ((size_t)n != sizeof(in) || in.n > FLEET_ITEMS_MAX ||
		    in.conn_len > FLEET_CONN_MAX || in.conn_len < 3 ||
		    in.conn[in.conn_len - 1] != '\0' ||
		    memchr(in.node, '\0', sizeof(in.node)) == NULL) {
			log_warnx("malformed batch from the master dropped");
			continue;
		}
		if (!have || strcmp(in.conn, req.conn) != 0) {
			if (up)
				SQLDisconnect(dbc);
			if (dbc != SQL_NULL_HDBC)
				SQLFreeHandle(SQL_HANDLE_DBC, dbc);
			dbc = SQL_NULL_HDBC;
			up = false;
			odbc_label(in.conn, label, sizeof(label));
		}
		memcpy(&req, &in, sizeof(req));
		have = true;
		next_try = 0;
	}
}

void
fleet_helper_main(int fd)
{
	log_setprefix("fleet helper");
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE,
	    &env)) || !SQL_SUCCEEDED(SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION,
	    (SQLPOINTER)SQL_OV_ODBC3, 0)))
		fatalx("cannot set up the ODBC environment");
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t       wait = -1, now = mono_ms();

		if (have)
			wait = next_try > now ? next_try - now : 0;
		if (poll(&pfd, 1, (int)wait) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd.revents != 0 && !read_master(fd)) {
			if (up)
				SQLDisconnect(dbc);
			_exit(0);
		}
		if (have && mono_ms() >= next_try && charge(fd))
			have = false;
	}
}
