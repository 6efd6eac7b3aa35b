/* The master's event loop: worker IPC, signals, timers.  Never returns. */
#ifndef PC_MASTER_LOOP_H
#define PC_MASTER_LOOP_H

void master_loop(void) __attribute__((noreturn));

/* Stops as SIGTERM does, then exits with status. */
void master_stop(int status);

#endif
