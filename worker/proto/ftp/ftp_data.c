/*
 * FTP data connections (ftp_data.h).  The copy is one-way and through one
 * buffer: read the sending side only while the buffer is empty, write the
 * receiving side until it is, so a slow receiver holds the sender back
 * (TCP flow control) and a transfer costs one buffer however large.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "worker/core/conn.h"
#include "worker/net/connect.h"
#include "worker/core/ev.h"
#include "worker/proto/ftp/ftp_data.h"
#include "worker/wire/ftp_parse.h"

#define DATA_BUF 65536

struct ftp_data {
	int            lfd;          /* listening for a passive client */
	int            cfd;          /* the client's end */
	int            sfd;          /* the server's end */
	struct ev_io   lio, cio, sio;
	struct ev_timer timer;
	struct pc_addr local;        /* where the proxy listens / dials from */
	struct pc_addr client;       /* the only peer accepted / dialled */
	bool           active;       /* the proxy dials the client */
	bool           borrowed;     /* cfd is not ours to close */
	bool           running, upload, src_eof, done;
	uint32_t       idle_ms;
	uint64_t      *count;
	ftp_data_cb   *cb;
	void          *arg;
	uint8_t       *buf;
	size_t         len, off;
};

static void pump(struct ftp_data *d);

struct ftp_data *
ftp_data_new(void)
{
	struct ftp_data *d = calloc(1, sizeof(*d));

	if (d != NULL)
		d->lfd = d->cfd = d->sfd = -1;
	return d;
}

static void
drop(struct ev_io *io, int *fd)
{
	if (*fd >= 0) {
		ev_io_forget(io);
		close(*fd);
		*fd = -1;
	}
}

static void
drop_all(struct ftp_data *d)
{
	drop(&d->lio, &d->lfd);
	if (d->borrowed && d->cfd >= 0) {
		ev_io_del(&d->cio);
		d->cfd = -1;
	}
	drop(&d->cio, &d->cfd);
	drop(&d->sio, &d->sfd);
	ev_timer_stop(&d->timer);
	free(d->buf);
	d->buf = NULL;
}

static void
free_now(void *p)
{
	free(p);
}

void
ftp_data_free(struct ftp_data *d)
{
	if (d == NULL)
		return;
	drop_all(d);
	d->done = true;
	ev_defer_free(free_now, d);
}

/* The end of the copy: both ends close now, the caller hears once. */
static void
finish(struct ftp_data *d, int code)
{
	if (d->done)
		return;
	d->done = true;
	drop_all(d);
	if (d->cb != NULL)
		d->cb(d->arg, code);
}

static void
data_timeout(struct ev_timer *t)
{
	struct ftp_data *d = t->arg;

	finish(d, d->cfd < 0 || !d->running ? FTP_E_DATA : FTP_E_DATAIO);
}

static void
arm(struct ftp_data *d)
{
	if (d->idle_ms > 0)
		ev_timer_start(&d->timer, d->idle_ms, data_timeout, d);
}

static void
accept_io(struct ev_io *io, uint32_t revents)
{
	struct ftp_data        *d = io->arg;
	struct sockaddr_storage ss;
	socklen_t               len = sizeof(ss);
	struct pc_addr          peer;
	int                     fd;

	(void)revents;
	if (d->done)
		return;
	fd = accept4(d->lfd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	pc_addr_from_sockaddr(&peer, (struct sockaddr *)&ss);
	peer.port = 0;
	/* only the client of the control connection may take the port */
	if (!pc_addr_equal(&peer, &d->client)) {
		close(fd);
		return;
	}
	drop(&d->lio, &d->lfd);
	d->cfd = fd;
	if (d->running)
		pump(d);
}

int
ftp_data_listen(struct ftp_data *d, const struct pc_addr *local,
    const struct pc_addr *client)
{
	struct sockaddr_storage ss;
	socklen_t               len;
	struct pc_addr          a = *local;

	a.port = 0;
	d->client = *client;
	d->client.port = 0;
	len = pc_addr_to_sockaddr(&a, &ss);
	d->lfd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (d->lfd < 0)
		return -1;
	if (len == 0 || bind(d->lfd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(d->lfd, 2) != 0 ||
	    getsockname(d->lfd, (struct sockaddr *)&ss, &len) != 0 ||
	    ev_io_add(&d->lio, d->lfd, EPOLLIN, accept_io, d) != 0) {
		close(d->lfd);
		d->lfd = -1;
		return -1;
	}
	pc_addr_from_sockaddr(&d->local, (struct sockaddr *)&ss);
	return 0;
}

const struct pc_addr *
ftp_data_bound(const struct ftp_data *d)
{
	return &d->local;
}

void
ftp_data_active(struct ftp_data *d, const struct pc_addr *a,
    const struct pc_addr *local)
{
	d->active = true;
	d->client = *a;
	d->local = *local;
	d->local.port = 0;
}

int
ftp_data_server(struct ftp_data *d, const struct pc_addr *a)
{
	struct pc_addr ext;
	int            code;

	d->sfd = connect_start(a, &ext, &code);
	return d->sfd < 0 ? -1 : 0;
}

int
ftp_data_server_fd(const struct ftp_data *d)
{
	return d->sfd;
}

void
ftp_data_client_fd(struct ftp_data *d, int fd)
{
	d->cfd = fd;
	d->borrowed = true;
}

static void
data_io(struct ev_io *io, uint32_t revents)
{
	struct ftp_data *d = io->arg;

	if (d->done)
		return;
	/* an error, or the receiving side gone while nothing is to send */
	if ((revents & EPOLLERR) || ((revents & EPOLLHUP) &&
	    io == (d->upload ? &d->sio : &d->cio))) {
		finish(d, FTP_E_DATAIO);
		return;
	}
	pump(d);
}

/* Watch src for reading while the buffer is empty, dst for writing while
 * it is not. */
static int
watch(struct ftp_data *d, int src, struct ev_io *sio, int dst,
    struct ev_io *dio)
{
	uint32_t sev = d->len == 0 && !d->src_eof ? EPOLLIN : 0;
	uint32_t dev = d->len > 0 ? EPOLLOUT : 0;

	if (ev_io_take(sio, src, sev, data_io, d) != 0 ||
	    ev_io_take(dio, dst, dev, data_io, d) != 0)
		return -1;
	return 0;
}

static void
pump(struct ftp_data *d)
{
	int           src = d->upload ? d->cfd : d->sfd;
	int           dst = d->upload ? d->sfd : d->cfd;
	struct ev_io *sio = d->upload ? &d->cio : &d->sio;
	struct ev_io *dio = d->upload ? &d->sio : &d->cio;
	ssize_t       n;

	if (d->cfd < 0)
		return;                 /* the client has not connected yet */
	for (int turns = 0; turns < 16; turns++) {
		if (d->len > 0) {
			n = write(dst, d->buf + d->off, d->len - d->off);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				finish(d, FTP_E_DATAIO);
				return;
			}
			d->off += (size_t)n;
			if (d->off == d->len)
				d->off = d->len = 0;
			arm(d);
			continue;
		}
		if (d->src_eof) {
			finish(d, PC_E_OK);
			return;
		}
		n = read(src, d->buf, DATA_BUF);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0) {
			finish(d, FTP_E_DATAIO);
			return;
		}
		if (n == 0)
			d->src_eof = true;
		d->len = (size_t)n;
		*d->count += (uint64_t)n;
		arm(d);
	}
	if (watch(d, src, sio, dst, dio) != 0)
		finish(d, FTP_E_DATA);
}

void
ftp_data_run(struct ftp_data *d, bool upload, uint32_t idle_s,
    uint64_t *count, ftp_data_cb *cb, void *arg)
{
	struct pc_addr ext;
	int            code;

	d->running = true;
	d->upload = upload;
	d->idle_ms = idle_s * 1000;
	d->count = count;
	d->cb = cb;
	d->arg = arg;
	if (d->sfd < 0) {
		finish(d, FTP_E_DATA);
		return;
	}
	if ((d->buf = malloc(DATA_BUF)) == NULL) {
		finish(d, PC_E_NOMEM);
		return;
	}
	arm(d);
	if (d->active && d->cfd < 0) {
		d->cfd = connect_start_from(&d->client, &d->local, &ext, &code);
		if (d->cfd < 0) {
			finish(d, FTP_E_DATA);
			return;
		}
	}
	pump(d);
}
