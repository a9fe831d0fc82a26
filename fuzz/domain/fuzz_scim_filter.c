/* Fuzz target: SCIM filters, PATCH paths and PATCH operations as identity
 * providers send them (src/domain/identity/scim_filter.h). The input is tried as a
 * filter (then matched against a fixed user), as a path, and, when it is
 * JSON, as a PATCH Operations array applied to the user. Nothing may
 * crash, leak or leave a refusal without its reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity.h"

static const char *const user_json =
	"{\"id\":\"usr_1\",\"userName\":\"a@example.org\",\"active\":true,"
	"\"name\":{\"givenName\":\"A\"},\"emails\":[{\"value\":\"a@example.org\",\"type\":\"work\"}],"
	"\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"X\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	json_t *user = json_loads(user_json, 0, NULL);
	scim_filter_t *f = NULL;
	i18n_msg_t m;
	if (scim_filter_parse(s, size, &f, &m) == 0) {
		scim_filter_match(f, user);
		const char *n, *v;
		scim_filter_simple_eq(f, &n, &v);
		scim_filter_free(f);
	} else if (!m.en[0] || !m.fr[0]) {
		abort();
	}
	scim_path_t p;
	if (scim_path_parse(s, size, &p, &m) == 0)
		scim_path_free(&p);
	else if (!m.en[0])
		abort();
	json_t *ops = json_loadb(s, size, 0, NULL);
	if (ops) {
		const char *type = NULL;
		if (scim_patch_apply(user, ops, &m, &type) != 0 && (!type || !m.en[0]))
			abort();
		json_decref(ops);
	}
	json_decref(user);
	return 0;
}
