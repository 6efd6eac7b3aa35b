/*
 * The request pipeline every protocol uses once it has parsed what the
 * client wants:
 *
 *   authenticate (the service's auth chain; strong -> AUTH_REQ to the master,
 *   asynchronously) -> resolve the target name with c-ares -> check the ACL
 *   with user, client, target address and name, port and operation ->
 *   connect (non-blocking, bound to external/-e with
 *   IP_BIND_ADDRESS_NO_PORT, TCP_NODELAY, CONNECT timeout), or, when the
 *   allowing rule has `parent` lines, through the chain (chain.h)
 *
 * and calls back with 0 or the %E code of the failure:
 *   4 no username, 5 unknown user, 6/7/8 wrong password, 1 denied, 3 no ACL
 *   match, 100 host not found, 11 socket, 12 bind, 13 connect failed/timeout.
 * On success c->sfd is a connected non-blocking socket (not yet registered
 * in the loop), and c->remote, c->ext, c->req, c->user are set.
 * conn_close() cancels a pipeline in progress.
 */
#ifndef PC_WORKER_REQUEST_H
#define PC_WORKER_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "worker/core/conn.h"

/* Where a rule with `parent 1000 TYPE 0.0.0.0 0` sends the client: the
 * protocol hands it to that handler of the worker (redirect.h). */
enum request_redirect {
	REDIRECT_NONE,
	REDIRECT_HTTP,
	REDIRECT_POP3,
	REDIRECT_FTP,
	REDIRECT_TLS,
};

struct chain_parent;

struct target_req {
	uint32_t       op;        /* PC_OP_ bit for the ACL */
	uint32_t       op_also;   /* 0, or a PC_OP_ bit that matches too */
	const char    *host;      /* name to resolve, or NULL */
	struct pc_addr addr;      /* literal target when host is NULL */
	uint16_t       port;
	const char    *user;      /* credentials offered by the client, or NULL */
	const char    *pass;
	bool           no_connect;/* stop after the ACL (e.g. reuse a server
	                             connection on keep-alive) */
	bool           proxyform; /* chain.h: a request the proxy forwards */
	bool           http_tunnel; /* chain.h: the proxy's CONNECT */
	bool           redirected; /* the HTTP handler of a redirected SOCKS
	                             connection: the ACL walk passes over the
	                             rules that redirect (policy.h) */
	enum request_redirect *redirect; /* non-NULL: a rule with `parent
	                             1000 http 0.0.0.0 0` ends the pipeline
	                             with code 0, no server socket and
	                             *redirect = REDIRECT_HTTP (pop3, ftp:
	                             _POP3, _FTP; else REDIRECT_NONE): the
	                             protocol hands the client to that
	                             handler; NULL: such a parent is ignored
	                             (the handler walks the ACL again and
	                             must not loop) */
	struct chain_parent *parent; /* proxyform: what an `http` last hop
	                             needs (chain.h), set before the pipeline
	                             calls back; NULL elsewhere */
};

typedef void request_cb(struct conn *c, enum pc_ecode code);

/* The strings of t are copied; t may live on the caller's stack. */
void request_start(struct conn *c, const struct target_req *t, request_cb *cb);
/* Cancels the pipeline in flight (conn_close calls it). */
void request_cancel(struct conn *c);
/* True when every method of the effective auth chain needs credentials
 * from the client (strong, useronly): protocols then ask for them before
 * running the pipeline (407, SOCKS method 2).  With other methods in the
 * chain the pipeline runs first and a failure with code 4 asks. */
bool request_needs_password(void);

#endif
