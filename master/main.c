/*
 * portcullis [-t] [-v] [CONFIGFILE | -]
 *
 * -t -v: the configuration as compiled, in the 3proxy language with the
 * secrets masked (policy/print.h), on standard output; "configuration OK"
 * then goes to standard error, so the output is a config file itself.
 *
 * The master's start-up, in the order that matters: parse the config
 * (errors before anything is touched), decide the workers' ids, check the
 * jail, open the log targets, bind every listener, raise the descriptor
 * limit, go to the background if asked, write the pid file, fork the
 * workers, and serve (systemd hears READY=1 once every service has a
 * worker that accepts: notify.h).
 *
 * Exit status: 0 served and stopped by a signal (or -t: config OK);
 * 1 configuration or start-up error; 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "conf/conf.h"
#include "master/authcache.h"
#include "master/caps.h"
#include "master/control.h"
#include "master/counters.h"
#include "master/fleet.h"
#include "master/daemon.h"
#include "master/jail.h"
#include "master/listen.h"
#include "master/logwrite.h"
#include "master/loop.h"
#include "master/master.h"
#include "master/mfilter.h"
#include "master/monitor.h"
#include "master/notify.h"
#include "master/reload.h"
#include "master/spawn.h"
#include "master/signals.h"
#include "policy/print.h"
#include "worker/core/worker.h"

#define STDIN_MAX (16u << 20)
#define FD_WANT   65536       /* workers: 10k tunnels, two fds each */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: portcullis [-t] [-v] [CONFIGFILE | -]\n"
	    "  -t  check the configuration and exit\n"
	    "  -v  verbose diagnostics; with -t, print the configuration as\n"
	    "      compiled (secrets masked)\n"
	    "  without CONFIGFILE the built-in configuration is used;\n"
	    "  \"-\" reads the configuration from standard input\n");
	exit(2);
}

static void __attribute__((noreturn))
die(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	exit(1);
}

static char *
read_stdin(void)
{
	size_t len = 0, cap = 4096;
	char  *buf = xmalloc(cap);

	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			if (cap >= STDIN_MAX)
				die("<stdin>: configuration too large");
			cap *= 2;
			buf = xreallocarray(buf, 1, cap);
		}
		n = read(STDIN_FILENO, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "<stdin>: %s\n", strerror(errno));
			exit(1);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

static int
sandbox_mode(void)
{
	const char *v = getenv("PORTCULLIS_SANDBOX");

	if (v == NULL || *v == '\0') {
#ifdef PC_ASAN
		return PC_SANDBOX_OFF;   /* sanitizers need syscalls */
#else
		return PC_SANDBOX_ENFORCE;
#endif
	}
	if (strcmp(v, "enforce") == 0)
		return PC_SANDBOX_ENFORCE;
	if (strcmp(v, "log") == 0)
		return PC_SANDBOX_LOG;
	if (strcmp(v, "off") == 0)
		return PC_SANDBOX_OFF;
	fprintf(stderr, "PORTCULLIS_SANDBOX=%s: expected enforce, log or "
	    "off\n", v);
	exit(2);
}

/* Root raises the hard limit here, once: after the capability drop
 * (no CAP_SYS_RESOURCE) neither the master nor a worker could, and
 * workers inherit it. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (M.privileged && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_max != RLIM_INFINITY && rl.rlim_max < FD_WANT) {
		struct rlimit want = { FD_WANT, FD_WANT };

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit(RLIMIT_NOFILE)");
	}
}

/* Ids and jail; a refusal here ends the start with status 1. */
static void
prepare_ids(const struct pc_config *cfg)
{
	char err[1024];

	M.privileged = geteuid() == 0;
	if (jail_ids(cfg, M.privileged, &M.uid, &M.gid, err, sizeof(err)) != 0)
		die(err);
	if (!M.privileged) {
		log_warnx("not running as root: workers are not jailed and "
		    "keep uid %ld; seccomp and no_new_privs still apply",
		    (long)M.uid);
		M.jail = xstrdup(cfg->chroot != NULL ? cfg->chroot : "/");
		return;
	}
	if (jail_prepare(cfg, M.uid, M.gid, &M.jail, err, sizeof(err)) != 0)
		die(err);
}

/* What the master gives up before its first worker (caps.c, mfilter.c;
 * docs/security.md "The master"). */
static void
confine(void)
{
	char err[256];

	if (M.privileged && caps_master_drop(err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot drop the master's capabilities: %s\n",
		    err);
		exit(1);
	}
	if (mfilter_load(M.sandbox, err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot load the master's seccomp filter: "
		    "%s\n", err);
		exit(1);
	}
	if (M.sandbox == PC_SANDBOX_OFF)
		log_warnx("PORTCULLIS_SANDBOX=off: no seccomp filter in the "
		    "master either");
}

static void
start(struct pc_config *cfg)
{
	struct epoll_event ev;
	struct gen        *g;
	char               err[1024];

	notify_init();
	/* the binary workers are exec'ed from, whatever happens to its path
	 * later (an upgrade, a directory that becomes unreachable) */
	if ((M.exefd = open("/proc/self/exe", O_PATH | O_CLOEXEC)) == -1) {
		fprintf(stderr, "/proc/self/exe: %s (workers are exec'ed from "
		    "it; is /proc mounted?)\n", strerror(errno));
		exit(1);
	}
	prepare_ids(cfg);
	g = gen_new(cfg);
	if (logs_open(g, err, sizeof(err)) != 0)
		die(err);
	if (listen_claim_gen(g, err, sizeof(err)) != 0)
		die(err);
	raise_nofile();
	if (cfg->daemon)
		daemonize();
	if (cfg->pidfile != NULL && pidfile_write(cfg->pidfile) != 0)
		exit(1);
	if ((M.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	M.sigfd = signals_init();
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(M.epfd, EPOLL_CTL_ADD, M.sigfd, &ev) == -1)
		fatal("epoll_ctl");
	M.gens = M.cur = g;
	authcache_reset(&g->cfg->authcache);
	counters_init();
	counters_attach(g->cfg);
	fleet_attach(g->cfg);
	control_open(g->cfg);
	monitor_reset(cfg);
	confine();
	spawn_gen(g);
	reload_first();
	log_debug("generation %u started", (unsigned)g->id);
	master_loop();
}

/* -t, and -t -v: the rendering on stdout, the verdict on stderr */
static int
check_only(struct pc_config *cfg, int verbose)
{
	struct pc_text t = { 0 };
	int            rc = 0;

	if (!verbose) {
		printf("%s: configuration OK\n", M.cfgname);
		pc_config_free(cfg);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	pc_print_config(&t, cfg, PC_PRINT_ORIGIN, NULL);
	pc_config_free(cfg);
	if (t.err || (t.len > 0 && fwrite(t.p, 1, t.len, stdout) != t.len) ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "%s: cannot print the configuration%s\n",
		    M.cfgname, t.err ? ": out of memory" : "");
		rc = 1;
	} else
		fprintf(stderr, "%s: configuration OK\n", M.cfgname);
	pc_text_free(&t);
	return rc;
}

int
main(int argc, char **argv)
{
	struct pc_config *cfg;
	char              err[1024];
	int               ch, check = 0, verbose = 0;

	/* an exec'ed worker (master/spawn.c): nothing of the master runs */
	if (argc >= 2 && strcmp(argv[1], PC_WORKER_MARK) == 0)
		worker_exec_main(argc, argv);
	while ((ch = getopt(argc, argv, "tvh")) != -1) {
		switch (ch) {
		case 't': check = 1; break;
		case 'v': verbose = 1; break;
		default:  usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	log_init(verbose);
	log_setprefix("master");
	M.verbose = verbose;
	M.sandbox = sandbox_mode();
	if (argc == 0) {
		M.cfgname = "<embedded>";
		fprintf(stderr, "portcullis: no configuration file given, "
		    "using the built-in one (HTTP proxy 127.0.0.1:3128, SOCKS "
		    "127.0.0.1:1080, log to stdout)\n");
	} else if (strcmp(argv[0], "-") == 0) {
		M.cfgname = "<stdin>";
		M.cfgtext = read_stdin();
	} else {
		M.cfgpath = M.cfgname = argv[0];
	}
	if ((cfg = master_load_config(err, sizeof(err))) == NULL)
		die(err);
	if (check)
		return check_only(cfg, verbose);
	start(cfg);
}
