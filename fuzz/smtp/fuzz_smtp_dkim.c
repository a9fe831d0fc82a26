/* Fuzz target: a received message through DKIM verification (smtp_auth.h,
 * OpenDKIM's library), offline: keys come from an empty key file, so every
 * signature is parsed and then finds no key, and nothing asks DNS. Checks
 * the result is one of the enumerated ones and the signing domain is
 * bounded and NUL-terminated. The key file is removed when the run ends. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtp_auth.h"

static char keys[] = "/tmp/fv-fuzz-dkim-XXXXXX";

static void drop_keys(void)
{
	unlink(keys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		int fd = mkstemp(keys);
		if (fd < 0)
			abort();
		close(fd);
		atexit(drop_keys);
		smtp_auth_test_dkim_keyfile(keys);
		ready = 1;
	}
	smtp_auth_t a;
	smtp_auth_dkim(data, size, "example.net", &a);
	if ((unsigned)a.dkim >= SMTP_DKIM_N || strlen(a.dkim_domain) > SMTP_AUTH_DOMAIN_MAX)
		abort();
	return 0;
}
