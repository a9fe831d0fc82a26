/* Fuzz target: E.164 numbers as people and forms send them (validation,
 * normalization, the country of a number, area matching). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numbers/numbers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char out[E164_MAX + 1];
	if (e164_normalize(s, size, out) == 0) {
		/* What normalizing accepts is valid, and normalizing it again is a no-op. */
		if (!e164_valid(out))
			abort();
		char again[E164_MAX + 1];
		if (e164_normalize(out, strlen(out), again) != 0 || strcmp(out, again) != 0)
			abort();
		const e164_country_t *c = e164_country_of(out);
		if (c && (!e164_in_area(out, c, NULL) || e164_country_by_iso(c->iso) != c))
			abort();
	}
	char *z = malloc(size + 1);
	memcpy(z, data, size);
	z[size] = '\0';
	if (e164_valid(z) && e164_normalize(z, strlen(z), out) != 0)
		abort();
	e164_country_by_iso(z);
	const e164_country_t *fr = e164_country_by_iso("FR");
	e164_in_area(z, fr, z);
	free(z);
	return 0;
}
