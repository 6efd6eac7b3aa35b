/*
 * `daemon`: one fork, the parent exits 0 once the listeners are bound (so
 * a service manager sees the ports ready), the child starts a session and
 * reads /dev/null.  stdout stays: `log` without a file writes there, as in
 * 3proxy.  The pid file is written by the master after the fork and
 * removed at exit (3proxy never removes it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/daemon.h"

static char  *pidpath;
static pid_t  pidowner;

void
daemonize(void)
{
	pid_t pid;
	int   fd;

	fflush(NULL);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		fatal("setsid");
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	if (dup2(fd, STDIN_FILENO) == -1)
		fatal("dup2");
	if (fd != STDIN_FILENO)
		close(fd);
}

int
pidfile_write(const char *path)
{
	char buf[32];
	int  fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1) {
		log_warn("cannot write pid file %s", path);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		log_warn("cannot write pid file %s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	free(pidpath);
	pidpath = xstrdup(path);
	pidowner = getpid();
	return 0;
}

void
pidfile_remove(void)
{
	if (pidpath != NULL && pidowner == getpid() && unlink(pidpath) == -1 &&
	    errno != ENOENT)
		log_warn("cannot remove pid file %s", pidpath);
	free(pidpath);
	pidpath = NULL;
}
