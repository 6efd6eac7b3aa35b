/*
 * The `pop3p` service, a POP3 gateway: the proxy greets the client itself
 * ("+OK Proxy", as 3proxy does), reads `USER name@server[:port]`, runs the
 * request pipeline (request.h: auth, resolution, ACL with operation
 * CONNECT, connect or parents) towards that server, reads and checks the
 * server's greeting, sends `USER name` on the client's behalf and hands
 * both sockets to the relay (relay.h), which carries the server's answer
 * and the rest of the session (PASS, STAT, RETR ...) uninspected.
 *
 * Before USER, QUIT is answered "+OK" and every other command "-ERR need
 * USER first" (at most POP3_OTHERS of them).  A failure is answered with a
 * "-ERR" line and logged with its %E code: the pipeline's (1 denied, 4-8
 * credentials, 100 host not found, 13 connect ...) or the 611-623 ones of
 * pop3_parse.h.  %T is the login as 3proxy logs it, `name@server[:port]`.
 *
 * The same handler serves SOCKS clients redirected here by `parent 1000
 * pop3 0.0.0.0 0` (redirect.h): then the SOCKS target is the server of a
 * login without '@', the SOCKS credentials are offered to the auth chain,
 * the ACL walk passes over the redirecting rules (as for HTTP), and the
 * record keeps the SOCKS service name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "worker/core/conn.h"
#include "worker/wire/pop3_parse.h"
#include "worker/net/redirect.h"
#include "worker/net/relay.h"
#include "worker/net/request.h"
#include "worker/proto/proto.h"

#define POP3_BUF    1024   /* one client line plus pipelined bytes */
#define POP3_SBUF   1024   /* the server's greeting (RFC 1939: 512) */
#define POP3_OTHERS 16     /* commands tolerated before USER */

enum phase { PP_USER, PP_WAIT, PP_GREET };

struct pop3_state {
	uint8_t  phase;
	uint8_t  others;              /* commands seen before USER */
	bool     redirected;          /* came from socks (redirect.h) */
	uint16_t len, slen;           /* bytes in buf / sbuf */
	struct pop3_login login;
	char    *dflt_host;           /* redirected: the SOCKS target ... */
	struct pc_addr dflt_addr;     /* ... as a name or an address */
	uint16_t dflt_port;           /* 0: no default server */
	char     cuser[POP3_NAME_MAX + 1];  /* redirected: SOCKS login */
	char     cpass[POP3_NAME_MAX + 1];
	uint8_t  buf[POP3_BUF];
	uint8_t  sbuf[POP3_SBUF];
};

static void pop3_client_io(struct ev_io *io, uint32_t revents);
static void pop3_release(struct conn *c);

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
		return "-ERR access denied\r\n";
	if (code >= 4 && code <= 8)
		return "-ERR proxy authentication failed\r\n";
	if (code == 100)
		return "-ERR server name not found\r\n";
	if (code == POP3_E_LONG)
		return "-ERR line too long\r\n";
	if (code == POP3_E_COMMAND || code == POP3_E_LOGIN)
		return "-ERR USER name@server[:port] expected\r\n";
	if (code == POP3_E_SERVER || code == POP3_E_REFUSED)
		return "-ERR server not ready\r\n";
	return "-ERR cannot connect to server\r\n";
}

static void
fail(struct conn *c, int code)
{
	say(c, err_line(code));
	conn_close(c, code);
}

static void
pop3_timeout(struct ev_timer *t)
{
	struct conn       *c = t->arg;
	struct pop3_state *st = c->proto_state;

	say(c, "-ERR timeout\r\n");
	conn_close(c, st->phase == PP_GREET ? POP3_E_SERVER : POP3_E_NOUSER);
}

static struct pop3_state *
state_new(struct conn *c)
{
	struct pop3_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		conn_close(c, 21);
		return NULL;
	}
	c->proto_state = st;
	if (conn_send(c->cfd, "+OK Proxy\r\n", 11) != 11) {
		conn_close(c, POP3_E_GREETING);
		return NULL;
	}
	ev_timer_start(&c->timer, timeout_ms(PC_TIMEOUT_STRING_SHORT),
	    pop3_timeout, c);
	return st;
}

static void
pop3_start(struct conn *c)
{
	if (state_new(c) == NULL)
		return;
	if (ev_io_add(&c->cio, c->cfd, EPOLLIN, pop3_client_io, c) != 0)
		conn_close(c, 90);
}

static void
consume(uint8_t *buf, uint16_t *len, size_t n)
{
	memmove(buf, buf + n, *len - n);
	*len = (uint16_t)(*len - n);
}

/* The server's greeting is in: log in upstream, then relay. */
static void
greeted(struct conn *c, size_t glen)
{
	struct pop3_state *st = c->proto_state;
	char               line[POP3_NAME_MAX + 8];
	int                n;
	int                code = pop3_check_greeting(st->sbuf, glen);

	c->bytes_in += glen;
	if (code < 0) {
		fail(c, -code);
		return;
	}
	consume(st->sbuf, &st->slen, glen);
	n = snprintf(line, sizeof(line), "USER %s\r\n", st->login.user);
	if (n < 0 || conn_send(c->sfd, line, (size_t)n) != n) {
		fail(c, POP3_E_SEND);
		return;
	}
	c->bytes_out += (uint64_t)n;
	ev_timer_stop(&c->timer);
	relay_start(c, st->buf, st->len, st->sbuf, st->slen,
	    wctx.cfg->timeouts[PC_TIMEOUT_CONN_SHORT]);
	if (!c->closing)
		pop3_release(c);      /* the relay copied what it needs */
}

static void
pop3_server_io(struct ev_io *io, uint32_t revents)
{
	struct conn       *c = io->arg;
	struct pop3_state *st = c->proto_state;
	ssize_t            n;
	long               k;

	(void)revents;
	if (c->closing || st == NULL)
		return;
	n = read(c->sfd, st->sbuf + st->slen, sizeof(st->sbuf) - st->slen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		fail(c, POP3_E_SERVER);
		return;
	}
	st->slen = (uint16_t)(st->slen + n);
	k = pop3_line(st->sbuf, st->slen, sizeof(st->sbuf));
	if (k < 0)
		fail(c, POP3_E_SERVER);
	else if (k > 0)
		greeted(c, (size_t)k);
}

static void
connected(struct conn *c, int code)
{
	struct pop3_state *st = c->proto_state;

	if (code != 0) {
		fail(c, code);
		return;
	}
	st->phase = PP_GREET;
	if (ev_io_take(&c->sio, c->sfd, EPOLLIN, pop3_server_io, c) != 0) {
		conn_close(c, 90);
		return;
	}
	ev_timer_start(&c->timer, timeout_ms(PC_TIMEOUT_STRING_LONG),
	    pop3_timeout, c);
}

/* The server of the login, or the redirected client's SOCKS target. */
static int
target(struct pop3_state *st, struct target_req *t)
{
	memset(t, 0, sizeof(*t));
	t->op = PC_OP_CONNECT;
	if (st->login.host[0] != '\0') {
		t->port = st->login.port;
		if (pc_addr_parse(st->login.host, &t->addr) != 0)
			t->host = st->login.host;
		return 0;
	}
	if (st->dflt_port == 0)
		return -1;
	t->port = st->dflt_port;
	t->host = st->dflt_host;
	t->addr = st->dflt_addr;
	return 0;
}

static void
set_text(struct conn *c, const struct target_req *t)
{
	struct pop3_state *st = c->proto_state;
	char               text[2 * POP3_NAME_MAX + 16], ip[PC_ADDRSTRLEN];
	const char        *host = t->host;

	if (host == NULL)
		host = pc_addr_ntop(&t->addr, ip, sizeof(ip));
	pop3_text(st->login.user, host, t->port, text, sizeof(text));
	conn_set_text(c, text);
}

static void
login(struct conn *c)
{
	struct pop3_state *st = c->proto_state;
	struct target_req  t;

	if (target(st, &t) != 0) {
		conn_set_text(c, st->login.user);
		fail(c, POP3_E_LOGIN);
		return;
	}
	set_text(c, &t);
	/* the proxy's own credentials: proxyuser:proxypass:name, else the
	 * SOCKS login of a redirected client; the name alone serves
	 * useronly and the log */
	if (st->login.puser[0] != '\0') {
		t.user = st->login.puser;
		t.pass = st->login.ppass;
	} else if (st->cuser[0] != '\0') {
		t.user = st->cuser;
		t.pass = st->cpass[0] != '\0' ? st->cpass : NULL;
	} else {
		t.user = st->login.user;
	}
	/* the second walk passes over the rules that redirected here */
	t.redirected = st->redirected;
	st->phase = PP_WAIT;
	ev_timer_stop(&c->timer);
	/* the pipeline owns the connection; pipelined bytes stay in buf */
	if (ev_io_mod(&c->cio, 0) != 0) {
		conn_close(c, 90);
		return;
	}
	request_start(c, &t, connected);
}

/* One client line: > 0 go on, 0 the connection moved on or closed. */
static int
line(struct conn *c, size_t n)
{
	struct pop3_state *st = c->proto_state;
	int                cmd = pop3_parse_command(st->buf, n, &st->login);

	consume(st->buf, &st->len, n);
	if (cmd < 0) {
		fail(c, -cmd);
		return 0;
	}
	if (cmd == POP3_CMD_QUIT) {
		say(c, "+OK\r\n");
		conn_close(c, 0);
		return 0;
	}
	if (cmd == POP3_CMD_OTHER) {
		if (++st->others > POP3_OTHERS) {
			say(c, "-ERR too many commands before USER\r\n");
			conn_close(c, POP3_E_NOUSER);
			return 0;
		}
		say(c, "-ERR need USER first\r\n");
		return 1;
	}
	login(c);
	return 0;
}

static void
parse_lines(struct conn *c)
{
	struct pop3_state *st = c->proto_state;
	long               k;

	while (st->len > 0) {
		k = pop3_line(st->buf, st->len, POP3_LINE_MAX);
		if (k < 0) {
			fail(c, POP3_E_LONG);
			return;
		}
		if (k == 0 || line(c, (size_t)k) == 0)
			return;
	}
}

static void
pop3_client_io(struct ev_io *io, uint32_t revents)
{
	struct conn       *c = io->arg;
	struct pop3_state *st = c->proto_state;
	ssize_t            n;

	if (c->closing || st == NULL)
		return;
	if (st->phase != PP_USER) {
		/* only errors arrive here while the pipeline runs */
		if (revents & (EPOLLERR | EPOLLHUP))
			conn_close(c, POP3_E_NOUSER);
		return;
	}
	n = read(c->cfd, st->buf + st->len, sizeof(st->buf) - st->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c, POP3_E_NOUSER);
		return;
	}
	st->len = (uint16_t)(st->len + n);
	parse_lines(c);
	if (!c->closing && c->proto_state == st && st->phase == PP_USER)
		ev_timer_start(&c->timer, timeout_ms(PC_TIMEOUT_STRING_SHORT),
		    pop3_timeout, c);
}

void
pop3_takeover(struct conn *c, const void *early, size_t n, const char *user,
    const char *pass)
{
	struct pop3_state *st;

	c->proto = &proto_pop3;
	if ((st = state_new(c)) == NULL)
		return;
	if (n > sizeof(st->buf)) {
		fail(c, POP3_E_LONG);
		return;
	}
	st->redirected = true;
	/* a login without '@' goes to the SOCKS target */
	st->dflt_port = c->req.port;
	st->dflt_addr = c->req;
	st->dflt_host = c->host;
	c->host = NULL;
	if (user != NULL)
		snprintf(st->cuser, sizeof(st->cuser), "%s", user);
	if (pass != NULL)
		snprintf(st->cpass, sizeof(st->cpass), "%s", pass);
	memcpy(st->buf, early, n);
	st->len = (uint16_t)n;
	c->start_ms = ev_wallclock_ms();
	if (ev_io_take(&c->cio, c->cfd, EPOLLIN, pop3_client_io, c) != 0) {
		conn_close(c, 90);
		return;
	}
	parse_lines(c);
}

static void
pop3_drain(struct conn *c)
{
	(void)c;   /* the login is short; a session is the relay's business */
}

static void
pop3_release(struct conn *c)
{
	struct pop3_state *st = c->proto_state;

	if (st == NULL)
		return;
	free(st->dflt_host);
	explicit_bzero(st, sizeof(*st));
	free(st);
	c->proto_state = NULL;
}

const struct proto proto_pop3 = {
	.logname = "POP3P",
	.start = pop3_start,
	.drain = pop3_drain,
	.release = pop3_release,
};
