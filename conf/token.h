/*
 * Tokenizer of the 3proxy language (docs/portcullis.cfg.5, LEXICAL RULES): one
 * line in, its words out.  Private to conf/.
 */
#ifndef PC_CONF_TOKEN_H
#define PC_CONF_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TOK_MAX_ARGS 4095  /* words per line, as 3proxy */

struct tok_list {
	char   **argv;
	size_t   argc, cap;
};

struct tok_ctx {
	const char *file;       /* for messages */
	int         line;
	FILE       *warn;       /* NULL: no warnings */
	bool       *hash_warned;/* per file: the '#' warning was given */
	/* Is this word a command?  Decides whether an indented line gets the
	 * "indented line is a comment" warning.  May be NULL. */
	bool      (*is_command)(const char *word);
	char       *err;
	size_t      errlen;
	const char *root;       /* `chroot` DIR seen: $file names inside it */
};

/* Splits the line s[0..n) (no '\n') into out, which must be empty.  A
 * comment line yields argc 0.  Returns 0, or -1 with ctx->err set (out is
 * then emptied). */
int  tok_split_line(struct tok_ctx *ctx, const char *s, size_t n,
	    struct tok_list *out);
void tok_list_clear(struct tok_list *l);   /* frees the words, keeps argv */
void tok_list_free(struct tok_list *l);

#endif
