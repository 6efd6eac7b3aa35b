/*
 * Access-log targets of a generation (stdout, files, syslog) and writing
 * formatted records to them.
 */
#ifndef PC_MASTER_LOGWRITE_H
#define PC_MASTER_LOGWRITE_H

#include <stddef.h>

#include "common/ipc_msg.h"

struct gen;

/* Opens every target of g's config; -1 and err on failure (nothing left
 * open). */
int  logs_open(struct gen *g, char *err, size_t errlen);
void logs_close(struct gen *g);
/* SIGUSR2: reopen every file of every generation (a moved file is
 * created again). */
void logs_reopen_all(void);
/* Rotation: target i of g now writes to name (opened in place of the old
 * descriptor); 0, or -1 with the old file still in use. */
int  logs_switch(struct gen *g, size_t i, const char *name);

/* Growing buffer of formatted lines for one service's target. */
struct logbuf {
	char  *p;
	size_t len, cap;
	size_t nrec;               /* records in p (for the metrics) */
};
/* Appends rec formatted with service svc's logformat and a newline. */
void logbuf_add(struct logbuf *b, const struct gen *g, size_t svc,
	    const struct pc_logrec *rec);
/* Writes the buffer to service svc's target in one go and empties it. */
void logbuf_flush(struct logbuf *b, struct gen *g, size_t svc);
void logbuf_free(struct logbuf *b);

/* The master's own service events ("Accepting connections [PID/0]",
 * "Exiting thread"); nothing for a silent (-t) service. */
void log_service_event(struct gen *g, size_t svc, const char *text);

#endif
