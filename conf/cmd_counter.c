/*
 * Traffic counters (docs/portcullis.cfg.5, Traffic counters): `counter FILE
 * [RTYPE REPORTNAME]`, `countin|countout|countall NUMBER[/NAME] TYPE LIMIT_MB
 * fields` and `nocountin|nocountout|nocountall fields`.  TYPE letters are
 * those of log rotation (C H D W M Y); any other letter (the HowTo's N) never
 * resets.  LIMIT is in MiB and 0 is an error, as in 3proxy.
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

int
cmd_counter(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config *cfg = st->cfg;

	if (argc == 3)
		return conf_err(st, argv[0], "expected FILE [TYPE REPORTNAME]");
	free(cfg->counter_file);
	cfg->counter_file = conf_path(st, argv[1]);
	cfg->counter_rtype = argc > 2 ? period(argv[2]) : PC_ROT_NONE;
	free(cfg->counter_report);
	cfg->counter_report = argc > 3 ? conf_path(st, argv[3]) : NULL;
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
