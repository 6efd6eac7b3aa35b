/*
 * Reading configuration files.  Names given inside a config (`include`,
 * `$file`) are opened non-blocking and must be regular files: a FIFO or a
 * device named there must not hang the master (or the fuzzer).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "conf/bundle.h"
#include "conf/readfile.h"

static int
read_all(int fd, char **buf, size_t *len, const char **why)
{
	size_t  cap = 4096, n = 0;
	char   *p = xmalloc(cap + 1);
	ssize_t r;

	for (;;) {
		if (n == cap) {
			if (cap >= CONF_FILE_MAX) {
				conf_wipe_free(p, cap + 1);
				*why = "file too large";
				return -1;
			}
			p = conf_wipe_grow(p, cap + 1, cap * 2 + 1);
			cap *= 2;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*why = strerror(errno);
			conf_wipe_free(p, cap + 1);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

int
conf_read_file(const char *path, bool regular_only, char **buf,
    size_t *len, const char **why)
{
	struct stat st;
	int         fd, flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
	int         rc;

	/* an exec'ed worker: the master's bytes, never the file system */
	if ((rc = conf_bundle_file(path, buf, len, why)) != 0)
		return rc > 0 ? 0 : -1;
	if (regular_only)
		flags |= O_NONBLOCK;
	if ((fd = open(path, flags)) < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (regular_only && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		*why = "not a regular file";
		return -1;
	}
	rc = read_all(fd, buf, len, why);
	close(fd);
	if (rc == 0)
		conf_bundle_saw_file(path, *buf, *len);
	return rc;
}

char *
conf_rooted(const char *root, const char *name)
{
	size_t rl;
	char  *p;

	if (root == NULL)
		return xstrdup(name);
	rl = strlen(root);
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (rl == 0)                    /* chroot /: names as written */
		return xstrdup(name);
	/* 3proxy chdirs to the jail's "/": a relative name is under DIR too */
	p = xmalloc(rl + 1 + strlen(name) + 1);
	memcpy(p, root, rl);
	p[rl] = '/';
	strcpy(p + rl + 1, name[0] == '/' ? name + 1 : name);
	return p;
}

void
conf_wipe_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}

void *
conf_wipe_grow(void *p, size_t oldn, size_t newn)
{
	char *q = xmalloc(newn);

	if (p != NULL) {
		memcpy(q, p, oldn < newn ? oldn : newn);
		conf_wipe_free(p, oldn);
	}
	return q;
}
