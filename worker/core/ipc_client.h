/*
 * The worker's end of the master socket: READY, asynchronous AUTH requests
 * (the connection parks, the loop keeps serving), batched LOG records
 * flushed at the end of each loop turn, the 1 Hz STATS heartbeat, and
 * DRAIN/SHUTDOWN from the master.  EOF from the master = master died:
 * the worker stops accepting and exits after a short grace.
 */
#ifndef PC_WORKER_IPC_CLIENT_H
#define PC_WORKER_IPC_CLIENT_H

#include <stdint.h>

#include "common/ipc_msg.h"

/* user: the cached name of a CACHE hit, else "" */
typedef void ipc_auth_cb(void *arg, uint32_t code, const char *user);

struct ipc_client_hooks {
	void (*drain)(uint32_t grace_s);    /* DRAIN received */
	void (*shutdown)(void);             /* SHUTDOWN or master gone */
	void (*stats)(struct pc_msg_stats *out);  /* fill the heartbeat */
};

int      ipc_client_init(int fd, uint32_t gen, const struct ipc_client_hooks *h);
void     ipc_send_ready(const struct pc_msg_ready *m);
/* Before a clean exit: the open LOG batch and a last STATS, so the
 * master's books miss nothing of this process's last second. */
void     ipc_client_last_stats(void);
/* Returns a request id (never 0); cb is called exactly once unless
 * cancelled.  If the master does not answer within 10 s, cb gets code 4. */
uint32_t ipc_auth(const struct pc_msg_auth_req *req, ipc_auth_cb *cb, void *arg);
void     ipc_auth_cancel(uint32_t id);
void     ipc_log(const struct pc_logrec *rec);   /* queued, batched */
/* Sends the open LOG batch now (one message; nothing when none is open).
 * Runs at every end of turn; conn.c's after-log writes call it first. */
void     ipc_log_flush(void);
/* The admin service's questions (ADMIN_REQ; karg: the kind's argument).
 * rep is NULL when the master did not answer within 5 s; it lives only
 * during the call.  Returns a request id (never 0), or 0 when too many
 * are pending (cb not called). */
typedef void ipc_admin_cb(void *arg, const struct pc_msg_admin_rep *rep);
uint32_t ipc_admin(uint8_t kind, uint32_t karg, ipc_admin_cb *cb, void *arg);
void     ipc_admin_cancel(uint32_t id);

#endif
