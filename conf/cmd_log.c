/*
 * `log` and `logformat`: snapshot state, like 3proxy, where a service logs
 * only if a `log` line came before it (3proxy-language.md 3.4, 3.6).  The
 * master opens the targets and interprets the format; here they are only
 * recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "conf/state.h"

int
conf_log_target(struct conf_state *st, enum pc_logkind kind,
    const char *path)
{
	struct pc_config    *cfg = st->cfg;
	struct pc_logtarget *t;

	/* one target per file, so the master opens each file once */
	for (size_t i = 0; i < cfg->nlogs; i++) {
		t = &cfg->logs[i];
		if (t->kind == kind && (path == NULL ||
		    strcmp(t->path, path) == 0))
			return (int)i;
	}
	t = conf_push(&cfg->logs, &cfg->nlogs, sizeof(*t));
	t->kind = kind;
	t->path = path != NULL ? xstrdup(path) : NULL;
	return (int)(cfg->nlogs - 1);
}

int
cmd_log(struct conf_state *st, size_t argc, char **argv)
{
	const char *t = argc > 1 ? argv[1] : NULL;

	if (argc > 2)
		return conf_err(st, argv[2], "not supported yet: log rotation");
	if (t == NULL) {
		st->log = conf_log_target(st, PC_LOG_STDOUT, NULL);
		return 0;
	}
	if (t[0] == '@')
		return conf_err(st, t, "not supported yet: syslog");
	if (t[0] == '&')
		return conf_err(st, t, "not supported yet: ODBC");
	if (strcmp(t, "radius") == 0)
		return conf_err(st, t, "not supported yet: RADIUS accounting");
	if (t[0] == '\0')
		return conf_err(st, argv[0], "empty file name");
	if (strcmp(t, "/dev/null") == 0)
		st->log = -1;
	else
		st->log = conf_log_target(st, PC_LOG_FILE, t);
	return 0;
}

int
cmd_logformat(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	free(st->logformat);
	st->logformat = xstrdup(argv[1]);
	return 0;
}
