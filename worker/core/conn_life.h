/*
 * Private to the worker core (accept.c, conn.c, worker_main.c): creating
 * connections and walking the live ones when the worker drains.
 */
#ifndef PC_WORKER_CONN_LIFE_H
#define PC_WORKER_CONN_LIFE_H

#include "worker/core/conn.h"

/* What conn_close calls that lives in the rooms above the core: the
 * service's protocol, and the release of the request pipeline's and the
 * relay's state (worker/net/).  Set once, before the first conn_new. */
struct conn_parts {
	const struct proto *proto;
	void              (*request_cancel)(struct conn *c);
	void              (*relay_release)(struct conn *c);
};
void conn_setup(const struct conn_parts *p);

/* Takes ownership of cfd; the protocol is the one of conn_setup. */
struct conn *conn_new(int cfd, const struct pc_addr *client,
	    const struct pc_addr *local);
/* Same; slot: the connection holds one of the service's shared maxconn
 * count (reserved by the caller), released when it closes. */
struct conn *conn_new_slot(int cfd, const struct pc_addr *client,
	    const struct pc_addr *local, bool slot);
/* Asks every live connection's protocol to finish (proto->drain). */
void conn_drain_all(void);
/* `force` after a reload (the worker drains): asks the master, for each
 * open tunnel, whether the configuration now in force still lets it go
 * on, and closes those it refuses with the code it gives
 * (master/recheck.c).  More than the master's questions in flight are
 * asked a moment later. */
void conn_recheck_all(void);
/* Closes every live connection, logging each with code. */
void conn_close_all(int code);
/* Called when the live count drops (accept may resume, drain may end). */
void conn_set_close_hook(void (*fn)(void));
uint64_t conn_accepted_total(void);

#endif
