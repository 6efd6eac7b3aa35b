/*
 * The `dnspr [-s]` service: a UDP DNS proxy (one worker).  A and AAAA
 * questions of class IN are answered from the worker's resolver (nsrecord,
 * the hosts file without nserver, the cache, then the `nserver` servers);
 * an unresolvable name gets NXDOMAIN.  Other questions, and every
 * question with -s, go to the `nserver` servers unchanged (their failover,
 * TCP when an answer is truncated or for /tcp servers) and their answer
 * goes back as it is.  Each query is checked against the ACL with
 * operation DNSRESOLVE and the name as target (a refusal: REFUSED) and
 * logged with %T TTTT/name/address (type as 4 hex digits), as 3proxy.
 */
#ifndef PC_WORKER_DNSPR_H
#define PC_WORKER_DNSPR_H

int  dnspr_init(int udp_fd);
void dnspr_stop(void);

#endif
