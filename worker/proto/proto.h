/*
 * The services' protocols (struct proto, worker/core/conn.h): one per
 * service type, picked by worker_main for the service it runs.
 */
#ifndef PC_WORKER_PROTO_PROTO_H
#define PC_WORKER_PROTO_PROTO_H

#include "worker/core/conn.h"

extern const struct proto proto_http;   /* worker/proto/http/http.c */
extern const struct proto proto_socks;  /* worker/proto/socks/socks.c */
extern const struct proto proto_tcppm;  /* worker/proto/tcppm.c */
extern const struct proto proto_udppm;  /* worker/proto/udppm.c */
extern const struct proto proto_dnspr;  /* worker/proto/dnspr.c */
extern const struct proto proto_pop3;   /* worker/proto/pop3.c */
extern const struct proto proto_ftp;    /* worker/proto/ftp/ftp.c */
extern const struct proto proto_smtp;   /* worker/proto/smtp.c */
extern const struct proto proto_admin;  /* worker/proto/admin/admin.c */
extern const struct proto proto_tlspr;  /* worker/proto/tlspr.c */
extern const struct proto proto_auto;   /* worker/proto/auto.c */
extern const struct proto proto_imap;   /* worker/proto/imap.c */

/* The protocol of a service type (PC_SVC_*), or NULL. */
const struct proto *proto_for_service(int type);

#endif
