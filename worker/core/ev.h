/*
 * The worker's event loop: epoll plus a binary heap of timers whose next
 * deadline is the epoll_wait timeout.  Single-threaded; callbacks run to
 * completion.  An ev_io removed (ev_io_del) during a loop turn receives no
 * further events in that turn, so a callback may free the object that holds
 * it only through a deferred free (ev_defer_free) which runs at turn end.
 */
#ifndef PC_WORKER_EV_H
#define PC_WORKER_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct ev_io;
typedef void ev_io_cb(struct ev_io *io, uint32_t revents);

struct ev_io {
	int       fd;
	uint32_t  events;     /* EPOLLIN | EPOLLOUT (| EPOLLEXCLUSIVE on add) */
	ev_io_cb *cb;
	void     *arg;
	bool      active;
};

struct ev_timer;
typedef void ev_timer_cb(struct ev_timer *t);
struct ev_timer {
	uint64_t     when;    /* monotonic ms */
	size_t       slot;    /* heap position + 1; 0 = not armed */
	ev_timer_cb *cb;
	void        *arg;
};

int      ev_init(void);                 /* epoll_create1; before the sandbox */
int      ev_io_add(struct ev_io *io, int fd, uint32_t events,
	    ev_io_cb *cb, void *arg);
int      ev_io_mod(struct ev_io *io, uint32_t events);
void     ev_io_del(struct ev_io *io);   /* safe when not active */
/* The caller closes io->fd right after: close() itself takes a descriptor
 * out of the epoll set (a worker never duplicates one), so this only marks
 * io inactive, saving an epoll_ctl per socket. */
void     ev_io_forget(struct ev_io *io);
/* A new callback for an active io, no syscall: the interest set stays. */
void     ev_io_set_cb(struct ev_io *io, ev_io_cb *cb, void *arg);
/* io watching fd with events and cb: a MOD when io already watches fd
 * (only if the events differ), else an ADD (after a DEL if needed). */
int      ev_io_take(struct ev_io *io, int fd, uint32_t events,
	    ev_io_cb *cb, void *arg);
void     ev_timer_start(struct ev_timer *t, uint64_t after_ms,
	    ev_timer_cb *cb, void *arg);   /* re-arms if armed */
void     ev_timer_stop(struct ev_timer *t);
bool     ev_timer_armed(const struct ev_timer *t);
uint64_t ev_now(void);                  /* monotonic ms, cached per turn */
uint64_t ev_wallclock_ms(void);         /* CLOCK_REALTIME ms */
/* Called at the end of every loop turn (e.g. flush the log batch). */
void     ev_at_turn_end(void (*fn)(void));
/* free(p) via fn at the end of the current turn. */
void     ev_defer_free(void (*fn)(void *), void *p);
/* Run until *stop becomes non-zero; returns 0, or -1 on epoll failure. */
int      ev_run(volatile int *stop);

#endif
