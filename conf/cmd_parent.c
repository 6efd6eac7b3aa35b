/*
 * `parent WEIGHT TYPE ADDR PORT [USER [PASS]]` and `parentretries N`
 * (docs/portcullis.cfg.5, Parent proxies; docs/3proxy-differences.md,
 * decisions 7 and 8).
 *
 * A parent qualifies the allow rule before it.  ADDR is an address or a
 * host name (resolved by the worker when the chain is built, through the
 * same resolver as targets).  ADDR 0.0.0.0 with a PORT keeps the
 * requested address and changes the port; an ADDR with PORT 0 is the
 * HowTo's outgoing-address form, as is 3proxy 1.0's `extip ADDR 0`.
 * `http 0.0.0.0 0`, `pop3 0.0.0.0 0` and `ftp 0.0.0.0 0` are local
 * redirections: the connection goes to the HTTP, POP3 or FTP handler of
 * the same worker; pop3 and ftp are parent types only for that.
 */
#include <ctype.h>
#include <string.h>

#include "common/xmalloc.h"
#include "conf/state.h"

static const struct {
	const char         *name;
	enum pc_parent_type type;
} types[] = {
	{ "tcp", PC_PARENT_TCP },
	{ "http", PC_PARENT_HTTP },
	{ "connect", PC_PARENT_CONNECT },
	{ "connect+", PC_PARENT_CONNECTP },
	{ "socks4", PC_PARENT_SOCKS4 },
	{ "socks4+", PC_PARENT_SOCKS4P },
	{ "socks5", PC_PARENT_SOCKS5 },
	{ "socks5+", PC_PARENT_SOCKS5P },
	{ "extip", PC_PARENT_EXTIP },
	{ "pop3", PC_PARENT_POP3 },
	{ "ftp", PC_PARENT_FTP },
	{ "tls", PC_PARENT_TLS },
};

/* 3proxy types we know but do not serve yet. */
static const char *const later[] = {
	"smtp", "imap", "admin", "dns", "ha",
	"socks4b", "socks5b",
};

/* 3proxy takes any number of words and keeps the fifth and sixth as user
 * and password, silently dropping the rest: the 0.x sample's
 * `parent 1000 http ADDR 80 * * * 80` (ACL fields on the parent line)
 * would log in to the parent as "*" / "*". */
static int
extra_words(struct conf_state *st, size_t argc, char **argv)
{
	if (argc <= 7)
		return 0;
	return conf_err(st, argv[7], "words after the password (3proxy "
	    "ignores them; ACL fields belong on the allow line before)");
}

static int
parse_type(struct conf_state *st, const char *s, enum pc_parent_type *t)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0) {
			*t = types[i].type;
			return 0;
		}
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
		if (strcasecmp(s, later[i]) == 0)
			return conf_err(st, s, "parent type not supported yet");
	if (s[0] != '\0' && (s[strlen(s) - 1] == 's' || s[strlen(s) - 1] ==
	    'S') && strlen(s) > 1)
		return conf_err(st, s, "TLS to a parent is not supported");
	return conf_err(st, s, "unknown parent type");
}

static bool
valid_host(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != '_')
			return false;
	return true;
}

int
cmd_parent(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_acl_rule *r;
	struct pc_parent    p;
	uint32_t            w, port;
	bool                any;

	memset(&p, 0, sizeof(p));
	if (extra_words(st, argc, argv) != 0)
		return -1;
	if (conf_uint(argv[1], 0, 1000, &w) != 0)
		return conf_err(st, argv[1], "weight must be 0..1000");
	if (parse_type(st, argv[2], &p.type) != 0)
		return -1;
	if (conf_uint(argv[4], 0, 65535, &port) != 0)
		return conf_err(st, argv[4], "invalid port");
	if (conf_addr(argv[3], &p.addr) != 0) {
		if (!valid_host(argv[3]))
			return conf_err(st, argv[3], "invalid parent address");
		memset(&p.addr, 0, sizeof(p.addr));
	}
	any = p.addr.family != 0 && pc_addr_is_any(&p.addr);
	if (any && port == 0 && (p.type == PC_PARENT_HTTP ||
	    p.type == PC_PARENT_POP3 || p.type == PC_PARENT_FTP ||
	    p.type == PC_PARENT_TLS)) {
		p.local = true;
	} else if (p.type == PC_PARENT_TLS) {
		return conf_err(st, argv[2], "tls is only a local "
		    "redirection (tls 0.0.0.0 0)");
	} else if (p.type == PC_PARENT_POP3) {
		return conf_err(st, argv[2], "pop3 is only a local "
		    "redirection (pop3 0.0.0.0 0)");
	} else if (p.type == PC_PARENT_FTP) {
		return conf_err(st, argv[2], "ftp is only a local "
		    "redirection (ftp 0.0.0.0 0)");
	} else if (any && port == 0 && p.type != PC_PARENT_EXTIP) {
		return conf_err(st, argv[2], "local redirection is only to "
		    "http, pop3, ftp and tls");
	} else if (p.type == PC_PARENT_EXTIP || port == 0) {
		/* the outgoing address: HowTo `parent W TYPE IP 0`, or extip */
		if (p.addr.family == 0 || any)
			return conf_err(st, argv[3], "the outgoing address must "
			    "be an IP address");
		if (port != 0)
			return conf_err(st, argv[4], "extip takes port 0");
		p.type = PC_PARENT_EXTIP;
	}
	if (p.type == PC_PARENT_EXTIP && argc > 5)
		return conf_err(st, argv[5], "no credentials for an outgoing "
		    "address");
	if ((r = conf_last_rule(st, argv[0])) == NULL)
		return -1;
	if (r->action != PC_ACL_ALLOW)
		return conf_err(st, argv[0], "must follow an allow line");
	p.weight = w;
	p.port = (uint16_t)port;
	p.same_addr = any && port != 0;
	p.host = xstrdup(argv[3]);
	for (char *c = p.host; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	p.user = argc > 5 ? xstrdup(argv[5]) : NULL;
	p.pass = argc > 6 ? xstrdup(argv[6]) : NULL;
	p.file = st->file;
	p.line = st->line;
	*(struct pc_parent *)conf_push(&r->parents, &r->nparents,
	    sizeof(p)) = p;
	return 0;
}

/* `redirect IP PORT ACL-fields`: 3proxy's older form of an allow entry
 * with one http parent of weight 1000 (0.0.0.0 0: local redirection). */
int
cmd_redirect(struct conf_state *st, size_t argc, char **argv)
{
	char *allow[9], *parent[5];
	size_t n = 0;

	allow[n++] = (char *)"allow";
	for (size_t i = 3; i < argc && n < 9; i++)
		allow[n++] = argv[i];
	if (cmd_allow(st, n, allow) != 0)
		return -1;
	parent[0] = (char *)"parent";
	parent[1] = (char *)"1000";
	parent[2] = (char *)"http";
	parent[3] = argv[1];
	parent[4] = argv[2];
	return cmd_parent(st, 5, parent);
}

int
cmd_parentretries(struct conf_state *st, size_t argc, char **argv)
{
	uint32_t v;

	(void)argc;
	if (conf_uint(argv[1], 0, 100, &v) != 0)
		return conf_err(st, argv[1], "expected 0..100");
	st->cfg->parentretries = v;
	return 0;
}
