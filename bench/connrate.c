/*
 * Connection-rate client and echo origin for bench.py (issue 13): one
 * process, one thread, epoll, N connections in parallel, each a whole
 * short session, then the next.  A C client keeps the client's own CPU
 * small next to the server's on a 2-core machine (the Python loop cost
 * more than the proxy did).
 *
 *   connrate echo                     listen on 127.0.0.1:0, print the
 *                                     port, echo what arrives, forever
 *   connrate MODE PORT ARG PAR SECS   sessions for SECS with PAR in
 *                                     parallel; prints "ok N errors E"
 *
 * MODE (each a real client's sequence, one write per message):
 *   direct  TCP connect to PORT, 1 byte, its echo, close
 *   socks   SOCKS5 no-auth: greeting, wait for the method, CONNECT
 *           127.0.0.1:ARG, wait for the reply, 1 byte, its echo, close
 *   tcppm   as direct (PORT is the mapping's)
 *   http    "GET ARG HTTP/1.1" with Connection: close to PORT, read to
 *           EOF (ARG may be an absolute URL for a proxy); ok when the
 *           answer starts with "HTTP/1.1 200"
 *   connect HTTP CONNECT 127.0.0.1:ARG, wait for 200, 1 byte, its echo,
 *           close
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { M_DIRECT, M_SOCKS, M_HTTP, M_CONNECT };
enum step { S_CONNECTING, S_METHOD, S_REPLY, S_ECHO, S_HTTP, S_CONNECTED };

struct sess {
	int      fd;
	int      step;
	size_t   got;
	char     buf[512];
};

static enum mode mode;
static struct sockaddr_in to;
static int       ep;
static char      msg[1024];
static size_t    msglen;
static unsigned char sockreq[10];
static unsigned long ok, errs;
static double    deadline;      /* sessions ending later do not count */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
put(int fd, const void *p, size_t n)
{
	return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static void
begin(struct sess *s)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = s };

	s->got = 0;
	s->step = S_CONNECTING;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		perror("socket");
		exit(1);
	}
	if (connect(s->fd, (struct sockaddr *)&to, sizeof(to)) != 0 &&
	    errno != EINPROGRESS) {
		errs++;
		close(s->fd);
		s->fd = -1;
		return;
	}
	(void)epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
}

static void
end(struct sess *s, int good)
{
	if (now() < deadline) {
		if (good)
			ok++;
		else
			errs++;
	}
	close(s->fd);
	s->fd = -1;
}

static void
want_in(struct sess *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

	(void)epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
}

/* Reads what is there; the session's need decides what is enough. */
static int
fill(struct sess *s)
{
	ssize_t n = recv(s->fd, s->buf + s->got, sizeof(s->buf) - s->got, 0);

	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0)
		return -1;
	s->got += (size_t)n;
	if (s->got == sizeof(s->buf))
		s->got = 16;            /* http: keep the status line only */
	return 1;
}

/* The answer was what the step waited for (good): send the next message
 * and wait for its answer; otherwise the session failed. */
static void
next(struct sess *s, bool good, int step, const void *p, size_t n)
{
	if (!good) {
		end(s, 0);
		return;
	}
	s->got = 0;
	s->step = step;
	if (put(s->fd, p, n) != 0)
		end(s, 0);
}

static void
on_event(struct sess *s)
{
	int       err = 0;
	socklen_t l = sizeof(err);

	switch (s->step) {
	case S_CONNECTING:
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0 ||
		    err != 0) {
			end(s, 0);
			return;
		}
		want_in(s);
		if (mode == M_SOCKS) {
			s->step = S_METHOD;
			if (put(s->fd, "\5\1\0", 3) != 0)
				end(s, 0);
		} else if (mode == M_DIRECT) {
			s->step = S_ECHO;
			if (put(s->fd, "x", 1) != 0)
				end(s, 0);
		} else {
			s->step = mode == M_HTTP ? S_HTTP : S_CONNECTED;
			if (put(s->fd, msg, msglen) != 0)
				end(s, 0);
		}
		return;
	case S_METHOD:
		if (fill(s) < 0)
			end(s, 0);
		else if (s->got >= 2)
			next(s, memcmp(s->buf, "\5\0", 2) == 0, S_REPLY, sockreq,
			    sizeof(sockreq));
		return;
	case S_REPLY:
		if (fill(s) < 0)
			end(s, 0);
		else if (s->got >= 10)
			next(s, s->buf[1] == 0, S_ECHO, "x", 1);
		return;
	case S_CONNECTED:
		if (fill(s) < 0)
			end(s, 0);
		else if (s->got >= 4 && memmem(s->buf, s->got, "\r\n\r\n", 4))
			next(s, memcmp(s->buf, "HTTP/1.", 7) == 0 &&
			    memcmp(s->buf + 9, "200", 3) == 0, S_ECHO, "x", 1);
		return;
	case S_ECHO:
		if (fill(s) < 0)
			end(s, 0);
		else if (s->got >= 1)
			end(s, s->buf[0] == 'x');
		return;
	case S_HTTP: {
		int r = fill(s);

		if (r < 0)       /* EOF: the whole answer is in */
			end(s, s->got >= 12 && memcmp(s->buf, "HTTP/1.1 200",
			    12) == 0);
		return;
	}
	}
}

static void
echo_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t          l = sizeof(a);
	int                ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int                one = 1;
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	char               buf[4096];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(ls, 4096) != 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &l) != 0) {
		perror("echo listen");
		exit(1);
	}
	printf("%u\n", ntohs(a.sin_port));
	fflush(stdout);
	ep = epoll_create1(0);
	ev.data.fd = ls;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == ls) {
				int c;

				while ((c = accept4(ls, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			ssize_t k = recv(fd, buf, sizeof(buf), 0);

			if (k > 0)
				(void)send(fd, buf, (size_t)k, MSG_NOSIGNAL);
			else if (k == 0 || errno != EAGAIN)
				close(fd);
		}
	}
}

int
main(int argc, char **argv)
{
	struct rlimit rl;
	struct sess  *ss;
	struct epoll_event evs[256];
	int           par;
	unsigned      aport;

	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (argc == 2 && strcmp(argv[1], "echo") == 0) {
		echo_server();
		return 0;
	}
	if (argc != 6) {
		fprintf(stderr, "usage: connrate echo | connrate "
		    "direct|socks|tcppm|http|connect PORT ARG PAR SECS\n");
		return 2;
	}
	mode = strcmp(argv[1], "socks") == 0 ? M_SOCKS :
	    strcmp(argv[1], "http") == 0 ? M_HTTP :
	    strcmp(argv[1], "connect") == 0 ? M_CONNECT : M_DIRECT;
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons((unsigned short)atoi(argv[2]));
	aport = (unsigned)atoi(argv[3]);
	sockreq[0] = 5;
	sockreq[1] = 1;
	sockreq[3] = 1;
	sockreq[4] = 127;
	sockreq[7] = 1;
	sockreq[8] = (unsigned char)(aport >> 8);
	sockreq[9] = (unsigned char)aport;
	if (mode == M_HTTP)
		msglen = (size_t)snprintf(msg, sizeof(msg), "GET %s HTTP/1.1\r\n"
		    "Host: 127.0.0.1\r\nConnection: close\r\n\r\n", argv[3]);
	else if (mode == M_CONNECT)
		msglen = (size_t)snprintf(msg, sizeof(msg), "CONNECT "
		    "127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
		    aport, aport);
	par = atoi(argv[4]);
	if (par < 1 || par > 10000)
		par = 50;
	ep = epoll_create1(0);
	ss = calloc((size_t)par, sizeof(*ss));
	deadline = now() + atof(argv[5]);
	for (int i = 0; i < par; i++)
		begin(&ss[i]);
	for (;;) {
		int  n = epoll_wait(ep, evs, 256, 1000);
		bool late = now() >= deadline;
		int  open = 0;

		for (int i = 0; i < n; i++)
			on_event(evs[i].data.ptr);
		for (int i = 0; i < par; i++) {
			if (ss[i].fd < 0 && !late)
				begin(&ss[i]);
			open += ss[i].fd >= 0;
		}
		if (late && (open == 0 || now() >= deadline + 10))
			break;
	}
	printf("ok %lu errors %lu\n", ok, errs);
	return 0;
}
