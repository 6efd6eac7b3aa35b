/*
 * The master's side of ODBC logging.  3proxy calls the driver in the
 * thread that ends the connection, so a database that hangs holds the
 * proxy; here the master only hands statements to a helper process over a
 * non-blocking SOCK_SEQPACKET socketpair (one statement per message, never
 * split) and keeps what the helper cannot take yet in a bounded queue.
 * Past the bound, records are dropped and counted, and the count is
 * reported when the queue drains.  A dead helper is restarted with a
 * back-off; the master's queue survives it.
 *
 * A message is "DSN\0USER\0PASS\0SQL": the helper keeps no configuration,
 * so reloads and draining generations need no protocol of their own.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/caps.h"
#include "master/fleet_users.h"
#include "master/logodbc.h"
#include "master/master.h"
#include "master/mfilter.h"
#include "master/signals.h"

#define QUEUE_MAX      4096     /* statements held by the master */
#define RESTART_MIN_MS 1000
#define RESTART_MAX_MS 30000
#define STABLE_MS      10000    /* a helper alive this long was healthy */
#define RETRY_MS       200      /* queue retry while the helper is busy */

struct qmsg {
	char  *p;
	size_t len;
};

static struct {
	bool          wanted;
	pid_t         pid;          /* 0: not running */
	int           fd;           /* master's end, -1: none */
	int64_t       started_ms;
	int64_t       restart_at;   /* 0: nothing scheduled */
	unsigned      deaths;       /* quick deaths in a row, for back-off */
	struct qmsg   q[QUEUE_MAX];
	size_t        qhead, qlen;
	unsigned long dropped;      /* since the last report */
	uint64_t      dropped_total, retries, starts;
} H = { .fd = -1 };

void
logodbc_figures(struct logodbc_figures *f)
{
	f->queued = H.qlen;
	f->retries = H.retries;
	f->restarts = H.starts > 0 ? H.starts - 1 : 0;
	f->dropped = H.dropped_total;
}

/* A helper (log or fleet): no master handler, no other descriptor, no
 * user password, no capability, no exec (docs/security.md "The ODBC helper": it keeps
 * uid 0 because the drivers open the database files and odbc.ini as the
 * admin left them, root's). */
static void __attribute__((noreturn))
child(int fd, void (*entry)(int))
{
	signals_child_reset();
	for (struct gen *g = M.gens; g != NULL; g = g->next)
		pc_config_scrub_secrets(g->cfg);
	fleet_users_wipe();
	if (M.cfgtext != NULL)
		explicit_bzero(M.cfgtext, strlen(M.cfgtext));
	if (fd != 3 && dup2(fd, 3) == -1)
		_exit(1);
	close_range(4, ~0U, 0);
	if ((M.privileged && caps_drop_all() != 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    mfilter_helper(M.sandbox) != 0)
		_exit(1);
	entry(3);
	_exit(0);
}

pid_t
odbc_fork(void (*entry)(int), int *fdp, const char *what)
{
	sigset_t all, old;
	int      sv[2];
	pid_t    pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: socketpair", what);
		return -1;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], entry);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid == -1) {
		log_warn("%s: fork", what);
		close(sv[0]);
		return -1;
	}
	*fdp = sv[0];
	log_info("%s pid %ld started", what, (long)pid);
	return pid;
}

static void
start(void)
{
	pid_t pid = odbc_fork(odbc_helper_main, &H.fd, "ODBC helper");

	if (pid == -1) {
		H.restart_at = now_ms() + RESTART_MIN_MS;
		return;
	}
	H.pid = pid;
	H.starts++;
	H.started_ms = now_ms();
	H.restart_at = 0;
}

/* The loop's tick forks the helper, not the config loader: at start-up
 * the master may still daemonize, and a helper forked before that would
 * not be its child (never reaped, never restarted). */
void
logodbc_want(void)
{
	H.wanted = true;
	if (H.pid == 0 && H.restart_at == 0)
		H.restart_at = now_ms();
}

/* Sends what the helper's socket takes now. */
static void
flush(void)
{
	while (H.qlen > 0 && H.fd >= 0) {
		struct qmsg *m = &H.q[H.qhead];

		if (send(H.fd, m->p, m->len, MSG_NOSIGNAL | MSG_DONTWAIT) == -1) {
			if (errno == EINTR)
				continue;
			/* EAGAIN: busy; EPIPE: dying, the reaper restarts it */
			H.retries++;
			return;
		}
		free(m->p);
		m->p = NULL;
		H.qhead = (H.qhead + 1) % QUEUE_MAX;
		H.qlen--;
	}
	if (H.qlen == 0 && H.dropped > 0) {
		log_warnx("ODBC log: %lu records were dropped (the helper "
		    "could not keep up, %d queued at most)", H.dropped,
		    QUEUE_MAX);
		H.dropped = 0;
	}
}

static void
put(const char *w, size_t n, char **p)
{
	memcpy(*p, w, n);
	(*p)[n] = '\0';
	*p += n + 1;
}

static void
enqueue(const struct pc_logtarget *t, const char *sql, size_t n)
{
	const char *user = t->odbc_user != NULL ? t->odbc_user : "";
	const char *pass = t->odbc_pass != NULL ? t->odbc_pass : "";
	size_t      need = strlen(t->path) + strlen(user) + strlen(pass) + 3 + n;
	char       *m, *p;

	if (H.qlen == QUEUE_MAX || need > LOGODBC_MSG_MAX) {
		H.dropped_total++;
		if (H.dropped++ == 0)
			log_warnx("ODBC log: the helper's queue is full (%d "
			    "records), dropping records", QUEUE_MAX);
		return;
	}
	p = m = xmalloc(need);
	put(t->path, strlen(t->path), &p);
	put(user, strlen(user), &p);
	put(pass, strlen(pass), &p);
	memcpy(p, sql, n);       /* the statement has no NUL of its own */
	H.q[(H.qhead + H.qlen) % QUEUE_MAX] = (struct qmsg){ m, need };
	H.qlen++;
}

void
logodbc_send(const struct pc_logtarget *t, const char *buf, size_t len)
{
	if (!H.wanted)
		logodbc_want();
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t      n = nl != NULL ? (size_t)(nl - buf) : len;

		if (n > 0)
			enqueue(t, buf, n);
		n += nl != NULL;
		buf += n;
		len -= n;
	}
	flush();
}

/* Doubles ' in s (a NUL-terminated string in an array of cap bytes),
 * cutting at the end rather than leaving half a pair. */
static void
double_quotes(char *s, size_t cap)
{
	char   tmp[PC_IPC_TEXT_MAX + 1];
	size_t o = 0;

	if (cap > sizeof(tmp) || strchr(s, '\'') == NULL)
		return;
	for (size_t i = 0; s[i] != '\0' && i < cap; i++) {
		size_t need = s[i] == '\'' ? 2 : 1;

		if (o + need >= cap)
			break;
		tmp[o++] = s[i];
		if (need == 2)
			tmp[o++] = '\'';
	}
	tmp[o] = '\0';
	memcpy(s, tmp, o + 1);
}

const struct pc_logrec *
logodbc_sqlsafe(const struct pc_logrec *rec, const char *fmt)
{
	static struct pc_logrec copy;
	const char             *plus;

	/* the "-CHARS+R" prefix (logfmt.c) already turns ' into R */
	if (fmt != NULL && fmt[0] == '-' &&
	    (plus = strchr(fmt + 1, '+')) != NULL && plus[1] != '\0' &&
	    plus[1] != '\'' && memchr(fmt + 1, '\'', (size_t)(plus - fmt - 1)))
		return rec;
	copy = *rec;
	double_quotes(copy.user, sizeof(copy.user));
	double_quotes(copy.host, sizeof(copy.host));
	double_quotes(copy.text, sizeof(copy.text));
	return &copy;
}

int64_t
odbc_helper_ended(const char *what, const char *lost, pid_t pid,
    int status, int64_t started_ms, unsigned *deaths)
{
	int64_t now = now_ms(), delay = RESTART_MIN_MS;

	if (WIFSIGNALED(status))
		log_warnx("%s pid %ld killed by signal %d; %s", what, (long)pid,
		    WTERMSIG(status), lost);
	else
		log_warnx("%s pid %ld exited with status %d", what, (long)pid,
		    WEXITSTATUS(status));
	*deaths = now - started_ms < STABLE_MS ? *deaths + 1 : 0;
	for (unsigned i = 0; i < *deaths && delay < RESTART_MAX_MS; i++)
		delay *= 2;
	return delay > RESTART_MAX_MS ? RESTART_MAX_MS : delay;
}

bool
logodbc_reaped(pid_t pid, int status)
{
	int64_t delay;

	if (pid != H.pid || pid == 0)
		return false;
	delay = odbc_helper_ended("ODBC helper", "the records it held are "
	    "lost", pid, status, H.started_ms, &H.deaths);
	close(H.fd);
	H.fd = -1;
	H.pid = 0;
	H.restart_at = now_ms() + delay;
	if (!M.stopping)
		log_info("ODBC helper: restarting in %lld ms", (long long)delay);
	return true;
}

int64_t
logodbc_tick(int64_t now)
{
	if (!H.wanted || M.stopping)
		return 0;
	if (H.pid == 0 && H.restart_at != 0 && now >= H.restart_at) {
		H.restart_at = 0;
		start();
	}
	flush();
	if (H.pid == 0)
		return H.restart_at;
	return H.qlen > 0 ? now + RETRY_MS : 0;
}
