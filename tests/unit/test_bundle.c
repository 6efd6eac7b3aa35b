/*
 * The configuration bundle (conf/bundle.h): what the master records while
 * loading, a worker parses into the same model with no file system at
 * all.  For every tests/conf/NAME.cfg (run from the top of the tree) and
 * for a config made here with `include`, `$file`, `setuid NAME` and
 * `setgid NAME`, the bundle is parsed again in a child whose open() and
 * openat() fail (seccomp, ENOENT) and printed; the printing must equal the
 * master's.  A malformed or foreign bundle is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/bundle.h"
#include "conf/conf.h"
#include "policy/print.h"
#include "tests/unit/check.h"

static char err[1024];

static char *
print(const struct pc_config *cfg)
{
	struct pc_text t = { 0 };
	char          *s;

	pc_print_config(&t, cfg, PC_PRINT_ORIGIN, NULL);
	s = strndup(t.p != NULL ? t.p : "", t.len);
	pc_text_free(&t);
	return s;
}

static void
no_files(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT), SCMP_SYS(open), 0);
	seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT), SCMP_SYS(openat), 0);
	if (seccomp_load(ctx) != 0)
		_exit(3);
	seccomp_release(ctx);
}

/* The bundle's model printed by a child without files; NULL: refused. */
static char *
replayed(const struct conf_bundle *b)
{
	int     fd[2];
	pid_t   pid;
	char   *out = NULL;
	size_t  len = 0;
	FILE   *f;
	int     st;

	if (pipe(fd) != 0)
		return NULL;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		struct pc_config *cfg;
		char             *s;

		close(fd[0]);
		no_files();
		if ((cfg = conf_bundle_parse(b->p, b->len, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "replay: %s\n", err);
			_exit(1);
		}
		s = print(cfg);
		if (write(fd[1], s, strlen(s)) != (ssize_t)strlen(s))
			_exit(2);
		_exit(0);
	}
	close(fd[1]);
	f = open_memstream(&out, &len);
	for (;;) {
		char    buf[4096];
		ssize_t n = read(fd[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, f);
	}
	fclose(f);
	close(fd[0]);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void
round_trip(const char *path)
{
	struct conf_src    src = { .path = path };
	struct conf_bundle b;
	struct pc_config  *cfg;
	char              *a, *r;

	cfg = conf_bundle_load(&src, &b, err, sizeof(err));
	CHECK(cfg != NULL);
	if (cfg == NULL) {
		fprintf(stderr, "%s: %s\n", path, err);
		conf_bundle_free(&b);
		return;
	}
	a = print(cfg);
	r = replayed(&b);
	CHECK(r != NULL);
	if (r != NULL && strcmp(a, r) != 0)
		fprintf(stderr, "%s: the replayed model prints differently\n",
		    path);
	CHECK(r != NULL && strcmp(a, r) == 0);
	free(a);
	free(r);
	pc_config_free(cfg);
	conf_bundle_free(&b);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

int
main(void)
{
	char               dir[] = "/tmp/pc-bundle-XXXXXX", p[256], q[256];
	char               text[1024];
	DIR               *d = opendir("tests/conf");
	struct dirent     *e;
	struct conf_bundle b;
	int                n = 0;

	conf_set_warn_stream(NULL);
	CHECK(d != NULL);
	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l < 5 || strcmp(e->d_name + l - 4, ".cfg") != 0)
			continue;
		snprintf(p, sizeof(p), "tests/conf/%s", e->d_name);
		round_trip(p);
		n++;
	}
	if (d != NULL)
		closedir(d);
	CHECK(n >= 5);

	/* include, $file and names resolved through NSS */
	CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/inc.cfg", dir);
	write_file(p, "users alice:CL:secret\nmaxconn 77\n");
	snprintf(q, sizeof(q), "%s/ports", dir);
	write_file(q, "3128");
	snprintf(text, sizeof(text), "setuid nobody\nsetgid nogroup\n"
	    "include %s/inc.cfg\nauth strong\nallow alice\n"
	    "proxy -i127.0.0.1 -p$%s\n", dir, q);
	snprintf(p, sizeof(p), "%s/main.cfg", dir);
	write_file(p, text);
	round_trip(p);
	unlink(q);
	snprintf(q, sizeof(q), "%s/inc.cfg", dir);
	unlink(q);
	unlink(p);
	rmdir(dir);

	/* a text config (stdin, embedded) */
	{
		struct conf_src   src = { .text = conf_default_text,
		    .name = "<embedded>" };
		struct pc_config *cfg = conf_bundle_load(&src, &b, err,
		    sizeof(err));
		char             *a, *r;

		CHECK(cfg != NULL);
		a = cfg != NULL ? print(cfg) : NULL;
		r = replayed(&b);
		CHECK(a != NULL && r != NULL && strcmp(a, r) == 0);
		free(a);
		free(r);
		pc_config_free(cfg);
		conf_bundle_free(&b);
	}

	/* refused: not a bundle, a cut one, a file it does not hold */
	CHECK(conf_bundle_parse("hello", 5, err, sizeof(err)) == NULL);
	{
		struct conf_src   src = { .path = "tests/conf/include.cfg" };
		struct pc_config *cfg = conf_bundle_load(&src, &b, err,
		    sizeof(err));

		CHECK(cfg != NULL);
		pc_config_free(cfg);
		b.len -= 3;
		CHECK(replayed(&b) == NULL);
		b.len += 3;
		/* the include's entry renamed: "not in the bundle" */
		for (size_t off = 8, hit = 0; off + 9 <= b.len;) {
			uint32_t kl, vl;

			memcpy(&kl, b.p + off + 1, 4);
			memcpy(&vl, b.p + off + 5, 4);
			if (b.p[off] == 'F' && kl > 4 && memmem(b.p + off + 9,
			    kl, "inc/", 4) != NULL && !hit++)
				b.p[off + 9] = 'X';
			off += 9 + kl + vl;
		}
		CHECK(replayed(&b) == NULL);
		conf_bundle_free(&b);
	}
	return check_summary("test_bundle");
}
