/*
 * One client connection inside a worker and its life cycle.  Shared by every
 * protocol handler: the accept code creates it, the service's protocol
 * (struct proto) drives it, conn_close() logs it and frees it.
 *
 * Buffers are not part of a connection: a protocol allocates them only
 * while bytes are in flight and frees them when idle.
 */
#ifndef PC_WORKER_CONN_H
#define PC_WORKER_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/ecode.h"
#include "worker/core/bandlim.h"
#include "worker/core/counters.h"
#include "policy/policy.h"
#include "worker/core/ev.h"

struct conn;
struct request_state;
struct relay_state;

struct proto {
	const char *logname;                /* default %N: "PROXY", "SOCKS" */
	void (*start)(struct conn *c);      /* client accepted: install handlers */
	void (*drain)(struct conn *c);      /* worker draining: close if idle */
	void (*release)(struct conn *c);    /* free c->proto_state (may be NULL) */
};

struct worker_ctx {                     /* the worker's read-only context */
	const struct pc_config  *cfg;
	const struct pc_service *svc;
	uint16_t                 svc_idx;
	uint32_t                 gen;
	uint32_t                 slot;
	char                     hostname[256];  /* gethostname() */
};
extern struct worker_ctx wctx;          /* set once by worker_main */

struct conn {
	const struct proto *proto;
	void           *proto_state;
	int             cfd;          /* client socket */
	int             sfd;          /* server socket, -1 when none */
	struct ev_io    cio, sio;     /* cb/arg are the protocol's; arg = conn */
	struct ev_timer timer;        /* the protocol's idle/step timer */
	bool            closing;      /* conn_close called; ignore events */
	bool            nolog;        /* matching ACL rule had `nolog` */
	bool            maxconn_slot; /* holds one of the service's maxconn
	                                 (accept.c), given back at close */
	bool            logged;       /* this request's record is out: a
	                                 close logs nothing more */
	bool            lingering;    /* conn_linger: reading to EOF */
	bool            released;     /* proto->release ran */
	bool            field_nomem;  /* a conn_set_* copy failed: the next
	                                 record carries PC_E_NOMEM */
	int             dead_cfd;     /* closed client socket, closed for
	                                 real at the end of the turn */
	uint32_t        linger_bytes; /* conn_linger: bytes read and dropped */
	uint64_t        start_ms;     /* wall clock at accept or request start */
	uint64_t        bytes_in;     /* %I from the server */
	uint64_t        bytes_out;    /* %O to the server */
	uint16_t        hops;
	char            svcname[8];   /* %N; proto may change (SOCK4/SOCK5) */
	struct pc_addr  client;       /* %C %c */
	struct pc_addr  local;        /* %i */
	struct pc_addr  ext;          /* %e, set by the connect step */
	struct pc_addr  remote;       /* %R %r */
	struct pc_addr  req;          /* %Q %q */
	char           *user;         /* authenticated/given name, or NULL */
	char           *host;         /* requested name, or NULL */
	char           *text;         /* %T, or NULL */
	struct request_state *req_state; /* request.c pipeline, or NULL */
	struct relay_state   *relay;     /* relay.c bulk phase, or NULL */
	void          (*after_log)(struct conn *c); /* conn_after_log */
	struct bl_set   bl_in, bl_out;   /* bandwidth pipes (bandlim.h) of the
	                                    current request, per direction */
	struct bl_set   cl_held;         /* connlim counts it holds */
	struct ct_set   ct_in, ct_out;   /* traffic counters (counters.h) */
	uint32_t        op;           /* the request's PC_OP_ (request.c) */
	bool            verified;     /* its user's password was checked */
	bool            rechecked;    /* asked once after a reload (force) */
	uint32_t        recheck_id;   /* that question, while unanswered */
	uint64_t        dumped_in;    /* logdump: bytes_in, bytes_out at */
	uint64_t        dumped_out;   /* the last record of the request */
	struct conn    *next, *prev;  /* worker's list of live connections */
};

/* Setters copy their argument (NULL clears); a copy that fails for lack
 * of memory leaves the field empty and the next record logs PC_E_NOMEM
 * (common/xmalloc.h). */
void conn_set_user(struct conn *c, const char *user);
void conn_set_host(struct conn *c, const char *host);
void conn_set_text(struct conn *c, const char *text);

/* Send one access-log record for the current request with code %E (unless
 * nolog), then reset bytes_in/bytes_out/start_ms for the next request on a
 * kept-alive connection. */
void conn_log(struct conn *c, int code);
/* Log (code; pass -1 to skip logging), close both sockets, cancel pending
 * DNS/auth/timers, call proto->release, and free at the end of the turn. */
void conn_close(struct conn *c, int code);
/* Lingering close (what nginx does): log (code; -1 to skip), release
 * everything but the client socket, shut its write side down (after the
 * turn's log batch left: conn_after_log), then read
 * and discard what the client still sends until EOF, 2 s or 256 KiB, and
 * close.  A request racing with the close meets an orderly EOF, never
 * the reset that close() with unread bytes would send. */
void conn_linger(struct conn *c, int code);
/* The write that tells the client its request is over (the last bytes of
 * a response, an error page, the half-close of a lingering close) waits
 * for the end of the loop turn, after this turn's log batch has gone to
 * the master: fn(c) runs then (unless c was closed meanwhile), so a
 * worker killed after the client saw the end cannot have lost the
 * record.  One flush per turn for every connection, not one per record.
 * Call it after conn_log; a later call for c replaces fn. */
void conn_after_log(struct conn *c, void (*fn)(struct conn *c));
/* `logdump`: a record of the request so far (code 0, its bytes and
 * duration until now), nothing reset: 3proxy's records of a long
 * tunnel count from its start. */
void conn_log_dump(struct conn *c);
/* Close only the server side (keep-alive to a new origin). */
void conn_close_server(struct conn *c);

/* Non-blocking send helpers: write as much as possible; return bytes
 * written, or -1 on a hard error (EAGAIN gives 0). */
ssize_t conn_send(int fd, const void *p, size_t n);

unsigned conn_active_count(void);

#endif
