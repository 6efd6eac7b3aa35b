/*
 * `monitor FILE`: the files' modification time and size are compared
 * every 2 s (3proxy looks once a minute).  A file that is missing is part
 * of the state too, so its appearance counts as a change.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/monitor.h"

struct watched {
	char           *path;
	bool            exists;
	struct timespec mtime;
	off_t           size;
};

static struct watched *list;
static size_t          nlist;

static void
look(const char *path, struct watched *out)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) == 0) {
		out->exists = true;
		out->mtime = st.st_mtim;
		out->size = st.st_size;
	}
}

void
monitor_reset(const struct pc_config *cfg)
{
	for (size_t i = 0; i < nlist; i++)
		free(list[i].path);
	free(list);
	list = NULL;
	nlist = cfg->nmonitors;
	if (nlist == 0)
		return;
	list = xcalloc(nlist, sizeof(*list));
	for (size_t i = 0; i < nlist; i++) {
		look(cfg->monitors[i], &list[i]);
		list[i].path = xstrdup(cfg->monitors[i]);
		if (!list[i].exists)
			log_warnx("monitor %s: file does not exist (yet)",
			    list[i].path);
	}
}

bool
monitor_changed(void)
{
	bool changed = false;

	for (size_t i = 0; i < nlist; i++) {
		struct watched now;

		look(list[i].path, &now);
		if (now.exists != list[i].exists || now.size != list[i].size ||
		    now.mtime.tv_sec != list[i].mtime.tv_sec ||
		    now.mtime.tv_nsec != list[i].mtime.tv_nsec) {
			log_info("monitor %s: changed", list[i].path);
			now.path = list[i].path;
			list[i] = now;
			changed = true;
		}
	}
	return changed;
}
