/* Unit tests of the parent chain's pure parts: hop picking by weights and
 * groups (worker/chain_pick.c) and the messages to parents
 * (worker/chain_msg.c). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "worker/chain_msg.h"
#include "worker/chain_pick.h"

static int failures;
#define T(cond) do { if (!(cond)) { failures++; \
	fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

/* a counter as the random source: r = 0, 1, 2, ... covers [0, 1000)
 * evenly over 1000 picks of one group */
static uint32_t
seq(void *arg)
{
	uint32_t *n = arg;

	return (*n)++;
}

static void
mk(struct pc_parent *p, uint32_t w, enum pc_parent_type t)
{
	memset(p, 0, sizeof(*p));
	p->weight = w;
	p->type = t;
}

static void
test_pick(void)
{
	struct pc_parent p[8];
	size_t           out[CHAIN_MAX_HOPS], n, cnt[8];
	uint32_t         r;

	/* 300 + 700: one hop, A 30 %, B 70 % */
	mk(&p[0], 300, PC_PARENT_SOCKS5);
	mk(&p[1], 700, PC_PARENT_SOCKS5);
	memset(cnt, 0, sizeof(cnt));
	r = 0;
	for (int i = 0; i < 1000; i++) {
		n = chain_pick(p, 2, seq, &r, out, CHAIN_MAX_HOPS);
		T(n == 1);
		if (n == 1)
			cnt[out[0]]++;
	}
	T(cnt[0] == 300 && cnt[1] == 700);

	/* 1000 A, 1000 B, 300 C, 700 D: A -> B -> (C | D) */
	mk(&p[0], 1000, PC_PARENT_SOCKS5);
	mk(&p[1], 1000, PC_PARENT_CONNECT);
	mk(&p[2], 300, PC_PARENT_SOCKS4);
	mk(&p[3], 700, PC_PARENT_SOCKS4);
	memset(cnt, 0, sizeof(cnt));
	r = 0;
	for (int i = 0; i < 1000; i++) {
		/* three draws per pick: keep the third on an even spread */
		n = chain_pick(p, 4, seq, &r, out, CHAIN_MAX_HOPS);
		T(n == 3 && out[0] == 0 && out[1] == 1 &&
		    (out[2] == 2 || out[2] == 3));
		if (n == 3)
			cnt[out[2]]++;
	}
	T(cnt[2] > 250 && cnt[2] < 350 && cnt[2] + cnt[3] == 1000);

	/* a lone 250: used a quarter of the time */
	mk(&p[0], 250, PC_PARENT_SOCKS5);
	r = 0;
	cnt[0] = 0;
	for (int i = 0; i < 1000; i++)
		cnt[0] += chain_pick(p, 1, seq, &r, out, CHAIN_MAX_HOPS);
	T(cnt[0] == 250);

	/* weight 0 is a fallback, never drawn; a trailing one does not keep
	 * the group before it open */
	mk(&p[0], 1000, PC_PARENT_SOCKS5);
	mk(&p[1], 0, PC_PARENT_SOCKS5);
	r = 0;
	n = chain_pick(p, 2, seq, &r, out, CHAIN_MAX_HOPS);
	T(n == 1 && out[0] == 0);
	mk(&p[0], 0, PC_PARENT_SOCKS5);
	T(chain_pick(p, 1, seq, &r, out, CHAIN_MAX_HOPS) == 0);

	/* extip entries are drawn like hops (the caller sets them apart) */
	mk(&p[0], 500, PC_PARENT_EXTIP);
	mk(&p[1], 500, PC_PARENT_EXTIP);
	r = 0;
	memset(cnt, 0, sizeof(cnt));
	for (int i = 0; i < 1000; i++) {
		n = chain_pick(p, 2, seq, &r, out, CHAIN_MAX_HOPS);
		T(n == 1);
		if (n == 1)
			cnt[out[0]]++;
	}
	T(cnt[0] == 500 && cnt[1] == 500);

	/* the output is bounded by max */
	for (int i = 0; i < 8; i++)
		mk(&p[i], 1000, PC_PARENT_SOCKS5);
	T(chain_pick(p, 8, seq, &r, out, 3) == 3);
}

static void
test_msg(void)
{
	char           buf[CHAIN_MSG_MAX];
	uint8_t        b[CHAIN_MSG_MAX];
	struct pc_addr a;
	size_t         n;
	int            st;

	n = chain_msg_connect(buf, sizeof(buf), "example.test", 443, NULL,
	    NULL);
	T(n > 0 && strcmp(buf, "CONNECT example.test:443 HTTP/1.1\r\n"
	    "Host: example.test:443\r\n\r\n") == 0);
	n = chain_msg_connect(buf, sizeof(buf), "::1", 80, "Aladdin",
	    "open sesame");
	T(n > 0 && strstr(buf, "CONNECT [::1]:80 HTTP/1.1\r\n") == buf);
	T(strstr(buf, "Proxy-Authorization: Basic "
	    "QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n") != NULL);
	T(chain_msg_connect(buf, 20, "example.test", 443, NULL, NULL) == 0);

	T(chain_msg_http_reply("HTTP/1.1 200 OK\r\n\r\nX", 20, &st) == 19 &&
	    st == 200);
	T(chain_msg_http_reply("HTTP/1.0 407 No\r\nA: b\r\n\r\n", 25, &st) ==
	    25 && st == 407);
	T(chain_msg_http_reply("HTTP/1.1 200 OK\r\n", 17, &st) == 0);
	T(chain_msg_http_reply("SSH-2.0-x\r\n\r\n", 13, &st) == -1);
	T(chain_msg_http_reply("HTTP/1.1 2x0 OK\r\n\r\n", 19, &st) == -1);

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.ip[0] = 10;
	a.ip[3] = 7;
	n = chain_msg_socks4(b, sizeof(b), &a, NULL, 8080, "bob");
	T(n == 12 && b[0] == 4 && b[1] == 1 && b[2] == 0x1f && b[3] == 0x90 &&
	    b[4] == 10 && b[7] == 7 && memcmp(b + 8, "bob", 4) == 0);
	n = chain_msg_socks4(b, sizeof(b), NULL, "h.test", 80, NULL);
	T(n == 8 + 1 + 7 && b[4] == 0 && b[7] == 1 && b[8] == 0 &&
	    strcmp((char *)b + 9, "h.test") == 0);
	a.family = AF_INET6;
	T(chain_msg_socks4(b, sizeof(b), &a, NULL, 80, NULL) == 0);
	T(chain_msg_socks4_reply((const uint8_t *)"\0\x5a\0\0\0\0\0\0") == 0);
	T(chain_msg_socks4_reply((const uint8_t *)"\0\x5b\0\0\0\0\0\0") ==
	    43);
	T(chain_msg_socks4_reply((const uint8_t *)"\x05\x5a\0\0\0\0\0\0") ==
	    42);

	T(chain_msg_socks5_greeting(b, false) == 3 && b[1] == 1 && b[2] == 0);
	T(chain_msg_socks5_greeting(b, true) == 4 && b[1] == 2 && b[3] == 2);
	n = chain_msg_socks5_auth(b, sizeof(b), "bob", "pw");
	T(n == 8 && b[0] == 1 && b[1] == 3 && b[5] == 2);
	n = chain_msg_socks5_request(b, sizeof(b), NULL, "h.test", 443);
	T(n == 4 + 1 + 6 + 2 && b[3] == 3 && b[4] == 6 && b[11] == 1 &&
	    b[12] == 0xbb);
	n = chain_msg_socks5_request(b, sizeof(b), &a, NULL, 80);
	T(n == 4 + 16 + 2 && b[3] == 4);
	T(chain_msg_socks5_reply_len((const uint8_t *)"\x05\0\0\x01\x7f") ==
	    10);
	T(chain_msg_socks5_reply_len((const uint8_t *)"\x05\0\0\x03\x05") ==
	    12);
	T(chain_msg_socks5_reply_len((const uint8_t *)"\x05\0\0\x04\0") == 22);
	T(chain_msg_socks5_reply_len((const uint8_t *)"\x05\0\0\x09\0") == -1);
	T(chain_msg_socks5_reply_len((const uint8_t *)"\x04\0\0\x01\0") == -1);
}

int
main(void)
{
	test_pick();
	test_msg();
	printf("test_chain: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
