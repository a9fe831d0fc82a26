/* Allocation that either succeeds or does not return.
 *
 * Every allocation of faxvault goes through these wrappers (jansson's too:
 * each program installs them with json_set_alloc_funcs), so that running
 * out of memory is a single, logged, fatal event instead of a NULL check
 * forgotten somewhere, and so that tests can make allocations fail
 * (xalloc_inject). The exceptions are libraries' own allocators that must
 * be able to say no (the renderer's capped MuPDF allocator, SQLite's),
 * each documented where it is. */
#ifndef FV_XALLOC_H
#define FV_XALLOC_H

#include <stddef.h>

/* The line written to stderr, before abort(), when an allocation fails:
 * XALLOC_OOM_MESSAGE followed by the size asked for and a newline. */
#define XALLOC_OOM_MESSAGE "level=fatal event=out_of_memory bytes="

/* Each returns memory owned by the caller, released with free(). On
 * exhaustion they print XALLOC_OOM_MESSAGE and abort(); they never return
 * NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string owned by the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Tests only: allocation-failure injection. From this call on, the
 * wrappers count the allocations they make (one per call of xmalloc,
 * xcalloc, xrealloc, xstrdup, xstrndup, xasprintf), and the fail_at-th
 * one (1-based) fails as exhaustion does: the message, then abort().
 * fail_at 0 only counts. Safe from any thread; while no test called it,
 * each allocation costs one relaxed atomic load. */
void xalloc_inject(unsigned long fail_at);
/* Allocations counted since the last xalloc_inject (0 before any). */
unsigned long xalloc_counted(void);

#endif
