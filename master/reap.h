/* Reaping workers: log how each ended, decide about its slot. */
#ifndef PC_MASTER_REAP_H
#define PC_MASTER_REAP_H

void reap_children(void);

#endif
