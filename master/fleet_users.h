/*
 * `users &DSN[,USER[,PASS]]` (docs/fleet.md): users read from the
 * database's portcullis_users by the fleet helper at start and at each
 * reload, kept by the master beside the configuration's own (which win
 * for a name in both) and asked by auth.c.  Never in a worker: every
 * process the master forks wipes them first.
 */
#ifndef PC_MASTER_FLEET_USERS_H
#define PC_MASTER_FLEET_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "master/fleet_msg.h"
#include "policy/policy.h"

/* The configuration in use from now: with `users &DSN` the table is to
 * be read again (the users read before serve until the answer); without
 * it, the database's users are gone. */
void  fleet_users_attach(const struct pc_config *cfg);
bool  fleet_users_on(void);
/* The request to send, filled in when one is due (not yet sent, or sent
 * to a helper that died); then fleet_users_sent(). */
bool  fleet_users_due(const struct pc_config *cfg, struct fleet_req *r);
void  fleet_users_sent(void);
void  fleet_users_lost(void);          /* the helper died */
/* A piece of the answer (checked here); the last one replaces the
 * table. */
void  fleet_users_piece(const struct fleet_urep *u);
/* The database's user NAME, or NULL. */
const struct pc_user *fleet_user(const char *name);
size_t fleet_users_count(void);
/* In a child of the master: the passwords wiped, the table freed. */
void  fleet_users_wipe(void);

#endif
