/*
 * Words of one configuration line.
 *
 * The rules are 3proxy's (docs/portcullis.cfg.5, LEXICAL RULES), with our
 * decision 21 (docs/3proxy-differences.md) added: a line that starts with
 * whitespace or '#' is a comment; outside quotes space, tab, CR and LF
 * separate words; '"' toggles quoting anywhere in a word and "" inside quotes
 * is a literal '"'; `$NAME` or `$"NAME"` outside quotes splices the words of
 * file NAME (newlines separate words there, text glued before the '$' is
 * prefixed to the first of them, and inside that text '$' is no macro: a '$'
 * that starts a word is dropped). Decision 21: a word starting with an
 * unquoted '#' ends the line.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "conf/diag.h"
#include "conf/readfile.h"
#include "conf/token.h"

struct tok_state {
	struct tok_ctx  *ctx;
	struct tok_list *out;
	char            *buf;     /* the word being built */
	size_t           len, cap;
	bool             in_word; /* a word started ("" makes an empty one) */
};

static bool
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* 3proxy tests the first byte with isspace(); keep the C-locale set. */
static bool
is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static void
put(struct tok_state *ts, char c)
{
	if (ts->len + 1 >= ts->cap) {
		size_t ncap = ts->cap ? ts->cap * 2 : 64;

		ts->buf = conf_wipe_grow(ts->buf, ts->cap, ncap);
		ts->cap = ncap;
	}
	ts->buf[ts->len++] = c;
	ts->in_word = true;
}

static int
end_word(struct tok_state *ts)
{
	struct tok_list *l = ts->out;

	if (!ts->in_word)
		return 0;
	if (l->argc >= TOK_MAX_ARGS)
		return conf_errf(ts->ctx->err, ts->ctx->errlen, ts->ctx->file,
		    ts->ctx->line, l->argv[0],
		    "too many words on one line (at most %d)", TOK_MAX_ARGS);
	if (l->argc == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->argv = xreallocarray(l->argv, l->cap, sizeof(*l->argv));
	}
	l->argv[l->argc++] = xstrndup(ts->buf ? ts->buf : "", ts->len);
	ts->len = 0;
	ts->in_word = false;
	return 0;
}

static int
err_text(struct tok_state *ts, const char *s, size_t n, const char *why)
{
	char *t = xstrndup(s, n);

	conf_errf(ts->ctx->err, ts->ctx->errlen, ts->ctx->file, ts->ctx->line,
	    t, "%s", why);
	conf_wipe_free(t, n);
	return -1;
}

static int scan(struct tok_state *ts, const char *s, size_t n,
	    const char *spliced);

/* s[*i] follows the '$': read the file name (quotes allowed), then the
 * words of that file. */
static int
splice(struct tok_state *ts, const char *s, size_t n, size_t *i)
{
	struct tok_ctx *ctx = ts->ctx;
	size_t      start = *i, k = *i, nlen = 0;
	char       *name = xmalloc(n - start + 1), *text, *path;
	const char *why;
	size_t      tlen, skip = 0;
	bool        q = false;
	int         rc;

	while (k < n && (q || !is_sep(s[k]))) {
		if (s[k] == '"' && q && k + 1 < n && s[k + 1] == '"') {
			name[nlen++] = '"';
			k += 2;
		} else if (s[k] == '"') {
			q = !q;
			k++;
		} else
			name[nlen++] = s[k++];
	}
	name[nlen] = '\0';
	*i = k;
	if (q || memchr(name, '\0', nlen) != NULL || nlen == 0) {
		conf_wipe_free(name, n - start + 1);
		return err_text(ts, s + start - 1, k - start + 1,
		    q ? "unterminated quote" : nlen == 0 ?
		    "missing file name after '$'" : "NUL byte in file name");
	}
	path = conf_rooted(ctx->root, name);
	if (conf_read_file(path, true, &text, &tlen, &why) != 0) {
		if (ctx->root != NULL)
			conf_errf(ctx->err, ctx->errlen, ctx->file, ctx->line,
			    name, "cannot read %s (inside the chroot): %s",
			    path, why);
		else
			conf_errf(ctx->err, ctx->errlen, ctx->file, ctx->line,
			    name, "cannot read: %s", why);
		free(path);
		conf_wipe_free(name, n - start + 1);
		return -1;
	}
	free(path);
	/* glued text before '$' joins the file's first word */
	while (ts->in_word && skip < tlen && is_sep(text[skip]))
		skip++;
	rc = scan(ts, text + skip, tlen - skip, name);
	conf_wipe_free(text, tlen);
	conf_wipe_free(name, n - start + 1);
	return rc;
}

static void
warn_hash(struct tok_state *ts)
{
	struct tok_ctx *ctx = ts->ctx;

	if (ctx->hash_warned != NULL && *ctx->hash_warned)
		return;
	if (ctx->hash_warned != NULL)
		*ctx->hash_warned = true;
	conf_warnf(ctx->warn, ctx->file, ctx->line, "'#' after whitespace "
	    "starts a comment here (3proxy would read it as an argument)");
}

/* spliced: NULL for the config line itself, else the name of the file
 * whose text this is (for messages). */
static int
scan(struct tok_state *ts, const char *s, size_t n, const char *spliced)
{
	size_t i = 0, qstart = 0;
	bool   quoted = false;

	while (i < n) {
		char c = s[i];

		if (c == '\0' && spliced)
			return err_text(ts, spliced, strlen(spliced),
			    "NUL byte in the text");
		if (c == '\0')
			return err_text(ts, "\\0", 2, "NUL byte in the text");
		if (quoted) {
			if (c == '"' && i + 1 < n && s[i + 1] == '"') {
				put(ts, '"');
				i += 2;
				continue;
			}
			if (c == '"')
				quoted = false;
			else
				put(ts, c);
			i++;
			continue;
		}
		if (is_sep(c)) {
			if (end_word(ts) != 0)
				return -1;
			i++;
		} else if (c == '"') {
			quoted = true;
			ts->in_word = true;
			qstart = i++;
		} else if (c == '#' && !spliced && !ts->in_word) {
			warn_hash(ts);
			return 0;
		} else if (c == '$' && spliced) {
			if (ts->in_word)
				put(ts, c);
			i++;
		} else if (c == '$') {
			i++;
			if (splice(ts, s, n, &i) != 0)
				return -1;
		} else {
			put(ts, c);
			i++;
		}
	}
	if (quoted && spliced)
		return err_text(ts, spliced, strlen(spliced),
		    "unterminated quote in the included text");
	if (quoted)
		return err_text(ts, s + qstart, n - qstart,
		    "unterminated quote");
	return end_word(ts);
}

/* An indented line is a comment, as in 3proxy (docs/3proxy-differences.md,
 * decision 25); when it looks like a command, say so once: a config moved from
 * an indented HowTo example would otherwise lose that line silently. */
static void
check_indented(struct tok_ctx *ctx, const char *s, size_t n)
{
	char   word[64];
	size_t i = 0, w = 0;

	while (i < n && is_space(s[i]))
		i++;
	while (i < n && !is_sep(s[i]) && s[i] != '\0' && w + 1 < sizeof(word))
		word[w++] = s[i++];
	word[w] = '\0';
	if (w > 0 && (i == n || is_sep(s[i])) && ctx->is_command != NULL &&
	    ctx->is_command(word))
		conf_warnf(ctx->warn, ctx->file, ctx->line, "indented line is "
		    "a comment in 3proxy syntax: '%s'", word);
}

int
tok_split_line(struct tok_ctx *ctx, const char *s, size_t n,
    struct tok_list *out)
{
	struct tok_state ts = { .ctx = ctx, .out = out };
	int rc;

	if (n == 0 || s[0] == '#')
		return 0;
	if (is_space(s[0])) {
		check_indented(ctx, s, n);
		return 0;
	}
	rc = scan(&ts, s, n, NULL);
	conf_wipe_free(ts.buf, ts.cap);
	if (rc != 0)
		tok_list_clear(out);
	return rc;
}

void
tok_list_clear(struct tok_list *l)
{
	for (size_t i = 0; i < l->argc; i++)
		conf_wipe_free(l->argv[i], strlen(l->argv[i]));
	l->argc = 0;
}

void
tok_list_free(struct tok_list *l)
{
	tok_list_clear(l);
	free(l->argv);
	l->argv = NULL;
	l->cap = 0;
}
