/* Going to the background and the pid file. */
#ifndef PC_MASTER_DAEMON_H
#define PC_MASTER_DAEMON_H

void daemonize(void);                 /* the parent exits 0 */
int  pidfile_write(const char *path); /* 0 ok, -1 logged */
void pidfile_remove(void);            /* only a file this process wrote */

#endif
