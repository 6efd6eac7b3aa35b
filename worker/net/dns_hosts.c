/*
 * /etc/hosts as a small table (dns_hosts.h): one entry per name and
 * address, names lower-cased, lines cut at '#'.  Bounded: at most
 * HOSTS_MAX entries and HOSTS_BYTES of file are read.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/xmalloc.h"
#include "worker/net/dns_hosts.h"

#define HOSTS_MAX   4096
#define HOSTS_BYTES (1024 * 1024)

struct host_entry {
	char          *name;
	struct pc_addr addr;
};

static struct host_entry *table;
static size_t             ntable;

static void
add(const char *name, const struct pc_addr *a)
{
	char *n;

	if (ntable >= HOSTS_MAX || strlen(name) > 255)
		return;
	if (table == NULL)
		table = xcalloc(HOSTS_MAX, sizeof(*table));
	n = xstrdup(name);
	for (char *p = n; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	table[ntable].name = n;
	table[ntable].addr = *a;
	table[ntable].addr.port = 0;
	ntable++;
}

static void
parse_line(char *line)
{
	static const char sep[] = " \t\r\n";
	struct pc_addr    a;
	char             *save = NULL, *tok;

	line[strcspn(line, "#")] = '\0';
	if ((tok = strtok_r(line, sep, &save)) == NULL ||
	    pc_addr_parse(tok, &a) != 0)
		return;
	while ((tok = strtok_r(NULL, sep, &save)) != NULL)
		add(tok, &a);
}

size_t
dns_hosts_load(const char *path)
{
	FILE  *f = fopen(path, "re");
	char   line[1024];
	size_t bytes = 0;

	if (f == NULL)
		return 0;
	while (bytes < HOSTS_BYTES && fgets(line, sizeof(line), f) != NULL) {
		bytes += strlen(line);
		parse_line(line);
	}
	fclose(f);
	return ntable;
}

size_t
dns_hosts_lookup(const char *name, enum pc_family_pref pref,
    struct pc_addr *out, size_t max)
{
	int    order[2] = { AF_INET, AF_INET6 };
	size_t n = 0;

	if (pref == PC_FAM_6 || pref == PC_FAM_64) {
		order[0] = AF_INET6;
		order[1] = AF_INET;
	}
	for (int k = 0; k < 2; k++) {
		if ((pref == PC_FAM_4 && order[k] != AF_INET) ||
		    (pref == PC_FAM_6 && order[k] != AF_INET6))
			continue;
		for (size_t i = 0; i < ntable && n < max; i++)
			if (table[i].addr.family == order[k] &&
			    strcmp(table[i].name, name) == 0)
				out[n++] = table[i].addr;
	}
	return n;
}
