/*
 * The master's own model (private to master/): generations, the worker
 * slots of each generation, and the process-wide settings fixed at start.
 *
 * A generation is one loaded configuration with its listeners, open log
 * targets and a worker slot per (service, slot).  The newest generation is
 * "current": it gets respawns and answers password checks for everyone.
 * Older generations only drain; one is freed (config, log files, listener
 * references) when its last worker has been reaped.
 */
#ifndef PC_MASTER_MASTER_H
#define PC_MASTER_MASTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/ipc_msg.h"
#include "conf/bundle.h"
#include "policy/policy.h"

/* Outbound messages are small (AUTH_REP, DRAIN, SHUTDOWN: <= 20 bytes). */
#define OUTQ_MSG_MAX 32
#define OUTQ_CAP     1100  /* > the 1024 outstanding AUTH replies allowed */
#define AUTH_OUTSTANDING_MAX 1024

struct outmsg {
	uint8_t b[OUTQ_MSG_MAX];
	uint8_t len;
	bool    auth_rep;
};

enum w_state { W_NONE, W_STARTING, W_READY };

struct gen;

struct worker {
	struct gen    *gen;
	uint16_t       svc, slot;
	pid_t          pid;          /* 0: no process in this slot */
	int            fd;           /* master's IPC end, -1 when closed */
	enum w_state   state;
	bool           draining;     /* DRAIN or SHUTDOWN sent */
	bool           violated;     /* killed by the master for cause */
	const char    *kill_reason;  /* why (a literal), when violated */
	int64_t        spawned_ms;
	int64_t        last_msg_ms;
	int64_t        drain_deadline_ms;
	int64_t        respawn_at_ms;  /* 0: no respawn scheduled */
	int64_t        last_crash_ms;
	unsigned       crashes;      /* consecutive, for the back-off */
	uint32_t       active;       /* connection gauge from STATS */
	uint64_t       accepted;     /* since the process started, STATS */
	uint32_t       dropped_logs;
	struct pc_msg_stats seen;    /* last STATS (metrics.c's growth) */
	struct outmsg *q;            /* ring of OUTQ_CAP, allocated lazily */
	size_t         qhead, qlen;
	size_t         auth_queued;  /* AUTH_REP in q not yet sent */
	int            errfd;        /* read end of its stderr pipe, or -1 */
	pid_t          errpid;       /* the process writing to it */
	size_t         errlen;
	char           errbuf[1024]; /* a line being read (wstderr.c) */
};

struct gen_svc {
	size_t   listener;           /* index into listen.c's table */
	bool     claimed;
	size_t   back_listener;      /* tcppm -R: the connect-back listener */
	bool     back_claimed;
	bool     announced;          /* "Accepting connections" written */
	unsigned early_deaths;       /* consecutive deaths before READY */
	size_t   book;               /* metrics.c's book of the service */
};

struct gen {
	uint32_t          id;
	struct pc_config *cfg;
	struct gen_svc   *svcs;      /* cfg->nsvcs */
	struct worker    *workers;   /* sum of cfg->svcs[i].workers */
	size_t            nworkers;
	int              *logfds;    /* cfg->nlogs; -1 = none */
	char            **lognames;  /* cfg->nlogs: file open now, or NULL */
	bool              spawned;
	struct conf_bundle bundle;   /* what the load read, until sealed */
	int               bundle_fd; /* sealed memfd for exec'ed workers */
	int               shm_fd;    /* memfd of the shared region */
	void             *shm;       /* its mapping (pc_shared_attach) */
	size_t            shm_len;
	struct gen       *next;      /* older generation */
};

/* Process-wide settings and state of the master. */
struct master {
	struct gen *gens;            /* newest first */
	struct gen *cur;
	uint32_t    next_gen;
	int         epfd;
	int         sigfd;
	int         sandbox;         /* enum pc_sandbox_mode for workers */
	int         privileged;      /* running as root */
	uid_t       uid;             /* worker ids */
	gid_t       gid;
	char       *jail;
	int         exefd;           /* /proc/self/exe, O_PATH: workers */
	int         verbose;         /* -v, passed to workers */
	const char *cfgpath;         /* NULL: embedded or stdin text */
	char       *cfgtext;         /* stdin text kept for reloads */
	const char *cfgname;         /* for messages */
	bool        stopping;
	int64_t     stop_deadline_ms;
	int         exit_status;     /* the master's, once stopped */
};

extern struct master M;

int64_t now_ms(void);          /* CLOCK_MONOTONIC */
uint64_t wall_ms(void);        /* CLOCK_REALTIME */

/* "proxy 1/2 gen 3" (static buffer, one at a time) */
const char *worker_name(const struct worker *w);

/* gen.c */
struct gen *gen_new(struct pc_config *cfg);
void        gen_free(struct gen *g);            /* unlinked, no workers */
size_t      gen_live_workers(const struct gen *g);
struct worker *gen_find_pid(pid_t pid);
void        gen_collect(void);   /* frees drained old generations */
struct pc_config *master_load_config(char *err, size_t errlen);
int         gen_bundle_fd(struct gen *g);  /* seals on first use; -1 */

#endif
