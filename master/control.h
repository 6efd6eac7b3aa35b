/*
 * The counters' control socket: `counter FILE` makes the master listen on
 * the Unix socket FILE.ctl (mode 0600, SOCK_SEQPACKET), where
 * portcullis-counters asks it to list, reset or set counters, so the tool
 * never races the master for the file.  One request per connection, a
 * text line: "list", "reset N", "set N BYTES"; the answer is text, the
 * first line "ok" or "error: ...".
 */
#ifndef PC_MASTER_CONTROL_H
#define PC_MASTER_CONTROL_H

#include <stdbool.h>

#include "policy/policy.h"

void  control_open(const struct pc_config *cfg);  /* no-op without file */
void *control_tag(void);          /* the socket's epoll data.ptr */
void  control_readable(void);     /* accept and answer one client */
void  control_close(void);        /* at stop: the socket file goes */

#endif
