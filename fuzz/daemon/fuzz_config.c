/* Fuzz target: configuration files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	config_t c;
	config_defaults(&c);
	char err[512];
	if (config_load_string(&c, s, err, sizeof err) == 0)
		config_validate(&c, err, sizeof err);
	config_free(&c);
	free(s);
	return 0;
}
