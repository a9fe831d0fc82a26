/* Allocation wrappers: abort on exhaustion, and the tests' failure
 * injection (see xalloc.h). */
#include "xalloc.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int inject_on;
static atomic_ulong inject_count;
static atomic_ulong inject_fail_at;

void xalloc_inject(unsigned long fail_at)
{
	atomic_store(&inject_fail_at, fail_at);
	atomic_store(&inject_count, 0);
	atomic_store(&inject_on, 1);
}

unsigned long xalloc_counted(void)
{
	return atomic_load(&inject_count);
}

/* Whether this allocation is the one a test wants to fail. */
static int injected_failure(void)
{
	if (!atomic_load_explicit(&inject_on, memory_order_relaxed))
		return 0;
	unsigned long k = atomic_fetch_add(&inject_count, 1) + 1;
	return k == atomic_load(&inject_fail_at);
}

/* Written without stdio's buffers or any allocation: memory is what is
 * missing. */
static _Noreturn void oom(size_t n)
{
	char line[96];
	int len = snprintf(line, sizeof line, XALLOC_OOM_MESSAGE "%zu\n", n);
	if (len > 0) {
		ssize_t w = write(STDERR_FILENO, line, (size_t)len);
		(void)w;
	}
	abort();
}

void *xmalloc(size_t n)
{
	void *p = injected_failure() ? NULL : malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = injected_failure() ? NULL : calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom(nmemb > 0 && size > SIZE_MAX / nmemb ? SIZE_MAX : nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = injected_failure() ? NULL : realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	char *p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
