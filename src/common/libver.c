/* The versions of the libraries a program runs on (see libver.h). */
#include "libver.h"

#include <stdarg.h>
#include <stdio.h>

void libver_add(libvers_t *l, const char *name, const char *parses, const char *fmt, ...)
{
	if (l->n >= LIBVER_MAX)
		return;
	libver_t *v = &l->v[l->n++];
	v->name = name;
	v->parses = parses;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->version, sizeof v->version, fmt, ap);
	va_end(ap);
}
