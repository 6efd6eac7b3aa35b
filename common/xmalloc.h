/* Allocation that cannot fail silently: out of memory is fatal (setup code
 * and the master's config builder).  Worker hot paths use plain malloc and
 * handle NULL per connection (error code 21). */
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

#endif
