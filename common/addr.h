/*
 * Addresses: one fixed-size, family-tagged form (struct pc_addr) used by the
 * policy, the IPC records and the workers, with parsing of the textual forms
 * the 3proxy language allows (bare IPv4/IPv6, bracketed "[v6]", CIDR, ranges)
 * and conversion to and from struct sockaddr.
 */
#ifndef PC_COMMON_ADDR_H
#define PC_COMMON_ADDR_H

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>

struct pc_addr {
	uint8_t  family;   /* 0 = none, AF_INET or AF_INET6 */
	uint8_t  pad;
	uint16_t port;     /* host byte order; 0 = none */
	uint8_t  ip[16];   /* network order; IPv4 in the first 4 bytes */
};

/* An inclusive range of addresses of one family (a CIDR is a range). */
struct pc_addrrange {
	uint8_t family;
	uint8_t lo[16];
	uint8_t hi[16];
};

#define PC_ADDRSTRLEN 48   /* "[v6]:65535" fits */

/* "1.2.3.4", "::1", "[::1]" -> a; port left 0.  0 ok, -1 not an address. */
int  pc_addr_parse(const char *s, struct pc_addr *a);
/* "host:port", "[v6]:port", "v4:port"; the address part must be literal. */
int  pc_addr_parse_port(const char *s, struct pc_addr *a);
/* "a", "a/len", "a-b" (same family, a <= b); "*" is not accepted here. */
int  pc_addrrange_parse(const char *s, struct pc_addrrange *r);
int  pc_addrrange_contains(const struct pc_addrrange *r,
	    const struct pc_addr *a);
int  pc_addr_is_any(const struct pc_addr *a);   /* 0.0.0.0 or :: */
int  pc_addr_equal(const struct pc_addr *a, const struct pc_addr *b); /* ip+port */

void pc_addr_from_sockaddr(struct pc_addr *a, const struct sockaddr *sa);
/* returns the sockaddr length, 0 if a has no family */
socklen_t pc_addr_to_sockaddr(const struct pc_addr *a,
	    struct sockaddr_storage *ss);
/* IP only ("1.2.3.4", "::1"); "0.0.0.0" for family 0, as 3proxy logs it */
const char *pc_addr_ntop(const struct pc_addr *a, char *buf, size_t len);

#endif
