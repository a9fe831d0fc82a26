/* Fuzz target: the portal's request path check. Input: a request path. A
 * path accepted must never leave the assets directory: no ".." or hidden
 * segment, no empty segment, only the allowed characters, a known type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (portal_path_ok(s)) {
		if (s[0] != '/' || strstr(s, "/.") || strstr(s, "//") || !portal_type(s))
			abort();
		for (const char *p = s; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./", *p))
				abort();
	}
	free(s);
	return 0;
}
