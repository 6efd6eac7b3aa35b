/*
 * Reload (docs/architecture.md, "Reload"; docs/portcullis.8, RELOAD):
 * 1. one at a time: a request during a reload is kept as "pending";
 * 2. the new config is parsed beside the running one; a parse error is
 *    logged and nothing changes;
 * 3. worker ids and the jail are checked again, listeners are matched by
 *    address and port (kept sockets stay open, new ones are bound; any
 *    failure undoes only what this reload created), new log targets open;
 * 4. the new generation is spawned and becomes current at once, so
 *    password checks use the new user table from now on, also for
 *    draining workers (a removed user stops working immediately);
 * 5. once every service of the new generation has a READY worker (or
 *    after READY_TIMEOUT_MS), the older generations get DRAIN: they stop
 *    accepting and exit when their last connection ends.  The shared
 *    listening socket keeps queueing meanwhile, so nothing is refused.
 * Listeners of a removed service close when the last generation using
 * them is released (gen.c), after its workers are gone.
 *
 * systemd (notify.h) hears RELOADING=1 when a reload starts and READY=1
 * when no reload is left to do: after step 5, or at once when the new
 * configuration was refused.  The first generation goes through step 5
 * too (reload_first), so READY=1 at start means every service has a
 * worker that accepts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "master/ipc_server.h"
#include "master/jail.h"
#include "master/listen.h"
#include "master/logwrite.h"
#include "master/master.h"
#include "master/metrics.h"
#include "master/monitor.h"
#include "master/notify.h"
#include "master/authcache.h"
#include "master/counters.h"
#include "master/fleet.h"
#include "master/reload.h"
#include "master/spawn.h"

#define READY_TIMEOUT_MS 10000

static bool    in_progress, pending;
static int64_t ready_deadline;
static char    failed[1100];   /* why the last reload was refused */

struct ids {
	uid_t uid;
	gid_t gid;
	char *jail;
};

static int
prepare(struct pc_config *cfg, struct ids *ids, char *err, size_t errlen)
{
	ids->jail = NULL;
	if (jail_ids(cfg, M.privileged, &ids->uid, &ids->gid, err,
	    errlen) != 0)
		return -1;
	if (M.privileged &&
	    jail_prepare(cfg, ids->uid, ids->gid, &ids->jail, err, errlen) != 0)
		return -1;
	return 0;
}

/* Workers already running keep their own copies: the old values can go. */
static void
commit(struct ids *ids)
{
	M.uid = ids->uid;
	M.gid = ids->gid;
	if (ids->jail != NULL) {
		free(M.jail);
		M.jail = ids->jail;
	}
}

static void
refused(const char *err)
{
	log_warnx("reload failed, keeping the running configuration: %s",
	    err);
	snprintf(failed, sizeof(failed), "reload failed, the previous "
	    "configuration serves: %s", err);
	metrics_reload(false);
}

static void
start(void)
{
	char              err[1024];
	struct pc_config *cfg;
	struct gen       *g;
	struct ids        ids;

	log_info("reloading the configuration");
	notify_reloading();
	failed[0] = '\0';
	if ((cfg = master_load_config(err, sizeof(err))) == NULL) {
		refused(err);
		return;
	}
	if (prepare(cfg, &ids, err, sizeof(err)) != 0) {
		refused(err);
		pc_config_free(cfg);
		return;
	}
	g = gen_new(cfg);
	if (listen_claim_gen(g, err, sizeof(err)) != 0 ||
	    logs_open(g, err, sizeof(err)) != 0) {
		refused(err);
		M.next_gen--;
		gen_free(g);
		free(ids.jail);
		return;
	}
	commit(&ids);
	g->next = M.gens;
	M.gens = g;
	counters_save();
	counters_attach(cfg);
	fleet_attach(cfg);
	M.cur = g;
	authcache_reset(&cfg->authcache);
	monitor_reset(cfg);
	spawn_gen(g);
	in_progress = true;
	ready_deadline = now_ms() + READY_TIMEOUT_MS;
	metrics_reload(true);
	log_info("generation %u started", (unsigned)g->id);
}

/* Nothing left to do: tell systemd which configuration serves. */
static void
settled(void)
{
	char status[64];

	if (failed[0] != '\0') {
		notify_ready(failed);
		return;
	}
	snprintf(status, sizeof(status), "serving, configuration generation "
	    "%u", (unsigned)M.cur->id);
	notify_ready(status);
}

void
reload_request(void)
{
	if (M.stopping)
		return;
	if (in_progress) {
		pending = true;
		return;
	}
	start();
	if (!in_progress)
		settled();
}

void
reload_first(void)
{
	in_progress = true;
	ready_deadline = now_ms() + READY_TIMEOUT_MS;
}

static bool
all_ready(const struct gen *g)
{
	for (size_t s = 0; s < g->cfg->nsvcs; s++) {
		bool any = false;

		for (size_t i = 0; i < g->nworkers && !any; i++)
			any = g->workers[i].svc == s &&
			    g->workers[i].state == W_READY;
		if (!any)
			return false;
	}
	return true;
}

static void
drain_old(void)
{
	int64_t now = now_ms();

	for (struct gen *g = M.cur->next; g != NULL; g = g->next) {
		for (size_t i = 0; i < g->nworkers; i++) {
			struct worker *w = &g->workers[i];

			w->respawn_at_ms = 0;
			if (w->pid <= 0 || w->draining)
				continue;
			w->draining = true;
			w->drain_deadline_ms = now + DRAIN_GRACE_S * 1000LL;
			ipc_send_drain(w, DRAIN_GRACE_S);
		}
	}
}

int64_t
reload_tick(int64_t now)
{
	if (!in_progress)
		return 0;
	if (!all_ready(M.cur) && now < ready_deadline)
		return ready_deadline;
	if (!all_ready(M.cur))
		log_warnx("generation %u: not every service has a READY "
		    "worker after %d s; draining the older generations anyway",
		    (unsigned)M.cur->id, READY_TIMEOUT_MS / 1000);
	drain_old();
	in_progress = false;
	if (pending) {
		pending = false;
		start();
	}
	if (!in_progress)
		settled();
	return in_progress ? ready_deadline : 0;
}
