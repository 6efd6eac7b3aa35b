/* `force` (3proxy's default): may a draining worker's open connection go
 * on under the configuration now in force?  docs/portcullis.cfg.5. */
#ifndef PC_MASTER_RECHECK_H
#define PC_MASTER_RECHECK_H

#include <stdint.h>

#include "common/ipc_msg.h"
#include "master/master.h"

/* The %E code that closes the connection q describes, of service svc of
 * generation g, or 0 when it may go on. */
uint32_t recheck_verdict(const struct gen *g, uint16_t svc,
	    const struct pc_msg_auth_req *q);

#endif
