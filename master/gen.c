/*
 * Generations: creation, lookup, and freeing once drained.  The config of
 * a generation stays alive while any of its workers lives: their log
 * records are formatted with it (service index, logformat, log target).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "conf/bundle.h"
#include "conf/conf.h"
#include "master/listen.h"
#include "master/logwrite.h"
#include "master/master.h"
#include "master/metrics.h"

struct master M = { .epfd = -1, .sigfd = -1, .next_gen = 1, .exefd = -1 };

static struct conf_bundle pending;  /* the last load's recording */

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
	/* the bandwidth pipes, connection limit states, the counter rules
	 * the admin's /CD<n> switched off (3proxy keeps that until the next
	 * reload: so does a generation) and the per-service connection
	 * counts (maxconn is per service, whatever `workers` is): one memfd
	 * region shared with every worker of the generation, which update it
	 * with atomic operations (no IPC per byte); exec'ed workers map the
	 * same memfd (policy/shared.c lays it out) */
	g->shm_len = pc_shared_size(cfg);
	g->shm_fd = memfd_create("portcullis-shared", MFD_CLOEXEC);
	if (g->shm_fd < 0 || ftruncate(g->shm_fd, (off_t)g->shm_len) != 0)
		fatal("memfd for the shared state");
	g->shm = mmap(NULL, g->shm_len, PROT_READ | PROT_WRITE, MAP_SHARED,
	    g->shm_fd, 0);
	if (g->shm == MAP_FAILED)
		fatal("mmap shared state");
	pc_shared_attach(cfg, g->shm);
	g->bundle = pending;
	memset(&pending, 0, sizeof(pending));
	g->bundle_fd = -1;
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
	(void)munmap(g->shm, g->shm_len);
	close(g->shm_fd);
	if (g->bundle_fd >= 0)
		close(g->bundle_fd);
	conf_bundle_free(&g->bundle);
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

/* The load records what it read (conf/bundle.h); gen_new() of the
 * configuration takes the recording. */
struct pc_config *
master_load_config(char *err, size_t errlen)
{
	struct conf_src src = { .name = M.cfgname };

	/* `config FILE` names what reloads read (3proxy's conffile); if it
	 * came after `chroot`, 3proxy is still in that jail when it reads it,
	 * so the new configuration starts inside it as well */
	if (M.cur != NULL && M.cur->cfg->config_file != NULL) {
		src.path = M.cur->cfg->config_file;
		src.jail = M.cur->cfg;
	} else if (M.cfgpath != NULL)
		src.path = M.cfgpath;
	else
		src.text = M.cfgtext != NULL ? M.cfgtext : conf_default_text;
	conf_bundle_free(&pending);
	return conf_bundle_load(&src, &pending, err, errlen);
}

/* Sealed once, at the first spawn of the generation: by then
 * counters_attach has chosen the counters' slots, which go in too.  The
 * recording (passwords included) is wiped once it is in the memfd. */
int
gen_bundle_fd(struct gen *g)
{
	const int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE;
	size_t    off = 0;
	int       fd;

	if (g->bundle_fd >= 0 || g->bundle.len == 0)
		return g->bundle_fd;
	conf_bundle_add_slots(&g->bundle, g->cfg);
	fd = memfd_create("portcullis-config", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING);
	if (fd < 0) {
		log_warn("memfd_create");
		return -1;
	}
	while (off < g->bundle.len) {
		ssize_t n = write(fd, g->bundle.p + off, g->bundle.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("writing the configuration memfd");
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, seals) != 0) {
		log_warn("F_ADD_SEALS");
		close(fd);
		return -1;
	}
	conf_bundle_free(&g->bundle);
	g->bundle_fd = fd;
	return fd;
}
