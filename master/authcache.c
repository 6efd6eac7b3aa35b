/*
 * The authcache (authcache.h): entries in a chained hash table, also on
 * an insertion-ordered list for eviction; a second table binds a user to
 * an address for `limit`.
 */
#include <stdlib.h>
#include <string.h>

#include "common/ecode.h"
#include "common/xmalloc.h"
#include "master/authcache.h"

#define NBUCKETS 4096

struct ent {
	struct ent    *hnext;          /* bucket chain */
	struct ent    *older, *newer;  /* insertion order */
	char          *key;            /* flags-dependent, NUL-separated */
	size_t         klen;
	char          *user;
	struct pc_addr ip;
	time_t         expires;
};

struct table {
	struct ent *bucket[NBUCKETS];
	struct ent *oldest, *newest;
	size_t      n;
};

static struct pc_authcache conf;
static struct table        cache, bound;   /* bound: user -> address */

static uint32_t
hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 16777619u;
	return h % NBUCKETS;
}

static void
ent_free(struct ent *e)
{
	explicit_bzero(e->key, e->klen);
	free(e->key);
	free(e->user);
	free(e);
}

static void
unlink_ent(struct table *t, struct ent *e)
{
	struct ent **pp = &t->bucket[hash(e->key, e->klen)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	t->n--;
	ent_free(e);
}

static void
table_clear(struct table *t)
{
	while (t->oldest != NULL)
		unlink_ent(t, t->oldest);
}

static struct ent *
find(struct table *t, const char *key, size_t klen, time_t now)
{
	struct ent *e = t->bucket[hash(key, klen)];

	for (; e != NULL; e = e->hnext)
		if (e->klen == klen && memcmp(e->key, key, klen) == 0)
			break;
	if (e != NULL && e->expires <= now) {
		unlink_ent(t, e);
		return NULL;
	}
	return e;
}

static void
put(struct table *t, const char *key, size_t klen, const char *user,
    const struct pc_addr *ip, time_t now)
{
	struct ent *e = find(t, key, klen, now);
	uint32_t    h;

	if (e != NULL)
		unlink_ent(t, e);
	while (t->n >= conf.max && t->oldest != NULL)
		unlink_ent(t, t->oldest);
	e = xcalloc(1, sizeof(*e));
	e->key = xmalloc(klen);
	memcpy(e->key, key, klen);
	e->klen = klen;
	e->user = xstrdup(user);
	e->ip = *ip;
	e->ip.port = 0;
	e->expires = now + (time_t)conf.ttl_s;
	h = hash(key, klen);
	e->hnext = t->bucket[h];
	t->bucket[h] = e;
	e->older = t->newest;
	if (t->newest != NULL)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
	t->n++;
}

/* The key of (client, user, pass) as the flags select them. */
static size_t
make_key(char *k, size_t cap, const struct pc_addr *client,
    const char *user, const char *pass)
{
	size_t n = 0, l;

	memset(k, 0, cap);
	if (conf.flags & PC_AUTHCACHE_IP) {
		k[n++] = (char)client->family;
		memcpy(k + n, client->ip, 16);
		n += 16;
	}
	k[n++] = '\1';
	if (conf.flags & PC_AUTHCACHE_USER) {
		l = strlen(user);
		memcpy(k + n, user, l);
		n += l;
	}
	k[n++] = '\0';
	if (conf.flags & PC_AUTHCACHE_PASS) {
		l = strlen(pass);
		memcpy(k + n, pass, l);
		n += l;
	}
	return n;
}

void
authcache_reset(const struct pc_authcache *ac)
{
	table_clear(&cache);
	table_clear(&bound);
	conf = *ac;
}

static int
bound_elsewhere(const struct pc_addr *client, const char *user, time_t now)
{
	const struct ent *b;

	if (!(conf.flags & PC_AUTHCACHE_LIMIT))
		return 0;
	b = find(&bound, user, strlen(user), now);
	return b != NULL && (b->ip.family != client->family ||
	    memcmp(b->ip.ip, client->ip, 16) != 0);
}

uint32_t
authcache_login(const struct pc_addr *client, const char *user,
    const char *pass, time_t now)
{
	char   key[16 + 1 + 2 * 256 + 8];
	size_t n;

	if (conf.flags == 0)
		return PC_E_OK;
	if (bound_elsewhere(client, user, now))
		return PC_E_LIMIT;
	n = make_key(key, sizeof(key), client, user, pass);
	put(&cache, key, n, user, client, now);
	if (conf.flags & PC_AUTHCACHE_LIMIT)
		put(&bound, user, strlen(user), user, client, now);
	explicit_bzero(key, sizeof(key));
	return PC_E_OK;
}

uint32_t
authcache_lookup(const struct pc_addr *client, const char *user,
    const char *pass, time_t now, char *user_out, size_t cap)
{
	char              key[16 + 1 + 2 * 256 + 8];
	size_t            n;
	const struct ent *e;

	user_out[0] = '\0';
	if (conf.flags == 0)
		return PC_E_NOCRED;
	/* a key part the client did not send cannot match */
	if (((conf.flags & PC_AUTHCACHE_USER) && user[0] == '\0') ||
	    ((conf.flags & PC_AUTHCACHE_PASS) && pass[0] == '\0'))
		return PC_E_NOCRED;
	n = make_key(key, sizeof(key), client, user, pass);
	e = find(&cache, key, n, now);
	explicit_bzero(key, sizeof(key));
	if (e == NULL)
		return PC_E_NOCRED;
	if (bound_elsewhere(client, e->user, now))
		return PC_E_LIMIT;
	if (strlen(e->user) >= cap)
		return PC_E_NOCRED;
	strcpy(user_out, e->user);
	return PC_E_OK;
}
