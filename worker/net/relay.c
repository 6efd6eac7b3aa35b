/*
 * The bulk relay (relay.h): two one-way pipes of bytes, client->server and
 * server->client, each with a buffer that exists only while bytes are in
 * flight (an idle tunnel holds no buffer at all).  Level-triggered: each
 * event pumps both directions until they would block, then the interest
 * sets of the two sockets are recomputed from what each direction waits
 * for.  EOF on one side becomes shutdown(SHUT_WR) on the other once its
 * bytes are delivered; the relay ends when both directions are shut.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/net/relay.h"

#define RELAY_BUF   (64 * 1024)
#define SPLICE_PIPE (1024 * 1024)
#define PUMP_ROUNDS 16          /* per event, so one tunnel cannot starve */
/* A splice that moved less than this found the socket drained: the next
 * bytes come with the next event (level-triggered), so the read that
 * would only say EAGAIN is skipped.  Larger moves may have stopped at the
 * pipe's slots, not at the socket's end, so bulk reads on. */
#define SPLICE_SHORT (16 * 1024)

enum { C2S, S2C };

struct dir {
	char    *buf;    /* copy mode, and early data in both modes */
	uint32_t cap, len, off;
	int      pipe[2];/* splice mode: -1 when idle */
	uint32_t inpipe; /* bytes waiting in the pipe */
	bool     eof;    /* source gave EOF */
	bool     shut;   /* EOF passed on with shutdown(SHUT_WR) */
	struct bl_grant bl;  /* bandwidth reserved (core/bandlim.h) */
};

static bool use_splice;

void
relay_set_splice(bool on)
{
	use_splice = on;
}

static void relay_io(struct ev_io *io, uint32_t revents);

struct relay_state {
	struct dir      d[2];
	uint64_t        last;      /* ev_now() of the last byte moved */
	uint64_t        idle_ms;
	struct ev_timer bl_timer;  /* a direction waits for its pipes */
};

static const struct bl_set *
limits(const struct conn *c, int i)
{
	return i == C2S ? &c->bl_out : &c->bl_in;
}

static void
bl_wake(struct ev_timer *t)
{
	struct conn *c = t->arg;

	relay_io(&c->cio, 0);
}

/* With bandwidth limits: true when direction i must not read now (its
 * pipes are busy; one timer wakes the relay for both directions), else
 * *cap is what it may read. */
static bool
bl_gate(struct conn *c, struct relay_state *r, int i, size_t *cap)
{
	uint64_t w;

	if (!bl_grant_gate(limits(c, i), &r->d[i].bl, cap, &w))
		return false;
	if (w > 0 && (!ev_timer_armed(&r->bl_timer) ||
	    r->bl_timer.when > r->d[i].bl.wait_until))
		ev_timer_start(&r->bl_timer, w, bl_wake, c);
	return true;
}

static void
bl_used(struct conn *c, struct relay_state *r, int i, size_t k)
{
	bl_grant_used(limits(c, i), &r->d[i].bl, k);
}

static void
bl_idle(struct conn *c, struct relay_state *r, int i)
{
	bl_grant_idle(limits(c, i), &r->d[i].bl);
}


static int
src_fd(const struct conn *c, int i)
{
	return i == C2S ? c->cfd : c->sfd;
}

static int
dst_fd(const struct conn *c, int i)
{
	return i == C2S ? c->sfd : c->cfd;
}

static void
dir_free_buf(struct dir *d)
{
	free(d->buf);
	d->buf = NULL;
	d->cap = d->len = d->off = 0;
}

/* Empty pipes kept for reuse: a busy tunnel runs its source dry on
 * almost every event, and making a pipe (pipe2 + F_SETPIPE_SZ) and closing
 * it each time would double the syscalls per event.  An idle tunnel still
 * holds no pipe; at most PIPE_POOL empty ones wait here per worker. */
#define PIPE_POOL 32
static int pipe_pool[PIPE_POOL][2];
static int pipe_pooled;

static int
pipe_get(int fds[2])
{
	if (pipe_pooled > 0) {
		pipe_pooled--;
		fds[0] = pipe_pool[pipe_pooled][0];
		fds[1] = pipe_pool[pipe_pooled][1];
		return 0;
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
		fds[0] = fds[1] = -1;
		return -1;
	}
	/* fewer, larger moves; the default 64 KiB if refused */
	(void)fcntl(fds[1], F_SETPIPE_SZ, SPLICE_PIPE);
	return 0;
}

static void
dir_close_pipe(struct dir *d)
{
	if (d->pipe[0] >= 0) {
		if (d->inpipe == 0 && pipe_pooled < PIPE_POOL) {
			pipe_pool[pipe_pooled][0] = d->pipe[0];
			pipe_pool[pipe_pooled][1] = d->pipe[1];
			pipe_pooled++;
		} else {
			close(d->pipe[0]);
			close(d->pipe[1]);
		}
	}
	d->pipe[0] = d->pipe[1] = -1;
	d->inpipe = 0;
}

/* Counts k bytes of direction i; true when a traffic counter's limit
 * is reached (the relay then ends with code 10). */
static bool
count(struct conn *c, struct relay_state *r, int i, size_t k)
{
	const struct pc_config *cfg = wctx.cfg;

	r->last = ev_now();
	if (i == C2S)
		c->bytes_out += k;
	else
		c->bytes_in += k;
	/* logdump: a long tunnel's record so far, each IN / OUT bytes */
	if ((cfg->logdump_in != 0 &&
	    c->bytes_in - c->dumped_in >= cfg->logdump_in) ||
	    (cfg->logdump_out != 0 &&
	    c->bytes_out - c->dumped_out >= cfg->logdump_out))
		conn_log_dump(c);
	return counters_add(i == C2S ? &c->ct_out : &c->ct_in, k);
}

/* EOF of direction i, its bytes delivered: shutdown(SHUT_WR) its
 * destination, unless the other direction is done too: then the relay
 * closes both sockets at once and close() sends the FIN itself. */
static void
pass_eof(struct conn *c, struct relay_state *r, int i)
{
	if (r->d[i].shut)
		return;
	if (!r->d[!i].shut)
		(void)shutdown(dst_fd(c, i), SHUT_WR);
	r->d[i].shut = true;
}

/* splice() mode: socket -> pipe -> socket, the bytes never enter user
 * space.  The pipe exists only while bytes are in flight. */
static int
pump_splice(struct conn *c, struct relay_state *r, int i)
{
	struct dir *d = &r->d[i];
	ssize_t     k;
	size_t      cap;
	bool        drained = false;

	for (int round = 0; round < PUMP_ROUNDS; round++) {
		if (d->inpipe > 0) {
			k = splice(d->pipe[0], NULL, dst_fd(c, i), NULL,
			    d->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (k < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return 0;
				return i == C2S ? PC_E_SERVER_CLOSED :
				    PC_E_CLIENT_CLOSED;
			}
			d->inpipe -= (uint32_t)k;
			if (d->inpipe > 0)
				continue;
		}
		if (d->eof) {
			pass_eof(c, r, i);
			dir_close_pipe(d);
			return 0;
		}
		if (drained) {           /* as after EAGAIN, one call fewer */
			dir_close_pipe(d);
			bl_idle(c, r, i);
			return 0;
		}
		cap = SPLICE_PIPE;
		if (bl_gate(c, r, i, &cap))
			return 0;
		if (d->pipe[0] < 0 && pipe_get(d->pipe) != 0)
			return PC_E_NOMEM;
		k = splice(src_fd(c, i), NULL, d->pipe[1], NULL, cap,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (k > 0) {
			d->inpipe = (uint32_t)k;
			drained = (size_t)k < cap && k < SPLICE_SHORT;
			if (count(c, r, i, (size_t)k))
				return PC_E_LIMIT;
			bl_used(c, r, i, (size_t)k);
		} else if (k == 0) {
			d->eof = true;
		} else if (errno == EAGAIN || errno == EINTR) {
			dir_close_pipe(d);   /* idle: hold no pipe */
			bl_idle(c, r, i);
			return 0;
		} else {
			return i == C2S ? PC_E_CLIENT_CLOSED :
			    PC_E_SERVER_CLOSED;
		}
	}
	return 0;
}

/* Moves bytes of direction i until it would block.  0 = fine (or done),
 * otherwise the %E code that ends the relay. */
static int
pump(struct conn *c, struct relay_state *r, int i)
{
	struct dir *d = &r->d[i];
	ssize_t     k;
	size_t      cap;
	bool        drained = false;

	for (int round = 0; round < PUMP_ROUNDS; round++) {
		if (d->off < d->len) {
			k = send(dst_fd(c, i), d->buf + d->off, d->len - d->off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return 0;
				return i == C2S ? PC_E_SERVER_CLOSED :
				    PC_E_CLIENT_CLOSED;
			}
			d->off += (uint32_t)k;
			if (d->off < d->len)
				continue;
		}
		d->off = d->len = 0;
		if (use_splice && !d->eof) {
			dir_free_buf(d);
			return pump_splice(c, r, i);
		}
		if (d->eof) {
			pass_eof(c, r, i);
			dir_free_buf(d);
			return 0;
		}
		if (drained) {   /* a short read emptied the socket */
			dir_free_buf(d);
			bl_idle(c, r, i);
			return 0;
		}
		if (d->buf == NULL) {
			if ((d->buf = malloc(RELAY_BUF)) == NULL)
				return PC_E_NOMEM;
			d->cap = RELAY_BUF;
		}
		cap = d->cap;
		if (bl_gate(c, r, i, &cap)) {
			dir_free_buf(d);
			return 0;
		}
		k = read(src_fd(c, i), d->buf, cap);
		if (k > 0) {
			d->len = (uint32_t)k;
			drained = (size_t)k < cap;
			if (count(c, r, i, (size_t)k))
				return PC_E_LIMIT;
			bl_used(c, r, i, (size_t)k);
		} else if (k == 0) {
			d->eof = true;
		} else if (errno == EAGAIN || errno == EINTR) {
			dir_free_buf(d);     /* idle: hold no buffer */
			bl_idle(c, r, i);
			return 0;
		} else {
			return i == C2S ? PC_E_CLIENT_CLOSED :
			    PC_E_SERVER_CLOSED;
		}
	}
	return 0;
}

static bool
wants_out(const struct dir *d)
{
	return d->off < d->len || d->inpipe > 0;
}

static bool
wants_in(const struct dir *d)
{
	return !d->eof && !wants_out(d) && d->bl.wait_until <= ev_now();
}

static uint32_t
interest(const struct relay_state *r, int fd_is_client)
{
	const struct dir *in = &r->d[fd_is_client ? C2S : S2C];
	const struct dir *out = &r->d[fd_is_client ? S2C : C2S];

	return (wants_in(in) ? EPOLLIN : 0) | (wants_out(out) ? EPOLLOUT : 0);
}

static void
relay_io(struct ev_io *io, uint32_t revents)
{
	struct conn        *c = io->arg;
	struct relay_state *r = c->relay;
	bool                client = io == &c->cio;
	uint32_t            ce, se;
	int                 code = 0;
	bool                c2s, s2c;

	if (c->closing || r == NULL)
		return;
	/* pump only the directions this event can move (start: both) */
	if (revents == 0 || (revents & (EPOLLHUP | EPOLLERR))) {
		c2s = s2c = true;
	} else {
		c2s = (revents & (client ? EPOLLIN : EPOLLOUT)) != 0;
		s2c = (revents & (client ? EPOLLOUT : EPOLLIN)) != 0;
	}
	if ((c2s && (code = pump(c, r, C2S)) != 0) ||
	    (s2c && (code = pump(c, r, S2C)) != 0)) {
		conn_close(c, code);
		return;
	}
	if (r->d[C2S].shut && r->d[S2C].shut) {
		conn_close(c, PC_E_OK);
		return;
	}
	ce = interest(r, 1);
	se = interest(r, 0);
	/* a dead socket that nothing waits on would report HUP/ERR forever */
	if ((revents & (EPOLLHUP | EPOLLERR)) && (client ? ce : se) == 0) {
		conn_close(c, client ? PC_E_CLIENT_CLOSED : PC_E_SERVER_CLOSED);
		return;
	}
	if (ev_io_mod(&c->cio, ce) != 0 || ev_io_mod(&c->sio, se) != 0)
		conn_close(c, PC_E_SYSTEM);
}

static void
relay_timeout(struct ev_timer *t)
{
	struct conn        *c = t->arg;
	struct relay_state *r = c->relay;
	uint64_t            idle = ev_now() - r->last;

	if (idle >= r->idle_ms) {
		conn_close(c, PC_E_TIMEOUT);
		return;
	}
	ev_timer_start(&c->timer, r->idle_ms - idle, relay_timeout, c);
}

static int
preload(struct dir *d, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	d->cap = n > RELAY_BUF ? (uint32_t)n : RELAY_BUF;
	if ((d->buf = malloc(d->cap)) == NULL)
		return -1;
	memcpy(d->buf, p, n);
	d->len = (uint32_t)n;
	return 0;
}

/* keeps the interest set of an io already on fd (relay_io recomputes it
 * and changes it only where it differs) */
static int
take_io(struct ev_io *io, int fd, struct conn *c)
{
	return ev_io_take(io, fd, io->active && io->fd == fd ? io->events : 0,
	    relay_io, c);
}

void
relay_start(struct conn *c, const void *to_server, size_t nserver,
    const void *to_client, size_t nclient, uint32_t idle_s)
{
	struct relay_state *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	c->relay = r;
	if (idle_s == 0)
		idle_s = wctx.cfg->timeouts[PC_TIMEOUT_CONN_LONG];
	r->idle_ms = (uint64_t)(idle_s ? idle_s : 1800) * 1000;
	r->last = ev_now();
	r->d[C2S].pipe[0] = r->d[C2S].pipe[1] = -1;
	r->d[S2C].pipe[0] = r->d[S2C].pipe[1] = -1;
	if (preload(&r->d[C2S], to_server, nserver) != 0 ||
	    preload(&r->d[S2C], to_client, nclient) != 0) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	if (take_io(&c->cio, c->cfd, c) != 0 ||
	    take_io(&c->sio, c->sfd, c) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	ev_timer_start(&c->timer, r->idle_ms, relay_timeout, c);
	/* start moving at once: early data, or bytes the client queued
	 * already; the server's side only with bytes for the client in hand
	 * (what the server sends is reported by the EPOLLIN this sets, and
	 * most servers wait for the client: a splice that would only say
	 * EAGAIN is saved) */
	relay_io(&c->cio, nclient > 0 ? 0 : EPOLLIN);
}

void
relay_release(struct conn *c)
{
	struct relay_state *r = c->relay;

	if (r == NULL)
		return;
	ev_timer_stop(&r->bl_timer);
	bl_idle(c, r, C2S);
	bl_idle(c, r, S2C);
	dir_free_buf(&r->d[C2S]);
	dir_free_buf(&r->d[S2C]);
	dir_close_pipe(&r->d[C2S]);
	dir_close_pipe(&r->d[S2C]);
	free(r);
	c->relay = NULL;
}
