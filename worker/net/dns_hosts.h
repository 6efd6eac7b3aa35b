/*
 * The hosts file for a server without `nserver`: 3proxy then resolves with
 * the system's resolver, which reads /etc/hosts first, so `localhost` and
 * the names an administrator put there work.  Read once before chroot
 * (the jail has no /etc); with `nserver` it is not read, as in 3proxy.
 */
#ifndef PC_WORKER_DNS_HOSTS_H
#define PC_WORKER_DNS_HOSTS_H

#include <stddef.h>

#include "common/addr.h"
#include "policy/policy.h"

/* Loads path (missing or unreadable: an empty table).  Returns the number
 * of name-address pairs kept. */
size_t dns_hosts_load(const char *path);
/* The addresses of lower-case name in pref order (ports 0), at most max. */
size_t dns_hosts_lookup(const char *name, enum pc_family_pref pref,
	    struct pc_addr *out, size_t max);

#endif
