/* Path matching against the route table (see router.h). */
#include "router.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Matches one pattern, segment by segment. "{name}" captures one path
 * segment of 1..ROUTE_PARAM_LEN-1 bytes; a literal may follow it in the same
 * segment ("{n}.png"). */
static int match_one(const char *pat, const char *path, route_match_t *m)
{
	m->nparams = 0;
	for (;;) {
		size_t plen = strcspn(pat, "/"), vlen = strcspn(path, "/");
		if (plen && pat[0] == '{') {
			const char *end = memchr(pat, '}', plen);
			if (!end || m->nparams == ROUTE_PARAMS_MAX)
				return -1;
			size_t nlen = (size_t)(end - pat - 1);
			size_t slen = plen - nlen - 2;
			if (vlen <= slen || memcmp(path + vlen - slen, end + 1, slen) != 0)
				return -1;
			size_t cap = vlen - slen;
			if (cap >= ROUTE_PARAM_LEN || nlen >= sizeof m->names[0])
				return -1;
			memcpy(m->names[m->nparams], pat + 1, nlen);
			m->names[m->nparams][nlen] = '\0';
			memcpy(m->values[m->nparams], path, cap);
			m->values[m->nparams][cap] = '\0';
			m->nparams++;
		} else if (plen != vlen || memcmp(pat, path, plen) != 0) {
			return -1;
		}
		pat += plen;
		path += vlen;
		if (!*pat || !*path)
			return *pat || *path ? -1 : 0;
		pat++;
		path++;
	}
}

/* The number of segments ('/' + 1) of s: a pattern matches only a path
 * of as many, so the others are passed over without matching them (the
 * table has hundreds of routes, matched twice per request). */
static unsigned segments(const char *s)
{
	unsigned n = 1;
	for (; *s; s++)
		n += *s == '/';
	return n;
}

static unsigned *route_segments;

static void count_segments(void)
{
	const struct route *r = router_routes();
	size_t n = 0;
	while (r[n].method)
		n++;
	route_segments = xcalloc(n + 1, sizeof *route_segments);
	for (size_t i = 0; i < n; i++)
		route_segments[i] = segments(r[i].pattern);
}

int router_match(const char *method, const char *path, route_match_t *m)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, count_segments);
	const struct route *r = router_routes();
	unsigned want = segments(path);
	int path_seen = 0;
	for (const unsigned *seg = route_segments; r->method; r++, seg++) {
		route_match_t tmp;
		if (*seg != want || match_one(r->pattern, path, &tmp) != 0)
			continue;
		path_seen = 1;
		if (strcmp(r->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			*m = tmp;
			m->route = r;
			return 0;
		}
	}
	return path_seen ? -2 : -1;
}

const char *route_param(const route_match_t *m, const char *name)
{
	for (int i = 0; i < m->nparams; i++)
		if (strcmp(m->names[i], name) == 0)
			return m->values[i];
	return NULL;
}
