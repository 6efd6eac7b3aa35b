/*
 * Private to the HTTP proxy (proto/http/http.c, http_exchange.c, http_buf.c):
 * the per-connection state and the buffers it borrows while a request is
 * in flight.  An idle kept-alive connection holds only struct http_state.
 */
#ifndef PC_WORKER_HTTP_CONN_H
#define PC_WORKER_HTTP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "worker/core/conn.h"
#include "worker/net/chain.h"
#include "worker/wire/http_body.h"
#include "worker/wire/http_parse.h"

#define HTTP_BUF 16384   /* read buffers; a request head may grow one to
                            HTTP_MAX_HEAD */

/* A byte buffer: [0, off) already handled, [off, fwd) classified and
 * waiting to be written on, [fwd, len) not looked at yet. */
struct hbuf {
	char    *p;
	uint32_t cap, len, off, fwd;
};

int  hbuf_alloc(struct hbuf *b);          /* 0, or -1 out of memory */
int  hbuf_grow(struct hbuf *b, uint32_t cap);
void hbuf_free(struct hbuf *b);
/* Moves the unhandled bytes [off, len) to the front. */
void hbuf_compact(struct hbuf *b);
uint32_t hbuf_room(const struct hbuf *b);  /* 0 when not allocated */

/* Bytes prepared for one direction: a rebuilt head then the buffer's
 * classified body bytes. */
struct hout {
	char    *p;
	uint32_t len, off;
};

enum http_phase {
	HP_HEAD,      /* waiting for / reading a request head */
	HP_PIPELINE,  /* request_start running */
	HP_EXCHANGE,  /* request going up, response coming down */
	HP_CLOSING,   /* error page going out, then close */
	HP_TUNNEL,    /* CONNECT handed to the relay */
	HP_FTP        /* an ftp:// URL handed to http_ftp.c */
};

struct http_state {
	uint8_t          phase;
	bool             first;       /* no request finished yet */
	bool             draining;    /* close after the current response */
	bool             client_eof;  /* the client half-closed */
	bool             reused;      /* request sent on a kept server conn */
	bool             retried;
	int              close_code;  /* HP_CLOSING: %E to log */
	bool             lingering;   /* HP_CLOSING: page out, reading to EOF */
	uint64_t         deadline;    /* ev_now() ms of the phase timeout */
	uint64_t         pipeline_ms; /* ev_now() when request_start ran */

	/* target of the request in flight / key of the kept server conn */
	char             host[256];
	uint16_t         port;
	char             srv_host[256];
	uint16_t         srv_port;
	uint32_t         op;
	char            *cred;        /* "user\0pass\0" while in flight */
	bool             redirected;  /* came from SOCKS (redirect.h) */
	struct chain_parent parent;   /* an `http` parent's needs (chain.h) */
	struct bl_grant  bl;          /* bandlimin on the response: bytes
	                                 reserved (core/bandlim.h) */
	struct ev_timer  bl_timer;
	struct bl_grant  bl_up;       /* bandlimout on the request body */
	struct ev_timer  bl_up_timer;
	char            *redir_cred;  /* a redirected SOCKS client's own
	                                 "user\0pass\0", or NULL */
	struct http_ftp *ftp;         /* HP_FTP: http_ftp.c's state */

	/* client -> server */
	struct hbuf      in;
	struct http_scan scan;
	bool             line_ok;     /* request line of the head checked */
	struct hout      up;
	uint8_t          req_body;    /* enum http_body */
	bool             req_done;    /* whole request classified */
	bool             up_proxy;    /* up is in absolute form (http parent) */
	bool             head_req;
	bool             client_keep; /* keep the client after this response */
	bool             client_v10;
	uint64_t         req_left;
	struct http_chunked req_ck;

	/* server -> client */
	struct hbuf      resp;
	struct http_scan rscan;
	struct hout      down;
	bool             resp_head;   /* final response head parsed */
	uint64_t         resp_uncounted; /* read before the final head */
	bool             resp_done;   /* whole response classified */
	bool             srv_keep;
	bool             told_keep;   /* the head sent said keep-alive */
	bool             sent_any;    /* bytes of a response went to client */
	uint8_t          resp_body;
	uint64_t         resp_left;
	struct http_chunked resp_ck;
};

/* http_exchange.c */
void http_exchange_begin(struct conn *c);
void http_client_readable(struct conn *c);
void http_server_io(struct ev_io *io, uint32_t revents);
void http_flush_down(struct conn *c);
void http_exchange_reset(struct http_state *st);

/* http_ftp.c: an ftp:// GET is served by the proxy's own FTP client;
 * 0 when it took the connection over, else the %E code to answer. */
int  http_ftp_start(struct conn *c, const char *buf, const struct http_req *r);
void http_ftp_release(struct conn *c);

/* proto/http/http.c */
void http_client_io(struct ev_io *io, uint32_t revents);
/* bandlimin on responses (http_exchange.c): bl_grant_gate on c->bl_in
 * and st->bl, with the timer that wakes the server side; then
 * bl_grant_used and bl_grant_idle as for any mover. */
bool http_bl_gate(struct conn *c, size_t *cap);
/* The same for a request body read from the client (bandlimout). */
bool http_bl_gate_up(struct conn *c, size_t *cap);
void http_fail(struct conn *c, int code, bool timed_out);
void http_update_events(struct conn *c);
void http_next_request(struct conn *c);
void http_arm(struct conn *c, int which);
void http_retry(struct conn *c);
void http_linger(struct conn *c);

#endif
