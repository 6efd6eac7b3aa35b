/*
 * Generations: creation, lookup, and freeing once drained.  The config of
 * a generation stays alive while any of its workers lives: their log
 * records are formatted with it (service index, logformat, log target).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "conf/conf.h"
#include "master/listen.h"
#include "master/logwrite.h"
#include "master/master.h"
#include "master/metrics.h"

struct master M = { .epfd = -1, .sigfd = -1, .next_gen = 1 };

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
worker_name(const struct worker *w)
{
	static char              buf[64];
	const struct pc_service *s = &w->gen->cfg->svcs[w->svc];

	snprintf(buf, sizeof(buf), "%s %u/%u gen %u",
	    pc_svc_type_name(s->type), (unsigned)w->slot + 1,
	    (unsigned)s->workers, (unsigned)w->gen->id);
	return buf;
}

struct gen *
gen_new(struct pc_config *cfg)
{
	struct gen *g = xcalloc(1, sizeof(*g));
	size_t      k = 0;

	g->id = M.next_gen++;
	g->cfg = cfg;
	/* the bandwidth pipes: shared with every worker forked from here on,
	 * which update them with atomic operations (no IPC per byte) */
	if (cfg->nbandlims > 0) {
		void *p = mmap(NULL, cfg->nbandlims * sizeof(struct pc_pipe),
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			fatal("mmap bandwidth pipes");
		cfg->pipes = p;
	}
	if (cfg->nconnlims > 0) {
		void *p = mmap(NULL, cfg->nconnlims *
		    sizeof(struct pc_connstate), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			fatal("mmap connection limits");
		cfg->connstates = p;
	}
	/* counter rules switched off by the admin's /CD<n> (3proxy keeps
	 * that until the next reload: so does a generation) */
	if (cfg->ncounters > 0) {
		void *p = mmap(NULL, cfg->ncounters, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			fatal("mmap counter switches");
		cfg->ctoff = p;
	}
	/* maxconn is per service, whatever `workers` is (3proxy has one
	 * process): one count shared by the service's workers */
	if (cfg->nsvcs > 0) {
		void *p = mmap(NULL, cfg->nsvcs * sizeof(uint32_t),
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			fatal("mmap connection counts");
		cfg->svc_active = p;
	}
	g->svcs = xcalloc(cfg->nsvcs + 1, sizeof(*g->svcs));
	for (size_t s = 0; s < cfg->nsvcs; s++)
		g->svcs[s].book = metrics_svc_book(&cfg->svcs[s]);
	for (size_t s = 0; s < cfg->nsvcs; s++)
		g->nworkers += cfg->svcs[s].workers;
	g->workers = xcalloc(g->nworkers + 1, sizeof(*g->workers));
	for (size_t s = 0; s < cfg->nsvcs; s++) {
		for (uint32_t i = 0; i < cfg->svcs[s].workers; i++, k++) {
			g->workers[k].gen = g;
			g->workers[k].svc = (uint16_t)s;
			g->workers[k].slot = (uint16_t)i;
			g->workers[k].fd = -1;
			g->workers[k].errfd = -1;
		}
	}
	return g;
}

void
gen_free(struct gen *g)
{
	if (g == NULL)
		return;
	listen_release_gen(g);
	logs_close(g);
	for (size_t i = 0; i < g->nworkers; i++)
		free(g->workers[i].q);
	free(g->workers);
	free(g->svcs);
	if (g->cfg->pipes != NULL)
		(void)munmap(g->cfg->pipes,
		    g->cfg->nbandlims * sizeof(struct pc_pipe));
	if (g->cfg->svc_active != NULL)
		(void)munmap(g->cfg->svc_active,
		    g->cfg->nsvcs * sizeof(uint32_t));
	if (g->cfg->connstates != NULL)
		(void)munmap(g->cfg->connstates,
		    g->cfg->nconnlims * sizeof(struct pc_connstate));
	if (g->cfg->ctoff != NULL)
		(void)munmap(g->cfg->ctoff, g->cfg->ncounters);
	pc_config_free(g->cfg);
	free(g);
}

size_t
gen_live_workers(const struct gen *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nworkers; i++)
		if (g->workers[i].pid > 0)
			n++;
	return n;
}

struct worker *
gen_find_pid(pid_t pid)
{
	for (struct gen *g = M.gens; g != NULL; g = g->next)
		for (size_t i = 0; i < g->nworkers; i++)
			if (g->workers[i].pid == pid)
				return &g->workers[i];
	return NULL;
}

static void
announce_exit(struct gen *g)
{
	for (size_t s = 0; s < g->cfg->nsvcs; s++)
		if (g->svcs[s].announced)
			log_service_event(g, s, "Exiting thread");
}

void
gen_collect(void)
{
	struct gen **pp = &M.gens;

	while (*pp != NULL) {
		struct gen *g = *pp;

		if (g == M.cur || gen_live_workers(g) > 0) {
			pp = &g->next;
			continue;
		}
		*pp = g->next;
		announce_exit(g);
		log_info("generation %u: all workers gone, released",
		    (unsigned)g->id);
		gen_free(g);
	}
}

struct pc_config *
master_load_config(char *err, size_t errlen)
{
	/* `config FILE` names what reloads read (3proxy's conffile); if it
	 * came after `chroot`, 3proxy is still in that jail when it reads it,
	 * so the new configuration starts inside it as well */
	if (M.cur != NULL && M.cur->cfg->config_file != NULL)
		return conf_load_in(M.cur->cfg->config_file, M.cur->cfg, err,
		    errlen);
	if (M.cfgpath != NULL)
		return conf_load(M.cfgpath, err, errlen);
	if (M.cfgtext != NULL)
		return conf_load_string(M.cfgtext, M.cfgname, err, errlen);
	return conf_load_string(conf_default_text, M.cfgname, err, errlen);
}
