/*
 * What portcullis says to a parent proxy and how it reads the answers
 * (the client side of HTTP CONNECT, SOCKS4/4a and SOCKS5 with RFC 1929).
 * Pure functions over buffers; worker/net/chain.c does the I/O.
 */
#ifndef PC_WORKER_CHAIN_MSG_H
#define PC_WORKER_CHAIN_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define CHAIN_MSG_MAX  1024   /* any request below fits */
#define CHAIN_REPLY_MAX 4096  /* longest HTTP reply head read from a parent */

/* "CONNECT host:port HTTP/1.1" with Host and, when user is not NULL,
 * Proxy-Authorization: Basic.  An IPv6 host is bracketed.  0 when it does
 * not fit. */
size_t chain_msg_connect(char *out, size_t cap, const char *host,
	    uint16_t port, const char *user, const char *pass);
/* "Basic base64(user:pass)" into out; 0 when it does not fit. */
size_t chain_msg_basic(char *out, size_t cap, const char *user,
	    const char *pass);
/* An HTTP reply head in buf[0..n): its length when the blank line is in
 * (*status set), 0 when more bytes are needed, -1 when malformed or longer
 * than CHAIN_REPLY_MAX. */
long   chain_msg_http_reply(const char *buf, size_t n, int *status);

/* SOCKS4 CONNECT to addr (IPv4), or SOCKS4a to name when name is not NULL;
 * 0 when addr is not IPv4 (and no name) or it does not fit. */
size_t chain_msg_socks4(uint8_t *out, size_t cap, const struct pc_addr *addr,
	    const char *name, uint16_t port, const char *userid);
/* The 8-byte SOCKS4 reply: 0 granted, 43 refused, 42 malformed. */
int    chain_msg_socks4_reply(const uint8_t p[8]);

/* SOCKS5 greeting offering no-auth, and username/password when with_auth. */
size_t chain_msg_socks5_greeting(uint8_t *out, bool with_auth);
/* RFC 1929 request; 0 when a field is longer than 255. */
size_t chain_msg_socks5_auth(uint8_t *out, size_t cap, const char *user,
	    const char *pass);
/* CONNECT request to name (when not NULL, ATYP 3) or addr. */
size_t chain_msg_socks5_request(uint8_t *out, size_t cap,
	    const struct pc_addr *addr, const char *name, uint16_t port);
/* Length of the whole CONNECT reply from its first 5 bytes, or -1 when
 * they are malformed. */
long   chain_msg_socks5_reply_len(const uint8_t p[5]);

#endif
