/*
 * DNS messages for `dnspr` (RFC 1035 4.1): reading the question of a
 * query, and writing an answer with A/AAAA records or an error code.
 * Pure functions over buffers.
 */
#ifndef PC_WORKER_DNS_MSG_H
#define PC_WORKER_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define DNS_TYPE_A    1
#define DNS_TYPE_AAAA 28
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_REFUSED  5

struct dns_question {
	uint16_t id;
	uint16_t flags;
	uint16_t qtype, qclass;
	char     name[256];   /* dotted, lower case, no trailing dot */
	size_t   qlen;        /* bytes of header + question */
};

/* 0 and q filled for a standard query (QR 0, opcode 0) with exactly one
 * question of uncompressed labels, else -1. */
int    dns_msg_parse_query(const uint8_t *p, size_t n,
	    struct dns_question *q);
/* An answer to query p (its header and question copied, id kept): rcode,
 * and n addresses of the question's type (others skipped) with ttl.
 * Returns its length, 0 when cap is too small. */
size_t dns_msg_answer(const uint8_t *query, const struct dns_question *q,
	    int rcode, const struct pc_addr *addrs, size_t n, uint32_t ttl,
	    uint8_t *out, size_t cap);

#endif
