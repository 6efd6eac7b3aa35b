/*
 * The access-log formatter: one pc_logrec + a 3proxy `logformat` string ->
 * one line.  The grammar (docs/portcullis.cfg.5, LOG FORMAT): optional
 * "-CHARS+R" filter prefix, one time-zone letter (G/g = UTC, any other
 * character = local time, consumed), then text with % macros.
 */
#ifndef PC_MASTER_LOGFMT_H
#define PC_MASTER_LOGFMT_H

#include <stddef.h>
#include <stdint.h>

#include "common/ipc_msg.h"

/* 3proxy's built-in format, used when a service has no `logformat`. */
extern const char logfmt_default[];

/* Longest line written (3proxy truncates records around 4 KB; ours carry a
 * 4 KB %T plus the other fields). */
#define LOGFMT_LINE_MAX 8192

/*
 * Formats rec with fmt (NULL = logfmt_default) into out, NUL-terminated and
 * without a newline; port is the service's listening port (%p).  Returns
 * the length; output that does not fit in cap is cut.
 */
size_t logfmt_format(char *out, size_t cap, const char *fmt,
	    const struct pc_logrec *rec, uint16_t port);

#endif
