/*
 * Fuzz target: the configuration reader on arbitrary text.  It must never
 * crash or leak, a failure must come with a one-line message, and a config
 * it accepts must be usable (every ACL checks, secrets scrub, all frees).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

static void
exercise(struct pc_config *c)
{
	struct pc_acl_req q = { .user = "u", .host = "www.example.com",
	    .port = 80, .op = PC_OP_HTTP_GET, .now = 1704067200 };
	const enum pc_auth_type *chain;

	pc_addr_parse("192.0.2.1", &q.client);
	pc_addr_parse("203.0.113.5", &q.dst);
	for (size_t i = 0; i < c->nsvcs; i++) {
		size_t rule;

		if (c->svcs[i].acl >= c->nacls ||
		    pc_service_auth(&c->svcs[i], &chain) < 1 ||
		    (c->svcs[i].log >= 0 && (size_t)c->svcs[i].log >= c->nlogs))
			abort();
		if (pc_acl_check(&c->acls[c->svcs[i].acl], &q, &rule) ==
		    PC_ACL_NOMATCH && rule != (size_t)-1)
			abort();
	}
	pc_config_scrub_secrets(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int        init;
	char             *text = malloc(size + 1);
	char              err[512];
	struct pc_config *c;

	if (!init) {
		conf_set_warn_stream(NULL);
		setenv("TZ", "UTC", 1);
		init = 1;
	}
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	c = conf_load_string(text, "fuzz", err, sizeof(err));
	if (c == NULL && (err[0] == '\0' || strchr(err, '\n') != NULL))
		abort();
	if (c != NULL)
		exercise(c);
	pc_config_free(c);
	free(text);
	return 0;
}
