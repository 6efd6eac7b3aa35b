/*
 * Outgoing connections (connect.h).  IP_BIND_ADDRESS_NO_PORT defers the
 * choice of the local port to connect(), so binding to `external` does not
 * pin one port per connection through TIME_WAIT (3proxy's bind-then-connect
 * collapses bursts of new connections to a few hundred per second).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/core/conn.h"
#include "worker/net/connect.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static int
bind_external(int fd, const struct pc_addr *dst, const struct pc_addr *src)
{
	const struct pc_addr   *ext = src != NULL ? src :
	    dst->family == AF_INET6 ? &wctx.svc->ext6 : &wctx.svc->ext4;
	struct pc_addr          a;
	struct sockaddr_storage ss;
	socklen_t               len;
	int                     one = 1;

	if (ext->family != dst->family || pc_addr_is_any(ext))
		return 0;
	a = *ext;
	a.port = 0;
	len = pc_addr_to_sockaddr(&a, &ss);
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one));
	return bind(fd, (struct sockaddr *)&ss, len);
}

int
connect_start(const struct pc_addr *dst, struct pc_addr *ext, int *code)
{
	return connect_start_from(dst, NULL, ext, code);
}

int
connect_start_from(const struct pc_addr *dst, const struct pc_addr *src,
    struct pc_addr *ext, int *code)
{
	struct sockaddr_storage ss, me;
	socklen_t               len, mlen = sizeof(me);
	int                     fd, one = 1;

	memset(ext, 0, sizeof(*ext));
	len = pc_addr_to_sockaddr(dst, &ss);
	fd = socket(dst->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (len == 0 || fd == -1) {
		if (fd >= 0)
			close(fd);
		*code = PC_E_SOCKET;
		return -1;
	}
	if (bind_external(fd, dst, src) != 0) {
		close(fd);
		*code = PC_E_BIND;
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, len) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		*code = PC_E_CONNECT;
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&me, &mlen) == 0)
		pc_addr_from_sockaddr(ext, (struct sockaddr *)&me);
	return fd;
}
