/*
 * The master and its fleet helper (fleet.c, fleet_helper.c): one batch of
 * counter deltas each way on a SOCK_SEQPACKET pair, host byte order.
 *   master -> helper: struct fleet_req, n items (delta in v), then
 *                     "DSN\0USER\0PASS\0" (the helper keeps no config);
 *   helper -> master: struct fleet_rep, n items (the fleet total in v).
 * The master sends the next batch only when the reply to the last one has
 * come; a restarted helper gets the unanswered batch again.
 *
 * kind FLEET_USERS (`users &DSN`): a fleet_req without items asks for
 * portcullis_users; the answer is one or more struct fleet_urep of
 * "NAME\0PASSWORD\0" pairs, the last with more = 0, sent only once the
 * whole table was read.
 */
#ifndef PC_MASTER_FLEET_MSG_H
#define PC_MASTER_FLEET_MSG_H

#include <stdint.h>

#include "policy/policy.h"

#define FLEET_ITEMS_MAX 1024     /* counter rows per batch */
#define FLEET_CONN_MAX  (3 * 1025)
#define FLEET_UDATA     32768
#define FLEET_USER_MAX  255      /* PC_IPC_USER_MAX */
#define FLEET_PASS_MAX  1024

enum fleet_kind { FLEET_BATCH, FLEET_USERS };

struct fleet_item {
	uint32_t num;             /* counter NUMBER */
	uint32_t pad;
	int64_t  period;          /* start of its period (time_t), 0: none */
	uint64_t v;               /* delta (request) or fleet total (reply) */
};

struct fleet_req {
	uint64_t          seq;    /* this node's batch number, increasing */
	uint32_t          kind;   /* enum fleet_kind */
	uint32_t          n;
	uint32_t          conn_len;
	char              node[PC_FLEET_NODE_MAX + 1];
	struct fleet_item items[FLEET_ITEMS_MAX];
	char              conn[FLEET_CONN_MAX];
};

struct fleet_rep {
	uint64_t          seq;
	uint32_t          kind;    /* FLEET_BATCH */
	uint32_t          n;
	uint32_t          applied; /* 0: the database had it already */
	uint32_t          pad;
	struct fleet_item items[FLEET_ITEMS_MAX];
};

struct fleet_urep {
	uint64_t seq;
	uint32_t kind;             /* FLEET_USERS */
	uint32_t n;                /* pairs in data */
	uint32_t more;             /* 1: more pieces follow */
	uint32_t len;              /* bytes of data */
	char     data[FLEET_UDATA];
};

/* The helper process (fleet_helper.c): answers batches until EOF. */
void fleet_helper_main(int fd) __attribute__((noreturn));

#endif
