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

#define NBNAME_QUERY_LEN 50
#define NBNAME_MAX       16   /* 15 characters and the NUL */

struct nbname_query;
typedef void nbname_cb(void *arg, const char *name);

/* cb(arg, name) runs once, from the event loop, never before this
 * returns. */
struct nbname_query *nbname_start(const struct pc_addr *client,
	    uint32_t timeout_ms, nbname_cb *cb, void *arg);
void nbname_cancel(struct nbname_query *q);   /* no callback afterwards */

/* Pure parts (tests, fuzzing): the query with transaction id id, and the
 * name from an answer to it (0 and name, or -1). */
size_t nbname_build_query(uint8_t out[NBNAME_QUERY_LEN], uint16_t id);
int    nbname_parse_reply(const uint8_t *p, size_t n, uint16_t id,
	    char name[NBNAME_MAX]);

#endif
