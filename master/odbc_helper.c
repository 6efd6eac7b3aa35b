/*
 * The ODBC helper process: reads "DSN\0USER\0PASS\0SQL" messages from the
 * master and executes each statement with SQLExecDirect on a connection
 * kept per (DSN, USER, PASS).  It may block in the driver as long as it
 * likes: the master never waits for it.
 *
 * When a connection or a statement fails, the statement stays at the head
 * of its queue, the connection is closed and tried again every RETRY_MS,
 * so a database that is down, or a table that does not exist yet, costs
 * no record until the queue bound; past it, new records are dropped and
 * counted, and the count is reported when writing works again.  A
 * statement that can never succeed therefore holds its queue: the
 * diagnostics say so every time the retry fails after a reconnect.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/logodbc.h"
#include "master/odbc_conn.h"

#define CONNS_MAX   8
#define QUEUE_MAX   10000     /* statements per connection */
#define RETRY_MS    3000
#define BATCH       64        /* statements between two socket reads */

struct conn {
	char         *dsn, *user, *pass;
	char          label[160];   /* the DSN without any password */
	SQLHDBC       dbc;
	bool          up, failing;
	int64_t       next_try;
	char        **q;
	size_t        head, len;
	unsigned long dropped;
};

static SQLHENV     env;
static struct conn conns[CONNS_MAX];
static size_t      nconns;
static unsigned long lost;        /* messages with no connection slot */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct conn *
find_conn(const char *dsn, const char *user, const char *pass)
{
	struct conn *c;

	for (size_t i = 0; i < nconns; i++) {
		c = &conns[i];
		if (strcmp(c->dsn, dsn) == 0 && strcmp(c->user, user) == 0 &&
		    strcmp(c->pass, pass) == 0)
			return c;
	}
	if (nconns == CONNS_MAX)
		return NULL;
	c = &conns[nconns++];
	c->dsn = xstrdup(dsn);
	c->user = xstrdup(user);
	c->pass = xstrdup(pass);
	c->q = xcalloc(QUEUE_MAX, sizeof(char *));
	odbc_label(c->dsn, c->label, sizeof(c->label));
	return c;
}

static void
fail(struct conn *c, const char *what, const char *why)
{
	if (!c->failing)
		log_warnx("%s: %s failed (%s); keeping records, retrying every "
		    "%d s", c->label, what, why, RETRY_MS / 1000);
	else
		log_debug("%s: %s failed again (%s)", c->label, what, why);
	c->failing = true;
	if (c->up)
		SQLDisconnect(c->dbc);
	if (c->dbc != SQL_NULL_HDBC)
		SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
	c->dbc = SQL_NULL_HDBC;
	c->up = false;
	c->next_try = mono_ms() + RETRY_MS;
}

static bool
connect_db(struct conn *c)
{
	char why[600];

	if (odbc_connect(env, &c->dbc, c->dsn, c->user, c->pass, why,
	    sizeof(why)) != 0) {
		fail(c, "connect", why);
		return false;
	}
	c->up = true;
	return true;
}

static bool
exec_one(struct conn *c, const char *sql)
{
	char     why[600];
	SQLHSTMT st = odbc_exec(c->dbc, sql, why, sizeof(why));

	if (st == SQL_NULL_HSTMT) {
		fail(c, "a statement", why);
		return false;
	}
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return true;
}

static void
recovered(struct conn *c)
{
	if (!c->failing)
		return;
	c->failing = false;
	log_info("%s: writing again (%zu queued records to write, %lu were "
	    "dropped while it failed)", c->label, c->len, c->dropped);
	c->dropped = 0;
}

/* Up to max statements of c; false when it stopped on a failure. */
static bool
drain(struct conn *c, size_t max, bool force)
{
	if (c->len == 0)
		return true;
	if (!c->up && !force && mono_ms() < c->next_try)
		return false;
	if (!c->up && !connect_db(c))
		return false;
	for (size_t n = 0; n < max && c->len > 0; n++) {
		if (!exec_one(c, c->q[c->head]))
			return false;
		recovered(c);
		free(c->q[c->head]);
		c->q[c->head] = NULL;
		c->head = (c->head + 1) % QUEUE_MAX;
		c->len--;
	}
	return true;
}

static void
take(const char *m, size_t len)
{
	const char  *w[3];
	const char  *p = m, *end = m + len;
	struct conn *c;

	for (int i = 0; i < 3; i++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));

		if (z == NULL) {
			log_warnx("malformed message from the master");
			return;
		}
		w[i] = p;
		p = z + 1;
	}
	if ((c = find_conn(w[0], w[1], w[2])) == NULL) {
		if (lost++ == 0)
			log_warnx("more than %d ODBC targets: records of the "
			    "others are dropped", CONNS_MAX);
		return;
	}
	if (c->len == QUEUE_MAX) {
		if (c->dropped++ == 0)
			log_warnx("%s: %d records queued, dropping new ones "
			    "until the database takes them", c->label,
			    QUEUE_MAX);
		return;
	}
	c->q[(c->head + c->len) % QUEUE_MAX] = xstrndup(p, (size_t)(end - p));
	c->len++;
}

/* Reads what the master sent; false at EOF. */
static bool
read_master(int fd)
{
	static char buf[LOGODBC_MSG_MAX + 1];

	for (int i = 0; i < 1024; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if ((size_t)n > LOGODBC_MSG_MAX)
			log_warnx("over-long message from the master dropped");
		else
			take(buf, (size_t)n);
	}
	return true;
}

/* The master is gone (stop or crash): one last attempt per connection. */
static void __attribute__((noreturn))
finish(void)
{
	for (size_t i = 0; i < nconns; i++) {
		(void)drain(&conns[i], QUEUE_MAX, true);
		if (conns[i].len > 0)
			log_warnx("%s: exiting with %zu records not written",
			    conns[i].label, conns[i].len);
		if (conns[i].up)
			SQLDisconnect(conns[i].dbc);
	}
	_exit(0);
}

/* ms until the earliest retry of a waiting queue; -1 when none waits. */
static int
next_timeout(bool busy)
{
	int64_t now = mono_ms(), best = INT64_MAX;

	if (busy)
		return 0;
	for (size_t i = 0; i < nconns; i++)
		if (conns[i].len > 0 && !conns[i].up &&
		    conns[i].next_try - now < best)
			best = conns[i].next_try - now;
	if (best == INT64_MAX)
		return -1;
	return best < 0 ? 0 : (int)best;
}

void
odbc_helper_main(int fd)
{
	bool busy = false;

	log_setprefix("odbc helper");
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE,
	    &env)) || !SQL_SUCCEEDED(SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION,
	    (SQLPOINTER)SQL_OV_ODBC3, 0)))
		fatalx("cannot set up the ODBC environment");
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, next_timeout(busy)) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd.revents != 0 && !read_master(fd))
			finish();
		busy = false;
		for (size_t i = 0; i < nconns; i++)
			if (drain(&conns[i], BATCH, false) && conns[i].len > 0)
				busy = true;
	}
}
