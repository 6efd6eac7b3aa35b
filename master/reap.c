/*
 * Reaping and the respawn policy (privsep-anchors 3.12, "Worker crash"):
 * - only slots of the current generation are refilled, never while
 *   stopping, never after exit status 78 (PC_EX_CONFIG: the worker found
 *   its setup impossible, retrying cannot help);
 * - a worker that had reached READY, was not killed for cause and last
 *   crashed more than 10 s ago comes back at once;
 * - otherwise the slot backs off 1 s, 2 s, 4 s ... 60 s;
 * - two deaths before READY in a row throttle the whole service (Postfix's
 *   master_throttle), so a broken setup does not fork in a loop.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "common/log.h"
#include "master/archiver.h"
#include "master/logodbc.h"
#include "master/ipc_server.h"
#include "master/metrics.h"
#include "master/reap.h"
#include "master/spawn.h"
#include "master/wstderr.h"

#define QUICK_AFTER_MS  10000
#define BACKOFF_MAX_MS  60000

static int64_t
backoff_ms(unsigned n)
{
	int64_t ms = 1000;

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

static void
decide(struct worker *w, int status, int64_t now)
{
	struct gen_svc *gs = &w->gen->svcs[w->svc];
	bool            ready = w->state == W_READY;
	bool            quick;
	int64_t         delay;

	if (w->gen != M.cur || M.stopping || w->draining ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == PC_EX_CONFIG))
		return;
	metrics_restart(w, status);
	quick = ready && !w->violated &&
	    (w->last_crash_ms == 0 || now - w->last_crash_ms > QUICK_AFTER_MS);
	w->crashes = quick ? 0 : w->crashes + 1;
	w->last_crash_ms = now;
	delay = quick ? 0 : backoff_ms(w->crashes);
	if (!ready && ++gs->early_deaths >= 2) {
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
		log_info("%s: respawning in %lld s", worker_name(w),
		    (long long)(delay / 1000));
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
		    logodbc_reaped(pid, status) ||
		    (w = gen_find_pid(pid)) == NULL)
			continue;
		log_end(w, pid, status);
		/* what it sent before it ended (its last log records) is
		 * still in the socket: read it before closing */
		for (int i = 0; i < 64 && w->fd >= 0; i++)
			ipc_readable(w);
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
