/*
 * The HTML pages of the admin service (admin.h).  3proxy's letters:
 * /C counters (/CD<n> /CS<n> switch rule n off and on), /R reload; /S and
 * /F have 3proxy's shapes (admin_3proxy.c), so the HTML pages that stood
 * there are /W (workers: connection counts per worker) and /E (the
 * running configuration, passwords hidden).  Figures come from the
 * master (connection counts, user names) or from the shared counter
 * table the worker maps (traffic counters).
 */
#include <stdio.h>
#include <time.h>

#include "worker/proto/admin/admin.h"
#include "worker/core/conn.h"

void
admin_page_index(struct abuf *b, bool limited)
{
	admin_page_begin(b, "administration");
	if (limited) {       /* admin -s: the counters, read-only */
		abuf_printf(b, "<ul>\n<li><a href=\"/C\">counters</a>: "
		    "traffic counters and their limits</li>\n</ul>\n");
		admin_page_end(b);
		return;
	}
	abuf_printf(b, "<ul>\n"
	    "<li><a href=\"/W\">workers</a>: listeners and connection "
	    "counts per worker</li>\n"
	    "<li><a href=\"/S\">services</a>: the running services as "
	    "XML (3proxy's form)</li>\n"
	    "<li><a href=\"/C\">counters</a>: traffic counters and their "
	    "limits, switched off and on</li>\n"
	    "<li><a href=\"/F\">configuration file</a>: the file as "
	    "written</li>\n"
	    "<li><a href=\"/E\">running configuration</a>: what was "
	    "compiled (passwords hidden)</li>\n"
	    "<li><a href=\"/metrics\">metrics</a>: the master's figures in "
	    "the Prometheus text format</li>\n"
	    "</ul>\n"
	    "<form method=\"post\" action=\"/R\"><p><input type=\"submit\" "
	    "value=\"reload the configuration\"></p></form>\n");
	admin_page_end(b);
}

static const char *const state_names[] = { "starting", "serving",
	"draining" };

static void
service_rows(struct abuf *b, const struct pc_msg_admin_rep *rep, size_t svc)
{
	for (uint16_t i = 0; i < rep->nrows; i++) {
		const struct pc_admin_row *r = &rep->rows[i];

		if (r->svc != svc)
			continue;
		if (r->pid == 0) {
			abuf_printf(b, "<tr><td></td><td>%u</td><td>-</td>"
			    "<td>respawning</td><td>0</td><td>0</td></tr>\n",
			    r->slot);
			continue;
		}
		abuf_printf(b, "<tr><td></td><td>%u</td><td>%u</td><td>%s</td>"
		    "<td>%u</td><td>%llu</td></tr>\n", r->slot, r->pid,
		    state_names[r->state % 3], r->active,
		    (unsigned long long)r->accepted);
	}
}

void
admin_page_stats(struct abuf *b, const struct pc_msg_admin_rep *rep)
{
	const struct pc_config *cfg = wctx.cfg;
	char                    ip[PC_ADDRSTRLEN];

	admin_page_begin(b, "services");
	if (rep == NULL) {
		abuf_printf(b, "<p>The master did not answer.</p>\n");
		admin_page_end(b);
		return;
	}
	abuf_printf(b, "<p>Generation %u. Figures of each worker's last "
	    "heartbeat (once a second).</p>\n<table border=\"1\">\n"
	    "<tr><th>service</th><th>slot</th><th>pid</th><th>state</th>"
	    "<th>active</th><th>accepted</th></tr>\n", wctx.gen);
	for (size_t s = 0; s < cfg->nsvcs; s++) {
		const struct pc_service *svc = &cfg->svcs[s];
		unsigned long long       active = 0, accepted = 0;

		for (uint16_t i = 0; i < rep->nrows; i++)
			if (rep->rows[i].svc == s) {
				active += rep->rows[i].active;
				accepted += rep->rows[i].accepted;
			}
		abuf_printf(b, "<tr><th>%zu %s %s:%u</th><th>all</th>"
		    "<th></th><th></th><th class=\"active\">%llu</th>"
		    "<th class=\"accepted\">%llu</th></tr>\n", s,
		    pc_svc_type_name(svc->type),
		    pc_addr_ntop(&svc->listen, ip, sizeof(ip)),
		    svc->listen.port, active, accepted);
		service_rows(b, rep, s);
	}
	abuf_printf(b, "</table>\n");
	admin_page_end(b);
}

static const char *
period_name(enum pc_logrot p)
{
	static const char *const n[] = { "never", "minute", "hour", "day",
		"week", "month", "year" };

	return (size_t)p < sizeof(n) / sizeof(n[0]) ? n[p] : "?";
}

static void
counter_row(struct abuf *b, const struct pc_config *cfg, size_t i,
    bool limited)
{
	const struct pc_counter *c = &cfg->counters[i];
	bool                     on = cfg->ctoff == NULL ||
	    !__atomic_load_n(&cfg->ctoff[i], __ATOMIC_RELAXED);
	static const char *const dir[] = { "countin", "countout", "countall" };
	const struct pc_ctslot  *sl = &cfg->ctslots[c->slot];
	uint64_t                 bytes = __atomic_load_n(&sl->bytes,
	    __ATOMIC_RELAXED);
	time_t                   reset = (time_t)sl->reset;
	struct tm                tm;
	char                     when[32] = "-";

	if (reset != 0 && localtime_r(&reset, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	abuf_printf(b, "<tr><td>%u</td><td>", c->number);
	abuf_html(b, c->name != NULL ? c->name : "");
	abuf_printf(b, "</td><td>%s</td><td>%s</td><td class=\"bytes\">%llu"
	    "</td><td>%llu</td><td>%s</td>", dir[c->dir % 3],
	    period_name(c->period), (unsigned long long)bytes,
	    (unsigned long long)c->limit, when);
	if (limited)
		abuf_printf(b, "<td class=\"active\">%s</td></tr>\n",
		    on ? "YES" : "NO");
	else
		abuf_printf(b, "<td class=\"active\"><a href=\"/C%c%zu\">%s"
		    "</a></td></tr>\n", on ? 'D' : 'S', i, on ? "YES" : "NO");
}

void
admin_page_counters(struct abuf *b, bool limited, const struct pc_acl_req *q)
{
	const struct pc_config *cfg = wctx.cfg;
	size_t                  shown = 0;

	admin_page_begin(b, "counters");
	abuf_printf(b, "<table border=\"1\">\n<tr><th>number</th><th>name"
	    "</th><th>type</th><th>reset</th><th>bytes</th><th>limit</th>"
	    "<th>last reset</th><th>active</th></tr>\n");
	for (size_t i = 0; i < cfg->ncounters && cfg->ctslots != NULL; i++) {
		if (cfg->counters[i].exempt)
			continue;
		/* admin -s: a client sees the rules that count it (3proxy) */
		if (limited && !pc_acl_rule_matches(&cfg->counters[i].rule, q))
			continue;
		counter_row(b, cfg, i, limited);
		shown++;
	}
	abuf_printf(b, "</table>\n");
	if (shown == 0)
		abuf_printf(b, "<p>No traffic counters are configured.</p>\n");
	admin_page_end(b);
}

void
admin_page_reload(struct abuf *b, const struct pc_msg_admin_rep *rep)
{
	admin_page_begin(b, "reload");
	if (rep == NULL)
		abuf_printf(b, "<p>The master did not answer.</p>\n");
	else if (rep->code != 0)
		abuf_printf(b, "<p>The master refused: it is stopping.</p>\n");
	else
		abuf_printf(b, "<p>Reload requested: the master reads the "
		    "configuration again; if it is valid, new workers take "
		    "over and this one finishes its connections.</p>\n");
	admin_page_end(b);
}

void
admin_page_config(struct abuf *b, const struct pc_msg_admin_rep *users)
{
	admin_page_begin(b, "configuration");
	abuf_printf(b, "<pre>\n");
	admin_config_render(b, wctx.cfg, users);
	abuf_printf(b, "</pre>\n");
	admin_page_end(b);
}
