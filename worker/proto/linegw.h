/*
 * The line-gateway skeleton shared by the services that greet the client
 * themselves, read its login line by line, run the request pipeline
 * (request.h) towards the server the login names, log in there on the
 * client's behalf and then hand both sockets to the relay (relay.h):
 * pop3p (pop3.c), smtpp (smtp.c), the login of ftppr (ftp/ftp.c) and, to
 * come, imapp.  A protocol supplies one struct linegw_ops and the handlers
 * it names; the skeleton does the rest:
 *
 *   start/takeover  allocate the state, send ops->greeting, arm the
 *                   STRING_SHORT timeout, read the client
 *   client lines    read into a buffer of ops->cbuf bytes, cut lines of at
 *                   most ops->line_max bytes (CRLF or bare LF), hand each
 *                   one (a copy, consumed from the buffer) to ops->line;
 *                   an overlong line, EOF or a stall ends the connection
 *                   with ops->e_long / ops->e_idle
 *   login           linegw_login(): the pipeline towards the target, the
 *                   client socket quiet meanwhile; then ops->connected
 *   upstream        the server's bytes cut into frames (lines, or what
 *                   ops->frame says: SMTP's multi-line replies), each one
 *                   to ops->server, with the STRING_LONG timeout
 *   hand-over       linegw_relay(): what is left of both buffers goes to
 *                   the relay, the skeleton's state is freed
 *   failures        linegw_fail(): the reply of ops->errors for the %E
 *                   code, then the end of the connection, or (ops->tries
 *                   > 0) the failure is logged and the client may try
 *                   again in the login phase (SMTP)
 *
 * A fourth protocol costs a table.  IMAP4 (RFC 9051) for instance:
 *
 *   greeting   "* OK Proxy ready\r\n"
 *   line       "a1 LOGIN user@server pass": linegw_set_tag(c, "a1 ") so
 *              that linegw_fail() answers "a1 NO ..." (the table holds
 *              "NO access denied\r\n" ...; untagged lines such as
 *              "* BYE timeout\r\n" go to idle_reply and long_reply, which
 *              are sent as they are); CAPABILITY/NOOP through
 *              linegw_other(), LOGOUT through linegw_hang_up(); then
 *              linegw_login(c, &t)
 *   connected  nothing to send: wait for the server's greeting
 *   server     per line: "* OK" greeting -> linegw_send_server("x LOGIN
 *              user pass"), untagged lines skipped, "x OK" ->
 *              linegw_say("a1 OK ...") and linegw_relay(), "x NO" ->
 *              linegw_fail_reply() with the tag (tries 3: try again)
 *
 * The state is one allocation: struct linegw, the protocol's own state of
 * ops->priv_size bytes (zeroed; linegw_priv()), the client and the server
 * buffers.  c->proto_state is the struct linegw.  All of it is wiped
 * (explicit_bzero) when freed: it held passwords.
 */
#ifndef PC_WORKER_PROTO_LINEGW_H
#define PC_WORKER_PROTO_LINEGW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/core/conn.h"
#include "worker/net/request.h"

#define LINEGW_NAME_MAX  255   /* SOCKS credentials of a redirected client */
#define LINEGW_TAG_MAX   32    /* the prefix of tagged replies (IMAP) */
#define LINEGW_LINE_MAX  2048  /* the largest ops->line_max */
#define LINEGW_FRAME_MAX 4096  /* the largest ops->sbuf */
#define LINEGW_OTHERS    16    /* commands tolerated before the login */

/* Where a connection is.  The skeleton reads the client in LG_LOGIN, the
 * server in LG_UPSTREAM and LG_SESSION; in LG_WAIT the pipeline runs.
 * LG_SESSION is a protocol's own phase after the login (ftppr's relayed
 * session): the skeleton still cuts the server's frames for it but leaves
 * the client and the timer alone. */
enum linegw_phase { LG_LOGIN, LG_WAIT, LG_UPSTREAM, LG_SESSION };

/* One row of a code->reply table: %E codes lo..hi are answered line (with
 * its CRLF).  The table ends with a row of lo 0, whose line answers every
 * other code. */
struct linegw_reply {
	int         lo, hi;
	const char *line;
};

struct linegw_ops {
	const struct proto *proto;     /* the service's (takeover sets it) */
	size_t      priv_size;         /* the protocol's state */
	size_t      cbuf;              /* client buffer: a line + pipelined */
	size_t      sbuf;              /* server buffer (<= LINEGW_FRAME_MAX) */
	size_t      line_max;          /* client line (<= LINEGW_LINE_MAX) */
	size_t      server_line_max;   /* server line; 0: sbuf */

	const char *greeting;          /* the proxy's own, with CRLF */
	int         e_greeting;        /* %E when it cannot be sent */
	int         e_idle;            /* client closed, stalled or sent too
	                                  many other commands before the login */
	int         e_long;            /* client line over line_max */
	int         e_server;          /* server closed, stalled, overlong or
	                                  malformed frame */
	int         e_send;            /* a line could not be sent upstream */
	const struct linegw_reply *errors;   /* code -> reply (linegw_fail) */
	const char *idle_reply;        /* the client stalled; NULL: the
	                                  table's line for e_idle */
	const char *server_reply;      /* the server stalled; NULL: the
	                                  table's line for e_server */
	const char *long_reply;        /* overlong line; NULL: the table's */
	const char *others_reply;      /* more than LINEGW_OTHERS others */
	int         tries;             /* 0: a failure ends the connection;
	                                  else failures tolerated - 1 */
	const char *tries_reply;       /* ... then this, and the end */

	/* One client line p[0..n) (its line end included) in LG_LOGIN:
	 * 1 read on, 0 the connection moved on (login, close). */
	int  (*line)(struct conn *c, const uint8_t *p, size_t n);
	/* The pipeline reached the server (phase LG_UPSTREAM, server read,
	 * STRING_LONG armed): send what opens the login, or nothing.  NULL:
	 * nothing. */
	void (*connected)(struct conn *c);
	/* Cuts one server frame at p[0..n): its length (> 0) and its reply
	 * code (or 0) in *code, 0 when more bytes are needed, < 0 when it is
	 * malformed or max bytes hold none.  NULL: lines (text_line). */
	long (*frame)(const uint8_t *p, size_t n, size_t max, int *code);
	/* One server frame p[0..n) (a copy; the server buffer holds what
	 * follows it) with its code, in LG_UPSTREAM or LG_SESSION. */
	void (*server)(struct conn *c, const uint8_t *p, size_t n, int code);
	/* The server closed in LG_SESSION.  NULL: linegw_fail(e_server). */
	void (*server_gone)(struct conn *c);
	/* A failed login is forgotten before the client tries again
	 * (tries > 0): wipe its password.  NULL: nothing. */
	void (*reset)(struct conn *c);
	/* The worker drains.  NULL: nothing (a login is short; a session is
	 * the relay's business). */
	void (*drain)(struct conn *c);
	/* Frees what the protocol's state points to.  NULL: nothing. */
	void (*release)(struct conn *c);
};

struct linegw {
	const struct linegw_ops *ops;
	void          *priv;             /* ops->priv_size bytes */
	uint8_t       *cbuf, *sbuf;
	uint16_t       clen, slen;       /* bytes in cbuf / sbuf */
	uint8_t        phase;            /* enum linegw_phase */
	uint8_t        others;           /* commands seen before the login */
	uint8_t        fails;            /* failed logins (tries > 0) */
	bool           logged;           /* a failed login was logged: the
	                                    end adds no record of its own */
	bool           redirected;       /* came from socks (redirect.h) */
	char          *dflt_host;        /* redirected: the SOCKS target ... */
	struct pc_addr dflt_addr;        /* ... as a name or an address */
	uint16_t       dflt_port;        /* 0: no default server */
	char           cuser[LINEGW_NAME_MAX + 1];  /* the SOCKS login */
	char           cpass[LINEGW_NAME_MAX + 1];
	char           tag[LINEGW_TAG_MAX + 1];     /* "" but for IMAP */
};

/* The gateway's state of c, and the protocol's part of it. */
static inline struct linegw *
linegw_of(const struct conn *c)
{
	return c->proto_state;
}

static inline void *
linegw_priv(const struct conn *c)
{
	return ((struct linegw *)c->proto_state)->priv;
}

/* struct proto's start, drain and release for a line gateway. */
void linegw_start(struct conn *c, const struct linegw_ops *ops);
void linegw_drain(struct conn *c);
void linegw_release(struct conn *c);
/* A SOCKS client redirected here (redirect.h): greeted as a new one, its
 * early bytes read as client lines, c->req/c->host kept as the default
 * server, user/pass (NULL when none) as its credentials. */
void linegw_takeover(struct conn *c, const struct linegw_ops *ops,
	    const void *early, size_t n, const char *user, const char *pass);

/* Short lines on a socket that has room: one write, or give up. */
void linegw_say(struct conn *c, const char *line);
/* The reply of the table for code. */
const char *linegw_reply(const struct linegw_ops *ops, int code);
/* The tag (up to LINEGW_TAG_MAX bytes) that prefixes linegw_fail's
 * replies; "" clears it. */
void linegw_set_tag(struct conn *c, const char *tag, size_t n);
/* A failure with code %E: the tag and the table's reply, then the end
 * (or, with tries, the count, the log record and the login phase). */
void linegw_fail(struct conn *c, int code);
/* The same with reply[0..n) of the caller's (e.g. the server's own). */
void linegw_fail_reply(struct conn *c, int code, const void *reply,
	    size_t n);
/* The end of a connection that has not logged in: line (NULL: none),
 * then conn_close(code); after a logged failure, a code of 0 or e_idle
 * logs nothing more. */
void linegw_hang_up(struct conn *c, const char *line, int code);
/* A command the gateway answers itself before the login: reply, or
 * ops->others_reply and the end after LINEGW_OTHERS.  1 read on, 0 the
 * connection ended. */
int  linegw_other(struct conn *c, const char *reply);

/* The target of the login: host[:port] (host NULL or "": the default
 * server of a redirected client; -1 when there is none), op CONNECT,
 * user/pass the SOCKS credentials of a redirected client, else user
 * without a password, and the redirected flag. */
int  linegw_target(const struct conn *c, const char *host, uint16_t port,
	    const char *user, struct target_req *t);
/* The host of t as text (the name, or the address in ip). */
const char *linegw_target_host(const struct target_req *t, char *ip,
	    size_t cap);
/* Runs the pipeline towards t (phase LG_WAIT); then ops->connected, or
 * linegw_fail with the pipeline's code. */
void linegw_login(struct conn *c, const struct target_req *t);
/* Back to the login phase (after a failure the client may retry): reads
 * on with the STRING_SHORT timeout, the lines that came meanwhile first. */
void linegw_resume(struct conn *c);

/* line[0..n) to the server, counted in bytes_out: 0, or -1 after
 * linegw_fail(e_send). */
int  linegw_send_server(struct conn *c, const void *line, size_t n);
/* (Re)arms the skeleton's timeout for the phase: which is a
 * PC_TIMEOUT_. */
void linegw_arm(struct conn *c, int which);
/* The login is done: the rest of both buffers to the relay (CONN_SHORT
 * idle timeout), the state freed. */
void linegw_relay(struct conn *c);

#endif
