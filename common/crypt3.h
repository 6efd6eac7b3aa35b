/*
 * 3proxy 1.0's "$3$" password hash (what its 3proxy_crypt writes as
 * CR:$3$SALT$HASH in a users entry): BLAKE2b with a 16-byte digest over
 * the password with its terminating NUL, then the salt; the digest
 * written in the 22-character "./0-9A-Za-z" layout of MD5-crypt.  The
 * BLAKE2b is libsodium's (crypto_generichash_blake2b).
 */
#ifndef PC_COMMON_CRYPT3_H
#define PC_COMMON_CRYPT3_H

#include <stdbool.h>
#include <stddef.h>

#define CRYPT3_SALT_MAX 64      /* 3proxy_crypt cuts longer salts here */
#define CRYPT3_HASH_LEN 22
/* "$3$" + salt + "$" + hash + NUL */
#define CRYPT3_OUT_MAX  (3 + CRYPT3_SALT_MAX + 1 + CRYPT3_HASH_LEN + 1)

/* Is s a well-formed "$3$SALT$HASH" (salt without '$', at most
 * CRYPT3_SALT_MAX bytes; hash 22 characters of the alphabet)? */
bool crypt3_valid(const char *s);
/* Writes "$3$SALT$HASH" for pw into out; 0, or -1 (salt too long or
 * holding '$', or libsodium failed). */
int  crypt3_make(const char *pw, const char *salt, size_t saltlen,
	    char out[CRYPT3_OUT_MAX]);
/* Does pw match the stored "$3$SALT$HASH"?  Constant time in the hash. */
bool crypt3_check(const char *pw, const char *stored);

#endif
