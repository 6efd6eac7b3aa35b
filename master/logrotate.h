/*
 * Rotation of `log FILE X` targets by the master: at each period boundary
 * every generation switches to the new file, the finished one is handed to
 * the `archiver`, and `rotate N` deletes what is older than the N newest
 * finished periods.
 */
#ifndef PC_MASTER_LOGROTATE_H
#define PC_MASTER_LOGROTATE_H

#include <stdint.h>

/* Rotates what is due; returns the CLOCK_MONOTONIC ms of the next
 * boundary (0: no rotating target).  Called by the loop's timer. */
int64_t logrotate_tick(void);
/* Cheap check before writing records: rotates first when a boundary has
 * passed since the last tick, so a record never lands in a finished
 * file just because the timer has not run yet. */
void    logrotate_check(void);

/* `rotate N` for one finished file: deletes the files of tmpl's pattern
 * (in the directory of finished, also with "." ext when ext is set) of
 * every period but the live one and the keep newest others.  Returns the
 * number deleted. */
int     logrotate_cleanup(const char *tmpl, int utc, const char *finished,
	    const char *live, unsigned keep, const char *ext);

#endif
