/*
 * SOCKS BIND and UDP ASSOCIATE (RFC 1928 sections 4, 6, 7; SOCKS4 BIND).
 * proto/socks/socks.c runs the request pipeline without a connect (operation
 * BIND or UDPASSOC, the ACL target being the address in the request),
 * releases its own state and hands the connection over here.
 *
 * BIND: a listening socket on the service's external address (or the
 * address the client reached us on), the first reply with its address
 * and port once it listens (3proxy replies before listen(), so an early
 * peer can be refused), one incoming connection accepted from the
 * requested address (any address when the request names 0.0.0.0), the
 * second reply with the peer, then the bulk relay.
 *
 * UDP ASSOCIATE: a client-side UDP socket on the address the client
 * reached us on (its port in the reply), a server-side socket per family
 * on the external address; client datagrams carry the SOCKS5 UDP header
 * (fragments are dropped), are checked against the ACL per destination
 * (operation UDPASSOC) and sent on; answers come back with the header
 * naming their real source.  Only the client's address may use the
 * association (and its port once the first datagram fixed it); it ends
 * with the TCP connection or after the CONNECTION_LONG idle timeout.
 */
#ifndef PC_WORKER_SOCKS_MORE_H
#define PC_WORKER_SOCKS_MORE_H

#include <stdint.h>

#include "common/addr.h"
#include "worker/core/conn.h"

/* version 4 or 5; want: the peer address of the request (family 0 or
 * any: whoever connects first). */
void socks_bind_start(struct conn *c, uint8_t version,
	    const struct pc_addr *want);
/* hint: the client's UDP source from the request (port 0 or address any:
 * learnt from the first datagram). */
void socks_udp_start(struct conn *c, const struct pc_addr *hint);

#endif
