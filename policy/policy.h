/*
 * The compiled, read-only model of one configuration ("generation").
 *
 * conf/ builds it from the 3proxy language; the master keeps it and forks
 * workers that inherit it copy-on-write and only read it.  Plain arrays and
 * indices: services point at ACLs and log targets by index.  Secrets (the
 * user table) live here too, but a worker calls pc_config_scrub_secrets()
 * right after fork so that no password or hash stays in its memory.
 */
#ifndef PC_POLICY_POLICY_H
#define PC_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/addr.h"

enum pc_svc_type {
	PC_SVC_PROXY,
	PC_SVC_SOCKS,
	PC_SVC_TCPPM,
	PC_SVC_UDPPM,
	PC_SVC_POP3P,
	PC_SVC_DNSPR,
	PC_SVC_FTPPR,
	PC_SVC_SMTPP,
	PC_SVC_ADMIN,
	PC_SVC_TLSPR,
	PC_SVC_AUTO,
	PC_SVC_IMAPP,
	PC_SVC__COUNT
};

enum pc_auth_type {
	PC_AUTH_NONE,    /* no auth, no ACL walk */
	PC_AUTH_IPONLY,  /* ACL with the username hidden */
	PC_AUTH_STRONG,  /* username+password against `users`, then ACL */
	PC_AUTH_USERONLY,/* the client's username, no password, then ACL */
	PC_AUTH_CACHE,   /* the master's authcache, then ACL */
	PC_AUTH_NBNAME,  /* the client's NetBIOS name as username, then ACL */
};

/* `authcache FLAGS [SECONDS [ENTRIES]]` (docs/portcullis.cfg.5,
 * Authentication). */
#define PC_AUTHCACHE_IP    0x1
#define PC_AUTHCACHE_USER  0x2
#define PC_AUTHCACHE_PASS  0x4
#define PC_AUTHCACHE_LIMIT 0x8
struct pc_authcache {
	uint8_t  flags;     /* 0: no cache */
	uint32_t ttl_s;     /* default 600 */
	uint32_t max;       /* entries, default 262144 */
};
#define PC_AUTH_MAX 8    /* longest `auth` chain kept */

/* ACL operation bits (docs/portcullis.cfg.5, Access control lists).  A rule's
 * `ops` of 0 means any; otherwise a request matches when its op bit is in the
 * rule's set. */
#define PC_OP_CONNECT       0x00000001u
#define PC_OP_BIND          0x00000002u
#define PC_OP_UDPASSOC      0x00000004u
#define PC_OP_ICMPASSOC     0x00000008u
#define PC_OP_HTTP_GET      0x00000100u
#define PC_OP_HTTP_PUT      0x00000200u
#define PC_OP_HTTP_POST     0x00000400u
#define PC_OP_HTTP_HEAD     0x00000800u
#define PC_OP_HTTP_CONNECT  0x00001000u
#define PC_OP_HTTP_OTHER    0x00002000u
#define PC_OP_HTTP          (PC_OP_HTTP_GET | PC_OP_HTTP_PUT | PC_OP_HTTP_POST | \
                             PC_OP_HTTP_HEAD | PC_OP_HTTP_OTHER)
#define PC_OP_HTTPS         PC_OP_HTTP_CONNECT
#define PC_OP_FTP_GET       0x00010000u
#define PC_OP_FTP_PUT       0x00020000u
#define PC_OP_FTP_LIST      0x00040000u
#define PC_OP_FTP_DATA      0x00080000u
#define PC_OP_FTP           (PC_OP_FTP_GET | PC_OP_FTP_PUT | PC_OP_FTP_LIST | \
                             PC_OP_FTP_DATA)
#define PC_OP_ADMIN         0x00100000u
#define PC_OP_DNSRESOLVE    0x00200000u

/* Keyword -> bits ("HTTP_GET" -> PC_OP_HTTP_GET); 0 when unknown. */
uint32_t pc_op_from_name(const char *name);
/* The i-th keyword of the table (groups such as "HTTP" after their
 * members) and its bits; NULL past the end. */
const char *pc_op_name(size_t i, uint32_t *bits);

enum pc_acl_action { PC_ACL_ALLOW, PC_ACL_DENY };

#define PC_HOSTPAT_PREFIX 0x1  /* written "name*": match at the start */
#define PC_HOSTPAT_SUFFIX 0x2  /* written "*name": match at the end */
struct pc_hostpat {
	char    *text;   /* lower case, stars and trailing dot removed */
	uint8_t  flags;  /* both flags = "*name*" substring; none = exact */
};

struct pc_portrange { uint16_t lo, hi; };
struct pc_period    { uint32_t start, end; };  /* seconds since local
                                                  midnight, end exclusive */

/* `parent WEIGHT TYPE ADDR PORT [USER [PASS]]`
 * (docs/portcullis.cfg.5, Parent proxies). */
enum pc_parent_type {
	PC_PARENT_TCP,       /* plain TCP to ADDR:PORT; ends the chain */
	PC_PARENT_HTTP,      /* HTTP proxy, absolute-URI requests; ends it */
	PC_PARENT_CONNECT,   /* HTTP CONNECT with the target's address */
	PC_PARENT_CONNECTP,  /* connect+: with the name when known */
	PC_PARENT_SOCKS4,
	PC_PARENT_SOCKS4P,   /* socks4+: SOCKS4a, the name */
	PC_PARENT_SOCKS5,
	PC_PARENT_SOCKS5P,   /* socks5+: the name */
	PC_PARENT_EXTIP,     /* not a hop: the outgoing address (ADDR, PORT 0) */
	PC_PARENT_POP3,      /* only `pop3 0.0.0.0 0`: local redirection */
	PC_PARENT_FTP,       /* only `ftp 0.0.0.0 0`: local redirection */
	PC_PARENT_TLS,       /* only `tls 0.0.0.0 0`: to the tlspr code */
};

struct pc_parent {
	enum pc_parent_type type;
	uint32_t            weight;  /* 1..1000; 0 = fallback */
	char               *host;    /* ADDR as written (lower case) */
	struct pc_addr      addr;    /* ADDR when a literal; family 0: a name */
	uint16_t            port;    /* 0 with ADDR 0.0.0.0: keep the target's */
	bool                same_addr; /* ADDR 0.0.0.0, PORT != 0: the
	                                  requested address, this port */
	bool                local;   /* `http|pop3 0.0.0.0 0`: local
	                                redirection to the HTTP (type HTTP)
	                                or POP3 (type POP3) handler of the
	                                same worker */
	char               *user;    /* NULL: none; "*": the client's own */
	char               *pass;
	const char         *file;
	int                 line;
};

struct pc_acl_rule {
	enum pc_acl_action   action;
	bool                 nolog;     /* `nolog` after the rule */
	uint32_t             weight;    /* `weight N` after the rule */
	char               **users;     /* exact names; nusers 0 = any */
	size_t               nusers;
	struct pc_addrrange *srcs;      /* nsrcs 0 = any */
	size_t               nsrcs;
	struct pc_addrrange *dst_addrs; /* target addresses ... */
	size_t               ndst_addrs;
	struct pc_hostpat   *dst_hosts; /* ... and host names; both 0 = any */
	size_t               ndst_hosts;
	struct pc_portrange *ports;     /* nports 0 = any */
	size_t               nports;
	uint32_t             ops;       /* 0 = any */
	uint8_t              weekdays;  /* bit 0 Sunday .. bit 6 Saturday; 0 = any */
	struct pc_period    *periods;   /* nperiods 0 = any time */
	size_t               nperiods;
	struct pc_parent    *parents;   /* `parent` lines after an allow */
	size_t               nparents;
	const char          *file;      /* where the rule was written */
	int                  line;
};

struct pc_acl {
	struct pc_acl_rule *rules;
	size_t              nrules;
};

/* What a worker knows about a request when it checks the ACL. */
struct pc_acl_req {
	const char     *user;   /* NULL: compared as "-" */
	struct pc_addr  client; /* source address (port ignored) */
	struct pc_addr  dst;    /* target address; family 0 when only a name */
	const char     *host;   /* target name; NULL when only an address */
	uint16_t        port;   /* target port; 0 when none */
	uint32_t        op;     /* exactly one PC_OP_ bit */
	uint32_t        op_also; /* 0, or an operation that matches as well:
	                           ftppr's transfers are FTP_GET/PUT/LIST and
	                           FTP_DATA (3proxy checks FTP_DATA) */
	time_t          now;    /* wall clock for weekday/period rules */
	bool            redirected; /* the second walk of a locally redirected
	                               connection: rules with a local
	                               redirection parent are passed over */
};

/* Result codes of pc_acl_check, as %E uses them. */
#define PC_ACL_OK       0   /* allowed (or empty ACL) */
#define PC_ACL_DENIED   1   /* a `deny` rule matched */
#define PC_ACL_NOMATCH  3   /* non-empty list, nothing matched */

/* First match wins.  *rule (may be NULL) receives the matching rule index,
 * or (size_t)-1.  Target rules: address entries are compared only when the
 * request has an address, host patterns only when it has a name; a rule
 * with targets matches when either kind matches. */
int pc_acl_check(const struct pc_acl *acl, const struct pc_acl_req *req,
	    size_t *rule);
/* Single-rule predicate used by pc_acl_check (exposed for tests). */
bool pc_acl_rule_matches(const struct pc_acl_rule *r,
	    const struct pc_acl_req *req);

/* PC_PW_SYS: `users name` without a password, checked against the
 * system's password database by the master (docs/3proxy-differences.md,
 * decision 11). */
/* `bandlimin|bandlimout RATE ACL-fields` and the `nobandlim*` exceptions
 * (docs/portcullis.cfg.5, Bandwidth limits): each rule is one pipe shared by
 * everything it matches, in every worker of every service.  Rules are global
 * and kept in the order written. */
enum pc_bl_dir { PC_BL_IN, PC_BL_OUT };   /* in: server->client */
struct pc_bandlim {
	enum pc_bl_dir     dir;
	bool               exempt;    /* nobandlim*: stop here */
	uint32_t           rate;      /* bits per second */
	struct pc_acl_rule rule;      /* users..periods; action unused */
};
/* One pipe's state, in memory the master maps shared before it forks a
 * generation's workers: the time (CLOCK_MONOTONIC ns) at which the pipe
 * is free again; sending n bytes pushes it by n * 8e9 / rate. */
struct pc_pipe {
	uint64_t next_ns;             /* accessed with __atomic builtins */
};
#define PC_BL_MAX 10              /* rules applied per direction */

/* `connlim RATE PERIOD ACL-fields` and `noconnlim ACL-fields`
 * (docs/portcullis.cfg.5, Connection limits): PERIOD 0 = at most RATE matching
 * connections at once; else about RATE new ones per PERIOD seconds.  Shared
 * like the bandwidth pipes. */
struct pc_connlim {
	bool               exempt;    /* noconnlim */
	uint32_t           rate;
	uint32_t           period;    /* seconds; 0 = concurrent */
	struct pc_acl_rule rule;
};

struct pc_connstate {
	int64_t  active;              /* PERIOD 0: connections held */
	uint64_t tat_ns;              /* else: theoretical arrival time */
};

enum pc_pwtype { PC_PW_CL, PC_PW_CR, PC_PW_NT, PC_PW_SYS };
struct pc_user {
	char          *name;
	enum pc_pwtype type;
	char          *secret;   /* cleartext, crypt string, or NT hex */
};

enum pc_logkind {
	PC_LOG_NONE, PC_LOG_STDOUT, PC_LOG_FILE, PC_LOG_SYSLOG,
	PC_LOG_ODBC       /* `log &DSN[,USER[,PASS]]`: path is the DSN */
};
/* `log FILE X`: the period of a file's name (docs/portcullis.cfg.5,
 * Access log). */
enum pc_logrot {
	PC_ROT_NONE, PC_ROT_MINUTE, PC_ROT_HOUR, PC_ROT_DAY, PC_ROT_WEEK,
	PC_ROT_MONTH, PC_ROT_YEAR
};
struct pc_logtarget {
	enum pc_logkind kind;
	char           *path;    /* PC_LOG_FILE: name or template (without
	                            the L/G letter); PC_LOG_SYSLOG: ident */
	enum pc_logrot  rot;     /* PC_LOG_FILE only */
	bool            pattern; /* path holds % date macros */
	bool            utc;     /* template written with the G letter */
	char           *odbc_user; /* PC_LOG_ODBC: NULL = none */
	char           *odbc_pass; /* PC_LOG_ODBC: a secret, wiped in workers */
	bool            odbc_pass_set; /* a password was given (still known
	                                  after the wipe, for the printer) */
};

/* `countin|countout|countall NUMBER[/NAME] TYPE LIMIT_MB fields` and the
 * `nocount*` exceptions (docs/portcullis.cfg.5, Traffic counters).  The byte
 * counts live in one table of slots the master maps shared at start-up and
 * keeps for its whole life, so they survive reloads, and workers add to them
 * as bytes move, so a killed worker loses none.  Slot N-1 is counter NUMBER N
 * (the `counter` file's record); NUMBER 0 gets a slot of its own past them. */
enum pc_ct_dir { PC_CT_IN, PC_CT_OUT, PC_CT_ALL };
struct pc_counter {
	enum pc_ct_dir     dir;
	bool               exempt;
	uint32_t           number;    /* 0: not kept in the file */
	char              *name;      /* the /NAME label, or NULL */
	enum pc_logrot     period;    /* reset period; PC_ROT_NONE: never */
	uint64_t           limit;     /* bytes */
	uint32_t           slot;      /* index in the shared table */
	struct pc_acl_rule rule;
};
struct pc_ctslot {
	uint64_t bytes;               /* __atomic builtins */
	int64_t  reset;               /* time of the last reset */
	int64_t  update;              /* time of the last change (master) */
};
#define PC_CT_NUMBERS 65535       /* counter NUMBER 1..65535 */
#define PC_CT_SLOTS   (PC_CT_NUMBERS + 4096)

/* `counter &DSN[,USER[,PASS]] [TYPE REPORTNAME]` and `fleet NODE
 * [STATEFILE [BATCH_KB]]`: the numbered counters are the fleet's, kept in
 * a database's table one row per counter and period (master/fleet.c,
 * docs/fleet.md).  dsn NULL: the counters are this node's alone. */
#define PC_FLEET_NODE_MAX 64
#define PC_FLEET_BATCH_KB 1024    /* default: charge at least every MiB */
struct pc_fleet {
	char    *dsn;             /* a DSN or an ODBC connection string */
	char    *user, *pass;     /* NULL: none; pass is wiped in workers */
	bool     pass_set;
	char    *node;            /* NULL: the host name; [A-Za-z0-9._-] */
	char    *state;           /* unflushed batches over a restart, or NULL */
	uint32_t batch_kb;        /* 0: PC_FLEET_BATCH_KB */
	/* `users &DSN[,USER[,PASS]]`: more users from the database's
	 * portcullis_users, read at start and at each reload (master/
	 * fleet_users.c); the file's users win */
	char    *udsn, *uuser, *upass;
	bool     upass_set;
};

#define PC_MAXCONN_DEFAULT 500     /* docs/3proxy-differences.md, decision 4 */

/* Family preference for name resolution (-4 -6 -46 -64). */
enum pc_family_pref { PC_FAM_46, PC_FAM_4, PC_FAM_6, PC_FAM_64 };

struct pc_service {
	enum pc_svc_type    type;
	const char         *file;      /* where the service line is */
	int                 line;
	struct pc_addr      listen;    /* -i / internal, with -p / default port */
	struct pc_addr      ext4;      /* -e / external (family 0 = unset) */
	struct pc_addr      ext6;
	enum pc_family_pref fampref;
	enum pc_auth_type   auth[PC_AUTH_MAX];
	size_t              nauth;     /* 0 = none given: behaves as iponly */
	size_t              acl;       /* index into pc_config.acls */
	uint32_t            maxconn;   /* default PC_MAXCONN_DEFAULT */
	uint32_t            workers;   /* pool size (`workers N`), >= 1 */
	int                 log;       /* index into pc_config.logs, -1 none */
	char               *logformat; /* NULL = the 3proxy default */
	bool                silent;    /* -t: no start/stop records */
	uint8_t             anonymous; /* proxy -a: 0 Forwarded (default),
	                                  1 -a nothing, 2 -a1 Via and a
	                                  random X-Forwarded-For, 3 -a2 Via
	                                  and the client's (3proxy's) */
	bool                noforce;   /* `noforce` before the service line:
	                                  open connections outlive a reload
	                                  unchecked (master/recheck.c) */
	uint8_t             needuser;  /* 3proxy's: 1 default, 0 -u (never
	                                  ask for a user), 2 -u2 (socks:
	                                  username/password required) */
	char               *target_host; /* tcppm DSTADDR (kept as text) */
	uint16_t            target_port; /* tcppm DSTPORT, tlspr and auto -P */
	uint8_t             tls_check; /* tlspr -c: 0 SNI optional, 1 a
	                                  ClientHello required */
	struct pc_addr      nat_ext;   /* socks -Ne: address told in CONNECT
	                                  and BIND replies (family 0: real) */
	struct pc_addr      nat_int;   /* socks -Ni: in UDP ASSOCIATE replies */
	char               *connback_host; /* -rHOST:PORT: dial out there and
	                                  serve who answers (no listener) */
	uint16_t            connback_port;
	struct pc_addr      backlisten;    /* tcppm -R[ADDR:]PORT: where the
	                                  -r side's connections arrive */
	bool                single;    /* udppm -s: one datagram, one answer;
	                                  dnspr -s: forward every query;
	                                  admin -s: read-only (counters) */
};

#define PC_TIMEOUT_BYTE_SHORT  0
#define PC_TIMEOUT_BYTE_LONG   1
#define PC_TIMEOUT_STRING_SHORT 2
#define PC_TIMEOUT_STRING_LONG 3
#define PC_TIMEOUT_CONN_SHORT  4
#define PC_TIMEOUT_CONN_LONG   5
#define PC_TIMEOUT_DNS         6
#define PC_TIMEOUT_CHAIN       7
#define PC_TIMEOUT_CONNECT     8
#define PC_TIMEOUT_CONNBACK    9
#define PC_TIMEOUT_LINGER      10
#define PC_NTIMEOUTS           11

struct pc_nserver {
	struct pc_addr addr;   /* port 53 when not given */
	bool           tcp;    /* "/tcp" */
};

struct pc_nsrecord {
	char          *name;   /* lower case */
	struct pc_addr addr;   /* 0.0.0.0 = never resolves */
};

struct pc_config {
	char                *path;       /* the file given on the command line */
	char                *source;     /* names (path or "<embedded>") kept
	                                    alive for rule/service file fields */
	struct pc_service   *svcs;
	size_t               nsvcs;
	struct pc_acl       *acls;
	size_t               nacls;
	struct pc_user      *users;      /* secrets: master only */
	size_t               nusers;
	struct pc_logtarget *logs;
	size_t               nlogs;
	uint32_t             timeouts[PC_NTIMEOUTS];
	struct pc_nserver    nservers[5];
	size_t               nnservers;
	uint32_t             nscache;    /* 0 = no cache */
	struct pc_nsrecord  *nsrecords;
	size_t               nnsrecords;
	bool                 fakeresolve;
	/* default 2: docs/3proxy-differences.md, decision 5 */
	uint32_t             parentretries;
	uint32_t             rotate;     /* `rotate N`: old log files kept */
	uint64_t             logdump_in, logdump_out; /* `logdump IN OUT`:
	                                    a tunnel's record each time so
	                                    many more bytes moved (0: off) */
	char                *archiver_ext;  /* `archiver EXT CMD ARGS`, */
	char               **archiver_argv; /* NULL-terminated, owned */
	struct pc_authcache  authcache;
	struct pc_bandlim   *bandlims;
	size_t               nbandlims;
	struct pc_pipe      *pipes;      /* nbandlims, shared; set by the
	                                    master (gen.c), not owned here */
	struct pc_connlim   *connlims;
	size_t               nconnlims;
	struct pc_connstate *connstates; /* nconnlims, shared like pipes */
	uint32_t            *svc_active; /* nsvcs: connections each service
	                                    holds against its maxconn, all
	                                    workers together (shared) */
	struct pc_counter   *counters;
	size_t               ncounters;
	char                *counter_file;   /* `counter FILE ...`, or NULL */
	enum pc_logrot       counter_rtype;  /* reports: period, or NONE */
	char                *counter_report; /* report name (a log name) */
	struct pc_fleet      fleet;          /* `counter &DSN`, `fleet` */
	struct pc_ctslot    *ctslots;        /* PC_CT_SLOTS, shared (master) */
	uint8_t             *ctoff;          /* ncounters: 1 = switched off by
	                                        the admin's /CD<n>; shared per
	                                        generation (master/gen.c) */
	uint32_t             workers_default; /* `workers` before any such
	                                    line (the CPUs of the machine
	                                    that read the file) */
	bool                 daemon;
	char                *pidfile;
	char                *chroot;     /* NULL: the master's empty jail */
	bool                 chroot_inherited; /* from the running config
	                                    (a reload of its `config` FILE) */
	char                *config_file; /* `config FILE` (inside the
	                                    chroot): what reloads read */
	bool                 uid_set, gid_set;
	uid_t                uid;        /* default: nobody */
	gid_t                gid;
	char               **monitors;
	size_t               nmonitors;
	char               **strings;    /* arena of file names (owned) */
	size_t               nstrings;
};

const char *pc_svc_type_name(enum pc_svc_type t);   /* "proxy", "socks" .. */
bool        pc_svc_is_udp(enum pc_svc_type t);      /* listens on UDP */
uint16_t    pc_svc_default_port(enum pc_svc_type t); /* 3128, 1080, 0 */
/* Effective auth chain: an empty chain is {PC_AUTH_IPONLY}. */
size_t      pc_service_auth(const struct pc_service *s,
	    const enum pc_auth_type **chain);

void pc_config_scrub_secrets(struct pc_config *cfg); /* explicit_bzero users */
/* The shared state of one generation (bandwidth pipes, connection limit
 * states, counter switches, per-service connection counts) lives in one
 * region, laid out by these two so that the master and an exec'ed worker
 * map the same memfd the same way (policy/shared.c). */
size_t pc_shared_size(const struct pc_config *cfg);
void   pc_shared_attach(struct pc_config *cfg, void *base);
void pc_config_free(struct pc_config *cfg);

#endif
