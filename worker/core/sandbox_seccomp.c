/*
 * sandbox_apply (sandbox.h): NO_NEW_PRIVS, then a libseccomp allow-list.
 * Anything not listed kills the process (PC_SANDBOX_ENFORCE) or is logged
 * by the kernel's audit (PC_SANDBOX_LOG).  Opening a file fails with
 * EACCES instead of killing, because glibc probes files on some error
 * paths and a worker needs no file after its jail is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "common/ipc_msg.h"
#include "common/log.h"
#include "worker/core/sandbox.h"

static const int allowed[] = {
	/* the event loop and time */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(restart_syscall),
	/* moving bytes: sockets, the relay's pipes, stderr diagnostics */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto),
	SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg),
	SCMP_SYS(splice), SCMP_SYS(pipe2), SCMP_SYS(close),
	/* connections in and out (socket() is restricted below) */
	SCMP_SYS(accept4), SCMP_SYS(connect), SCMP_SYS(bind),
	SCMP_SYS(listen),                     /* SOCKS BIND */
	SCMP_SYS(shutdown), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockopt), SCMP_SYS(fcntl),
	SCMP_SYS(ioctl),
	/* memory (glibc malloc), stdio on stderr */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(mprotect), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	/* c-ares query ids, glibc internals, leaving */
	SCMP_SYS(getrandom), SCMP_SYS(futex), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(sched_yield), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

static int
build(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) != 0)
			return -1;
	/* outgoing sockets and the resolver's: IPv4 and IPv6 only */
	/* (spelled out: clang warns on SCMP_A0's partial initializer) */
	const struct scmp_arg_cmp v4 = { .arg = 0, .op = SCMP_CMP_EQ,
	    .datum_a = AF_INET, .datum_b = 0 };
	const struct scmp_arg_cmp v6 = { .arg = 0, .op = SCMP_CMP_EQ,
	    .datum_a = AF_INET6, .datum_b = 0 };
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, v4)
	    != 0 || seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    v6) != 0)
		return -1;
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0)
	    != 0 || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(open), 0) != 0)
		return -1;
	return 0;
}

int
sandbox_apply(int mode)
{
	scmp_filter_ctx ctx;
	int             rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_warn("PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if (mode == PC_SANDBOX_OFF)
		return 0;
	ctx = seccomp_init(mode == PC_SANDBOX_LOG ? SCMP_ACT_LOG :
	    SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL) {
		log_warnx("seccomp_init failed");
		return -1;
	}
	rc = build(ctx);
	if (rc == 0 && (rc = seccomp_load(ctx)) != 0)
		log_warnx("seccomp_load: %s", strerror(-rc));
	else if (rc != 0)
		log_warnx("seccomp: cannot build the filter");
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}
