/*
 * selfloop_target (selfloop.h).  Every service of the configuration
 * counts, not only the worker's own: proxy -> socks -> proxy is the same
 * loop one step longer.  admin answers itself and is not a loop; udppm
 * and dnspr listen on UDP, which a TCP connect does not reach; a
 * connect-back service (-r) listens nowhere, but tcppm -R's connect-back
 * listener does.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/core/conn.h"
#include "worker/net/selfloop.h"

/* dst's address is one of this host's: bind() on it succeeds (a
 * datagram socket, port 0: no port is taken, nothing is sent). */
static bool
is_local(const struct pc_addr *dst)
{
	struct pc_addr          a = *dst;
	struct sockaddr_storage ss;
	socklen_t               len;
	int                     fd, rc;

	if (pc_addr_is_any(dst))
		return true;
	a.port = 0;
	len = pc_addr_to_sockaddr(&a, &ss);
	if (len == 0)
		return false;
	fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	rc = bind(fd, (struct sockaddr *)&ss, len);
	close(fd);
	return rc == 0;
}

/* dst reaches the listener l (its address with its port). */
static bool
reaches(const struct pc_addr *l, const struct pc_addr *dst, bool *probed,
    bool *local)
{
	if (l->family == 0 || l->port != dst->port)
		return false;
	if (pc_addr_is_any(dst))
		return true;
	if (pc_addr_is_any(l)) {
		/* :: takes IPv4 too (unless v6only): any family matches */
		if (l->family == AF_INET && dst->family != AF_INET)
			return false;
		if (!*probed) {
			*local = is_local(dst);
			*probed = true;
		}
		return *local;
	}
	return l->family == dst->family &&
	    memcmp(l->ip, dst->ip, l->family == AF_INET ? 4 : 16) == 0;
}

bool
selfloop_target(const struct pc_addr *dst)
{
	const struct pc_config *cfg = wctx.cfg;
	bool                    probed = false, local = false;

	if (dst->family == 0 || dst->port == 0)
		return false;
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct pc_service *s = &cfg->svcs[i];

		if (s->type == PC_SVC_ADMIN || s->type == PC_SVC_UDPPM ||
		    s->type == PC_SVC_DNSPR)
			continue;
		if (s->connback_host == NULL &&
		    reaches(&s->listen, dst, &probed, &local))
			return true;
		if (reaches(&s->backlisten, dst, &probed, &local))
			return true;
	}
	return false;
}
