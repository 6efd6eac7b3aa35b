/*
 * Signal handling (docs/portcullis.8, SIGNALS): SIGHUP and SIGUSR1 reload
 * (USR1 is what 3proxy and its systemd unit use), SIGUSR2 reopens the log
 * files, SIGTERM and SIGINT stop, SIGCHLD reaps, SIGPIPE is ignored.  A
 * handler only sets a flag and writes one byte to a non-blocking self-pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "master/signals.h"

static volatile sig_atomic_t pending;
static int                   pipefd[2] = { -1, -1 };

static const struct {
	int      sig;
	unsigned flag;
} table[] = {
	{ SIGHUP,  SIGF_RELOAD },
	{ SIGUSR1, SIGF_RELOAD },
	{ SIGUSR2, SIGF_REOPEN },
	{ SIGTERM, SIGF_STOP },
	{ SIGINT,  SIGF_STOP },
	{ SIGCHLD, SIGF_CHILD },
};

static void
handler(int sig)
{
	int saved = errno;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].sig == sig)
			pending |= (sig_atomic_t)table[i].flag;
	/* a full pipe already holds a wake-up */
	if (write(pipefd[1], "", 1) == -1)
		(void)0;
	errno = saved;
}

int
signals_init(void)
{
	struct sigaction sa;

	if (pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe2");
	memset(&sa, 0, sizeof(sa));
	sigfillset(&sa.sa_mask);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (sigaction(table[i].sig, &sa, NULL) == -1)
			fatal("sigaction");
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		fatal("sigaction");
	return pipefd[0];
}

unsigned
signals_take(void)
{
	char     buf[64];
	unsigned f;
	sigset_t all, old;

	while (read(pipefd[0], buf, sizeof(buf)) > 0)
		continue;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	f = (unsigned)pending;
	pending = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return f;
}

void
signals_child_reset(void)
{
	struct sigaction sa;
	sigset_t         none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		sigaction(table[i].sig, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
