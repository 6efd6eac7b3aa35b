/* ACL operation keywords (docs/portcullis.cfg.5, Access control lists). */
#include <strings.h>

#include "policy/policy.h"

static const struct {
	const char *name;
	uint32_t    bits;
} ops[] = {
	{ "CONNECT",      PC_OP_CONNECT },
	{ "BIND",         PC_OP_BIND },
	{ "UDPASSOC",     PC_OP_UDPASSOC },
	{ "ICMPASSOC",    PC_OP_ICMPASSOC },
	{ "HTTP_GET",     PC_OP_HTTP_GET },
	{ "HTTP_PUT",     PC_OP_HTTP_PUT },
	{ "HTTP_POST",    PC_OP_HTTP_POST },
	{ "HTTP_HEAD",    PC_OP_HTTP_HEAD },
	{ "HTTP_OTHER",   PC_OP_HTTP_OTHER },
	{ "HTTP_CONNECT", PC_OP_HTTP_CONNECT },
	{ "HTTP",         PC_OP_HTTP },
	{ "HTTPS",        PC_OP_HTTPS },
	{ "FTP_GET",      PC_OP_FTP_GET },
	{ "FTP_PUT",      PC_OP_FTP_PUT },
	{ "FTP_LIST",     PC_OP_FTP_LIST },
	{ "FTP_DATA",     PC_OP_FTP_DATA },
	{ "FTP",          PC_OP_FTP },
	{ "ADMIN",        PC_OP_ADMIN },
	{ "DNSRESOLVE",   PC_OP_DNSRESOLVE },
};

/* Case-insensitive: configs in the wild write both "HTTP_GET" and
 * "http_get", and no two keywords differ only in case. */
uint32_t
pc_op_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcasecmp(ops[i].name, name) == 0)
			return ops[i].bits;
	return 0;
}

const char *
pc_op_name(size_t i, uint32_t *bits)
{
	if (i >= sizeof(ops) / sizeof(ops[0]))
		return NULL;
	*bits = ops[i].bits;
	return ops[i].name;
}
