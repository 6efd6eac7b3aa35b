/*
 * NetBIOS node status (NBSTAT) messages, RFC 1002 4.2.17-18: the query
 * for `auth nbname` and the first unique workstation name (suffix 0x00)
 * of an answer.  Pure: no I/O (worker/net/nbname.c sends and reads).
 */
#ifndef PC_WORKER_WIRE_NBNAME_MSG_H
#define PC_WORKER_WIRE_NBNAME_MSG_H

#include <stddef.h>
#include <stdint.h>

#define NBNAME_QUERY_LEN 50
#define NBNAME_MAX       16   /* 15 characters and the NUL */

/* The query with transaction id id, and the name from an answer to it
 * (0 and name, or -1). */
size_t nbname_build_query(uint8_t out[NBNAME_QUERY_LEN], uint16_t id);
int    nbname_parse_reply(const uint8_t *p, size_t n, uint16_t id,
	    char name[NBNAME_MAX]);

#endif
