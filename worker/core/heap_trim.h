/*
 * Giving freed heap back to the system after a burst of connections
 * (issue 14 item 10).
 */
#ifndef PC_WORKER_HEAP_TRIM_H
#define PC_WORKER_HEAP_TRIM_H

/* The live connection count is now n (conn.c calls it on every open and
 * close).  When it has fallen to a quarter of its peak since the last
 * trim (a peak of at least 64) and is still there 1 s later, the worker
 * calls malloc_trim(0). */
void heap_trim_live(unsigned n);

#endif
