/* Fuzz target: security-settings patches (JSON) and CIDR strings. Whatever
 * the patch, the policy stays within the provider's limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "identity/identity.h"

static const sec_limits_t lim = { 12, 10, 15, 30, 12, 600, 120, 12 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	cidr_t n;
	const char *why;
	if (cidr_parse(s, &n, &why) == 0) {
		char out[64];
		cidr_format(&n, out, sizeof out);
		cidr_t again;
		if (cidr_parse(out, &again, &why) != 0 || memcmp(&again, &n, sizeof n) != 0)
			abort();
	}
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	if (j) {
		sec_policy_t p;
		policy_defaults(&lim, &p);
		char field[96];
		i18n_msg_t w;
		if (policy_patch(&lim, &p, j, field, sizeof field, &w) == 0) {
			if (p.min_length < lim.min_length || p.min_length > p.max_length ||
			    p.idle_minutes > lim.idle_minutes || p.rpm > lim.rpm || !p.check_common ||
			    p.lockout_threshold > lim.lockout_threshold)
				abort();
		}
		json_decref(j);
	}
	free(s);
	return 0;
}
