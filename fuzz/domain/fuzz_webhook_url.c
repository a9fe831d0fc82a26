/* Fuzz target: webhook URLs and allow-lists (ssrf.h). A parsed URL has a
 * non-empty lower-case host within bounds and a port in range; a parsed
 * allow-list is classified consistently with itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ssrf_url_t u;
	const char *why;
	if (ssrf_url_parse((const char *)data, size, &u, &why) == 0) {
		size_t n = strlen(u.host);
		if (n == 0 || n > SSRF_HOST_MAX || u.port < 1 || u.port > 65535)
			abort();
		for (size_t i = 0; i < n; i++)
			if (u.host[i] >= 'A' && u.host[i] <= 'Z')
				abort();
	} else if (!why) {
		abort();
	}
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	cidr_t allow[SSRF_ALLOW_MAX];
	int na = ssrf_allow_parse(s, allow, SSRF_ALLOW_MAX, &why);
	int fam;
	uint8_t addr[16];
	if (cidr_addr_parse(s, &fam, addr) == 0) {
		const char *range = NULL;
		if (!ssrf_addr_public(fam, addr, &range) && !range)
			abort();
		/* An address is inside the allow-list made of itself alone. */
		if (na == 1 && fam == allow[0].family && allow[0].prefix == (fam == 4 ? 32 : 128) &&
		    !ssrf_allowed(fam, addr, allow, na))
			abort();
	}
	free(s);
	return 0;
}
