/*
 * Error replies of the HTTP proxy: the status for a %E code (3proxy's
 * mapping, docs/portcullis.8, ACCESS LOG, plus our 5xx parse codes from
 * http_parse.h) and the small HTML page sent before closing.
 */
#ifndef PC_WORKER_HTTP_ERROR_H
#define PC_WORKER_HTTP_ERROR_H

#include <stdbool.h>
#include <stddef.h>

/* timed_out: the connect step failed by timeout (504 instead of 502). */
int    http_error_status(int code, bool timed_out);
/* "HTTP/1.0 NNN Reason" with Connection: close, Content-Type, -Length
 * and, for 407, the Basic challenge.  Returns the length written (the page
 * always fits in HTTP_ERROR_MAX bytes). */
#define HTTP_ERROR_MAX 1024
size_t http_error_page(int status, char *out, size_t cap);

#endif
