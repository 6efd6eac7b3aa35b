/*
 * `log`, `logformat`, `rotate` and `archiver`.  `log` and `logformat` are
 * snapshot state, like 3proxy, where a service logs only if a `log` line
 * came before it (docs/portcullis.cfg.5, STATE AND SERVICES and Access log);
 * `rotate` and `archiver` are global (the last one wins).  The master opens
 * the targets, names and rotates the files; here they are only recorded and
 * checked.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "conf/state.h"

/* Date macros a file template may use; master/logname.c expands them. */
#define FILE_MACROS "YymodHMSt%"

static int
find_or_add(struct conf_state *st, const struct pc_logtarget *want)
{
	struct pc_config    *cfg = st->cfg;
	struct pc_logtarget *t;

	/* one target per file, so the master opens each file once */
	for (size_t i = 0; i < cfg->nlogs; i++) {
		t = &cfg->logs[i];
		if (t->kind == want->kind && t->rot == want->rot &&
		    t->utc == want->utc && (want->path == NULL ||
		    strcmp(t->path, want->path) == 0))
			return (int)i;
	}
	t = conf_push(&cfg->logs, &cfg->nlogs, sizeof(*t));
	*t = *want;
	t->path = want->path != NULL ? xstrdup(want->path) : NULL;
	return (int)(cfg->nlogs - 1);
}

int
conf_log_target(struct conf_state *st, enum pc_logkind kind,
    const char *path)
{
	struct pc_logtarget want = { .kind = kind, .path = (char *)path };

	return find_or_add(st, &want);
}

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* &DSN[,USER[,PASS]] (docs/portcullis.cfg.5, Access log): DSN is a data
 * source name or, when it holds '=', a whole ODBC connection string
 * ("DRIVER=SQLite3;Database=/var/log/p.db"); the master's ODBC helper
 * process connects to it.  Empty USER and PASS are the same as none.
 * spec is the text after '&'; tok names it in errors. */
int
conf_odbc_spec(struct conf_state *st, const char *tok, const char *spec,
    char **dsnp, char **userp, char **passp)
{
	const char *c1 = strchr(spec, ','), *c2;
	char       *dsn, *user = NULL, *pass = NULL;

	c2 = c1 != NULL ? strchr(c1 + 1, ',') : NULL;
	if (c2 != NULL && strchr(c2 + 1, ',') != NULL)
		return conf_err(st, tok, "expected &DSN[,USER[,PASSWORD]]");
	dsn = c1 != NULL ? xstrndup(spec, (size_t)(c1 - spec)) : xstrdup(spec);
	if (dsn[0] == '\0' || strlen(dsn) > 1024) {
		free(dsn);
		return conf_err(st, tok, "empty or over-long ODBC data source");
	}
	if (c1 != NULL && (c2 != NULL ? c2 : c1 + 1 + strlen(c1 + 1)) > c1 + 1)
		user = c2 != NULL ? xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) :
		    xstrdup(c1 + 1);
	if (c2 != NULL && c2[1] != '\0')
		pass = xstrdup(c2 + 1);
	*dsnp = dsn;
	*userp = user;
	*passp = pass;
	return 0;
}

/* `log &DSN[,USER[,PASS]]`: one target per distinct connection. */
int
conf_log_odbc(struct conf_state *st, const char *tok, const char *spec)
{
	struct pc_config    *cfg = st->cfg;
	struct pc_logtarget *t;
	char                *dsn, *user, *pass;

	if (conf_odbc_spec(st, tok, spec, &dsn, &user, &pass) != 0)
		return -1;
	for (size_t i = 0; i < cfg->nlogs; i++) {
		t = &cfg->logs[i];
		if (t->kind == PC_LOG_ODBC && strcmp(t->path, dsn) == 0 &&
		    same_str(t->odbc_user, user) &&
		    same_str(t->odbc_pass, pass)) {
			free(dsn);
			free(user);
			if (pass != NULL)
				explicit_bzero(pass, strlen(pass));
			free(pass);
			return (int)i;
		}
	}
	t = conf_push(&cfg->logs, &cfg->nlogs, sizeof(*t));
	memset(t, 0, sizeof(*t));
	t->kind = PC_LOG_ODBC;
	t->path = dsn;
	t->odbc_user = user;
	t->odbc_pass = pass;
	t->odbc_pass_set = pass != NULL;
	return (int)(cfg->nlogs - 1);
}

static int
rotation(struct conf_state *st, const char *type, enum pc_logrot *rot)
{
	static const struct { char c; enum pc_logrot r; } t[] = {
		{ 'C', PC_ROT_MINUTE }, { 'H', PC_ROT_HOUR },
		{ 'D', PC_ROT_DAY }, { 'W', PC_ROT_WEEK },
		{ 'M', PC_ROT_MONTH }, { 'Y', PC_ROT_YEAR },
	};

	*rot = PC_ROT_NONE;
	if (type == NULL)
		return 0;
	/* 3proxy looks at the first letter only, in either case */
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (toupper((unsigned char)type[0]) == t[i].c) {
			*rot = t[i].r;
			return 0;
		}
	/* docs/3proxy-differences.md, decision 19: 3proxy would write to a
	 * garbage file name */
	return conf_err(st, type, "unknown log rotation type (expected C, "
	    "H, D, W, M or Y)");
}

int
conf_log_file(struct conf_state *st, const char *tok, const char *path,
    const char *type)
{
	struct pc_logtarget want = { .kind = PC_LOG_FILE, .path = (char *)path };

	if (rotation(st, type, &want.rot) != 0)
		return -1;
	want.pattern = strchr(path, '%') != NULL;
	/* docs/3proxy-differences.md, decision 10: the man page's L/G
	 * time-zone letter is accepted in front of a template
	 * ("G/var/log/%Y%m%d.log"), local time without */
	if (want.pattern && (path[0] == 'L' || path[0] == 'G') &&
	    (path[1] == '/' || path[1] == '%')) {
		want.utc = path[0] == 'G';
		want.path = (char *)path + 1;
	}
	for (const char *p = strchr(want.path, '%'); p != NULL;
	    p = strchr(p + 2, '%')) {
		if (p[1] == '\0' || strchr(FILE_MACROS, p[1]) == NULL)
			return conf_err(st, tok, "unknown macro %%%.1s in a log "
			    "file name (date macros only: %%Y %%y %%m %%o %%d "
			    "%%H %%M %%S %%t %%%%)", p + 1);
	}
	if (want.path[0] == '\0')
		return conf_err(st, tok, "empty file name");
	if (st->cfg->chroot != NULL) {
		char *full = conf_path(st, want.path);
		int   rc;

		want.path = full;
		rc = find_or_add(st, &want);
		free(full);
		return rc;
	}
	return find_or_add(st, &want);
}

int
cmd_log(struct conf_state *st, size_t argc, char **argv)
{
	const char *t = argc > 1 ? argv[1] : NULL;
	const char *type = argc > 2 ? argv[2] : NULL;
	int         l;

	if (t == NULL) {
		st->log = conf_log_target(st, PC_LOG_STDOUT, NULL);
		return 0;
	}
	if (t[0] == '&' && type != NULL)
		return conf_err(st, type, "a rotation type needs a log file");
	if (t[0] == '&') {
		if ((l = conf_log_odbc(st, t, t + 1)) < 0)
			return -1;
		st->log = l;
		return 0;
	}
	if (strcmp(t, "radius") == 0)
		return conf_err(st, t, "not supported yet: RADIUS accounting");
	if (type != NULL && (t[0] == '@' || strcmp(t, "/dev/null") == 0))
		return conf_err(st, type, "a rotation type needs a log file");
	if (t[0] == '@') {
		if (t[1] == '\0')
			return conf_err(st, t, "empty syslog ident");
		st->log = conf_log_target(st, PC_LOG_SYSLOG, t + 1);
		return 0;
	}
	if (t[0] == '\0')
		return conf_err(st, argv[0], "empty file name");
	if (strcmp(t, "/dev/null") == 0) {
		st->log = -1;
		return 0;
	}
	if ((l = conf_log_file(st, t, t, type)) < 0)
		return -1;
	st->log = l;
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

int
cmd_rotate(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	if (conf_uint(argv[1], 0, 100000, &st->cfg->rotate) != 0)
		return conf_err(st, argv[1], "expected 0..100000");
	return 0;
}

int
cmd_archiver(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config *cfg = st->cfg;
	const char       *ext = argv[1];

	if (ext[0] == '\0' || strchr(ext, '/') != NULL)
		return conf_err(st, ext, "invalid archive extension");
	if (argv[2][0] == '\0')
		return conf_err(st, argv[0], "empty archiver command");
	free(cfg->archiver_ext);
	for (size_t i = 0; cfg->archiver_argv != NULL &&
	    cfg->archiver_argv[i] != NULL; i++)
		free(cfg->archiver_argv[i]);
	free(cfg->archiver_argv);
	cfg->archiver_ext = xstrdup(ext);
	cfg->archiver_argv = xcalloc(argc - 1, sizeof(char *));
	for (size_t i = 2; i < argc; i++)
		cfg->archiver_argv[i - 2] = xstrdup(argv[i]);
	return 0;
}
