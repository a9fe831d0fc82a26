/* Fuzz target: the answers' JSON text (json_out). Input: a JSON document
 * (NUL and a scalar alone allowed); its compact text must be byte for byte
 * json_dumps's, or NULL where json_dumps gives NULL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!j)
		return 0;
	char *want = json_dumps(j, JSON_COMPACT), *got = json_out_compact(j);
	if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0))
		abort();
	free(want);
	free(got);
	json_decref(j);
	return 0;
}
