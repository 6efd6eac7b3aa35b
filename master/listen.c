/*
 * Listening sockets.  Each entry is counted by the generations that use it
 * and closed when the last one is freed, which happens only after that
 * generation's workers (which hold their own inherited copies) are gone:
 * the master's copy of a removed listener goes last (docs/architecture.md,
 * "Reload", step 5).
 *
 * Linux refuses to bind a second listening socket over an existing one
 * even with SO_REUSEADDR (for example 127.0.0.1:3128 -> 0.0.0.0:3128), so
 * such a reload fails with "Address already in use" and the running
 * configuration stays; SO_REUSEPORT would accept it but split the queue
 * with a socket that is about to be closed, dropping connections.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "master/listen.h"
#include "master/master.h"

#define LISTEN_BACKLOG 1024

struct listener {
	struct pc_addr addr;
	int            socktype;   /* SOCK_STREAM, or SOCK_DGRAM (udppm) */
	int            fd;
	unsigned       refs;
	uint32_t       gen;        /* last generation that claimed it */
	size_t         svc;        /* ... for which service */
};

static struct listener *tab;
static size_t           ntab;

static void
addr_text(const struct pc_addr *a, char *buf, size_t len)
{
	char ip[PC_ADDRSTRLEN];

	pc_addr_ntop(a, ip, sizeof(ip));
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
	    (unsigned)a->port);
}

static int
bind_one(const struct pc_addr *a, int socktype)
{
	struct sockaddr_storage ss;
	socklen_t               sl = pc_addr_to_sockaddr(a, &ss);
	int                     fd, on = 1, saved;

	if (sl == 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	fd = socket(a->family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/* "::" is the dual-stack wildcard; a specific v6 address is v6 only */
	if (a->family == AF_INET6) {
		int v6only = pc_addr_is_any(a) ? 0 : 1;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only)) == -1)
			goto fail;
	}
	/* accepted sockets inherit TCP_NODELAY (replies are written in
	 * pieces: Nagle must not hold them back), one setsockopt fewer per
	 * connection in the workers */
	if (socktype == SOCK_STREAM && setsockopt(fd, IPPROTO_TCP,
	    TCP_NODELAY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    (socktype == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) == -1))
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static void
unref(size_t i)
{
	if (tab[i].refs > 0 && --tab[i].refs == 0 && tab[i].fd >= 0) {
		close(tab[i].fd);
		tab[i].fd = -1;
	}
}

static int
find(const struct pc_addr *a, int socktype)
{
	for (size_t i = 0; i < ntab; i++)
		if (tab[i].fd >= 0 && tab[i].addr.family == a->family &&
		    tab[i].socktype == socktype &&
		    pc_addr_equal(&tab[i].addr, a))
			return (int)i;
	return -1;
}

static size_t
slot_for(void)
{
	for (size_t i = 0; i < ntab; i++)
		if (tab[i].fd < 0)
			return i;
	tab = xreallocarray(tab, ntab + 1, sizeof(*tab));
	tab[ntab].fd = -1;
	return ntab++;
}

/* Claims address a (of service s) for generation g: the open socket of
 * an earlier generation, or a new one.  *idx receives its table index. */
static int
claim_addr(struct gen *g, size_t s, const struct pc_addr *a, size_t *idx,
    char *err, size_t errlen)
{
	const struct pc_service *svc = &g->cfg->svcs[s];
	char                     at[PC_ADDRSTRLEN + 8];
	int                      type = pc_svc_is_udp(svc->type) ?
	    SOCK_DGRAM : SOCK_STREAM;
	int                      i = find(a, type);
	size_t                   k;

	addr_text(a, at, sizeof(at));
	if (i >= 0 && tab[i].gen == g->id) {
		const struct pc_service *o = &g->cfg->svcs[tab[i].svc];

		snprintf(err, errlen, "%s:%d: %s: cannot listen on %s: "
		    "already used by the service at %s:%d", svc->file,
		    svc->line, pc_svc_type_name(svc->type), at, o->file,
		    o->line);
		return -1;
	}
	if (i < 0) {
		int fd = bind_one(a, type);

		if (fd == -1) {
			snprintf(err, errlen, "%s:%d: %s: cannot listen on "
			    "%s: %s", svc->file, svc->line,
			    pc_svc_type_name(svc->type), at, strerror(errno));
			return -1;
		}
		k = slot_for();
		tab[k].addr = *a;
		tab[k].socktype = type;
		tab[k].fd = fd;
		tab[k].refs = 0;
		i = (int)k;
	}
	tab[i].refs++;
	tab[i].gen = g->id;
	tab[i].svc = s;
	*idx = (size_t)i;
	return 0;
}

static int
claim(struct gen *g, size_t s, char *err, size_t errlen)
{
	const struct pc_service *svc = &g->cfg->svcs[s];

	g->svcs[s].listener = g->svcs[s].back_listener = (size_t)-1;
	/* -r: the service dials out instead of listening */
	if (svc->connback_host == NULL) {
		if (claim_addr(g, s, &svc->listen, &g->svcs[s].listener, err,
		    errlen) != 0)
			return -1;
		g->svcs[s].claimed = true;
	}
	if (svc->backlisten.family != 0) {
		if (claim_addr(g, s, &svc->backlisten,
		    &g->svcs[s].back_listener, err, errlen) != 0)
			return -1;
		g->svcs[s].back_claimed = true;
	}
	return 0;
}

int
listen_claim_gen(struct gen *g, char *err, size_t errlen)
{
	for (size_t s = 0; s < g->cfg->nsvcs; s++) {
		if (claim(g, s, err, errlen) != 0) {
			listen_release_gen(g);
			return -1;
		}
	}
	return 0;
}

void
listen_release_gen(struct gen *g)
{
	for (size_t s = 0; s < g->cfg->nsvcs; s++) {
		if (g->svcs[s].back_claimed) {
			g->svcs[s].back_claimed = false;
			if (tab[g->svcs[s].back_listener].gen == g->id)
				tab[g->svcs[s].back_listener].gen = 0;
			unref(g->svcs[s].back_listener);
		}
		if (!g->svcs[s].claimed)
			continue;
		g->svcs[s].claimed = false;
		if (tab[g->svcs[s].listener].gen == g->id)
			tab[g->svcs[s].listener].gen = 0;
		unref(g->svcs[s].listener);
	}
}

int
listen_fd(size_t idx)
{
	return idx < ntab ? tab[idx].fd : -1;
}
