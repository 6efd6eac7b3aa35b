/*
 * What the master tells the admin service: the connection figures of the
 * asking worker's generation (the worker names the services from its own
 * copy of the same configuration, so the indices agree), the user names of
 * the current configuration without their passwords, and reloads.
 *
 * The figures are those of the last STATS heartbeat of each worker (1 Hz),
 * so a page can lag a second behind.  An empty slot (the process died and
 * waits for its respawn) reports zeros: its counts died with it.
 */
#include <string.h>

#include "common/log.h"
#include "master/admin.h"
#include "master/reload.h"

static uint8_t
row_state(const struct worker *w)
{
	if (w->draining)
		return 2;
	return w->state == W_READY ? 1 : 0;
}

static void
stats(const struct gen *g, struct pc_msg_admin_rep *rep)
{
	for (size_t i = 0; i < g->nworkers; i++) {
		const struct worker *w = &g->workers[i];
		struct pc_admin_row *row;

		if (rep->nrows == PC_IPC_ADMIN_ROWS)
			break;
		row = &rep->rows[rep->nrows++];
		row->svc = w->svc;
		row->slot = w->slot;
		if (w->pid <= 0)
			continue;   /* zeros */
		row->pid = (uint32_t)w->pid;
		row->active = w->active;
		row->accepted = w->accepted;
		row->state = row_state(w);
	}
}

/* Names and types only: the secrets never leave the master. */
static void
users(const struct pc_config *cfg, struct pc_msg_admin_rep *rep)
{
	rep->nusers_total = (uint32_t)cfg->nusers;
	for (size_t i = 0; i < cfg->nusers; i++) {
		struct pc_admin_user *u;

		if (rep->nusers == PC_IPC_ADMIN_NAMES)
			break;
		u = &rep->users[rep->nusers++];
		strncpy(u->name, cfg->users[i].name, sizeof(u->name) - 1);
		u->name[sizeof(u->name) - 1] = '\0';
		u->type = (uint8_t)cfg->users[i].type;
	}
}

void
admin_answer(const struct worker *w, const struct pc_msg_admin_req *q,
    struct pc_msg_admin_rep *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->kind = q->kind;
	switch (q->kind) {
	case PC_ADMIN_STATS:
		stats(w->gen, rep);
		break;
	case PC_ADMIN_USERS:
		users(M.cur->cfg, rep);
		break;
	case PC_ADMIN_RELOAD:
		if (M.stopping) {
			rep->code = 1;
			break;
		}
		log_info("%s: reload asked through the admin service",
		    worker_name(w));
		reload_request();
		break;
	}
}
