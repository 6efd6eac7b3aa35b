/*
 * Reaping and the respawn policy (docs/architecture.md, "Failure handling";
 * Postfix's master_throttle, but only for crash loops):
 * - only slots of the current generation are refilled, never while
 *   stopping, never after exit status 78 (PC_EX_CONFIG: the worker found
 *   its setup impossible, retrying cannot help);
 * - a failure backs the slot off 0.5 s, 1 s, 2 s ... 60 s, the count
 *   growing with each failure in a row, and the master logs why.  A
 *   failure is a death before READY, a kill by the master for cause, a
 *   crash signal (SIGSEGV, SIGBUS, SIGABRT, SIGSYS, SIGILL, SIGFPE,
 *   SIGTRAP) or an error exit within 10 s of the start, or a crash signal
 *   within 10 s of the slot's previous crash;
 * - anything else - a serving worker killed from outside (SIGKILL by the
 *   OOM killer or an operator, SIGTERM), or one that crashed after 10 s of
 *   service with no crash shortly before - is replaced at once and resets
 *   the count.  The 10 s window bounds how often a slot can crash without
 *   backing off;
 * - two deaths before READY in a row throttle the whole service, so a
 *   broken setup does not fork in a loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "common/log.h"
#include "master/archiver.h"
#include "master/fleet.h"
#include "master/logodbc.h"
#include "master/loop.h"
#include "master/ipc_server.h"
#include "master/metrics.h"
#include "master/reap.h"
#include "master/spawn.h"
#include "master/wstderr.h"

#define CRASH_WINDOW_MS 10000
#define BACKOFF_MIN_MS  500
#define BACKOFF_MAX_MS  60000

static int64_t
backoff_ms(unsigned n)
{
	int64_t ms = BACKOFF_MIN_MS;

	while (n-- > 1 && ms < BACKOFF_MAX_MS)
		ms *= 2;
	return ms > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms;
}

static void
log_end(const struct worker *w, pid_t pid, int status)
{
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		if (code == 0 && w->draining)
			log_info("%s pid %ld exited%s", worker_name(w),
			    (long)pid, M.stopping ? "" : " (drained)");
		else
			log_warnx("%s pid %ld exited with status %d%s",
			    worker_name(w), (long)pid, code,
			    code == PC_EX_CONFIG ?
			    " (configuration error, not respawned)" : "");
	} else if (WIFSIGNALED(status)) {
		int         sig = WTERMSIG(status);
		const char *abbrev = sigabbrev_np(sig);

		log_warnx("%s pid %ld killed by signal SIG%s%s",
		    worker_name(w), (long)pid, abbrev ? abbrev : "?",
		    sig == SIGSYS ? ": sandbox violation (rerun with "
		    "PORTCULLIS_SANDBOX=log to see the syscall)" : "");
	}
}

static bool
crash_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT ||
	    sig == SIGSYS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

/* Why w's death counts as a failure that backs its slot off (written to
 * why), or false: it is replaced at once. */
static bool
failure(const struct worker *w, int status, int64_t now, char *why,
    size_t len)
{
	int64_t     up = now - w->spawned_ms;
	bool        crash = WIFSIGNALED(status) &&
	    crash_signal(WTERMSIG(status));
	const char *abbrev = WIFSIGNALED(status) ?
	    sigabbrev_np(WTERMSIG(status)) : NULL;

	if (w->violated)
		snprintf(why, len, "killed by the master (%s)",
		    w->kill_reason != NULL ? w->kill_reason : "for cause");
	else if (w->state != W_READY)
		snprintf(why, len, "died before READY, %.1f s after its start",
		    (double)up / 1000);
	else if (crash && up < CRASH_WINDOW_MS)
		snprintf(why, len, "crashed (SIG%s) %.1f s after its start",
		    abbrev ? abbrev : "?", (double)up / 1000);
	else if (crash && w->last_crash_ms != 0 &&
	    now - w->last_crash_ms < CRASH_WINDOW_MS)
		snprintf(why, len, "crashed (SIG%s) %.1f s after the slot's "
		    "previous crash", abbrev ? abbrev : "?",
		    (double)(now - w->last_crash_ms) / 1000);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
	    up < CRASH_WINDOW_MS)
		snprintf(why, len, "exited with status %d %.1f s after its "
		    "start", WEXITSTATUS(status), (double)up / 1000);
	else
		return false;
	return true;
}

/* w's service in the current generation has no worker left and none to
 * come: every slot ended with PC_EX_CONFIG.  At start nothing else can
 * serve it, so the master stops (exit 78: systemd's unit does not restart
 * on it); after a reload the older generations drain as usual. */
static void
config_dead(const struct worker *w)
{
	const struct pc_service *svc = &w->gen->cfg->svcs[w->svc];

	for (size_t i = 0; i < w->gen->nworkers; i++) {
		const struct worker *o = &w->gen->workers[i];

		if (o->svc == w->svc && (o->pid > 0 || o->respawn_at_ms != 0))
			return;
	}
	if (w->gen->next == NULL) {
		log_warnx("%s at %s:%d: no worker can start (configuration "
		    "error above); stopping", pc_svc_type_name(svc->type),
		    svc->file, svc->line);
		master_stop(PC_EX_CONFIG);
	} else
		log_warnx("%s at %s:%d: no worker of generation %u can start "
		    "(configuration error above)", pc_svc_type_name(svc->type),
		    svc->file, svc->line, (unsigned)w->gen->id);
}

static void
decide(struct worker *w, int status, int64_t now)
{
	struct gen_svc *gs = &w->gen->svcs[w->svc];
	char            why[160];
	int64_t         delay = 0;

	if (w->gen != M.cur || M.stopping || w->draining)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == PC_EX_CONFIG) {
		config_dead(w);
		return;
	}
	metrics_restart(w, status);
	if (failure(w, status, now, why, sizeof(why))) {
		w->crashes++;
		delay = backoff_ms(w->crashes);
	} else
		w->crashes = 0;
	if (WIFSIGNALED(status) && crash_signal(WTERMSIG(status)))
		w->last_crash_ms = now;
	if (w->state != W_READY && ++gs->early_deaths >= 2) {
		int64_t t = backoff_ms(gs->early_deaths - 1);

		if (t > delay)
			delay = t;
		log_warnx("%s at %s:%d: workers die before READY; throttling "
		    "the service", pc_svc_type_name(
		    w->gen->cfg->svcs[w->svc].type),
		    w->gen->cfg->svcs[w->svc].file,
		    w->gen->cfg->svcs[w->svc].line);
	}
	if (delay > 0)
		log_warnx("%s: %s: respawning in %.1f s (failure %u in a row)",
		    worker_name(w), why, (double)delay / 1000, w->crashes);
	else
		log_info("%s: respawning now (it was serving)", worker_name(w));
	spawn_schedule(w, delay);
}

void
reap_children(void)
{
	int   status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0 ||
	    (pid == -1 && errno == EINTR)) {
		struct worker *w;

		if (pid <= 0 || archiver_reaped(pid, status) ||
		    logodbc_reaped(pid, status) || fleet_reaped(pid, status) ||
		    (w = gen_find_pid(pid)) == NULL)
			continue;
		log_end(w, pid, status);
		/* what it sent before it ended (its last log records) is
		 * still in the socket: read it before closing */
		for (int i = 0; i < 64 && w->fd >= 0; i++)
			ipc_readable(w);
		ipc_logs_write();
		worker_close_ipc(w);
		wstderr_close(w);
		w->pid = 0;
		w->active = 0;     /* its connections are gone */
		decide(w, status, now_ms());
		w->state = W_NONE;
		if (w->respawn_at_ms != 0 && w->respawn_at_ms <= now_ms())
			spawn_worker(w);
	}
}
