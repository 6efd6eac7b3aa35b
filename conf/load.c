/*
 * Loading a configuration: files are read whole, then run line by line
 * through the tokenizer and the command table.  `include` recurses here
 * with its own file name and line count (3proxy keeps counting in the outer
 * file, which gives wrong line numbers afterwards: docs/portcullis.cfg.5,
 * DIFFERENCES FROM 3PROXY). Any error stops loading and frees everything built
 * so far.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "conf/bundle.h"
#include "conf/conf.h"
#include "conf/diag.h"
#include "conf/readfile.h"
#include "conf/state.h"
#include "conf/token.h"

/* 3proxy 1.0.0 defaults, in the order of `timeouts` (docs/portcullis.cfg.5,
 * Workers and limits). */
static const uint32_t default_timeouts[PC_NTIMEOUTS] =
    { 1, 5, 30, 60, 180, 1800, 15, 60, 15, 5, 5 };

/* The master's count also in an exec'ed worker (bundle.h). */
static uint32_t
default_workers(void)
{
	uint32_t w;
	long     n;

	if (conf_bundle_ncpu(&w))
		return w;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	w = n < 1 ? 1 : n > CONF_WORKERS_MAX ? CONF_WORKERS_MAX : (uint32_t)n;
	conf_bundle_saw_ncpu(w);
	return w;
}

int
conf_run_text(struct conf_state *st, const char *name, const char *text,
    size_t len)
{
	const char     *saved_file = st->file;
	int             saved_line = st->line;
	bool            saved_hash = st->hash_warned, saved_stop = st->stop;
	struct tok_list words = { 0 };
	struct tok_ctx  ctx = { .warn = st->warn, .err = st->err,
	    .errlen = st->errlen, .is_command = conf_is_command };
	size_t          off = 0;
	int             rc = 0;

	st->file = conf_intern(st->cfg, name);
	st->line = 0;
	st->hash_warned = st->stop = false;
	ctx.file = st->file;
	ctx.hash_warned = &st->hash_warned;
	while (rc == 0 && !st->stop && off < len) {
		const char *s = text + off, *nl = memchr(s, '\n', len - off);
		size_t      n = nl != NULL ? (size_t)(nl - s) : len - off;

		ctx.line = ++st->line;
		ctx.root = st->cfg->chroot;
		rc = tok_split_line(&ctx, s, n, &words);
		if (rc == 0 && words.argc > 0)
			rc = conf_dispatch(st, words.argc, words.argv);
		tok_list_clear(&words);
		off += n + 1;
	}
	tok_list_free(&words);
	st->file = saved_file;
	st->line = saved_line;
	st->hash_warned = saved_hash;
	st->stop = saved_stop;
	return rc;
}

int
conf_include(struct conf_state *st, const char *path)
{
	const char *why;
	char       *text, *full;
	size_t      len;
	int         rc;

	if (st->depth >= CONF_MAX_DEPTH)
		return conf_err(st, path, "include nested too deeply "
		    "(at most %d levels)", CONF_MAX_DEPTH);
	full = conf_path(st, path);
	if (conf_read_file(full, true, &text, &len, &why) != 0) {
		if (st->cfg->chroot != NULL)
			rc = conf_err(st, path, "cannot read %s (inside the "
			    "chroot): %s", full, why);
		else
			rc = conf_err(st, path, "cannot read: %s", why);
		free(full);
		return rc;
	}
	st->depth++;
	rc = conf_run_text(st, full, text, len);
	st->depth--;
	conf_wipe_free(text, len);
	free(full);
	return rc;
}

static struct pc_config *
load(const char *name, const char *path, const char *text, size_t len,
    const struct pc_config *jail, char *err, size_t errlen)
{
	struct pc_config *cfg = xcalloc(1, sizeof(*cfg));
	struct conf_state st = { 0 };
	int               rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	cfg->path = path != NULL ? xstrdup(path) : NULL;
	cfg->source = xstrdup(name);
	memcpy(cfg->timeouts, default_timeouts, sizeof(cfg->timeouts));
	cfg->parentretries = 2;   /* docs/3proxy-differences.md, decision 5 */
	if (jail != NULL && jail->chroot != NULL) {
		cfg->chroot = xstrdup(jail->chroot);
		cfg->chroot_inherited = true;
		cfg->uid_set = jail->uid_set;
		cfg->gid_set = jail->gid_set;
		cfg->uid = jail->uid;
		cfg->gid = jail->gid;
	}
	st.cfg = cfg;
	st.err = err;
	st.errlen = errlen;
	st.warn = conf_warn_stream();
	st.acl = CONF_NO_ACL;
	st.maxconn = CONF_MAXCONN_DEF;
	st.workers = cfg->workers_default = default_workers();
	st.log = -1;
	rc = conf_run_text(&st, name, text, len);
	if (rc == 0)
		rc = conf_check(&st);
	free(st.logformat);
	if (rc != 0) {
		pc_config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct pc_config *
conf_load(const char *path, char *err, size_t errlen)
{
	return conf_load_in(path, NULL, err, errlen);
}

struct pc_config *
conf_load_in(const char *path, const struct pc_config *jail, char *err,
    size_t errlen)
{
	struct pc_config *cfg;
	const char       *why;
	char             *text;
	size_t            len;

	/* the top file may be a pipe (`-t /dev/stdin`): no regular-only rule;
	 * line 0 stands for "the file as a whole" */
	if (conf_read_file(path, false, &text, &len, &why) != 0) {
		conf_errf(err, errlen, path, 0, path, "cannot read: %s", why);
		return NULL;
	}
	cfg = load(path, path, text, len, jail, err, errlen);
	conf_wipe_free(text, len);
	return cfg;
}

struct pc_config *
conf_load_string(const char *text, const char *name, char *err,
    size_t errlen)
{
	return load(name != NULL ? name : "<string>", NULL, text,
	    strlen(text), NULL, err, errlen);
}
