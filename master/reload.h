/* Reloading the configuration without dropping a connection. */
#ifndef PC_MASTER_RELOAD_H
#define PC_MASTER_RELOAD_H

#include <stdint.h>

#define DRAIN_GRACE_S 300   /* old workers finish their connections */

void reload_request(void);          /* SIGHUP, SIGUSR1, monitor */
/* The first generation was just spawned: READY=1 once it serves. */
void reload_first(void);
/* Called every loop turn: switches generations once the new one is ready
 * (or after the timeout), runs a pending reload.  Returns the next
 * deadline or 0. */
int64_t reload_tick(int64_t now);

#endif
