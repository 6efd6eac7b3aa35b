/*
 * Accepting clients on the service's shared listening socket.  Every worker
 * of a service waits on the same socket with EPOLLEXCLUSIVE, so one wakes
 * per connection.  A worker stops accepting at its share of `maxconn` (the
 * rest waits in the backlog, as with 3proxy) and resumes when one closes.
 */
#ifndef PC_WORKER_ACCEPT_H
#define PC_WORKER_ACCEPT_H

int  accept_init(int listen_fd);
void accept_stop(void);        /* drain: close the listener for good */

#endif
