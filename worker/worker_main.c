/*
 * worker_main (worker.h): the entry sequence of a worker and its life.
 *
 * Order matters and is the security argument of the design:
 *   1. forget secrets (the config came copy-on-write from the master);
 *   2. set up everything that needs files or privileges: time zone data,
 *      the epoll instance, the resolver (resolv.conf), the fd limit;
 *   3. privdrop_apply: chroot, setgroups/setgid/setuid, no capabilities;
 *   4. sandbox_apply: NO_NEW_PRIVS and the seccomp allow-list;
 *   5. READY to the master, then serve until drained or shut down.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "worker/core/accept.h"
#include "worker/core/conn_life.h"
#include "worker/core/ipc_client.h"
#include "worker/core/sandbox.h"
#include "worker/core/worker.h"
#include "worker/net/connback.h"
#include "worker/net/dns.h"
#include "worker/net/relay.h"
#include "worker/net/request.h"
#include "worker/proto/dnspr.h"
#include "worker/proto/proto.h"
#include "worker/proto/udppm.h"

#define FD_WANT      65536  /* 10k tunnels need two descriptors each */
#define RELAY_SPLICE true   /* default: the benchmark favours it */

static void listener_stop(void);

static volatile int stop;
static bool         draining;
static struct ev_timer grace;

static void
maybe_finish(void)
{
	if (draining && conn_active_count() == 0)
		stop = 1;
}

static void
grace_over(struct ev_timer *t)
{
	(void)t;
	conn_close_all(92);
	stop = 1;
}

static void
on_drain(uint32_t grace_s)
{
	if (draining)
		return;
	draining = true;
	listener_stop();
	conn_set_close_hook(maybe_finish);
	conn_drain_all();
	conn_recheck_all();     /* force: tunnels the reload refuses end */
	maybe_finish();
	if (!stop)
		ev_timer_start(&grace, (uint64_t)grace_s * 1000, grace_over, NULL);
}

static void
on_shutdown(void)
{
	listener_stop();
	conn_close_all(-1);
	stop = 1;
}

static void
on_stats(struct pc_msg_stats *out)
{
	out->active = conn_active_count();
	out->accepted = conn_accepted_total();
	out->draining = draining;
}

/* PORTCULLIS_NOFILE=N (tests of the descriptor reserve): the worker's
 * limit is N instead of the hard limit; true when it was applied. */
static bool
nofile_cap(struct rlimit *rl)
{
	const char   *v = getenv("PORTCULLIS_NOFILE");
	char         *end;
	unsigned long n;

	if (v == NULL || *v == '\0')
		return false;
	n = strtoul(v, &end, 10);
	if (*end != '\0' || n < 64 || n > rl->rlim_max) {
		log_warnx("PORTCULLIS_NOFILE=%s ignored (64 up to the hard "
		    "limit)", v);
		return false;
	}
	rl->rlim_cur = n;
	if (setrlimit(RLIMIT_NOFILE, rl) != 0) {
		log_warn("setrlimit NOFILE %lu", n);
		return false;
	}
	log_warnx("PORTCULLIS_NOFILE: descriptor limit %lu (tests only)", n);
	return true;
}

static void
raise_fd_limit(int privileged)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (nofile_cap(&rl))
		return;
	if (privileged && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < FD_WANT) {
		struct rlimit want = { FD_WANT, FD_WANT };

		/* may be refused (no CAP_SYS_RESOURCE in a container) */
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("setrlimit NOFILE %lu", (unsigned long)rl.rlim_max);
}

/* PORTCULLIS_RELAY=copy|splice picks the relay's way of moving bytes (the
 * benchmark compares them; docs/architecture.md has the figures). */
static void
relay_mode(void)
{
	const char *m = getenv("PORTCULLIS_RELAY");

	relay_set_splice(m != NULL ? strcmp(m, "splice") == 0 : RELAY_SPLICE);
}

/* PORTCULLIS_TEST_CRASH, for the respawn tests (docs/portcullis.8): read
 * from the environment the master was started with, once, before any
 * client is accepted, so nothing a client sends can reach it.  "start":
 * abort before READY; "ready": SIGSEGV right after READY; "sandbox": a
 * forbidden system call right after READY (SIGSYS when enforcing);
 * "config": exit 78 before READY, as a setup that cannot work does. */
enum crash_hook { HOOK_NONE, HOOK_START, HOOK_READY, HOOK_SANDBOX,
	HOOK_CONFIG };

static enum crash_hook
crash_hook(void)
{
	const char *m = getenv("PORTCULLIS_TEST_CRASH");

	if (m == NULL || *m == '\0')
		return HOOK_NONE;
	if (strcmp(m, "config") == 0) {
		log_warnx("PORTCULLIS_TEST_CRASH=%s: exiting on purpose", m);
		return HOOK_CONFIG;
	}
	if (strcmp(m, "start") == 0 || strcmp(m, "ready") == 0 ||
	    strcmp(m, "sandbox") == 0) {
		log_warnx("PORTCULLIS_TEST_CRASH=%s: crashing on purpose", m);
		return m[0] == 's' ? (m[1] == 't' ? HOOK_START : HOOK_SANDBOX) :
		    HOOK_READY;
	}
	log_warnx("PORTCULLIS_TEST_CRASH=%s: unknown, ignored", m);
	return HOOK_NONE;
}

static void
crash_now(enum crash_hook h)
{
	volatile char *volatile nowhere = NULL;

	if (h == HOOK_START)
		abort();
	if (h == HOOK_SANDBOX)
		(void)syscall(SYS_getppid);   /* not on the allow-list */
	if (h == HOOK_READY || h == HOOK_SANDBOX)
		*nowhere = 1;
}

/* The service's socket: accepted connections, or datagrams (udppm,
 * dnspr). */
static int
listener_init(const struct pc_service *s, int fd)
{
	if (s->type == PC_SVC_DNSPR)
		return dnspr_init(fd);
	if (s->type == PC_SVC_UDPPM)
		return udppm_init(fd);
	if (s->connback_host != NULL)
		return connback_init();
	return accept_init(fd);
}

static void
listener_stop(void)
{
	if (wctx.svc->type == PC_SVC_DNSPR)
		dnspr_stop();
	else if (wctx.svc->type == PC_SVC_UDPPM)
		udppm_stop();
	else if (wctx.svc->connback_host != NULL)
		connback_stop();
	else
		accept_stop();
	backpool_stop();
}

static void
quiet_signals(void)
{
	/* the master decides when workers stop; a terminal's ^C reaches the
	 * whole process group, so ignore what the master handles */
	static const int sigs[] = { SIGPIPE, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
	struct sigaction sa = { .sa_handler = SIG_IGN };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

void
worker_main(const struct pc_worker_args *a)
{
	static const struct ipc_client_hooks hooks = {
		.drain = on_drain, .shutdown = on_shutdown, .stats = on_stats,
	};
	const struct pc_service *s = &a->cfg->svcs[a->svc];
	struct pc_msg_ready      ready = { 0 };
	enum crash_hook          hook;
	struct conn_parts        parts = {
		.proto = proto_for_service(s->type),
		.request_cancel = request_cancel,
		.relay_release = relay_release,
	};

	log_setprefix("%s %u gen %u", pc_svc_type_name(s->type),
	    (unsigned)a->slot + 1, (unsigned)a->gen);
	pc_config_scrub_secrets(a->cfg);
	wctx.cfg = a->cfg;
	wctx.svc = s;
	wctx.svc_idx = (uint16_t)a->svc;
	wctx.gen = a->gen;
	wctx.slot = a->slot;
	/* the HTTP proxy's Forwarded/Via name it; uname is not in the
	 * sandbox's list */
	if (gethostname(wctx.hostname, sizeof(wctx.hostname) - 1) != 0)
		snprintf(wctx.hostname, sizeof(wctx.hostname), "portcullis");
	quiet_signals();
	if ((hook = crash_hook()) == HOOK_START)
		crash_now(hook);
	if (hook == HOOK_CONFIG)
		_exit(PC_EX_CONFIG);
	conn_setup(&parts);
	relay_mode();
	tzset();                 /* /etc/localtime is not in the jail */
	raise_fd_limit(a->privileged);
	if (ev_init() != 0 || dns_init(a->cfg) != 0 ||
	    ipc_client_init(a->ipc_fd, a->gen, &hooks) != 0 ||
	    listener_init(s, a->listen_fd) != 0 ||
	    (a->back_fd >= 0 && backpool_init(a->back_fd) != 0))
		_exit(PC_EX_CONFIG);
	if (privdrop_apply(a) != 0 || sandbox_apply(a->sandbox) != 0)
		_exit(PC_EX_CONFIG);
	ready.pid = (uint32_t)getpid();
	ready.svc = (uint16_t)a->svc;
	ready.slot = (uint16_t)a->slot;
	ready.sandbox = (uint8_t)a->sandbox;
	ready.jailed = a->privileged ? 1 : 0;
	ipc_send_ready(&ready);
	if (hook != HOOK_NONE)
		crash_now(hook);
	if (ev_run(&stop) != 0)
		_exit(1);
	ipc_client_last_stats();
	_exit(0);
}
