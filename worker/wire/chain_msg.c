/*
 * Messages to parent proxies (chain_msg.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "worker/wire/chain_msg.h"
#include "worker/wire/http_parse.h"

size_t
chain_msg_basic(char *out, size_t cap, const char *user, const char *pass)
{
	uint8_t raw[520];
	size_t  ul = strlen(user), pl = pass != NULL ? strlen(pass) : 0, n;

	if (ul + 1 + pl > sizeof(raw) || cap < 7)
		return 0;
	memcpy(raw, user, ul);
	raw[ul] = ':';
	if (pl > 0)
		memcpy(raw + ul + 1, pass, pl);
	memcpy(out, "Basic ", 6);
	n = http_base64_encode(raw, ul + 1 + pl, out + 6, cap - 6);
	explicit_bzero(raw, sizeof(raw));
	return n == 0 ? 0 : n + 6;
}

size_t
chain_msg_connect(char *out, size_t cap, const char *host, uint16_t port,
    const char *user, const char *pass)
{
	char   hp[300], auth[700];
	bool   v6 = strchr(host, ':') != NULL;
	int    k;

	k = snprintf(hp, sizeof(hp), v6 ? "[%s]:%u" : "%s:%u", host,
	    (unsigned)port);
	if (k < 0 || (size_t)k >= sizeof(hp))
		return 0;
	auth[0] = '\0';
	if (user != NULL) {
		memcpy(auth, "Proxy-Authorization: ", 21);
		if (chain_msg_basic(auth + 21, sizeof(auth) - 23, user,
		    pass) == 0)
			return 0;
		strcat(auth, "\r\n");
	}
	k = snprintf(out, cap, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n",
	    hp, hp, auth);
	explicit_bzero(auth, sizeof(auth));
	if (k < 0 || (size_t)k >= cap)
		return 0;
	return (size_t)k;
}

long
chain_msg_http_reply(const char *buf, size_t n, int *status)
{
	const char *end = NULL;

	for (size_t i = 0; i + 1 < n; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n') {
			end = buf + i + 2;
			break;
		}
		if (i + 3 < n && memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i + 4;
			break;
		}
	}
	if (end == NULL)
		return n >= CHAIN_REPLY_MAX ? -1 : 0;
	/* "HTTP/1.x NNN" */
	if (n < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' ||
	    buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9')
		return -1;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + buf[11] - '0';
	return end - buf;
}

size_t
chain_msg_socks4(uint8_t *out, size_t cap, const struct pc_addr *addr,
    const char *name, uint16_t port, const char *userid)
{
	size_t ul = userid != NULL ? strlen(userid) : 0;
	size_t nl = name != NULL ? strlen(name) : 0;
	size_t n = 8 + ul + 1 + (name != NULL ? nl + 1 : 0);

	if (n > cap || ul > 255 || nl > 255)
		return 0;
	if (name == NULL && (addr == NULL || addr->family != AF_INET))
		return 0;
	out[0] = 4;
	out[1] = 1;
	out[2] = (uint8_t)(port >> 8);
	out[3] = (uint8_t)port;
	if (name != NULL) {
		/* 4a: 0.0.0.x with x != 0, the name after the user id */
		out[4] = out[5] = out[6] = 0;
		out[7] = 1;
	} else {
		memcpy(out + 4, addr->ip, 4);
	}
	if (ul > 0)
		memcpy(out + 8, userid, ul);
	out[8 + ul] = 0;
	if (name != NULL) {
		memcpy(out + 9 + ul, name, nl);
		out[9 + ul + nl] = 0;
	}
	return n;
}

int
chain_msg_socks4_reply(const uint8_t p[8])
{
	if (p[0] != 0)
		return 42;
	return p[1] == 90 ? 0 : 43;
}

size_t
chain_msg_socks5_greeting(uint8_t *out, bool with_auth)
{
	out[0] = 5;
	out[1] = with_auth ? 2 : 1;
	out[2] = 0;
	out[3] = 2;
	return with_auth ? 4 : 3;
}

size_t
chain_msg_socks5_auth(uint8_t *out, size_t cap, const char *user,
    const char *pass)
{
	size_t ul = strlen(user), pl = pass != NULL ? strlen(pass) : 0;

	if (ul > 255 || pl > 255 || 3 + ul + pl > cap)
		return 0;
	out[0] = 1;
	out[1] = (uint8_t)ul;
	memcpy(out + 2, user, ul);
	out[2 + ul] = (uint8_t)pl;
	if (pl > 0)
		memcpy(out + 3 + ul, pass, pl);
	return 3 + ul + pl;
}

size_t
chain_msg_socks5_request(uint8_t *out, size_t cap, const struct pc_addr *addr,
    const char *name, uint16_t port)
{
	size_t n = 4;

	if (cap < 4 + 1 + 255 + 2)
		return 0;
	out[0] = 5;
	out[1] = 1;
	out[2] = 0;
	if (name != NULL) {
		size_t nl = strlen(name);

		if (nl == 0 || nl > 255)
			return 0;
		out[3] = 3;
		out[n++] = (uint8_t)nl;
		memcpy(out + n, name, nl);
		n += nl;
	} else if (addr != NULL && addr->family == AF_INET) {
		out[3] = 1;
		memcpy(out + n, addr->ip, 4);
		n += 4;
	} else if (addr != NULL && addr->family == AF_INET6) {
		out[3] = 4;
		memcpy(out + n, addr->ip, 16);
		n += 16;
	} else {
		return 0;
	}
	out[n++] = (uint8_t)(port >> 8);
	out[n++] = (uint8_t)port;
	return n;
}

long
chain_msg_socks5_reply_len(const uint8_t p[5])
{
	if (p[0] != 5 || p[2] != 0)
		return -1;
	switch (p[3]) {
	case 1:
		return 4 + 4 + 2;
	case 3:
		return p[4] == 0 ? -1 : 4 + 1 + p[4] + 2;   /* empty name */
	case 4:
		return 4 + 16 + 2;
	default:
		return -1;
	}
}
