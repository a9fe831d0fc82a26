/* Fuzz target: the validators of e-mail addresses, names, UTF-8 and
 * permission lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	bool u = valid_utf8(s, size);
	/* An address or a name is always valid UTF-8. */
	if (valid_email(s, size) && !u)
		abort();
	if (valid_name(s, size) && !u)
		abort();
	char *z = malloc(size + 1);
	memcpy(z, data, size);
	z[size] = '\0';
	perm_set_t p = perm_set_from_string(z);
	char *back = perm_set_to_string(p);
	if (perm_set_from_string(back) != p)
		abort();
	free(back);
	password_problem(z);
	free(z);
	return 0;
}
