/*
 * The `tlspr` service, an SNI gateway (3proxy 0.9+, tlspr.8): the
 * client's TLS ClientHello is read without decrypting anything
 * (worker/wire/tls_hello.c, which reassembles a hello split over TCP
 * segments and TLS records), its server name becomes the destination
 * (port -P, default 443) and goes through the request pipeline (auth,
 * resolution, ACL with operation CONNECT, connect or parents), then the
 * hello and everything after it are relayed untouched.
 *
 * %n is the server name; %T is "VERSION NAME ALPN" as 3proxy writes it
 * ("TLSv1.3 www.example.com h2", "-" for what is missing).  Failures:
 * the pipeline's codes (1 denied, 4-8, 100 ...); 301 not a TLS
 * handshake, 302 a bad record, 303 not a ClientHello, 304 a hello too
 * long, 305 malformed, 306 an unusable server name, 307 no server name
 * (with -c1 also a hello without one: there is no destination either
 * way), 308 the client closed or timed out before its hello was whole.
 * A TLS client is sent nothing: the connection is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/net/redirect.h"
#include "worker/net/relay.h"
#include "worker/net/request.h"
#include "worker/proto/proto.h"
#include "common/ecode.h"
#include "worker/wire/tls_hello.h"

#define TLSPR_BUF (TLS_HELLO_MAX + 4096)   /* the hello's records */


struct tlspr_state {
	size_t   len;
	uint16_t port;          /* the destination's: -P, or the SOCKS one */
	bool     redirected;    /* came from socks (parent 1000 tls ...) */
	char     user[256];     /* its SOCKS credentials, or "" */
	char     pass[256];
	uint8_t  buf[TLSPR_BUF];
};

static void tlspr_client_io(struct ev_io *io, uint32_t revents);
static void tlspr_release(struct conn *c);

static void
tlspr_timeout(struct ev_timer *t)
{
	conn_close(t->arg, TLSPR_E_EARLY);
}

static struct tlspr_state *
state_new(struct conn *c)
{
	struct tlspr_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		conn_close(c, PC_E_NOMEM);
		return NULL;
	}
	st->port = wctx.svc->target_port;
	c->proto_state = st;
	ev_timer_start(&c->timer,
	    (uint64_t)wctx.cfg->timeouts[PC_TIMEOUT_STRING_LONG] * 1000,
	    tlspr_timeout, c);
	return st;
}

static void
tlspr_start(struct conn *c)
{
	if (state_new(c) == NULL)
		return;
	if (ev_io_add(&c->cio, c->cfd, EPOLLIN, tlspr_client_io, c) != 0)
		conn_close(c, PC_E_SYSTEM);
}

static void feed(struct conn *c);

void
tlspr_takeover(struct conn *c, const void *early, size_t n,
    const char *user, const char *pass)
{
	struct tlspr_state *st;

	c->proto = &proto_tlspr;
	if ((st = state_new(c)) == NULL)
		return;
	st->port = c->req.port;      /* the SOCKS request's */
	st->redirected = true;
	if (user != NULL)
		snprintf(st->user, sizeof(st->user), "%s", user);
	if (pass != NULL)
		snprintf(st->pass, sizeof(st->pass), "%s", pass);
	if (n > sizeof(st->buf))
		n = sizeof(st->buf);
	memcpy(st->buf, early, n);
	st->len = n;
	c->start_ms = ev_wallclock_ms();
	if (ev_io_take(&c->cio, c->cfd, EPOLLIN, tlspr_client_io, c) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	if (n > 0)
		feed(c);
}

static void
connected(struct conn *c, enum pc_ecode code)
{
	struct tlspr_state *st = c->proto_state;

	if (code != 0) {
		conn_close(c, code);
		return;
	}
	c->bytes_out += st->len;     /* the relay counts what it reads */
	relay_start(c, st->buf, st->len, NULL, 0, 0);
	if (!c->closing) {
		tlspr_release(c);       /* the relay copied what it needs */
	}
}

static void
hello(struct conn *c, const struct tls_hello *h)
{
	struct tlspr_state *st = c->proto_state;
	struct target_req t;
	char              text[TLS_SNI_MAX + TLS_ALPN_MAX + 32], v[16];

	snprintf(text, sizeof(text), "%s %s %s",
	    tls_version_name(h, v, sizeof(v)), h->sni[0] ? h->sni : "-",
	    h->alpn[0] ? h->alpn : "-");
	conn_set_text(c, text);
	if (h->sni[0] == '\0') {
		conn_close(c, TLSPR_E_NOSNI);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.op = PC_OP_CONNECT;
	t.port = st->port;
	t.redirected = st->redirected;
	if (st->user[0] != '\0') {
		t.user = st->user;
		t.pass = st->pass[0] != '\0' ? st->pass : NULL;
	}
	if (pc_addr_parse(h->sni, &t.addr) != 0)
		t.host = h->sni;
	ev_timer_stop(&c->timer);
	/* the pipeline owns the connection now; the hello waits in buf */
	if (ev_io_mod(&c->cio, 0) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	request_start(c, &t, connected);
}

static void
tlspr_client_io(struct ev_io *io, uint32_t revents)
{
	struct conn        *c = io->arg;
	struct tlspr_state *st = c->proto_state;
	ssize_t             n;

	if (c->closing || st == NULL)
		return;
	if (c->req_state != NULL) {
		/* only errors arrive here while the pipeline runs */
		if (revents & (EPOLLERR | EPOLLHUP))
			conn_close(c, TLSPR_E_EARLY);
		return;
	}
	n = read(c->cfd, st->buf + st->len, sizeof(st->buf) - st->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c, TLSPR_E_EARLY);
		return;
	}
	st->len += (size_t)n;
	feed(c);
}

/* The hello so far: on to the pipeline when it is whole. */
static void
feed(struct conn *c)
{
	struct tlspr_state *st = c->proto_state;
	struct tls_hello    h;
	long                r;

	r = tls_hello_parse(st->buf, st->len, &h);
	if (r < 0) {
		conn_close(c, TLSPR_E_BASE - (int)r);
		return;
	}
	if (r == 0) {
		if (st->len == sizeof(st->buf))
			conn_close(c, TLSPR_E_BASE + TLS_E_BIG);
		return;
	}
	hello(c, &h);
}

static void
tlspr_drain(struct conn *c)
{
	(void)c;   /* a hello is short; a tunnel is the relay's business */
}

static void
tlspr_release(struct conn *c)
{
	if (c->proto_state != NULL)
		explicit_bzero(c->proto_state, sizeof(struct tlspr_state));
	free(c->proto_state);
	c->proto_state = NULL;
}

const struct proto proto_tlspr = {
	.logname = "TLSPR",
	.start = tlspr_start,
	.drain = tlspr_drain,
	.release = tlspr_release,
};
