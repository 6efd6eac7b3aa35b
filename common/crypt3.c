/*
 * 3proxy 1.0's "$3$" password hash (common/crypt3.h).  Not libxcrypt's
 * "$3$", which is the NT hash without salt: the two share a prefix, so
 * a stored "$3$" with a salt part comes here and nowhere else.
 */
#include <string.h>

#include <sodium.h>

#include "common/crypt3.h"

#define DIGEST 16

static const char b64[] =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static char *
put64(char *p, unsigned long v, int n)
{
	while (n-- > 0) {
		*p++ = b64[v & 0x3f];
		v >>= 6;
	}
	return p;
}

/* MD5-crypt's order of the digest bytes, three at a time, low 6 bits
 * first; the last byte alone. */
static void
encode(const unsigned char d[DIGEST], char *p)
{
	static const unsigned char order[5][3] = {
		{ 0, 6, 12 }, { 1, 7, 13 }, { 2, 8, 14 }, { 3, 9, 15 },
		{ 4, 10, 5 },
	};

	for (size_t i = 0; i < 5; i++)
		p = put64(p, ((unsigned long)d[order[i][0]] << 16) |
		    ((unsigned long)d[order[i][1]] << 8) | d[order[i][2]], 4);
	p = put64(p, d[11], 2);
	*p = '\0';
}

bool
crypt3_valid(const char *s)
{
	const char *salt, *end;

	if (strncmp(s, "$3$", 3) != 0)
		return false;
	salt = s + 3;
	if ((end = strchr(salt, '$')) == NULL ||
	    (size_t)(end - salt) > CRYPT3_SALT_MAX)
		return false;
	return strlen(end + 1) == CRYPT3_HASH_LEN &&
	    strspn(end + 1, b64) == CRYPT3_HASH_LEN;
}

int
crypt3_make(const char *pw, const char *salt, size_t saltlen,
    char out[CRYPT3_OUT_MAX])
{
	crypto_generichash_blake2b_state st;
	unsigned char d[DIGEST];
	int           rc;

	if (saltlen > CRYPT3_SALT_MAX || memchr(salt, '$', saltlen) != NULL ||
	    sodium_init() < 0)
		return -1;
	/* the password's NUL is hashed too, as 3proxy does */
	rc = crypto_generichash_blake2b_init(&st, NULL, 0, DIGEST);
	if (rc == 0)
		rc = crypto_generichash_blake2b_update(&st,
		    (const unsigned char *)pw, strlen(pw) + 1);
	if (rc == 0)
		rc = crypto_generichash_blake2b_update(&st,
		    (const unsigned char *)salt, saltlen);
	if (rc == 0)
		rc = crypto_generichash_blake2b_final(&st, d, DIGEST);
	sodium_memzero(&st, sizeof(st));
	if (rc != 0)
		return -1;
	memcpy(out, "$3$", 3);
	memcpy(out + 3, salt, saltlen);
	out[3 + saltlen] = '$';
	encode(d, out + 4 + saltlen);
	sodium_memzero(d, sizeof(d));
	return 0;
}

bool
crypt3_check(const char *pw, const char *stored)
{
	char        out[CRYPT3_OUT_MAX];
	const char *salt = stored + 3, *end;
	bool        ok;

	if (!crypt3_valid(stored))
		return false;
	end = strchr(salt, '$');
	if (crypt3_make(pw, salt, (size_t)(end - salt), out) != 0)
		return false;
	ok = sodium_memcmp(out + (end - stored) + 1, end + 1,
	    CRYPT3_HASH_LEN) == 0;
	sodium_memzero(out, sizeof(out));
	return ok;
}
