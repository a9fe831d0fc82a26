/* Fuzz target: request lines against the route table. Input: METHOD, a
 * space, then the path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	char *sp = strchr(s, ' ');
	const char *method = "GET", *path = s;
	if (sp) {
		*sp = '\0';
		method = s;
		path = sp + 1;
	}
	route_match_t m;
	if (router_match(method, path, &m) == 0) {
		if (!m.route || m.nparams < 0 || m.nparams > ROUTE_PARAMS_MAX)
			abort();
		for (int i = 0; i < m.nparams; i++)
			if (strlen(m.values[i]) == 0 || strchr(m.values[i], '/'))
				abort();
	}
	free(s);
	return 0;
}
