/*
 * Private to ftppr: proto/ftp/ftp.c (the line gateway's table, the login
 * and the upstream login) and ftp_session.c (the relayed session with its
 * data commands) share the per-connection state below.
 */
#ifndef PC_WORKER_FTP_PROXY_H
#define PC_WORKER_FTP_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "worker/core/conn.h"
#include "worker/proto/ftp/ftp_data.h"
#include "worker/wire/ftp_parse.h"
#include "worker/net/request.h"
#include "worker/proto/linegw.h"

#define FTP_CBUF 2048     /* client lines, pipelined ones included */
#define FTP_SBUF 2048     /* server lines */
#define FTP_REP  4096     /* one whole reply */

enum ftp_step  { UP_GREET, UP_USER, UP_PASS };

/* The protocol's part of the line gateway's state (linegw.h: phase,
 * buffers, the redirected client's default server and credentials). */
struct ftp_state {
	uint8_t  step;
	bool     have_user;
	struct ftp_login login;
	char     pass[FTP_NAME_MAX + 1];
	char     text[2 * FTP_NAME_MAX + 16];   /* %T of the session */

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

	size_t   rlen;
	struct ftp_reply_scan scan;
	uint8_t  rep[FTP_REP];
};

/* True while the connection and its state live on. */
static inline bool
ftp_alive(const struct conn *c, const struct ftp_state *st)
{
	return !c->closing && c->proto_state != NULL && linegw_priv(c) == st;
}

/* proto/ftp/ftp.c */
int  ftp_send_server(struct conn *c, const char *line);
void ftp_target(const struct conn *c, struct target_req *t);

/* ftp_session.c */
void ftp_session_begin(struct conn *c);
void ftp_session_reply(struct conn *c, int code);
void ftp_session_server_gone(struct conn *c);
bool ftp_session_relaying(struct conn *c);

#endif
