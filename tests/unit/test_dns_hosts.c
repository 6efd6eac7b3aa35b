/* Unit tests of worker/net/dns_hosts.c: parsing a hosts file, case, comments,
 * several names per line, family order by preference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/net/dns_hosts.h"

static int failures;
#define T(cond) do { if (!(cond)) { failures++; \
	fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

static const char hosts[] =
    "# a comment line\n"
    "127.0.0.1\tlocalhost\n"
    "::1 localhost ip6-localhost   # trailing comment\n"
    "\n"
    "10.1.2.3 Alpha.Example.TEST alpha\n"
    "not-an-address broken\n"
    "10.9.9.9 # no names\n";

int
main(void)
{
	char           path[] = "/tmp/test_dns_hosts.XXXXXX";
	int            fd = mkstemp(path);
	struct pc_addr out[4];
	size_t         n;

	T(fd >= 0);
	T(write(fd, hosts, sizeof(hosts) - 1) == (ssize_t)(sizeof(hosts) - 1));
	close(fd);
	T(dns_hosts_load("/nonexistent/hosts") == 0);
	T(dns_hosts_load(path) == 5);
	unlink(path);

	n = dns_hosts_lookup("localhost", PC_FAM_46, out, 4);
	T(n == 2 && out[0].family == AF_INET && out[1].family == AF_INET6);
	T(n >= 1 && out[0].ip[0] == 127 && out[0].ip[3] == 1 &&
	    out[0].port == 0);
	n = dns_hosts_lookup("localhost", PC_FAM_64, out, 4);
	T(n == 2 && out[0].family == AF_INET6 && out[1].family == AF_INET);
	n = dns_hosts_lookup("localhost", PC_FAM_4, out, 4);
	T(n == 1 && out[0].family == AF_INET);
	n = dns_hosts_lookup("localhost", PC_FAM_6, out, 4);
	T(n == 1 && out[0].family == AF_INET6);
	T(dns_hosts_lookup("localhost", PC_FAM_46, out, 1) == 1);
	n = dns_hosts_lookup("alpha.example.test", PC_FAM_46, out, 4);
	T(n == 1 && out[0].ip[0] == 10 && out[0].ip[3] == 3);
	T(dns_hosts_lookup("alpha", PC_FAM_4, out, 4) == 1);
	T(dns_hosts_lookup("ip6-localhost", PC_FAM_4, out, 4) == 0);
	T(dns_hosts_lookup("broken", PC_FAM_46, out, 4) == 0);
	T(dns_hosts_lookup("#", PC_FAM_46, out, 4) == 0);
	T(dns_hosts_lookup("missing", PC_FAM_46, out, 4) == 0);

	printf("test_dns_hosts: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
