/*
 * `auth` (snapshot state: the chain for later services) and `users` (the
 * global account table, docs/portcullis.cfg.5, Authentication).
 */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipc_msg.h"
#include "common/xmalloc.h"
#include "conf/state.h"
#include "common/crypt3.h"

static const char *const auth_later[] = {
	"cacheacl", "dnsname", "ldap", "pam", "radius", "utf8tocp1251",
	"windows",
};

int
cmd_auth(struct conf_state *st, size_t argc, char **argv)
{
	enum pc_auth_type chain[PC_AUTH_MAX];

	for (size_t i = 1; i < argc; i++) {
		const char *t = argv[i];

		if (strcmp(t, "none") == 0)
			chain[i - 1] = PC_AUTH_NONE;
		else if (strcmp(t, "iponly") == 0)
			chain[i - 1] = PC_AUTH_IPONLY;
		else if (strcmp(t, "strong") == 0)
			chain[i - 1] = PC_AUTH_STRONG;
		else if (strcmp(t, "useronly") == 0)
			chain[i - 1] = PC_AUTH_USERONLY;
		else if (strcmp(t, "cache") == 0)
			chain[i - 1] = PC_AUTH_CACHE;
		else if (strcmp(t, "nbname") == 0)
			chain[i - 1] = PC_AUTH_NBNAME;
		else {
			for (size_t k = 0; k < sizeof(auth_later) /
			    sizeof(auth_later[0]); k++)
				if (strcmp(t, auth_later[k]) == 0)
					return conf_err(st, t,
					    "not supported yet");
			return conf_err(st, t, "unknown auth type");
		}
	}
	memcpy(st->auth, chain, (argc - 1) * sizeof(chain[0]));
	st->nauth = argc - 1;
	return 0;
}

static const char des_chars[] = "./0123456789"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Messages name the user, never the whole entry: it holds the secret. */
static int
check_secret(struct conf_state *st, const char *name, enum pc_pwtype type,
    char *secret)
{
	int  cs;
	bool des;

	switch (type) {
	case PC_PW_CL:
		/* a client cannot send more (RFC 1929, and our IPC limit) */
		if (strlen(secret) > PC_IPC_PASS_MAX)
			return conf_err(st, name, "password too long "
			    "(at most %d bytes)", PC_IPC_PASS_MAX);
		return 0;
	case PC_PW_NT:
		if (strlen(secret) != 32 ||
		    strspn(secret, "0123456789abcdefABCDEF") != 32)
			return conf_err(st, name, "NT hash must be 32 hex "
			    "digits");
		for (char *p = secret; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'F')
				*p += 'a' - 'A';
		return 0;
	case PC_PW_CR:
		/* 3proxy 1.0's BLAKE2b "$3$SALT$HASH" (3proxy_crypt) */
		if (strncmp(secret, "$3$", 3) == 0 &&
		    strchr(secret + 3, '$') != NULL) {
			if (!crypt3_valid(secret))
				return conf_err(st, name, "not a 3proxy "
				    "$3$SALT$HASH (salt of at most %d bytes, "
				    "22-character hash)", CRYPT3_SALT_MAX);
			return 0;
		}
		/* refuse now what crypt() could never verify later: a "$id$"
		 * hash of a method libxcrypt has, or a 13-character DES one
		 * (checksalt looks only at the method and salt part) */
		cs = crypt_checksalt(secret);
		des = strlen(secret) == 13 && strspn(secret, des_chars) == 13;
		if (cs == CRYPT_SALT_INVALID ||
		    cs == CRYPT_SALT_METHOD_DISABLED ||
		    (secret[0] != '$' && !des))
			return conf_err(st, name, "not a crypt(3) hash this "
			    "system supports");
		return 0;
	case PC_PW_SYS:
		return 0;
	}
	return 0;
}

static int
parse_type(struct conf_state *st, const char *name, const char *rest,
    enum pc_pwtype *type, const char **secret)
{
	*type = PC_PW_CL;
	*secret = rest;
	/* "XX:secret" with two capitals is a type; anything else is a
	 * cleartext password (the name:secret form) */
	if (!(rest[0] >= 'A' && rest[0] <= 'Z' && rest[1] >= 'A' &&
	    rest[1] <= 'Z' && rest[2] == ':'))
		return 0;
	*secret = rest + 3;
	if (strncmp(rest, "CL", 2) == 0)
		*type = PC_PW_CL;
	else if (strncmp(rest, "CR", 2) == 0)
		*type = PC_PW_CR;
	else if (strncmp(rest, "NT", 2) == 0)
		*type = PC_PW_NT;
	else
		return conf_err(st, name, "unknown password type '%.2s' "
		    "(expected CL, CR or NT)", rest);
	return 0;
}

static void
user_set(struct conf_state *st, char *name, enum pc_pwtype type,
    char *secret)
{
	struct pc_config *cfg = st->cfg;
	struct pc_user   *u = NULL;

	for (size_t i = 0; i < cfg->nusers && u == NULL; i++)
		if (strcmp(cfg->users[i].name, name) == 0)
			u = &cfg->users[i];
	if (u != NULL) {
		conf_warn(st, "user '%s' defined again: the later entry wins",
		    name);
		if (u->secret != NULL) {
			explicit_bzero(u->secret, strlen(u->secret));
			free(u->secret);
		}
		free(name);
	} else {
		u = conf_push(&cfg->users, &cfg->nusers, sizeof(*u));
		u->name = name;
	}
	u->type = type;
	u->secret = secret;
}

static int
add_user(struct conf_state *st, const char *spec)
{
	const char     *colon = strchr(spec, ':'), *secret;
	enum pc_pwtype  type;
	char           *name, *s;
	size_t          nlen;

	if (colon == NULL) {
		/* system authentication: the master checks the password
		 * database at each login
		 * (docs/3proxy-differences.md, decision 11) */
		if (spec[0] == '\0' || strlen(spec) > PC_IPC_USER_MAX)
			return conf_err(st, spec, "invalid user name");
		user_set(st, xstrdup(spec), PC_PW_SYS, NULL);
		return 0;
	}
	nlen = (size_t)(colon - spec);
	name = xstrndup(spec, nlen);
	if (nlen == 0 || nlen > PC_IPC_USER_MAX) {
		free(name);
		if (nlen == 0)
			return conf_err(st, "users", "empty user name");
		return conf_err(st, "users", "user name too long (at most %d "
		    "bytes)", PC_IPC_USER_MAX);
	}
	if (parse_type(st, name, colon + 1, &type, &secret) != 0) {
		free(name);
		return -1;
	}
	s = xstrdup(secret);
	if (check_secret(st, name, type, s) != 0) {
		explicit_bzero(s, strlen(s));
		free(s);
		free(name);
		return -1;
	}
	user_set(st, name, type, s);
	return 0;
}

/* FLAGS are matched by word, as 3proxy matches them by substring:
 * "ip,user,password" and "user,pass" both work. */
int
cmd_authcache(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_authcache ac = { 0, 600, 262144 };
	char               *flags = xstrdup(argv[1]), *save = NULL, *w;
	int                 rc = 0;

	for (w = strtok_r(flags, ",", &save); w != NULL && rc == 0;
	    w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "ip") == 0)
			ac.flags |= PC_AUTHCACHE_IP;
		else if (strcmp(w, "user") == 0)
			ac.flags |= PC_AUTHCACHE_USER;
		else if (strcmp(w, "pass") == 0 || strcmp(w, "password") == 0)
			ac.flags |= PC_AUTHCACHE_PASS;
		else if (strcmp(w, "limit") == 0)
			ac.flags |= PC_AUTHCACHE_LIMIT;
		else if (strcmp(w, "acl") == 0 || strcmp(w, "ext") == 0 ||
		    strncmp(w, "dst", 3) == 0 || strncmp(w, "srv", 3) == 0)
			rc = conf_err(st, w, "authcache flag not supported yet");
		else
			rc = conf_err(st, w, "unknown authcache flag");
	}
	free(flags);
	if (rc != 0)
		return -1;
	if (ac.flags == PC_AUTHCACHE_LIMIT || ac.flags == 0)
		return conf_err(st, argv[1], "authcache needs ip, user or "
		    "password");
	if ((ac.flags & PC_AUTHCACHE_LIMIT) &&
	    (ac.flags & (PC_AUTHCACHE_IP | PC_AUTHCACHE_USER)) !=
	    (PC_AUTHCACHE_IP | PC_AUTHCACHE_USER))
		return conf_err(st, argv[1], "limit needs ip and user");
	if (argc > 2 && conf_uint(argv[2], 1, 86400 * 365, &ac.ttl_s) != 0)
		return conf_err(st, argv[2], "invalid time");
	if (argc > 3 && conf_uint(argv[3], 1, 16777216, &ac.max) != 0)
		return conf_err(st, argv[3], "invalid number of entries");
	st->cfg->authcache = ac;
	return 0;
}

int
cmd_users(struct conf_state *st, size_t argc, char **argv)
{
	struct pc_fleet *f = &st->cfg->fleet;

	for (size_t i = 1; i < argc; i++) {
		if (argv[i][0] == '&') {      /* ours: docs/fleet.md */
			if (f->udsn != NULL)
				return conf_err(st, argv[i], "a second users "
				    "database (one `users &DSN` at most)");
			if (conf_odbc_spec(st, argv[i], argv[i] + 1, &f->udsn,
			    &f->uuser, &f->upass) != 0)
				return -1;
			f->upass_set = f->upass != NULL;
			continue;
		}
		if (add_user(st, argv[i]) != 0)
			return -1;
	}
	return 0;
}
