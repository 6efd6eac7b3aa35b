/*
 * The `udppm [-s] LOCALPORT HOST PORT` service: a UDP port mapper.  The
 * master binds the UDP socket; the service has one worker, which keeps a
 * session per client address and port: the first datagram runs the
 * request pipeline (auth, resolution, ACL with operation UDPASSOC, no
 * connect), then a UDP socket connected to the target carries that
 * client's datagrams both ways.  A session ends after the STRING_LONG
 * timeout without traffic (`timeouts`, 60 s by default), or, with -s, once
 * the first answer is back (one datagram, one answer: DNS-like use).  One
 * log record per session.
 */
#ifndef PC_WORKER_UDPPM_H
#define PC_WORKER_UDPPM_H

int  udppm_init(int udp_fd);   /* instead of accept_init */
void udppm_stop(void);         /* draining: new datagrams are the next
                                  generation's; sessions run out */

#endif
