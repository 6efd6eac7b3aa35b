/*
 * `archiver EXT CMD ARGS...`: compressing a finished log file in a child
 * process that the master does not wait for.
 */
#ifndef PC_MASTER_ARCHIVER_H
#define PC_MASTER_ARCHIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Replaces every %F in arg by file and every %A by file "." ext, also
 * inside a word (docs/3proxy-differences.md, decision 18); "%%" is one '%'.
 * -1 when out is too small. */
int  archiver_arg(const char *arg, const char *file, const char *ext,
	    char *out, size_t cap);
/* Starts argv (config words) for file with posix_spawnp, no shell; the
 * child's pid or -1 (reported). */
pid_t archiver_start(char *const *argv, const char *ext, const char *file);
/* For the reaper: true when pid was an archiver (its end is logged). */
bool archiver_reaped(pid_t pid, int status);

#endif
