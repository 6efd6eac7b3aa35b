/*
 * The master's deny-list (issue 14 item 4).  The master runs a loop over
 * sockets, files and its children; the calls below serve no part of it and
 * are the usual first steps of an attack on the kernel or on other
 * processes: debugging others (ptrace, process_vm_*, kcmp), file systems
 * and namespaces (mount family, pivot_root, unshare, setns,
 * open_by_handle_at), the kernel itself (modules, kexec, bpf, reboot,
 * swap, keyrings, perf, userfaultfd, io_uring, iopl), and the clock.
 * A deny-list, not an allow-list: the master calls into libc, libcrypt,
 * c-ares and libodbc paths that change with their versions, and what it
 * forks (workers, archivers such as /bin/gzip) inherits the filter, so an
 * allow-list would have to be the union of all of them.  Refused with
 * EPERM (not killed): a library that probes one of them gets an error.
 *
 * Under PORTCULLIS_SANDBOX=log the same list only logs (the sanitizer
 * builds: LeakSanitizer needs ptrace); =off loads nothing.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "common/ipc_msg.h"
#include "common/log.h"
#include "master/mfilter.h"

static const char *const denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"mount", "umount", "umount2", "pivot_root", "move_mount", "fsopen",
	"fsconfig", "fsmount", "fspick", "open_tree", "mount_setattr",
	"unshare", "setns", "open_by_handle_at", "name_to_handle_at",
	"init_module", "finit_module", "delete_module", "create_module",
	"kexec_load", "kexec_file_load", "bpf", "personality", "reboot",
	"swapon", "swapoff", "keyctl", "add_key", "request_key",
	"perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
	"io_uring_register", "iopl", "ioperm", "acct", "quotactl",
	"lookup_dcookie", "fanotify_init", "syslog", "vhangup", "uselib",
	"_sysctl", "sysfs", "nfsservctl", "settimeofday", "clock_settime",
	"clock_adjtime", "adjtimex", "sethostname", "setdomainname",
};

static const char *const helper_denied[] = { "execve", "execveat" };

static int
load(int mode, const char *const *names, size_t n, char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	uint32_t        act;
	int             rc = 0;

	if (mode == PC_SANDBOX_OFF)
		return 0;
	act = mode == PC_SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_ERRNO(EPERM);
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;        /* not on this architecture */
		if ((rc = seccomp_rule_add(ctx, act, nr, 0)) != 0)
			snprintf(err, errlen, "seccomp rule for %s: %s",
			    names[i], strerror(-rc));
	}
	if (rc == 0 && (rc = seccomp_load(ctx)) != 0)
		snprintf(err, errlen, "seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}

int
mfilter_load(int mode, char *err, size_t errlen)
{
	return load(mode, denied, sizeof(denied) / sizeof(denied[0]), err,
	    errlen);
}

int
mfilter_helper(int mode)
{
	char err[128];

	if (load(mode, helper_denied, sizeof(helper_denied) /
	    sizeof(helper_denied[0]), err, sizeof(err)) != 0) {
		log_warnx("ODBC helper: %s", err);
		return -1;
	}
	return 0;
}
