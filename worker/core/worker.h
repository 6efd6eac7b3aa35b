/*
 * Entry point of a worker process, called by the master right after fork().
 * Performs the entry sequence (close fds, scrub secrets, pre-jail setup,
 * chroot, setgroups/setgid/setuid, drop capabilities, NO_NEW_PRIVS,
 * seccomp), sends READY and runs the event loop until drained or shut down.
 */
#ifndef PC_WORKER_WORKER_H
#define PC_WORKER_WORKER_H

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

#endif
