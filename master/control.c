/*
 * The counters' control socket (control.h).  The master never blocks on
 * a client: the socket is non-blocking, a request is one datagram read at
 * once, the answer one datagram sent with MSG_DONTWAIT.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "master/control.h"
#include "master/counters.h"
#include "master/master.h"

#define ANSWER_MAX 65536

static int  lfd = -1;
static char tag;
static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

void
control_close(void)
{
	if (lfd >= 0) {
		close(lfd);
		(void)unlink(path);
		lfd = -1;
	}
}

void *
control_tag(void)
{
	return &tag;
}

void
control_open(const struct pc_config *cfg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag };

	if (lfd >= 0 || cfg->counter_file == NULL)
		return;
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.ctl",
	    cfg->counter_file) >= (int)sizeof(sa.sun_path)) {
		log_warnx("counter file name too long for its control socket");
		return;
	}
	(void)unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(sa.sun_path, 0600) != 0 || listen(lfd, 8) != 0 ||
	    epoll_ctl(M.epfd, EPOLL_CTL_ADD, lfd, &ev) != 0) {
		log_warn("control socket %s", sa.sun_path);
		if (lfd >= 0)
			close(lfd);
		lfd = -1;
		return;
	}
	memcpy(path, sa.sun_path, sizeof(path));
}

static size_t
answer_list(const struct pc_config *cfg, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "ok\n");

	for (size_t i = 0; i < cfg->ncounters && n < cap; i++) {
		const struct pc_counter *c = &cfg->counters[i];
		bool                     dup = false;

		if (c->exempt || c->number == 0)
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = cfg->counters[k].number == c->number;
		if (dup)
			continue;
		n += (size_t)snprintf(out + n, cap - n, "%u %" PRIu64 " %" PRIu64
		    " %" PRId64 "%s%s\n", (unsigned)c->number,
		    counters_get(c->number), c->limit,
		    counters_reset_time(c->number), c->name ? " " : "",
		    c->name ? c->name : "");
	}
	return n < cap ? n : cap;
}

static size_t
answer(char *req, char *out, size_t cap)
{
	const struct pc_config *cfg = M.cur->cfg;
	unsigned long           num;
	unsigned long long      val;
	char                    extra;

	req[strcspn(req, "\r\n")] = '\0';
	if (strcmp(req, "list") == 0)
		return answer_list(cfg, out, cap);
	if (sscanf(req, "reset %lu%c", &num, &extra) == 1 && num >= 1 &&
	    num <= PC_CT_NUMBERS) {
		counters_set((uint32_t)num, 0, true);
		counters_save();
		return (size_t)snprintf(out, cap, "ok\n");
	}
	if (sscanf(req, "set %lu %llu%c", &num, &val, &extra) == 2 &&
	    num >= 1 && num <= PC_CT_NUMBERS) {
		counters_set((uint32_t)num, (uint64_t)val, false);
		counters_save();
		return (size_t)snprintf(out, cap, "ok\n");
	}
	return (size_t)snprintf(out, cap, "error: expected list, reset N or "
	    "set N BYTES (N 1-%d)\n", PC_CT_NUMBERS);
}

void
control_readable(void)
{
	static char out[ANSWER_MAX];
	char        req[256];
	ssize_t     k;
	int         fd;

	for (int i = 0; i < 8; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		/* the client sends its line with connect(); a slow one is
		 * answered "error" rather than waited for */
		for (int t = 0; t < 20; t++) {
			k = recv(fd, req, sizeof(req) - 1, 0);
			if (k >= 0 || errno != EAGAIN)
				break;
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
		if (k > 0) {
			req[k] = '\0';
			(void)send(fd, out, answer(req, out, sizeof(out)),
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		close(fd);
	}
}
