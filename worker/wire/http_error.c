/*
 * Error pages, 3proxy style: HTTP/1.0, Connection: close, a short HTML
 * body; the connection is closed after it.
 */
#include <stdio.h>

#include "worker/wire/http_error.h"
#include "worker/wire/http_parse.h"

int
http_error_status(int code, bool timed_out)
{
	if (code == 1 || code == PC_E_LOOP)   /* a loop: 403, as Squid */
		return 403;
	/* 3 (no rule matched) asks for credentials, as 3proxy does: an
	 * explicit `deny *` at the end of the list gives 403 instead */
	if (code >= 2 && code <= 9)
		return 407;
	if (code == 10)
		return 503;
	if ((code >= 11 && code <= 19) || code == 100)
		return timed_out ? 504 : 502;
	if (code >= 20 && code <= 29)
		return 500;
	if (code == 92)          /* the server did not answer in time */
		return 504;
	if (code >= 30 && code <= 79)
		return 502;
	if (code == 700 || code == 701)   /* ftp:// login refused */
		return 401;
	if (code == 780)                  /* ftp:// file or listing refused */
		return 404;
	if (code >= 800 && code <= 899)   /* ftp:// server trouble */
		return 502;
	switch (code) {
	case HTTP_E_LONGLINE:
		return 414;
	case HTTP_E_BIGHEAD:
		return 431;
	case HTTP_E_RESPONSE:
		return 502;
	case HTTP_E_VERSION:
		return 505;
	case HTTP_E_UNSUPP:
		return 501;
	}
	if (code >= 511 && code <= 516)
		return 400;
	return 500;
}

static const char *
reason(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 407: return "Proxy Authentication Required";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default:  return "Internal Server Error";
	}
}

size_t
http_error_page(int status, char *out, size_t cap)
{
	char body[256];
	int  blen, n;

	blen = snprintf(body, sizeof(body),
	    "<html><head><title>%d %s</title></head>\r\n"
	    "<body><h2>%d %s</h2></body></html>\r\n",
	    status, reason(status), status, reason(status));
	n = snprintf(out, cap,
	    "HTTP/1.0 %d %s\r\n"
	    "Connection: close\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %d\r\n"
	    "%s"
	    "\r\n%s",
	    status, reason(status), blen,
	    status == 407 ? "Proxy-Authenticate: Basic realm=\"proxy\"\r\n" :
	    "", body);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}
