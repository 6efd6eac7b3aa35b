/*
 * Names and periods of rotated log files (docs/portcullis.cfg.5, Access log):
 * pure functions of (target, time), so that tests can drive them with any time
 * and time zone.
 *
 * A plain `log FILE X` writes FILE plus a period suffix (C: .YYYY.MM.DD-HH.MM,
 * H: .YYYY.MM.DD-HH, D and W: .YYYY.MM.DD, M: .YYYY.MM, Y: .YYYY; W names
 * the Sunday that starts the week).  A name with `%` is a template of date
 * macros instead.  Both become one template here: "FILE.%Y.%m.%d" etc.
 */
#ifndef PC_MASTER_LOGNAME_H
#define PC_MASTER_LOGNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "policy/policy.h"

#define LOGNAME_MAX 4096

/* Start of the period holding t, and start of the next one (local time,
 * or UTC when utc).  PC_ROT_NONE: 0 (no boundary). */
time_t logname_period_start(enum pc_logrot rot, bool utc, time_t t);
time_t logname_next(enum pc_logrot rot, bool utc, time_t t);

/* The template of a file target: its path for a pattern, else the path
 * plus the suffix of its period.  0, or -1 when it does not fit. */
int    logname_template(const struct pc_logtarget *lt, char *out,
	    size_t cap);
/* The file written at time t: the template expanded for the start of the
 * period holding t (for PC_ROT_NONE, t itself).  0, or -1 when too long. */
int    logname_expand(const struct pc_logtarget *lt, time_t t, char *out,
	    size_t cap);
/* Does name (a last path component) match the last component of tmpl,
 * alone or followed by "." ext (ext NULL: not allowed)?  On a match *key
 * is the time the name stands for (for ordering old files). */
bool   logname_match(const char *tmpl, bool utc, const char *name,
	    const char *ext, time_t *key);

#endif
