/* Fuzz target: redaction of request targets. Input: a target; when it holds
 * a NUL byte, what follows is the route pattern. The output must always be
 * terminated, fit its buffer, and hold no known token prefix followed by
 * anything but the redaction mark. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 2);
	memcpy(s, data, size);
	s[size] = '\0';
	s[size + 1] = '\0';
	size_t tl = strlen(s);
	const char *pattern = tl < size ? s + tl + 1 : NULL;
	char out[300];
	memset(out, 'x', sizeof out);
	int n = redact_target(s, pattern, out, sizeof out);
	if (n < 0 || memchr(out, '\0', sizeof out) == NULL)
		abort();
	/* No known token prefix is left but before the mark (or cut at the end). */
	static const char *const pre[] = { "fvs_", "fvk_", "fvi_", "fvr_", "whsec_", NULL };
	for (const char *p = out; *p; p++)
		for (int i = 0; pre[i]; i++) {
			size_t pl = strlen(pre[i]);
			if (strncasecmp(p, pre[i], pl) == 0 && p[pl] &&
			    strncmp(p + pl, REDACT_MARK, strlen(p + pl) < strlen(REDACT_MARK)
					? strlen(p + pl) : strlen(REDACT_MARK)) != 0)
				abort();
		}
	free(s);
	return 0;
}
