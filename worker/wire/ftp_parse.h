/*
 * The FTP text the proxy reads and writes itself (RFC 959, RFC 2428):
 * command lines and their classification, the login
 * `USER name@server[:port]`, replies (multi-line ones included), the
 * addresses of PASV/EPSV replies and PORT/EPRT commands, and the
 * directory listing page of FTP over HTTP.  Pure functions, no I/O, so
 * that tests/fuzz/fuzz_ftp.c and tests/unit/test_ftp_parse.c drive them.
 *
 * %E codes of the FTP proxy (3proxy gives 800-899 to ftppr and 700-799 to
 * FTP over HTTP; the numbers inside are ours):
 */
#ifndef PC_WORKER_FTP_PARSE_H
#define PC_WORKER_FTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#include "common/ecode.h"   /* the FTP_E_ codes */

#define FTP_LINE_MAX    1024 /* a command or reply line, with CRLF */
#define FTP_NAME_MAX    255  /* user names, passwords and host names */
#define FTP_PORT        21

enum ftp_cmd {
	FTP_C_OTHER, FTP_C_USER, FTP_C_PASS, FTP_C_QUIT, FTP_C_PASV,
	FTP_C_EPSV, FTP_C_PORT, FTP_C_EPRT, FTP_C_RETR, FTP_C_STOR,
	FTP_C_APPE, FTP_C_STOU, FTP_C_LIST, FTP_C_NLST, FTP_C_MLSD,
	FTP_C_BAD   /* control characters inside the line */
};

/* The verb of a command line (with or without CRLF), case-insensitive,
 * and its argument (after one space, without the line end). */
enum ftp_cmd ftp_classify(const uint8_t *p, size_t n, const uint8_t **arg,
	    size_t *alen);
/* The ACL operation of a transfer command (PC_OP_FTP_*), 0 for others. */
uint32_t ftp_cmd_op(enum ftp_cmd c);
/* Whether a transfer command sends data to the server (STOR, APPE, STOU). */
bool ftp_cmd_upload(enum ftp_cmd c);

struct ftp_login {
	char     user[FTP_NAME_MAX + 1];   /* the name sent to the server */
	char     puser[FTP_NAME_MAX + 1];  /* proxyuser:proxypass:name form; */
	char     ppass[FTP_NAME_MAX + 1];  /* "" without it */
	char     host[FTP_NAME_MAX + 1];   /* "" when none; IPv6 unbracketed */
	uint16_t port;                     /* FTP_PORT when not given */
	bool     port_given;
};

/* `name@server[:port]`, split at the last '@'; `name` alone leaves the
 * host empty; `name` may be `proxyuser:proxypass:name` (3proxy's form of
 * the proxy's own credentials).  0, or -FTP_E_LOGIN. */
int  ftp_parse_login(const uint8_t *p, size_t n, struct ftp_login *l);

/* Replies.  Feed the lines of a reply one by one: returns 0 while a
 * multi-line reply goes on, the code (100..599) when the line ends it,
 * -1 when the line is malformed.  *s starts zeroed. */
struct ftp_reply_scan {
	int  code;     /* of the first line */
	bool multi;
};
int  ftp_reply_feed(struct ftp_reply_scan *s, const uint8_t *p, size_t n);

/* The address of "227 ... (h1,h2,h3,h4,p1,p2)": 0 or -1. */
int  ftp_parse_pasv(const uint8_t *p, size_t n, struct pc_addr *a);
/* The port of "229 ... (|||port|)": 0 or -1. */
int  ftp_parse_epsv(const uint8_t *p, size_t n, uint16_t *port);
/* PORT's argument "h1,h2,h3,h4,p1,p2": 0 or -1. */
int  ftp_parse_port(const uint8_t *p, size_t n, struct pc_addr *a);
/* EPRT's argument "|1|addr|port|" or "|2|addr|port|" (any delimiter in
 * 33..126): 0 or -1. */
int  ftp_parse_eprt(const uint8_t *p, size_t n, struct pc_addr *a);
/* "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).\r\n" for an IPv4
 * address, "229 Entering Extended Passive Mode (|||port|)\r\n" when epsv
 * or the address is IPv6.  Returns the length (< cap) or 0. */
size_t ftp_format_passive(const struct pc_addr *a, bool epsv, char *out,
	    size_t cap);

/* The size in "213 SIZE" or in a "150 ... (N bytes)" reply, -1 if none. */
int64_t ftp_reply_size(const uint8_t *p, size_t n);

/* The file name of one LIST line (Unix style: the text after the eighth
 * field; otherwise the last field), or an empty span.  "." and ".." are
 * empty too.  *dir tells a directory ('d' first). */
void ftp_list_name(const uint8_t *p, size_t n, size_t *off, size_t *len,
	    bool *dir);
/* Appends s HTML-escaped (or percent-encoded when url) to out; returns
 * the new length, or cap (nothing written) when it does not fit. */
size_t ftp_html_append(char *out, size_t len, size_t cap, const uint8_t *s,
	    size_t n, bool url);

#endif
