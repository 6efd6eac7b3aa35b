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
 * USER first" (at most LINEGW_OTHERS of them).  A failure is answered with a
 * "-ERR" line and logged with its %E code: the pipeline's (1 denied, 4-8
 * credentials, 100 host not found, 13 connect ...) or the 611-623 ones of
 * pop3_parse.h.  %T is the login as 3proxy logs it, `name@server[:port]`.
 * The greeting, the lines, the timeouts and the hand-over are the line
 * gateway's (linegw.h); this file is its table and the POP3 steps.
 *
 * The same handler serves SOCKS clients redirected here by `parent 1000
 * pop3 0.0.0.0 0` (redirect.h): then the SOCKS target is the server of a
 * login without '@', the SOCKS credentials are offered to the auth chain,
 * the ACL walk passes over the redirecting rules (as for HTTP), and the
 * record keeps the SOCKS service name.
 */
#include <stdio.h>
#include <string.h>

#include "worker/net/redirect.h"
#include "worker/proto/linegw.h"
#include "worker/proto/proto.h"
#include "worker/wire/pop3_parse.h"
#include "worker/wire/text.h"

struct pop3_state {
	struct pop3_login login;
};

static const struct linegw_reply errors[] = {
	{ PC_E_DENY, PC_E_DENY, "-ERR access denied\r\n" },
	{ PC_E_NOMATCH, PC_E_NOMATCH, "-ERR access denied\r\n" },
	{ PC_E_LIMIT, PC_E_LIMIT, "-ERR access denied\r\n" },
	{ PC_E_NOCRED, PC_E_BADNT, "-ERR proxy authentication failed\r\n" },
	{ PC_E_RESOLVE, PC_E_RESOLVE, "-ERR server name not found\r\n" },
	{ POP3_E_LONG, POP3_E_LONG, "-ERR line too long\r\n" },
	{ POP3_E_COMMAND, POP3_E_COMMAND,
	  "-ERR USER name@server[:port] expected\r\n" },
	{ POP3_E_LOGIN, POP3_E_LOGIN,
	  "-ERR USER name@server[:port] expected\r\n" },
	{ POP3_E_SERVER, POP3_E_REFUSED, "-ERR server not ready\r\n" },
	{ 0, 0, "-ERR cannot connect to server\r\n" },
};

/* The server's greeting is in: log in upstream, then relay. */
static void
server(struct conn *c, const uint8_t *p, size_t n, int code)
{
	struct pop3_state *st = linegw_priv(c);
	char               line[POP3_NAME_MAX + 8];
	int                k;

	if ((code = pop3_check_greeting(p, n)) < 0) {
		linegw_fail(c, -code);
		return;
	}
	k = snprintf(line, sizeof(line), "USER %s\r\n", st->login.user);
	if (linegw_send_server(c, line, k > 0 ? (size_t)k : 0) == 0)
		linegw_relay(c);
}

static void
login(struct conn *c)
{
	struct pop3_state *st = linegw_priv(c);
	struct target_req  t;
	char               text[2 * POP3_NAME_MAX + 16], ip[PC_ADDRSTRLEN];

	if (linegw_target(c, st->login.host, st->login.port, st->login.user,
	    &t) != 0) {
		conn_set_text(c, st->login.user);
		linegw_fail(c, POP3_E_LOGIN);
		return;
	}
	text_login(st->login.user, linegw_target_host(&t, ip, sizeof(ip)),
	    t.port, POP3_PORT, text, sizeof(text));
	conn_set_text(c, text);
	/* the proxy's own credentials (proxyuser:proxypass:name) come
	 * before the SOCKS login of a redirected client */
	if (st->login.puser[0] != '\0') {
		t.user = st->login.puser;
		t.pass = st->login.ppass;
	}
	linegw_login(c, &t);
}

/* One client line: > 0 go on, 0 the connection moved on or closed. */
static int
line(struct conn *c, const uint8_t *p, size_t n)
{
	struct pop3_state *st = linegw_priv(c);
	int                cmd = pop3_parse_command(p, n, &st->login);

	if (cmd < 0) {
		linegw_fail(c, -cmd);
		return 0;
	}
	if (cmd == POP3_CMD_QUIT) {
		linegw_hang_up(c, "+OK\r\n", 0);
		return 0;
	}
	if (cmd == POP3_CMD_OTHER)
		return linegw_other(c, "-ERR need USER first\r\n");
	login(c);
	return 0;
}

static const struct linegw_ops ops = {
	.proto = &proto_pop3,
	.priv_size = sizeof(struct pop3_state),
	.cbuf = 1024,        /* one client line plus pipelined bytes */
	.sbuf = 1024,        /* the server's greeting (RFC 1939: 512) */
	.line_max = POP3_LINE_MAX,
	.greeting = "+OK Proxy\r\n",
	.e_greeting = POP3_E_GREETING,
	.e_idle = POP3_E_NOUSER,
	.e_long = POP3_E_LONG,
	.e_server = POP3_E_SERVER,
	.e_send = POP3_E_SEND,
	.errors = errors,
	.idle_reply = "-ERR timeout\r\n",
	.server_reply = "-ERR timeout\r\n",
	.others_reply = "-ERR too many commands before USER\r\n",
	.line = line,
	.server = server,
};

static void
pop3_start(struct conn *c)
{
	linegw_start(c, &ops);
}

void
pop3_takeover(struct conn *c, const void *early, size_t n, const char *user,
    const char *pass)
{
	linegw_takeover(c, &ops, early, n, user, pass);
}

const struct proto proto_pop3 = {
	.logname = "POP3P",
	.start = pop3_start,
	.drain = linegw_drain,
	.release = linegw_release,
};
