/* Fuzz target: the cleaning of a SafeBox upload's file name (a stranger's
 * text, kept and handed back in Content-Disposition). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "safebox/safebox.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[SAFEBOX_FILENAME_MAX + 1];
	safebox_filename_clean((const char *)data, size, out, sizeof out);
	size_t n = strlen(out);
	/* Never empty, never longer than the limit, always UTF-8, no path
	 * separator, control character, quote or leading dot. */
	if (n == 0 || n > SAFEBOX_FILENAME_MAX || !valid_utf8(out, n) || out[0] == '.')
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '"' || c == ';')
			abort();
	}
	/* Cleaning a clean name changes nothing. */
	char again[SAFEBOX_FILENAME_MAX + 1];
	safebox_filename_clean(out, n, again, sizeof again);
	if (strcmp(again, out) != 0)
		abort();
	return 0;
}
