/* The versions of the libraries a program runs on, for --version and
 * /metrics: an operator patching a CVE asks "which of these parse what
 * strangers send, and at which version?" (P01). */
#ifndef FV_LIBVER_H
#define FV_LIBVER_H

#include <stddef.h>

#define LIBVER_MAX 16

typedef struct libver {
	const char *name;  /* e.g. "libtiff"; static */
	char version[64];  /* the runtime version where the library tells it,
			      else the version built against, e.g. "1.21.1" */
	const char *parses; /* what untrusted input it reads, e.g. "TIFF uploads" */
} libver_t;

typedef struct libvers {
	libver_t v[LIBVER_MAX];
	size_t n;
} libvers_t;

/* Appends name (static), parses (static) and a printf-formatted version;
 * ignored when full. */
void libver_add(libvers_t *l, const char *name, const char *parses, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
