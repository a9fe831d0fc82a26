/* Fuzz target: the header check of a partner's uploaded logo (logo.h): the
 * PNG signature and IHDR, the JPEG markers up to a start-of-frame. What it
 * accepts has its type's signature and sides within bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tenancy/tenancy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that any read past the end shows. */
	unsigned char *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	int w = -1, h = -1;
	const char *t = logo_sniff(p, size, &w, &h);
	if (t) {
		if (w < 1 || h < 1 || w > LOGO_DIM_MAX || h > LOGO_DIM_MAX)
			abort();
		if (strcmp(t, "image/png") == 0 ? (size < 33 || p[0] != 0x89)
		    : strcmp(t, "image/jpeg") == 0 ? (size < 4 || p[0] != 0xff || p[1] != 0xd8) : 1)
			abort();
	} else if (w != 0 || h != 0) {
		abort();
	}
	free(p);
	return 0;
}
