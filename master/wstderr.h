/*
 * A worker's standard descriptors: stdin and stdout are /dev/null, stderr
 * is a pipe the master reads and logs line by line, tagged with the
 * worker (so a worker cannot write to the master's stdout, where the
 * access log may go, nor pass lines off as the master's).  Diagnostics of
 * the worker and a sanitizer's report arrive whole: the worker's end
 * blocks when the pipe is full, and the master reads the rest when it
 * reaps the worker.
 */
#ifndef PC_MASTER_WSTDERR_H
#define PC_MASTER_WSTDERR_H

#include <stdbool.h>

#include "master/master.h"

/* Before fork: the pipe; 0, or -1 (the worker then gets /dev/null). */
int  wstderr_open(struct worker *w, int *child_end);
/* In the child, first thing: 0 and 1 to /dev/null, 2 to child_end. */
void wstderr_child(int child_end);
/* In the master after fork: close the child's end, watch ours. */
void wstderr_parent(struct worker *w, int child_end);
/* An epoll event: true when ptr was a worker's stderr (handled). */
bool wstderr_event(void *ptr);
/* The worker is gone: log what is left in the pipe and close it. */
void wstderr_close(struct worker *w);

#endif
