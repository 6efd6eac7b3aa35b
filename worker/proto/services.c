/*
 * Service type -> protocol (proto.h).
 */
#include "policy/policy.h"
#include "worker/proto/proto.h"

const struct proto *
proto_for_service(int type)
{
	switch (type) {
	case PC_SVC_PROXY:
		return &proto_http;
	case PC_SVC_SOCKS:
		return &proto_socks;
	case PC_SVC_TCPPM:
		return &proto_tcppm;
	case PC_SVC_UDPPM:
		return &proto_udppm;
	case PC_SVC_DNSPR:
		return &proto_dnspr;
	case PC_SVC_POP3P:
		return &proto_pop3;
	case PC_SVC_FTPPR:
		return &proto_ftp;
	case PC_SVC_SMTPP:
		return &proto_smtp;
	case PC_SVC_ADMIN:
		return &proto_admin;
	case PC_SVC_TLSPR:
		return &proto_tlspr;
	case PC_SVC_AUTO:
		return &proto_auto;
	case PC_SVC_IMAPP:
		return &proto_imap;
	default:
		return NULL;
	}
}
