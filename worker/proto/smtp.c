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
 * (smtplib tries each advertised mechanism in turn), at most three
 * times; a connection whose failures were all logged adds no record when it
 * ends.  Codes: the pipeline's (1 denied, 4-8 credentials, 100 host not
 * found, 13 connect ...) and the 662-680 ones of smtp_parse.h.  %T is
 * `name@server[:port]`, as 3proxy logs it.  The greeting, the lines, the
 * timeouts, the retries and the hand-over are the line gateway's
 * (linegw.h); this file is its table and the SMTP steps.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "worker/proto/linegw.h"
#include "worker/proto/proto.h"
#include "worker/wire/smtp_parse.h"
#include "worker/wire/text.h"

/* client steps (phase LG_LOGIN), then the server's (LG_UPSTREAM) */
enum step { SP_CMD, SP_PLAIN, SP_LUSER, SP_LPASS,
	    SS_GREET, SS_EHLO, SS_LOGIN, SS_LUSER, SS_AUTH };

struct smtp_state {
	uint8_t  step;
	char     helo[SMTP_NAME_MAX + 1];   /* the client's EHLO domain */
	struct smtp_login login;
};

static const char ehlo_reply[] = "250-Proxy\r\n250 AUTH PLAIN LOGIN\r\n";

static const struct linegw_reply errors[] = {
	{ PC_E_DENY, PC_E_DENY, "550 5.7.1 access denied\r\n" },
	{ PC_E_NOMATCH, PC_E_NOMATCH, "550 5.7.1 access denied\r\n" },
	{ PC_E_LIMIT, PC_E_LIMIT, "550 5.7.1 access denied\r\n" },
	{ PC_E_NOCRED, PC_E_BADNT,
	  "535 5.7.8 proxy authentication failed\r\n" },
	{ PC_E_RESOLVE, PC_E_RESOLVE, "554 5.4.4 server name not found\r\n" },
	{ SMTP_E_DECODE, SMTP_E_DECODE,
	  "501 5.5.2 cannot decode AUTH data\r\n" },
	{ SMTP_E_LOGIN, SMTP_E_LOGIN,
	  "501 5.5.4 name@server[:port] expected\r\n" },
	{ SMTP_E_SERVER, SMTP_E_SERVER, "454 4.4.2 server not ready\r\n" },
	{ SMTP_E_REFUSED, SMTP_E_REFUSED, "454 4.4.2 server not ready\r\n" },
	{ SMTP_E_SEND, SMTP_E_SEND, "454 4.4.2 server not ready\r\n" },
	{ SMTP_E_NOMECH, SMTP_E_NOMECH,
	  "454 4.7.0 server offers no AUTH PLAIN or LOGIN\r\n" },
	{ SMTP_E_AUTH, SMTP_E_AUTH,
	  "454 4.7.0 unexpected reply to the login\r\n" },
	{ 0, 0, "454 4.4.1 cannot connect to server\r\n" },
};

static void
send_ehlo(struct conn *c)
{
	struct smtp_state *st = linegw_priv(c);
	char               line[SMTP_NAME_MAX + 24], ip[PC_ADDRSTRLEN];
	int                n;

	if (st->helo[0] != '\0')
		n = snprintf(line, sizeof(line), "EHLO %s\r\n", st->helo);
	else   /* an address literal, RFC 5321 4.1.3 */
		n = snprintf(line, sizeof(line), c->ext.family == AF_INET6 ?
		    "EHLO [IPv6:%s]\r\n" : "EHLO [%s]\r\n",
		    pc_addr_ntop(&c->ext, ip, sizeof(ip)));
	if (linegw_send_server(c, line, n > 0 ? (size_t)n : 0) == 0)
		st->step = SS_EHLO;
}

/* The EHLO reply is in: log in with PLAIN, else LOGIN. */
static void
start_auth(struct conn *c, unsigned mechs)
{
	struct smtp_state *st = linegw_priv(c);
	char               line[SMTP_LINE_MAX];
	size_t             n;

	if (mechs & SMTP_MECH_PLAIN) {
		n = smtp_auth_plain(st->login.user, st->login.pass, line,
		    sizeof(line));
		if (linegw_send_server(c, line, n) == 0)
			st->step = SS_AUTH;
		explicit_bzero(line, sizeof(line));
	} else if (mechs & SMTP_MECH_LOGIN) {
		if (linegw_send_server(c, "AUTH LOGIN\r\n", 12) == 0)
			st->step = SS_LOGIN;
	} else {
		linegw_fail(c, SMTP_E_NOMECH);
	}
}

/* One AUTH LOGIN step: base64 of the name or the password. */
static void
login_step(struct conn *c, const char *s, uint8_t next)
{
	struct smtp_state *st = linegw_priv(c);
	char               line[2 * SMTP_NAME_MAX];
	size_t             n = smtp_b64_line(s, line, sizeof(line));

	if (linegw_send_server(c, line, n) == 0)
		st->step = next;
	explicit_bzero(line, sizeof(line));
}

/* The server answered the login with reply p[0..n) and code. */
static void
rejected(struct conn *c, const uint8_t *p, size_t n, int code)
{
	/* a 4xx/5xx is the server's word to the client; a 334 or other
	 * 2xx/3xx here would confuse it */
	if (code >= 400)
		linegw_fail_reply(c, SMTP_E_AUTH, p, n);
	else
		linegw_fail(c, SMTP_E_AUTH);
}

static void
logged_in(struct conn *c)
{
	struct smtp_state *st = linegw_priv(c);

	linegw_say(c, "235 2.7.0 Authentication successful\r\n");
	explicit_bzero(&st->login.pass, sizeof(st->login.pass));
	linegw_relay(c);
}

/* One complete server reply p[0..n) with its code. */
static void
server(struct conn *c, const uint8_t *p, size_t n, int code)
{
	struct smtp_state *st = linegw_priv(c);

	switch (st->step) {
	case SS_GREET:
		if (smtp_check_greeting(p, n, code) != 0)
			linegw_fail(c, SMTP_E_REFUSED);
		else
			send_ehlo(c);
		return;
	case SS_EHLO:
		if (code != 250)
			linegw_fail(c, SMTP_E_REFUSED);
		else
			start_auth(c, smtp_ehlo_mechs(p, n));
		return;
	case SS_LOGIN:
	case SS_LUSER:
		if (code != 334)
			rejected(c, p, n, code);
		else if (st->step == SS_LOGIN)
			login_step(c, st->login.user, SS_LUSER);
		else
			login_step(c, st->login.pass, SS_AUTH);
		return;
	default:   /* SS_AUTH */
		if (code != 235)
			rejected(c, p, n, code);
		else
			logged_in(c);
	}
}

static void
connected(struct conn *c)
{
	struct smtp_state *st = linegw_priv(c);

	st->step = SS_GREET;
}

/* A failed login is forgotten; the client starts again with a command. */
static void
reset(struct conn *c)
{
	struct smtp_state *st = linegw_priv(c);

	explicit_bzero(&st->login, sizeof(st->login));
	st->step = SP_CMD;
}

/* The login is complete: the pipeline towards its server. */
static void
login(struct conn *c)
{
	struct smtp_state *st = linegw_priv(c);
	struct target_req  t;
	char               text[2 * SMTP_NAME_MAX + 16], ip[PC_ADDRSTRLEN];

	(void)linegw_target(c, st->login.host, st->login.port, st->login.user,
	    &t);
	text_login(st->login.user, linegw_target_host(&t, ip, sizeof(ip)),
	    t.port, SMTP_PORT, text, sizeof(text));
	conn_set_text(c, text);
	t.pass = st->login.pass;
	linegw_login(c, &t);
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
	linegw_fail(c, code);
}

static int
cancelled(struct conn *c)
{
	struct smtp_state *st = linegw_priv(c);

	st->step = SP_CMD;
	explicit_bzero(&st->login, sizeof(st->login));
	return linegw_other(c, "501 5.0.0 AUTH cancelled\r\n");
}

static int
plain_data(struct conn *c, const uint8_t *p, size_t n)
{
	struct smtp_state *st = linegw_priv(c);
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
	struct smtp_state *st = linegw_priv(c);
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
	st->step = SP_LPASS;
	linegw_say(c, "334 UGFzc3dvcmQ6\r\n");           /* "Password:" */
	return 1;
}

static int
login_pass(struct conn *c, const uint8_t *p, size_t n)
{
	struct smtp_state *st = linegw_priv(c);
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
	struct smtp_state *st = linegw_priv(c);
	const uint8_t     *arg;
	size_t             alen;

	switch (smtp_parse_command(p, n, &arg, &alen)) {
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
		remember_helo(st, arg, alen);
		return linegw_other(c, (p[0] | 0x20) == 'e' ? ehlo_reply :
		    "250 Proxy\r\n");
	case SMTP_CMD_AUTH_PLAIN:
		if (alen > 0)
			return plain_data(c, arg, alen);
		st->step = SP_PLAIN;
		linegw_say(c, "334 \r\n");
		return 1;
	case SMTP_CMD_AUTH_LOGIN:
		if (alen > 0)
			return login_user(c, arg, alen);
		st->step = SP_LUSER;
		linegw_say(c, "334 VXNlcm5hbWU6\r\n");   /* "Username:" */
		return 1;
	case SMTP_CMD_QUIT:
		linegw_hang_up(c, "221 2.0.0 Bye\r\n", 0);
		return 0;
	case SMTP_CMD_NOOP:
		return linegw_other(c, "250 2.0.0 OK\r\n");
	case SMTP_CMD_AUTH_OTHER:
		return linegw_other(c, "504 5.5.4 mechanism not supported\r\n");
	case SMTP_CMD_AUTH_BAD:
		return linegw_other(c, "501 5.5.4 AUTH mechanism expected\r\n");
	case SMTP_CMD_NEEDAUTH:
		return linegw_other(c, "530 5.7.0 authentication required\r\n");
	case SMTP_CMD_SYNTAX:
		return linegw_other(c, "500 5.5.2 syntax error\r\n");
	default:
		return linegw_other(c, "500 5.5.1 command not recognized\r\n");
	}
}

/* One client line: > 0 go on, 0 the connection moved on or closed. */
static int
line(struct conn *c, const uint8_t *p, size_t n)
{
	struct smtp_state *st = linegw_priv(c);

	switch (st->step) {
	case SP_PLAIN:
		return plain_data(c, p, n);
	case SP_LUSER:
		return login_user(c, p, n);
	case SP_LPASS:
		return login_pass(c, p, n);
	default:
		return command(c, p, n);
	}
}

static const struct linegw_ops ops = {
	.proto = &proto_smtp,
	.priv_size = sizeof(struct smtp_state),
	.cbuf = 2048,        /* one client line plus pipelined bytes */
	.sbuf = SMTP_REPLY_MAX,
	.line_max = SMTP_LINE_MAX,
	.greeting = "220 Proxy ready\r\n",
	.e_greeting = SMTP_E_GREETING,
	.e_idle = SMTP_E_NOAUTH,
	.e_long = SMTP_E_LONG,
	.e_server = SMTP_E_SERVER,
	.e_send = SMTP_E_SEND,
	.errors = errors,
	.idle_reply = "421 4.4.2 timeout\r\n",
	.server_reply = "454 4.4.2 server timeout\r\n",
	.long_reply = "500 5.5.6 line too long\r\n",
	.others_reply = "421 4.7.0 too many commands without AUTH\r\n",
	/* smtplib tries each advertised mechanism in turn */
	.tries = 3,
	.tries_reply = "421 4.7.0 too many failed logins\r\n",
	.line = line,
	.connected = connected,
	.frame = smtp_reply,
	.server = server,
	.reset = reset,
};

static void
smtp_start(struct conn *c)
{
	linegw_start(c, &ops);
}

const struct proto proto_smtp = {
	.logname = "SMTPP",
	.start = smtp_start,
	.drain = linegw_drain,
	.release = linegw_release,
};
