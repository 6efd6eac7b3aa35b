/*
 * The request pipeline (request.h): auth chain -> resolve -> ACL ->
 * connect, asynchronous and cancellable.  Its state hangs off the
 * connection (c->req_state) so conn_close() can cancel it; the state is
 * freed before the protocol's callback runs, because the callback may
 * close the connection or start the next request.
 *
 * The auth chain is walked in order, as 3proxy does: each method either
 * grants (then the request goes on to connect) or fails with a code, and
 * the next method is tried; the code of the last one is the answer.
 *   none    grants without looking at the ACL;
 *   iponly  checks the ACL with no user name;
 *   strong  needs user and password (code 4 without), verified by the
 *           master (5-8), then checks the ACL with the user name.
 * A strong chain checks the password before any name is resolved, so an
 * unauthenticated client cannot make the proxy query DNS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/ecode.h"
#include "common/xmalloc.h"
#include "worker/net/chain.h"
#include "worker/net/connect.h"
#include "worker/net/dns.h"
#include "worker/core/ipc_client.h"
#include "worker/net/nbname.h"
#include "worker/net/request.h"
#include "worker/net/selfloop.h"

struct request_state {
	struct conn      *c;
	request_cb       *cb;
	uint32_t          op;
	uint32_t          op_also;
	uint16_t          port;
	bool              no_connect;
	char             *host;
	char             *user, *pass;
	size_t            method;        /* index in the auth chain */
	bool              verified;      /* strong: the master said yes */
	bool              cache_asked;   /* cache: the master answered */
	char             *cache_user;    /* cache: the hit's user, or NULL */
	struct nbname_query *nbq;        /* nbname: query in flight */
	bool              nb_asked;      /* nbname: answered (maybe "") */
	char             *nb_user;       /* nbname: the name, or NULL */
	bool              resolved;
	uint32_t          auth_id;       /* outstanding AUTH_REQ, or 0 */
	int               last_code;     /* failure of the last method tried */
	struct dns_query *dq;
	struct pc_addr    addrs[DNS_MAX_ADDRS];
	size_t            naddrs, next_addr;
	struct ev_timer   timer;         /* connect timeout */
	int               fd;            /* connect in progress, or -1 */
	size_t            rule;          /* allowing ACL rule, or -1 */
	struct chain     *chain;         /* parents in progress, or NULL */
	bool              proxyform, http_tunnel, redirected;
	enum request_redirect *redirect;  /* the caller's, or NULL */
	struct chain_parent   *parent;    /* the caller's, or NULL */
};

#define NBNAME_WAIT_MS 1500   /* NBSTAT answers come from the LAN */

static void step(struct request_state *r);

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void
state_free(struct request_state *r)
{
	if (r->dq != NULL)
		dns_cancel(r->dq);
	if (r->auth_id != 0)
		ipc_auth_cancel(r->auth_id);
	nbname_cancel(r->nbq);
	free(r->cache_user);
	free(r->nb_user);
	ev_timer_stop(&r->timer);
	chain_cancel(r->chain);
	if (r->fd >= 0) {
		ev_io_forget(&r->c->sio);
		close(r->fd);
	}
	free(r->host);
	wipe_free(r->user);
	wipe_free(r->pass);
	free(r);
}

static void
finish(struct request_state *r, int code)
{
	struct conn *c = r->c;
	request_cb  *cb = r->cb;

	c->req_state = NULL;
	state_free(r);
	cb(c, code);
}

void
request_cancel(struct conn *c)
{
	if (c->req_state != NULL) {
		state_free(c->req_state);
		c->req_state = NULL;
	}
}

bool
request_needs_password(void)
{
	const enum pc_auth_type *chain;
	size_t                   n = pc_service_auth(wctx.svc, &chain);

	/* only when no method of the chain can pass without credentials;
	 * `auth iponly strong` asks only after the ACL wanted a user */
	for (size_t i = 0; i < n; i++)
		if (chain[i] != PC_AUTH_STRONG && chain[i] != PC_AUTH_USERONLY)
			return false;
	return n > 0;
}

/* ---- connect ---- */

static void
connect_next(struct request_state *r);

static void
connect_failed(struct request_state *r)
{
	ev_timer_stop(&r->timer);
	ev_io_forget(&r->c->sio);
	close(r->fd);
	r->fd = -1;
	connect_next(r);
}

static void
parked_io(struct ev_io *io, uint32_t revents)
{
	(void)revents;
	(void)ev_io_mod(io, 0);
}

static void
connect_io(struct ev_io *io, uint32_t revents)
{
	struct conn          *c = io->arg;
	struct request_state *r = c->req_state;
	int                   err = 0;
	socklen_t             len = sizeof(err);

	if (r == NULL || r->fd < 0)
		return;
	/* writable without an error or hangup: connected, the event says
	 * it (one getsockopt fewer per connection) */
	if ((revents & (EPOLLERR | EPOLLHUP)) != 0) {
		if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		else if (err == 0)
			err = ECONNREFUSED;   /* hung up, no error recorded */
	}
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err != 0) {
		connect_failed(r);
		return;
	}
	/* c->sio stays registered (EPOLLOUT) for the protocol to take over
	 * with ev_io_take (one MOD instead of a DEL and an ADD); until then
	 * an event only parks it */
	ev_io_set_cb(&c->sio, parked_io, c);
	c->sfd = r->fd;
	r->fd = -1;
	finish(r, PC_E_OK);
}

static void
connect_timeout(struct ev_timer *t)
{
	connect_failed(t->arg);
}

static void
connect_next(struct request_state *r)
{
	struct conn *c = r->c;
	int          code = PC_E_CONNECT;

	while (r->next_addr < r->naddrs) {
		struct pc_addr dst = r->addrs[r->next_addr++];
		uint32_t       to = wctx.cfg->timeouts[PC_TIMEOUT_CONNECT];

		dst.port = r->port;
		c->hops = 0;
		if (selfloop_target(&dst)) {
			c->remote = dst;
			code = PC_E_LOOP;
			continue;
		}
		r->fd = connect_start(&dst, &c->ext, &code);
		if (r->fd < 0)
			continue;
		c->remote = dst;
		if (ev_io_add(&c->sio, r->fd, EPOLLOUT, connect_io, c) != 0) {
			close(r->fd);
			r->fd = -1;
			code = PC_E_SOCKET;
			continue;
		}
		ev_timer_start(&r->timer, (uint64_t)(to ? to : 15) * 1000,
		    connect_timeout, r);
		return;
	}
	finish(r, code);
}

/* ---- ACL ---- */

static int
acl_check(struct request_state *r, const char *user)
{
	const struct pc_acl *acl = &wctx.cfg->acls[wctx.svc->acl];
	struct pc_acl_req    q;
	size_t               rule = (size_t)-1;
	int                  code;

	memset(&q, 0, sizeof(q));
	q.user = user;
	q.client = r->c->client;
	if (r->naddrs > 0)
		q.dst = r->addrs[0];
	q.dst.port = 0;
	/* 0.0.0.0 / :: is no address, except for BIND (2.4) */
	if (r->op != PC_OP_BIND && q.dst.family != 0 && pc_addr_is_any(&q.dst))
		memset(&q.dst, 0, sizeof(q.dst));
	q.host = r->host;
	q.port = r->port;
	q.op = r->op;
	q.op_also = r->op_also;
	q.now = time(NULL);
	q.redirected = r->redirected;
	code = pc_acl_check(acl, &q, &rule);
	if (code == PC_ACL_OK && rule != (size_t)-1 && acl->rules[rule].nolog)
		r->c->nolog = true;
	r->rule = code == PC_ACL_OK ? rule : (size_t)-1;
	return code;
}

/* The bandwidth pipes and connection limits of the allowed request (also
 * with `auth none`: limits apply without an ACL: docs/3proxy-differences.md,
 * decision 3); 10 when a connlim refuses it. */
static int
select_limits(struct request_state *r)
{
	struct pc_acl_req q;

	memset(&q, 0, sizeof(q));
	q.user = r->c->user;
	q.client = r->c->client;
	if (r->naddrs > 0)
		q.dst = r->addrs[0];
	q.dst.port = 0;
	q.host = r->host;
	q.port = r->port;
	q.op = r->op;
	q.op_also = r->op_also;
	q.now = time(NULL);
	bandlim_select(&q, &r->c->bl_in, &r->c->bl_out);
	if (counters_admit(&q, &r->c->ct_in, &r->c->ct_out) != 0)
		return PC_E_LIMIT;
	/* a kept-alive client's next request counts anew */
	connlim_release(&r->c->cl_held);
	return connlim_acquire(&q, &r->c->cl_held);
}

/* ---- the chain ---- */

static void
auth_done(void *arg, uint32_t code, const char *user)
{
	struct request_state *r = arg;

	(void)user;
	r->auth_id = 0;
	if (code == PC_E_OK) {
		r->verified = true;
		r->c->verified = true;
	} else if (code >= PC_E_LIMIT) {
		finish(r, (int)code);     /* 10 and up stop the chain */
		return;
	} else {
		r->last_code = (int)code;
		r->method++;
	}
	step(r);
}

static void
cache_done(void *arg, uint32_t code, const char *user)
{
	struct request_state *r = arg;

	r->auth_id = 0;
	r->cache_asked = true;
	if (code == PC_E_OK && user[0] != '\0') {
		if ((r->cache_user = strdup(user)) == NULL) {
			finish(r, PC_E_NOMEM);
			return;
		}
		conn_set_user(r->c, user);
	} else if (code >= PC_E_LIMIT) {
		finish(r, (int)code);
		return;
	} else {
		r->last_code = PC_E_NOCRED;
		r->method++;
	}
	step(r);
}

static void
nb_done(void *arg, const char *name)
{
	struct request_state *r = arg;

	r->nbq = NULL;
	r->nb_asked = true;
	if (name[0] != '\0') {
		if ((r->nb_user = strdup(name)) == NULL) {
			finish(r, PC_E_NOMEM);
			return;
		}
		conn_set_user(r->c, name);
	}
	step(r);
}

/* Asks the master; false when the request could not even be sent. */
static bool
ask_master(struct request_state *r, enum pc_auth_kind kind)
{
	struct pc_msg_auth_req aq;

	memset(&aq, 0, sizeof(aq));
	aq.svc = wctx.svc_idx;
	aq.client = r->c->client;
	aq.kind = (uint8_t)kind;
	if (r->user != NULL)
		strncpy(aq.user, r->user, sizeof(aq.user) - 1);
	if (r->pass != NULL)
		strncpy(aq.pass, r->pass, sizeof(aq.pass) - 1);
	r->auth_id = ipc_auth(&aq, kind == PC_AUTH_KIND_CACHE ? cache_done :
	    auth_done, r);
	explicit_bzero(aq.pass, sizeof(aq.pass));
	return r->auth_id != 0;
}

static void
resolved(void *arg, enum pc_ecode status, const struct pc_addr *addrs, size_t n)
{
	struct request_state *r = arg;

	r->dq = NULL;
	if (status != PC_E_OK || n == 0) {
		finish(r, status == PC_E_NOMEM ? PC_E_NOMEM : PC_E_RESOLVE);
		return;
	}
	if (n > DNS_MAX_ADDRS)
		n = DNS_MAX_ADDRS;
	memcpy(r->addrs, addrs, n * sizeof(*addrs));
	r->naddrs = n;
	r->resolved = true;
	/* %Q is the requested address: the name's first answer (3proxy) */
	r->c->req = addrs[0];
	r->c->req.port = r->port;
	step(r);
}

/* ---- parents ---- */

static void
chain_done(void *arg, enum pc_ecode code)
{
	struct request_state *r = arg;

	r->chain = NULL;
	finish(r, code);
}

static void
start_chain(struct request_state *r)
{
	struct chain_target t;

	memset(&t, 0, sizeof(t));
	t.host = r->host;
	if (r->naddrs > 0)
		t.addr = r->addrs[0];
	t.port = r->port;
	t.user = r->user;
	t.pass = r->pass;
	t.proxyform = r->proxyform;
	t.parent = r->parent;
	t.http_tunnel = r->http_tunnel;
	r->chain = chain_start(r->c,
	    &wctx.cfg->acls[wctx.svc->acl].rules[r->rule], &t, chain_done, r);
	if (r->chain == NULL)
		finish(r, PC_E_NOMEM);
}

/* Runs the chain from r->method; each async step re-enters here. */
static void
step(struct request_state *r)
{
	const enum pc_auth_type *chain;
	size_t                   n = pc_service_auth(wctx.svc, &chain);
	struct dns_query        *q;

	while (r->method < n) {
		enum pc_auth_type m = chain[r->method];

		const char       *acl_user = NULL;

		if (m == PC_AUTH_STRONG && !r->verified) {
			if (r->user == NULL || r->pass == NULL ||
			    !ask_master(r, PC_AUTH_KIND_PASSWORD)) {
				r->last_code = PC_E_NOCRED;
				r->method++;
				continue;
			}
			return;
		}
		if (m == PC_AUTH_USERONLY && r->user == NULL) {
			r->last_code = PC_E_NOCRED;
			r->method++;
			continue;
		}
		if (m == PC_AUTH_CACHE && !r->cache_asked) {
			if (!ask_master(r, PC_AUTH_KIND_CACHE)) {
				r->last_code = PC_E_NOCRED;
				r->method++;
				continue;
			}
			return;
		}
		if (m == PC_AUTH_NBNAME && !r->nb_asked) {
			r->nbq = nbname_start(&r->c->client, NBNAME_WAIT_MS,
			    nb_done, r);
			if (r->nbq == NULL)
				finish(r, PC_E_NOMEM);
			return;
		}
		if (!r->resolved) {
			/* an answer at hand runs resolved() (and maybe the
			 * protocol's callback, freeing r) before this returns */
			q = dns_resolve(r->host, wctx.svc->fampref, resolved, r);
			if (q != NULL)
				r->dq = q;
			return;
		}
		if (m == PC_AUTH_NONE)
			break;
		if (m == PC_AUTH_STRONG || m == PC_AUTH_USERONLY)
			acl_user = r->user;
		else if (m == PC_AUTH_CACHE)
			acl_user = r->cache_user;
		else if (m == PC_AUTH_NBNAME)
			acl_user = r->nb_user;
		r->last_code = acl_check(r, acl_user);
		if (r->last_code == PC_ACL_OK)
			break;
		r->method++;
	}
	if (r->method >= n) {
		finish(r, r->last_code ? r->last_code : PC_E_NOMATCH);
		return;
	}
	if (select_limits(r) != 0) {
		finish(r, PC_E_LIMIT);   /* connlim: 503, SOCKS reply 2 */
		return;
	}
	if (r->no_connect) {
		finish(r, PC_E_OK);
		return;
	}
	if (chain[r->method] != PC_AUTH_NONE && r->rule != (size_t)-1 &&
	    wctx.cfg->acls[wctx.svc->acl].rules[r->rule].nparents > 0) {
		const struct pc_acl_rule *rule =
		    &wctx.cfg->acls[wctx.svc->acl].rules[r->rule];
		size_t                    local = 0, pop3 = 0, ftp = 0, tls = 0;

		for (size_t i = 0; i < rule->nparents; i++) {
			local += rule->parents[i].local;
			pop3 += rule->parents[i].type == PC_PARENT_POP3;
			ftp += rule->parents[i].type == PC_PARENT_FTP;
			tls += rule->parents[i].type == PC_PARENT_TLS;
		}
		if (local > 0 && r->redirect != NULL) {
			*r->redirect = pop3 > 0 ? REDIRECT_POP3 : ftp > 0 ?
			    REDIRECT_FTP : tls > 0 ? REDIRECT_TLS :
			    REDIRECT_HTTP;
			finish(r, PC_E_OK);
			return;
		}
		if (local < rule->nparents) {
			start_chain(r);
			return;
		}
	}
	connect_next(r);
}

void
request_start(struct conn *c, const struct target_req *t, request_cb *cb)
{
	struct request_state *r = calloc(1, sizeof(*r));

	request_cancel(c);
	if (r == NULL) {
		cb(c, PC_E_NOMEM);
		return;
	}
	r->c = c;
	r->cb = cb;
	r->op = t->op;
	r->op_also = t->op_also;
	c->op = t->op;
	c->verified = false;
	r->port = t->port;
	r->no_connect = t->no_connect;
	r->proxyform = t->proxyform;
	r->http_tunnel = t->http_tunnel;
	r->redirect = t->redirect;
	r->parent = t->parent;
	if (r->redirect != NULL)
		*r->redirect = REDIRECT_NONE;
	r->redirected = t->redirected;
	r->rule = (size_t)-1;
	r->fd = -1;
	c->req_state = r;
	if (pc_strdup_opt(&r->host, t->host) != 0 ||
	    pc_strdup_opt(&r->user, t->user) != 0 ||
	    pc_strdup_opt(&r->pass, t->pass) != 0) {
		finish(r, PC_E_NOMEM);
		return;
	}
	conn_set_user(c, t->user);
	c->req = t->addr;
	c->req.port = t->port;
	if (t->host != NULL) {
		conn_set_host(c, t->host);
	} else {
		r->addrs[0] = t->addr;
		r->addrs[0].port = 0;
		r->naddrs = 1;
		r->resolved = true;
	}
	step(r);
}
