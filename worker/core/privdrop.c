/*
 * privdrop_apply (sandbox.h): jail, identities, capabilities.  The caller
 * has already done everything that needs files (tzset() for local-time log
 * fields, the resolver's resolv.conf, epoll), because the jail is empty.
 */
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/capclear.h"
#include "common/log.h"
#include "worker/core/sandbox.h"

/* Needs CAP_SETPCAP, so it runs while we are still root.  A capability
 * already missing from the bounding set is skipped (containers). */
static int
drop_bounding(void)
{
	int r;

	/* PR_CAPBSET_READ fails past the kernel's last capability */
	for (int c = 0; (r = prctl(PR_CAPBSET_READ, c, 0, 0, 0)) >= 0; c++)
		if (r == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
			log_warn("PR_CAPBSET_DROP %d", c);
			return -1;
		}
	return 0;
}

static int
verify(const struct pc_worker_args *a)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    ru != a->uid || eu != a->uid || su != a->uid ||
	    rg != a->gid || eg != a->gid || sg != a->gid) {
		log_warnx("privdrop: ids are not the expected ones");
		return -1;
	}
	if (a->uid != 0 && setuid(0) == 0) {
		log_warnx("privdrop: uid 0 could be regained");
		return -1;
	}
	return 0;
}

int
privdrop_apply(const struct pc_worker_args *a)
{
	static int warned;

	if (!a->privileged) {
		if (!warned++)
			log_warnx("not running as root: no chroot, no setuid");
		return 0;
	}
	if (chroot(a->jail) != 0 || chdir("/") != 0) {
		log_warn("chroot %s", a->jail);
		return -1;
	}
	if (drop_bounding() != 0)
		return -1;
	if (setgroups(0, NULL) != 0 ||
	    setresgid(a->gid, a->gid, a->gid) != 0 ||
	    setresuid(a->uid, a->uid, a->uid) != 0) {
		log_warn("setgroups/setresgid/setresuid %ld:%ld",
		    (long)a->uid, (long)a->gid);
		return -1;
	}
	if (cap_clear_all() != 0)
		return -1;
	return verify(a);
}
