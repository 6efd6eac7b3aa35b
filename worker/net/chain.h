/*
 * Parent proxies: after the ACL allowed a request by a rule with `parent`
 * lines, the request pipeline hands the connection here instead of
 * connecting to the target.  The chain picks its hops (chain_pick.h),
 * resolves the hop names it must know, connects to the first hop and asks
 * each hop in turn for the next one (HTTP CONNECT, SOCKS4/4a, SOCKS5 with
 * RFC 1929), all non-blocking on c->sio.  A failure retries a fresh pick
 * (`parentretries` picks in all), then each weight-0 parent alone.
 *
 * %E of a failure: 13 the first hop cannot be reached, 31-34 a CONNECT
 * hop (send failed, bad reply, refused, closed), 41-44 a SOCKS4 hop (send,
 * bad reply, refused, IPv6 target), 51-59 a SOCKS5 hop (51 I/O, 52 bad
 * method reply, 53 no acceptable method, 55 bad auth reply, 56 auth
 * refused, 57 bad reply, 58 refused, 59 target not expressible), 100 a hop
 * name that does not resolve, 4 a `*` parent user when the client gave
 * none, 92 a hop that does not answer within the chain timeout.
 */
#ifndef PC_WORKER_CHAIN_H
#define PC_WORKER_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"
#include "worker/core/conn.h"

/* What an `http` last hop asks of the proxy service's requests. */
struct chain_parent {
	bool  via_http;   /* c->sfd is an `http` parent: requests go in
	                     absolute form */
	char *auth;       /* its "Basic ..." Proxy-Authorization, or NULL */
};
/* Back to none (the credentials wiped). */
void chain_parent_clear(struct chain_parent *p);

struct chain_target {
	const char    *host;      /* requested name, or NULL */
	struct pc_addr addr;      /* resolved or literal address; family 0:
	                             none */
	uint16_t       port;
	const char    *user;      /* the client's credentials, for USER "*" */
	const char    *pass;
	bool           proxyform; /* the proxy service forwards a request: an
	                             `http` last hop gets it in absolute form */
	bool           http_tunnel; /* the proxy service's CONNECT: an `http`
	                             last hop is asked with CONNECT (else, for
	                             socks and tcppm, it is a plain stream) */
	struct chain_parent *parent; /* with proxyform: cleared at the start,
	                             filled for an `http` last hop */
};

struct chain;
typedef void chain_cb(void *arg, enum pc_ecode code);

/* Starts the chain for rule's parents; cb(arg, 0) when c->sfd is the
 * connected stream to the target (c->remote = the first hop, c->ext set,
 * t->parent filled for an `http` last hop), or
 * cb(arg, code).  cb is never called before chain_start returns.  The
 * strings of t are copied.  NULL when out of memory (cb not called). */
struct chain *chain_start(struct conn *c, const struct pc_acl_rule *rule,
	    const struct chain_target *t, chain_cb *cb, void *arg);
void chain_cancel(struct chain *ch);   /* no callback afterwards */

#endif
