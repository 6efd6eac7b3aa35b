/*
 * The uninspected bulk phase: bytes both ways between c->cfd and c->sfd
 * until both sides are done, counting c->bytes_in/bytes_out, with the
 * CONNECTION_LONG (or given) idle timeout.  Half-close is propagated.  When
 * it ends the connection is closed and logged with 0, or 92 on idle
 * timeout, 95/96/97 on abrupt close by client/server/both.
 * Uses read/write through a buffer allocated only while data is in flight,
 * or splice() through a pipe pair (see docs/architecture.md for which).
 */
#ifndef PC_WORKER_RELAY_H
#define PC_WORKER_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/core/conn.h"

/* to_server/to_client: bytes already read that must be delivered first
 * (e.g. data pipelined after a CONNECT header).  idle_s 0 = the service
 * default (timeouts CONNECTION_LONG). */
void relay_start(struct conn *c, const void *to_server, size_t nserver,
	    const void *to_client, size_t nclient, uint32_t idle_s);

/* Chooses splice() (true) or read/write through a buffer for every relay
 * of this worker (worker_main sets it from the service's `relay` mode). */
void relay_set_splice(bool on);
/* Frees the relay's buffers and pipes (conn_close calls it). */
void relay_release(struct conn *c);

#endif
