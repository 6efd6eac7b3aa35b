/*
 * Accepting clients on the service's shared listening socket.  Every worker
 * of a service waits on the same socket with EPOLLEXCLUSIVE, so one wakes
 * per connection.  `maxconn` counts the connections of all the service's
 * workers (a count in shared memory): at the limit a worker stops
 * accepting (the rest waits in the backlog, as with 3proxy) and resumes
 * when a place is free again.
 */
#ifndef PC_WORKER_ACCEPT_H
#define PC_WORKER_ACCEPT_H

int  accept_init(int listen_fd);
void accept_stop(void);        /* drain: close the listener for good */

#endif
