/*
 * Messages of the configuration reader: errors in the one format every
 * caller expects ("FILE:LINE: TOKEN: reason", no newline) and warnings
 * ("FILE:LINE: warning: ...") on the warn stream.  Private to conf/.
 */
#ifndef PC_CONF_DIAG_H
#define PC_CONF_DIAG_H

#include <stddef.h>
#include <stdio.h>

/* Writes the error into err; always returns -1 so callers can
 * `return conf_errf(...)`.  The token is shown sanitised (control bytes
 * as '?', long tokens cut) so a message stays one printable line. */
int  conf_errf(char *err, size_t errlen, const char *file, int line,
	    const char *tok, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
void conf_warnf(FILE *fp, const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* The stream conf_set_warn_stream() chose (stderr by default, NULL when
 * warnings were switched off). */
FILE *conf_warn_stream(void);

#endif
