/* The master's end of every worker's IPC socket. */
#ifndef PC_MASTER_IPC_SERVER_H
#define PC_MASTER_IPC_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "master/master.h"

void ipc_readable(struct worker *w);
void ipc_writable(struct worker *w);
/* Writes the access-log lines of this loop turn's LOG batches (they wait
 * so that the batches of all a service's workers go out in one write);
 * the loop calls it at the end of each turn and before anything that may
 * reload, reap or free a generation. */
void ipc_logs_write(void);
/* Queues one message (sends at once when possible). */
void ipc_send(struct worker *w, const uint8_t *msg, size_t len, bool auth_rep);
void ipc_send_drain(struct worker *w, uint32_t grace_s);
void ipc_send_shutdown(struct worker *w);

#endif
