/*
 * Local redirection (`parent 1000 http 0.0.0.0 0` after an allow on a
 * socks service): once the SOCKS reply is sent, the client's connection
 * is handed to the HTTP proxy handler of the same worker, which reads the
 * HTTP requests the client sends through the "tunnel", walks the ACL
 * again for each (with HTTP operations, as 3proxy does), and logs them
 * with their URLs under the SOCKS service name.
 */
#ifndef PC_WORKER_REDIRECT_H
#define PC_WORKER_REDIRECT_H

#include <stddef.h>

#include "worker/core/conn.h"

/* c->proto_state must be released by the caller first.  early: bytes the
 * client sent after its SOCKS request (the start of the first HTTP
 * request); user/pass: the SOCKS credentials (NULL when none), offered to
 * the HTTP handler's auth chain when a request carries none. */
void http_takeover(struct conn *c, const void *early, size_t n,
	    const char *user, const char *pass);
/* The same for `parent 1000 pop3 0.0.0.0 0`: the POP3 gateway greets
 * the client, a login without '@' goes to the SOCKS target (c->req,
 * c->host), the ACL is walked again with CONNECT. */
void pop3_takeover(struct conn *c, const void *early, size_t n,
	    const char *user, const char *pass);
/* The same for `parent 1000 ftp 0.0.0.0 0`: the FTP proxy greets the
 * client, a login without '@' goes to the SOCKS target, the ACL is
 * walked again with CONNECT and each transfer with its FTP operation. */
void ftp_takeover(struct conn *c, const void *early, size_t n,
	    const char *user, const char *pass);

/* The same for `parent 1000 tls 0.0.0.0 0` (3proxy's): the client's
 * ClientHello, read from the tunnel, names the destination (its server
 * name, on the SOCKS request's port), the ACL is walked again with
 * CONNECT, then the session is relayed untouched. */
void tlspr_takeover(struct conn *c, const void *early, size_t n,
	    const char *user, const char *pass);

#endif
