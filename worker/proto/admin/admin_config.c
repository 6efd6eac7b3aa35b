/*
 * The running configuration for the admin page /F: the compiled model
 * written back by policy/print.c (the worker cannot read the file: it is
 * jailed, and the file holds passwords), HTML escaped.  The worker wiped
 * its user table after fork, so the names and types come from the
 * master (never a password) and print as masks like every other secret.
 */
#include <string.h>

#include "policy/print.h"
#include "worker/proto/admin/admin.h"

/* Line by line: abuf_html() turns a newline into '?'. */
static void
html_lines(struct abuf *b, char *s)
{
	while (s != NULL && *s != '\0') {
		char *nl = strchr(s, '\n');

		if (nl != NULL)
			*nl = '\0';
		abuf_html(b, s);
		if (nl == NULL)
			break;
		abuf_printf(b, "\n");
		s = nl + 1;
	}
}

void
admin_config_render(struct abuf *b, const struct pc_config *cfg,
    const struct pc_msg_admin_rep *u)
{
	struct pc_user        names[PC_IPC_ADMIN_NAMES];
	struct pc_print_users ov = { 0 };
	struct pc_text        t = { .max = ABUF_MAX };

	if (u != NULL) {
		for (uint16_t i = 0; i < u->nusers && i < PC_IPC_ADMIN_NAMES;
		    i++) {
			names[i].name = (char *)u->users[i].name;
			names[i].type = (enum pc_pwtype)(u->users[i].type & 3);
			names[i].secret = NULL;
		}
		ov.users = names;
		ov.nusers = u->nusers < PC_IPC_ADMIN_NAMES ? u->nusers :
		    PC_IPC_ADMIN_NAMES;
		ov.more = u->nusers_total > ov.nusers ?
		    u->nusers_total - ov.nusers : 0;
	}
	pc_print_config(&t, cfg, PC_PRINT_ORIGIN, &ov);
	html_lines(b, t.p);
	if (t.err)
		abuf_printf(b, "\n# ... (cut: the page grew too large)\n");
	pc_text_free(&t);
}
