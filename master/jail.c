/*
 * The jail rule follows vsftpd: a chroot the sandboxed process can write
 * into lets it plant files (a fake /etc/passwd, libraries) that something
 * could later trust, so the directory must belong to root and not be
 * writable by the worker's uid or gid.  The check runs at start and again
 * at every reload.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "master/jail.h"

/* The system user the Debian package creates (debian/portcullis.postinst)
 * for the workers; hosts without it fall back to nobody, which other
 * daemons may share (docs/security.md). */
#define WORKER_USER   "portcullis"
#define WORKER_USER2  "nobody"
#define WORKER_GROUP2 "nogroup"

static int
default_ids(uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(WORKER_USER);
	struct group  *gr;

	if (pw == NULL)
		pw = getpwnam(WORKER_USER2);
	if (pw == NULL) {
		snprintf(err, errlen, "no user \"%s\" or \"%s\" for the "
		    "workers: add one or name one with setuid/setgid",
		    WORKER_USER, WORKER_USER2);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (*gid == 0 && (gr = getgrnam(WORKER_GROUP2)) != NULL)
		*gid = gr->gr_gid;
	return 0;
}

int
jail_ids(const struct pc_config *cfg, int privileged, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	struct passwd *pw;

	if (!privileged) {
		*uid = getuid();
		*gid = getgid();
		return 0;
	}
	if (!cfg->uid_set || !cfg->gid_set) {
		if (default_ids(uid, gid, err, errlen) != 0)
			return -1;
	}
	if (cfg->uid_set) {
		*uid = cfg->uid;
		/* `setuid` alone: that user's own group, if it has one */
		if (!cfg->gid_set && (pw = getpwuid(cfg->uid)) != NULL &&
		    pw->pw_gid != 0)
			*gid = pw->pw_gid;
	}
	if (cfg->gid_set)
		*gid = cfg->gid;
	if (*uid == 0 || *gid == 0) {
		snprintf(err, errlen, "workers would run with %s 0 (root): "
		    "refusing; name an unprivileged user with setuid/setgid",
		    *uid == 0 ? "uid" : "gid");
		return -1;
	}
	return 0;
}

static int
make_default(char *err, size_t errlen)
{
	if (mkdir("/run/portcullis", 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create /run/portcullis: %s",
		    strerror(errno));
		return -1;
	}
	if (mkdir(JAIL_DEFAULT, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", JAIL_DEFAULT,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
check_dir(const char *dir, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "jail %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "jail %s: not a directory", dir);
		return -1;
	}
	if (st.st_uid != 0) {
		snprintf(err, errlen, "jail %s: owned by uid %ld, must be "
		    "owned by root: refusing", dir, (long)st.st_uid);
		return -1;
	}
	if ((st.st_mode & S_IWOTH) ||
	    ((st.st_mode & S_IWGRP) && st.st_gid == gid) ||
	    ((st.st_mode & S_IWUSR) && st.st_uid == uid)) {
		snprintf(err, errlen, "jail %s: writable by the worker "
		    "(uid %ld, gid %ld; mode %04o): refusing", dir, (long)uid,
		    (long)gid, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
jail_prepare(const struct pc_config *cfg, uid_t uid, gid_t gid, char **path,
    char *err, size_t errlen)
{
	const char *dir = cfg->chroot != NULL ? cfg->chroot : JAIL_DEFAULT;

	if (cfg->chroot == NULL && make_default(err, errlen) != 0)
		return -1;
	if (check_dir(dir, uid, gid, err, errlen) != 0)
		return -1;
	*path = xstrdup(dir);
	return 0;
}
