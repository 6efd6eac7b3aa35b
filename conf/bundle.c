/*
 * Recording and replaying the configuration bundle (bundle.h).  One load
 * at a time (the master's loop and a worker's start are single-threaded):
 * the state is two static pointers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "conf/bundle.h"
#include "conf/conf.h"
#include "conf/diag.h"
#include "conf/readfile.h"

#define MAGIC     "PCBNDL01"
#define MAGIC_LEN 8

/* entry types */
#define E_PATH  'P'   /* top file: key path */
#define E_TEXT  'T'   /* top text: key name, value text */
#define E_JAIL  'J'   /* key chroot, value uid_set gid_set uid gid */
#define E_FILE  'F'   /* key path, value bytes */
#define E_USER  'U'   /* key name, value u32 */
#define E_GROUP 'G'
#define E_NCPU  'C'   /* value u32 */
#define E_SLOTS 'K'   /* value u32 per counter */

static struct conf_bundle *rec;
static const uint8_t      *rp;
static size_t              rlen;

struct jail_ids {
	uint8_t  uid_set, gid_set;
	uint32_t uid, gid;
};

static void
add(struct conf_bundle *b, char type, const void *k, size_t klen,
    const void *v, size_t vlen)
{
	size_t   need = 9 + klen + vlen;
	uint32_t kl = (uint32_t)klen, vl = (uint32_t)vlen;

	if (b->len == 0) {
		b->cap = 4096;
		b->p = xmalloc(b->cap);
		memcpy(b->p, MAGIC, MAGIC_LEN);
		b->len = MAGIC_LEN;
	}
	if (b->cap - b->len < need) {
		size_t ncap = b->cap;

		while (ncap - b->len < need)
			ncap *= 2;
		b->p = conf_wipe_grow(b->p, b->cap, ncap);
		b->cap = ncap;
	}
	b->p[b->len] = (uint8_t)type;
	memcpy(b->p + b->len + 1, &kl, 4);
	memcpy(b->p + b->len + 5, &vl, 4);
	if (klen > 0)
		memcpy(b->p + b->len + 9, k, klen);
	if (vlen > 0)
		memcpy(b->p + b->len + 9 + klen, v, vlen);
	b->len += need;
}

/* The i-th entry from off; 0 at the end, -1 malformed. */
static int
next(const uint8_t *p, size_t len, size_t *off, char *type, const char **k,
    size_t *klen, const uint8_t **v, size_t *vlen)
{
	uint32_t kl, vl;

	if (*off == len)
		return 0;
	if (len - *off < 9)
		return -1;
	memcpy(&kl, p + *off + 1, 4);
	memcpy(&vl, p + *off + 5, 4);
	if ((uint64_t)kl + vl > len - *off - 9)
		return -1;
	*type = (char)p[*off];
	*k = (const char *)p + *off + 9;
	*klen = kl;
	*v = p + *off + 9 + kl;
	*vlen = vl;
	*off += 9 + (size_t)kl + vl;
	return 1;
}

static bool
find(char type, const char *key, const uint8_t **v, size_t *vlen)
{
	size_t      off = MAGIC_LEN, klen, n = key != NULL ? strlen(key) : 0;
	const char *k;
	char        t;

	while (next(rp, rlen, &off, &t, &k, &klen, v, vlen) == 1)
		if (t == type && (key == NULL || (klen == n &&
		    memcmp(k, key, n) == 0)))
			return true;
	return false;
}

int
conf_bundle_file(const char *path, char **buf, size_t *len,
    const char **why)
{
	const uint8_t *v;
	size_t         vlen;

	if (rp == NULL)
		return 0;
	if (!find(E_FILE, path, &v, &vlen)) {
		*why = "not in the master's configuration bundle";
		return -1;
	}
	*buf = xmalloc(vlen + 1);
	memcpy(*buf, v, vlen);
	(*buf)[vlen] = '\0';
	*len = vlen;
	return 1;
}

void
conf_bundle_saw_file(const char *path, const char *buf, size_t len)
{
	if (rec != NULL)
		add(rec, E_FILE, path, strlen(path), buf, len);
}

int
conf_bundle_id(char type, const char *name, uint32_t *id)
{
	const uint8_t *v;
	size_t         vlen;

	if (rp == NULL)
		return 0;
	if (!find(type, name, &v, &vlen) || vlen != 4)
		return -1;
	memcpy(id, v, 4);
	return 1;
}

void
conf_bundle_saw_id(char type, const char *name, uint32_t id)
{
	if (rec != NULL)
		add(rec, type, name, strlen(name), &id, 4);
}

bool
conf_bundle_ncpu(uint32_t *n)
{
	const uint8_t *v;
	size_t         vlen;

	if (rp == NULL || !find(E_NCPU, NULL, &v, &vlen) || vlen != 4)
		return false;
	memcpy(n, v, 4);
	return true;
}

void
conf_bundle_saw_ncpu(uint32_t n)
{
	if (rec != NULL)
		add(rec, E_NCPU, NULL, 0, &n, 4);
}

struct pc_config *
conf_bundle_load(const struct conf_src *src, struct conf_bundle *out,
    char *err, size_t errlen)
{
	struct pc_config *cfg;

	memset(out, 0, sizeof(*out));
	if (src->jail != NULL && src->jail->chroot != NULL) {
		struct jail_ids j = { src->jail->uid_set, src->jail->gid_set,
		    (uint32_t)src->jail->uid, (uint32_t)src->jail->gid };

		add(out, E_JAIL, src->jail->chroot, strlen(src->jail->chroot),
		    &j, sizeof(j));
	}
	if (src->path != NULL)
		add(out, E_PATH, src->path, strlen(src->path), NULL, 0);
	else
		add(out, E_TEXT, src->name, strlen(src->name), src->text,
		    strlen(src->text));
	rec = out;
	if (src->path != NULL)
		cfg = conf_load_in(src->path, src->jail, err, errlen);
	else
		cfg = conf_load_string(src->text, src->name, err, errlen);
	rec = NULL;
	return cfg;
}

void
conf_bundle_add_slots(struct conf_bundle *b, const struct pc_config *c)
{
	uint32_t *s = xcalloc(c->ncounters + 1, sizeof(*s));

	for (size_t i = 0; i < c->ncounters; i++)
		s[i] = c->counters[i].slot;
	add(b, E_SLOTS, NULL, 0, s, c->ncounters * sizeof(*s));
	free(s);
}

static struct pc_config *
replay(char *err, size_t errlen)
{
	struct pc_config  jail = { 0 }, *cfg;
	const uint8_t    *v;
	size_t            vlen, off = MAGIC_LEN, klen;
	const char       *k;
	char              t, *path = NULL, *name = NULL;
	int               r;

	while ((r = next(rp, rlen, &off, &t, &k, &klen, &v, &vlen)) == 1) {
		if (t == E_JAIL && vlen == sizeof(struct jail_ids)) {
			struct jail_ids j;

			memcpy(&j, v, sizeof(j));
			free(jail.chroot);
			jail.chroot = xstrndup(k, klen);
			jail.uid_set = j.uid_set;
			jail.gid_set = j.gid_set;
			jail.uid = (uid_t)j.uid;
			jail.gid = (gid_t)j.gid;
		} else if (t == E_PATH && path == NULL && name == NULL)
			path = xstrndup(k, klen);
		else if (t == E_TEXT && path == NULL && name == NULL)
			name = xstrndup(k, klen);
	}
	if (r < 0 || (path == NULL && name == NULL)) {
		conf_errf(err, errlen, "<bundle>", 0, "bundle", "malformed "
		    "configuration bundle");
		cfg = NULL;
	} else if (path != NULL)
		cfg = conf_load_in(path, jail.chroot != NULL ? &jail : NULL,
		    err, errlen);
	else {
		find(E_TEXT, name, &v, &vlen);
		char *text = xstrndup((const char *)v, vlen);

		cfg = conf_load_string(text, name, err, errlen);
		conf_wipe_free(text, vlen + 1);
	}
	if (cfg != NULL && find(E_SLOTS, NULL, &v, &vlen) &&
	    vlen == cfg->ncounters * sizeof(uint32_t))
		for (size_t i = 0; i < cfg->ncounters; i++)
			memcpy(&cfg->counters[i].slot, v + i * 4, 4);
	free(jail.chroot);
	free(path);
	free(name);
	return cfg;
}

struct pc_config *
conf_bundle_parse(const void *p, size_t len, char *err, size_t errlen)
{
	struct pc_config *cfg;

	if (len < MAGIC_LEN || memcmp(p, MAGIC, MAGIC_LEN) != 0) {
		conf_errf(err, errlen, "<bundle>", 0, "bundle", "not a "
		    "configuration bundle");
		return NULL;
	}
	rp = p;
	rlen = len;
	cfg = replay(err, errlen);
	rp = NULL;
	rlen = 0;
	return cfg;
}

void
conf_bundle_free(struct conf_bundle *b)
{
	conf_wipe_free(b->p, b->cap);
	memset(b, 0, sizeof(*b));
}
