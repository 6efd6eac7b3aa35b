/*
 * The out-of-memory rule.
 *
 * Master, tools and every process's setup (config loading, tables built
 * before a worker serves): the x* functions below; out of memory is fatal
 * there (fatalx: the master exits, a worker exits and is respawned).
 *
 * A worker while it serves: whatever it allocates for one connection (the
 * conn, its protocol state and buffers, request and chain state, copies
 * of names and credentials, DNS and NetBIOS queries, log fields) comes
 * from plain malloc/calloc/realloc/strdup or pc_strdup_opt, and a NULL
 * ends that connection with PC_E_NOMEM (21), never the worker.  A log
 * field that cannot be copied (conn_set_user/host/text) stays empty and
 * the connection's next record carries 21; a UDP datagram that cannot be
 * queued and a DNS answer that cannot be cached are dropped, as the
 * network or a full cache would drop them.  The x* functions serve only
 * the worker's own tables that live as long as it does and grow to a
 * bound (event-loop timers, IPC queue, DNS cache and hosts table,
 * connect-back queue): running out there is fatal for the worker.
 */
#ifndef PC_COMMON_XMALLOC_H
#define PC_COMMON_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
int xasprintf(char **ret, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Not fatal: *dst = a copy of s (NULL when s is NULL); -1 when out of
 * memory (*dst NULL). */
int pc_strdup_opt(char **dst, const char *s);

#endif
