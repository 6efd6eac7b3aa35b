/*
 * Traffic counters in the master (policy.h pc_counter, pc_ctslot): the
 * shared table of byte counts, mapped once for the master's life (so a
 * reload keeps every count and a killed worker loses none), loaded from
 * and saved to the `counter` file, reset at the end of each counter's
 * period, with text reports at the end of each report period.
 */
#ifndef PC_MASTER_COUNTERS_H
#define PC_MASTER_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"

void    counters_init(void);                   /* before the first gen */
int     counters_fd(void);    /* memfd of the shared table, for workers */
/* Gives cfg the table and its NUMBER 0 counters their slots; the first
 * configuration with a `counter` file loads it. */
void    counters_attach(struct pc_config *cfg);
void    counters_save(void);                   /* now (stop, reload) */
/* Counter NUMBER's bytes and reset time; set it (reset: 0 and now). */
uint64_t counters_get(uint32_t number);
int64_t  counters_reset_time(uint32_t number);
void     counters_set(uint32_t number, uint64_t bytes, bool reset);
/* Saves every COUNTERS_SAVE_MS, resets ended periods, writes reports;
 * returns when it wants to run again (ms, now_ms() clock). */
int64_t counters_tick(int64_t now_ms);

#endif
