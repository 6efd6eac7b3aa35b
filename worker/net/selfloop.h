/*
 * Requests through the proxy to itself (issue 14 item 9): a target that is
 * one of this configuration's own listening sockets would come back in as
 * a new request, nested until descriptors run out.
 */
#ifndef PC_WORKER_SELFLOOP_H
#define PC_WORKER_SELFLOOP_H

#include <stdbool.h>

#include "common/addr.h"

/* True when a TCP connection to dst (address and port) would reach a
 * listener of this configuration's services: a service's own address and
 * port, or its port on any local address when it listens on 0.0.0.0 or
 * :: (the address is local when a datagram socket can bind it, checked
 * only when the port matches).  0.0.0.0 and :: as a target are local. */
bool selfloop_target(const struct pc_addr *dst);

#endif
