/*
 * Every message between the master and a worker, in one place.
 *
 * Transport: one socketpair(AF_UNIX, SOCK_SEQPACKET) per worker; one
 * datagram = one message = 16-byte header + payload, at most PC_IPC_MAX
 * bytes.  Host byte order (same machine).  Payload: fixed-width fields, then
 * strings as u16 length + bytes (no NUL on the wire).
 *
 * Decoding is done only through the checked reader below: every read is
 * bounds-checked, the header's len must equal the bytes received, strings
 * longer than their field's limit and trailing bytes are errors.  A message
 * that fails to decode from a worker gets that worker killed, never the
 * master.  tests/fuzz/fuzz_ipc.c feeds the decoders.
 */
#ifndef PC_COMMON_IPC_MSG_H
#define PC_COMMON_IPC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define PC_IPC_MAX 16384

struct pc_ipc_hdr {
	uint16_t type;
	uint16_t flags;
	uint32_t len;   /* payload bytes after the header */
	uint32_t id;    /* request id for AUTH_REQ/AUTH_REP and
	                   ADMIN_REQ/ADMIN_REP, else 0 */
	uint32_t gen;   /* sender's configuration generation */
};

enum pc_ipc_type {
	PC_IPC_READY = 1,  /* W->M once: worker is sandboxed and serving */
	PC_IPC_AUTH_REQ,   /* W->M: verify user+password (reply by id) */
	PC_IPC_AUTH_REP,   /* M->W: verdict */
	PC_IPC_LOG,        /* W->M: batch of access-log records */
	PC_IPC_STATS,      /* W->M: 1 Hz heartbeat */
	PC_IPC_DRAIN,      /* M->W: stop accepting, finish, exit */
	PC_IPC_SHUTDOWN,   /* M->W: exit now */
	PC_IPC_ADMIN_REQ,  /* W->M: the admin service asks (reply by id) */
	PC_IPC_ADMIN_REP,  /* M->W: the master's figures, or its verdict */
	PC_IPC__MAX
};

/* Field limits (the receiver rejects longer strings). */
#define PC_IPC_USER_MAX  255
#define PC_IPC_PASS_MAX  255
#define PC_IPC_HOST_MAX  1023
#define PC_IPC_TEXT_MAX  4095

/* Sandbox state reported in READY. */
enum pc_sandbox_mode { PC_SANDBOX_ENFORCE, PC_SANDBOX_LOG, PC_SANDBOX_OFF };

struct pc_msg_ready {
	uint32_t pid;
	uint16_t svc;      /* service index in the generation's config */
	uint16_t slot;
	uint8_t  sandbox;  /* enum pc_sandbox_mode */
	uint8_t  jailed;   /* 1 = chroot + setuid done */
};

/* kind: what the worker asks.  PASSWORD: check user/pass against `users`
 * (a success also fills the authcache).  CACHE: the `cache` auth type,
 * a lookup in the master's authcache by client address, user and pass as
 * `authcache` keys them (user and pass may be empty).  RECHECK (`force`,
 * a draining worker after a reload): may this open connection go on
 * under the current configuration?  It names the user (verified: its
 * password was checked), the target (dst, host, port) and op; no
 * password. */
enum pc_auth_kind { PC_AUTH_KIND_PASSWORD = 0, PC_AUTH_KIND_CACHE = 1,
	PC_AUTH_KIND_RECHECK = 2 };

struct pc_msg_auth_req {
	uint16_t       svc;
	struct pc_addr client;
	char           user[PC_IPC_USER_MAX + 1];
	char           pass[PC_IPC_PASS_MAX + 1];
	uint8_t        kind;      /* enum pc_auth_kind */
	/* RECHECK only (empty otherwise) */
	uint8_t        verified;  /* 1: user's password was checked */
	struct pc_addr dst;       /* family 0: none */
	char           host[PC_IPC_HOST_MAX + 1];
	uint16_t       port;
	uint32_t       op;        /* one PC_OP_ bit */
};

/* code: 0 ok, 5 unknown user, 6 wrong CL, 7 wrong CR, 8 wrong NT password,
 * 10 authcache `limit` (the user is bound to another address), 4 a cache
 * miss (the %E codes of the HowTo).  user: the cached user name of a CACHE
 * hit, else "". */
struct pc_msg_auth_rep {
	uint32_t code;
	char     user[PC_IPC_USER_MAX + 1];
};

/* Figures since the worker started (the master adds the difference to
 * its books at each heartbeat, so they survive the process). */
struct pc_msg_stats {
	uint32_t active;    /* connections open now */
	uint64_t accepted;  /* since start */
	uint32_t dropped_logs;
	uint8_t  draining;
	uint64_t bw_waits;     /* times a bandwidth limit held a transfer */
	uint64_t bw_wait_ms;   /* the time they were held, in all */
	uint64_t dns_lookups;  /* names to resolve (not address literals) */
	uint64_t dns_hits;     /* of them answered from the cache */
	uint64_t dns_failures; /* of them that did not resolve */
};

struct pc_msg_drain {
	uint32_t grace_s;   /* exit at 0 connections or after this long */
};

/* The admin service's questions (only an admin worker may ask; any other
 * worker asking is killed).  STATS: the connection figures of the asking
 * worker's generation, one row per worker slot.  RELOAD: the master
 * reloads as on SIGHUP.  USERS: the names of `users` and their password
 * type, never the passwords (workers wipe their own copy of the table).
 * METRICS: the master's books as Prometheus text, in pieces: arg is the
 * offset wanted; offset 0 takes a new snapshot, the later pieces come
 * from that snapshot, so one scrape is consistent.  CFGFILE: the
 * configuration file as written (what a reload reads), in pieces the
 * same way; it may hold passwords, as 3proxy's /F shows them. */
enum pc_admin_kind {
	PC_ADMIN_STATS = 0, PC_ADMIN_RELOAD = 1, PC_ADMIN_USERS = 2,
	PC_ADMIN_METRICS = 3, PC_ADMIN_CFGFILE = 4, PC_ADMIN__MAX
};
/* kinds answered with text in pieces */
#define PC_ADMIN_IS_TEXT(k) ((k) == PC_ADMIN_METRICS || \
	(k) == PC_ADMIN_CFGFILE)

struct pc_msg_admin_req {
	uint8_t  kind;     /* enum pc_admin_kind */
	uint32_t arg;      /* METRICS, CFGFILE: offset into the text */
};

#define PC_IPC_ADMIN_ROWS  128   /* worker slots in one reply */
#define PC_IPC_ADMIN_NAMES 40    /* user names in one reply */
/* Text of one reply (METRICS): a reply with text has no rows and no
 * names, so it fits one message. */
#define PC_IPC_ADMIN_TEXT  16000
#define PC_IPC_ADMIN_TOTAL (4u << 20)  /* whole text, all pieces */

/* state: 0 starting, 1 serving, 2 draining; pid 0: an empty slot (waiting
 * to be respawned).  accepted counts since that process started. */
struct pc_admin_row {
	uint16_t svc;      /* service index in the generation's config */
	uint16_t slot;
	uint32_t pid;
	uint32_t active;   /* from the worker's last STATS */
	uint64_t accepted;
	uint8_t  state;
};

struct pc_admin_user {
	char    name[PC_IPC_USER_MAX + 1];
	uint8_t type;      /* policy.h enum pc_pwtype: 0 CL 1 CR 2 NT 3 SYS */
};

/* code: 0 done, 1 refused (e.g. a reload while stopping).  rows for
 * STATS, users for USERS; nusers_total: every name the master has, also
 * those that did not fit.  METRICS: text is the piece at offset of a
 * text of total bytes (offset + strlen(text) <= total). */
struct pc_msg_admin_rep {
	uint8_t              kind;
	uint32_t             code;
	uint16_t             nrows;
	struct pc_admin_row  rows[PC_IPC_ADMIN_ROWS];
	uint16_t             nusers;
	uint32_t             nusers_total;
	struct pc_admin_user users[PC_IPC_ADMIN_NAMES];
	uint32_t             total;
	uint32_t             offset;
	char                 text[PC_IPC_ADMIN_TEXT + 1];
};

/* One access-log record: every field a logformat macro can name.  The
 * master formats it with the service's logformat. */
#define PC_LOGREC_F_EVENT 0x1   /* service event ("Accepting connections") */
struct pc_logrec {
	uint64_t       t_ms;       /* wall clock (ms since epoch) at the end */
	uint32_t       dur_ms;     /* %D */
	uint32_t       code;       /* %E */
	uint16_t       svc;        /* service index: port, log, logformat */
	uint16_t       flags;
	uint16_t       hops;       /* %h */
	char           svcname[8]; /* %N: PROXY SOCK4 SOCK5 SOCKS TCPPM */
	struct pc_addr client;     /* %C %c */
	struct pc_addr local;      /* %i: address the client connected to */
	struct pc_addr ext;        /* %e: local address of the outgoing socket */
	struct pc_addr remote;     /* %R %r: what we actually connected to */
	struct pc_addr req;        /* %Q %q: requested address/port */
	uint64_t       bytes_in;   /* %I: from the server side */
	uint64_t       bytes_out;  /* %O: to the server side */
	char           user[PC_IPC_USER_MAX + 1]; /* %U ("" = none) */
	char           host[PC_IPC_HOST_MAX + 1]; /* %n ("" = none) */
	char           text[PC_IPC_TEXT_MAX + 1]; /* %T */
};

/* ---- writer: builds one message in a caller buffer of PC_IPC_MAX ---- */
struct pc_ipcw {
	uint8_t *buf;
	size_t   cap, len;
	int      err;      /* set on overflow; pc_ipcw_finish then returns 0 */
};
void   pc_ipcw_init(struct pc_ipcw *w, uint8_t *buf, size_t cap,
	    uint16_t type, uint32_t id, uint32_t gen);
void   pc_ipcw_u8(struct pc_ipcw *w, uint8_t v);
void   pc_ipcw_u16(struct pc_ipcw *w, uint16_t v);
void   pc_ipcw_u32(struct pc_ipcw *w, uint32_t v);
void   pc_ipcw_u64(struct pc_ipcw *w, uint64_t v);
void   pc_ipcw_addr(struct pc_ipcw *w, const struct pc_addr *a);
/* strings longer than max are truncated by the sender */
void   pc_ipcw_str(struct pc_ipcw *w, const char *s, size_t max);
size_t pc_ipcw_finish(struct pc_ipcw *w);   /* total bytes, 0 on error */

/* ---- reader ---- */
struct pc_ipcr {
	const uint8_t *buf;
	size_t         len, off;
	int            err;
};
/* Checks the header (known type, len == n - 16); 0 ok, -1 malformed. */
int  pc_ipcr_init(struct pc_ipcr *r, const uint8_t *buf, size_t n,
	    struct pc_ipc_hdr *h);
uint8_t  pc_ipcr_u8(struct pc_ipcr *r);
uint16_t pc_ipcr_u16(struct pc_ipcr *r);
uint32_t pc_ipcr_u32(struct pc_ipcr *r);
uint64_t pc_ipcr_u64(struct pc_ipcr *r);
void     pc_ipcr_addr(struct pc_ipcr *r, struct pc_addr *a);
/* copies into out (NUL-terminated); error if longer than max */
void     pc_ipcr_str(struct pc_ipcr *r, char *out, size_t max);
int      pc_ipcr_end(struct pc_ipcr *r);  /* 0: all consumed, no error */
size_t   pc_ipcr_remaining(const struct pc_ipcr *r);

/* ---- typed messages ---- */
size_t pc_msg_ready_enc(uint8_t *buf, uint32_t gen, const struct pc_msg_ready *m);
int    pc_msg_ready_dec(struct pc_ipcr *r, struct pc_msg_ready *m);
size_t pc_msg_auth_req_enc(uint8_t *buf, uint32_t gen, uint32_t id,
	    const struct pc_msg_auth_req *m);
int    pc_msg_auth_req_dec(struct pc_ipcr *r, struct pc_msg_auth_req *m);
size_t pc_msg_auth_rep_enc(uint8_t *buf, uint32_t gen, uint32_t id,
	    const struct pc_msg_auth_rep *m);
int    pc_msg_auth_rep_dec(struct pc_ipcr *r, struct pc_msg_auth_rep *m);
size_t pc_msg_stats_enc(uint8_t *buf, uint32_t gen, const struct pc_msg_stats *m);
int    pc_msg_stats_dec(struct pc_ipcr *r, struct pc_msg_stats *m);
size_t pc_msg_drain_enc(uint8_t *buf, uint32_t gen, const struct pc_msg_drain *m);
int    pc_msg_drain_dec(struct pc_ipcr *r, struct pc_msg_drain *m);
size_t pc_msg_shutdown_enc(uint8_t *buf, uint32_t gen);
size_t pc_msg_admin_req_enc(uint8_t *buf, uint32_t gen, uint32_t id,
	    const struct pc_msg_admin_req *m);
int    pc_msg_admin_req_dec(struct pc_ipcr *r, struct pc_msg_admin_req *m);
size_t pc_msg_admin_rep_enc(uint8_t *buf, uint32_t gen, uint32_t id,
	    const struct pc_msg_admin_rep *m);
int    pc_msg_admin_rep_dec(struct pc_ipcr *r, struct pc_msg_admin_rep *m);

/* LOG batches: a u16 count then records.  The writer appends records to an
 * open batch while they fit; the reader walks them. */
void   pc_msg_log_begin(struct pc_ipcw *w, uint8_t *buf, uint32_t gen);
int    pc_msg_log_add(struct pc_ipcw *w, const struct pc_logrec *rec);
	/* 0 added, -1 does not fit (batch unchanged) */
size_t pc_msg_log_finish(struct pc_ipcw *w);  /* 0 if empty or error */
/* After pc_ipcr_init on a LOG message: *count records follow. */
int    pc_msg_log_count(struct pc_ipcr *r, uint16_t *count);
int    pc_msg_log_next(struct pc_ipcr *r, struct pc_logrec *rec);

#endif
