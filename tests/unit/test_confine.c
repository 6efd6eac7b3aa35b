/*
 * The master's confinement (master/caps.c, master/mfilter.c) applied in a
 * forked child, as the master applies it: the deny-list refuses what it
 * lists with EPERM and lets the rest through, it survives fork and exec
 * (archivers, workers), and as root the kept capabilities are exactly
 * the six while a program the confined root execs gets none
 * (SECBIT_NOROOT).  Without root the capability part is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ipc_msg.h"
#include "master/caps.h"
#include "master/mfilter.h"
#include "tests/unit/check.h"

/* A line of /proc/self/status of a child that execs grep: the status as
 * a fresh exec sees it. */
static void
exec_status(const char *field, char *out, size_t cap)
{
	char  cmd[128];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "grep '^%s:' /proc/self/status", field);
	out[0] = '\0';
	if ((p = popen(cmd, "r")) == NULL)
		return;
	if (fgets(out, (int)cap, p) == NULL)
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
}

static void
own_status(const char *field, char *out, size_t cap)
{
	FILE  *f = fopen("/proc/self/status", "r");
	char   line[256];
	size_t n = strlen(field);

	out[0] = '\0';
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			snprintf(out, cap, "%s", line);
			out[strcspn(out, "\n")] = '\0';
		}
	if (f != NULL)
		fclose(f);
}

static int
confined(void)
{
	char err[256], s[256];
	long r;

	if (geteuid() == 0) {
		CHECK_EQ_INT(caps_master_drop(err, sizeof(err)), 0);
		own_status("CapEff", s, sizeof(s));
		CHECK_STREQ(s, "CapEff:\t00000000000405e0");
		own_status("CapBnd", s, sizeof(s));
		CHECK_STREQ(s, "CapBnd:\t00000000000405e0");
		/* root's exec gains nothing: the archiver's case */
		exec_status("CapEff", s, sizeof(s));
		CHECK_STREQ(s, "CapEff:\t0000000000000000");
		exec_status("CapPrm", s, sizeof(s));
		CHECK_STREQ(s, "CapPrm:\t0000000000000000");
	}
	/* before the filter: the probes work */
	CHECK(personality(0xffffffff) != -1);
	CHECK_EQ_INT(mfilter_load(PC_SANDBOX_ENFORCE, err, sizeof(err)), 0);
	errno = 0;
	r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	CHECK_EQ_INT(r, -1);
	CHECK_EQ_INT(errno, EPERM);
	errno = 0;
	CHECK_EQ_INT(personality(0xffffffff), -1);
	CHECK_EQ_INT(errno, EPERM);
	errno = 0;
	CHECK_EQ_INT(syscall(SYS_kcmp, getpid(), getpid(), 0, 0, 0), -1);
	CHECK_EQ_INT(errno, EPERM);
	errno = 0;
	CHECK_EQ_INT(syscall(SYS_unshare, 0), -1);
	CHECK_EQ_INT(errno, EPERM);
	/* what the master does still works */
	CHECK(getpid() > 0);
	CHECK(open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0);
	own_status("NoNewPrivs", s, sizeof(s));
	CHECK_STREQ(s, "NoNewPrivs:\t1");
	/* inherited through fork + exec, still one filter */
	exec_status("Seccomp", s, sizeof(s));
	CHECK_STREQ(s, "Seccomp:\t2");
	return check_summary("test_confine (confined child)");
}

int
main(void)
{
	pid_t pid;
	int   st = 0;

	fflush(NULL);
	if ((pid = fork()) == 0)
		_exit(confined() == 0 && fflush(stdout) == 0 ? 0 : 1);
	CHECK(pid > 0);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the parent was not touched */
	CHECK(personality(0xffffffff) != -1);
	if (geteuid() != 0)
		printf("test_confine: not root, capability checks skipped\n");
	return check_summary("test_confine");
}
