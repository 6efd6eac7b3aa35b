/*
 * DNS proxy (dnspr.h).  A query is a struct conn (no client socket)
 * living until its answer is sent, so it is logged like any request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "worker/core/conn_life.h"
#include "worker/net/dns.h"
#include "worker/wire/dns_msg.h"
#include "worker/proto/dnspr.h"
#include "worker/proto/proto.h"

#define DGRAM_MAX 65535
#define ANSWER_TTL 60          /* for answers made from the resolver */

struct dnsq {
	struct dns_question q;
	size_t              n;
	struct dns_query   *dq;
	uint8_t             query[];
};

static int            ufd = -1;
static struct ev_io   uio;
static struct pc_addr local;
static uint8_t        buf[DGRAM_MAX];

static void
dnspr_release(struct conn *c)
{
	struct dnsq *d = c->proto_state;

	if (d == NULL)
		return;
	if (d->dq != NULL)
		dns_cancel(d->dq);
	free(d);
	c->proto_state = NULL;
}

static void
dnspr_noop(struct conn *c)
{
	(void)c;
}

const struct proto proto_dnspr = {
	.logname = "DNSPR",
	.start = dnspr_noop,
	.drain = dnspr_noop,
	.release = dnspr_release,
};

static void
set_text(struct conn *c, const struct dns_question *q, const char *addr)
{
	char text[300];

	snprintf(text, sizeof(text), "%04x/%s/%s", (unsigned)q->qtype,
	    q->name, addr);
	conn_set_text(c, text);
}

/* Sends the answer to the client and ends the query with code. */
static void
reply(struct conn *c, const uint8_t *a, size_t n, int code)
{
	struct sockaddr_storage ss;
	socklen_t               len = pc_addr_to_sockaddr(&c->client, &ss);

	if (n > 0 && sendto(ufd, a, n, 0, (struct sockaddr *)&ss, len) >= 0)
		c->bytes_in += n;
	conn_close(c, code);
}

static void
reply_code(struct conn *c, int rcode, int code)
{
	struct dnsq *d = c->proto_state;
	size_t       n = dns_msg_answer(d->query, &d->q, rcode, NULL, 0, 0,
	    buf, sizeof(buf));

	reply(c, buf, n, code);
}

static void
resolved(void *arg, enum pc_ecode status, const struct pc_addr *addrs, size_t n)
{
	struct conn *c = arg;
	struct dnsq *d = c->proto_state;
	char         ip[PC_ADDRSTRLEN] = "";
	size_t       k;

	d->dq = NULL;
	if (status != 0 || n == 0) {
		set_text(c, &d->q, "");
		reply_code(c, DNS_RCODE_NXDOMAIN, PC_E_RESOLVE);
		return;
	}
	pc_addr_ntop(&addrs[0], ip, sizeof(ip));
	set_text(c, &d->q, ip);
	c->remote = addrs[0];
	k = dns_msg_answer(d->query, &d->q, 0, addrs, n, ANSWER_TTL, buf,
	    sizeof(buf));
	reply(c, buf, k, 0);
}

static void
forwarded(void *arg, enum pc_ecode status, const uint8_t *a, size_t n)
{
	struct conn *c = arg;
	struct dnsq *d = c->proto_state;

	d->dq = NULL;
	if (status != 0 || n < 12 || n > sizeof(buf)) {
		reply_code(c, DNS_RCODE_SERVFAIL, PC_E_RESOLVE);
		return;
	}
	memcpy(buf, a, n);
	buf[0] = (uint8_t)(d->q.id >> 8);    /* the client's id back */
	buf[1] = (uint8_t)d->q.id;
	reply(c, buf, n, 0);
}

static int
acl_code(struct conn *c, const struct dns_question *q)
{
	const struct pc_acl     *acl = &wctx.cfg->acls[wctx.svc->acl];
	const enum pc_auth_type *chain;
	struct pc_acl_req        r;

	if (pc_service_auth(wctx.svc, &chain) == 1 &&
	    chain[0] == PC_AUTH_NONE)
		return 0;
	memset(&r, 0, sizeof(r));
	r.client = c->client;
	r.host = q->name;
	r.port = 53;
	r.op = PC_OP_DNSRESOLVE;
	r.now = time(NULL);
	return pc_acl_check(acl, &r, NULL);
}

static void
one_query(const struct pc_addr *from, const uint8_t *p, size_t n)
{
	const struct pc_service *svc = wctx.svc;
	struct conn             *c;
	struct dnsq             *d;
	struct dns_query        *q;
	int                      code;

	if (conn_active_count() >= (svc->maxconn ? svc->maxconn : 500))
		return;
	if ((c = conn_new(-1, from, &local)) == NULL)
		return;
	if ((d = calloc(1, sizeof(*d) + n)) == NULL) {
		conn_close(c, PC_E_NOMEM);
		return;
	}
	c->proto_state = d;
	memcpy(d->query, p, n);
	d->n = n;
	c->bytes_out = n;
	if (dns_msg_parse_query(p, n, &d->q) != 0) {
		conn_set_text(c, "malformed query");
		if (n >= 12) {
			d->q.qlen = 12;
			reply_code(c, 1, 813);       /* FORMERR */
		} else {
			conn_close(c, DNSPR_E_FORMERR);
		}
		return;
	}
	set_text(c, &d->q, "");
	conn_set_host(c, d->q.name);
	if ((code = acl_code(c, &d->q)) != 0) {
		reply_code(c, DNS_RCODE_REFUSED, code);
		return;
	}
	if (!svc->single && d->q.qclass == 1 &&
	    (d->q.qtype == DNS_TYPE_A || d->q.qtype == DNS_TYPE_AAAA)) {
		q = dns_resolve(d->q.name, d->q.qtype == DNS_TYPE_A ?
		    PC_FAM_4 : PC_FAM_6, resolved, c);
		if (q != NULL)
			d->dq = q;
		return;
	}
	if (!dns_ready()) {
		reply_code(c, DNS_RCODE_SERVFAIL, PC_E_RESOLVE);
		return;
	}
	q = dns_forward(p, n, forwarded, c);
	if (q != NULL)
		d->dq = q;
}

static void
on_dgram(struct ev_io *io, uint32_t revents)
{
	struct sockaddr_storage ss;
	socklen_t               len;
	struct pc_addr          from;
	ssize_t                 k;

	(void)io;
	(void)revents;
	for (int i = 0; i < 64; i++) {
		len = sizeof(ss);
		k = recvfrom(ufd, buf, sizeof(buf), 0, (struct sockaddr *)&ss,
		    &len);
		if (k < 0)
			return;
		pc_addr_from_sockaddr(&from, (struct sockaddr *)&ss);
		one_query(&from, buf, (size_t)k);
	}
}

void
dnspr_stop(void)
{
	ev_io_del(&uio);
}

int
dnspr_init(int udp_fd)
{
	struct sockaddr_storage ss;
	socklen_t               len = sizeof(ss);

	ufd = udp_fd;
	if (getsockname(ufd, (struct sockaddr *)&ss, &len) == 0)
		pc_addr_from_sockaddr(&local, (struct sockaddr *)&ss);
	return ev_io_add(&uio, ufd, EPOLLIN, on_dgram, NULL);
}
