/*
 * The %E codes: the result of a connection or request as the access log
 * prints it.  Log analysers depend on these numbers, so they are an
 * interface: every code the server logs is named here, once, and listed
 * in the %E table of docs/portcullis.8; tests/unit/test_ecode.c holds the
 * two together (both ways).  The numbers are 3proxy's where 3proxy has a
 * code for the cause (docs/3proxy-differences.md, "%E codes"); from 400
 * up a range belongs to one service and the numbers inside are ours.
 *
 * Names: PC_E_* for the codes every service can log (0-100), and the
 * service's prefix for its own range (TLSPR_E_ 300s (TLSPR_E_BASE + the
 * tls_hello.h TLS_E_ value), SOCKS_E_ 400s, HTTP_E_ 500s and 999,
 * POP3_E_, SMTP_E_ and IMAP_E_ 600s, FTP_E_ 700/780 and 800s, DNSPR_E_, AUTO_E_).
 *
 * One return convention, for every function that can fail with a code:
 *   - a parser of untrusted bytes (worker/wire/) returns the length of the
 *     complete message it consumed (> 0), 0 when it needs more bytes, or
 *     minus the code of a malformed message (-SOCKS_E_ATYP); a parser that
 *     takes a whole line or field returns 0 for success or minus the code;
 *     a shared helper that only tells valid from invalid and knows no
 *     service's code (text_port, text_hostport, the static field readers)
 *     returns 0 or -1, and its caller picks the code;
 *   - a function that only fails returns 0 (PC_E_OK) or the code itself
 *     (> 0), never -1, when its caller will log the failure;
 *   - a completion callback (request_cb, chain_cb, dns_cb, ftp_data_cb,
 *     connect-back) gets an enum pc_ecode: PC_E_OK or why it failed;
 *   - conn_close() and conn_log() take the code to log; PC_E_NOLOG (-1)
 *     closes without a record (a client that connected and sent nothing,
 *     or a request already logged).
 *
 * The X-list below is the single table: the enum is built from it and the
 * unit test walks it.  X(name, number).  A code 3proxy has but portcullis
 * never logs is not in it (the man page lists those separately).
 */
#ifndef PC_COMMON_ECODE_H
#define PC_COMMON_ECODE_H

#define PC_ECODES(X) \
	X(PC_E_OK,              0)   /* finished normally */                \
	X(PC_E_DENY,            1)   /* refused by a deny rule */           \
	X(PC_E_NOMATCH,         3)   /* no rule of a non-empty ACL matched */ \
	X(PC_E_NOCRED,          4)   /* credentials needed, none usable */  \
	X(PC_E_NOUSER,          5)   /* unknown user */                     \
	X(PC_E_BADPASS,         6)   /* wrong password, cleartext entry */  \
	X(PC_E_BADCRYPT,        7)   /* wrong password, crypt or system */  \
	X(PC_E_BADNT,           8)   /* wrong password, NT entry */         \
	X(PC_E_LIMIT,          10)   /* counter, connlim, authcache limit */ \
	X(PC_E_SOCKET,         11)   /* socket() failed */                  \
	X(PC_E_BIND,           12)   /* bind() failed */                    \
	X(PC_E_CONNECT,        13)   /* connect() failed or timed out */    \
	X(PC_E_NOMEM,          21)   /* out of memory for the connection */ \
	X(PC_E_PARENT_TYPE,    30)   /* a parent type that cannot forward */ \
	X(PC_E_HTTPP_SEND,     31)   /* HTTP CONNECT parent: request not sent */ \
	X(PC_E_HTTPP_REPLY,    32)   /* HTTP CONNECT parent: malformed reply */ \
	X(PC_E_HTTPP_REFUSED,  33)   /* HTTP CONNECT parent: not 2xx */      \
	X(PC_E_HTTPP_IO,       34)   /* HTTP CONNECT parent: closed, read failed */ \
	X(PC_E_S4P_SEND,       41)   /* SOCKS4 parent: request not sent */  \
	X(PC_E_S4P_REPLY,      42)   /* SOCKS4 parent: malformed reply, closed */ \
	X(PC_E_S4P_REFUSED,    43)   /* SOCKS4 parent: reply other than 90 */ \
	X(PC_E_S4P_TARGET,     44)   /* SOCKS4 parent: cannot say the target */ \
	X(PC_E_S5P_IO,         51)   /* SOCKS5 parent: send/receive failed */ \
	X(PC_E_S5P_MREPLY,     52)   /* SOCKS5 parent: malformed method reply */ \
	X(PC_E_S5P_NOMETHOD,   53)   /* SOCKS5 parent: no acceptable method */ \
	X(PC_E_S5P_AREPLY,     55)   /* SOCKS5 parent: bad auth reply/creds */ \
	X(PC_E_S5P_AUTH,       56)   /* SOCKS5 parent: credentials refused */ \
	X(PC_E_S5P_REPLY,      57)   /* SOCKS5 parent: malformed CONNECT reply */ \
	X(PC_E_S5P_REFUSED,    58)   /* SOCKS5 parent: CONNECT refused */   \
	X(PC_E_S5P_TARGET,     59)   /* SOCKS5 parent: cannot say the target */ \
	X(PC_E_LOOP,           80)   /* target is the proxy's own listener */ \
	X(PC_E_SYSTEM,         90)   /* unexpected system error */          \
	X(PC_E_TIMEOUT,        92)   /* idle, or an answer did not come */  \
	X(PC_E_CLIENT_CLOSED,  95)   /* the client closed abruptly */       \
	X(PC_E_SERVER_CLOSED,  96)   /* the server closed abruptly */       \
	X(PC_E_RESOLVE,       100)   /* a name did not resolve */           \
	X(TLSPR_E_NOTTLS,     301)   /* not a TLS handshake record */       \
	X(TLSPR_E_RECORD,     302)   /* bad record header or record type */ \
	X(TLSPR_E_TYPE,       303)   /* first message not a ClientHello */  \
	X(TLSPR_E_BIG,        304)   /* ClientHello over 16384 bytes */     \
	X(TLSPR_E_MALFORMED,  305)   /* ClientHello lengths do not add up */ \
	X(TLSPR_E_SNI,        306)   /* server name not a DNS name */       \
	X(TLSPR_E_NOSNI,      307)   /* ClientHello without a server name */ \
	X(TLSPR_E_EARLY,      308)   /* closed or stalled before the hello */ \
	X(SOCKS_E_VERSION,    401)   /* version byte is neither 4 nor 5 */  \
	X(SOCKS_E_GREETING,   402)   /* SOCKS5 greeting offering no method */ \
	X(SOCKS_E_COMMAND,    407)   /* command not supported (7 / 91) */   \
	X(SOCKS_E_ATYP,       408)   /* address type not supported (8) */   \
	X(SOCKS_E_METHOD,     412)   /* no acceptable method (0xFF) */      \
	X(SOCKS_E_AUTHMSG,    421)   /* malformed RFC 1929 request */       \
	X(SOCKS_E_NAME,       431)   /* empty name or NUL inside a name */  \
	X(SOCKS_E_SHORT,      441)   /* client closed or stalled mid-handshake */ \
	X(SOCKS_E_FIELD,      450)   /* SOCKS4 user id or 4a host over 255 */ \
	X(HTTP_E_LINE,        511)   /* malformed request line        400 */ \
	X(HTTP_E_URL,         512)   /* bad target: host, port, user  400 */ \
	X(HTTP_E_HEADER,      513)   /* malformed header, obs-fold    400 */ \
	X(HTTP_E_FRAMING,     514)   /* bad Content-Length / T-E      400 */ \
	X(HTTP_E_NOHOST,      515)   /* origin-form without Host      400 */ \
	X(HTTP_E_CHUNK,       516)   /* malformed chunked body        400 */ \
	X(HTTP_E_LONGLINE,    517)   /* request line over HTTP_MAX_LINE 414 */ \
	X(HTTP_E_BIGHEAD,     518)   /* header block too big          431 */ \
	X(HTTP_E_RESPONSE,    519)   /* malformed response            502 */ \
	X(HTTP_E_VERSION,     520)   /* major version other than 1    505 */ \
	X(POP3_E_GREETING,    611)   /* the proxy's greeting not sent */    \
	X(POP3_E_NOUSER,      612)   /* no USER: closed, stalled, too many */ \
	X(POP3_E_LONG,        613)   /* client line over POP3_LINE_MAX */   \
	X(POP3_E_COMMAND,     614)   /* USER without an argument */         \
	X(POP3_E_LOGIN,       615)   /* the login is not name@server[:port] */ \
	X(POP3_E_SERVER,      621)   /* server closed, stalled, overlong */ \
	X(POP3_E_REFUSED,     622)   /* greeting not +OK (or a loop) */     \
	X(POP3_E_SEND,        623)   /* USER could not be sent */           \
	X(SMTP_E_NOAUTH,      662)   /* no login: closed, stalled, too many */ \
	X(SMTP_E_LONG,        663)   /* client line over SMTP_LINE_MAX */   \
	X(SMTP_E_DECODE,      664)   /* AUTH data not base64 / not PLAIN */ \
	X(SMTP_E_LOGIN,       666)   /* the name is not name@server[:port] */ \
	X(SMTP_E_GREETING,    667)   /* the proxy's greeting not sent */    \
	X(SMTP_E_SERVER,      671)   /* server closed, stalled, malformed */ \
	X(SMTP_E_REFUSED,     672)   /* greeting not 220 (or a loop), EHLO */ \
	X(SMTP_E_SEND,        673)   /* a command could not be sent */      \
	X(SMTP_E_NOMECH,      674)   /* neither AUTH PLAIN nor LOGIN */     \
	X(SMTP_E_AUTH,        680)   /* server refused the login */         \
	X(IMAP_E_GREETING,    691)   /* the proxy's greeting not sent */    \
	X(IMAP_E_NOLOGIN,     692)   /* no login: closed, stalled, bad line */ \
	X(IMAP_E_ARGS,        693)   /* LOGIN/AUTHENTICATE data malformed */ \
	X(IMAP_E_LOGIN,       694)   /* the name is not name@server[:port] */ \
	X(IMAP_E_SERVER,      695)   /* server closed, stalled, overlong */ \
	X(IMAP_E_REFUSED,     696)   /* greeting not "* OK" (or a loop) */  \
	X(IMAP_E_CAPS,        697)   /* server's CAPABILITY failed */       \
	X(IMAP_E_AUTH,        699)   /* login not sent or not continued */  \
	X(FTP_E_HTTP_LOGIN,   700)   /* ftp:// login refused          401 */ \
	X(FTP_E_HTTP_DATA,    780)   /* ftp:// no such file / refused 404 */ \
	X(FTP_E_NOUSER,       801)   /* no login: closed, stalled, too many */ \
	X(AUTO_E_EARLY,       801)   /* auto: nothing sent, closed/stalled */ \
	X(FTP_E_LONG,         802)   /* client line over FTP_LINE_MAX */    \
	X(FTP_E_LOGIN,        803)   /* the login is not name@server[:port] */ \
	X(FTP_E_SERVER,       811)   /* server closed, stalled, malformed */ \
	X(FTP_E_REFUSED,      812)   /* server greeting is not 2xx */       \
	X(FTP_E_AUTH,         813)   /* server refused USER/PASS */         \
	X(DNSPR_E_FORMERR,    813)   /* dnspr: malformed query (FORMERR) */ \
	X(FTP_E_PASV,         821)   /* server's PASV/EPSV reply unusable */ \
	X(FTP_E_PORT,         822)   /* PORT/EPRT malformed or not its own */ \
	X(FTP_E_DATA,         823)   /* a data connection failed */         \
	X(FTP_E_DATAIO,       824)   /* a data transfer ended abruptly */   \
	X(FTP_E_XFER,         825)   /* the server refused a transfer */    \
	X(FTP_E_SEND,         830)   /* a control line could not be sent */ \
	X(HTTP_E_UNSUPP,      999)   /* scheme, transfer coding, method 501 */

#define PC_ECODE_ENUM_(name, num) name = num,
enum pc_ecode {
	PC_E_NOLOG = -1,             /* conn_close(): no log record */
	PC_ECODES(PC_ECODE_ENUM_)
};
#undef PC_ECODE_ENUM_

/* 3proxy's classes of codes, which decide the HTTP status and the SOCKS
 * reply of a failure (docs/portcullis.8, the tables after the %E list):
 * 1-9 refused or authentication, 11-19 connecting, 20-29 resources,
 * 30-79 parents.  2 and 9 are 3proxy's own markers, never logged. */
#define PC_E_AUTH_FIRST     2
#define PC_E_AUTH_LAST      9
#define PC_E_CONN_FIRST    11
#define PC_E_CONN_LAST     19
#define PC_E_RES_FIRST     20
#define PC_E_RES_LAST      29
#define PC_E_PARENT_FIRST  30
#define PC_E_PARENT_LAST   79
#define TLSPR_E_BASE      300   /* + TLS_E_* of worker/wire/tls_hello.h */
#define FTP_E_FIRST       800   /* ftppr and ftp:// server trouble */
#define FTP_E_LAST        899

#endif
