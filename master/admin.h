/* The master's answers to the admin service (ADMIN_REQ, ipc_msg.h). */
#ifndef PC_MASTER_ADMIN_H
#define PC_MASTER_ADMIN_H

#include "common/ipc_msg.h"
#include "master/master.h"

/* Fills rep from the master's own data only: nothing of the request but
 * its kind is used.  w is the asking worker (already checked to be an
 * admin worker). */
void admin_answer(const struct worker *w, const struct pc_msg_admin_req *q,
	    struct pc_msg_admin_rep *rep);

#endif
