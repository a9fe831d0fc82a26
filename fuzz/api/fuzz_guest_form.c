/* Fuzz target: the parsers of a SafeBox guest's requests (a form field of
 * an application/x-www-form-urlencoded body, a cookie of a Cookie header). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[64];
	const char *s = (const char *)data;
	/* A value found is NUL-terminated, shorter than the buffer, without NUL. */
	if (guest_form_value(s, size, "code", out, sizeof out) == 0 && strlen(out) >= sizeof out)
		abort();
	char *z = malloc(size + 1);
	memcpy(z, data, size);
	z[size] = '\0';
	if (guest_cookie_value(z, GUEST_COOKIE, out, sizeof out) == 0 && strlen(out) >= sizeof out)
		abort();
	free(z);
	return 0;
}
