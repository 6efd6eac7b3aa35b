/*
 * A small syslog client instead of openlog(3)/syslog(3): glibc keeps one
 * ident per process while each `log @ident` and `-l@ident` may name its
 * own, and its socket blocks when the daemon's queue is full, which would
 * stall the master and with it every worker's auth replies.  Messages use
 * the local-socket form "<PRI>Mmm dd hh:mm:ss ident[pid]: text" that
 * rsyslog, syslog-ng and journald accept.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "master/logsyslog.h"

#define SYSLOG_PATH  "/dev/log"
#define PRI_DAEMON_INFO (3 * 8 + 6)   /* LOG_DAEMON | LOG_INFO */
#define MSG_MAX      8192

static int           sock = -1;
static unsigned long dropped;
static unsigned long dropped_total;   /* for the metrics */
static bool          warned;

static int
connect_log(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sock == -1)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", SYSLOG_PATH);
	if (connect(sock, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(sock);
		sock = -1;
		return -1;
	}
	return 0;
}

void
logsyslog_reset(void)
{
	if (sock != -1)
		close(sock);
	sock = -1;
}

static void
report(int err)
{
	dropped++;
	dropped_total++;
	if (warned)
		return;
	warned = true;
	errno = err;
	log_warn("syslog %s: access-log records dropped", SYSLOG_PATH);
}

/* One message; the socket is reconnected once if the daemon went away
 * (ECONNREFUSED, ENOTCONN after a syslogd restart). */
static void
send_one(const char *msg, size_t len)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (sock == -1 && connect_log() == -1) {
			report(errno);
			return;
		}
		if (send(sock, msg, len, MSG_NOSIGNAL) >= 0) {
			if (warned)
				log_info("syslog %s: writing again, %lu "
				    "records were dropped", SYSLOG_PATH,
				    dropped);
			warned = false;
			dropped = 0;
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EMSGSIZE || errno == ENOBUFS) {
			report(errno);
			return;
		}
		logsyslog_reset();
	}
	report(errno);
}

unsigned long
logsyslog_dropped_total(void)
{
	return dropped_total;
}

void
logsyslog_send(const char *ident, const char *buf, size_t len)
{
	static char msg[MSG_MAX];
	char        stamp[32];
	time_t      now = time(NULL);
	struct tm   tm;
	int         head;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	head = snprintf(msg, sizeof(msg), "<%d>%s %s[%ld]: ", PRI_DAEMON_INFO,
	    stamp, ident, (long)getpid());
	if (head < 0 || (size_t)head >= sizeof(msg))
		return;
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t      n = nl != NULL ? (size_t)(nl - buf) : len;
		size_t      take = n < sizeof(msg) - (size_t)head ?
		    n : sizeof(msg) - (size_t)head;

		memcpy(msg + head, buf, take);
		send_one(msg, (size_t)head + take);
		n += nl != NULL;
		buf += n;
		len -= n;
	}
}
