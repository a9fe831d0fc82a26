/* Fuzz target: RFC 3339 times and checked integers from untrusted text
 * (API query parameters and bodies). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"
#include "timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	int64_t ms, v;
	if (time_parse_rfc3339(s, &ms) == 0) {
		/* Whatever parses must format and parse back to the same instant. */
		char out[48];
		time_format_rfc3339(ms, out, sizeof out);
		int64_t again;
		if (ms > -62135596800000 && ms < 253402300800000 &&
		    (time_parse_rfc3339(out, &again) != 0 || again != ms))
			abort();
	}
	parse_i64(s, size, INT64_MIN, INT64_MAX, &v);
	uint64_t u;
	parse_u64(s, size, UINT64_MAX, &u);
	free(s);
	return 0;
}
