/*
 * What the master tells the admin service: the connection figures of the
 * asking worker's generation (the worker names the services from its own
 * copy of the same configuration, so the indices agree), the user names of
 * the current configuration without their passwords, and reloads.
 *
 * The figures are those of the last STATS heartbeat of each worker (1 Hz),
 * so a page can lag a second behind.  An empty slot (the process died and
 * waits for its respawn) reports zeros: its counts died with it.
 *
 * Texts longer than one reply (METRICS) go in pieces the worker asks for
 * one after the other: offset 0 renders a snapshot kept for that worker
 * process, later offsets are cut from it, the last piece frees it.  A few
 * snapshots at most (one per admin worker scraping at once); the oldest
 * gives way.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "master/admin.h"
#include "master/metrics.h"
#include "master/reload.h"

#define SNAPS 4

static struct snap {
	pid_t   pid;      /* 0: free */
	char   *text;
	size_t  len;
	int64_t made_ms;
} snaps[SNAPS];

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

static struct snap *
snap_for(pid_t pid, bool fresh)
{
	struct snap *s = NULL;

	for (int i = 0; i < SNAPS && s == NULL; i++)
		if (snaps[i].pid == pid)
			s = &snaps[i];
	if (s != NULL && !fresh)
		return s;
	for (int i = 0; i < SNAPS && s == NULL; i++)
		if (snaps[i].pid == 0)
			s = &snaps[i];
	for (int i = 0; i < SNAPS && s == NULL; i++)
		if (i == SNAPS - 1 || snaps[i].made_ms < snaps[i + 1].made_ms)
			s = &snaps[i];   /* roughly the oldest */
	free(s->text);
	s->pid = pid;
	s->text = metrics_render(&s->len);
	s->made_ms = now_ms();
	if (s->len > PC_IPC_ADMIN_TOTAL) {   /* cut: the worker refuses more */
		s->len = PC_IPC_ADMIN_TOTAL;
		s->text[s->len] = '\0';
	}
	return s;
}

static void
text_piece(const struct worker *w, uint32_t off,
    struct pc_msg_admin_rep *rep)
{
	struct snap *s = snap_for(w->pid, off == 0);
	size_t       n;

	if (off > s->len)
		off = (uint32_t)s->len;
	n = s->len - off;
	if (n > PC_IPC_ADMIN_TEXT)
		n = PC_IPC_ADMIN_TEXT;
	rep->total = (uint32_t)s->len;
	rep->offset = off;
	memcpy(rep->text, s->text + off, n);
	rep->text[n] = '\0';
	if (off + n == s->len) {
		free(s->text);
		memset(s, 0, sizeof(*s));
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
	case PC_ADMIN_METRICS:
		text_piece(w, q->arg, rep);
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
