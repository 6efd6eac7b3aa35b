/*
 * `bandlimin RATE USERS SOURCES TARGETS PORTS OPERATIONS WEEKDAYS PERIODS`,
 * `bandlimout ...` and the exceptions `nobandlimin ...`,
 * `nobandlimout ...` (docs/portcullis.cfg.5, Bandwidth limits).  RATE is in
 * bits per second, at least 300 as in 3proxy.  The ACL fields are read by the
 * same code as allow/deny.
 */
#include <string.h>

#include "conf/state.h"

/* `connlim RATE PERIOD fields`, `noconnlim fields` */
int
cmd_connlim(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config  *cfg = st->cfg;
	struct pc_connlim *l;
	bool               exempt = argv[0][0] == 'n';
	uint32_t           rate = 0, period = 0;
	char              *fields[9];
	size_t             nf = 0;

	if (!exempt) {
		if (argc < 3)
			return conf_err(st, argv[0], "expected RATE PERIOD "
			    "[fields]");
		if (conf_uint(argv[1], 1, UINT32_MAX, &rate) != 0)
			return conf_err(st, argv[1], "invalid rate");
		if (conf_uint(argv[2], 0, 86400 * 366, &period) != 0)
			return conf_err(st, argv[2], "invalid period");
	}
	fields[nf++] = (char *)"allow";
	for (size_t i = exempt ? 1 : 3; i < argc && nf < 9; i++)
		fields[nf++] = argv[i];
	l = conf_push(&cfg->connlims, &cfg->nconnlims, sizeof(*l));
	l->exempt = exempt;
	l->rate = rate;
	l->period = period;
	return conf_acl_rule(st, nf, fields, &l->rule);
}

int
cmd_bandlim(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_config  *cfg = st->cfg;
	struct pc_bandlim *b;
	bool               exempt = strncmp(argv[0], "no", 2) == 0;
	const char        *dir = argv[0] + (exempt ? 2 : 0) + strlen("bandlim");
	uint32_t           rate = 0;
	char              *fields[9];
	size_t             nf = 0;

	if (!exempt && conf_uint(argv[1], 300, UINT32_MAX, &rate) != 0)
		return conf_err(st, argv[1], "rate must be 300 or more (bits "
		    "per second)");
	/* the fields start after RATE; conf_acl_rule reads from [1] */
	fields[nf++] = (char *)"allow";
	for (size_t i = exempt ? 1 : 2; i < argc && nf < 9; i++)
		fields[nf++] = argv[i];
	b = conf_push(&cfg->bandlims, &cfg->nbandlims, sizeof(*b));
	b->dir = strcmp(dir, "in") == 0 ? PC_BL_IN : PC_BL_OUT;
	b->exempt = exempt;
	b->rate = rate;
	return conf_acl_rule(st, nf, fields, &b->rule);
}
