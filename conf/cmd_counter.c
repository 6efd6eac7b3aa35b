/*
 * Traffic counters (docs/portcullis.cfg.5, Traffic counters): `counter FILE
 * [RTYPE REPORTNAME]`, `countin|countout|countall NUMBER[/NAME] TYPE LIMIT_MB
 * fields` and `nocountin|nocountout|nocountall fields`.  TYPE letters are
 * those of log rotation (C H D W M Y); any other letter (the HowTo's N) never
 * resets.  LIMIT is in MiB and 0 is an error, as in 3proxy.
 *
 * Ours: `counter &DSN[,USER[,PASS]] [TYPE REPORTNAME]` keeps the numbered
 * counters in a database the nodes of a fleet share, and `fleet NODE
 * [STATEFILE [BATCH_KB]]` names this node (docs/fleet.md).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "conf/state.h"

static enum pc_logrot
period(const char *s)
{
	switch (toupper((unsigned char)s[0])) {
	case 'C': return PC_ROT_MINUTE;
	case 'H': return PC_ROT_HOUR;
	case 'D': return PC_ROT_DAY;
	case 'W': return PC_ROT_WEEK;
	case 'M': return PC_ROT_MONTH;
	case 'Y': return PC_ROT_YEAR;
	default:  return PC_ROT_NONE;
	}
}

static void
fleet_free_db(struct pc_fleet *f)
{
	free(f->dsn);
	free(f->user);
	if (f->pass != NULL)
		explicit_bzero(f->pass, strlen(f->pass));
	free(f->pass);
	f->dsn = f->user = f->pass = NULL;
	f->pass_set = false;
}

int
cmd_counter(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config *cfg = st->cfg;
	struct pc_fleet  *f = &cfg->fleet;

	if (argc == 3)
		return conf_err(st, argv[0], "expected FILE [TYPE REPORTNAME]");
	free(cfg->counter_file);
	cfg->counter_file = NULL;
	fleet_free_db(f);
	if (argv[1][0] == '&') {
		if (conf_odbc_spec(st, argv[1], argv[1] + 1, &f->dsn, &f->user,
		    &f->pass) != 0)
			return -1;
		f->pass_set = f->pass != NULL;
	} else
		cfg->counter_file = conf_path(st, argv[1]);
	cfg->counter_rtype = argc > 2 ? period(argv[2]) : PC_ROT_NONE;
	free(cfg->counter_report);
	cfg->counter_report = argc > 3 ? conf_path(st, argv[3]) : NULL;
	return 0;
}

/* `fleet NODE [STATEFILE [BATCH_KB]]`: NODE goes into SQL text and the
 * database's key, so it is letters, digits and ._- only. */
int
cmd_fleet(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_fleet *f = &st->cfg->fleet;
	uint32_t         kb = 0;

	if (strlen(argv[1]) > PC_FLEET_NODE_MAX ||
	    strspn(argv[1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != strlen(argv[1]))
		return conf_err(st, argv[1], "a node name is 1..%d letters, "
		    "digits, '.', '_' or '-'", PC_FLEET_NODE_MAX);
	if (argc > 3 && conf_uint(argv[3], 1, 4194304, &kb) != 0)
		return conf_err(st, argv[3], "batch must be 1..4194304 KiB");
	free(f->node);
	f->node = xstrdup(argv[1]);
	free(f->state);
	f->state = argc > 2 && argv[2][0] != '\0' ? conf_path(st, argv[2]) :
	    NULL;                /* "": none */
	f->batch_kb = kb;
	return 0;
}

static enum pc_ct_dir
direction(const char *cmd)
{
	const char *d = cmd + (cmd[0] == 'n' ? 2 : 0) + strlen("count");

	return strcmp(d, "in") == 0 ? PC_CT_IN : strcmp(d, "out") == 0 ?
	    PC_CT_OUT : PC_CT_ALL;
}

int
cmd_count(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config  *cfg = st->cfg;
	struct pc_counter  c;
	char              *fields[9], *slash;
	size_t             nf = 0, first = 1;
	uint32_t           mb;

	memset(&c, 0, sizeof(c));
	c.dir = direction(argv[0]);
	c.exempt = argv[0][0] == 'n';
	if (!c.exempt) {
		if (argc < 4)
			return conf_err(st, argv[0], "expected NUMBER[/NAME] "
			    "TYPE LIMIT [fields]");
		if ((slash = strchr(argv[1], '/')) != NULL)
			*slash = '\0';
		if (conf_uint(argv[1], 0, PC_CT_NUMBERS, &c.number) != 0)
			return conf_err(st, argv[1], "counter number must be "
			    "0..%d", PC_CT_NUMBERS);
		if (slash != NULL && slash[1] != '\0')
			c.name = xstrdup(slash + 1);
		c.period = period(argv[2]);
		if (conf_uint(argv[3], 1, UINT32_MAX, &mb) != 0) {
			free(c.name);
			return conf_err(st, argv[3], "limit must be 1 MB or "
			    "more");
		}
		c.limit = (uint64_t)mb * 1048576u;
		first = 4;
	}
	fields[nf++] = (char *)"allow";
	for (size_t i = first; i < argc && nf < 9; i++)
		fields[nf++] = argv[i];
	*(struct pc_counter *)conf_push(&cfg->counters, &cfg->ncounters,
	    sizeof(c)) = c;
	return conf_acl_rule(st, nf, fields,
	    &cfg->counters[cfg->ncounters - 1].rule);
}
