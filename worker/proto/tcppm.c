/*
 * The `tcppm` service: every client is connected to the one target of the
 * service line (`tcppm LOCALPORT HOST PORT`) through the request pipeline
 * (so `auth`, ACLs and `-e` apply as for the other services) and then
 * relayed.  Bytes the client sends before the target answers wait in the
 * socket; the relay picks them up.  %T is the target host, as 3proxy logs.
 */
#include <string.h>

#include "worker/net/connback.h"
#include "worker/net/relay.h"
#include "worker/net/request.h"
#include "worker/proto/proto.h"

static void
tcppm_done(struct conn *c, enum pc_ecode code)
{
	if (code != 0) {
		conn_close(c, code);
		return;
	}
	relay_start(c, NULL, 0, NULL, 0, 0);
}

/* -R: allowed; the stream is a connect-back connection, not the target */
static void
tcppm_allowed(struct conn *c, enum pc_ecode code)
{
	if (code != 0) {
		conn_close(c, code);
		return;
	}
	backpool_take(c, tcppm_done);
}

static void
tcppm_start(struct conn *c)
{
	const struct pc_service *s = wctx.svc;
	struct target_req        t;

	memset(&t, 0, sizeof(t));
	t.op = PC_OP_CONNECT;
	t.port = s->target_port;
	if (pc_addr_parse(s->target_host, &t.addr) != 0)
		t.host = s->target_host;
	conn_set_text(c, s->target_host);
	if (backpool_active()) {
		t.no_connect = true;
		request_start(c, &t, tcppm_allowed);
		return;
	}
	request_start(c, &t, tcppm_done);
}

static void
tcppm_release(struct conn *c)
{
	backpool_cancel(c);
}

static void
tcppm_drain(struct conn *c)
{
	(void)c;   /* a tunnel is finished by its peers or the idle timeout */
}

const struct proto proto_tcppm = {
	.logname = "TCPPM",
	.start = tcppm_start,
	.drain = tcppm_drain,
	.release = tcppm_release,
};
