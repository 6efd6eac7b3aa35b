/*
 * Page buffer and frame of the admin service (admin.h): plain HTML, no
 * scripts, no external resources.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/proto/admin/admin.h"

static bool
reserve(struct abuf *b, size_t more)
{
	size_t cap;
	char  *p;

	if (b->err)
		return false;
	if (more < b->cap - b->len)
		return true;
	if (more >= ABUF_MAX - b->len) {
		b->err = true;
		return false;
	}
	cap = b->cap == 0 ? 4096 : b->cap;
	while (cap - b->len <= more)
		cap *= 2;
	if (cap > ABUF_MAX)
		cap = ABUF_MAX;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->err = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void
abuf_printf(struct abuf *b, const char *fmt, ...)
{
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void
html(struct abuf *b, const char *s, bool lines)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (lines && *s == '\n') {
			abuf_printf(b, "\n");
			continue;
		}
		switch (*s) {
		case '<':  abuf_printf(b, "&lt;"); break;
		case '>':  abuf_printf(b, "&gt;"); break;
		case '&':  abuf_printf(b, "&amp;"); break;
		case '"':  abuf_printf(b, "&quot;"); break;
		case '\'': abuf_printf(b, "&#39;"); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t')
				abuf_printf(b, "?");
			else
				abuf_printf(b, "%c", *s);
		}
	}
}

void
abuf_html(struct abuf *b, const char *s)
{
	html(b, s, false);
}

void
abuf_html_lines(struct abuf *b, const char *s)
{
	html(b, s, true);
}

void
abuf_free(struct abuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
admin_page_begin(struct abuf *b, const char *title)
{
	abuf_printf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>portcullis: %s</title></head>\n<body>\n<h1>%s</h1>\n"
	    "<p><a href=\"/\">index</a> | <a href=\"/W\">workers</a> | "
	    "<a href=\"/S\">services</a> | <a href=\"/C\">counters</a> | "
	    "<a href=\"/F\">configuration file</a> | <a href=\"/E\">running "
	    "configuration</a></p>\n", title, title);
}

void
admin_page_end(struct abuf *b)
{
	abuf_printf(b, "</body></html>\n");
}
