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
 * gives way.  CFGFILE is the configuration file as written, as 3proxy's
 * /F shows it (passwords included: the admin ACL decides who sees it,
 * and `admin -s` never asks); its snapshot is wiped when freed.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "conf/conf.h"
#include "conf/readfile.h"
#include "master/admin.h"
#include "master/metrics.h"
#include "master/reload.h"

#define SNAPS 4

static struct snap {
	pid_t   pid;      /* 0: free */
	uint8_t kind;     /* METRICS or CFGFILE */
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

/* The configuration file as a reload reads it (`config FILE`, else the
 * file named at start), the text given on stdin, or the embedded one. */
static char *
cfgfile_text(size_t *len)
{
	const char *path = M.cur != NULL && M.cur->cfg->config_file != NULL ?
	    M.cur->cfg->config_file : M.cfgpath;
	const char *why, *src = M.cfgtext != NULL ? M.cfgtext :
	    conf_default_text;
	char       *text;

	if (path != NULL) {
		if (conf_read_file(path, false, &text, len, &why) != 0) {
			log_warnx("admin: cannot read %s: %s", path, why);
			*len = 0;
			return xstrdup("");
		}
		text = xreallocarray(text, 1, *len + 1);
		text[*len] = '\0';
	} else {
		text = xstrdup(src);
		*len = strlen(text);
	}
	for (size_t i = 0; i < *len; i++)   /* the IPC carries no NUL */
		if (text[i] == '\0')
			text[i] = '?';
	return text;
}

static void
snap_drop(struct snap *s)
{
	if (s->text != NULL)
		explicit_bzero(s->text, s->len);   /* the file's passwords */
	free(s->text);
	memset(s, 0, sizeof(*s));
}

static struct snap *
snap_for(pid_t pid, uint8_t kind, bool fresh)
{
	struct snap *s = NULL;

	for (int i = 0; i < SNAPS && s == NULL; i++)
		if (snaps[i].pid == pid && snaps[i].kind == kind)
			s = &snaps[i];
	if (s != NULL && !fresh)
		return s;
	for (int i = 0; i < SNAPS && s == NULL; i++)
		if (snaps[i].pid == 0)
			s = &snaps[i];
	if (s == NULL) {                   /* the oldest gives way */
		s = &snaps[0];
		for (int i = 1; i < SNAPS; i++)
			if (snaps[i].made_ms < s->made_ms)
				s = &snaps[i];
	}
	snap_drop(s);
	s->pid = pid;
	s->kind = kind;
	s->text = kind == PC_ADMIN_METRICS ? metrics_render(&s->len) :
	    cfgfile_text(&s->len);
	s->made_ms = now_ms();
	if (s->len > PC_IPC_ADMIN_TOTAL) {   /* cut: the worker refuses more */
		s->len = PC_IPC_ADMIN_TOTAL;
		s->text[s->len] = '\0';
	}
	return s;
}

static void
text_piece(const struct worker *w, uint8_t kind, uint32_t off,
    struct pc_msg_admin_rep *rep)
{
	struct snap *s = snap_for(w->pid, kind, off == 0);
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
	if (off + n == s->len)
		snap_drop(s);
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
	case PC_ADMIN_CFGFILE:
		text_piece(w, q->kind, q->arg, rep);
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
