/* Signals of the master: handlers set flags and wake the loop through a
 * self-pipe; the loop does the work. */
#ifndef PC_MASTER_SIGNALS_H
#define PC_MASTER_SIGNALS_H

#define SIGF_RELOAD 0x1   /* SIGHUP, SIGUSR1 */
#define SIGF_REOPEN 0x2   /* SIGUSR2 */
#define SIGF_STOP   0x4   /* SIGTERM, SIGINT */
#define SIGF_CHILD  0x8   /* SIGCHLD */

int      signals_init(void);       /* returns the pipe's read end */
unsigned signals_take(void);       /* drains the pipe, returns SIGF_ bits */
void     signals_child_reset(void);/* in a forked child: defaults back */

#endif
