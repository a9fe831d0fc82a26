/* Fuzz target: the CLI's configuration file (url and token lines), which a
 * user's editor, another program or an attacker with access to the home
 * directory may have written. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = NULL, *token = NULL;
	unsigned line = 0;
	if (cli_config_parse((const char *)data, size, &url, &token, &line) == 0) {
		/* Whatever is accepted is a proper string. */
		if ((url && strlen(url) > size) || (token && strlen(token) > size))
			abort();
	}
	free(url);
	free(token);
	return 0;
}
