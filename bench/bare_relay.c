/*
 * bare_relay: the floor for the bulk CPU figure.  A relay with no policy,
 * no event loop and no logging: it accepts on 127.0.0.1:LPORT, connects to
 * 127.0.0.1:DPORT and moves bytes with blocking splice() through a 1 MiB
 * pipe, one thread per direction.  bench.py runs the same 1-stream
 * download through it and through portcullis, so "server CPU per GB" has a
 * same-machine, same-run reference (on loopback most of the TCP work of the
 * chain is charged to whichever process triggers it).
 *
 * usage: bare_relay LPORT DPORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIPE_SZ (1 << 20)

struct half {
	int from, to;
};

static void *
pump(void *arg)
{
	struct half *h = arg;
	int          p[2];
	ssize_t      k, w;

	if (pipe(p) != 0)
		return NULL;
	(void)fcntl(p[1], F_SETPIPE_SZ, PIPE_SZ);
	while ((k = splice(h->from, NULL, p[1], NULL, PIPE_SZ,
	    SPLICE_F_MOVE)) > 0) {
		for (; k > 0; k -= w)
			if ((w = splice(p[0], NULL, h->to, NULL, (size_t)k,
			    SPLICE_F_MOVE)) <= 0)
				goto out;
	}
out:
	(void)shutdown(h->to, SHUT_WR);
	close(p[0]);
	close(p[1]);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int                l, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: bare_relay LPORT DPORT\n");
		return 2;
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(l, 16) != 0) {
		perror("bare_relay: listen");
		return 1;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	for (;;) {
		int         a = accept(l, NULL, NULL), b;
		struct half up, down;
		pthread_t   t1, t2;

		if (a < 0)
			continue;
		b = socket(AF_INET, SOCK_STREAM, 0);
		if (b < 0 || connect(b, (struct sockaddr *)&sa,
		    sizeof(sa)) != 0) {
			close(a);
			if (b >= 0)
				close(b);
			continue;
		}
		up = (struct half){ a, b };
		down = (struct half){ b, a };
		if (pthread_create(&t1, NULL, pump, &up) != 0 ||
		    pthread_create(&t2, NULL, pump, &down) != 0)
			return 1;
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		close(a);
		close(b);
	}
}
