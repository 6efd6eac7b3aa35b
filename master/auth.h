/* Password verdicts for AUTH_REQ, always against the current config. */
#ifndef PC_MASTER_AUTH_H
#define PC_MASTER_AUTH_H

#include <stdint.h>

#include "policy/policy.h"

/* 0 ok, 5 unknown user, 6 wrong CL, 7 wrong CR, 8 wrong NT password. */
uint32_t auth_verdict(const struct pc_config *cfg, const char *user,
	    const char *pass);

#endif
