/*
 * `force` / `noforce` after a reload.  A draining worker asks, for each
 * open tunnel, whether it may go on (AUTH_REQ of kind RECHECK); the
 * answer comes from the configuration now in force, as 3proxy re-runs a
 * `force` service's authentication when its configuration changed:
 *
 *   - the service of the new configuration on the same address, port and
 *     type decides; none (the service was removed): refused (1);
 *   - that service says `noforce`: the connection goes on;
 *   - its auth chain is walked as the pipeline walks it: `none` lets it
 *     go on, `iponly` checks the ACL without a user, `useronly` with the
 *     user (4 without one), `strong` needs a user whose password was
 *     checked (4 otherwise) and who still exists with the same password
 *     entry (5 removed, 6 the entry changed: the password is not at hand
 *     to check again), then the ACL with the user; `cache`, `nbname` and
 *     `dnsname` check the ACL with the name the connection got (the
 *     lookups are not run again).  The first method that allows ends the
 *     walk; else the last code closes the connection.
 */
#include <string.h>
#include <time.h>

#include "common/ecode.h"
#include "master/recheck.h"

static const struct pc_user *
user_of(const struct pc_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i].name, name) == 0)
			return &cfg->users[i];
	return NULL;
}

static const struct pc_service *
same_service(const struct pc_config *cfg, const struct pc_service *old)
{
	for (size_t i = 0; i < cfg->nsvcs; i++)
		if (cfg->svcs[i].type == old->type &&
		    pc_addr_equal(&cfg->svcs[i].listen, &old->listen))
			return &cfg->svcs[i];
	return NULL;
}

static int
acl(const struct pc_config *cfg, const struct pc_service *s,
    const struct pc_msg_auth_req *q, const char *user)
{
	struct pc_acl_req r;

	if (s->acl >= cfg->nacls)
		return PC_E_OK;
	memset(&r, 0, sizeof(r));
	r.user = user;
	r.client = q->client;
	r.dst = q->dst;
	r.dst.port = 0;
	r.host = q->host[0] != '\0' ? q->host : NULL;
	r.port = q->port;
	r.op = q->op;
	r.now = time(NULL);
	return pc_acl_check(&cfg->acls[s->acl], &r, NULL);
}

/* strong: the user still there with the password entry it logged in by */
static int
same_user(const struct gen *g, const struct pc_config *cfg, const char *name)
{
	const struct pc_user *now = user_of(cfg, name);
	const struct pc_user *then = user_of(g->cfg, name);

	if (now == NULL)
		return PC_E_NOUSER;
	if (then != NULL && (then->type != now->type ||
	    (then->secret == NULL) != (now->secret == NULL) ||
	    (then->secret != NULL && strcmp(then->secret, now->secret) != 0)))
		return PC_E_BADPASS;
	return PC_E_OK;
}

uint32_t
recheck_verdict(const struct gen *g, uint16_t svc,
    const struct pc_msg_auth_req *q)
{
	const struct pc_config  *cfg = M.cur->cfg;
	const struct pc_service *s;
	const enum pc_auth_type *chain;
	const char              *user = q->user[0] != '\0' ? q->user : NULL;
	size_t                   n;
	int                      code = PC_E_NOMATCH;

	if (g == M.cur || svc >= g->cfg->nsvcs)
		return PC_E_OK;
	if ((s = same_service(cfg, &g->cfg->svcs[svc])) == NULL)
		return PC_E_DENY;
	if (s->noforce)
		return PC_E_OK;
	n = pc_service_auth(s, &chain);
	for (size_t i = 0; i < n; i++) {
		switch (chain[i]) {
		case PC_AUTH_NONE:
			return PC_E_OK;
		case PC_AUTH_IPONLY:
			code = acl(cfg, s, q, NULL);
			break;
		case PC_AUTH_USERONLY:
			code = user != NULL ? acl(cfg, s, q, user) :
			    PC_E_NOCRED;
			break;
		case PC_AUTH_STRONG:
			if (user == NULL || !q->verified)
				code = PC_E_NOCRED;
			else if ((code = same_user(g, cfg, user)) == PC_E_OK)
				code = acl(cfg, s, q, user);
			break;
		default:
			code = acl(cfg, s, q, user);
			break;
		}
		if (code == PC_E_OK)
			return PC_E_OK;
	}
	return (uint32_t)code;
}
