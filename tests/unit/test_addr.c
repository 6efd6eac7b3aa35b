/* Unit tests of common/addr.c: textual forms, ranges, sockaddr round trip. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"

static int failures;
#define T(cond) do { if (!(cond)) { failures++; \
	fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

static int
in_range(const char *range, const char *ip)
{
	struct pc_addrrange r;
	struct pc_addr      a;

	if (pc_addrrange_parse(range, &r) != 0 || pc_addr_parse(ip, &a) != 0)
		return -1;
	return pc_addrrange_contains(&r, &a);
}

int
main(void)
{
	struct pc_addr          a, b;
	struct pc_addrrange     r;
	struct sockaddr_storage ss;
	char                    buf[PC_ADDRSTRLEN];

	T(pc_addr_parse("127.0.0.1", &a) == 0 && a.family == AF_INET);
	T(pc_addr_parse("::1", &a) == 0 && a.family == AF_INET6);
	T(pc_addr_parse("[::]", &a) == 0 && a.family == AF_INET6 &&
	    pc_addr_is_any(&a));
	T(pc_addr_parse("0.0.0.0", &a) == 0 && pc_addr_is_any(&a));
	T(pc_addr_parse("10.0.0.300", &a) == -1);
	T(pc_addr_parse("host.example", &a) == -1);
	T(pc_addr_parse("[1.2.3.4]", &a) == -1);
	T(pc_addr_parse("", &a) == -1);

	T(pc_addr_parse_port("1.2.3.4:53", &a) == 0 && a.port == 53);
	T(pc_addr_parse_port("[::1]:5353", &a) == 0 && a.port == 5353 &&
	    a.family == AF_INET6);
	T(pc_addr_parse_port("::1", &a) == -1);
	T(pc_addr_parse_port("1.2.3.4:0", &a) == -1);
	T(pc_addr_parse_port("1.2.3.4:65536", &a) == -1);
	T(pc_addr_parse_port("1.2.3.4:", &a) == -1);
	T(pc_addr_parse_port("[::1]53", &a) == -1);

	T(in_range("10.0.0.0/8", "10.255.1.2") == 1);
	T(in_range("10.0.0.0/8", "11.0.0.0") == 0);
	T(in_range("192.168.1.0/24", "192.168.1.255") == 1);
	T(in_range("192.168.1.0/24", "192.168.2.0") == 0);
	T(in_range("0.0.0.0/0", "8.8.8.8") == 1);
	T(in_range("1.2.3.4", "1.2.3.4") == 1);
	T(in_range("1.2.3.4", "1.2.3.5") == 0);
	T(in_range("1.2.3.4/32", "1.2.3.4") == 1);
	T(in_range("10.0.0.5-10.0.0.9", "10.0.0.9") == 1);
	T(in_range("10.0.0.5-10.0.0.9", "10.0.0.10") == 0);
	T(in_range("2001:db8::/32", "2001:db8:ffff::1") == 1);
	T(in_range("2001:db8::/32", "2001:db9::1") == 0);
	T(in_range("::1/128", "::1") == 1);
	T(in_range("fe80::/10", "febf::1") == 1);
	T(in_range("fe80::/10", "fec0::1") == 0);
	T(in_range("127.0.0.0/8", "::ffff:127.0.0.1") == 1);  /* v4-mapped */
	T(in_range("10.0.0.0/8", "::1") == 0);
	T(pc_addrrange_parse("10.0.0.9-10.0.0.5", &r) == -1);
	T(pc_addrrange_parse("10.0.0.1-::1", &r) == -1);
	T(pc_addrrange_parse("10.0.0.0/33", &r) == -1);
	T(pc_addrrange_parse("10.0.0.0/", &r) == -1);
	T(pc_addrrange_parse("10.0.0.0/8x", &r) == -1);
	T(pc_addrrange_parse("::/129", &r) == -1);

	T(pc_addr_parse("2001:db8::7", &a) == 0);
	a.port = 8080;
	T(pc_addr_to_sockaddr(&a, &ss) == sizeof(struct sockaddr_in6));
	pc_addr_from_sockaddr(&b, (struct sockaddr *)&ss);
	T(pc_addr_equal(&a, &b));
	T(strcmp(pc_addr_ntop(&b, buf, sizeof(buf)), "2001:db8::7") == 0);
	memset(&a, 0, sizeof(a));
	T(pc_addr_to_sockaddr(&a, &ss) == 0);
	T(strcmp(pc_addr_ntop(&a, buf, sizeof(buf)), "0.0.0.0") == 0);

	if (failures) {
		fprintf(stderr, "test_addr: %d failures\n", failures);
		return 1;
	}
	printf("test_addr: ok\n");
	return 0;
}
