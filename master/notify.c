/*
 * sd_notify without libsystemd.  The protocol is a few "KEY=VALUE\n"
 * lines in one datagram to the socket in NOTIFY_SOCKET: a path, or an
 * abstract name written with a leading '@'.  libsystemd would bring a
 * shared library (and its own dependencies) into the master that holds
 * root, for ~80 lines; a build without systemd would need #ifdefs, and the
 * OpenRC and rc.d installs would carry it for nothing.  This file sends
 * datagrams and never reads one.
 *
 * Sends never block (MSG_DONTWAIT): a full or vanished manager socket
 * costs a warning, never a stalled master.  systemd checks the sender's
 * pid (NotifyAccess=main), so only the master calls this; the socket is
 * close-on-exec and workers close it with every other descriptor.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "master/notify.h"

static int                fd = -1;
static struct sockaddr_un sa;
static socklen_t          salen;

void
notify_init(void)
{
	const char *p = getenv("NOTIFY_SOCKET");
	size_t      n;

	if (p == NULL || *p == '\0')
		return;
	n = strlen(p);
	if ((p[0] != '/' && p[0] != '@') || n >= sizeof(sa.sun_path)) {
		log_warnx("NOTIFY_SOCKET=%s: not a socket path or @name this "
		    "server can use: not notifying", p);
		unsetenv("NOTIFY_SOCKET");
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, p, n);
	if (p[0] == '@')
		sa.sun_path[0] = '\0';          /* abstract: no trailing NUL */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (p[0] == '/'));
	unsetenv("NOTIFY_SOCKET");
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		log_warn("NOTIFY_SOCKET: socket");
}

static void
send_state(const char *msg)
{
	if (fd == -1)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, salen) == -1)
		log_warn("NOTIFY_SOCKET: cannot send %.*s", (int)strcspn(msg,
		    "\n"), msg);
	else
		log_debug("notify: %.*s", (int)strcspn(msg, "\n"), msg);
}

void
notify_ready(const char *status)
{
	char msg[512];

	if (status == NULL)
		send_state("READY=1\n");
	else {
		/* STATUS= is one line */
		snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%.*s\n",
		    (int)strcspn(status, "\n"), status);
		send_state(msg);
	}
}

void
notify_reloading(void)
{
	struct timespec ts;
	char            msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu\n",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	send_state(msg);
}

void
notify_stopping(void)
{
	send_state("STOPPING=1\n");
}
