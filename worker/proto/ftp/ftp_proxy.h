/*
 * Private to ftppr: proto/ftp/ftp.c (greeting, login, upstream login) and
 * ftp_session.c (the relayed session with its data commands) share the
 * per-connection state below.
 */
#ifndef PC_WORKER_FTP_PROXY_H
#define PC_WORKER_FTP_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "worker/core/conn.h"
#include "worker/proto/ftp/ftp_data.h"
#include "worker/wire/ftp_parse.h"
#include "worker/net/request.h"

#define FTP_CBUF 2048     /* client lines, pipelined ones included */
#define FTP_SBUF 2048     /* server lines */
#define FTP_REP  4096     /* one whole reply */

enum ftp_phase { FP_LOGIN, FP_WAIT, FP_UPSTREAM, FP_SESSION };
enum ftp_step  { UP_GREET, UP_USER, UP_PASS };

struct ftp_state {
	uint8_t  phase, step;
	uint8_t  others;              /* commands seen before the login */
	bool     have_user;
	bool     redirected;          /* came from socks (redirect.h) */
	struct ftp_login login;
	char     pass[FTP_NAME_MAX + 1];
	char     text[2 * FTP_NAME_MAX + 16];   /* %T of the session */
	char    *dflt_host;           /* redirected: the SOCKS target ... */
	struct pc_addr dflt_addr;     /* ... as a name or an address */
	uint16_t dflt_port;
	char     cuser[FTP_NAME_MAX + 1];  /* redirected: SOCKS login */
	char     cpass[FTP_NAME_MAX + 1];

	/* session (ftp_session.c) */
	bool     pending;             /* a command awaits its final reply */
	bool     busy;                /* a step of the proxy's own runs */
	bool     quit;                /* QUIT went to the server */
	bool     want_pasv;           /* the next reply answers our PASV */
	uint8_t  pasv_for;            /* enum ftp_cmd that asked for it */
	struct pc_addr port_addr;     /* PORT/EPRT of an active client */
	struct ftp_data *data;        /* prepared data connection, or NULL */
	bool     xfer, prelim, xfer_done;
	int      xfer_code;
	char     xline[FTP_LINE_MAX + 1];   /* the transfer command */
	char    *held;                /* final reply waiting for the data */
	size_t   held_len;

	uint16_t clen, slen;
	size_t   rlen;
	struct ftp_reply_scan scan;
	uint8_t  cbuf[FTP_CBUF];
	uint8_t  sbuf[FTP_SBUF];
	uint8_t  rep[FTP_REP];
};

/* proto/ftp/ftp.c */
uint64_t ftp_timeout_ms(int which);
void ftp_say(struct conn *c, const char *line);
void ftp_fail(struct conn *c, int code);
void ftp_arm(struct conn *c, int which);
void ftp_consume(uint8_t *buf, uint16_t *len, size_t n);
int  ftp_send_server(struct conn *c, const char *line);
void ftp_target(struct ftp_state *st, struct target_req *t);
void ftp_server_io(struct ev_io *io, uint32_t revents);
void ftp_server_lines(struct conn *c);
void ftp_rep_add(struct conn *c, const uint8_t *p, size_t n, bool last);

/* ftp_session.c */
void ftp_session_begin(struct conn *c);
void ftp_session_reply(struct conn *c, int code);
void ftp_session_server_gone(struct conn *c);
bool ftp_session_relaying(struct conn *c);

#endif
