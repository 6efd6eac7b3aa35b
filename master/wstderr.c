/*
 * Workers' stderr pipes (wstderr.h).  The epoll data of a pipe is its
 * worker's address with the low bit set (struct worker is aligned), so the
 * loop tells it apart from the worker's IPC socket without a lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "master/wstderr.h"

static void
emit(struct worker *w, size_t n)
{
	char *p = w->errbuf;

	/* a worker's bytes are not trusted with the terminal */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
			p[i] = '?';
	log_info("%s pid %ld: %.*s", worker_name(w), (long)w->errpid, (int)n,
	    p);
}

/* Reads what the pipe holds; logs complete lines (and a full buffer). */
static bool
pump(struct worker *w)
{
	for (int round = 0; round < 64; round++) {
		ssize_t n = read(w->errfd, w->errbuf + w->errlen,
		    sizeof(w->errbuf) - w->errlen);
		char   *nl;

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0;  /* EOF: the worker is gone */
		w->errlen += (size_t)n;
		while ((nl = memchr(w->errbuf, '\n', w->errlen)) != NULL ||
		    w->errlen == sizeof(w->errbuf)) {
			size_t k = nl != NULL ? (size_t)(nl - w->errbuf) :
			    w->errlen;

			emit(w, k);
			if (nl != NULL)
				k++;
			memmove(w->errbuf, w->errbuf + k, w->errlen - k);
			w->errlen -= k;
		}
	}
	return false;
}

int
wstderr_open(struct worker *w, int *child_end)
{
	int p[2];

	w->errfd = -1;
	w->errlen = 0;
	*child_end = -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", worker_name(w));
		return -1;
	}
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	w->errfd = p[0];
	*child_end = p[1];
	return 0;
}

void
wstderr_child(int child_end)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
	}
	if (child_end >= 0)
		dup2(child_end, STDERR_FILENO);
	else if (null >= 0)
		dup2(null, STDERR_FILENO);
	/* the originals are closed with every other descriptor later */
}

void
wstderr_parent(struct worker *w, int child_end)
{
	struct epoll_event ev;

	if (child_end >= 0)
		close(child_end);
	if (w->errfd < 0)
		return;
	w->errpid = w->pid;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = (void *)((uintptr_t)w | 1);
	if (epoll_ctl(M.epfd, EPOLL_CTL_ADD, w->errfd, &ev) == -1) {
		log_warn("%s: epoll_ctl stderr", worker_name(w));
		close(w->errfd);
		w->errfd = -1;
	}
}

bool
wstderr_event(void *ptr)
{
	struct worker *w;

	if (((uintptr_t)ptr & 1) == 0)
		return false;
	w = (struct worker *)((uintptr_t)ptr & ~(uintptr_t)1);
	if (w->errfd >= 0 && pump(w))
		wstderr_close(w);
	return true;
}

void
wstderr_close(struct worker *w)
{
	if (w->errfd < 0)
		return;
	(void)pump(w);
	if (w->errlen > 0)
		emit(w, w->errlen);
	w->errlen = 0;
	epoll_ctl(M.epfd, EPOLL_CTL_DEL, w->errfd, NULL);
	close(w->errfd);
	w->errfd = -1;
}
