/*
 * Archivers run beside the master, never through a shell (a log file name
 * cannot inject a command) and never waited for in the loop: a slow gzip
 * of a large file must not hold up auth replies.  Their pids are kept here
 * so that the SIGCHLD reaper tells them from workers.  3proxy runs the
 * command through system() in its main loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/archiver.h"
#include "master/logname.h"

#define ARCHIVER_ARGS_MAX 64
#define ARCHIVERS_MAX     64     /* running at once */

extern char **environ;

static pid_t running[ARCHIVERS_MAX];

int
archiver_arg(const char *arg, const char *file, const char *ext, char *out,
    size_t cap)
{
	size_t len = 0;

	for (const char *p = arg; *p != '\0'; p++) {
		const char *add = p;
		size_t      n = 1;
		bool        dot = false;

		if (p[0] == '%' && (p[1] == 'F' || p[1] == 'A')) {
			add = file;
			n = strlen(file);
			dot = *++p == 'A';
		} else if (p[0] == '%' && p[1] == '%')
			p++;
		if (len + n + (dot ? strlen(ext) + 1 : 0) >= cap)
			return -1;
		memcpy(out + len, add, n);
		len += n;
		if (dot) {
			out[len++] = '.';
			memcpy(out + len, ext, strlen(ext));
			len += strlen(ext);
		}
	}
	out[len] = '\0';
	return 0;
}

static bool
remember(pid_t pid)
{
	for (size_t i = 0; i < ARCHIVERS_MAX; i++)
		if (running[i] == 0) {
			running[i] = pid;
			return true;
		}
	return false;
}

/* The child gets default signal handling and an empty mask (the master
 * ignores SIGPIPE, which exec would keep) and /dev/null as stdin. */
static int
spawn(char **args, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t          at;
	sigset_t                   none, dfl;
	int                        rc;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	rc = posix_spawnp(pid, args[0], &fa, &at, args, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

pid_t
archiver_start(char *const *argv, const char *ext, const char *file)
{
	char  *args[ARCHIVER_ARGS_MAX + 1];
	size_t n = 0;
	pid_t  pid = -1;
	int    rc;

	for (; argv[n] != NULL && n < ARCHIVER_ARGS_MAX; n++) {
		char buf[LOGNAME_MAX + 256];

		if (archiver_arg(argv[n], file, ext, buf, sizeof(buf)) != 0) {
			log_warnx("archiver for %s: argument %zu too long",
			    file, n + 1);
			goto out;
		}
		args[n] = xstrdup(buf);
	}
	args[n] = NULL;
	if ((rc = spawn(args, &pid)) != 0) {
		errno = rc;
		log_warn("archiver %s for %s", args[0], file);
		pid = -1;
	} else if (!remember(pid))
		log_warnx("archiver pid %ld: more than %d archivers running",
		    (long)pid, ARCHIVERS_MAX);
	else
		log_info("archiver pid %ld started for %s", (long)pid, file);
out:
	while (n > 0)
		free(args[--n]);
	return pid;
}

bool
archiver_reaped(pid_t pid, int status)
{
	for (size_t i = 0; i < ARCHIVERS_MAX; i++) {
		if (running[i] != pid)
			continue;
		running[i] = 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_info("archiver pid %ld done", (long)pid);
		else if (WIFEXITED(status))
			log_warnx("archiver pid %ld exited with status %d",
			    (long)pid, WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			log_warnx("archiver pid %ld killed by signal %d",
			    (long)pid, WTERMSIG(status));
		return true;
	}
	return false;
}
