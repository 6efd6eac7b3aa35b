/* `monitor FILE`: reload when a watched file changes. */
#ifndef PC_MASTER_MONITOR_H
#define PC_MASTER_MONITOR_H

#include <stdbool.h>

#include "policy/policy.h"

void monitor_reset(const struct pc_config *cfg);  /* new baseline */
bool monitor_changed(void);                       /* polled every 2 s */

#endif
