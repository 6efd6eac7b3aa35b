/*
 * Entry point of a worker process, called by the master right after fork().
 * Performs the entry sequence (close fds, scrub secrets, pre-jail setup,
 * chroot, setgroups/setgid/setuid, drop capabilities, NO_NEW_PRIVS,
 * seccomp), sends READY and runs the event loop until drained or shut down.
 */
#ifndef PC_WORKER_WORKER_H
#define PC_WORKER_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

struct pc_worker_args {
	struct pc_config *cfg;      /* inherited copy-on-write; secrets scrubbed
	                               by the worker first thing */
	size_t            svc;      /* index into cfg->svcs */
	uint32_t          gen;
	uint32_t          slot;
	int               listen_fd;/* shared listening socket (nonblocking),
	                               -1 for a -r (connect-back) service */
	int               back_fd;  /* tcppm -R: the connect-back listener,
	                               else -1 */
	int               ipc_fd;   /* SEQPACKET end towards the master */
	int               privileged; /* master runs as root: jail + setuid */
	const char       *jail;     /* chroot directory (checked by master) */
	uid_t             uid;
	gid_t             gid;
	int               sandbox;  /* enum pc_sandbox_mode */
};

void worker_main(const struct pc_worker_args *a) __attribute__((noreturn));

/*
 * Fork+exec spawning (issue 14 item 5): the master execs its own binary
 * (the /proc/self/exe descriptor it opened at start) as
 *     argv[0] "portcullis: SERVICE N/M gen G"  (what ps shows)
 *     argv[1] PC_WORKER_MARK
 *     argv[2] the numbers of struct pc_worker_exec (pc_worker_exec_fmt)
 *     argv[3] the jail directory
 * with the descriptors named there inherited (CLOEXEC cleared on those
 * only).  The configuration comes in a sealed memfd (conf/bundle.h); a
 * process started with the mark by hand finds no sealed bundle and exits
 * with status 2 before it does anything.
 */
#define PC_WORKER_MARK "--portcullis-worker-v1"

struct pc_worker_exec {
	unsigned svc, gen, slot, uid, gid;
	int      listen_fd, back_fd, ipc_fd;
	int      bundle_fd;   /* sealed memfd: the configuration bundle */
	int      shm_fd;      /* memfd: the generation's shared region */
	int      ctr_fd;      /* memfd: the counters' table, or -1 */
	int      privileged, sandbox, verbose;
};

/* argv[2] of a worker; -1 if it does not fit. */
int  pc_worker_exec_fmt(const struct pc_worker_exec *x, char *out,
	    size_t cap);
/* main() of the binary, when argv[1] is PC_WORKER_MARK (worker_exec.c). */
void worker_exec_main(int argc, char **argv) __attribute__((noreturn));

#endif
