/*
 * `auth nbname`: the client's NetBIOS name, asked with a node status
 * (NBSTAT) query to UDP port 137 of its address (RFC 1002 4.2.17-18), as
 * the HowTo describes; the first unique workstation name (suffix 0x00) of
 * the answer becomes the user name.  No answer within the timeout, a
 * refusal or an IPv6 client give the empty name.
 */
#ifndef PC_WORKER_NBNAME_H
#define PC_WORKER_NBNAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "worker/wire/nbname_msg.h"

struct nbname_query;
typedef void nbname_cb(void *arg, const char *name);

/* cb(arg, name) runs once, from the event loop, never before this
 * returns.  NULL when out of memory (cb not called). */
struct nbname_query *nbname_start(const struct pc_addr *client,
	    uint32_t timeout_ms, nbname_cb *cb, void *arg);
void nbname_cancel(struct nbname_query *q);   /* no callback afterwards */

#endif
