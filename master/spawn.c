/*
 * Spawning: one SOCK_SEQPACKET socketpair per worker, fork, and in the
 * child an exec of the master's own binary in worker mode (worker.h
 * PC_WORKER_MARK; OpenBSD's proc_exec): each worker gets a fresh
 * address-space layout and stack canary, and none of the master's memory
 * (other generations' passwords, a config read from stdin).  The binary
 * is the /proc/self/exe descriptor opened at start, so this works after
 * the file was replaced or its directory became unreachable.  The child
 * keeps only its IPC end, its service's listener(s), the generation's
 * sealed configuration bundle and the shared memfds; CLOEXEC is cleared
 * on exactly those.  worker_main() closes what it does not know about
 * again; this side does not rely on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "master/caps.h"
#include "master/counters.h"
#include "master/listen.h"
#include "master/signals.h"
#include "master/spawn.h"
#include "master/wstderr.h"
#include "worker/core/worker.h"

#define RETRY_MS 1000
#define KEEP_MAX 8

extern char **environ;

static int
by_fd(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes fds >= 3 except the kept ones (-1 entries are ignored):
 * close_range on the gaps. */
static void
close_all_but(int *keep, size_t n)
{
	unsigned from = 3;

	qsort(keep, n, sizeof(*keep), by_fd);
	for (size_t i = 0; i < n; i++) {
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
	struct pc_worker_exec x;
	struct gen           *g = w->gen;
	char                  params[256], title[96];
	char                 *argv[5];
	int                   keep[KEEP_MAX];
	size_t                n = 0;

	signals_child_reset();
	wstderr_child(err_fd);
	memset(&x, 0, sizeof(x));
	x.svc = w->svc;
	x.gen = g->id;
	x.slot = w->slot;
	x.uid = (unsigned)M.uid;
	x.gid = (unsigned)M.gid;
	x.listen_fd = listen_fd(g->svcs[w->svc].listener);
	x.back_fd = listen_fd(g->svcs[w->svc].back_listener);
	x.ipc_fd = ipc_fd;
	x.bundle_fd = g->bundle_fd;
	x.shm_fd = g->shm_fd;
	x.ctr_fd = counters_fd();
	x.privileged = M.privileged;
	x.sandbox = M.sandbox;
	x.verbose = M.verbose;
	keep[n++] = x.listen_fd;
	keep[n++] = x.back_fd;
	keep[n++] = x.ipc_fd;
	keep[n++] = x.bundle_fd;
	keep[n++] = x.shm_fd;
	keep[n++] = x.ctr_fd;
	for (size_t i = 0; i < n; i++)
		if (keep[i] >= 0 && fcntl(keep[i], F_SETFD, 0) != 0)
			_exit(127);
	keep[n++] = M.exefd;           /* CLOEXEC: gone after the exec */
	close_all_but(keep, n);
	snprintf(title, sizeof(title), "portcullis: %s", worker_name(w));
	if (pc_worker_exec_fmt(&x, params, sizeof(params)) != 0)
		_exit(127);
	argv[0] = title;
	argv[1] = (char *)PC_WORKER_MARK;
	argv[2] = params;
	argv[3] = M.jail;
	argv[4] = NULL;
	caps_worker_exec();
	execveat(M.exefd, "", argv, environ, AT_EMPTY_PATH);
	fprintf(stderr, "exec of the worker binary: %s\n", strerror(errno));
	_exit(127);
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

	if (gen_bundle_fd(w->gen) < 0) {
		log_warnx("%s: no configuration bundle", worker_name(w));
		spawn_schedule(w, RETRY_MS);
		return -1;
	}
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
