/*
 * The master's loop: epoll over the workers' IPC sockets and the signal
 * self-pipe, woken at least once a second for the timers (respawn
 * back-off, reload switch-over, watchdog, `monitor`, stop deadline).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "master/daemon.h"
#include "master/ipc_server.h"
#include "master/control.h"
#include "master/counters.h"
#include "master/fleet.h"
#include "master/logodbc.h"
#include "master/logrotate.h"
#include "master/logwrite.h"
#include "master/loop.h"
#include "master/monitor.h"
#include "master/notify.h"
#include "master/reap.h"
#include "master/reload.h"
#include "master/signals.h"
#include "master/spawn.h"
#include "master/wstderr.h"

#define TICK_MS           1000
#define MONITOR_EVERY_MS  2000
#define STOP_GRACE_MS     3000
#define READY_LIMIT_MS    30000  /* spawn -> READY */
#define SILENCE_LIMIT_MS  30000  /* STATS is a 1 Hz heartbeat */
#define DRAIN_EXTRA_MS    10000  /* past the DRAIN deadline */
#define MAX_EVENTS        64

static void begin_stop(void);

static size_t
live_workers(void)
{
	size_t n = 0;

	for (struct gen *g = M.gens; g != NULL; g = g->next)
		n += gen_live_workers(g);
	return n;
}

void
master_stop(int status)
{
	if (M.exit_status == 0)
		M.exit_status = status;
	begin_stop();
}

static void
begin_stop(void)
{
	if (M.stopping)
		return;
	log_info("stopping");
	notify_stopping();
	M.stopping = true;
	M.stop_deadline_ms = now_ms() + STOP_GRACE_MS;
	for (struct gen *g = M.gens; g != NULL; g = g->next) {
		for (size_t i = 0; i < g->nworkers; i++) {
			struct worker *w = &g->workers[i];

			w->respawn_at_ms = 0;
			if (w->pid <= 0)
				continue;
			w->draining = true;
			ipc_send_shutdown(w);
		}
	}
}

/* SIGKILL what is left, wait for it briefly, write the stop records. */
static void __attribute__((noreturn))
finish_stop(void)
{
	struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
	int             waited = 0;

	for (struct gen *g = M.gens; g != NULL; g = g->next)
		for (size_t i = 0; i < g->nworkers; i++)
			if (g->workers[i].pid > 0) {
				log_warnx("%s pid %ld: still running after "
				    "SHUTDOWN, killing it",
				    worker_name(&g->workers[i]),
				    (long)g->workers[i].pid);
				kill(g->workers[i].pid, SIGKILL);
			}
	while (live_workers() > 0 && waited++ < 200) {
		reap_children();
		if (live_workers() > 0)
			nanosleep(&ten_ms, NULL);
	}
	for (struct gen *g = M.gens; g != NULL; g = g->next)
		for (size_t s = 0; s < g->cfg->nsvcs; s++)
			if (g->svcs[s].announced)
				log_service_event(g, s, "Exiting thread");
	fleet_stop();
	counters_save();
	control_close();
	pidfile_remove();
	log_info("stopped");
	exit(M.exit_status);
}

static void
watchdog(int64_t now)
{
	for (struct gen *g = M.gens; g != NULL; g = g->next) {
		for (size_t i = 0; i < g->nworkers; i++) {
			struct worker *w = &g->workers[i];

			if (w->pid <= 0 || w->fd < 0)
				continue;
			if (w->state == W_STARTING &&
			    now - w->spawned_ms > READY_LIMIT_MS)
				worker_kill(w, "not READY after 30 s");
			else if (w->state == W_READY && !w->draining &&
			    now - w->last_msg_ms > SILENCE_LIMIT_MS)
				worker_kill(w, "no heartbeat for 30 s");
			else if (w->draining && w->drain_deadline_ms != 0 &&
			    now > w->drain_deadline_ms + DRAIN_EXTRA_MS)
				worker_kill(w, "still running past its drain "
				    "deadline");
		}
	}
}

static void
on_signals(void)
{
	unsigned f = signals_take();

	if (f & SIGF_CHILD)
		reap_children();
	if (f & SIGF_STOP)
		begin_stop();
	if (f & SIGF_REOPEN)
		log_info("reopening the log files");
	/* a reload reopens them too, so that a moved file is created again
	 * also for the generations that keep running while others drain */
	if (f & (SIGF_REOPEN | SIGF_RELOAD))
		logs_reopen_all();
	if (f & SIGF_RELOAD)
		reload_request();
}

static int64_t
earliest(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/* Timers; returns the epoll timeout in ms. */
static int
tick(int64_t *next_monitor)
{
	int64_t now = now_ms(), next = now + TICK_MS;

	if (M.stopping) {
		if (live_workers() == 0 || now >= M.stop_deadline_ms)
			finish_stop();
		next = earliest(next, M.stop_deadline_ms);
	} else {
		watchdog(now);
		if (now >= *next_monitor) {
			*next_monitor = now + MONITOR_EVERY_MS;
			if (monitor_changed())
				reload_request();
		}
		next = earliest(next, reload_tick(now));
		next = earliest(next, spawn_due(now));
		next = earliest(next, logrotate_tick());
		next = earliest(next, counters_tick(now));
		next = earliest(next, logodbc_tick(now));
		next = earliest(next, fleet_tick(now));
	}
	gen_collect();
	now = now_ms();
	return next <= now ? 0 : (int)(next - now);
}

void
master_loop(void)
{
	struct epoll_event evs[MAX_EVENTS];
	int64_t            next_monitor = now_ms() + MONITOR_EVERY_MS;
	int                timeout = 0;

	for (;;) {
		int n = epoll_wait(M.epfd, evs, MAX_EVENTS, timeout);

		if (n == -1 && errno != EINTR)
			fatal("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct worker *w = evs[i].data.ptr;

			if (wstderr_event(evs[i].data.ptr))
				continue;
			if (evs[i].data.ptr == control_tag()) {
				ipc_logs_write();
				control_readable();
				continue;
			}
			if (w == NULL) {
				ipc_logs_write();
				on_signals();
				continue;
			}
			if (w->fd < 0)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				ipc_readable(w);
			if (w->fd >= 0 && (evs[i].events & EPOLLOUT))
				ipc_writable(w);
		}
		ipc_logs_write();     /* the turn's records, one write each */
		timeout = tick(&next_monitor);
	}
}
