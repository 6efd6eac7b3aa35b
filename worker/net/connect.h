/*
 * Outgoing TCP connections of a worker: a non-blocking socket of the
 * target's family, bound to the service's external address for that family
 * (-e / external) with IP_BIND_ADDRESS_NO_PORT so no local port is pinned
 * before connect(), TCP_NODELAY, then connect().
 */
#ifndef PC_WORKER_CONNECT_H
#define PC_WORKER_CONNECT_H

#include "common/addr.h"
#include "common/ecode.h"

/* Returns the socket (connect in progress or done) and fills *ext with the
 * bound/local address when known, or -1 with *code = PC_E_SOCKET,
 * PC_E_BIND or PC_E_CONNECT (connect refused at once). */
int connect_start(const struct pc_addr *dst, struct pc_addr *ext, int *code);
/* The same from the source address src (a parent's outgoing address, the
 * HowTo's `parent W TYPE IP 0`) instead of external/-e; src of the other
 * family than dst is ignored. */
int connect_start_from(const struct pc_addr *dst, const struct pc_addr *src,
	    struct pc_addr *ext, int *code);

#endif
