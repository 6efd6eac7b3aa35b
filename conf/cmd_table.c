/*
 * Every word that may start a line: the commands portcullis implements,
 * with their argument counts, and every other command of the 3proxy
 * language (docs/portcullis.cfg.5, NOT SUPPORTED YET), which is refused as
 * "not supported yet" so that no line of a 3proxy config is silently ignored.
 */
#include <string.h>

#include "conf/state.h"

#define MANY ((size_t)-1)

struct cmd {
	const char *name;
	size_t      min, max;   /* words after the command */
	int       (*fn)(struct conf_state *, size_t, char **);
};

static const struct cmd cmds[] = {
	{ "allow",       0, 8, cmd_allow },
	{ "archiver",    2, MANY, cmd_archiver },
	{ "auth",        1, PC_AUTH_MAX, cmd_auth },
	{ "bandlimin",   1, 8, cmd_bandlim },
	{ "bandlimout",  1, 8, cmd_bandlim },
	{ "authcache",   1, 3, cmd_authcache },
	{ "chroot",      1, 3, cmd_chroot },
	{ "config",      1, 1, cmd_config },
	{ "connlim",     2, 9, cmd_connlim },
	{ "countall",    3, 10, cmd_count },
	{ "counter",     1, 3, cmd_counter },
	{ "countin",     3, 10, cmd_count },
	{ "countout",    3, 10, cmd_count },
	{ "daemon",      0, 0, cmd_daemon },
	{ "deny",        0, 8, cmd_allow },
	{ "end",         0, 0, cmd_end },
	{ "external",    1, 1, cmd_external },
	{ "fakeresolve", 0, 0, cmd_fakeresolve },
	{ "fleet",       1, 3, cmd_fleet },
	{ "flush",       0, 0, cmd_flush },
	{ "include",     1, 1, cmd_include },
	{ "internal",    1, 1, cmd_internal },
	{ "log",         0, 2, cmd_log },
	{ "logformat",   1, 1, cmd_logformat },
	{ "maxconn",     1, 1, cmd_maxconn },
	{ "force",       0, 0, cmd_force },
	{ "logdump",     2, 2, cmd_logdump },
	{ "noforce",     0, 0, cmd_force },
	{ "monitor",     1, 1, cmd_monitor },
	{ "nolog",       0, 0, cmd_nolog },
	{ "nscache",     1, 1, cmd_nscache },
	{ "nscache6",    1, 1, cmd_nscache },
	{ "nserver",     1, 1, cmd_nserver },
	{ "nsrecord",    2, 2, cmd_nsrecord },
	{ "parent",      4, MANY, cmd_parent },
	{ "parentretries", 1, 1, cmd_parentretries },
	{ "noconnlim",   0, 7, cmd_connlim },
	{ "nocountall",  0, 7, cmd_count },
	{ "nocountin",   0, 7, cmd_count },
	{ "nocountout",  0, 7, cmd_count },
	{ "nobandlimin", 0, 7, cmd_bandlim },
	{ "nobandlimout", 0, 7, cmd_bandlim },
	{ "pidfile",     1, 1, cmd_pidfile },
	{ "redirect",    2, 9, cmd_redirect },
	{ "pop3p",       0, MANY, cmd_service },
	{ "ftppr",       0, MANY, cmd_service },
	{ "proxy",       0, MANY, cmd_service },
	{ "rotate",      1, 1, cmd_rotate },
	{ "service",     0, 0, cmd_noop },    /* Windows service marker */
	{ "setgid",      1, 1, cmd_setgid },
	{ "setuid",      1, 1, cmd_setuid },
	{ "smtpp",       0, MANY, cmd_service },
	{ "admin",       0, MANY, cmd_service },
	{ "socks",       0, MANY, cmd_service },
	{ "stacksize",   1, 1, cmd_stacksize },
	{ "system",      1, 1, cmd_system },
	{ "tcppm",       0, MANY, cmd_service },
	{ "tlspr",       0, MANY, cmd_service },
	{ "auto",        0, MANY, cmd_service },
	{ "imapp",       0, MANY, cmd_service },
	{ "udppm",       0, MANY, cmd_service },
	{ "dnspr",       0, MANY, cmd_service },
	{ "timeouts",    1, PC_NTIMEOUTS, cmd_timeouts },
	{ "users",       0, MANY, cmd_users },
	{ "weight",      1, 1, cmd_weight },
	{ "workers",     1, 1, cmd_workers },   /* ours: pool size */
};

static const char *const unsupported[] = {
	/* general commands */
	"authnserver", "backlog", "delimchar", "dialer",
	"filtermaxsize", "maxseg", "plugin",
	"radius", "writable",
	/* TLS */
	"ssl_certcache", "ssl_cli", "ssl_client", "ssl_client_alpn",
	"ssl_client_ca_dir", "ssl_client_ca_file", "ssl_client_ca_store",
	"ssl_client_cert", "ssl_client_cipher_list",
	"ssl_client_ciphersuites", "ssl_client_key",
	"ssl_client_max_proto_version", "ssl_client_min_proto_version",
	"ssl_client_mode", "ssl_client_no_verify", "ssl_client_sni",
	"ssl_client_verify", "ssl_mitm", "ssl_nocli", "ssl_noclient",
	"ssl_nomitm", "ssl_noserv", "ssl_noserver", "ssl_serv",
	"ssl_server", "ssl_server_ca_dir", "ssl_server_ca_file",
	"ssl_server_ca_key", "ssl_server_ca_store", "ssl_server_cert",
	"ssl_server_cipher_list", "ssl_server_ciphersuites",
	"ssl_server_key", "ssl_server_max_proto_version",
	"ssl_server_min_proto_version", "ssl_server_no_verify",
	"ssl_server_verify",
	/* PCRE filters */
	"pcre", "pcre_extend", "pcre_options", "pcre_rewrite",
	/* plugin-supplied commands */
	"file_cachedir", "file_preview", "ldapaccess", "ldapattr",
	"ldapconnect", "ldapdircount", "ldapsbase", "ldaptrafgroup",
	"ldapuserenv", "notransparent", "trafcorrect", "transparent",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd *
find(const char *word)
{
	for (size_t i = 0; i < NELEM(cmds); i++)
		if (strcmp(cmds[i].name, word) == 0)
			return &cmds[i];
	return NULL;
}

static bool
is_unsupported(const char *word)
{
	for (size_t i = 0; i < NELEM(unsupported); i++)
		if (strcmp(unsupported[i], word) == 0)
			return true;
	return false;
}

bool
conf_is_command(const char *word)
{
	return find(word) != NULL || is_unsupported(word);
}

int
conf_nargs(struct conf_state *st, size_t argc, char **argv, size_t min,
    size_t max)
{
	size_t n = argc - 1;

	if (n >= min && n <= max)
		return 0;
	if (max == 0)
		return conf_err(st, argv[0], "wrong number of arguments "
		    "(expected none)");
	if (max == MANY)
		return conf_err(st, argv[0], "wrong number of arguments "
		    "(expected at least %zu)", min);
	if (min == max)
		return conf_err(st, argv[0], "wrong number of arguments "
		    "(expected %zu)", min);
	return conf_err(st, argv[0], "wrong number of arguments "
	    "(expected %zu to %zu)", min, max);
}

int
conf_dispatch(struct conf_state *st, size_t argc, char **argv)
{
	const struct cmd *c = find(argv[0]);

	if (c != NULL) {
		if (conf_nargs(st, argc, argv, c->min, c->max) != 0)
			return -1;
		return c->fn(st, argc, argv);
	}
	if (is_unsupported(argv[0]))
		return conf_err(st, argv[0], "not supported yet");
	return conf_err(st, argv[0], "unknown command");
}
