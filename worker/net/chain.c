/*
 * The parent chain (chain.h): pick, resolve hop names, connect to the
 * first hop, then one handshake per hop, each asking for the next hop or,
 * at the last, for the target.
 *
 * Replies are read exactly: a hop's reply is followed at once by the
 * stream itself (a server that speaks first, like SMTP, may already have
 * sent its greeting through the tunnel), so a SOCKS reply is read by its
 * length and an HTTP reply head by peeking for its end first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "worker/net/chain.h"
#include "worker/wire/chain_msg.h"
#include "worker/net/chain_pick.h"
#include "worker/net/connect.h"
#include "worker/net/dns.h"

enum phase { PH_RESOLVE, PH_CONNECT, PH_SEND, PH_RECV };
enum step5 { S5_METHOD, S5_AUTH, S5_REQUEST, S5_REPLY_REST };

struct chain {
	struct conn              *c;
	chain_cb                 *cb;
	void                     *arg;
	const struct pc_acl_rule *rule;
	char                     *host, *user, *pass;   /* of the target */
	struct pc_addr            addr;
	uint16_t                  port;
	bool                      proxyform;
	struct chain_parent      *parent;      /* t->parent, or NULL */
	bool                      http_tunnel;

	size_t                    hop[CHAIN_MAX_HOPS];  /* rule->parents idx */
	struct pc_addr            hopaddr[CHAIN_MAX_HOPS];
	size_t                    nhops;
	int                       extip;                /* idx, or -1 */
	uint32_t                  picks;                /* done so far */
	size_t                    next_fallback;        /* into parents */
	int                       last_code;

	enum phase                phase;
	size_t                    cur;      /* hop talked to / resolved */
	enum step5                s5;
	int                       fd;
	struct dns_query         *dq;
	struct ev_timer           timer;
	uint8_t                   buf[CHAIN_REPLY_MAX];
	size_t                    len, off, want;
};

static void attempt(struct chain *ch);
static void resolve_next(struct chain *ch);
static void talk(struct chain *ch);
static void chain_io(struct ev_io *io, uint32_t revents);

/* ---- small helpers ---- */

static uint32_t
rnd(void *arg)
{
	static uint64_t s;

	(void)arg;
	if (s == 0 && (getrandom(&s, sizeof(s), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(s) || s == 0))
		s = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	/* xorshift64* */
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return (uint32_t)((s * 0x2545f4914f6cdd1dull) >> 32);
}

static const struct pc_parent *
hop_parent(const struct chain *ch, size_t i)
{
	return &ch->rule->parents[ch->hop[i]];
}

static bool
sends_name(enum pc_parent_type t)
{
	return t == PC_PARENT_CONNECTP || t == PC_PARENT_SOCKS4P ||
	    t == PC_PARENT_SOCKS5P;
}

/* Whether hop i ends the chain: tcp, or http (proxy form for requests;
 * elsewhere the raw stream), or the last one. */
static bool
ends_chain(const struct chain *ch, size_t i)
{
	enum pc_parent_type t = hop_parent(ch, i)->type;

	if (i + 1 >= ch->nhops || t == PC_PARENT_TCP)
		return true;
	return t == PC_PARENT_HTTP;
}

static void
parked(struct ev_io *io, uint32_t revents)
{
	(void)revents;
	(void)ev_io_mod(io, 0);
}

static void
close_fd(struct chain *ch)
{
	if (ch->fd >= 0) {
		ev_io_forget(&ch->c->sio);
		close(ch->fd);
		ch->fd = -1;
	}
}

static void
finish(struct chain *ch, int code)
{
	chain_cb *cb = ch->cb;
	void     *arg = ch->arg;

	ev_timer_stop(&ch->timer);
	if (code == PC_E_OK) {
		/* c->sio stays registered for the protocol's ev_io_take */
		ev_io_set_cb(&ch->c->sio, parked, ch->c);
		ch->c->hops = (uint16_t)ch->nhops;   /* %h */
		ch->c->sfd = ch->fd;
		ch->fd = -1;
	}
	chain_cancel(ch);
	cb(arg, code);
}

/* A try failed with code: the next pick, or the next fallback. */
static void
failed(struct chain *ch, int code)
{
	ev_timer_stop(&ch->timer);
	if (ch->dq != NULL) {
		dns_cancel(ch->dq);
		ch->dq = NULL;
	}
	close_fd(ch);
	ch->last_code = code;
	attempt(ch);
}

static void
on_timeout(struct ev_timer *t)
{
	struct chain *ch = t->arg;

	failed(ch, ch->phase == PH_CONNECT ? PC_E_CONNECT : PC_E_TIMEOUT);
}

static void
arm(struct chain *ch, int slot)
{
	uint32_t s = wctx.cfg->timeouts[slot];

	ev_timer_start(&ch->timer, (uint64_t)(s ? s : 15) * 1000, on_timeout,
	    ch);
}

/* ---- picking ---- */

static void
attempt(struct chain *ch)
{
	const struct pc_acl_rule *r = ch->rule;
	uint32_t                  picks = wctx.cfg->parentretries;
	size_t                    idx[CHAIN_MAX_HOPS], n = 0;

	if (picks == 0)
		picks = 1;
	if (ch->picks < picks) {
		ch->picks++;
		n = chain_pick(r->parents, r->nparents, rnd, NULL, idx,
		    CHAIN_MAX_HOPS);
	} else {
		while (ch->next_fallback < r->nparents &&
		    r->parents[ch->next_fallback].weight != 0)
			ch->next_fallback++;
		if (ch->next_fallback >= r->nparents) {
			finish(ch, ch->last_code ? ch->last_code :
			    PC_E_CONNECT);
			return;
		}
		idx[n++] = ch->next_fallback++;
	}
	ch->nhops = 0;
	ch->extip = -1;
	for (size_t i = 0; i < n; i++) {
		if (r->parents[idx[i]].local)
			continue;     /* the HTTP handler itself: no hop */
		if (r->parents[idx[i]].type == PC_PARENT_EXTIP)
			ch->extip = (int)idx[i];
		else
			ch->hop[ch->nhops++] = idx[i];
	}
	if (ch->nhops == 0) {
		/* no hop drawn (or only an outgoing address): go direct */
		ch->cur = 0;
		ch->phase = PH_RESOLVE;
		resolve_next(ch);
		return;
	}
	ch->cur = 0;
	ch->phase = PH_RESOLVE;
	resolve_next(ch);
}

/* ---- resolving hop names ---- */

/* Whether the address of hop i must be known here: the first hop is
 * connected to, a later one is named to a hop that sends addresses. */
static bool
needs_addr(const struct chain *ch, size_t i)
{
	return i == 0 || !sends_name(hop_parent(ch, i - 1)->type);
}

static void connect_first(struct chain *ch);

static void
hop_resolved(void *arg, enum pc_ecode status, const struct pc_addr *addrs,
    size_t n)
{
	struct chain *ch = arg;

	ch->dq = NULL;
	if (status == PC_E_NOMEM) {
		finish(ch, PC_E_NOMEM);
		return;
	}
	if (status != PC_E_OK || n == 0) {
		failed(ch, PC_E_RESOLVE);
		return;
	}
	ch->hopaddr[ch->cur] = addrs[0];
	ch->hopaddr[ch->cur].port = hop_parent(ch, ch->cur)->port;
	ch->cur++;
	resolve_next(ch);
}

static void
resolve_next(struct chain *ch)
{
	while (ch->cur < ch->nhops) {
		const struct pc_parent *p = hop_parent(ch, ch->cur);
		struct dns_query       *q;

		if (p->same_addr) {
			ch->hopaddr[ch->cur] = ch->addr;
			ch->hopaddr[ch->cur].port = p->port;
		} else if (p->addr.family != 0) {
			ch->hopaddr[ch->cur] = p->addr;
			ch->hopaddr[ch->cur].port = p->port;
		} else if (needs_addr(ch, ch->cur)) {
			/* may answer at once (cache, nsrecord): then
			 * hop_resolved has already moved on */
			q = dns_resolve(p->host, PC_FAM_46, hop_resolved, ch);
			if (q != NULL)
				ch->dq = q;
			return;
		} else {
			memset(&ch->hopaddr[ch->cur], 0, sizeof(struct pc_addr));
		}
		ch->cur++;
	}
	connect_first(ch);
}

/* ---- connecting ---- */

static void
connect_first(struct chain *ch)
{
	struct conn          *c = ch->c;
	const struct pc_addr *src = ch->extip >= 0 ?
	    &ch->rule->parents[ch->extip].addr : NULL;
	struct pc_addr        dst;
	int                   code = PC_E_CONNECT;

	if (ch->nhops > 0) {
		dst = ch->hopaddr[0];
	} else {
		if (ch->addr.family == 0) {
			failed(ch, PC_E_RESOLVE);
			return;
		}
		dst = ch->addr;
		dst.port = ch->port;
	}
	if (src != NULL && src->family != dst.family)
		src = NULL;
	ch->phase = PH_CONNECT;
	ch->fd = connect_start_from(&dst, src, &c->ext, &code);
	if (ch->fd < 0) {
		failed(ch, code);
		return;
	}
	c->remote = dst;
	if (ev_io_take(&c->sio, ch->fd, EPOLLOUT, chain_io, ch) != 0) {
		failed(ch, PC_E_SOCKET);
		return;
	}
	arm(ch, PC_TIMEOUT_CONNECT);
}

/* ---- talking to hop ch->cur ---- */

/* What hop ch->cur is asked to reach: the next hop or the target. */
static void
next_target(const struct chain *ch, const char **name,
    const struct pc_addr **addr, uint16_t *port)
{
	size_t i = ch->cur;

	if (!ends_chain(ch, i)) {
		const struct pc_parent *n = hop_parent(ch, i + 1);

		*name = n->addr.family == 0 && !n->same_addr ? n->host : NULL;
		*addr = &ch->hopaddr[i + 1];
		*port = n->port;
	} else {
		*name = ch->host;
		*addr = &ch->addr;
		*port = ch->port;
	}
	if (*addr != NULL && (*addr)->family == 0)
		*addr = NULL;
}

/* The parent's credentials; "*" forwards the client's own. */
static int
creds(const struct chain *ch, const char **user, const char **pass)
{
	const struct pc_parent *p = hop_parent(ch, ch->cur);

	*user = p->user;
	*pass = p->pass;
	if (p->user != NULL && strcmp(p->user, "*") == 0) {
		if (ch->user == NULL)
			return PC_E_NOCRED;
		*user = ch->user;
		*pass = ch->pass;
	}
	return 0;
}

static void
send_msg(struct chain *ch, size_t n, size_t want)
{
	ch->len = n;
	ch->off = 0;
	ch->want = want;
	ch->phase = PH_SEND;
	(void)ev_io_mod(&ch->c->sio, EPOLLOUT);
	arm(ch, PC_TIMEOUT_CHAIN);
}

/* The first message to hop ch->cur; done when it needs none. */
static void
talk(struct chain *ch)
{
	const struct pc_parent *p = hop_parent(ch, ch->cur);
	const struct pc_addr   *addr;
	const char             *name, *user, *pass;
	char                    text[64];
	uint16_t                port;
	size_t                  n;
	int                     code;

	if ((code = creds(ch, &user, &pass)) != 0) {
		failed(ch, code);
		return;
	}
	next_target(ch, &name, &addr, &port);
	if (!sends_name(p->type) && addr != NULL)
		name = NULL;
	/* tcp, and http for anything but the proxy service: the stream */
	if (p->type == PC_PARENT_TCP ||
	    (p->type == PC_PARENT_HTTP && !ch->proxyform && !ch->http_tunnel)) {
		finish(ch, PC_E_OK);
		return;
	}
	if (p->type == PC_PARENT_HTTP && ch->proxyform && ch->parent != NULL) {
		ch->parent->via_http = true;
		if (user != NULL) {
			char b[700];
			bool nomem = false;

			if (chain_msg_basic(b, sizeof(b), user, pass) != 0)
				nomem = (ch->parent->auth = strdup(b)) == NULL;
			explicit_bzero(b, sizeof(b));
			if (nomem) {
				finish(ch, PC_E_NOMEM);
				return;
			}
		}
		finish(ch, PC_E_OK);
		return;
	}
	switch (p->type) {
	case PC_PARENT_HTTP:
	case PC_PARENT_CONNECT:
	case PC_PARENT_CONNECTP:
		if (name == NULL) {
			if (addr == NULL) {
				failed(ch, PC_E_RESOLVE);
				return;
			}
			name = pc_addr_ntop(addr, text, sizeof(text));
		}
		n = chain_msg_connect((char *)ch->buf, sizeof(ch->buf), name,
		    port, user, pass);
		if (n == 0) {
			failed(ch, PC_E_HTTPP_SEND);
			return;
		}
		send_msg(ch, n, 0);
		return;
	case PC_PARENT_SOCKS4:
	case PC_PARENT_SOCKS4P:
		n = chain_msg_socks4(ch->buf, sizeof(ch->buf), addr, name,
		    port, user);
		if (n == 0) {
			failed(ch, PC_E_S4P_TARGET);
			return;
		}
		send_msg(ch, n, 8);
		return;
	case PC_PARENT_SOCKS5:
	case PC_PARENT_SOCKS5P:
		ch->s5 = S5_METHOD;
		send_msg(ch, chain_msg_socks5_greeting(ch->buf, user != NULL),
		    2);
		return;
	default:
		failed(ch, PC_E_PARENT_TYPE);
		return;
	}
}

/* Hop ch->cur answered yes: the next hop, or done. */
static void
hop_done(struct chain *ch)
{
	if (ends_chain(ch, ch->cur)) {
		finish(ch, PC_E_OK);
		return;
	}
	ch->cur++;
	talk(ch);
}

static int
io_code(const struct chain *ch, int kind)
{
	/* kind 0 send failed, 1 closed/short */
	switch (hop_parent(ch, ch->cur)->type) {
	case PC_PARENT_SOCKS4:
	case PC_PARENT_SOCKS4P:
		return kind == 0 ? PC_E_S4P_SEND : PC_E_S4P_REPLY;
	case PC_PARENT_SOCKS5:
	case PC_PARENT_SOCKS5P:
		return PC_E_S5P_IO;
	default:
		return kind == 0 ? PC_E_HTTPP_SEND : PC_E_HTTPP_IO;
	}
}

/* A complete SOCKS5 reply of the current step in ch->buf[0..len). */
static void
socks5_step(struct chain *ch)
{
	const struct pc_parent *p = hop_parent(ch, ch->cur);
	const struct pc_addr   *addr;
	const char             *name, *user, *pass;
	uint16_t                port;
	size_t                  n;
	long                    total;

	(void)creds(ch, &user, &pass);
	switch (ch->s5) {
	case S5_METHOD:
		if (ch->buf[0] != 5) {
			failed(ch, PC_E_S5P_MREPLY);
			return;
		}
		if (ch->buf[1] == 2 && user != NULL) {
			n = chain_msg_socks5_auth(ch->buf, sizeof(ch->buf),
			    user, pass);
			if (n == 0) {
				failed(ch, PC_E_S5P_AREPLY);
				return;
			}
			ch->s5 = S5_AUTH;
			send_msg(ch, n, 2);
			return;
		}
		if (ch->buf[1] != 0) {
			failed(ch, PC_E_S5P_NOMETHOD);
			return;
		}
		break;
	case S5_AUTH:
		if (ch->buf[0] != 1) {
			failed(ch, PC_E_S5P_AREPLY);
			return;
		}
		if (ch->buf[1] != 0) {
			failed(ch, PC_E_S5P_AUTH);
			return;
		}
		break;
	case S5_REQUEST:
		if (ch->buf[0] != 5) {
			failed(ch, PC_E_S5P_REPLY);
			return;
		}
		if (ch->buf[1] != 0) {
			failed(ch, PC_E_S5P_REFUSED);
			return;
		}
		if ((total = chain_msg_socks5_reply_len(ch->buf)) < 0) {
			failed(ch, PC_E_S5P_REPLY);
			return;
		}
		ch->s5 = S5_REPLY_REST;
		ch->want = (size_t)total;
		ch->phase = PH_RECV;
		return;
	case S5_REPLY_REST:
		hop_done(ch);
		return;
	}
	/* method (and auth) done: the CONNECT request */
	next_target(ch, &name, &addr, &port);
	if (!sends_name(p->type) && addr != NULL)
		name = NULL;
	n = chain_msg_socks5_request(ch->buf, sizeof(ch->buf), addr, name,
	    port);
	if (n == 0) {
		failed(ch, PC_E_S5P_TARGET);
		return;
	}
	ch->s5 = S5_REQUEST;
	send_msg(ch, n, 5);
}

/* A whole reply is in ch->buf[0..len). */
static void
reply_in(struct chain *ch)
{
	switch (hop_parent(ch, ch->cur)->type) {
	case PC_PARENT_SOCKS4:
	case PC_PARENT_SOCKS4P: {
		int code = chain_msg_socks4_reply(ch->buf);

		if (code != 0)
			failed(ch, code);
		else
			hop_done(ch);
		return;
	}
	case PC_PARENT_SOCKS5:
	case PC_PARENT_SOCKS5P:
		socks5_step(ch);
		return;
	default:
		hop_done(ch);
		return;
	}
}

/* HTTP reply: peek for the head's end, then take exactly the head. */
static void
recv_http(struct chain *ch)
{
	ssize_t k = recv(ch->fd, ch->buf, sizeof(ch->buf), MSG_PEEK);
	long    head;
	int     status = 0;

	if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
		failed(ch, PC_E_HTTPP_IO);
		return;
	}
	if (k < 0)
		return;
	head = chain_msg_http_reply((const char *)ch->buf, (size_t)k, &status);
	if (head < 0) {
		failed(ch, PC_E_HTTPP_REPLY);
		return;
	}
	if (head == 0)
		return;
	if (recv(ch->fd, ch->buf, (size_t)head, 0) != head) {
		failed(ch, PC_E_HTTPP_IO);
		return;
	}
	if (status < 200 || status > 299) {
		failed(ch, PC_E_HTTPP_REFUSED);
		return;
	}
	hop_done(ch);
}

static void
on_readable(struct chain *ch)
{
	ssize_t k;

	if (ch->want == 0) {
		recv_http(ch);
		return;
	}
	while (ch->len < ch->want) {
		k = recv(ch->fd, ch->buf + ch->len, ch->want - ch->len, 0);
		if (k > 0) {
			ch->len += (size_t)k;
			continue;
		}
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		failed(ch, io_code(ch, 1));
		return;
	}
	reply_in(ch);
}

static void
on_writable(struct chain *ch)
{
	ssize_t k = conn_send(ch->fd, ch->buf + ch->off, ch->len - ch->off);

	if (k < 0) {
		failed(ch, io_code(ch, 0));
		return;
	}
	ch->off += (size_t)k;
	if (ch->off < ch->len)
		return;
	explicit_bzero(ch->buf, ch->len);
	ch->len = 0;
	ch->phase = PH_RECV;
	(void)ev_io_mod(&ch->c->sio, EPOLLIN);
}

static void
chain_io(struct ev_io *io, uint32_t revents)
{
	struct chain *ch = io->arg;
	int           err = 0;
	socklen_t     len = sizeof(err);

	(void)revents;
	switch (ch->phase) {
	case PH_CONNECT:
		if (getsockopt(ch->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err == EINPROGRESS || err == EALREADY)
			return;
		if (err != 0) {
			failed(ch, PC_E_CONNECT);
			return;
		}
		ev_timer_stop(&ch->timer);
		if (ch->nhops == 0) {
			finish(ch, PC_E_OK);
			return;
		}
		ch->cur = 0;
		talk(ch);
		return;
	case PH_SEND:
		on_writable(ch);
		return;
	case PH_RECV:
		on_readable(ch);
		return;
	default:
		return;
	}
}

/* ---- API ---- */

static void
kick(struct ev_timer *t)
{
	attempt(t->arg);
}

struct chain *
chain_start(struct conn *c, const struct pc_acl_rule *rule,
    const struct chain_target *t, chain_cb *cb, void *arg)
{
	struct chain *ch = calloc(1, sizeof(*ch));

	if (ch == NULL)
		return NULL;
	ch->fd = -1;
	if (pc_strdup_opt(&ch->host, t->host) != 0 ||
	    pc_strdup_opt(&ch->user, t->user) != 0 ||
	    pc_strdup_opt(&ch->pass, t->pass) != 0) {
		chain_cancel(ch);
		return NULL;
	}
	ch->c = c;
	ch->cb = cb;
	ch->arg = arg;
	ch->rule = rule;
	ch->addr = t->addr;
	ch->addr.port = 0;
	ch->port = t->port;
	ch->proxyform = t->proxyform;
	ch->http_tunnel = t->http_tunnel;
	ch->parent = t->parent;
	if (ch->parent != NULL)
		chain_parent_clear(ch->parent);
	/* the first try runs from the loop, so cb never runs before we
	 * return */
	ev_timer_start(&ch->timer, 0, kick, ch);
	return ch;
}

void
chain_parent_clear(struct chain_parent *p)
{
	p->via_http = false;
	if (p->auth != NULL) {
		explicit_bzero(p->auth, strlen(p->auth));
		free(p->auth);
		p->auth = NULL;
	}
}

void
chain_cancel(struct chain *ch)
{
	if (ch == NULL)
		return;
	ev_timer_stop(&ch->timer);
	if (ch->dq != NULL)
		dns_cancel(ch->dq);
	close_fd(ch);
	free(ch->host);
	if (ch->user != NULL) {
		explicit_bzero(ch->user, strlen(ch->user));
		free(ch->user);
	}
	if (ch->pass != NULL) {
		explicit_bzero(ch->pass, strlen(ch->pass));
		free(ch->pass);
	}
	explicit_bzero(ch->buf, sizeof(ch->buf));
	free(ch);
}
