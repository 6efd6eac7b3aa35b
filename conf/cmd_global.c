/*
 * Commands that set one value: listen/outgoing addresses, limits, the
 * resolver, process settings.  internal/external/maxconn/workers are
 * snapshot state (copied into later services); the rest is global.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "conf/state.h"

int
cmd_internal(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	return conf_addr_arg(st, argv[1], &st->internal);
}

int
cmd_external(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_addr a;

	(void)argc;
	if (conf_addr_arg(st, argv[1], &a) != 0)
		return -1;
	/* one slot per family: `external` twice sets both */
	if (a.family == AF_INET)
		st->ext4 = a;
	else
		st->ext6 = a;
	return 0;
}

int
cmd_maxconn(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	if (conf_uint(argv[1], 1, 1000000, &st->maxconn) != 0)
		return conf_err(st, argv[1], "invalid number "
		    "(expected 1 to 1000000)");
	return 0;
}

/* logdump IN OUT: bytes from the server / to the server after which a
 * tunnel gets a record of its own so far (3proxy's) */
int
cmd_logdump(struct conf_state *st, size_t argc, char **argv)
{
	uint32_t v[2];

	(void)argc;
	for (int i = 0; i < 2; i++)
		if (conf_uint(argv[1 + i], 0, UINT32_MAX, &v[i]) != 0)
			return conf_err(st, argv[1 + i], "invalid number of "
			    "bytes (0 for none)");
	st->cfg->logdump_in = v[0];
	st->cfg->logdump_out = v[1];
	return 0;
}

/* force / noforce: whether the services after it check their open
 * connections again after a reload (master/recheck.c) */
int
cmd_force(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	st->noforce = strcmp(argv[0], "noforce") == 0;
	return 0;
}

int
cmd_workers(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	if (conf_uint(argv[1], 1, CONF_WORKERS_MAX, &st->workers) != 0)
		return conf_err(st, argv[1], "invalid number "
		    "(expected 1 to %d)", CONF_WORKERS_MAX);
	return 0;
}

/* Positional; values not given keep their current setting. */
int
cmd_timeouts(struct conf_state *st, size_t argc, char **argv)
{
	uint32_t v[PC_NTIMEOUTS];

	for (size_t i = 1; i < argc; i++)
		if (conf_uint(argv[i], 1, 2000000, &v[i - 1]) != 0)
			return conf_err(st, argv[i], "invalid timeout "
			    "(expected 1 to 2000000 seconds)");
	memcpy(st->cfg->timeouts, v, (argc - 1) * sizeof(v[0]));
	return 0;
}

/* Accepted for 3proxy configs, with a warning: it sizes (grows or, when
 * negative, shrinks) 3proxy's per-connection thread stacks, and
 * portcullis has no such threads (event-driven workers). */
int
cmd_stacksize(struct conf_state *st, size_t argc, char **argv)
{
	const char *s = argv[1] + (argv[1][0] == '-');
	uint32_t    v;

	(void)argc;
	if (conf_uint(s, 0, INT32_MAX, &v) != 0)
		return conf_err(st, argv[1], "invalid number");
	conf_warn(st, "stacksize: ignored: it sizes 3proxy's thread per "
	    "connection; portcullis workers are event-driven and have none");
	return 0;
}

/* 3proxy runs the command with system(3) each time it reads the line: at
 * start, on every reload, as root.  The master runs no shell for its
 * configuration (archivers are spawned without one), and `-t` must not
 * run anything either. */
int
cmd_system(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	return conf_err(st, argv[0], "refused: portcullis runs no shell "
	    "command from its configuration (3proxy runs it as root at "
	    "every start and reload); run it before the server, e.g. "
	    "ExecStartPre= of the systemd unit");
}

int
cmd_noop(struct conf_state *st, size_t argc, char **argv)
{
	(void)st;
	(void)argc;
	(void)argv;
	return 0;
}

/* ADDR, ADDR:PORT, [V6], [V6]:PORT, each optionally followed by /tcp. */
int
cmd_nserver(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config  *cfg = st->cfg;
	struct pc_nserver  ns = { 0 };
	char              *s = xstrdup(argv[1]), *slash;
	int                bad;

	(void)argc;
	if ((slash = strrchr(s, '/')) != NULL) {
		ns.tcp = strcmp(slash, "/tcp") == 0;
		*slash = '\0';
	}
	if (slash != NULL && !ns.tcp)
		bad = 1;
	else if (pc_addr_parse(s, &ns.addr) == 0) {
		ns.addr.port = 53;
		bad = 0;
	} else
		bad = pc_addr_parse_port(s, &ns.addr) != 0;
	free(s);
	if (bad)
		return conf_err(st, argv[1], "invalid name server "
		    "(expected ADDR[:PORT][/tcp])");
	if (cfg->nnservers == sizeof(cfg->nservers) / sizeof(cfg->nservers[0]))
		return conf_err(st, argv[1], "too many name servers "
		    "(at most %zu)", cfg->nnservers);
	cfg->nservers[cfg->nnservers++] = ns;
	return 0;
}

/* One cache size for both families (the resolver keeps one cache);
 * nscache and nscache6 each raise it. */
int
cmd_nscache(struct conf_state *st, size_t argc, char **argv)
{
	uint32_t v;

	(void)argc;
	if (conf_uint(argv[1], 0, 1u << 24, &v) != 0)
		return conf_err(st, argv[1], "invalid cache size "
		    "(expected 0 to %u)", 1u << 24);
	if (v > st->cfg->nscache)
		st->cfg->nscache = v;
	return 0;
}

static bool
valid_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '.' || *s == '_'))
			return false;
	return true;
}

int
cmd_nsrecord(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config   *cfg = st->cfg;
	struct pc_nsrecord *r = NULL;
	struct pc_addr      a;
	char               *name = xstrdup(argv[1]);
	size_t              n = strlen(name);

	(void)argc;
	for (size_t i = 0; i < n; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] += 'a' - 'A';
	if (n > 1 && name[n - 1] == '.')
		name[n - 1] = '\0';
	if (!valid_hostname(name)) {
		free(name);
		return conf_err(st, argv[1], "invalid host name");
	}
	if (conf_addr(argv[2], &a) != 0) {
		free(name);
		/* 3proxy looks the name up once, when it reads the line */
		if (valid_hostname(argv[2]))
			return conf_err(st, argv[2], "an address, not a host "
			    "name (names are not resolved while the "
			    "configuration is read)");
		return conf_err(st, argv[2], "invalid address");
	}
	/* a later record for the same name and family replaces it */
	for (size_t i = 0; i < cfg->nnsrecords && r == NULL; i++)
		if (strcmp(cfg->nsrecords[i].name, name) == 0 &&
		    cfg->nsrecords[i].addr.family == a.family)
			r = &cfg->nsrecords[i];
	if (r == NULL) {
		r = conf_push(&cfg->nsrecords, &cfg->nnsrecords, sizeof(*r));
		r->name = name;
	} else
		free(name);
	r->addr = a;
	return 0;
}

int
cmd_fakeresolve(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	(void)argv;
	st->cfg->fakeresolve = true;
	return 0;
}

int
cmd_daemon(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	(void)argv;
	st->cfg->daemon = true;
	return 0;
}

int
cmd_pidfile(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	free(st->cfg->pidfile);
	st->cfg->pidfile = conf_path(st, argv[1]);
	return 0;
}

int
cmd_setuid(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	if (conf_uid(st, argv[1], &st->cfg->uid) != 0)
		return -1;
	st->cfg->uid_set = true;
	return 0;
}

int
cmd_setgid(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	if (conf_gid(st, argv[1], &st->cfg->gid) != 0)
		return -1;
	st->cfg->gid_set = true;
	return 0;
}

static bool
same_dir(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	while (na > 1 && a[na - 1] == '/')
		na--;
	while (nb > 1 && b[nb - 1] == '/')
		nb--;
	return na == nb && memcmp(a, b, na) == 0;
}

/* chroot DIR [USER [GROUP]]: the workers' jail (the master never chroots
 * itself: it must reread the config and reopen logs on reload). */
int
cmd_chroot(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config *cfg = st->cfg;

	if (argv[1][0] != '/')
		return conf_err(st, argv[1], "not an absolute path");
	if (cfg->chroot != NULL && cfg->chroot_inherited) {
		/* 3proxy, already chrooted, skips the chroot and only changes
		 * ids; moving the jail would need a restart there too */
		if (!same_dir(cfg->chroot, argv[1]))
			return conf_err(st, argv[1], "the running "
			    "configuration is jailed in %s: a reload cannot "
			    "move the jail (restart to change it)",
			    cfg->chroot);
		cfg->chroot_inherited = false;
		free(cfg->chroot);
		cfg->chroot = NULL;
	}
	if (cfg->chroot != NULL)
		return conf_err(st, argv[0], "given twice");
	if (argc > 2 && conf_uid(st, argv[2], &cfg->uid) != 0)
		return -1;
	if (argc > 3 && conf_gid(st, argv[3], &cfg->gid) != 0)
		return -1;
	cfg->uid_set |= argc > 2;
	cfg->gid_set |= argc > 3;
	cfg->chroot = xstrdup(argv[1]);
	return 0;
}

int
cmd_monitor(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config *cfg = st->cfg;
	char            **slot;

	(void)argc;
	slot = conf_push(&cfg->monitors, &cfg->nmonitors, sizeof(*slot));
	*slot = conf_path(st, argv[1]);
	return 0;
}

/* config FILE: the file a reload reads (3proxy's conffile), so a config
 * that chroots can name itself as seen inside the jail. */
int
cmd_config(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	free(st->cfg->config_file);
	st->cfg->config_file = conf_path(st, argv[1]);
	return 0;
}

int
cmd_include(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	return conf_include(st, argv[1]);
}

/* As in 3proxy, `end` stops reading the file it is in; an including file
 * goes on after its `include` line. */
int
cmd_end(struct conf_state *st, size_t argc, char **argv)
{
	(void)argc;
	(void)argv;
	st->stop = true;
	return 0;
}
