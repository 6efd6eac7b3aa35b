/*
 * The master's capabilities after start-up (caps.c has the list and the
 * reason for each), and the drops of the processes it starts.
 */
#ifndef PC_MASTER_CAPS_H
#define PC_MASTER_CAPS_H

#include <stdbool.h>
#include <stddef.h>

/* Root master, once, before the first worker: keeps the six, lowers the
 * bounding set, sets SECBIT_NOROOT (locked).  -1 with err on failure. */
int  caps_master_drop(char *err, size_t errlen);

/* Child about to exec a worker: raise the worker's caps as ambient. */
void caps_worker_exec(void);

/* A helper (ODBC) staying uid 0: no capability left, bounding set empty. */
int  caps_drop_all(void);

#endif
