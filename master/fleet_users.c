/*
 * Users from the database (fleet_users.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/fleet_users.h"

static struct {
	bool            on, due, sent;
	uint64_t        seq;
	struct pc_user *users;         /* in effect, sorted by name */
	size_t          n;
	struct pc_user *next;          /* being received */
	size_t          nnext, capnext;
	bool            next_bad;
} U;

static void
free_table(struct pc_user *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		explicit_bzero(t[i].secret, strlen(t[i].secret));
		free(t[i].secret);
		free(t[i].name);
	}
	free(t);
}

void
fleet_users_wipe(void)
{
	free_table(U.users, U.n);
	free_table(U.next, U.nnext);
	memset(&U, 0, sizeof(U));
}

void
fleet_users_attach(const struct pc_config *cfg)
{
	U.on = cfg->fleet.udsn != NULL;
	free_table(U.next, U.nnext);
	U.next = NULL;
	U.nnext = U.capnext = 0;
	if (!U.on) {
		if (U.n > 0)
			log_info("users: the %zu users of the database are "
			    "gone with `users &DSN`", U.n);
		free_table(U.users, U.n);
		U.users = NULL;
		U.n = 0;
		U.due = U.sent = false;
		return;
	}
	U.due = true;
	U.sent = false;
	U.seq++;
}

bool
fleet_users_on(void)
{
	return U.on;
}

bool
fleet_users_due(const struct pc_config *cfg, struct fleet_req *r)
{
	const struct pc_fleet *f = &cfg->fleet;
	const char *u = f->uuser != NULL ? f->uuser : "";
	const char *p = f->upass != NULL ? f->upass : "";
	size_t      a, b, c;

	if (!U.on || !U.due || U.sent || f->udsn == NULL)
		return false;
	a = strlen(f->udsn) + 1;
	b = strlen(u) + 1;
	c = strlen(p) + 1;
	if (a + b + c > FLEET_CONN_MAX)
		return false;
	memset(r, 0, sizeof(*r));
	r->seq = U.seq;
	r->kind = FLEET_USERS;
	memcpy(r->conn, f->udsn, a);
	memcpy(r->conn + a, u, b);
	memcpy(r->conn + a + b, p, c);
	r->conn_len = (uint32_t)(a + b + c);
	return true;
}

void
fleet_users_sent(void)
{
	U.sent = true;
}

void
fleet_users_lost(void)
{
	U.sent = false;
	free_table(U.next, U.nnext);
	U.next = NULL;
	U.nnext = U.capnext = 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct pc_user *)a)->name,
	    ((const struct pc_user *)b)->name);
}

/* "CL:x", "CR:hash", "NT:hex" as in `users`; anything else cleartext */
static void
add(const char *name, const char *pw)
{
	struct pc_user *u;

	if (U.nnext == U.capnext) {
		U.capnext = U.capnext * 2 + 64;
		U.next = xreallocarray(U.next, U.capnext, sizeof(*U.next));
	}
	u = &U.next[U.nnext++];
	u->name = xstrdup(name);
	u->type = PC_PW_CL;
	if (strncmp(pw, "CR:", 3) == 0)
		u->type = PC_PW_CR;
	else if (strncmp(pw, "NT:", 3) == 0)
		u->type = PC_PW_NT;
	u->secret = xstrdup(u->type != PC_PW_CL || strncmp(pw, "CL:", 3) == 0 ?
	    pw + 3 : pw);
}

void
fleet_users_piece(const struct fleet_urep *r)
{
	const char *p = r->data, *end = r->data + r->len;

	if (!U.on || !U.sent || r->seq != U.seq || r->len > FLEET_UDATA)
		return;                    /* an answer to an older request */
	for (uint32_t i = 0; i < r->n; i++) {
		const char *z1 = memchr(p, '\0', (size_t)(end - p)), *z2;

		if (z1 == NULL || (z2 = memchr(z1 + 1, '\0',
		    (size_t)(end - z1 - 1))) == NULL) {
			log_warnx("users: malformed answer from the helper");
			fleet_users_lost();
			return;
		}
		add(p, z1 + 1);
		p = z2 + 1;
	}
	if (r->more)
		return;
	qsort(U.next, U.nnext, sizeof(*U.next), by_name);
	free_table(U.users, U.n);
	U.users = U.next;
	U.n = U.nnext;
	U.next = NULL;
	U.nnext = U.capnext = 0;
	U.due = U.sent = false;
	log_info("users: %zu users read from the database", U.n);
}

const struct pc_user *
fleet_user(const char *name)
{
	struct pc_user key = { .name = (char *)name };

	if (U.n == 0)
		return NULL;
	return bsearch(&key, U.users, U.n, sizeof(*U.users), by_name);
}

size_t
fleet_users_count(void)
{
	return U.n;
}
