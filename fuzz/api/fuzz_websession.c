/* Fuzz target: the portal's session cookie in a Cookie header, and the
 * CSRF check of an X-CSRF-Token header (websession.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "websession.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *z = malloc(size + 1);
	memcpy(z, data, size);
	z[size] = '\0';
	char tok[WEBSESSION_TOKEN_MAX + 1];
	if (websession_cookie_token(z, tok, sizeof tok) == 0) {
		/* A token found is a session token's characters, and its CSRF
		 * token is accepted and the input (unless it is that) is not. */
		if (strncmp(tok, "fvs_", 4) != 0 || strspn(tok, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(tok))
			abort();
		char csrf[WEBSESSION_CSRF_LEN];
		websession_csrf(tok, csrf);
		if (!websession_csrf_ok(tok, csrf) || (strcmp(z, csrf) != 0 && websession_csrf_ok(tok, z)))
			abort();
	}
	free(z);
	return 0;
}
