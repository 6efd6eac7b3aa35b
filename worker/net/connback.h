/*
 * Connect-back (the HowTo's "How to use connect back"): a service with
 * `-rHOST:PORT` listens nowhere; each of its workers keeps one
 * connection open to HOST:PORT, and when bytes arrive on it, serves it as
 * a client it had accepted, then dials the next.  On the other side,
 * `tcppm -R[ADDR:]PORT LOCALPORT HOST PORT` collects those connections on
 * ADDR:PORT and pairs each client of LOCALPORT with one of them (waiting
 * up to the CONNECTBACK timeout for one to arrive; code 13 if none does).
 */
#ifndef PC_WORKER_CONNBACK_H
#define PC_WORKER_CONNBACK_H

#include <stdbool.h>

#include "worker/core/conn.h"

int  connback_init(void);          /* -r service, instead of accept_init */
void connback_stop(void);          /* draining: dial no more */

int  backpool_init(int back_fd);   /* tcppm -R: the second listener */
void backpool_stop(void);
bool backpool_active(void);
/* c->sfd becomes a back-connection, now or when one arrives; then
 * cb(c, PC_E_OK), or cb(c, PC_E_CONNECT) after the timeout.  Never calls
 * cb before it returns. */
void backpool_take(struct conn *c,
	    void (*cb)(struct conn *, enum pc_ecode));
void backpool_cancel(struct conn *c);   /* c closes while waiting */

#endif
