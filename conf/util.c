/* Small helpers shared by the command handlers. */
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "conf/bundle.h"
#include "conf/diag.h"
#include "conf/readfile.h"
#include "conf/state.h"

int
conf_err(struct conf_state *st, const char *tok, const char *fmt, ...)
{
	char    why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return conf_errf(st->err, st->errlen, st->file, st->line, tok, "%s",
	    why);
}

void
conf_warn(struct conf_state *st, const char *fmt, ...)
{
	char    msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_warnf(st->warn, st->file, st->line, "%s", msg);
}

int
conf_uint(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > max)
			return -1;
	}
	if (x < min)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int
conf_addr(const char *s, struct pc_addr *a)
{
	/* the master binds before it could resolve anything; only the one
	 * name every config uses is known */
	if (strcasecmp(s, "localhost") == 0)
		s = "127.0.0.1";
	return pc_addr_parse(s, a);
}

int
conf_addr_arg(struct conf_state *st, const char *s, struct pc_addr *a)
{
	if (strncmp(s, "unix:", 5) == 0)
		return conf_err(st, s, "not supported yet: unix sockets");
	if (conf_addr(s, a) != 0)
		return conf_err(st, s, "invalid address");
	return 0;
}

char *
conf_path(struct conf_state *st, const char *name)
{
	return conf_rooted(st->cfg->chroot, name);
}

const char *
conf_intern(struct pc_config *cfg, const char *s)
{
	char **slot;

	for (size_t i = 0; i < cfg->nstrings; i++)
		if (strcmp(cfg->strings[i], s) == 0)
			return cfg->strings[i];
	slot = conf_push(&cfg->strings, &cfg->nstrings, sizeof(*slot));
	*slot = xstrdup(s);
	return *slot;
}

void *
conf_push(void *arrayp, size_t *n, size_t size)
{
	char *arr, *slot;

	/* arrayp points at some T *: copy it rather than alias it */
	memcpy(&arr, arrayp, sizeof(arr));
	/* capacity is the next power of two at or above n */
	if (*n == 0 || (*n & (*n - 1)) == 0) {
		arr = xreallocarray(arr, *n ? *n * 2 : 1, size);
		memcpy(arrayp, &arr, sizeof(arr));
	}
	slot = arr + *n * size;
	memset(slot, 0, size);
	(*n)++;
	return slot;
}

int
conf_uid(struct conf_state *st, const char *s, uid_t *uid)
{
	struct passwd *pw;
	uint32_t       v;
	int            r;

	if (conf_uint(s, 0, UINT32_MAX - 1, &v) == 0)
		*uid = (uid_t)v;
	else if ((r = conf_bundle_id('U', s, &v)) != 0) {
		if (r < 0)
			return conf_err(st, s, "unknown user");
		*uid = (uid_t)v;
	} else if ((pw = getpwnam(s)) != NULL) {
		*uid = pw->pw_uid;
		conf_bundle_saw_id('U', s, (uint32_t)*uid);
	} else
		return conf_err(st, s, "unknown user");
	if (*uid == 0)
		return conf_err(st, s, "refusing to run as root (uid 0)");
	return 0;
}

int
conf_gid(struct conf_state *st, const char *s, gid_t *gid)
{
	struct group *gr;
	uint32_t      v;
	int           r;

	if (conf_uint(s, 0, UINT32_MAX - 1, &v) == 0)
		*gid = (gid_t)v;
	else if ((r = conf_bundle_id('G', s, &v)) != 0) {
		if (r < 0)
			return conf_err(st, s, "unknown group");
		*gid = (gid_t)v;
	} else if ((gr = getgrnam(s)) != NULL) {
		*gid = gr->gr_gid;
		conf_bundle_saw_id('G', s, (uint32_t)*gid);
	} else
		return conf_err(st, s, "unknown group");
	if (*gid == 0)
		return conf_err(st, s, "refusing to run as group 0");
	return 0;
}
