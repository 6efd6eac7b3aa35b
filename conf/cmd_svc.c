/*
 * Service lines: `proxy [-opts]`, `socks [-opts]`,
 * `tcppm [-opts] LOCALPORT HOST PORT`.  A service takes a snapshot of the
 * state at its line (auth chain, ACL, internal/external, maxconn, workers,
 * log target and format: docs/portcullis.cfg.5, STATE AND SERVICES); its
 * options (SERVICES) are one word each with the value glued on (-p8080).
 */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "conf/state.h"

/* Option letters of 3proxy that portcullis does not implement yet. */
static const char later_opts[] = "bcCDfFgHhINoPsTUxX";

static int
opt_ext(struct conf_state *st, struct pc_service *svc, const char *v,
    uint8_t *seen)
{
	struct pc_addr a;

	if (conf_addr_arg(st, v, &a) != 0)
		return -1;
	if (*seen & (a.family == AF_INET ? 1 : 2))
		return conf_err(st, v, "-e given twice for IPv%c (once per "
		    "family)", a.family == AF_INET ? '4' : '6');
	*seen |= a.family == AF_INET ? 1 : 2;
	if (a.family == AF_INET)
		svc->ext4 = a;
	else
		svc->ext6 = a;
	return 0;
}

static int
opt_log(struct conf_state *st, struct pc_service *svc, const char *v)
{
	if (v[0] == '\0')
		svc->log = conf_log_target(st, PC_LOG_STDOUT, NULL);
	else if (v[0] == '@' && v[1] == '\0')
		return conf_err(st, v - 2, "empty syslog ident");
	/* -l@ident: syslog (docs/3proxy-differences.md, decision 17) */
	else if (v[0] == '@')
		svc->log = conf_log_target(st, PC_LOG_SYSLOG, v + 1);
	else if (v[0] == '&') {     /* ODBC */
		if ((svc->log = conf_log_odbc(st, v - 2, v + 1)) < 0)
			return -1;
	} else if (strcmp(v, "/dev/null") == 0)
		svc->log = -1;
	else if (strcmp(v, "radius") == 0)   /* as `log radius` */
		return conf_err(st, v - 2, "not supported yet: RADIUS "
		    "accounting");
	else if ((svc->log = conf_log_file(st, v - 2, v, NULL)) < 0)
		return -1;
	return 0;
}

static int
opt_fampref(struct pc_service *svc, const char *o)
{
	static const struct { const char *s; enum pc_family_pref f; } t[] = {
		{ "-4", PC_FAM_4 }, { "-6", PC_FAM_6 },
		{ "-46", PC_FAM_46 }, { "-64", PC_FAM_64 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(o, t[i].s) == 0) {
			svc->fampref = t[i].f;
			return 0;
		}
	return -1;
}

/* -rHOST:PORT (connect back): HOST is a name or an address */
static int
opt_connback(struct conf_state *st, struct pc_service *svc, const char *o,
    const char *v)
{
	const char *colon = strrchr(v, ':');
	uint32_t    port;
	char       *host;

	if (colon == NULL || colon == v ||
	    conf_uint(colon + 1, 1, 65535, &port) != 0)
		return conf_err(st, o, "expected -rHOST:PORT");
	host = xstrndup(v, (size_t)(colon - v));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host) - 2);
		host[strlen(host) - 2] = '\0';
	}
	free(svc->connback_host);
	svc->connback_host = host;
	svc->connback_port = (uint16_t)port;
	return 0;
}

/* -R[ADDR:]PORT: the listener for connect-back connections */
static int
opt_backlisten(struct conf_state *st, struct pc_service *svc, const char *o,
    const char *v)
{
	const char *colon = strrchr(v, ':');
	uint32_t    port;
	char       *addr;
	int         rc = 0;

	if (conf_uint(colon != NULL ? colon + 1 : v, 1, 65535, &port) != 0)
		return conf_err(st, o, "expected -R[ADDR:]PORT");
	memset(&svc->backlisten, 0, sizeof(svc->backlisten));
	svc->backlisten.family = AF_INET;
	if (colon != NULL) {
		addr = xstrndup(v, (size_t)(colon - v));
		rc = conf_addr_arg(st, addr, &svc->backlisten);
		free(addr);
	}
	svc->backlisten.port = (uint16_t)port;
	svc->workers = 1;      /* clients and back-connections meet there */
	return rc;
}

/* auto hands a connection to socks, tlspr or proxy: their options */
static bool
socks_part(const struct pc_service *svc)
{
	return svc->type == PC_SVC_SOCKS || svc->type == PC_SVC_AUTO;
}

static bool
tlspr_part(const struct pc_service *svc)
{
	return svc->type == PC_SVC_TLSPR || svc->type == PC_SVC_AUTO;
}

static int
option(struct conf_state *st, struct pc_service *svc, const char *o,
    uint8_t *seen_e, uint32_t *port)
{
	const char *v;

	if (o[1] == '\0')
		return conf_err(st, o, "invalid option");
	v = o + 2;
	if (*v == '\0' && (o[1] == 'p' || o[1] == 'i' || o[1] == 'e'))
		return conf_err(st, o, "missing value (written -%c<value>)",
		    o[1]);
	switch (o[1]) {
	case 'p':
		if (svc->type == PC_SVC_TCPPM || svc->type == PC_SVC_UDPPM)
			return conf_err(st, o, "a port mapper takes its port "
			    "as LOCALPORT, not -p");
		if (conf_uint(v, 1, 65535, port) != 0)
			return conf_err(st, o, "invalid port");
		return 0;
	case 'i':
		return conf_addr_arg(st, v, &svc->listen);
	case 'e':
		return opt_ext(st, svc, v, seen_e);
	case 'l':
		return opt_log(st, svc, v);
	case 'n':   /* 3proxy's old "no NTLM" switch: accepted, ignored */
		if (*v == '\0')
			return 0;
		return conf_err(st, o, "not supported yet: option -n%c "
		    "(network namespaces)", *v);
	case 'N':
		/* -NeADDR / -NiADDR: 1:1 NAT, the address clients are told */
		if (!socks_part(svc) || (v[0] != 'e' && v[0] != 'i') ||
		    v[1] == '\0')
			break;
		return conf_addr_arg(st, v + 1, v[0] == 'e' ? &svc->nat_ext :
		    &svc->nat_int);
	case 'P': { /* tlspr: the port of every destination */
		uint32_t dport;

		if (!tlspr_part(svc))
			break;
		if (conf_uint(v, 1, 65535, &dport) != 0)
			return conf_err(st, o, "invalid port");
		svc->target_port = (uint16_t)dport;
		return 0;
	}
	case 'c':   /* tlspr: -c is -c1; 2-4 check the server's messages */
		if (!tlspr_part(svc))
			break;
		if (*v == '\0')
			v = "1";
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return conf_err(st, o, "not supported yet: -c%s (tlspr "
			    "checks of the server's handshake); -c0 and -c1 "
			    "are", v);
		svc->tls_check = (uint8_t)(v[0] - '0');
		return 0;
	case 'a':   /* proxy -a, -a1, -a2: what the origin learns (3proxy) */
		if (svc->type != PC_SVC_PROXY && svc->type != PC_SVC_AUTO)
			return conf_err(st, o, "-a is a proxy (and auto) "
			    "option");
		if (strcmp(v, "") != 0 && strcmp(v, "1") != 0 &&
		    strcmp(v, "2") != 0)
			break;
		svc->anonymous = (uint8_t)(1 + (*v != '\0' ? *v - '0' : 0));
		return 0;
	case 'x':   /* imapp -x: no STARTTLS, which is never offered here */
		if (*v != '\0' || svc->type != PC_SVC_IMAPP)
			break;
		return 0;
	case 'r':
		return opt_connback(st, svc, o, v);
	case 'R':
		if (svc->type != PC_SVC_TCPPM)
			return conf_err(st, o, "-R is a tcppm option");
		return opt_backlisten(st, svc, o, v);
	case 's':
		/* admin -s: 3proxy's read-only admin (counters only) */
		if (*v != '\0' || (svc->type != PC_SVC_UDPPM &&
		    svc->type != PC_SVC_DNSPR && svc->type != PC_SVC_ADMIN))
			break;
		svc->single = true;
		return 0;
	case 't':
	case 'd':
		if (*v != '\0')
			break;
		if (o[1] == 't')
			svc->silent = true;
		else
			st->cfg->daemon = true;
		return 0;
	case '4':
	case '6':
		if (opt_fampref(svc, o) == 0)
			return 0;
		break;
	case 'u':
		/* -u: never ask for a user; -u2: username/password required
		 * (3proxy's needuser 0 and 2) */
		if (strcmp(v, "") != 0 && strcmp(v, "2") != 0)
			break;
		/* proxy -u2: a request without a user is refused (4), as
		 * 3proxy's proxy.c does; what -u changes there is unknown */
		if (svc->type == PC_SVC_PROXY && *v == '2') {
			svc->needuser = 2;
			return 0;
		}
		if (!socks_part(svc))
			return conf_err(st, o, "not supported yet on this "
			    "service (socks and auto only; proxy -u2)");
		svc->needuser = *v == '2' ? 2 : 0;
		return 0;
	case 'S': {
		/* 3proxy's per-service stacksize: no threads here */
		uint32_t n;

		if (conf_uint(v + (*v == '-'), 0, INT32_MAX, &n) != 0)
			return conf_err(st, o, "invalid number");
		conf_warn(st, "-S: ignored: it sizes 3proxy's thread per "
		    "connection; portcullis workers are event-driven and "
		    "have none");
		return 0;
	}
	}
	if (strchr(later_opts, o[1]) != NULL)
		return conf_err(st, o, "not supported yet: option -%c", o[1]);
	return conf_err(st, o, "invalid option");
}

static bool
valid_target(const char *h)
{
	struct pc_addr a;
	size_t         n = strlen(h);

	if (n == 0 || n > 255)
		return false;
	return pc_addr_parse(h, &a) == 0 || strspn(h, "abcdefghijklmnopqrstu"
	    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

/* tcppm LOCALPORT HOST PORT; HOST stays text, resolved per connection. */
static int
tcppm_args(struct conf_state *st, struct pc_service *svc, char **argv,
    uint32_t *port)
{
	const char *h = argv[1];
	uint32_t    dport;

	if (conf_uint(argv[0], 1, 65535, port) != 0)
		return conf_err(st, argv[0], "invalid port");
	if (strncmp(h, "unix:", 5) == 0)
		return conf_err(st, h, "not supported yet: unix sockets");
	if (!valid_target(h))
		return conf_err(st, h, "invalid host");
	if (conf_uint(argv[2], 1, 65535, &dport) != 0)
		return conf_err(st, argv[2], "invalid port");
	svc->target_host = xstrdup(h);
	svc->target_port = (uint16_t)dport;
	return 0;
}

static void
snapshot(struct conf_state *st, struct pc_service *svc, char *cmd)
{
	svc->type = strcmp(cmd, "proxy") == 0 ? PC_SVC_PROXY :
	    strcmp(cmd, "socks") == 0 ? PC_SVC_SOCKS :
	    strcmp(cmd, "udppm") == 0 ? PC_SVC_UDPPM :
	    strcmp(cmd, "pop3p") == 0 ? PC_SVC_POP3P :
	    strcmp(cmd, "ftppr") == 0 ? PC_SVC_FTPPR :
	    strcmp(cmd, "smtpp") == 0 ? PC_SVC_SMTPP :
	    strcmp(cmd, "admin") == 0 ? PC_SVC_ADMIN :
	    strcmp(cmd, "tlspr") == 0 ? PC_SVC_TLSPR :
	    strcmp(cmd, "auto") == 0 ? PC_SVC_AUTO :
	    strcmp(cmd, "imapp") == 0 ? PC_SVC_IMAPP :
	    strcmp(cmd, "dnspr") == 0 ? PC_SVC_DNSPR : PC_SVC_TCPPM;
	if (tlspr_part(svc))
		svc->target_port = 443;         /* tlspr.8: -P default */
	svc->file = st->file;
	svc->line = st->line;
	svc->listen = st->internal;
	if (svc->listen.family == 0)
		svc->listen.family = AF_INET;   /* 0.0.0.0, as 3proxy */
	svc->ext4 = st->ext4;
	svc->ext6 = st->ext6;
	svc->fampref = PC_FAM_46;
	memcpy(svc->auth, st->auth, sizeof(svc->auth));
	svc->nauth = st->nauth;
	svc->maxconn = st->maxconn;
	svc->noforce = st->noforce;
	svc->needuser = 1;
	svc->workers = st->workers;
	svc->log = st->log;
	svc->logformat = st->logformat ? xstrdup(st->logformat) : NULL;
}

int
cmd_service(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config  *cfg = st->cfg;
	struct pc_service *svc;
	uint32_t           port = 0;
	uint8_t            seen_e = 0;
	size_t             i = 1;

	svc = conf_push(&cfg->svcs, &cfg->nsvcs, sizeof(*svc));
	snapshot(st, svc, argv[0]);
	for (; i < argc && argv[i][0] == '-'; i++)
		if (option(st, svc, argv[i], &seen_e, &port) != 0)
			return -1;
	if (svc->type == PC_SVC_TCPPM || svc->type == PC_SVC_UDPPM) {
		if (argc - i != 3)
			return conf_err(st, argv[0], "wrong number of "
			    "arguments (expected [options] LOCALPORT HOST "
			    "PORT)");
		if (tcppm_args(st, svc, argv + i, &port) != 0)
			return -1;
		/* one worker holds all sessions of a UDP port: with more,
		 * a client's datagrams would be spread over workers */
		if (svc->type == PC_SVC_UDPPM)
			svc->workers = 1;
	} else if (i < argc)
		return conf_err(st, argv[i], "unexpected argument "
		    "(options are one word: -p3128)");
	svc->listen.port = port ? (uint16_t)port :
	    pc_svc_default_port(svc->type);
	if (svc->type == PC_SVC_DNSPR)
		svc->workers = 1;      /* UDP: one socket, one reader */
	svc->acl = conf_acl_for_service(st);
	return 0;
}
