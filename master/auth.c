/*
 * Password checks.  Only the master holds the user table; workers send
 * user+password and get a %E code back.  Comparisons of secrets run in
 * time independent of where they differ.
 *
 * CR: libxcrypt's crypt_rn() with the stored hash as setting; a result
 * starting with '*' is libxcrypt's failure token.  A "$3$SALT$HASH" is
 * 3proxy 1.0's own BLAKE2b hash (common/crypt3.c), not libxcrypt's.  NT: libxcrypt's "$3$"
 * method is the NT hash (MD4 of UTF-16LE) and returns "$3$$" followed by 32
 * lower-case hex digits; configs may store the hex in either case.
 *
 * Slow hashes (yescrypt, bcrypt) are verified inline in version 1
 * (docs/architecture.md, "IPC messages"); the verdict API is synchronous so it
 * can move to a helper later without changing the IPC.
 */
#include <crypt.h>
#include <pwd.h>
#include <shadow.h>
#include <string.h>

#include "master/auth.h"
#include "master/fleet_users.h"
#include "common/crypt3.h"
#include "common/ecode.h"

static struct crypt_data cdata;   /* 32 KB: not on the stack */

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Equal strings -> 1.  Runs over the longer string whatever the content;
 * fold_case compares ASCII letters case-insensitively (hex digests). */
static int
ct_equal(const char *a, const char *b, int fold_case)
{
	size_t        la = strlen(a), lb = strlen(b);
	size_t        n = la > lb ? la : lb;
	unsigned char diff = (unsigned char)(la != lb);

	for (size_t i = 0; i < n; i++) {
		int ca = i < la ? (unsigned char)a[i] : 0;
		int cb = i < lb ? (unsigned char)b[i] : 0;

		if (fold_case) {
			ca = lower(ca);
			cb = lower(cb);
		}
		diff |= (unsigned char)(ca ^ cb);
	}
	return diff == 0;
}

static int
check_crypt(const char *pass, const char *hash)
{
	const char *r;
	int         ok;

	r = crypt_rn(pass, hash, &cdata, sizeof(cdata));
	ok = r != NULL && r[0] != '*' && ct_equal(r, hash, 0);
	explicit_bzero(&cdata, sizeof(cdata));
	return ok;
}

static int
check_nt(const char *pass, const char *hex)
{
	const char *r;
	int         ok;

	r = crypt_rn(pass, "$3$", &cdata, sizeof(cdata));
	ok = r != NULL && strncmp(r, "$3$$", 4) == 0 &&
	    ct_equal(r + 4, hex, 1);
	explicit_bzero(&cdata, sizeof(cdata));
	return ok;
}

/* System authentication: the shadow entry (the master runs as root), or
 * the passwd entry's own hash where no shadow is used.  Locked and empty
 * hashes never match: crypt_rn refuses "!..." and "*..." settings. */
static int
check_system(const char *user, const char *pass)
{
	struct spwd   *sp = getspnam(user);
	struct passwd *pw;
	const char    *hash = NULL;

	if (sp != NULL)
		hash = sp->sp_pwdp;
	else if ((pw = getpwnam(user)) != NULL)
		hash = pw->pw_passwd;
	endspent();
	if (hash == NULL || hash[0] == '\0' || strcmp(hash, "x") == 0)
		return 0;
	return check_crypt(pass, hash);
}

uint32_t
auth_verdict(const struct pc_config *cfg, const char *user, const char *pass)
{
	const struct pc_user *u = NULL;

	for (size_t i = 0; cfg != NULL && i < cfg->nusers; i++) {
		if (strcmp(cfg->users[i].name, user) == 0) {
			u = &cfg->users[i];
			break;
		}
	}
	if (u == NULL)          /* `users &DSN`: the file's users win */
		u = fleet_user(user);
	if (u != NULL && u->type == PC_PW_SYS)
		return check_system(user, pass) ? PC_E_OK : PC_E_BADCRYPT;
	if (u == NULL || u->secret == NULL)
		return PC_E_NOUSER;
	switch (u->type) {
	case PC_PW_SYS:
		break;
	case PC_PW_CL:
		return ct_equal(pass, u->secret, 0) ? PC_E_OK : PC_E_BADPASS;
	case PC_PW_CR:
		if (crypt3_valid(u->secret))
			return crypt3_check(pass, u->secret) ? PC_E_OK :
			    PC_E_BADCRYPT;
		return check_crypt(pass, u->secret) ? PC_E_OK : PC_E_BADCRYPT;
	case PC_PW_NT:
		return check_nt(pass, u->secret) ? PC_E_OK : PC_E_BADNT;
	}
	return PC_E_NOUSER;
}
