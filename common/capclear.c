/*
 * Emptying the capability sets (capclear.h).
 */
#include <stddef.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "common/capclear.h"
#include "common/log.h"

int
cap_clear_all(void)
{
	cap_t caps;
	int   rc;

	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if ((caps = cap_init()) == NULL) {
		log_warn("cap_init");
		return -1;
	}
	rc = cap_set_proc(caps);
	cap_free(caps);
	if (rc != 0)
		log_warn("cap_set_proc");
	return rc;
}
