/* Fuzz target: sign-in routing by e-mail domain (sso.h): a domain name as
 * an account or a stranger types it, and the TXT record data a DNS server
 * answers, matched against the expected value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[SSO_DOMAIN_MAX + 1];
	if (sso_domain_normalize((const char *)data, size, out) == 0) {
		/* What it accepts is lower case and stable. */
		char again[SSO_DOMAIN_MAX + 1];
		if (strlen(out) != size || sso_domain_normalize(out, size, again) != 0 ||
		    strcmp(out, again) != 0)
			abort();
		for (const char *p = out; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				abort();
	}
	/* The data as TXT rdata: it matches its own strings joined, only. */
	char *joined = malloc(size + 1);
	size_t at = 0, i = 0;
	int whole = size > 0;
	while (i < size) {
		size_t n = data[i++];
		if (n > size - i) {
			whole = 0;
			break;
		}
		memcpy(joined + at, data + i, n);
		at += n;
		i += n;
	}
	joined[at] = '\0';
	int nul = memchr(joined, '\0', at) != NULL;
	if (whole && !nul && !sso_txt_matches(data, size, joined))
		abort();
	if (!whole && sso_txt_matches(data, size, joined))
		abort();
	sso_txt_matches(data, size, "faxvault-domain-verification=x");
	free(joined);
	return 0;
}
