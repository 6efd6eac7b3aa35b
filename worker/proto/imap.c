/*
 * The `imapp` service, an IMAP4 gateway (3proxy 1.0, imapp.c): the proxy
 * greets the client itself ("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN
 * AUTH=LOGIN] IMAP4rev1 Proxy Ready"), answers CAPABILITY, NOOP and
 * LOGOUT, and takes `LOGIN name@server[:port] password`, `AUTHENTICATE
 * PLAIN` or `AUTHENTICATE LOGIN` whose name is `name@server[:port]` (port
 * 143 by default).  It then runs the request pipeline (request.h: auth
 * with the name and password, resolution, ACL with operation CONNECT,
 * connect or parents) towards that server, reads its "* OK" greeting (and
 * its capabilities, asking CAPABILITY when the greeting has none), logs
 * in there as `name` under the client's own tag, as 3proxy does: with
 * the client's mechanism when the server offers it, else AUTHENTICATE
 * PLAIN, else AUTHENTICATE LOGIN, else LOGIN; and hands both sockets to
 * the relay (relay.h) as the last line of the login goes out, so the
 * server's tagged answer (OK or NO) reaches the client as it is.
 *
 * STARTTLS is not offered (3proxy's -x): its pass-through to tlspr is not
 * implemented.  Failures are answered "TAG NO ..." ("* NO" before a tag)
 * and logged: the pipeline's codes (1 denied, 4-8 credentials, 100 ...)
 * or 691-699 (ecode.h).  %T is `name@server[:port]` as 3proxy logs it.
 * The greeting, the lines, the timeouts and the hand-over are the line
 * gateway's (linegw.h); this file is its table and the IMAP steps.
 */
#include <stdio.h>
#include <string.h>

#include "worker/proto/linegw.h"
#include "worker/proto/proto.h"
#include "worker/wire/imap_parse.h"
#include "worker/wire/text.h"

/* client steps (LG_LOGIN), then the server's (LG_UPSTREAM) */
enum step { SP_CMD, SP_PLAIN, SP_LUSER, SP_LPASS,
	    SS_GREET, SS_CAPS, SS_PLAIN, SS_LUSER, SS_LPASS };
enum method { M_LOGIN, M_PLAIN, M_SASL_LOGIN };

struct imap_state {
	uint8_t  step;
	uint8_t  method;                  /* the client's, then the server's */
	unsigned caps;                    /* IMAP_CAP_ of the server */
	char     tag[IMAP_TAG_MAX + 1];   /* the client's login command's */
	struct smtp_login login;
};

#define CAPS "IMAP4rev1 AUTH=PLAIN AUTH=LOGIN"

static const struct linegw_reply errors[] = {
	{ PC_E_DENY, PC_E_DENY, "NO access denied\r\n" },
	{ PC_E_NOMATCH, PC_E_NOMATCH, "NO access denied\r\n" },
	{ PC_E_LIMIT, PC_E_LIMIT, "NO access denied\r\n" },
	{ PC_E_NOCRED, PC_E_BADNT, "NO proxy authentication failed\r\n" },
	{ PC_E_RESOLVE, PC_E_RESOLVE, "NO server name not found\r\n" },
	{ IMAP_E_NOLOGIN, IMAP_E_NOLOGIN, "BAD tag and command expected\r\n" },
	{ IMAP_E_ARGS, IMAP_E_ARGS, "BAD malformed login\r\n" },
	{ IMAP_E_LOGIN, IMAP_E_LOGIN, "NO name@server[:port] expected\r\n" },
	{ IMAP_E_SERVER, IMAP_E_CAPS, "NO server not ready\r\n" },
	{ IMAP_E_AUTH, IMAP_E_AUTH, "NO server refused the login\r\n" },
	{ 0, 0, "NO cannot connect to server\r\n" },
};

static void
set_tag(struct conn *c, const char *tag)
{
	char t[IMAP_TAG_MAX + 2];
	int  n = snprintf(t, sizeof(t), "%s ", tag);

	linegw_set_tag(c, t, n > 0 ? (size_t)n : 0);
}

/* "TAG " + text to the client. */
static void
say(struct conn *c, const char *text)
{
	struct imap_state *st = linegw_priv(c);
	char               line[IMAP_TAG_MAX + 128];

	snprintf(line, sizeof(line), "%s %s", st->tag, text);
	linegw_say(c, line);
}

/* The last line of the login is out: the server's answer is relayed. */
static void
send_last(struct conn *c, const char *line, size_t n)
{
	struct imap_state *st = linegw_priv(c);

	if (linegw_send_server(c, line, n) == 0) {
		explicit_bzero(st->login.pass, sizeof(st->login.pass));
		linegw_relay(c);
	}
}

static void
start_login(struct conn *c)
{
	struct imap_state *st = linegw_priv(c);
	char               line[IMAP_TAG_MAX + 4 * SMTP_NAME_MAX + 40];
	char               u[2 * SMTP_NAME_MAX + 3], p[2 * SMTP_NAME_MAX + 3];
	unsigned           caps = st->caps;
	int                n;

	if (!((st->method == M_PLAIN && (caps & IMAP_CAP_PLAIN)) ||
	    (st->method == M_SASL_LOGIN && (caps & IMAP_CAP_LOGIN))))
		st->method = caps & IMAP_CAP_PLAIN ? M_PLAIN :
		    caps & IMAP_CAP_LOGIN ? M_SASL_LOGIN : M_LOGIN;
	if (st->method == M_LOGIN) {
		if (imap_quote(st->login.user, u, sizeof(u)) == 0 ||
		    imap_quote(st->login.pass, p, sizeof(p)) == 0) {
			linegw_fail(c, IMAP_E_ARGS);
			return;
		}
		n = snprintf(line, sizeof(line), "%s LOGIN %s %s\r\n",
		    st->tag, u, p);
		send_last(c, line, n > 0 ? (size_t)n : 0);
		explicit_bzero(p, sizeof(p));
		explicit_bzero(line, sizeof(line));
		return;
	}
	n = snprintf(line, sizeof(line), "%s AUTHENTICATE %s\r\n", st->tag,
	    st->method == M_PLAIN ? "PLAIN" : "LOGIN");
	if (linegw_send_server(c, line, n > 0 ? (size_t)n : 0) == 0)
		st->step = st->method == M_PLAIN ? SS_PLAIN : SS_LUSER;
}

/* A server line that should have been a "+" continuation. */
static void
not_continued(struct conn *c, const uint8_t *p, size_t n)
{
	struct imap_state *st = linegw_priv(c);

	if (imap_tagged(p, n, st->tag) == 2) {
		linegw_set_tag(c, "", 0);      /* the server's line is tagged */
		linegw_fail_reply(c, IMAP_E_AUTH, p, n);
	} else {
		linegw_fail(c, IMAP_E_AUTH);
	}
}

static void
sasl_step(struct conn *c, const uint8_t *p, size_t n)
{
	struct imap_state *st = linegw_priv(c);
	char               line[4 * SMTP_NAME_MAX];
	size_t             k;

	if (n == 0 || p[0] != '+') {
		not_continued(c, p, n);
		return;
	}
	if (st->step == SS_PLAIN) {
		k = mail_plain_line(st->login.user, st->login.pass, line,
		    sizeof(line));
		send_last(c, line, k);
	} else if (st->step == SS_LUSER) {
		k = smtp_b64_line(st->login.user, line, sizeof(line));
		if (linegw_send_server(c, line, k) == 0)
			st->step = SS_LPASS;
	} else {
		k = smtp_b64_line(st->login.pass, line, sizeof(line));
		send_last(c, line, k);
	}
	explicit_bzero(line, sizeof(line));
}

/* One server line p[0..n). */
static void
server(struct conn *c, const uint8_t *p, size_t n, int code)
{
	struct imap_state *st = linegw_priv(c);
	int                done;

	(void)code;
	switch (st->step) {
	case SS_GREET:
		if (imap_check_greeting(p, n) != 0) {
			linegw_fail(c, IMAP_E_REFUSED);
			return;
		}
		st->caps = imap_caps(p, n);
		if (st->caps & IMAP_CAP_LIST) {
			start_login(c);
		} else if (linegw_send_server(c, "zz CAPABILITY\r\n", 15) == 0)
			st->step = SS_CAPS;
		return;
	case SS_CAPS:
		st->caps |= imap_caps(p, n);
		if ((done = imap_tagged(p, n, "zz")) == 1)
			start_login(c);
		else if (done == 2)
			linegw_fail(c, IMAP_E_CAPS);
		return;           /* other untagged lines: passed over */
	default:
		sasl_step(c, p, n);
	}
}

static void
connected(struct conn *c)
{
	struct imap_state *st = linegw_priv(c);

	st->step = SS_GREET;
}

/* The login is complete: the pipeline towards its server. */
static void
login(struct conn *c)
{
	struct imap_state *st = linegw_priv(c);
	struct target_req  t;
	char               text[2 * SMTP_NAME_MAX + 16], ip[PC_ADDRSTRLEN];

	(void)linegw_target(c, st->login.host, st->login.port, st->login.user,
	    &t);
	text_login(st->login.user, linegw_target_host(&t, ip, sizeof(ip)),
	    t.port, IMAP_PORT, text, sizeof(text));
	conn_set_text(c, text);
	t.pass = st->login.pass;
	linegw_login(c, &t);
}

static int
bad_login(struct conn *c, int code)
{
	linegw_fail(c, code);
	return 0;
}

/* An AUTHENTICATE line's data, d[0..n): 1 read on, 0 moved on. */
static int
sasl_data(struct conn *c, const uint8_t *d, size_t n)
{
	struct imap_state *st = linegw_priv(c);
	char               name[SMTP_NAME_MAX + 1];
	size_t             len;
	int                rc;

	if (st->step == SP_PLAIN) {
		rc = mail_decode_plain(d, n, IMAP_PORT, &st->login);
	} else if (st->step == SP_LUSER) {
		rc = smtp_decode_line(d, n, name, sizeof(name), &len);
		if (rc == 0 && mail_parse_login(name, len, IMAP_PORT,
		    &st->login) != 0)
			rc = -IMAP_E_LOGIN;
		if (rc == 0) {
			st->step = SP_LPASS;
			linegw_say(c, "+ UGFzc3dvcmQ6\r\n");   /* Password: */
			return 1;
		}
	} else {
		rc = smtp_decode_line(d, n, st->login.pass,
		    sizeof(st->login.pass), &len);
		if (rc == 0 && len == 0)
			rc = -IMAP_E_ARGS;
	}
	if (rc == 1) {                         /* "*": the client cancels */
		st->step = SP_CMD;
		explicit_bzero(&st->login, sizeof(st->login));
		say(c, "BAD AUTHENTICATE cancelled\r\n");
		return 1;
	}
	if (rc < 0)
		return bad_login(c, rc == -IMAP_E_LOGIN || rc == -SMTP_E_LOGIN ?
		    IMAP_E_LOGIN : IMAP_E_ARGS);
	login(c);
	return 0;
}

static int
authenticate(struct conn *c, uint8_t step, const struct imap_command *ic)
{
	struct imap_state *st = linegw_priv(c);

	st->step = step;
	st->method = step == SP_PLAIN ? M_PLAIN : M_SASL_LOGIN;
	if (ic->alen > 0)
		return sasl_data(c, ic->arg, ic->alen);
	linegw_say(c, step == SP_PLAIN ? "+ \r\n" :
	    "+ VXNlcm5hbWU6\r\n");                      /* Username: */
	return 1;
}

static int
command(struct conn *c, const uint8_t *p, size_t n)
{
	struct imap_state  *st = linegw_priv(c);
	struct imap_command ic;
	char                reply[IMAP_TAG_MAX + 96];
	int                 k = imap_parse_command(p, n, &ic), rc;

	linegw_set_tag(c, "* ", 2);
	if (k < 0)
		return bad_login(c, -k);
	memcpy(st->tag, ic.tag, sizeof(st->tag));
	set_tag(c, ic.tag);
	switch (k) {
	case IMAP_CMD_LOGIN:
		st->method = M_LOGIN;
		if ((rc = imap_parse_login(ic.arg, ic.alen, &st->login)) != 0)
			return bad_login(c, -rc);
		login(c);
		return 0;
	case IMAP_CMD_AUTH_PLAIN:
		return authenticate(c, SP_PLAIN, &ic);
	case IMAP_CMD_AUTH_LOGIN:
		return authenticate(c, SP_LUSER, &ic);
	case IMAP_CMD_LOGOUT:
		snprintf(reply, sizeof(reply), "* BYE\r\n%s OK LOGOUT "
		    "completed\r\n", ic.tag);
		linegw_hang_up(c, reply, 0);
		return 0;
	case IMAP_CMD_CAPABILITY:
		snprintf(reply, sizeof(reply), "* CAPABILITY " CAPS "\r\n"
		    "%s OK CAPABILITY completed\r\n", ic.tag);
		return linegw_other(c, reply);
	case IMAP_CMD_NOOP:
		snprintf(reply, sizeof(reply), "%s OK NOOP completed\r\n",
		    ic.tag);
		return linegw_other(c, reply);
	case IMAP_CMD_AUTH_OTHER:
		snprintf(reply, sizeof(reply), "%s NO unsupported "
		    "authentication mechanism\r\n", ic.tag);
		return linegw_other(c, reply);
	default:
		snprintf(reply, sizeof(reply), "%s BAD need LOGIN first\r\n",
		    ic.tag);
		return linegw_other(c, reply);
	}
}

/* One client line: > 0 go on, 0 the connection moved on or closed. */
static int
line(struct conn *c, const uint8_t *p, size_t n)
{
	struct imap_state *st = linegw_priv(c);

	if (st->step == SP_CMD)
		return command(c, p, n);
	return sasl_data(c, p, n);
}

static const struct linegw_ops ops = {
	.proto = &proto_imap,
	.priv_size = sizeof(struct imap_state),
	.cbuf = IMAP_LINE_MAX + 256,   /* one line plus pipelined bytes */
	.sbuf = LINEGW_FRAME_MAX,      /* a greeting with its capabilities */
	.line_max = IMAP_LINE_MAX,
	.greeting = "* OK [CAPABILITY " CAPS "] IMAP4rev1 Proxy Ready\r\n",
	.e_greeting = IMAP_E_GREETING,
	.e_idle = IMAP_E_NOLOGIN,
	.e_long = IMAP_E_NOLOGIN,
	.e_server = IMAP_E_SERVER,
	.e_send = IMAP_E_AUTH,
	.errors = errors,
	.idle_reply = "* BYE timeout\r\n",
	.long_reply = "* BAD line too long\r\n",
	.others_reply = "* BYE too many commands before LOGIN\r\n",
	.line = line,
	.connected = connected,
	.server = server,
};

static void
imap_start(struct conn *c)
{
	linegw_start(c, &ops);
}

const struct proto proto_imap = {
	.logname = "IMAPP",
	.start = imap_start,
	.drain = linegw_drain,
	.release = linegw_release,
};
