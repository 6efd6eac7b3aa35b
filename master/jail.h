/* The workers' user and jail, decided and checked by the master. */
#ifndef PC_MASTER_JAIL_H
#define PC_MASTER_JAIL_H

#include <stddef.h>
#include <sys/types.h>

#include "policy/policy.h"

#define JAIL_DEFAULT "/run/portcullis/empty"

/* Worker uid/gid: `setuid`/`setgid`, else user portcullis (if it exists)
 * or nobody, and its group.
 * Root: uid 0 or gid 0 for workers is refused.  Not root: the workers keep
 * the master's ids.  0 ok, -1 with err. */
int jail_ids(const struct pc_config *cfg, int privileged, uid_t *uid,
	    gid_t *gid, char *err, size_t errlen);
/* The chroot directory (cfg->chroot or JAIL_DEFAULT, created if it is the
 * default) must be a root-owned directory the worker ids cannot write.
 * *path receives an allocated copy.  0 ok, -1 with err. */
int jail_prepare(const struct pc_config *cfg, uid_t uid, gid_t gid,
	    char **path, char *err, size_t errlen);

#endif
