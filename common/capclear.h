/*
 * Emptying the capability sets of the calling process: no ambient
 * capability, nothing effective, permitted or inheritable.  The master's
 * children (ODBC helpers, archivers) and every worker end up here.
 */
#ifndef PC_COMMON_CAPCLEAR_H
#define PC_COMMON_CAPCLEAR_H

/* 0, or -1 with a warning logged. */
int cap_clear_all(void);

#endif
