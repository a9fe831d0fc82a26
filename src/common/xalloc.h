/* Allocation that either succeeds or does not return.
 *
 * Every allocation of faxvault goes through these wrappers, so that running
 * out of memory is a single, logged, fatal event instead of a NULL check
 * forgotten somewhere, and so that tests can make allocations fail. */
#ifndef FV_XALLOC_H
#define FV_XALLOC_H

#include <stddef.h>

/* Each returns memory owned by the caller, released with free(). On
 * exhaustion they print a message and abort(); they never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string owned by the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
