/*
 * Name resolution inside the worker's event loop with c-ares (never glibc's
 * resolver): `nserver` servers in order (or the system resolv.conf read
 * before chroot), `nsrecord` static records, a cache sized by `nscache` that
 * honours TTLs, and `fakeresolve`.  dns_init() runs before chroot.
 */
#ifndef PC_WORKER_DNS_H
#define PC_WORKER_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/addr.h"
#include "common/ecode.h"
#include "policy/policy.h"

#define DNS_MAX_ADDRS 8

/* status PC_E_OK and n >= 1 addresses in preference order, or
 * PC_E_RESOLVE (host not found / timeout), or PC_E_NOMEM.  Ports of addrs are 0. */
typedef void dns_cb(void *arg, enum pc_ecode status,
	    const struct pc_addr *addrs, size_t n);

struct dns_query;

int  dns_init(const struct pc_config *cfg);
/* Literal addresses, nsrecord and cache hits call cb before returning and
 * return NULL.  Otherwise returns a handle; cb is called once later. */
struct dns_query *dns_resolve(const char *name, enum pc_family_pref pref,
	    dns_cb *cb, void *arg);
void dns_cancel(struct dns_query *q);   /* cb will not be called */

/* A DNS message as it is (dnspr: types other than A/AAAA, or -s) sent to
 * the `nserver` servers with their failover, c-ares retrying over TCP when
 * an answer is truncated.  cb gets PC_E_OK and the answer's bytes, or
 * PC_E_RESOLVE (or PC_E_NOMEM) and no bytes.  Returns a handle, or NULL
 * when cb has already run (an immediate failure) or, without calling cb,
 * when n is not a DNS message size or the resolver is not usable (check
 * before: dns_ready). */
typedef void dns_raw_cb(void *arg, enum pc_ecode status, const uint8_t *answer,
	    size_t n);
struct dns_query *dns_forward(const uint8_t *query, size_t n,
	    dns_raw_cb *cb, void *arg);
bool dns_ready(void);      /* servers known: forwarding can work */

#endif
