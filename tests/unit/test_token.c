/* Unit tests of the tokenizer (conf/token.c): docs/portcullis.cfg.5
 * LEXICAL RULES and docs/3proxy-differences.md decisions 21 and 25. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/token.h"
#include "tests/unit/check.h"

static char   dir[] = "/tmp/pc_token_XXXXXX";
static char   err[512];
static FILE  *warn;
static bool   hash_warned;

static bool
known(const char *w)
{
	return strcmp(w, "allow") == 0 || strcmp(w, "proxy") == 0;
}

/* Splits one line; returns the words joined by '|' (or "ERR"). */
static const char *
split(const char *line)
{
	static char     out[8192];
	struct tok_list l = { 0 };
	struct tok_ctx  ctx = { .file = "t.cfg", .line = 7, .warn = warn,
	    .hash_warned = &hash_warned, .is_command = known, .err = err,
	    .errlen = sizeof(err) };
	int             rc;

	err[0] = '\0';
	rc = tok_split_line(&ctx, line, strlen(line), &l);
	out[0] = '\0';
	if (rc != 0) {
		CHECK_EQ_INT(l.argc, 0);
		snprintf(out, sizeof(out), "ERR");
	}
	for (size_t i = 0; i < l.argc; i++) {
		if (i > 0)
			strcat(out, "|");
		strncat(out, l.argv[i], sizeof(out) - strlen(out) - 2);
	}
	tok_list_free(&l);
	return out;
}

static size_t
count_words(const char *line, int *rc)
{
	struct tok_list l = { 0 };
	struct tok_ctx  ctx = { .file = "t.cfg", .line = 1, .err = err,
	    .errlen = sizeof(err) };
	size_t          n;

	*rc = tok_split_line(&ctx, line, strlen(line), &l);
	n = l.argc;
	tok_list_free(&l);
	return n;
}

/* Everything written to the warn stream since the last call. */
static const char *
warnings(void)
{
	static char buf[4096];
	size_t      n;

	fflush(warn);
	rewind(warn);
	n = fread(buf, 1, sizeof(buf) - 1, warn);
	buf[n] = '\0';
	if (ftruncate(fileno(warn), 0) != 0)
		buf[0] = '\0';
	rewind(warn);
	return buf;
}

static void
write_bytes(const char *name, const char *text, size_t n)
{
	char  path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	CHECK(fp != NULL && fwrite(text, 1, n, fp) == n);
	fclose(fp);
}

static void
write_file(const char *name, const char *text)
{
	write_bytes(name, text, strlen(text));
}

static const char *
with_dir(const char *fmt)
{
	static char line[512];

	snprintf(line, sizeof(line), fmt, dir);
	return line;
}

static void
test_words(void)
{
	CHECK_STREQ(split("allow  *\t*\r"), "allow|*|*");
	CHECK_STREQ(split("a"), "a");
	CHECK_STREQ(split(""), "");
	CHECK_STREQ(split("proxy -p3128 -i127.0.0.1"), "proxy|-p3128|-i127.0.0.1");
	/* backslash means nothing */
	CHECK_STREQ(split("log C:\\logs\\x"), "log|C:\\logs\\x");
}

static void
test_quotes(void)
{
	CHECK_STREQ(split("x a\"b c\"d"), "x|ab cd");
	CHECK_STREQ(split("x \"say \"\"hi\"\"\""), "x|say \"hi\"");
	CHECK_STREQ(split("x \"\" y"), "x||y");
	CHECK_STREQ(split("x \"\"\"\""), "x|\"");
	CHECK_STREQ(split("x \"a$b\""), "x|a$b");
	CHECK_STREQ(split("x \"# not a comment\""), "x|# not a comment");
	CHECK_STREQ(split("x \"abc"), "ERR");
	CHECK_STREQ(err, "t.cfg:7: \"abc: unterminated quote");
	CHECK_STREQ(split("x \"a\"\"\""), "x|a\"");
	CHECK_STREQ(split("x \"a\"\""), "ERR");
}

static void
test_comments(void)
{
	CHECK_STREQ(split("# allow *"), "");
	CHECK_STREQ(warnings(), "");
	CHECK_STREQ(split("  allow *"), "");
	CHECK_STREQ(warnings(), "t.cfg:7: warning: indented line is a comment "
	    "in 3proxy syntax: 'allow'\n");
	CHECK_STREQ(split("\tproxy -p1"), "");
	CHECK_STREQ(warnings(), "t.cfg:7: warning: indented line is a comment "
	    "in 3proxy syntax: 'proxy'\n");
	CHECK_STREQ(split("\tjust some text"), "");
	CHECK_STREQ(split("   allowed"), "");
	CHECK_STREQ(split("\r"), "");
	CHECK_STREQ(warnings(), "");

	/* docs/3proxy-differences.md, decision 21: '#' starting a word
	 * ends the line, warned once */
	hash_warned = false;
	CHECK_STREQ(split("allow * # note"), "allow|*");
	CHECK_STREQ(warnings(), "t.cfg:7: warning: '#' after whitespace "
	    "starts a comment here (3proxy would read it as an argument)\n");
	CHECK_STREQ(split("deny *\t#x"), "deny|*");
	CHECK_STREQ(warnings(), "");
	CHECK(hash_warned);
	CHECK_STREQ(split("allow a#b c#"), "allow|a#b|c#");
}

static void
test_splice(void)
{
	write_file("users", "a:CL:1\nb:CL:2\r\n\nc:CL:3");
	write_file("ip", "\n203.0.113.5\n");
	write_file("sp ace", "x y");
	write_file("dollar", "$x y$z $ \"q $ r\" $\"w\"\n");
	write_file("quote", "a \"b\n");
	write_file("empty", "");
	write_bytes("nul", "a\0b", 3);

	CHECK_STREQ(split(with_dir("users $%s/users")), "users|a:CL:1|b:CL:2|c:CL:3");
	CHECK_STREQ(split(with_dir("users $%s/users x")),
	    "users|a:CL:1|b:CL:2|c:CL:3|x");
	/* glued text joins the first spliced word */
	CHECK_STREQ(split(with_dir("proxy -e$%s/ip")), "proxy|-e203.0.113.5");
	CHECK_STREQ(split(with_dir("a $\"%s/sp ace\"")), "a|x|y");
	CHECK_STREQ(split(with_dir("a $%s/\"sp ace\"")), "a|x|y");
	/* no macro inside spliced text; a '$' starting a word is dropped */
	CHECK_STREQ(split(with_dir("a $%s/dollar")), "a|x|y$z|q $ r|w");
	CHECK_STREQ(split(with_dir("a $%s/empty")), "a");
	CHECK_STREQ(split(with_dir("a \"$%s/ip\"")), with_dir("a|$%s/ip"));

	CHECK_STREQ(split(with_dir("a $%s/quote")), "ERR");
	CHECK_STREQ(err, with_dir("t.cfg:7: %s/quote: unterminated quote in the "
	    "included text"));
	CHECK_STREQ(split(with_dir("a $%s/missing")), "ERR");
	CHECK_STREQ(err, with_dir("t.cfg:7: %s/missing: cannot read: No such "
	    "file or directory"));
	CHECK_STREQ(split("a $"), "ERR");
	CHECK_STREQ(err, "t.cfg:7: $: missing file name after '$'");
	CHECK_STREQ(split("a $/dev/null"), "ERR");
	CHECK_STREQ(err, "t.cfg:7: /dev/null: cannot read: not a regular file");
	CHECK_STREQ(split(with_dir("a $%s")), "ERR");
	CHECK_STREQ(split(with_dir("a $%s/nul")), "ERR");
	CHECK_STREQ(err, with_dir("t.cfg:7: %s/nul: NUL byte in the text"));
}

static void
test_limits(void)
{
	size_t n = 4095 * 2;
	char  *line = malloc(n + 3);
	int    rc;

	for (size_t i = 0; i < n; i += 2)
		memcpy(line + i, "a ", 2);
	line[n] = '\0';
	CHECK_EQ_INT(count_words(line, &rc), 4095);
	CHECK_EQ_INT(rc, 0);
	memcpy(line + n, "b", 2);
	CHECK_EQ_INT(count_words(line, &rc), 0);
	CHECK_EQ_INT(rc, -1);
	CHECK_STREQ(err, "t.cfg:1: a: too many words on one line (at most 4095)");
	free(line);

	/* a NUL byte inside a line (a config file is binary-safe) */
	{
		struct tok_list l = { 0 };
		struct tok_ctx  ctx = { .file = "t.cfg", .line = 2, .err = err,
		    .errlen = sizeof(err) };

		CHECK_EQ_INT(tok_split_line(&ctx, "ab\0c", 4, &l), -1);
		CHECK_STREQ(err, "t.cfg:2: \\0: NUL byte in the text");
		tok_list_free(&l);
	}
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL || (warn = tmpfile()) == NULL) {
		perror("setup");
		return 1;
	}
	test_words();
	test_quotes();
	test_comments();
	test_splice();
	test_limits();
	fclose(warn);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_summary("test_token");
}
