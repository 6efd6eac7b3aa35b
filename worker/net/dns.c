/*
 * Name resolution in the worker's event loop (dns.h) with c-ares, never
 * glibc's resolver.
 *
 * dns_init() runs before chroot and the sandbox: it reads resolv.conf (when
 * no `nserver` is given) and lets c-ares seed its query ids, so nothing
 * opens a file afterwards (lookups are "b": DNS only; without `nserver`
 * the hosts file is read here by dns_hosts.c, as the system resolver
 * 3proxy then uses would).  At
 * run time c-ares needs socket(AF_INET/AF_INET6, DGRAM/STREAM), connect,
 * send/sendto/writev, recv/recvfrom/read, close, fcntl/ioctl(FIONBIO),
 * setsockopt, getsockname and getrandom; the seccomp list allows them.
 *
 * Order of answers: c-ares is asked not to sort (its RFC 6724 sort opens
 * probe sockets); addresses are ordered here by the service's -4/-6/-46/-64
 * preference.  The cache (`nscache` entries, 0 = none) is direct-mapped by
 * a hash of name and preference, honours the answer's TTL and holds
 * positive answers only.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "worker/net/dns.h"
#include "worker/net/dns_hosts.h"
#include "worker/core/ev.h"
#include "worker/core/wstats.h"

#define MAX_SOCKS   16
#define TTL_MIN_S   1
#define TTL_MAX_S   3600
#define NAME_MAX_   255

struct dns_query {
	dns_cb             *cb;
	dns_raw_cb         *rawcb;      /* dns_forward */
	void               *arg;
	bool                cancelled;
	enum pc_family_pref pref;
	char                name[NAME_MAX_ + 1];
};

struct cache_entry {
	uint64_t            expires;    /* ev_now() ms */
	enum pc_family_pref pref;
	size_t              n;
	struct pc_addr      addrs[DNS_MAX_ADDRS];
	char                name[];
};

struct sockwatch {
	ares_socket_t fd;           /* ARES_SOCKET_BAD = free */
	struct ev_io  io;
};

static const struct pc_config *cfg;
static ares_channel            channel;
static bool                    ready;
static struct sockwatch        socks[MAX_SOCKS];
static struct ev_timer         timer;
static struct cache_entry    **cache;
static size_t                  ncache;

static void arm_timer(void);

/* ---- helpers ---- */

static void
lower_copy(char *dst, const char *src, size_t cap)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < cap; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	if (i > 0 && dst[i - 1] == '.')     /* "name." is "name" */
		i--;
	dst[i] = '\0';
}

static uint32_t
hash(const char *s, enum pc_family_pref pref)
{
	uint32_t h = 2166136261u ^ (uint32_t)pref;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* ---- cache ---- */

static const struct cache_entry *
cache_get(const char *name, enum pc_family_pref pref)
{
	struct cache_entry *e;

	if (ncache == 0)
		return NULL;
	e = cache[hash(name, pref) % ncache];
	if (e == NULL || e->pref != pref || strcmp(e->name, name) != 0 ||
	    e->expires <= ev_now())
		return NULL;
	return e;
}

static void
cache_put(const char *name, enum pc_family_pref pref,
    const struct pc_addr *a, size_t n, uint32_t ttl)
{
	struct cache_entry **slot, *e;
	size_t               len = strlen(name) + 1;

	if (ncache == 0 || n == 0)
		return;
	if (ttl < TTL_MIN_S)
		ttl = TTL_MIN_S;
	if (ttl > TTL_MAX_S)
		ttl = TTL_MAX_S;
	slot = &cache[hash(name, pref) % ncache];
	free(*slot);
	if ((e = malloc(sizeof(*e) + len)) == NULL) {
		*slot = NULL;
		return;
	}
	e->expires = ev_now() + (uint64_t)ttl * 1000;
	e->pref = pref;
	e->n = n;
	memcpy(e->addrs, a, n * sizeof(*a));
	memcpy(e->name, name, len);
	*slot = e;
}

/* ---- c-ares sockets in the loop ---- */

static void
process(ares_socket_t rfd, ares_socket_t wfd)
{
	ares_process_fd(channel, rfd, wfd);
	arm_timer();
}

static void
on_sock(struct ev_io *io, uint32_t revents)
{
	ares_socket_t fd = io->fd;

	process(revents & (EPOLLIN | EPOLLHUP | EPOLLERR) ? fd : ARES_SOCKET_BAD,
	    revents & (EPOLLOUT | EPOLLERR) ? fd : ARES_SOCKET_BAD);
}

static void
on_timer(struct ev_timer *t)
{
	(void)t;
	process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

static void
arm_timer(void)
{
	struct timeval tv, *tp = ares_timeout(channel, NULL, &tv);

	if (tp == NULL) {
		ev_timer_stop(&timer);
		return;
	}
	ev_timer_start(&timer, (uint64_t)tp->tv_sec * 1000 +
	    (uint64_t)tp->tv_usec / 1000 + 1, on_timer, NULL);
}

static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct sockwatch *w = NULL, *freew = NULL;
	uint32_t          ev = (readable ? EPOLLIN : 0) |
	    (writable ? EPOLLOUT : 0);

	(void)data;
	for (size_t i = 0; i < MAX_SOCKS; i++) {
		if (socks[i].fd == fd)
			w = &socks[i];
		else if (socks[i].fd == ARES_SOCKET_BAD && freew == NULL)
			freew = &socks[i];
	}
	if (w != NULL && ev == 0) {
		ev_io_del(&w->io);
		w->fd = ARES_SOCKET_BAD;
	} else if (w != NULL) {
		if (ev_io_mod(&w->io, ev) != 0)
			log_warn("dns: epoll_ctl");
	} else if (ev != 0 && freew != NULL) {
		if (ev_io_add(&freew->io, fd, ev, on_sock, NULL) == 0)
			freew->fd = fd;
		else
			log_warn("dns: epoll_ctl");
	} else if (ev != 0) {
		log_warnx("dns: more than %d resolver sockets", MAX_SOCKS);
	}
}

/* ---- answers ---- */

static bool
family_ok(int family, enum pc_family_pref pref)
{
	if (pref == PC_FAM_4)
		return family == AF_INET;
	if (pref == PC_FAM_6)
		return family == AF_INET6;
	return family == AF_INET || family == AF_INET6;
}

/* Collects the addresses of one family first, then the other. */
static size_t
collect(const struct ares_addrinfo *res, enum pc_family_pref pref,
    struct pc_addr *out, uint32_t *ttl)
{
	int    order[2] = { AF_INET, AF_INET6 };
	size_t n = 0;

	if (pref == PC_FAM_64 || pref == PC_FAM_6) {
		order[0] = AF_INET6;
		order[1] = AF_INET;
	}
	*ttl = TTL_MAX_S;
	for (int k = 0; k < 2; k++) {
		for (const struct ares_addrinfo_node *a = res->nodes;
		    a != NULL && n < DNS_MAX_ADDRS; a = a->ai_next) {
			if (a->ai_family != order[k] ||
			    !family_ok(a->ai_family, pref))
				continue;
			pc_addr_from_sockaddr(&out[n], a->ai_addr);
			out[n++].port = 0;
			if (a->ai_ttl >= 0 && (uint32_t)a->ai_ttl < *ttl)
				*ttl = (uint32_t)a->ai_ttl;
		}
	}
	return n;
}

static void
on_answer(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_query *q = arg;
	struct pc_addr    addrs[DNS_MAX_ADDRS];
	uint32_t          ttl = 0;
	size_t            n = 0;

	(void)timeouts;
	if (status == ARES_SUCCESS && res != NULL)
		n = collect(res, q->pref, addrs, &ttl);
	if (res != NULL)
		ares_freeaddrinfo(res);
	if (n == 0)
		wstats.dns_failures++;
	if (!q->cancelled) {
		cache_put(q->name, q->pref, addrs, n, ttl);
		q->cb(q->arg, n > 0 ? PC_E_OK : PC_E_RESOLVE, addrs, n);
	}
	free(q);
}

/* ---- static answers ---- */

static int
static_answer(const char *name, enum pc_family_pref pref, dns_cb *cb,
    void *arg)
{
	const struct cache_entry *e;
	struct pc_addr            a, addrs[DNS_MAX_ADDRS];
	size_t                    n;

	if (pc_addr_parse(name, &a) == 0) {
		a.port = 0;
		cb(arg, PC_E_OK, &a, 1);
		return 1;
	}
	wstats.dns_lookups++;
	for (size_t i = 0; i < cfg->nnsrecords; i++) {
		if (strcmp(cfg->nsrecords[i].name, name) != 0)
			continue;
		a = cfg->nsrecords[i].addr;
		if (pc_addr_is_any(&a)) {
			wstats.dns_failures++;
			cb(arg, PC_E_RESOLVE, NULL, 0);
		}
		else
			cb(arg, PC_E_OK, &a, 1);
		return 1;
	}
	if (cfg->fakeresolve) {
		/* the name goes on to a resolving parent; 3proxy's address */
		memset(&a, 0, sizeof(a));
		a.family = AF_INET;
		a.ip[0] = 127;
		a.ip[3] = 2;
		cb(arg, PC_E_OK, &a, 1);
		return 1;
	}
	if (cfg->nnservers == 0 &&
	    (n = dns_hosts_lookup(name, pref, addrs, DNS_MAX_ADDRS)) > 0) {
		cb(arg, PC_E_OK, addrs, n);
		return 1;
	}
	if ((e = cache_get(name, pref)) != NULL) {
		wstats.dns_hits++;
		cb(arg, PC_E_OK, e->addrs, e->n);
		return 1;
	}
	return 0;
}

struct dns_query *
dns_resolve(const char *name, enum pc_family_pref pref, dns_cb *cb,
    void *arg)
{
	struct ares_addrinfo_hints hints;
	struct dns_query          *q;
	char                       lname[NAME_MAX_ + 1];

	if (name == NULL || strlen(name) > NAME_MAX_ || name[0] == '\0') {
		wstats.dns_lookups++;
		wstats.dns_failures++;
		cb(arg, PC_E_RESOLVE, NULL, 0);
		return NULL;
	}
	lower_copy(lname, name, sizeof(lname));
	if (static_answer(lname, pref, cb, arg))
		return NULL;
	if (!ready) {
		wstats.dns_failures++;
		cb(arg, PC_E_RESOLVE, NULL, 0);
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		cb(arg, PC_E_NOMEM, NULL, 0);
		return NULL;
	}
	q->cb = cb;
	q->arg = arg;
	q->pref = pref;
	memcpy(q->name, lname, sizeof(q->name));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = pref == PC_FAM_4 ? AF_INET :
	    pref == PC_FAM_6 ? AF_INET6 : AF_UNSPEC;
	hints.ai_flags = ARES_AI_NOSORT;
	ares_getaddrinfo(channel, lname, NULL, &hints, on_answer, q);
	arm_timer();
	return q;
}

static bool in_send, sent_done;   /* ares_send answered at once */

static void
on_raw(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;

	(void)timeouts;
	if (in_send)
		sent_done = true;
	/* an answer is an answer, NXDOMAIN and SERVFAIL included: c-ares
	 * reports those as errors but hands the message over */
	(void)status;
	if (!q->cancelled)
		q->rawcb(q->arg, abuf != NULL && alen > 0 ? PC_E_OK :
		    PC_E_RESOLVE, abuf,
		    abuf != NULL && alen > 0 ? (size_t)alen : 0);
	free(q);
}

bool
dns_ready(void)
{
	return ready;
}

struct dns_query *
dns_forward(const uint8_t *query, size_t n, dns_raw_cb *cb, void *arg)
{
	struct dns_query *q;

	if (!ready || n < 12 || n > 65535)
		return NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		cb(arg, PC_E_NOMEM, NULL, 0);
		return NULL;
	}
	q->rawcb = cb;
	q->arg = arg;
	in_send = true;
	sent_done = false;
	ares_send(channel, query, (int)n, on_raw, q);
	in_send = false;
	if (sent_done)
		return NULL;        /* cb has run (and q is gone) */
	arm_timer();
	return q;
}

void
dns_cancel(struct dns_query *q)
{
	/* c-ares still owns the query; on_answer frees it without calling */
	if (q != NULL)
		q->cancelled = true;
}

/* ---- setup ---- */

static int
set_servers(void)
{
	struct ares_addr_port_node nodes[5];
	size_t                     n = cfg->nnservers;

	if (n == 0)
		return 0;
	memset(nodes, 0, sizeof(nodes));
	for (size_t i = 0; i < n; i++) {
		const struct pc_addr *a = &cfg->nservers[i].addr;
		uint16_t              port = a->port ? a->port : 53;

		nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
		nodes[i].family = a->family;
		memcpy(&nodes[i].addr, a->ip, a->family == AF_INET6 ? 16 : 4);
		nodes[i].udp_port = port;
		nodes[i].tcp_port = port;
	}
	return ares_set_servers_ports(channel, nodes) == ARES_SUCCESS ? 0 : -1;
}

int
dns_init(const struct pc_config *c)
{
	struct ares_options o;
	int                 mask, st;
	bool                usevc = false;
	char                lookups[] = "b";

	cfg = c;
	for (size_t i = 0; i < MAX_SOCKS; i++)
		socks[i].fd = ARES_SOCKET_BAD;
	if (c->nscache > 0) {
		ncache = c->nscache;
		/* pointers only; pages are touched as entries arrive */
		cache = xcalloc(ncache, sizeof(*cache));
	}
	for (size_t i = 0; i < c->nnservers; i++)
		usevc |= c->nservers[i].tcp;
	if (c->nnservers == 0)
		(void)dns_hosts_load("/etc/hosts");
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		log_warnx("dns: ares_library_init failed");
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state;
	o.lookups = lookups;
	o.timeout = (int)(c->timeouts[PC_TIMEOUT_DNS] ?
	    c->timeouts[PC_TIMEOUT_DNS] : 5) * 1000 / 2;
	o.tries = 2;
	/* `nserver` order is failover order: no rotation.  c-ares 1.18
	 * cannot mix UDP and TCP servers: one /tcp server makes all TCP */
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES |
	    (usevc ? ARES_FLAG_USEVC : 0);
	mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES | ARES_OPT_FLAGS;
	if ((st = ares_init_options(&channel, &o, mask)) != ARES_SUCCESS) {
		/* no resolv.conf and no nserver: literals and nsrecord only */
		log_warnx("dns: %s", ares_strerror(st));
		return 0;
	}
	if (set_servers() != 0) {
		log_warnx("dns: cannot set the nserver list");
		return -1;
	}
	ready = true;
	return 0;
}
