/*
 * portcullis-crypt: make the secret of a `users` entry, as the HowTo's
 * mycrypt did.  CR entries get a crypt(3) hash (MD5-crypt by default,
 * SHA-512-crypt or yescrypt on request), NT entries the NT hash.  Every
 * hash comes from libxcrypt, the library master/auth.c verifies them with,
 * so the tool and the server agree by construction; the "blake2" method
 * is 3proxy 1.0's "$3$" (common/crypt3.c, the server's own check).
 * Without any option the tool is 3proxy_crypt: PASSWORD prints NT:HEX,
 * SALT PASSWORD prints CR:$3$SALT$HASH (3proxy's add3proxyuser.sh calls
 * it so).
 * docs/portcullis-crypt.8 is the user's description.
 */
#include <sys/random.h>

#include <crypt.h>
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/ipc_msg.h"
#include "common/crypt3.h"

#define EX_FAIL    1
#define EX_BADUSE  2

/* A client cannot send a longer password (RFC 1929, and the IPC limit
 * the master checks): a longer one would make a hash nobody can match. */
#define PASS_MAX   PC_IPC_PASS_MAX

static const char salt_chars[] = "./0123456789"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

struct method {
	const char *name;
	const char *prefix;    /* crypt_gensalt prefix, "$id$" */
	size_t      salt_max;  /* longest -s salt; 0: -s refused */
};

static const struct method methods[] = {
	{ "md5",      "$1$", 8 },
	{ "sha512",   "$6$", 16 },
	/* a yescrypt setting encodes the cost next to the salt: no -s */
	{ "yescrypt", "$y$", 0 },
	/* 3proxy 1.0's BLAKE2b (3proxy_crypt SALT PASSWORD) */
	{ "blake2",   "$3$", CRYPT3_SALT_MAX },
};
#define BLAKE2 (&methods[3])

struct opts {
	const struct method *m;
	int                  nt;
	int                  from_stdin;
	const char          *salt;
	const char          *user;
	char                *pw_arg;   /* the password operand, or NULL */
	int                  tag;      /* 3proxy_crypt form: NT: / CR: */
};

static struct crypt_data cdata;    /* 32 KB and holds the password */
static char              pw[PASS_MAX + 2];
static volatile sig_atomic_t got_signal;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: portcullis-crypt password | -\n"
	    "       portcullis-crypt salt password | -\n"
	    "       portcullis-crypt [-n | -m md5|sha512|yescrypt|blake2] "
	    "[-s salt] [-u name] password | -\n"
	    "       portcullis-crypt [-m method] [-u name] salt password | -\n"
	    "       portcullis-crypt [-n | -m method] [-s salt] [-u name] "
	    "-r\n");
	exit(EX_BADUSE);
}

static const struct method *
find_method(const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

/* The entry is pasted into a config or a password file: refuse what its
 * parser would split or eat (':' ends the name, ',' separates ACL user
 * lists, blanks separate words, '"' quotes, '$' includes, '#' comments). */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PC_IPC_USER_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f ||
		    strchr(":,\"$#", *s) != NULL)
			return 0;
	return 1;
}

static int
check_salt(const struct opts *o)
{
	size_t n = strlen(o->salt);

	if (o->nt) {
		warnx("NT hashes have no salt");
		return -1;
	}
	if (o->m->salt_max == 0) {
		warnx("%s makes its own salt: -s is for md5 and sha512",
		    o->m->name);
		return -1;
	}
	if (o->m == BLAKE2) {
		/* any word a users line keeps whole: 3proxy_crypt takes any
		 * salt (add3proxyuser.sh gives its pid), '$' would end it */
		for (const char *p = o->salt; *p != '\0'; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f ||
			    strchr("$\"", *p) != NULL)
				n = 0;
		if (n == 0 || n > o->m->salt_max) {
			warnx("blake2 salt must be 1 to %zu bytes without "
			    "blanks, '$' or '\"'", o->m->salt_max);
			return -1;
		}
		return 0;
	}
	if (n == 0 || n > o->m->salt_max || strspn(o->salt, salt_chars) != n) {
		warnx("%s salt must be 1 to %zu characters of [./0-9A-Za-z]",
		    o->m->name, o->m->salt_max);
		return -1;
	}
	return 0;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	int c, nm = 0, nopt = 0;

	memset(o, 0, sizeof(*o));
	o->m = &methods[0];
	while ((c = getopt(argc, argv, "m:nrs:u:")) != -1) {
		switch (c) {
		case 'm':
			if ((o->m = find_method(optarg)) == NULL) {
				warnx("unknown method '%s'", optarg);
				usage();
			}
			nm++;
			break;
		case 'n': o->nt = 1; break;
		case 'r': o->from_stdin = 1; break;
		case 's': o->salt = optarg; break;
		case 'u': o->user = optarg; break;
		default: usage();
		}
		nopt++;
	}
	argc -= optind;
	argv += optind;
	/* no option at all: 3proxy_crypt's interface */
	if (nopt == 0 && argc >= 1 && argc <= 2) {
		o->tag = 1;
		if (argc == 1)
			o->nt = 1;
		else
			o->m = BLAKE2;
	}
	if (o->nt && nm > 0) {
		warnx("-n makes an NT hash, which has no crypt method");
		usage();
	}
	if (o->from_stdin ? argc != 0 : (argc < 1 || argc > 2))
		usage();
	if (argc == 2) {
		/* mycrypt's form: salt, then password */
		if (o->salt != NULL)
			usage();
		o->salt = argv[0];
	}
	if (argc > 0 && strcmp(argv[argc - 1], "-") == 0)
		o->from_stdin = 1;
	else if (argc > 0)
		o->pw_arg = argv[argc - 1];
	if (o->salt != NULL && check_salt(o) != 0)
		usage();
	if (o->user != NULL && !name_ok(o->user)) {
		warnx("-u: a user name is 1 to %d bytes without blanks or "
		    "any of : , \" $ #", PC_IPC_USER_MAX);
		usage();
	}
}

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* On a terminal: prompt, and no echo.  The handlers are installed without
 * SA_RESTART so ^C ends the read and the echo is restored before exit. */
static int
tty_quiet(struct termios *saved)
{
	struct sigaction sa;
	struct termios   t;
	int              sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, saved) != 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	t = *saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0)
		return 0;
	fputs("Password: ", stderr);
	return 1;
}

/* One line from fd 0, read a byte at a time: nothing beyond the line is
 * consumed, and no stdio buffer keeps a copy of the password. */
static int
read_line(void)
{
	size_t  n = 0;
	ssize_t r;
	char    ch;

	while ((r = read(STDIN_FILENO, &ch, 1)) == 1 && ch != '\n') {
		if (ch == '\0') {
			warnx("the password on standard input has a NUL byte");
			return -1;
		}
		if (n == PASS_MAX) {
			warnx("password too long (at most %d bytes)", PASS_MAX);
			return -1;
		}
		pw[n++] = ch;
	}
	if (r < 0) {
		if (got_signal != 0)
			warnx("interrupted");
		else
			warn("standard input");
		return -1;
	}
	if (n > 0 && pw[n - 1] == '\r')
		n--;
	pw[n] = '\0';
	return 0;
}

static int
read_password(void)
{
	struct termios saved;
	int            quiet = tty_quiet(&saved), rc;

	rc = read_line();
	if (quiet) {
		fputc('\n', stderr);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	}
	return rc;
}

static int
get_password(const struct opts *o)
{
	if (o->from_stdin) {
		if (read_password() != 0)
			return -1;
	} else {
		if (strlen(o->pw_arg) > PASS_MAX) {
			warnx("password too long (at most %d bytes)", PASS_MAX);
			return -1;
		}
		strcpy(pw, o->pw_arg);
		/* shortens the time it shows in ps; it still went through
		 * the shell and its history, hence -r */
		explicit_bzero(o->pw_arg, strlen(o->pw_arg));
	}
	if (pw[0] == '\0') {
		warnx("empty password");
		return -1;
	}
	return 0;
}

static int
make_setting(const struct opts *o, char *buf, size_t size)
{
	char rnd[16];
	int  ok;

	if (o->salt != NULL) {
		snprintf(buf, size, "%s%s$", o->m->prefix, o->salt);
		return 0;
	}
	if (o->m == BLAKE2) {
		if (getrandom(rnd, 8, 0) != 8) {
			warn("getrandom");
			return -1;
		}
		for (size_t i = 0; i < 8; i++)
			buf[i] = salt_chars[(unsigned char)rnd[i] % 64];
		buf[8] = '\0';
		explicit_bzero(rnd, sizeof(rnd));
		return 0;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		warn("getrandom");
		return -1;
	}
	ok = crypt_gensalt_rn(o->m->prefix, 0, rnd, (int)sizeof(rnd), buf,
	    (int)size) != NULL;
	explicit_bzero(rnd, sizeof(rnd));
	if (!ok)
		warn("crypt_gensalt %s", o->m->name);
	return ok ? 0 : -1;
}

/* libxcrypt's "$3$" method is the NT hash and answers "$3$$" and 32
 * lower-case hex digits; NT entries are written in upper case (pwdump,
 * Samba, the HowTo), which the server accepts in either case. */
static int
hash_nt(char *out, size_t size)
{
	const char *r = crypt_rn(pw, "$3$", &cdata, sizeof(cdata));

	if (r == NULL || strncmp(r, "$3$$", 4) != 0 || strlen(r + 4) != 32 ||
	    size <= 32) {
		warnx("libxcrypt made no NT hash");
		return -1;
	}
	for (size_t i = 0; i <= 32; i++) {
		char ch = r[4 + i];

		out[i] = ch >= 'a' && ch <= 'f' ? ch - ('a' - 'A') : ch;
	}
	return 0;
}

static int
hash_cr(const struct opts *o, char *out, size_t size)
{
	char        setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *r;

	if (make_setting(o, setting, sizeof(setting)) != 0)
		return -1;
	if (o->m == BLAKE2) {
		const char *salt = o->salt != NULL ? o->salt : setting;

		if (size < CRYPT3_OUT_MAX ||
		    crypt3_make(pw, salt, strlen(salt), out) != 0) {
			warnx("no blake2 hash made");
			return -1;
		}
		return 0;
	}
	r = crypt_rn(pw, setting, &cdata, sizeof(cdata));
	/* a failed crypt_rn answers NULL or a string starting with '*' */
	if (r == NULL || r[0] == '*' || strlen(r) >= size) {
		warnx("libxcrypt made no %s hash", o->m->name);
		return -1;
	}
	strcpy(out, r);
	return 0;
}

/* Windows and Samba hash the UTF-16LE of the characters; libxcrypt widens
 * each byte instead (it reads the password as ISO-8859-1).  Both are the
 * same for ASCII only. */
static void
warn_nt_nonascii(void)
{
	for (const char *p = pw; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80) {
			warnx("warning: non-ASCII password: this NT hash takes "
			    "each byte as one character (ISO-8859-1); "
			    "portcullis accepts it, but it differs from a "
			    "Windows or Samba NT hash of the same password");
			return;
		}
	}
}

int
main(int argc, char **argv)
{
	struct opts o;
	char        out[CRYPT_OUTPUT_SIZE];
	int         rc;

	parse_args(argc, argv, &o);
	rc = get_password(&o);
	if (rc == 0 && o.nt) {
		warn_nt_nonascii();
		rc = hash_nt(out, sizeof(out));
	} else if (rc == 0) {
		rc = hash_cr(&o, out, sizeof(out));
	}
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(&cdata, sizeof(cdata));
	if (rc != 0)
		return EX_FAIL;
	if (o.user != NULL)
		printf("%s:%s:", o.user, o.nt ? "NT" : "CR");
	else if (o.tag)
		printf("%s:", o.nt ? "NT" : "CR");
	printf("%s\n", out);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn("standard output");
		return EX_FAIL;
	}
	return 0;
}
