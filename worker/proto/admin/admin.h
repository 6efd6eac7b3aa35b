/*
 * Private to the admin service (proto/admin/admin.c, admin_html.c,
 * admin_pages.c, admin_3proxy.c, admin_config.c): a growing page buffer
 * and the pages.
 * Every string that comes from the configuration goes through
 * abuf_html(), so a host name or a user name cannot inject markup.
 */
#ifndef PC_WORKER_ADMIN_H
#define PC_WORKER_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/ipc_msg.h"
#include "policy/policy.h"

#define ABUF_MAX (4u << 20)   /* a page never grows past this */

struct abuf {
	char  *p;
	size_t len, cap;
	bool   err;               /* out of memory or over ABUF_MAX */
};

void abuf_printf(struct abuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void abuf_html(struct abuf *b, const char *s);   /* escaped text */
void abuf_html_lines(struct abuf *b, const char *s); /* newlines kept */
void abuf_free(struct abuf *b);
void admin_page_begin(struct abuf *b, const char *title);
void admin_page_end(struct abuf *b);

/* The pages.  A NULL reply: the master did not answer. */
void admin_page_index(struct abuf *b, bool limited);
void admin_page_stats(struct abuf *b, const struct pc_msg_admin_rep *rep);
/* limited (admin -s): only the rules that match q, no switch links */
void admin_page_counters(struct abuf *b, bool limited,
	    const struct pc_acl_req *q);
void admin_page_reload(struct abuf *b, const struct pc_msg_admin_rep *rep);
void admin_page_config(struct abuf *b, const struct pc_msg_admin_rep *users);
/* 3proxy's shapes (admin_3proxy.c): /S as XML, /SX its stylesheet, /F
 * the configuration file as written (text: its bytes; ok: it came) */
void admin_page_xml(struct abuf *b, const struct pc_msg_admin_rep *rep);
void admin_page_css(struct abuf *b);
void admin_page_file(struct abuf *b, const struct abuf *text, bool ok);

/* The running configuration as 3proxy-language lines (policy/print.h,
 * HTML escaped), every secret masked. */
void admin_config_render(struct abuf *b, const struct pc_config *cfg,
	    const struct pc_msg_admin_rep *users);

#endif
