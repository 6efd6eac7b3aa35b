/*
 * The worker's confinement, applied by worker_main() in this order after
 * the descriptors it keeps are open and dns_init() has read what it needs:
 *
 *   privdrop_apply: chroot into the jail and chdir("/"), setgroups(0, NULL),
 *     setresgid, setresuid, then drop every capability (libcap) and check
 *     that none is left and that uid 0 cannot be regained.  Unprivileged
 *     start: warns once and skips all of it.
 *   sandbox_apply: PR_SET_NO_NEW_PRIVS, then the libseccomp allow-list of
 *     the syscalls an event-driven relay needs; default action kills the
 *     process (PC_SANDBOX_ENFORCE), logs (PC_SANDBOX_LOG), or no filter
 *     (PC_SANDBOX_OFF, NO_NEW_PRIVS still set).
 *
 * Both return 0 or -1 after logging why; the worker then exits with
 * PC_EX_CONFIG (the master does not respawn a worker that cannot confine
 * itself).
 */
#ifndef PC_WORKER_SANDBOX_H
#define PC_WORKER_SANDBOX_H

#include "worker/core/worker.h"

int privdrop_apply(const struct pc_worker_args *a);
int sandbox_apply(int mode);    /* enum pc_sandbox_mode */

#endif
