/*
 * Traffic counters (counters.h).
 *
 * The file is 3proxy's layout with 64-bit times: the signature "3CF\0",
 * the time of the last save, then one 24-byte record per counter number
 * (bytes, time of the last reset, time of the last change): record N-1
 * is counter N.  It is written whole to FILE.tmp and renamed, so a crash
 * leaves the previous version.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "master/counters.h"
#include "master/fleet.h"
#include "master/logname.h"
#include "master/master.h"

#define COUNTERS_SAVE_MS 10000
#define HEADER           12

static struct pc_ctslot *tab;
static int               tabfd = -1;   /* its memfd, for exec'ed workers */
static uint32_t          next_private = PC_CT_NUMBERS;
static bool              loaded;
static int64_t           next_save;
static time_t            report_period;     /* start of the period the
                                               next report covers */

void
counters_init(void)
{
	size_t len = PC_CT_SLOTS * sizeof(struct pc_ctslot);
	void  *p;

	tabfd = memfd_create("portcullis-counters", MFD_CLOEXEC);
	if (tabfd < 0 || ftruncate(tabfd, (off_t)len) != 0)
		fatal("memfd counters");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, tabfd, 0);
	if (p == MAP_FAILED)
		fatal("mmap counters");
	tab = p;
}

int
counters_fd(void)
{
	return tabfd;
}

static void
load(const char *path)
{
	FILE    *f = fopen(path, "re");
	uint8_t  hdr[HEADER];
	uint64_t rec[3];
	size_t   n = 0;

	if (f == NULL) {
		if (errno != ENOENT)
			log_warn("counter file %s", path);
		return;
	}
	if (fread(hdr, 1, HEADER, f) != HEADER ||
	    memcmp(hdr, "3CF", 4) != 0) {
		log_warnx("counter file %s: not a counter file, ignored", path);
		fclose(f);
		return;
	}
	while (n < PC_CT_NUMBERS && fread(rec, sizeof(rec), 1, f) == 1) {
		__atomic_store_n(&tab[n].bytes, rec[0], __ATOMIC_RELAXED);
		tab[n].reset = (int64_t)rec[1];
		tab[n].update = (int64_t)rec[2];
		n++;
	}
	fclose(f);
	log_info("counter file %s: %zu records loaded", path, n);
}

void
counters_attach(struct pc_config *cfg)
{
	uint32_t highest = 0;

	cfg->ctslots = tab;
	for (size_t i = 0; i < cfg->ncounters; i++) {
		struct pc_counter *c = &cfg->counters[i];

		if (c->exempt)
			continue;
		if (c->number > 0) {
			c->slot = c->number - 1;
			if (c->number > highest)
				highest = c->number;
			continue;
		}
		/* not kept: a fresh slot (wrapping after many reloads) */
		if (next_private >= PC_CT_SLOTS)
			next_private = PC_CT_NUMBERS;
		c->slot = next_private++;
		__atomic_store_n(&tab[c->slot].bytes, 0, __ATOMIC_RELAXED);
		tab[c->slot].reset = (int64_t)time(NULL);
	}
	if (!loaded && cfg->counter_file != NULL) {
		load(cfg->counter_file);
		loaded = true;
	}
	if (cfg->counter_rtype != PC_ROT_NONE)
		report_period = logname_period_start(cfg->counter_rtype, false,
		    time(NULL));
	(void)highest;
}

static uint32_t
highest_number(const struct pc_config *cfg)
{
	uint32_t h = 0;

	for (size_t i = 0; i < cfg->ncounters; i++)
		if (cfg->counters[i].number > h)
			h = cfg->counters[i].number;
	return h;
}

void
counters_save(void)
{
	const struct pc_config *cfg = M.cur != NULL ? M.cur->cfg : NULL;
	char                    tmp[4096];
	uint8_t                 hdr[HEADER] = "3CF";
	int64_t                 now = (int64_t)time(NULL);
	uint32_t                n;
	FILE                   *f;
	bool                    ok;

	if (cfg == NULL || cfg->counter_file == NULL || tab == NULL)
		return;
	n = highest_number(cfg);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", cfg->counter_file) >=
	    (int)sizeof(tmp) || (f = fopen(tmp, "we")) == NULL) {
		log_warn("counter file %s", cfg->counter_file);
		return;
	}
	memcpy(hdr + 4, &now, 8);
	ok = fwrite(hdr, 1, HEADER, f) == HEADER;
	for (uint32_t i = 0; ok && i < n; i++) {
		uint64_t rec[3] = {
			__atomic_load_n(&tab[i].bytes, __ATOMIC_RELAXED),
			(uint64_t)tab[i].reset, (uint64_t)tab[i].update };

		ok = fwrite(rec, sizeof(rec), 1, f) == 1;
	}
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, cfg->counter_file) != 0) {
		log_warn("counter file %s", cfg->counter_file);
		(void)unlink(tmp);
	}
}

uint64_t
counters_get(uint32_t number)
{
	return number >= 1 && number <= PC_CT_NUMBERS && tab != NULL ?
	    __atomic_load_n(&tab[number - 1].bytes, __ATOMIC_RELAXED) : 0;
}

int64_t
counters_reset_time(uint32_t number)
{
	return number >= 1 && number <= PC_CT_NUMBERS && tab != NULL ?
	    tab[number - 1].reset : 0;
}

void
counters_set(uint32_t number, uint64_t bytes, bool reset)
{
	if (number < 1 || number > PC_CT_NUMBERS || tab == NULL)
		return;
	__atomic_store_n(&tab[number - 1].bytes, bytes, __ATOMIC_RELAXED);
	tab[number - 1].update = (int64_t)time(NULL);
	if (reset)
		tab[number - 1].reset = (int64_t)time(NULL);
}

/* One line per counter whose reset period is at least the report's:
 * "NNNNN BBBBBBBBBBBBBBBBBBBB #NAME", as 3proxy. */
static void
report(const struct pc_config *cfg, time_t period_start)
{
	struct pc_logtarget lt = { .kind = PC_LOG_FILE,
	    .path = cfg->counter_report, .rot = cfg->counter_rtype };
	char                name[LOGNAME_MAX];
	FILE               *f;

	if (cfg->counter_report == NULL ||
	    logname_expand(&lt, period_start, name, sizeof(name)) != 0 ||
	    (f = fopen(name, "we")) == NULL) {
		if (cfg->counter_report != NULL)
			log_warn("counter report %s", cfg->counter_report);
		return;
	}
	for (size_t i = 0; i < cfg->ncounters; i++) {
		const struct pc_counter *c = &cfg->counters[i];

		if (c->exempt || c->number == 0 ||
		    (c->period != PC_ROT_NONE && c->period < cfg->counter_rtype))
			continue;
		fprintf(f, "%05u %020llu%s%s\n", (unsigned)c->number,
		    (unsigned long long)__atomic_load_n(&tab[c->slot].bytes,
		    __ATOMIC_RELAXED), c->name != NULL ? " #" : "",
		    c->name != NULL ? c->name : "");
	}
	if (fclose(f) != 0)
		log_warn("counter report %s", name);
}

/* Counters whose period ended since their last reset start again. */
static void
resets(const struct pc_config *cfg, time_t now)
{
	for (size_t i = 0; i < cfg->ncounters; i++) {
		const struct pc_counter *c = &cfg->counters[i];
		time_t                   start;

		if (c->exempt || c->period == PC_ROT_NONE ||
		    (c->number > 0 && fleet_on(cfg)))
			continue;        /* the fleet's: a new row (fleet.c) */
		start = logname_period_start(c->period, false, now);
		if (tab[c->slot].reset < (int64_t)start) {
			__atomic_store_n(&tab[c->slot].bytes, 0,
			    __ATOMIC_RELAXED);
			tab[c->slot].reset = (int64_t)now;
		}
	}
}

int64_t
counters_tick(int64_t now_ms)
{
	const struct pc_config *cfg = M.cur != NULL ? M.cur->cfg : NULL;
	time_t                  now = time(NULL), start;

	if (cfg == NULL || cfg->ncounters == 0)
		return now_ms + 60000;
	if (cfg->counter_rtype != PC_ROT_NONE) {
		start = logname_period_start(cfg->counter_rtype, false, now);
		if (start > report_period) {
			report(cfg, report_period);
			report_period = start;
		}
	}
	resets(cfg, now);
	if (now_ms >= next_save) {
		counters_save();
		next_save = now_ms + COUNTERS_SAVE_MS;
	}
	return now_ms + 1000;
}
