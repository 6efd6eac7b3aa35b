/*
 * Writing the access log.  Files are opened by the master (root) with
 * O_APPEND|O_NOFOLLOW, so records from several workers and generations
 * land as whole lines; each batch goes out in one write(2), so stdout is
 * effectively line-buffered with a flush per batch.  A failing target is
 * reported once, then again only after it has worked in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "master/logfmt.h"
#include "master/logname.h"
#include "master/logodbc.h"
#include "master/logrotate.h"
#include "master/logsyslog.h"
#include "master/logwrite.h"
#include "master/master.h"
#include "master/metrics.h"

#define LOG_FILE_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW)
#define LOG_FILE_MODE  0640

/* Target i of g: the fd to write (STDOUT_FILENO, a file) or -1 (syslog,
 * or none).  A file's name is the one for now: with a rotation type the
 * period's file, with a template the expansion at open time. */
static int
open_target(struct gen *g, size_t i)
{
	const struct pc_logtarget *t = &g->cfg->logs[i];
	char                       name[LOGNAME_MAX];

	switch (t->kind) {
	case PC_LOG_STDOUT:
		return STDOUT_FILENO;
	case PC_LOG_FILE:
		if (logname_expand(t, time(NULL), name, sizeof(name)) != 0) {
			errno = ENAMETOOLONG;
			return -1;
		}
		free(g->lognames[i]);
		g->lognames[i] = xstrdup(name);
		return open(name, LOG_FILE_FLAGS, LOG_FILE_MODE);
	default:
		return -1;
	}
}

int
logs_open(struct gen *g, char *err, size_t errlen)
{
	const struct pc_config *cfg = g->cfg;

	g->logfds = xcalloc(cfg->nlogs + 1, sizeof(int));
	g->lognames = xcalloc(cfg->nlogs + 1, sizeof(char *));
	for (size_t i = 0; i < cfg->nlogs; i++)
		g->logfds[i] = -1;
	for (size_t i = 0; i < cfg->nlogs; i++) {
		if (cfg->logs[i].kind == PC_LOG_ODBC)
			logodbc_want();     /* the helper connects at start */
		g->logfds[i] = open_target(g, i);
		if (g->logfds[i] == -1 && cfg->logs[i].kind == PC_LOG_FILE) {
			snprintf(err, errlen, "cannot open log file %s: %s",
			    g->lognames[i] != NULL ? g->lognames[i] :
			    cfg->logs[i].path, strerror(errno));
			logs_close(g);
			return -1;
		}
	}
	return 0;
}

void
logs_close(struct gen *g)
{
	if (g->logfds == NULL)
		return;
	for (size_t i = 0; i < g->cfg->nlogs; i++) {
		if (g->logfds[i] > STDERR_FILENO)
			close(g->logfds[i]);
		free(g->lognames[i]);
	}
	free(g->logfds);
	free(g->lognames);
	g->logfds = NULL;
	g->lognames = NULL;
}

/* Puts a fresh open of name in place of target i's descriptor, so the
 * number the loop knows stays valid. */
static int
reopen_as(struct gen *g, size_t i, const char *name)
{
	int fd = open(name, LOG_FILE_FLAGS, LOG_FILE_MODE);

	if (fd == -1) {
		log_warn("cannot open log file %s", name);
		return -1;
	}
	if (g->logfds[i] <= STDERR_FILENO)
		g->logfds[i] = fd;
	else if (dup3(fd, g->logfds[i], O_CLOEXEC) == -1) {
		log_warn("cannot reopen log file %s", name);
		close(fd);
		return -1;
	}
	if (fd != g->logfds[i])
		close(fd);
	return 0;
}

int
logs_switch(struct gen *g, size_t i, const char *name)
{
	if (reopen_as(g, i, name) != 0)
		return -1;
	free(g->lognames[i]);
	g->lognames[i] = xstrdup(name);
	return 0;
}

/* The name stays: a period change is logrotate's to notice, with its
 * archiving; here a moved or deleted file is only created again. */
void
logs_reopen_all(void)
{
	logsyslog_reset();
	for (struct gen *g = M.gens; g != NULL; g = g->next)
		for (size_t i = 0; g->logfds != NULL && i < g->cfg->nlogs; i++)
			if (g->cfg->logs[i].kind == PC_LOG_FILE &&
			    g->lognames[i] != NULL)
				(void)reopen_as(g, i, g->lognames[i]);
}

/* Target index of service svc, or -1 when it writes nowhere. */
static int
target(const struct gen *g, size_t svc)
{
	int l = g->cfg->svcs[svc].log;

	if (l < 0 || (size_t)l >= g->cfg->nlogs || g->logfds == NULL)
		return -1;
	if (g->cfg->logs[l].kind != PC_LOG_SYSLOG &&
	    g->cfg->logs[l].kind != PC_LOG_ODBC && g->logfds[l] < 0)
		return -1;
	return l;
}

void
logbuf_add(struct logbuf *b, const struct gen *g, size_t svc,
    const struct pc_logrec *rec)
{
	const struct pc_service *s = &g->cfg->svcs[svc];
	int                      l = target(g, svc);

	if (l < 0)
		return;
	if (g->cfg->logs[l].kind == PC_LOG_ODBC)  /* ' in a user name */
		rec = logodbc_sqlsafe(rec, s->logformat);
	if (b->cap - b->len < LOGFMT_LINE_MAX + 1) {
		b->cap = b->cap * 2 + LOGFMT_LINE_MAX + 1;
		b->p = xreallocarray(b->p, 1, b->cap);
	}
	b->len += logfmt_format(b->p + b->len, LOGFMT_LINE_MAX, s->logformat,
	    rec, s->listen.port);
	b->p[b->len++] = '\n';
	b->nrec++;
}

/* 0 all written, -1 not (reported). */
static int
write_all(int fd, const char *p, size_t n, const char *what)
{
	static char failed_for[256];

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (strcmp(failed_for, what) != 0) {
				log_warn("cannot write the access log to %s",
				    what);
				snprintf(failed_for, sizeof(failed_for), "%s",
				    what);
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	if (strcmp(failed_for, what) == 0)
		failed_for[0] = '\0';
	return 0;
}

void
logbuf_flush(struct logbuf *b, struct gen *g, size_t svc)
{
	int                        l = target(g, svc);
	const struct pc_logtarget *t;
	struct logodbc_figures     o;
	uint64_t                   lost = 0;

	if (l < 0 || b->len == 0) {
		b->len = b->nrec = 0;
		return;
	}
	t = &g->cfg->logs[l];
	if (t->kind == PC_LOG_SYSLOG) {
		lost = logsyslog_dropped_total();
		logsyslog_send(t->path, b->p, b->len);
		lost = logsyslog_dropped_total() - lost;
	} else if (t->kind == PC_LOG_ODBC) {
		logodbc_figures(&o);
		lost = o.dropped;
		logodbc_send(t, b->p, b->len);
		logodbc_figures(&o);
		lost = o.dropped - lost;
	} else {
		if (t->rot != PC_ROT_NONE)
			logrotate_check();
		if (write_all(g->logfds[l], b->p, b->len,
		    t->kind == PC_LOG_FILE ? g->lognames[l] : "stdout") != 0)
			lost = b->nrec;
	}
	if (lost > b->nrec)
		lost = b->nrec;
	metrics_log(t, b->nrec - (size_t)lost, (size_t)lost);
	b->len = b->nrec = 0;
}

void
logbuf_free(struct logbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = b->nrec = 0;
}

static const char *
event_name(enum pc_svc_type t)
{
	switch (t) {
	case PC_SVC_PROXY: return "PROXY";
	case PC_SVC_SOCKS: return "SOCKS";   /* the listener logs as SOCKS */
	case PC_SVC_TCPPM: return "TCPPM";
	case PC_SVC_UDPPM: return "UDPPM";
	case PC_SVC_POP3P: return "POP3P";
	case PC_SVC_DNSPR: return "DNSPR";
	case PC_SVC_FTPPR: return "FTPPR";
	case PC_SVC_SMTPP: return "SMTPP";
	case PC_SVC_ADMIN: return "ADMIN";
	case PC_SVC_TLSPR: return "TLSPR";
	case PC_SVC_AUTO:  return "AUTO";
	case PC_SVC_IMAPP: return "IMAPP";
	default:           return "SERVR";
	}
}

void
log_service_event(struct gen *g, size_t svc, const char *text)
{
	static struct pc_logrec rec;
	struct logbuf           b = { 0 };
	const struct pc_service *s = &g->cfg->svcs[svc];

	if (s->silent)
		return;
	memset(&rec, 0, sizeof(rec));
	rec.t_ms = wall_ms();
	rec.svc = (uint16_t)svc;
	rec.flags = PC_LOGREC_F_EVENT;
	snprintf(rec.svcname, sizeof(rec.svcname), "%s", event_name(s->type));
	rec.local = s->listen;
	/* 3proxy's start record has the listening address as its client
	 * (%C:%c); its "Exiting thread" has 0.0.0.0:0 there */
	if (strncmp(text, "Accepting", 9) == 0)
		rec.client = s->listen;
	snprintf(rec.text, sizeof(rec.text), "%s", text);
	logbuf_add(&b, g, svc, &rec);
	logbuf_flush(&b, g, svc);
	logbuf_free(&b);
}
