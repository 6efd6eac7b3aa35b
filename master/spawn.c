/*
 * Spawning: one SOCK_SEQPACKET socketpair per worker, fork, and in the
 * child worker_main() (never returns).  fork without exec (version 1,
 * docs/architecture.md, "Processes"): the child inherits the configuration
 * copy-on-write, so before anything else it wipes what it must not keep - the
 * other generations' passwords, a config read from stdin - and closes every
 * descriptor except its IPC end and its own service's listener. worker_main()
 * closes what it does not know about again; this side does not rely on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "master/fleet_users.h"
#include "master/listen.h"
#include "master/signals.h"
#include "master/spawn.h"
#include "master/wstderr.h"
#include "worker/core/worker.h"

#define RETRY_MS 1000

/* Closes fds >= 3 except the (up to three) kept ones: close_range on
 * the gaps; -1 entries are ignored. */
static void
close_all_but(int a, int b, int c)
{
	int      keep[3] = { a, b, c }, t;
	unsigned from = 3;

	for (int i = 0; i < 3; i++)          /* sort ascending */
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	for (int i = 0; i < 3; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

static void __attribute__((noreturn))
child(struct worker *w, int ipc_fd, int err_fd)
{
	struct pc_worker_args a;
	struct gen           *g = w->gen;
	int                   lfd = listen_fd(g->svcs[w->svc].listener);
	int                   bfd = listen_fd(g->svcs[w->svc].back_listener);

	signals_child_reset();
	wstderr_child(err_fd);
	for (struct gen *o = M.gens; o != NULL; o = o->next)
		if (o != g)
			pc_config_scrub_secrets(o->cfg);
	fleet_users_wipe();
	if (M.cfgtext != NULL)
		explicit_bzero(M.cfgtext, strlen(M.cfgtext));
	close_all_but(ipc_fd, lfd, bfd);
	memset(&a, 0, sizeof(a));
	a.cfg = g->cfg;
	a.svc = w->svc;
	a.gen = g->id;
	a.slot = w->slot;
	a.listen_fd = lfd;
	a.back_fd = bfd;
	a.ipc_fd = ipc_fd;
	a.privileged = M.privileged;
	a.jail = M.jail;
	a.uid = M.uid;
	a.gid = M.gid;
	a.sandbox = M.sandbox;
	worker_main(&a);
}

static void
reset_slot(struct worker *w, pid_t pid, int fd)
{
	int64_t now = now_ms();

	w->pid = pid;
	w->fd = fd;
	w->state = W_STARTING;
	w->draining = false;
	w->violated = false;
	w->kill_reason = NULL;
	w->spawned_ms = now;
	w->last_msg_ms = now;
	w->respawn_at_ms = 0;
	w->active = 0;
	w->dropped_logs = 0;
	w->accepted = 0;
	memset(&w->seen, 0, sizeof(w->seen));
	w->qhead = w->qlen = 0;
	w->auth_queued = 0;
}

int
spawn_worker(struct worker *w)
{
	struct epoll_event ev;
	sigset_t           all, old;
	int                sv[2], err_fd;
	pid_t              pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: socketpair", worker_name(w));
		spawn_schedule(w, RETRY_MS);
		return -1;
	}
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1) {
		log_warn("%s: fcntl", worker_name(w));
		goto fail;
	}
	wstderr_close(w);              /* a previous process's, if left */
	(void)wstderr_open(w, &err_fd);
	/* no master handler may run in the child before it resets them */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		child(w, sv[1], err_fd);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		log_warn("%s: fork", worker_name(w));
		if (err_fd >= 0)
			close(err_fd);
		wstderr_close(w);
		goto fail;
	}
	close(sv[1]);
	reset_slot(w, pid, sv[0]);
	wstderr_parent(w, err_fd);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = w;
	if (epoll_ctl(M.epfd, EPOLL_CTL_ADD, sv[0], &ev) == -1) {
		/* the worker cannot be heard: end it, the reap respawns */
		log_warn("%s: epoll_ctl", worker_name(w));
		worker_kill(w, "cannot watch its IPC socket");
		return -1;
	}
	log_debug("%s: started, pid %ld", worker_name(w), (long)pid);
	return 0;
fail:
	close(sv[0]);
	close(sv[1]);
	spawn_schedule(w, RETRY_MS);
	return -1;
}

void
spawn_gen(struct gen *g)
{
	for (size_t i = 0; i < g->nworkers; i++)
		spawn_worker(&g->workers[i]);
	g->spawned = true;
}

void
worker_close_ipc(struct worker *w)
{
	if (w->fd < 0)
		return;
	epoll_ctl(M.epfd, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -1;
	w->qhead = w->qlen = 0;
	w->auth_queued = 0;
}

void
worker_kill(struct worker *w, const char *why)
{
	if (w->pid <= 0)
		return;
	log_warnx("%s pid %ld: %s: killing it", worker_name(w), (long)w->pid,
	    why);
	w->violated = true;
	w->kill_reason = why;
	kill(w->pid, SIGKILL);
	worker_close_ipc(w);
}

void
spawn_schedule(struct worker *w, int64_t delay_ms)
{
	w->respawn_at_ms = now_ms() + (delay_ms > 0 ? delay_ms : 0);
	if (w->respawn_at_ms == 0)
		w->respawn_at_ms = 1;
}

int64_t
spawn_due(int64_t now)
{
	int64_t next = 0;

	if (M.cur == NULL || M.stopping)
		return 0;
	for (size_t i = 0; i < M.cur->nworkers; i++) {
		struct worker *w = &M.cur->workers[i];

		if (w->pid > 0 || w->respawn_at_ms == 0)
			continue;
		if (w->respawn_at_ms <= now)
			spawn_worker(w);
		if (w->pid == 0 && w->respawn_at_ms != 0 &&
		    (next == 0 || w->respawn_at_ms < next))
			next = w->respawn_at_ms;
	}
	return next;
}
