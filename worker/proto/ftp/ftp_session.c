/*
 * The relayed part of an ftppr session: one client command at a time goes
 * to the server and its reply comes back (lockstep keeps every reply tied
 * to its command), except the data commands, which the proxy serves
 * itself:
 *
 *  - PASV/EPSV from the client: the proxy listens on the address the
 *    client reached it at and answers with that port; PORT/EPRT: the proxy
 *    will dial the client there (only the client's own address: no FTP
 *    bounce) and answers 200.  Either way the proxy asks the server for
 *    passive mode and connects to the port it names, on the address of
 *    the control connection (not the one in the reply: no bounce there
 *    either).
 *  - RETR, STOR/APPE/STOU, LIST/NLST/MLSD: the ACL is walked again with
 *    FTP_GET, FTP_PUT or FTP_LIST, or FTP_DATA (what 3proxy checks on
 *    the data connection: a rule naming either matches); a refusal is answered 550 and logged
 *    with its code, else the command goes on and ftp_data.c copies the
 *    data.  The final reply (226) is held until the copy has ended, so it
 *    never overtakes the data.  Each transfer is one log record with %T
 *    the command ("RETR name").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/proto/ftp/ftp_proxy.h"
#include "worker/wire/text.h"

static void client_lines(struct conn *c);

static void
session_timeout(struct ev_timer *t)
{
	struct conn *c = t->arg;

	linegw_say(c, "421 Timeout\r\n");
	conn_close(c, PC_E_TIMEOUT);
}

static void
session_arm(struct conn *c)
{
	ev_timer_start(&c->timer,
	    (uint64_t)wctx.cfg->timeouts[PC_TIMEOUT_CONN_SHORT] * 1000,
	    session_timeout, c);
}

bool
ftp_session_relaying(struct conn *c)
{
	struct ftp_state *st = linegw_priv(c);

	return !st->want_pasv && !(st->xfer && st->prelim && !st->xfer_done);
}

static void
client_events(struct conn *c)
{
	struct linegw *g = linegw_of(c);

	if (ev_io_mod(&c->cio, g->clen < FTP_CBUF ? EPOLLIN : 0) != 0)
		conn_close(c, PC_E_SYSTEM);
}

static void
session_client_io(struct ev_io *io, uint32_t revents)
{
	struct conn      *c = io->arg;
	struct linegw    *g = linegw_of(c);
	struct ftp_state *st;
	ssize_t           n;

	(void)revents;
	if (c->closing || g == NULL)
		return;
	st = g->priv;
	n = read(c->cfd, g->cbuf + g->clen, FTP_CBUF - g->clen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c, st->xfer ? FTP_E_DATAIO : PC_E_OK);
		return;
	}
	g->clen = (uint16_t)(g->clen + n);
	client_lines(c);
	if (ftp_alive(c, st))
		client_events(c);
}

void
ftp_session_begin(struct conn *c)
{
	linegw_of(c)->phase = LG_SESSION;
	session_arm(c);
	if (ev_io_take(&c->cio, c->cfd, EPOLLIN, session_client_io, c) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return;
	}
	client_lines(c);
}

void
ftp_session_server_gone(struct conn *c)
{
	struct ftp_state *st = linegw_priv(c);

	if (st->rlen > 0)
		(void)conn_send(c->cfd, st->rep, st->rlen);
	conn_close(c, st->quit ? PC_E_OK : FTP_E_SERVER);
}

/* Sends the transfer's record (%T the command) and keeps the session's. */
static void
log_transfer(struct conn *c, int code)
{
	struct ftp_state *st = linegw_priv(c);

	conn_set_text(c, st->xline);
	conn_log(c, code);
	conn_set_text(c, st->text);
}

static void
end_transfer(struct conn *c, int code)
{
	struct ftp_state *st = linegw_priv(c);

	ftp_data_free(st->data);
	st->data = NULL;
	st->xfer = st->prelim = st->xfer_done = false;
	free(st->held);
	st->held = NULL;
	st->held_len = 0;
	log_transfer(c, code);
}

static void
next(struct conn *c)
{
	struct ftp_state *st = linegw_priv(c);

	st->pending = st->busy = false;
	session_arm(c);
	client_lines(c);
	if (ftp_alive(c, st))
		client_events(c);
}

static void
data_done(void *arg, enum pc_ecode code)
{
	struct conn      *c = arg;
	struct ftp_state *st = linegw_priv(c);

	st->xfer_done = true;
	st->xfer_code = code;
	if (st->held == NULL)
		return;                 /* the final reply is still to come */
	if (conn_send(c->cfd, st->held, st->held_len) !=
	    (ssize_t)st->held_len) {
		conn_close(c, FTP_E_SEND);
		return;
	}
	end_transfer(c, code);
	next(c);
}

/* The final reply of a transfer command. */
static void
transfer_reply(struct conn *c, int code)
{
	struct ftp_state *st = linegw_priv(c);

	if (!st->prelim) {
		/* refused by the server: no data will flow */
		(void)conn_send(c->cfd, st->rep, st->rlen);
		end_transfer(c, code >= 400 ? FTP_E_XFER : PC_E_OK);
		next(c);
		return;
	}
	if (!st->xfer_done) {
		if ((st->held = malloc(st->rlen)) == NULL) {
			conn_close(c, PC_E_NOMEM);
			return;
		}
		memcpy(st->held, st->rep, st->rlen);
		st->held_len = st->rlen;
		return;
	}
	(void)conn_send(c->cfd, st->rep, st->rlen);
	end_transfer(c, st->xfer_code);
	next(c);
}

/* The server's answer to the proxy's PASV/EPSV. */
static void
pasv_reply(struct conn *c, int code)
{
	struct ftp_state *st = linegw_priv(c);
	struct pc_addr    srv = c->remote, a;
	char              line[128];
	int               ok;

	st->want_pasv = false;
	ok = srv.family == AF_INET ? ftp_parse_pasv(st->rep, st->rlen, &a) :
	    ftp_parse_epsv(st->rep, st->rlen, &a.port);
	ftp_data_free(st->data);
	st->data = NULL;
	if (code != 227 && code != 229)
		ok = -1;
	srv.port = a.port;
	if (ok == 0 && (st->data = ftp_data_new()) != NULL &&
	    ftp_data_server(st->data, &srv) == 0) {
		if (st->pasv_for == FTP_C_PASV || st->pasv_for == FTP_C_EPSV)
			ok = ftp_data_listen(st->data, &c->local, &c->client);
		else
			ftp_data_active(st->data, &st->port_addr, &c->local);
	} else {
		ok = -1;
	}
	if (ok != 0) {
		ftp_data_free(st->data);
		st->data = NULL;
		linegw_say(c, "425 Cannot open a data connection\r\n");
	} else if (st->pasv_for == FTP_C_PASV || st->pasv_for == FTP_C_EPSV) {
		if (ftp_format_passive(ftp_data_bound(st->data),
		    st->pasv_for == FTP_C_EPSV, line, sizeof(line)) == 0)
			snprintf(line, sizeof(line), "425 No data port\r\n");
		linegw_say(c, line);
	} else {
		linegw_say(c, "200 PORT command successful\r\n");
	}
	next(c);
}

void
ftp_session_reply(struct conn *c, int code)
{
	struct ftp_state *st = linegw_priv(c);

	if (st->want_pasv) {
		if (code >= 200)
			pasv_reply(c, code);
		return;
	}
	if (st->xfer) {
		if (code < 200) {
			st->prelim = true;
			(void)conn_send(c->cfd, st->rep, st->rlen);
			return;
		}
		transfer_reply(c, code);
		return;
	}
	if (conn_send(c->cfd, st->rep, st->rlen) < 0) {
		conn_close(c, FTP_E_SEND);
		return;
	}
	if (code >= 200 && st->pending)
		next(c);
}

/* Passive mode towards the server, whatever the client asked for. */
static void
ask_pasv(struct conn *c, enum ftp_cmd cmd)
{
	struct ftp_state *st = linegw_priv(c);

	st->busy = st->want_pasv = true;
	st->pasv_for = (uint8_t)cmd;
	if (ftp_send_server(c, c->remote.family == AF_INET ? "PASV\r\n" :
	    "EPSV\r\n") != 0)
		conn_close(c, FTP_E_SEND);
}

static void
port_command(struct conn *c, enum ftp_cmd cmd, const uint8_t *arg,
    size_t alen)
{
	struct ftp_state *st = linegw_priv(c);
	struct pc_addr    a, mine = c->client;
	int               ok = cmd == FTP_C_PORT ?
	    ftp_parse_port(arg, alen, &a) : ftp_parse_eprt(arg, alen, &a);

	mine.port = 0;
	st->port_addr = a;
	a.port = 0;
	if (ok != 0 || !pc_addr_equal(&a, &mine)) {
		conn_set_text(c, cmd == FTP_C_PORT ? "PORT" : "EPRT");
		conn_log(c, FTP_E_PORT);
		conn_set_text(c, st->text);
		linegw_say(c, "501 Illegal PORT command\r\n");
		return;
	}
	ask_pasv(c, cmd);
}

static void
acl_done(struct conn *c, enum pc_ecode code)
{
	struct ftp_state *st = linegw_priv(c);
	char              line[FTP_LINE_MAX + 3];

	if (code != 0) {
		linegw_say(c, "550 Permission denied by the proxy\r\n");
		end_transfer(c, code);
		next(c);
		return;
	}
	snprintf(line, sizeof(line), "%s\r\n", st->xline);
	if (ftp_send_server(c, line) != 0) {
		conn_close(c, FTP_E_SEND);
		return;
	}
	st->pending = true;
	ev_timer_stop(&c->timer);   /* the data has its own timeout */
	ftp_data_run(st->data, ftp_cmd_upload((enum ftp_cmd)st->pasv_for),
	    wctx.cfg->timeouts[PC_TIMEOUT_CONN_SHORT],
	    st->pasv_for == FTP_C_STOR || st->pasv_for == FTP_C_APPE ||
	    st->pasv_for == FTP_C_STOU ? &c->bytes_out : &c->bytes_in,
	    data_done, c);
}

/* A transfer command: the ACL with its operation, then on. */
static void
transfer_command(struct conn *c, enum ftp_cmd cmd, const uint8_t *line,
    size_t n)
{
	struct ftp_state *st = linegw_priv(c);
	struct target_req t;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	memcpy(st->xline, line, n);
	st->xline[n] = '\0';
	if (st->data == NULL) {
		linegw_say(c, "425 Use PORT or PASV first\r\n");
		return;
	}
	st->busy = st->xfer = true;
	st->pasv_for = (uint8_t)cmd;   /* the transfer's direction, now */
	ftp_target(c, &t);
	t.op = ftp_cmd_op(cmd);
	t.op_also = PC_OP_FTP_DATA;   /* what 3proxy checks */
	t.no_connect = true;
	request_start(c, &t, acl_done);
}

/* One client line of the session: 1 go on, 0 wait for the server. */
static int
session_line(struct conn *c, size_t n)
{
	struct linegw    *g = linegw_of(c);
	struct ftp_state *st = g->priv;
	uint8_t           line[FTP_LINE_MAX];
	const uint8_t    *arg;
	size_t            alen;
	enum ftp_cmd      cmd;

	memcpy(line, g->cbuf, n);
	memmove(g->cbuf, g->cbuf + n, g->clen - n);
	g->clen = (uint16_t)(g->clen - n);
	cmd = ftp_classify(line, n, &arg, &alen);
	switch (cmd) {
	case FTP_C_BAD:
		linegw_say(c, "500 Syntax error\r\n");
		return 1;
	case FTP_C_PASV: case FTP_C_EPSV:
		ask_pasv(c, cmd);
		return 0;
	case FTP_C_PORT: case FTP_C_EPRT:
		port_command(c, cmd, arg, alen);
		return !st->busy;
	case FTP_C_RETR: case FTP_C_STOR: case FTP_C_APPE: case FTP_C_STOU:
	case FTP_C_LIST: case FTP_C_NLST: case FTP_C_MLSD:
		transfer_command(c, cmd, line, n);
		return !st->busy;
	default:
		break;
	}
	st->quit = cmd == FTP_C_QUIT;
	if (conn_send(c->sfd, line, n) != (ssize_t)n) {
		conn_close(c, FTP_E_SEND);
		return 0;
	}
	c->bytes_out += n;
	st->pending = true;
	return 0;
}

static void
client_lines(struct conn *c)
{
	struct linegw    *g = linegw_of(c);
	struct ftp_state *st = g->priv;
	long              k;

	while (!st->pending && !st->busy && g->clen > 0) {
		k = text_line(g->cbuf, g->clen, FTP_LINE_MAX);
		if (k < 0) {
			linegw_say(c, "500 Line too long\r\n");
			conn_close(c, FTP_E_LONG);
			return;
		}
		if (k == 0 || session_line(c, (size_t)k) == 0)
			return;
		if (!ftp_alive(c, st))
			return;
	}
}
