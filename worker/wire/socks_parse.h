/*
 * SOCKS 4, 4a (the 4A extension note) and 5 (RFC 1928, RFC 1929) wire
 * messages: pure parsers and reply encoders, no I/O, so that
 * tests/fuzz/fuzz_socks.c and tests/unit/test_socks_parse.c can drive them.
 *
 * Each parser takes the bytes received so far and returns the length of
 * the complete message (> 0), 0 when more bytes are needed, or minus the
 * %E code of a malformed message (400-499 are the SOCKS server's protocol
 * errors; our numbering, kept near 3proxy's where the meaning is the same):
 */
#ifndef PC_WORKER_SOCKS_PARSE_H
#define PC_WORKER_SOCKS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#include "common/ecode.h"   /* the SOCKS_E_ codes */

#define SOCKS_NAME_MAX   255

#define SOCKS_CMD_CONNECT 1
#define SOCKS_CMD_BIND    2
#define SOCKS_CMD_UDP     3

#define SOCKS_ATYP_IPV4   1
#define SOCKS_ATYP_NAME   3
#define SOCKS_ATYP_IPV6   4

#define SOCKS5_METHOD_NONE     0x00
#define SOCKS5_METHOD_USERPASS 0x02
#define SOCKS5_METHOD_REFUSE   0xff

struct socks5_greeting {
	bool noauth;     /* 0x00 offered */
	bool userpass;   /* 0x02 offered */
};

struct socks5_userpass {
	char user[SOCKS_NAME_MAX + 1];
	char pass[SOCKS_NAME_MAX + 1];
};

struct socks_req {
	uint8_t        version;   /* 4 or 5 */
	uint8_t        cmd;       /* SOCKS_CMD_ */
	uint8_t        atyp;      /* SOCKS_ATYP_ (SOCKS4a names: NAME) */
	struct pc_addr addr;      /* literal target (IPV4/IPV6), port 0 */
	char           host[SOCKS_NAME_MAX + 1];  /* ATYP_NAME */
	uint16_t       port;
	char           user[SOCKS_NAME_MAX + 1];  /* SOCKS4 user id */
};

/* The first byte of a connection: 4, 5, or -SOCKS_E_VERSION. */
int  socks_version(uint8_t first);

long socks5_parse_greeting(const uint8_t *p, size_t n,
	    struct socks5_greeting *g);
/* Method to answer, as 3proxy 1.0 for its needuser setting (1 default,
 * 0 with -u, 2 with -u2): username/password whenever it is offered and
 * needuser > 0; else "none" when offered, except with needuser 2 (which
 * requires a password); SOCKS5_METHOD_REFUSE when nothing fits.  A
 * client offering only "none" to a service that needs a user gets
 * "none": the request is refused afterwards, by the auth chain, with
 * its target known (3proxy does the same). */
uint8_t socks5_choose_method(const struct socks5_greeting *g,
	    int needuser);
long socks5_parse_userpass(const uint8_t *p, size_t n,
	    struct socks5_userpass *up);
/* Any command value 1-3 is returned as parsed (the caller decides what is
 * supported); others give -SOCKS_E_COMMAND. */
long socks5_parse_request(const uint8_t *p, size_t n, struct socks_req *r);
long socks4_parse_request(const uint8_t *p, size_t n, struct socks_req *r);

/* SOCKS5 reply code for a %E code (3proxy's mapping). */
uint8_t socks5_reply_code(int code);
/* VER REP RSV ATYP BND.ADDR BND.PORT; bnd NULL or family 0 gives
 * 0.0.0.0:0.  Returns the length (10 or 22); out holds 22 bytes. */
size_t socks5_reply(uint8_t rep, const struct pc_addr *bnd, uint8_t *out);
/* VN=0 CD DSTPORT DSTIP (8 bytes); granted 90, rejected 91. */
size_t socks4_reply(bool granted, const struct pc_addr *bnd, uint8_t *out);

/* A SOCKS5 UDP datagram header (RFC 1928 section 7): RSV RSV FRAG ATYP
 * DST.ADDR DST.PORT, then the data.  A fragment (FRAG != 0), an unknown
 * ATYP, an empty name or one with a NUL in it gives -1 (the relay drops
 * the datagram); else 0 with the data at p + data_off. */
struct socks5_udp_hdr {
	struct pc_addr dst;                    /* family 0: a name */
	char           name[SOCKS_NAME_MAX + 1];
	uint16_t       port;
	size_t         data_off;
};
int    socks5_parse_udp(const uint8_t *p, size_t n, struct socks5_udp_hdr *h);
/* The header of a datagram from src: its length h (10 or 22), written to
 * out + SOCKS5_UDP_HDR_MAX - h, so it ends where the data begins. */
#define SOCKS5_UDP_HDR_MAX 22
size_t socks5_udp_header(const struct pc_addr *src,
	    uint8_t out[SOCKS5_UDP_HDR_MAX]);

#endif
