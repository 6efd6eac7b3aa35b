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
static const char users_schema[] =
	"CREATE TABLE IF NOT EXISTS portcullis_users ("
	"name text PRIMARY KEY, password text NOT NULL)";

/* one channel per kind of request: its own connection, the request it
 * holds until it is done */
struct chan {
	SQLHDBC          dbc;
	bool             up, failing, have;
	char             label[160];
	int64_t          next_try;
	struct fleet_req req;
};

static SQLHENV          env;
static struct chan      ch[2];      /* enum fleet_kind */
static struct fleet_rep rep;
static struct fleet_urep urep;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
disconnect(struct chan *c)
{
	if (c->up)
		SQLDisconnect(c->dbc);
	if (c->dbc != SQL_NULL_HDBC)
		SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
	c->dbc = SQL_NULL_HDBC;
	c->up = false;
}

static void
fail(struct chan *c, const char *what, const char *why)
{
	if (!c->failing)
		log_warnx("%s: %s failed (%s); %s, retrying every %d s",
		    c->label, what, why, c == &ch[FLEET_BATCH] ?
		    "counting locally" : "keeping the users read before",
		    RETRY_MS / 1000);
	else
		log_debug("%s: %s failed again (%s)", c->label, what, why);
	c->failing = true;
	disconnect(c);
	c->next_try = mono_ms() + RETRY_MS;
}

/* Runs sql; with out != NULL, fetches (num, period, bytes, applied)
 * rows into it.  false after fail(). */
static bool
run(struct chan *c, const char *sql, struct fleet_rep *out)
{
	SQLRETURN rc = SQL_SUCCESS;
	char      why[600];
	SQLHSTMT  st = odbc_exec(c->dbc, sql, why, sizeof(why));

	if (st == SQL_NULL_HSTMT) {
		fail(c, "a statement", why);
		return false;
	}
	while (out != NULL && SQL_SUCCEEDED(rc) &&
	    SQL_SUCCEEDED(rc = SQLFetch(st))) {
		int64_t v[4] = { 0, 0, 0, 0 };
		SQLLEN  ind;

		for (SQLUSMALLINT k = 0; k < 4 && SQL_SUCCEEDED(rc); k++)
			rc = SQLGetData(st, k + 1, SQL_C_SBIGINT, &v[k],
			    sizeof(v[k]), &ind);
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
		fail(c, "a statement", why);
		return false;
	}
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return true;
}

static bool
connect_db(struct chan *c)
{
	const char *dsn = c->req.conn, *user = dsn + strlen(dsn) + 1;
	const char *pass = user + strlen(user) + 1;
	char        why[600];

	if (odbc_connect(env, &c->dbc, dsn, user, pass, why,
	    sizeof(why)) != 0) {
		fail(c, "connect", why);
		return false;
	}
	c->up = true;
	if (c == &ch[FLEET_USERS])
		return run(c, users_schema, NULL);
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (!run(c, schema[i], NULL))
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
	struct chan *c = &ch[FLEET_BATCH];
	char        *sql;
	bool         ok;

	memset(&rep, 0, sizeof(rep));
	rep.seq = c->req.seq;
	rep.kind = FLEET_BATCH;
	if (c->req.n == 0) {       /* nothing to charge or learn */
		(void)send(fd, &rep, sizeof(rep), MSG_NOSIGNAL | MSG_DONTWAIT);
		return true;
	}
	if (!c->up && !connect_db(c))
		return false;
	sql = statement(&c->req);
	ok = run(c, sql, &rep);
	free(sql);
	if (!ok)
		return false;
	if (c->failing)
		log_info("%s: charging again", c->label);
	c->failing = false;
	/* to a full socket the reply is lost and the master sends the
	 * batch again (applied once: its seq) */
	(void)send(fd, &rep, sizeof(rep), MSG_NOSIGNAL | MSG_DONTWAIT);
	return true;
}

/* The whole user table, then sent in pieces (blocking: the master reads
 * its socket every 100 ms).  Rows with a name or password that is empty,
 * too long or holds a NUL are left out. */
static bool
read_users(int fd)
{
	struct chan *c = &ch[FLEET_USERS];
	SQLHSTMT     st;
	SQLRETURN    rc;
	char         why[600], name[FLEET_USER_MAX + 2], pw[FLEET_PASS_MAX + 2];
	char        *all = NULL;
	size_t       len = 0, cap = 0, n = 0, skipped = 0, off = 0;

	if (!c->up && !connect_db(c))
		return false;
	if ((st = odbc_exec(c->dbc, "SELECT name, password FROM "
	    "portcullis_users ORDER BY name", why, sizeof(why))) ==
	    SQL_NULL_HSTMT) {
		fail(c, "reading portcullis_users", why);
		return false;
	}
	rc = SQL_SUCCESS;
	while (SQL_SUCCEEDED(rc) && SQL_SUCCEEDED(rc = SQLFetch(st))) {
		SQLLEN in = 0, ip = 0;
		size_t ln, lp;

		rc = SQLGetData(st, 1, SQL_C_CHAR, name, sizeof(name), &in);
		if (SQL_SUCCEEDED(rc))
			rc = SQLGetData(st, 2, SQL_C_CHAR, pw, sizeof(pw), &ip);
		if (!SQL_SUCCEEDED(rc))
			break;
		ln = in > 0 ? strlen(name) : 0;
		lp = ip > 0 ? strlen(pw) : 0;
		if (ln == 0 || lp == 0 || (size_t)in != ln ||
		    (size_t)ip != lp || ln > FLEET_USER_MAX ||
		    lp > FLEET_PASS_MAX) {
			skipped++;
			continue;
		}
		if (len + ln + lp + 2 > cap) {   /* no stale copy left */
			char *bigger = xmalloc(cap = cap * 2 + ln + lp + 4096);

			if (all != NULL) {
				memcpy(bigger, all, len);
				explicit_bzero(all, len);
			}
			free(all);
			all = bigger;
		}
		memcpy(all + len, name, ln + 1);
		memcpy(all + len + ln + 1, pw, lp + 1);
		len += ln + lp + 2;
		n++;
	}
	explicit_bzero(pw, sizeof(pw));
	if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
		odbc_diag(SQL_HANDLE_STMT, st, why, sizeof(why));
		SQLFreeHandle(SQL_HANDLE_STMT, st);
		if (all != NULL)
			explicit_bzero(all, len);
		free(all);
		fail(c, "reading portcullis_users", why);
		return false;
	}
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	if (skipped > 0)
		log_warnx("%s: %zu rows of portcullis_users left out (an empty, "
		    "too long or NUL-holding name or password)", c->label,
		    skipped);
	if (c->failing)
		log_info("%s: users read again", c->label);
	c->failing = false;
	do {                       /* pieces that end at a pair's end */
		size_t take = 0, pairs = 0;

		while (off + take < len) {
			size_t a = strlen(all + off + take) + 1;
			size_t b = strlen(all + off + take + a) + 1;

			if (take + a + b > FLEET_UDATA)
				break;
			take += a + b;
			pairs++;
		}
		memset(&urep, 0, sizeof(urep));
		urep.seq = c->req.seq;
		urep.kind = FLEET_USERS;
		urep.n = (uint32_t)pairs;
		urep.len = (uint32_t)take;
		memcpy(urep.data, all + off, take);
		off += take;
		urep.more = off < len;
		if (send(fd, &urep, sizeof(urep), MSG_NOSIGNAL) == -1)
			break;
	} while (off < len);
	explicit_bzero(&urep, sizeof(urep));
	if (all != NULL)
		explicit_bzero(all, len);
	free(all);
	log_debug("%s: %zu users sent to the master", c->label, n);
	return true;
}

/* A request from the master, checked; false at EOF. */
static bool
read_master(int fd)
{
	static struct fleet_req in;
	ssize_t                 n;
	struct chan            *c;

	for (;;) {
		n = recv(fd, &in, sizeof(in), MSG_DONTWAIT | MSG_TRUNC);
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if ((size_t)n != sizeof(in) || in.kind > FLEET_USERS ||
		    in.n > FLEET_ITEMS_MAX ||
		    in.conn_len > FLEET_CONN_MAX || in.conn_len < 3 ||
		    in.conn[in.conn_len - 1] != '\0' ||
		    memchr(in.node, '\0', sizeof(in.node)) == NULL) {
			log_warnx("malformed request from the master dropped");
			continue;
		}
		c = &ch[in.kind];
		if (!c->have || strcmp(in.conn, c->req.conn) != 0) {
			disconnect(c);
			odbc_label(in.conn, c->label, sizeof(c->label));
		}
		memcpy(&c->req, &in, sizeof(c->req));
		explicit_bzero(in.conn, sizeof(in.conn));
		c->have = true;
		c->next_try = 0;
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
	ch[0].dbc = ch[1].dbc = SQL_NULL_HDBC;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t       wait = -1, now = mono_ms();

		for (int k = 0; k < 2; k++)
			if (ch[k].have) {
				int64_t w = ch[k].next_try > now ?
				    ch[k].next_try - now : 0;

				if (wait < 0 || w < wait)
					wait = w;
			}
		if (poll(&pfd, 1, (int)wait) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd.revents != 0 && !read_master(fd)) {
			disconnect(&ch[0]);
			disconnect(&ch[1]);
			_exit(0);
		}
		now = mono_ms();
		if (ch[FLEET_BATCH].have && now >= ch[FLEET_BATCH].next_try &&
		    charge(fd))
			ch[FLEET_BATCH].have = false;
		if (ch[FLEET_USERS].have && now >= ch[FLEET_USERS].next_try &&
		    read_users(fd))
			ch[FLEET_USERS].have = false;
	}
}
