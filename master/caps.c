/*
 * What a root master keeps once it has started (issue 14 item 4).  Each
 * capability below is kept for something the code does after start-up;
 * everything else leaves the effective, permitted, inheritable and
 * bounding sets, so not even an exec can bring it back:
 *
 *   CAP_NET_BIND_SERVICE  a reload that adds a listener on a port < 1024
 *                         (listen.c binds in the master);
 *   CAP_SETUID, CAP_SETGID  every worker's setgroups/setresgid/setresuid
 *                         (worker/core/privdrop.c), after a fork;
 *   CAP_SYS_CHROOT        every worker's chroot into the jail;
 *   CAP_SETPCAP           every worker empties its own bounding set before
 *                         it gives up uid 0 (PR_CAPBSET_DROP needs it), and
 *                         the ODBC helper does the same;
 *   CAP_KILL              SIGKILL/SIGTERM to workers that run under
 *                         another uid (spawn.c worker_kill, reap, stop).
 *
 * Not kept, on purpose: CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (the
 * master reads its config, includes, password files and writes its logs,
 * pid and counter files as their owner, uid 0: a file of another user
 * that root may not read by its mode is refused at reload with the
 * file's name), CAP_CHOWN (nothing is chowned: log files stay root's),
 * CAP_SYS_RESOURCE (the descriptor limit is raised once before the drop,
 * and workers inherit it), CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW,
 * CAP_SYS_PTRACE and the rest.  The list is the systemd unit's
 * CapabilityBoundingSet (contrib/portcullis.service).
 *
 * SECBIT_NOROOT (locked): an exec by uid 0 gains no capability from being
 * root, so an archiver (/bin/gzip) or anything else the master starts runs
 * as uid 0 with no capability at all.  The fork+exec'ed workers get the
 * four they need for their drop through the ambient set (caps_worker_exec).
 */
#include <errno.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "common/capclear.h"
#include "common/log.h"
#include "master/caps.h"

static const cap_value_t kept[] = {
	CAP_NET_BIND_SERVICE, CAP_SETUID, CAP_SETGID, CAP_SYS_CHROOT,
	CAP_SETPCAP, CAP_KILL,
};
#define NKEPT (sizeof(kept) / sizeof(kept[0]))

/* what an exec'ed worker needs until its own drop */
static const cap_value_t worker_caps[] = {
	CAP_SETUID, CAP_SETGID, CAP_SYS_CHROOT, CAP_SETPCAP,
};
#define NWORKER (sizeof(worker_caps) / sizeof(worker_caps[0]))

static bool
is_kept(int c)
{
	for (size_t i = 0; i < NKEPT; i++)
		if (kept[i] == c)
			return true;
	return false;
}

/* A capability already missing from the bounding set (a container, the
 * systemd unit) is skipped. */
static int
lower_bounding(bool (*keep)(int), char *err, size_t errlen)
{
	int r;

	for (int c = 0; (r = prctl(PR_CAPBSET_READ, c, 0, 0, 0)) >= 0; c++)
		if (r == 1 && !keep(c) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
			snprintf(err, errlen, "PR_CAPBSET_DROP %d: %s", c,
			    strerror(errno));
			return -1;
		}
	return 0;
}

int
caps_master_drop(char *err, size_t errlen)
{
	cap_t caps;
	int   rc = 0;

	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED,
	    0, 0, 0) != 0) {
		snprintf(err, errlen, "PR_SET_SECUREBITS: %s", strerror(errno));
		return -1;
	}
	if (lower_bounding(is_kept, err, errlen) != 0)
		return -1;
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if ((caps = cap_init()) == NULL) {
		snprintf(err, errlen, "cap_init: %s", strerror(errno));
		return -1;
	}
	/* a capability the master was started without stays absent:
	 * cap_set_proc refuses to add to the permitted set */
	if (cap_set_flag(caps, CAP_PERMITTED, NKEPT, kept, CAP_SET) != 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, NKEPT, kept, CAP_SET) != 0 ||
	    cap_set_flag(caps, CAP_INHERITABLE, NWORKER, worker_caps,
	    CAP_SET) != 0)
		rc = -1;
	if (rc == 0 && cap_set_proc(caps) != 0) {
		cap_t have = cap_get_proc();

		/* started with fewer: keep the intersection */
		for (size_t i = 0; have != NULL && i < NKEPT; i++) {
			cap_flag_value_t v = CAP_CLEAR;

			cap_get_flag(have, kept[i], CAP_PERMITTED, &v);
			if (v == CAP_CLEAR) {
				cap_set_flag(caps, CAP_PERMITTED, 1, &kept[i],
				    CAP_CLEAR);
				cap_set_flag(caps, CAP_EFFECTIVE, 1, &kept[i],
				    CAP_CLEAR);
				cap_set_flag(caps, CAP_INHERITABLE, 1,
				    &kept[i], CAP_CLEAR);
			}
		}
		if (have != NULL)
			cap_free(have);
		rc = cap_set_proc(caps);
	}
	if (rc != 0)
		snprintf(err, errlen, "cap_set_proc: %s", strerror(errno));
	cap_free(caps);
	return rc;
}

/* In the child between fork and exec: the worker's four capabilities
 * cross the exec through the ambient set (SECBIT_NOROOT would drop them
 * otherwise).  Only those the master still has are raised. */
void
caps_worker_exec(void)
{
	for (size_t i = 0; i < NWORKER; i++)
		(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, worker_caps[i],
		    0, 0);
}

static bool
keep_none(int c)
{
	(void)c;
	return false;
}

int
caps_drop_all(void)
{
	char err[128];

	if (lower_bounding(keep_none, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	return cap_clear_all();
}
