/*
 * "Proxy-Authorization: Basic" credentials (RFC 7617) with a strict base64
 * decoder (RFC 4648 section 4): the alphabet only, '=' padding required and
 * only at the end, unused bits zero.  Anything else is not credentials.
 */
#include <string.h>
#include <strings.h>

#include "worker/wire/http_parse.h"

static int
b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

long
http_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	size_t o = 0;

	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int      v[4];
		int      pad = 0;
		uint32_t w = 0;

		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			/* no data after padding ("ab=c") */
			if (pad > 0 || (v[k] = b64val((unsigned char)in[i + k])) < 0)
				return -1;
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		    (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* the bits that padding leaves over must be zero */
		if ((pad == 1 && (w & 0xff) != 0) ||
		    (pad == 2 && (w & 0xffff) != 0))
			return -1;
		if (o + 3 - (size_t)pad > cap)
			return -1;
		out[o++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)w;
	}
	return (long)o;
}

int
http_basic_credentials(const char *val, size_t n, char *user, size_t usz,
    char *pass, size_t psz)
{
	uint8_t     dec[768];
	const char *colon;
	long        len;
	size_t      i = 5, ulen;

	if (n < 6 || strncasecmp(val, "Basic", 5) != 0 ||
	    (val[5] != ' ' && val[5] != '\t'))
		return -1;
	while (i < n && (val[i] == ' ' || val[i] == '\t'))
		i++;
	if ((len = http_base64_decode(val + i, n - i, dec, sizeof(dec))) < 0 ||
	    memchr(dec, '\0', (size_t)len) != NULL)
		return -1;
	/* the user-id cannot contain a colon; the password may */
	if ((colon = memchr(dec, ':', (size_t)len)) == NULL)
		return -1;
	ulen = (size_t)(colon - (const char *)dec);
	if (ulen == 0 || ulen >= usz || (size_t)len - ulen - 1 >= psz)
		return -1;
	memcpy(user, dec, ulen);
	user[ulen] = '\0';
	memcpy(pass, colon + 1, (size_t)len - ulen - 1);
	pass[(size_t)len - ulen - 1] = '\0';
	return 0;
}

size_t
http_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t            o = 0;

	if ((n + 2) / 3 * 4 + 1 > cap)
		return 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}
