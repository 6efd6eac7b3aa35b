/*
 * A worker started by exec (worker.h PC_WORKER_MARK): a fresh address
 * space, layout and stack canary, nothing of the master's memory.  It
 * rebuilds its configuration from the master's sealed bundle (the exact
 * bytes the master read; conf/bundle.h) without opening a file, maps the
 * shared regions the master passed, and goes on as a forked worker would
 * (worker_main).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/bundle.h"
#include "conf/conf.h"
#include "worker/core/worker.h"

#define FMT "s=%u g=%u n=%u u=%u G=%u l=%d b=%d i=%d c=%d m=%d k=%d " \
            "p=%d x=%d v=%d"

int
pc_worker_exec_fmt(const struct pc_worker_exec *x, char *out, size_t cap)
{
	int n = snprintf(out, cap, FMT, x->svc, x->gen, x->slot, x->uid,
	    x->gid, x->listen_fd, x->back_fd, x->ipc_fd, x->bundle_fd,
	    x->shm_fd, x->ctr_fd, x->privileged, x->sandbox, x->verbose);

	return n > 0 && (size_t)n < cap ? 0 : -1;
}

static void __attribute__((noreturn))
refuse(const char *what)
{
	fprintf(stderr, "portcullis: %s: %s is for the master's own "
	    "workers\n", what, PC_WORKER_MARK);
	_exit(2);
}

/* The configuration, from a memfd the master sealed: anything else
 * (a hand-made command line, a plain file) is refused. */
static struct pc_config *
bundle_config(int fd)
{
	const int         want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE;
	struct stat       st;
	struct pc_config *cfg;
	char              err[1024];
	void             *p;
	int               seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0 || (seals & want) != want || fstat(fd, &st) != 0 ||
	    st.st_size <= 0)
		refuse("no sealed configuration bundle");
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		refuse("cannot map the configuration bundle");
	conf_set_warn_stream(NULL);      /* the master showed them once */
	cfg = conf_bundle_parse(p, (size_t)st.st_size, err, sizeof(err));
	munmap(p, (size_t)st.st_size);
	close(fd);
	if (cfg == NULL) {
		log_warnx("configuration bundle: %s", err);
		_exit(PC_EX_CONFIG);
	}
	return cfg;
}

static void *
map_shared(int fd, size_t len, const char *what)
{
	struct stat st;
	void       *p;

	if (fstat(fd, &st) != 0 || (size_t)st.st_size != len) {
		log_warnx("%s: size %lld, expected %zu", what,
		    (long long)st.st_size, len);
		_exit(PC_EX_CONFIG);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		log_warn("mmap %s", what);
		_exit(PC_EX_CONFIG);
	}
	close(fd);
	return p;
}

void
worker_exec_main(int argc, char **argv)
{
	struct pc_worker_exec x;
	struct pc_worker_args a;
	struct pc_config     *cfg;
	int                   used = -1;

	/* the kernel named us after the descriptor ("3") */
	(void)prctl(PR_SET_NAME, "portcullis", 0, 0, 0);
	memset(&x, 0, sizeof(x));
	if (argc != 4 || sscanf(argv[2], FMT "%n", &x.svc, &x.gen, &x.slot,
	    &x.uid, &x.gid, &x.listen_fd, &x.back_fd, &x.ipc_fd,
	    &x.bundle_fd, &x.shm_fd, &x.ctr_fd, &x.privileged, &x.sandbox,
	    &x.verbose, &used) != 14 || used != (int)strlen(argv[2]))
		refuse("malformed worker arguments");
	log_init(x.verbose);
	log_setprefix("worker");
	cfg = bundle_config(x.bundle_fd);
	if (x.svc >= cfg->nsvcs) {
		log_warnx("service %u not in the configuration", x.svc);
		_exit(PC_EX_CONFIG);
	}
	pc_shared_attach(cfg, map_shared(x.shm_fd, pc_shared_size(cfg),
	    "shared state"));
	if (x.ctr_fd >= 0)
		cfg->ctslots = map_shared(x.ctr_fd, PC_CT_SLOTS *
		    sizeof(struct pc_ctslot), "counters");
	memset(&a, 0, sizeof(a));
	a.cfg = cfg;
	a.svc = x.svc;
	a.gen = x.gen;
	a.slot = x.slot;
	a.listen_fd = x.listen_fd;
	a.back_fd = x.back_fd;
	a.ipc_fd = x.ipc_fd;
	a.privileged = x.privileged;
	a.jail = argv[3];
	a.uid = (uid_t)x.uid;
	a.gid = (gid_t)x.gid;
	a.sandbox = x.sandbox;
	worker_main(&a);
}
