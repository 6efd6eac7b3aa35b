/*
 * The master's coarse seccomp deny-list (mfilter.c): system calls no
 * part of portcullis makes, refused with EPERM.  Inherited by everything
 * the master starts (workers stack their allow-list on top; archivers and
 * the ODBC helper keep it).
 */
#ifndef PC_MASTER_MFILTER_H
#define PC_MASTER_MFILTER_H

/* mode: enum pc_sandbox_mode (PC_SANDBOX_LOG only logs, PC_SANDBOX_OFF
 * loads nothing).  Sets NO_NEW_PRIVS.  0, or -1 with err. */
int mfilter_load(int mode, char *err, size_t errlen);

/* The ODBC helper's addition: no exec either (the drivers do not). */
int mfilter_helper(int mode);

#endif
