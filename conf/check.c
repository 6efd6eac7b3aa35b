/*
 * Checks across the whole configuration, once every line is read.  3proxy
 * has none (docs/3proxy-differences.md, "Two services on one port are an
 * error"): a second service on a busy port just fails to bind in the
 * background.  Here it is a config error that names the second line, before
 * anything is bound.
 */
#include <stdio.h>
#include <string.h>

#include "conf/state.h"

/* Would binding b fail because a holds the port?  The wildcard of a
 * family covers every address of it. */
static bool
clash(const struct pc_addr *a, const struct pc_addr *b)
{
	if (a->port != b->port || a->family != b->family)
		return false;
	return pc_addr_equal(a, b) || pc_addr_is_any(a) || pc_addr_is_any(b);
}

static int
check_listeners(struct conf_state *st)
{
	struct pc_config *cfg = st->cfg;

	for (size_t j = 1; j < cfg->nsvcs; j++) {
		const struct pc_service *b = &cfg->svcs[j];

		for (size_t i = 0; i < j; i++) {
			const struct pc_service *a = &cfg->svcs[i];
			char ip[PC_ADDRSTRLEN];

			/* a -r service listens nowhere; UDP and TCP ports
			 * are separate */
			if (a->connback_host != NULL ||
			    b->connback_host != NULL ||
			    pc_svc_is_udp(a->type) != pc_svc_is_udp(b->type) ||
			    !clash(&a->listen, &b->listen))
				continue;
			st->file = b->file;
			st->line = b->line;
			return conf_err(st, pc_svc_type_name(b->type),
			    "%s port %u is already used by the service at "
			    "%s:%d", pc_addr_ntop(&b->listen, ip, sizeof(ip)),
			    b->listen.port, a->file, a->line);
		}
	}
	return 0;
}

static void
warn_strong_without_users(struct conf_state *st)
{
	struct pc_config *cfg = st->cfg;

	if (cfg->nusers > 0)
		return;
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct pc_service *s = &cfg->svcs[i];

		for (size_t k = 0; k < s->nauth; k++)
			if (s->auth[k] == PC_AUTH_STRONG) {
				st->file = s->file;
				st->line = s->line;
				conf_warn(st, "auth strong but no users: every "
				    "login will fail");
				return;
			}
	}
}

int
conf_check(struct conf_state *st)
{
	if (check_listeners(st) != 0)
		return -1;
	warn_strong_without_users(st);
	if (st->cfg->fleet.node != NULL && st->cfg->fleet.dsn == NULL)
		conf_warn(st, "fleet: no `counter &DSN` line, so the node "
		    "name has no use");
	return 0;
}
