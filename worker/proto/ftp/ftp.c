/*
 * The `ftppr` service, an FTP proxy for FTP clients: the proxy greets the
 * client itself ("220 Ready", as 3proxy), takes `USER name@server[:port]`
 * (answered "331 ok") and PASS, runs the request pipeline (request.h:
 * auth, resolution, ACL with CONNECT, connect or parents) towards that
 * server, logs in there with USER name and PASS, and passes the server's
 * answer on.  The session (ftp_session.c) then relays commands and
 * replies line by line, watching the data commands.
 *
 * A failure before the session is answered with a 4xx/5xx line and logged
 * with its %E code: the pipeline's (1 denied, 4-8 credentials, 100 host
 * not found, 13 connect ...) or the 801-830 ones of ftp_parse.h; a login
 * the server refuses is passed back as the server said it (813).  %T of
 * the session record is the login, `name@server[:port]`.
 *
 * The same handler serves SOCKS clients redirected here by `parent 1000
 * ftp 0.0.0.0 0` (redirect.h): a login without '@' goes to the SOCKS
 * target, the SOCKS credentials are offered to the auth chain and the ACL
 * walk passes over the redirecting rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/proto/ftp/ftp_proxy.h"
#include "worker/net/redirect.h"
#include "worker/net/request.h"
#include "worker/proto/proto.h"

#define FTP_OTHERS 16     /* commands tolerated before the login */

static void ftp_client_io(struct ev_io *io, uint32_t revents);
static void ftp_release(struct conn *c);

uint64_t
ftp_timeout_ms(int which)
{
	return (uint64_t)wctx.cfg->timeouts[which] * 1000;
}

void
ftp_say(struct conn *c, const char *line)
{
	(void)conn_send(c->cfd, line, strlen(line));
}

static const char *
err_line(int code)
{
	if (code == 1 || code == 3 || code == 10)
		return "530 Access denied by the proxy\r\n";
	if (code >= 4 && code <= 8)
		return "530 Proxy authentication failed\r\n";
	if (code == 100)
		return "421 Server name not found\r\n";
	if (code == FTP_E_LONG)
		return "500 Line too long\r\n";
	if (code == FTP_E_LOGIN)
		return "530 USER name@server[:port] expected\r\n";
	if (code == FTP_E_SERVER || code == FTP_E_REFUSED)
		return "421 Server not ready\r\n";
	if (code == FTP_E_NOUSER)
		return "421 Timeout\r\n";
	return "421 Cannot connect to the server\r\n";
}

void
ftp_fail(struct conn *c, int code)
{
	ftp_say(c, err_line(code));
	conn_close(c, code);
}

static void
ftp_timeout(struct ev_timer *t)
{
	struct conn      *c = t->arg;
	struct ftp_state *st = c->proto_state;

	if (st->phase == FP_SESSION) {
		ftp_say(c, "421 Timeout\r\n");
		conn_close(c, 92);
		return;
	}
	ftp_fail(c, st->phase == FP_UPSTREAM ? FTP_E_SERVER : FTP_E_NOUSER);
}

void
ftp_arm(struct conn *c, int which)
{
	ev_timer_start(&c->timer, ftp_timeout_ms(which), ftp_timeout, c);
}

static struct ftp_state *
state_new(struct conn *c)
{
	struct ftp_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		conn_close(c, 21);
		return NULL;
	}
	c->proto_state = st;
	if (conn_send(c->cfd, "220 Ready\r\n", 11) != 11) {
		conn_close(c, FTP_E_NOUSER);
		return NULL;
	}
	ftp_arm(c, PC_TIMEOUT_STRING_SHORT);
	return st;
}

static void
ftp_start(struct conn *c)
{
	if (state_new(c) == NULL)
		return;
	if (ev_io_add(&c->cio, c->cfd, EPOLLIN, ftp_client_io, c) != 0)
		conn_close(c, 90);
}

void
ftp_consume(uint8_t *buf, uint16_t *len, size_t n)
{
	memmove(buf, buf + n, *len - n);
	*len = (uint16_t)(*len - n);
}

int
ftp_send_server(struct conn *c, const char *line)
{
	size_t n = strlen(line);

	if (conn_send(c->sfd, line, n) != (ssize_t)n)
		return -1;
	c->bytes_out += n;
	return 0;
}

/* Upstream login, one reply at a time: greeting, USER, PASS. */
static void
upstream_reply(struct conn *c, int code)
{
	struct ftp_state *st = c->proto_state;
	char              line[FTP_NAME_MAX + 8];

	if (code < 200)
		return;                 /* 1xx: wait for the final reply */
	if (st->step == UP_GREET) {
		if (code >= 300) {
			ftp_fail(c, FTP_E_REFUSED);
			return;
		}
		snprintf(line, sizeof(line), "USER %s\r\n", st->login.user);
		st->step = UP_USER;
	} else if (st->step == UP_USER && code == 331) {
		snprintf(line, sizeof(line), "PASS %s\r\n", st->pass);
		st->step = UP_PASS;
	} else if (code >= 400 || (st->step == UP_PASS && code == 331)) {
		/* the server's refusal goes to the client as it is */
		(void)conn_send(c->cfd, st->rep, st->rlen);
		conn_close(c, FTP_E_AUTH);
		return;
	} else {
		/* logged in (230, or 332 asking for ACCT: the client's turn) */
		(void)conn_send(c->cfd, st->rep, st->rlen);
		explicit_bzero(st->pass, sizeof(st->pass));
		ftp_session_begin(c);
		return;
	}
	if (ftp_send_server(c, line) != 0)
		ftp_fail(c, FTP_E_SEND);
	explicit_bzero(line, sizeof(line));
}

static void
connected(struct conn *c, int code)
{
	struct ftp_state *st = c->proto_state;

	if (code != 0) {
		ftp_fail(c, code);
		return;
	}
	st->phase = FP_UPSTREAM;
	st->step = UP_GREET;
	if (ev_io_take(&c->sio, c->sfd, EPOLLIN, ftp_server_io, c) != 0) {
		conn_close(c, 90);
		return;
	}
	ftp_arm(c, PC_TIMEOUT_STRING_LONG);
}

/* The pipeline's target: the server of the login, or the redirected
 * client's SOCKS target. */
void
ftp_target(struct ftp_state *st, struct target_req *t)
{
	memset(t, 0, sizeof(*t));
	t->op = PC_OP_CONNECT;
	if (st->login.host[0] != '\0') {
		t->port = st->login.port;
		if (pc_addr_parse(st->login.host, &t->addr) != 0)
			t->host = st->login.host;
	} else {
		t->port = st->dflt_port;
		t->host = st->dflt_host;
		t->addr = st->dflt_addr;
	}
	/* the SOCKS login of a redirected client, else the FTP name alone
	 * (useronly and the log) */
	if (st->cuser[0] != '\0') {
		t->user = st->cuser;
		t->pass = st->cpass[0] != '\0' ? st->cpass : NULL;
	} else {
		t->user = st->login.user;
	}
	t->redirected = st->redirected;
}

static void
set_login_text(struct conn *c)
{
	struct ftp_state *st = c->proto_state;
	struct ftp_login  l = st->login;
	char              ip[PC_ADDRSTRLEN];

	if (l.host[0] == '\0') {
		snprintf(l.host, sizeof(l.host), "%s", st->dflt_host != NULL ?
		    st->dflt_host : pc_addr_ntop(&st->dflt_addr, ip,
		    sizeof(ip)));
		l.port = st->dflt_port;
	}
	ftp_login_text(&l, st->text, sizeof(st->text));
	conn_set_text(c, st->text);
}

static void
login(struct conn *c)
{
	struct ftp_state *st = c->proto_state;
	struct target_req t;

	if (st->login.host[0] == '\0' && st->dflt_port == 0) {
		conn_set_text(c, st->login.user);
		ftp_fail(c, FTP_E_LOGIN);
		return;
	}
	set_login_text(c);
	ftp_target(st, &t);
	st->phase = FP_WAIT;
	ev_timer_stop(&c->timer);
	if (ev_io_mod(&c->cio, 0) != 0) {
		conn_close(c, 90);
		return;
	}
	request_start(c, &t, connected);
}

/* One client line before the session: > 0 go on, 0 moved on or closed. */
static int
login_line(struct conn *c, size_t n)
{
	struct ftp_state *st = c->proto_state;
	const uint8_t    *arg;
	size_t            alen;
	enum ftp_cmd      cmd = ftp_classify(st->cbuf, n, &arg, &alen);
	int               rc;

	if (cmd == FTP_C_USER) {
		rc = ftp_parse_login(arg, alen, &st->login);
		if (rc < 0) {
			ftp_fail(c, -rc);
			return 0;
		}
		st->have_user = true;
		ftp_say(c, "331 ok\r\n");
	} else if (cmd == FTP_C_PASS && st->have_user) {
		if (alen > FTP_NAME_MAX) {
			ftp_fail(c, FTP_E_LOGIN);
			return 0;
		}
		memcpy(st->pass, arg, alen);
		st->pass[alen] = '\0';
		ftp_consume(st->cbuf, &st->clen, n);
		login(c);
		return 0;
	} else if (cmd == FTP_C_QUIT) {
		ftp_say(c, "221 Bye\r\n");
		conn_close(c, 0);
		return 0;
	} else if (++st->others > FTP_OTHERS) {
		ftp_say(c, "421 Too many commands before login\r\n");
		conn_close(c, FTP_E_NOUSER);
		return 0;
	} else {
		ftp_say(c, "530 Please login with USER and PASS\r\n");
	}
	ftp_consume(st->cbuf, &st->clen, n);
	return 1;
}

static void
login_lines(struct conn *c)
{
	struct ftp_state *st = c->proto_state;
	long              k;

	while (st->clen > 0) {
		k = ftp_line(st->cbuf, st->clen, FTP_LINE_MAX);
		if (k < 0) {
			ftp_fail(c, FTP_E_LONG);
			return;
		}
		if (k == 0 || login_line(c, (size_t)k) == 0)
			return;
	}
}

static void
ftp_client_io(struct ev_io *io, uint32_t revents)
{
	struct conn      *c = io->arg;
	struct ftp_state *st = c->proto_state;
	ssize_t           n;

	if (c->closing || st == NULL)
		return;
	if (st->phase != FP_LOGIN) {
		/* only errors arrive here while the pipeline runs */
		if (revents & (EPOLLERR | EPOLLHUP))
			conn_close(c, FTP_E_NOUSER);
		return;
	}
	n = read(c->cfd, st->cbuf + st->clen, sizeof(st->cbuf) - st->clen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c, FTP_E_NOUSER);
		return;
	}
	st->clen = (uint16_t)(st->clen + n);
	login_lines(c);
	if (!c->closing && c->proto_state == st && st->phase == FP_LOGIN)
		ftp_arm(c, PC_TIMEOUT_STRING_SHORT);
}

void
ftp_takeover(struct conn *c, const void *early, size_t n, const char *user,
    const char *pass)
{
	struct ftp_state *st;

	c->proto = &proto_ftp;
	if ((st = state_new(c)) == NULL)
		return;
	if (n > sizeof(st->cbuf)) {
		ftp_fail(c, FTP_E_LONG);
		return;
	}
	st->redirected = true;
	st->dflt_port = c->req.port;
	st->dflt_addr = c->req;
	st->dflt_host = c->host;
	c->host = NULL;
	if (user != NULL)
		snprintf(st->cuser, sizeof(st->cuser), "%s", user);
	if (pass != NULL)
		snprintf(st->cpass, sizeof(st->cpass), "%s", pass);
	memcpy(st->cbuf, early, n);
	st->clen = (uint16_t)n;
	c->start_ms = ev_wallclock_ms();
	if (ev_io_take(&c->cio, c->cfd, EPOLLIN, ftp_client_io, c) != 0) {
		conn_close(c, 90);
		return;
	}
	login_lines(c);
}

/* Server lines: collected into whole replies, then dispatched. */
void
ftp_server_io(struct ev_io *io, uint32_t revents)
{
	struct conn      *c = io->arg;
	struct ftp_state *st = c->proto_state;
	ssize_t           n;

	(void)revents;
	if (c->closing || st == NULL)
		return;
	n = read(c->sfd, st->sbuf + st->slen, sizeof(st->sbuf) - st->slen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (st->phase == FP_SESSION)
			ftp_session_server_gone(c);
		else
			ftp_fail(c, FTP_E_SERVER);
		return;
	}
	c->bytes_in += (uint64_t)n;
	st->slen = (uint16_t)(st->slen + n);
	ftp_server_lines(c);
}

/* Whole replies out of sbuf; 0 go on, -1 the connection closed. */
void
ftp_server_lines(struct conn *c)
{
	struct ftp_state *st = c->proto_state;
	long              k;
	int               code;

	while (!c->closing && c->proto_state == st && st->slen > 0) {
		k = ftp_line(st->sbuf, st->slen, FTP_LINE_MAX);
		if (k == 0)
			return;
		if (k < 0 || (code = ftp_reply_feed(&st->scan, st->sbuf,
		    (size_t)k)) < 0) {
			ftp_fail(c, FTP_E_SERVER);
			return;
		}
		ftp_rep_add(c, st->sbuf, (size_t)k, code != 0);
		ftp_consume(st->sbuf, &st->slen, (size_t)k);
		if (code == 0)
			continue;
		memset(&st->scan, 0, sizeof(st->scan));
		if (st->phase == FP_UPSTREAM)
			upstream_reply(c, code);
		else
			ftp_session_reply(c, code);
		/* the reply may have ended the connection (and freed st) */
		if (c->closing || c->proto_state != st)
			return;
		st->rlen = 0;
	}
}

/* A reply line into rep; a reply too long to keep is passed on in pieces
 * when the session relays it, else only its start is kept. */
void
ftp_rep_add(struct conn *c, const uint8_t *p, size_t n, bool last)
{
	struct ftp_state *st = c->proto_state;

	if (st->rlen + n > sizeof(st->rep)) {
		if (st->phase == FP_SESSION && ftp_session_relaying(c)) {
			(void)conn_send(c->cfd, st->rep, st->rlen);
			st->rlen = 0;
		} else if (!last) {
			return;
		} else {
			st->rlen = 0;
		}
	}
	memcpy(st->rep + st->rlen, p, n);
	st->rlen += n;
}

static void
ftp_drain(struct conn *c)
{
	(void)c;   /* a session ends when its client or server ends it */
}

static void
ftp_release(struct conn *c)
{
	struct ftp_state *st = c->proto_state;

	if (st == NULL)
		return;
	ftp_data_free(st->data);
	free(st->dflt_host);
	explicit_bzero(st, sizeof(*st));
	free(st);
	c->proto_state = NULL;
}

const struct proto proto_ftp = {
	.logname = "FTPPR",
	.start = ftp_start,
	.drain = ftp_drain,
	.release = ftp_release,
};
