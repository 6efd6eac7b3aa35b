/*
 * Switching rotated log files.  The live file is recognised by its name:
 * whenever the name computed for "now" differs from the one a generation
 * has open, the period is over.  That makes a clock step or a DST change
 * harmless (same name, same file) and lets a restart continue the live
 * file.  Old files are found by matching the pattern, not by computing
 * "now minus N periods" as 3proxy does, so files left over from a time
 * the server was down are counted too.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/archiver.h"
#include "master/logname.h"
#include "master/logrotate.h"
#include "master/logwrite.h"
#include "master/master.h"

struct oldfile {
	char   name[256];
	time_t key;
};

static time_t next_due;     /* wall-clock second of the next boundary */

static int
by_key_desc(const void *a, const void *b)
{
	const struct oldfile *x = a, *y = b;

	return x->key < y->key ? 1 : x->key > y->key ? -1 : 0;
}

static int
has_key(const struct oldfile *list, size_t n, time_t key)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].key == key)
			return 1;
	return 0;
}

/* Deletes entries of list (sorted newest first) past the keep newest
 * distinct periods. */
static int
delete_old(const char *dir, struct oldfile *list, size_t n, unsigned keep)
{
	unsigned periods = 0;
	int      deleted = 0;

	for (size_t i = 0; i < n; i++) {
		char path[LOGNAME_MAX + 260];

		if (i == 0 || list[i].key != list[i - 1].key)
			periods++;
		if (periods <= keep)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, list[i].name);
		if (unlink(path) == 0) {
			log_info("rotate: deleted %s", path);
			deleted++;
		} else if (errno != ENOENT)
			log_warn("rotate: cannot delete %s", path);
	}
	return deleted;
}

int
logrotate_cleanup(const char *tmpl, int utc, const char *finished,
    const char *live, unsigned keep, const char *ext)
{
	char            dir[LOGNAME_MAX], tmp[LOGNAME_MAX];
	char            livebase[LOGNAME_MAX];
	struct oldfile *list = NULL;
	size_t          n = 0, cap = 0;
	time_t          livekey = (time_t)-1, key;
	DIR            *d;
	struct dirent  *e;
	int             deleted;

	snprintf(tmp, sizeof(tmp), "%s", finished);
	snprintf(dir, sizeof(dir), "%s", dirname(tmp));
	snprintf(livebase, sizeof(livebase), "%s", live);
	if (!logname_match(tmpl, utc, basename(livebase), NULL, &livekey))
		livekey = (time_t)-1;
	if ((d = opendir(dir)) == NULL) {
		log_warn("rotate: cannot read %s", dir);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char        path[LOGNAME_MAX + 260];

		if (strlen(e->d_name) >= sizeof(list->name) ||
		    !logname_match(tmpl, utc, e->d_name, ext, &key) ||
		    key == livekey)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap * 2 + 16;
			list = xreallocarray(list, cap, sizeof(*list));
		}
		snprintf(list[n].name, sizeof(list[n].name), "%s", e->d_name);
		list[n++].key = key;
	}
	closedir(d);
	/* The archiver runs beside us: the finished file may be gone and its
	 * archive not yet listed, but its period still counts as the newest. */
	snprintf(tmp, sizeof(tmp), "%s", finished);
	if (logname_match(tmpl, utc, basename(tmp), ext, &key) &&
	    key != livekey && !has_key(list, n, key)) {
		if (n == cap) {
			cap = cap * 2 + 16;
			list = xreallocarray(list, cap, sizeof(*list));
		}
		snprintf(list[n].name, sizeof(list[n].name), "%s", basename(tmp));
		list[n++].key = key;
	}
	qsort(list, n, sizeof(*list), by_key_desc);
	deleted = delete_old(dir, list, n, keep);
	free(list);
	return deleted;
}

/* The finished file of one target: archive it, then apply `rotate`.
 * rotate and archiver are the newest configuration's. */
static void
finish(const struct pc_logtarget *t, const char *old, const char *live)
{
	const struct pc_config *cfg = M.cur->cfg;
	char                    tmpl[LOGNAME_MAX];

	if (cfg->archiver_argv != NULL && access(old, F_OK) == 0)
		archiver_start(cfg->archiver_argv, cfg->archiver_ext, old);
	if (cfg->rotate > 0 && logname_template(t, tmpl, sizeof(tmpl)) == 0)
		logrotate_cleanup(tmpl, t->utc, old, live, cfg->rotate,
		    cfg->archiver_ext);
}

struct finished {
	const struct pc_logtarget *t;
	char                      *old, *live;
};

static void
rotate_gen(struct gen *g, time_t now, struct finished **fin, size_t *nfin)
{
	for (size_t i = 0; g->lognames != NULL && i < g->cfg->nlogs; i++) {
		const struct pc_logtarget *t = &g->cfg->logs[i];
		char                       name[LOGNAME_MAX];
		char                      *old;

		if (t->kind != PC_LOG_FILE || t->rot == PC_ROT_NONE ||
		    g->lognames[i] == NULL ||
		    logname_expand(t, now, name, sizeof(name)) != 0 ||
		    strcmp(name, g->lognames[i]) == 0)
			continue;
		old = xstrdup(g->lognames[i]);
		if (logs_switch(g, i, name) != 0) {
			free(old);      /* still on the old file; next tick */
			continue;
		}
		for (size_t k = 0; k < *nfin && old != NULL; k++)
			if (strcmp((*fin)[k].old, old) == 0) {
				free(old);
				old = NULL;
			}
		if (old == NULL)
			continue;
		log_info("log %s: period over, now writing %s", old, name);
		*fin = xreallocarray(*fin, *nfin + 1, sizeof(**fin));
		(*fin)[(*nfin)++] = (struct finished){ t, old, xstrdup(name) };
	}
}

/* The earliest boundary of any rotating target after now. */
static time_t
earliest_boundary(time_t now)
{
	time_t next = 0;

	for (struct gen *g = M.gens; g != NULL; g = g->next)
		for (size_t i = 0; i < g->cfg->nlogs; i++) {
			const struct pc_logtarget *t = &g->cfg->logs[i];
			time_t                     b;

			if (t->kind != PC_LOG_FILE || t->rot == PC_ROT_NONE)
				continue;
			b = logname_next(t->rot, t->utc, now);
			if (next == 0 || b < next)
				next = b;
		}
	return next;
}

int64_t
logrotate_tick(void)
{
	time_t           now = time(NULL);
	struct finished *fin = NULL;
	size_t           nfin = 0;

	if (M.cur == NULL)
		return 0;
	for (struct gen *g = M.gens; g != NULL; g = g->next)
		rotate_gen(g, now, &fin, &nfin);
	/* after every generation has left the old files */
	for (size_t k = 0; k < nfin; k++) {
		finish(fin[k].t, fin[k].old, fin[k].live);
		free(fin[k].old);
		free(fin[k].live);
	}
	free(fin);
	if ((next_due = earliest_boundary(now)) == 0)
		return 0;
	/* the loop's clock is monotonic: convert the wall-clock distance */
	return now_ms() + ((int64_t)next_due * 1000 - (int64_t)wall_ms()) + 5;
}

void
logrotate_check(void)
{
	if (next_due != 0 && time(NULL) >= next_due)
		logrotate_tick();
}
