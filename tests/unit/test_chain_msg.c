/* Unit tests of the messages to parent proxies (worker/wire/chain_msg.c). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "worker/wire/chain_msg.h"

static int failures;
#define T(cond) do { if (!(cond)) { failures++; \
	fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

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
	test_msg();
	printf("test_chain_msg: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
