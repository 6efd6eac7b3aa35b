/*
 * The authcache (`authcache FLAGS SECONDS ENTRIES`, `auth cache`), held by
 * the master like the user table: workers ask, never hold entries.
 *
 * An entry is made when a password login succeeds, keyed by what FLAGS
 * name (client address, user, password); `auth cache` then finds it by
 * the same key.  With `limit`, a user is bound to the address of its
 * entry: a login from another address is refused (code 10) until the
 * entry expires.  A reload empties the cache (users may have changed).
 * Bounded: at most ENTRIES; the oldest goes first.
 */
#ifndef PC_MASTER_AUTHCACHE_H
#define PC_MASTER_AUTHCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/addr.h"
#include "policy/policy.h"

void     authcache_reset(const struct pc_authcache *ac);
/* A successful password login: 10 when `limit` binds user to another
 * address (the login is refused), else 0 (and the entry is made). */
uint32_t authcache_login(const struct pc_addr *client, const char *user,
	    const char *pass, time_t now);
/* `auth cache`: 0 and the cached user name in user_out (cap bytes) on a
 * hit, 10 on a `limit` refusal, 4 on a miss. */
uint32_t authcache_lookup(const struct pc_addr *client, const char *user,
	    const char *pass, time_t now, char *user_out, size_t cap);

#endif
