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
 *
 * The greeting, the login lines, the timeouts and the server's lines are
 * the line gateway's (linegw.h); this file is its table and the FTP steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/proto/ftp/ftp_proxy.h"
#include "worker/net/redirect.h"
#include "worker/net/request.h"
#include "worker/proto/proto.h"
#include "worker/wire/text.h"

static const struct linegw_reply errors[] = {
	{ PC_E_DENY, PC_E_DENY, "530 Access denied by the proxy\r\n" },
	{ PC_E_NOMATCH, PC_E_NOMATCH, "530 Access denied by the proxy\r\n" },
	{ PC_E_LIMIT, PC_E_LIMIT, "530 Access denied by the proxy\r\n" },
	{ PC_E_NOCRED, PC_E_BADNT, "530 Proxy authentication failed\r\n" },
	{ PC_E_RESOLVE, PC_E_RESOLVE, "421 Server name not found\r\n" },
	{ FTP_E_LONG, FTP_E_LONG, "500 Line too long\r\n" },
	{ FTP_E_LOGIN, FTP_E_LOGIN, "530 USER name@server[:port] expected\r\n" },
	{ FTP_E_SERVER, FTP_E_SERVER, "421 Server not ready\r\n" },
	{ FTP_E_REFUSED, FTP_E_REFUSED, "421 Server not ready\r\n" },
	{ FTP_E_NOUSER, FTP_E_NOUSER, "421 Timeout\r\n" },
	{ 0, 0, "421 Cannot connect to the server\r\n" },
};

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
	struct ftp_state *st = linegw_priv(c);
	char              line[FTP_NAME_MAX + 8];

	if (code < 200)
		return;                 /* 1xx: wait for the final reply */
	if (st->step == UP_GREET) {
		if (code >= 300) {
			linegw_fail(c, FTP_E_REFUSED);
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
		linegw_fail(c, FTP_E_SEND);
	explicit_bzero(line, sizeof(line));
}

/* A reply line into rep; a reply too long to keep is passed on in pieces
 * when the session relays it, else only its start is kept. */
static void
rep_add(struct conn *c, const uint8_t *p, size_t n, bool last)
{
	struct ftp_state *st = linegw_priv(c);

	if (st->rlen + n > sizeof(st->rep)) {
		if (linegw_of(c)->phase == LG_SESSION &&
		    ftp_session_relaying(c)) {
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

/* One server line, upstream or in the session: collected into whole
 * replies, then dispatched. */
static void
server(struct conn *c, const uint8_t *p, size_t n, int unused)
{
	struct ftp_state *st = linegw_priv(c);
	int               code = ftp_reply_feed(&st->scan, p, n);

	(void)unused;
	if (code < 0) {
		linegw_fail(c, FTP_E_SERVER);
		return;
	}
	rep_add(c, p, n, code != 0);
	if (code == 0)
		return;
	memset(&st->scan, 0, sizeof(st->scan));
	if (linegw_of(c)->phase == LG_UPSTREAM)
		upstream_reply(c, code);
	else
		ftp_session_reply(c, code);
	/* the reply may have ended the connection (and freed st) */
	if (ftp_alive(c, st))
		st->rlen = 0;
}

static void
connected(struct conn *c)
{
	struct ftp_state *st = linegw_priv(c);

	st->step = UP_GREET;
}

/* The proxy user of a login, as 3proxy: the proxyuser:proxypass: part,
 * else the SOCKS login of a redirected client, else none (%U "-"): the
 * FTP name is the server's business, not the proxy's. */
static void
proxy_user(const struct ftp_state *st, struct target_req *t)
{
	if (st->login.puser[0] != '\0') {
		t->user = st->login.puser;
		t->pass = st->login.ppass;
	}
}

/* The pipeline's target: the server of the login, or the redirected
 * client's SOCKS target; the user as proxy_user(). */
void
ftp_target(const struct conn *c, struct target_req *t)
{
	struct ftp_state *st = linegw_priv(c);

	(void)linegw_target(c, st->login.host, st->login.port, NULL, t);
	proxy_user(st, t);
}

static void
login(struct conn *c)
{
	struct ftp_state *st = linegw_priv(c);
	struct target_req t;
	char              ip[PC_ADDRSTRLEN];

	if (linegw_target(c, st->login.host, st->login.port, NULL,
	    &t) != 0) {
		conn_set_text(c, st->login.user);
		linegw_fail(c, FTP_E_LOGIN);
		return;
	}
	proxy_user(st, &t);
	text_login(st->login.user, st->login.host[0] != '\0' ?
	    st->login.host : linegw_target_host(&t, ip, sizeof(ip)), t.port,
	    FTP_PORT, st->text, sizeof(st->text));
	conn_set_text(c, st->text);
	linegw_login(c, &t);
}

/* One client line before the session: > 0 go on, 0 moved on or closed. */
static int
line(struct conn *c, const uint8_t *p, size_t n)
{
	struct ftp_state *st = linegw_priv(c);
	const uint8_t    *arg;
	size_t            alen;
	enum ftp_cmd      cmd = ftp_classify(p, n, &arg, &alen);
	int               rc;

	if (cmd == FTP_C_USER) {
		rc = ftp_parse_login(arg, alen, &st->login);
		if (rc < 0) {
			linegw_fail(c, -rc);
			return 0;
		}
		st->have_user = true;
		linegw_say(c, "331 ok\r\n");
		return 1;
	}
	if (cmd == FTP_C_PASS && st->have_user) {
		if (alen > FTP_NAME_MAX) {
			linegw_fail(c, FTP_E_LOGIN);
			return 0;
		}
		memcpy(st->pass, arg, alen);
		st->pass[alen] = '\0';
		login(c);
		return 0;
	}
	if (cmd == FTP_C_QUIT) {
		linegw_hang_up(c, "221 Bye\r\n", 0);
		return 0;
	}
	return linegw_other(c, "530 Please login with USER and PASS\r\n");
}

static void
release(struct conn *c)
{
	struct ftp_state *st = linegw_priv(c);

	ftp_data_free(st->data);
	free(st->held);
}

static const struct linegw_ops ops = {
	.proto = &proto_ftp,
	.priv_size = sizeof(struct ftp_state),
	.cbuf = FTP_CBUF,
	.sbuf = FTP_SBUF,
	.line_max = FTP_LINE_MAX,
	.server_line_max = FTP_LINE_MAX,
	.greeting = "220 Ready\r\n",
	.e_greeting = FTP_E_NOUSER,
	.e_idle = FTP_E_NOUSER,
	.e_long = FTP_E_LONG,
	.e_server = FTP_E_SERVER,
	.e_send = FTP_E_SEND,
	.errors = errors,
	.others_reply = "421 Too many commands before login\r\n",
	.line = line,
	.connected = connected,
	.server = server,
	.server_gone = ftp_session_server_gone,
	/* drain: a session ends when its client or server ends it */
	.release = release,
};

static void
ftp_start(struct conn *c)
{
	linegw_start(c, &ops);
}

void
ftp_takeover(struct conn *c, const void *early, size_t n, const char *user,
    const char *pass)
{
	linegw_takeover(c, &ops, early, n, user, pass);
}

const struct proto proto_ftp = {
	.logname = "FTPPR",
	.start = ftp_start,
	.drain = linegw_drain,
	.release = linegw_release,
};
