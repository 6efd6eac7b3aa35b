/*
 * The `smtpp` service, an SMTP gateway: the proxy greets the client itself
 * ("220 Proxy ready"), answers EHLO/HELO advertising AUTH PLAIN LOGIN, and
 * takes AUTH PLAIN or AUTH LOGIN (RFC 4954) whose name is
 * `name@server[:port]`.  It then runs the request pipeline (request.h:
 * auth with the name and password, resolution, ACL with operation CONNECT,
 * connect or parents) towards that server, reads its 220, says EHLO, logs
 * in there as `name` with AUTH PLAIN (or LOGIN when that is all the server
 * offers), answers 235 to the client and hands both sockets to the relay
 * (relay.h), which carries MAIL, RCPT, DATA ... uninspected.
 *
 * Unlike 3proxy, whose client waits until it times out when the server
 * refuses the login, the server's refusal (535 ...) is passed back to the
 * client.  Every failed login (refused by the server, by the ACL or the
 * proxy's auth, an unreachable server, a malformed name) is answered, logged
 * with its %E code and leaves the client in the command phase to try again
 * (smtplib tries each advertised mechanism in turn), at most SMTP_TRIES
 * times; a connection whose failures were all logged adds no record when it
 * ends.  Codes: the pipeline's (1 denied, 4-8 credentials, 100 host not
 * found, 13 connect ...) and the 662-680 ones of smtp_parse.h.  %T is
 * `name@server[:port]`, as 3proxy logs it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "worker/core/conn.h"
#include "worker/net/relay.h"
#include "worker/net/request.h"
#include "worker/wire/smtp_parse.h"
#include "worker/proto/proto.h"

#define SMTP_BUF    2048   /* one client line plus pipelined bytes */
#define SMTP_OTHERS 16     /* commands tolerated besides AUTH */
#define SMTP_TRIES  3      /* failed logins before the proxy hangs up */

/* client side first, then the server side (phase >= SS_GREET) */
enum phase { SP_CMD, SP_PLAIN, SP_LUSER, SP_LPASS, SP_WAIT,
	     SS_GREET, SS_EHLO, SS_LOGIN, SS_LUSER, SS_AUTH };

struct smtp_state {
	uint8_t  phase;
	uint8_t  others;              /* commands seen besides AUTH */
	uint8_t  fails;               /* failed logins */
	bool     logged;              /* a failed login has been logged */
	uint16_t len, slen;           /* bytes in buf / sbuf */
	char     helo[SMTP_NAME_MAX + 1];   /* the client's EHLO domain */
	struct smtp_login login;
	uint8_t  buf[SMTP_BUF];
	uint8_t  sbuf[SMTP_REPLY_MAX];
};

static void smtp_client_io(struct ev_io *io, uint32_t revents);
static void smtp_release(struct conn *c);
static void parse_lines(struct conn *c);

static const char ehlo_reply[] = "250-Proxy\r\n250 AUTH PLAIN LOGIN\r\n";

static uint64_t
timeout_ms(int which)
{
	return (uint64_t)wctx.cfg->timeouts[which] * 1000;
}

/* Short lines on a socket that has room: one write, or give up. */
static void
say(struct conn *c, const char *line)
{
	(void)conn_send(c->cfd, line, strlen(line));
}

static const char *
err_line(int code)
{
	if (code == 1 || code == 3 || code == 10)
		return "550 5.7.1 access denied\r\n";
	if (code >= 4 && code <= 8)
		return "535 5.7.8 proxy authentication failed\r\n";
	if (code == 100)
		return "554 5.4.4 server name not found\r\n";
	if (code == SMTP_E_DECODE)
		return "501 5.5.2 cannot decode AUTH data\r\n";
	if (code == SMTP_E_LOGIN)
		return "501 5.5.4 name@server[:port] expected\r\n";
	if (code == SMTP_E_SERVER || code == SMTP_E_REFUSED ||
	    code == SMTP_E_SEND)
		return "454 4.4.2 server not ready\r\n";
	if (code == SMTP_E_NOMECH)
		return "454 4.7.0 server offers no AUTH PLAIN or LOGIN\r\n";
	if (code == SMTP_E_AUTH)
		return "454 4.7.0 unexpected reply to the login\r\n";
	return "454 4.4.1 cannot connect to server\r\n";
}

/* The end of a connection that never logged in. */
static void
hang_up(struct conn *c, const char *line, int code)
{
	struct smtp_state *st = c->proto_state;

	if (line != NULL)
		say(c, line);
	conn_close(c, st->logged && code == SMTP_E_NOAUTH ? -1 : code);
}

static void
smtp_timeout(struct ev_timer *t);

/* Back to the command phase, reading what the client sent meanwhile. */
static void
resume(struct conn *c)
{
	struct smtp_state *st = c->proto_state;

	st->phase = SP_CMD;
	if (ev_io_mod(&c->cio, EPOLLIN) != 0) {
		conn_close(c, 90);
		return;
	}
	ev_timer_start(&c->timer, timeout_ms(PC_TIMEOUT_STRING_SHORT),
	    smtp_timeout, c);
	parse_lines(c);
}

/* A failed login: answer reply[0..n), log it, let the client try again. */
static void
refused(struct conn *c, int code, const void *reply, size_t n)
{
	struct smtp_state *st = c->proto_state;

	conn_close_server(c);
	ev_timer_stop(&c->timer);
	(void)conn_send(c->cfd, reply, n);
	explicit_bzero(&st->login, sizeof(st->login));
	st->slen = 0;
	if (++st->fails >= SMTP_TRIES) {
		say(c, "421 4.7.0 too many failed logins\r\n");
		conn_close(c, code);
		return;
	}
	conn_log(c, code);
	st->logged = true;
	resume(c);
}

static void
fail(struct conn *c, int code)
{
	const char *line = err_line(code);

	refused(c, code, line, strlen(line));
}

static void
smtp_timeout(struct ev_timer *t)
{
	struct conn       *c = t->arg;
	struct smtp_state *st = c->proto_state;
	static const char  line[] = "454 4.4.2 server timeout\r\n";

	if (st->phase >= SS_GREET)
		refused(c, SMTP_E_SERVER, line, sizeof(line) - 1);
	else
		hang_up(c, "421 4.4.2 timeout\r\n", SMTP_E_NOAUTH);
}

static void
consume(uint8_t *buf, uint16_t *len, size_t n)
{
	memmove(buf, buf + n, *len - n);
	*len = (uint16_t)(*len - n);
}

/* 0, or -1 when the connection went on to a failure. */
static int
to_server(struct conn *c, const char *p, size_t n)
{
	if (n == 0 || conn_send(c->sfd, p, n) != (ssize_t)n) {
		fail(c, SMTP_E_SEND);
		return -1;
	}
	c->bytes_out += n;
	return 0;
}

static void
send_ehlo(struct conn *c)
{
	struct smtp_state *st = c->proto_state;
	char               line[SMTP_NAME_MAX + 24], ip[PC_ADDRSTRLEN];
	int                n;

	if (st->helo[0] != '\0')
		n = snprintf(line, sizeof(line), "EHLO %s\r\n", st->helo);
	else   /* an address literal, RFC 5321 4.1.3 */
		n = snprintf(line, sizeof(line), c->ext.family == AF_INET6 ?
		    "EHLO [IPv6:%s]\r\n" : "EHLO [%s]\r\n",
		    pc_addr_ntop(&c->ext, ip, sizeof(ip)));
	if (to_server(c, line, n > 0 ? (size_t)n : 0) == 0)
		st->phase = SS_EHLO;
}

/* The EHLO reply is in: log in with PLAIN, else LOGIN. */
static void
start_auth(struct conn *c, unsigned mechs)
{
	struct smtp_state *st = c->proto_state;
	char               line[SMTP_LINE_MAX];
	size_t             n;

	if (mechs & SMTP_MECH_PLAIN) {
		n = smtp_auth_plain(st->login.user, st->login.pass, line,
		    sizeof(line));
		if (to_server(c, line, n) == 0)
			st->phase = SS_AUTH;
		explicit_bzero(line, sizeof(line));
	} else if (mechs & SMTP_MECH_LOGIN) {
		if (to_server(c, "AUTH LOGIN\r\n", 12) == 0)
			st->phase = SS_LOGIN;
	} else {
		fail(c, SMTP_E_NOMECH);
	}
}

/* One AUTH LOGIN step: base64 of the name or the password. */
static void
login_step(struct conn *c, const char *s, uint8_t next)
{
	struct smtp_state *st = c->proto_state;
	char               line[2 * SMTP_NAME_MAX];
	size_t             n = smtp_b64_line(s, line, sizeof(line));

	if (to_server(c, line, n) == 0)
		st->phase = next;
	explicit_bzero(line, sizeof(line));
}

/* The server answered the login with reply[0..k) and code. */
static void
rejected(struct conn *c, size_t k, int code)
{
	struct smtp_state *st = c->proto_state;

	/* a 4xx/5xx is the server's word to the client; a 334 or other
	 * 2xx/3xx here would confuse it */
	if (code >= 400)
		refused(c, SMTP_E_AUTH, st->sbuf, k);
	else
		fail(c, SMTP_E_AUTH);
}

static void
logged_in(struct conn *c)
{
	struct smtp_state *st = c->proto_state;

	say(c, "235 2.7.0 Authentication successful\r\n");
	ev_timer_stop(&c->timer);
	explicit_bzero(&st->login.pass, sizeof(st->login.pass));
	relay_start(c, st->buf, st->len, st->sbuf, st->slen,
	    wctx.cfg->timeouts[PC_TIMEOUT_CONN_SHORT]);
	if (!c->closing)
		smtp_release(c);      /* the relay copied what it needs */
}

/* One complete server reply sbuf[0..k) with its code. */
static void
server_reply(struct conn *c, size_t k, int code)
{
	struct smtp_state *st = c->proto_state;
	unsigned           mechs;

	switch (st->phase) {
	case SS_GREET:
		if (smtp_check_greeting(st->sbuf, k, code) != 0) {
			fail(c, SMTP_E_REFUSED);
			return;
		}
		consume(st->sbuf, &st->slen, k);
		send_ehlo(c);
		return;
	case SS_EHLO:
		if (code != 250) {
			fail(c, SMTP_E_REFUSED);
			return;
		}
		mechs = smtp_ehlo_mechs(st->sbuf, k);
		consume(st->sbuf, &st->slen, k);
		start_auth(c, mechs);
		return;
	case SS_LOGIN:
	case SS_LUSER:
		if (code != 334) {
			rejected(c, k, code);
			return;
		}
		consume(st->sbuf, &st->slen, k);
		if (st->phase == SS_LOGIN)
			login_step(c, st->login.user, SS_LUSER);
		else
			login_step(c, st->login.pass, SS_AUTH);
		return;
	default:   /* SS_AUTH */
		if (code != 235) {
			rejected(c, k, code);
			return;
		}
		consume(st->sbuf, &st->slen, k);
		logged_in(c);
	}
}

static void
smtp_server_io(struct ev_io *io, uint32_t revents)
{
	struct conn       *c = io->arg;
	struct smtp_state *st = c->proto_state;
	ssize_t            n;
	long               k;
	int                code;

	(void)revents;
	if (c->closing || st == NULL || st->phase < SS_GREET)
		return;
	n = read(c->sfd, st->sbuf + st->slen, sizeof(st->sbuf) - st->slen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		fail(c, SMTP_E_SERVER);
		return;
	}
	st->slen = (uint16_t)(st->slen + n);
	/* a reply at a time; a server that runs ahead is read in order */
	while (!c->closing && c->proto_state == st && st->phase >= SS_GREET) {
		k = smtp_reply(st->sbuf, st->slen, sizeof(st->sbuf), &code);
		if (k == 0)
			return;
		if (k < 0) {
			fail(c, SMTP_E_SERVER);
			return;
		}
		c->bytes_in += (uint64_t)k;
		server_reply(c, (size_t)k, code);
	}
}

static void
connected(struct conn *c, int code)
{
	struct smtp_state *st = c->proto_state;

	if (code != 0) {
		fail(c, code);
		return;
	}
	st->phase = SS_GREET;
	st->slen = 0;
	if (ev_io_take(&c->sio, c->sfd, EPOLLIN, smtp_server_io, c) != 0) {
		conn_close(c, 90);
		return;
	}
	ev_timer_start(&c->timer, timeout_ms(PC_TIMEOUT_STRING_LONG),
	    smtp_timeout, c);
}

/* The login is complete: the pipeline towards its server. */
static void
login(struct conn *c)
{
	struct smtp_state *st = c->proto_state;
	struct target_req  t;
	char               text[2 * SMTP_NAME_MAX + 16], ip[PC_ADDRSTRLEN];

	memset(&t, 0, sizeof(t));
	t.op = PC_OP_CONNECT;
	t.port = st->login.port;
	if (pc_addr_parse(st->login.host, &t.addr) != 0)
		t.host = st->login.host;
	smtp_text(st->login.user, t.host != NULL ? t.host :
	    pc_addr_ntop(&t.addr, ip, sizeof(ip)), t.port, text, sizeof(text));
	conn_set_text(c, text);
	t.user = st->login.user;
	t.pass = st->login.pass;
	st->phase = SP_WAIT;
	ev_timer_stop(&c->timer);
	/* the pipeline owns the connection; pipelined bytes stay in buf */
	if (ev_io_mod(&c->cio, 0) != 0) {
		conn_close(c, 90);
		return;
	}
	request_start(c, &t, connected);
}

/* A malformed login: nothing is known of the target. */
static void
bad_login(struct conn *c, int code)
{
	conn_set_user(c, NULL);
	conn_set_host(c, NULL);
	conn_set_text(c, NULL);
	memset(&c->req, 0, sizeof(c->req));
	memset(&c->remote, 0, sizeof(c->remote));
	fail(c, code);
}

/* A command other than AUTH or QUIT: > 0 go on, 0 hung up. */
static int
other(struct conn *c, const char *reply)
{
	struct smtp_state *st = c->proto_state;

	if (++st->others > SMTP_OTHERS) {
		say(c, "421 4.7.0 too many commands without AUTH\r\n");
		conn_close(c, SMTP_E_NOAUTH);
		return 0;
	}
	say(c, reply);
	return 1;
}

static int
cancelled(struct conn *c)
{
	struct smtp_state *st = c->proto_state;

	st->phase = SP_CMD;
	explicit_bzero(&st->login, sizeof(st->login));
	return other(c, "501 5.0.0 AUTH cancelled\r\n");
}

static int
plain_data(struct conn *c, const uint8_t *p, size_t n)
{
	struct smtp_state *st = c->proto_state;
	int                rc = smtp_decode_plain(p, n, &st->login);

	if (rc == 1)
		return cancelled(c);
	if (rc < 0)
		bad_login(c, -rc);
	else
		login(c);
	return 0;
}

static int
login_user(struct conn *c, const uint8_t *p, size_t n)
{
	struct smtp_state *st = c->proto_state;
	char               name[SMTP_NAME_MAX + 1];
	size_t             len;
	int                rc = smtp_decode_line(p, n, name, sizeof(name),
			       &len);

	if (rc == 1)
		return cancelled(c);
	if (rc < 0 || smtp_parse_login(name, len, &st->login) != 0) {
		bad_login(c, rc < 0 ? SMTP_E_DECODE : SMTP_E_LOGIN);
		return 0;
	}
	st->phase = SP_LPASS;
	say(c, "334 UGFzc3dvcmQ6\r\n");           /* "Password:" */
	return 1;
}

static int
login_pass(struct conn *c, const uint8_t *p, size_t n)
{
	struct smtp_state *st = c->proto_state;
	size_t             len;
	int                rc = smtp_decode_line(p, n, st->login.pass,
			       sizeof(st->login.pass), &len);

	if (rc == 1)
		return cancelled(c);
	if (rc < 0 || len == 0) {
		bad_login(c, SMTP_E_DECODE);
		return 0;
	}
	login(c);
	return 0;
}

static void
remember_helo(struct smtp_state *st, const uint8_t *p, size_t n)
{
	st->helo[0] = '\0';
	if (smtp_domain_ok(p, n)) {
		memcpy(st->helo, p, n);
		st->helo[n] = '\0';
	}
}

static int
command(struct conn *c, const uint8_t *p, size_t n)
{
	struct smtp_state *st = c->proto_state;
	const uint8_t     *arg;
	size_t             alen;

	switch (smtp_parse_command(p, n, &arg, &alen)) {
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
		remember_helo(st, arg, alen);
		return other(c, (p[0] | 0x20) == 'e' ? ehlo_reply :
		    "250 Proxy\r\n");
	case SMTP_CMD_AUTH_PLAIN:
		if (alen > 0)
			return plain_data(c, arg, alen);
		st->phase = SP_PLAIN;
		say(c, "334 \r\n");
		return 1;
	case SMTP_CMD_AUTH_LOGIN:
		if (alen > 0)
			return login_user(c, arg, alen);
		st->phase = SP_LUSER;
		say(c, "334 VXNlcm5hbWU6\r\n");   /* "Username:" */
		return 1;
	case SMTP_CMD_QUIT:
		hang_up(c, "221 2.0.0 Bye\r\n", st->logged ? -1 : 0);
		return 0;
	case SMTP_CMD_NOOP:
		return other(c, "250 2.0.0 OK\r\n");
	case SMTP_CMD_AUTH_OTHER:
		return other(c, "504 5.5.4 mechanism not supported\r\n");
	case SMTP_CMD_AUTH_BAD:
		return other(c, "501 5.5.4 AUTH mechanism expected\r\n");
	case SMTP_CMD_NEEDAUTH:
		return other(c, "530 5.7.0 authentication required\r\n");
	case SMTP_CMD_SYNTAX:
		return other(c, "500 5.5.2 syntax error\r\n");
	default:
		return other(c, "500 5.5.1 command not recognized\r\n");
	}
}

/* One client line: > 0 go on, 0 the connection moved on or closed. */
static int
line(struct conn *c, size_t n)
{
	struct smtp_state *st = c->proto_state;
	uint8_t            ln[SMTP_LINE_MAX];
	int                rc;

	/* a copy: a login that fails at once resumes reading buf */
	memcpy(ln, st->buf, n);
	consume(st->buf, &st->len, n);
	switch (st->phase) {
	case SP_PLAIN:
		rc = plain_data(c, ln, n);
		break;
	case SP_LUSER:
		rc = login_user(c, ln, n);
		break;
	case SP_LPASS:
		rc = login_pass(c, ln, n);
		break;
	default:
		rc = command(c, ln, n);
	}
	explicit_bzero(ln, n);
	return rc;
}

static void
parse_lines(struct conn *c)
{
	struct smtp_state *st = c->proto_state;
	long               k;

	while (st->len > 0 && st->phase < SP_WAIT) {
		k = smtp_line(st->buf, st->len, SMTP_LINE_MAX);
		if (k < 0) {
			hang_up(c, "500 5.5.6 line too long\r\n",
			    SMTP_E_LONG);
			return;
		}
		if (k == 0 || line(c, (size_t)k) == 0)
			return;
	}
}

static void
smtp_client_io(struct ev_io *io, uint32_t revents)
{
	struct conn       *c = io->arg;
	struct smtp_state *st = c->proto_state;
	ssize_t            n;

	if (c->closing || st == NULL)
		return;
	if (st->phase >= SP_WAIT) {
		/* only errors arrive here while the login runs */
		if (revents & (EPOLLERR | EPOLLHUP))
			hang_up(c, NULL, SMTP_E_NOAUTH);
		return;
	}
	n = read(c->cfd, st->buf + st->len, sizeof(st->buf) - st->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		hang_up(c, NULL, SMTP_E_NOAUTH);
		return;
	}
	st->len = (uint16_t)(st->len + n);
	parse_lines(c);
	if (!c->closing && c->proto_state == st && st->phase < SP_WAIT)
		ev_timer_start(&c->timer, timeout_ms(PC_TIMEOUT_STRING_SHORT),
		    smtp_timeout, c);
}

static void
smtp_start(struct conn *c)
{
	struct smtp_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		conn_close(c, 21);
		return;
	}
	c->proto_state = st;
	if (conn_send(c->cfd, "220 Proxy ready\r\n", 17) != 17) {
		conn_close(c, SMTP_E_GREETING);
		return;
	}
	ev_timer_start(&c->timer, timeout_ms(PC_TIMEOUT_STRING_SHORT),
	    smtp_timeout, c);
	if (ev_io_add(&c->cio, c->cfd, EPOLLIN, smtp_client_io, c) != 0)
		conn_close(c, 90);
}

static void
smtp_drain(struct conn *c)
{
	(void)c;   /* the login is short; a session is the relay's business */
}

static void
smtp_release(struct conn *c)
{
	struct smtp_state *st = c->proto_state;

	if (st == NULL)
		return;
	explicit_bzero(st, sizeof(*st));
	free(st);
	c->proto_state = NULL;
}

const struct proto proto_smtp = {
	.logname = "SMTPP",
	.start = smtp_start,
	.drain = smtp_drain,
	.release = smtp_release,
};
