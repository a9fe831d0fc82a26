/* Unit tests of SCIM filters, PATCH paths and PATCH operations
 * (src/domain/identity/scim_filter.c): the filters Entra ID and Okta send, matched
 * and not matched against a user resource; malformed filters and paths
 * refused with a reason in English and French; PATCH operations with and
 * without paths, value filters, Entra ID's member removal by value, and
 * their refusals with the right scimType. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "identity/identity.h"

static const char *const user_json =
	"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
	"\"id\":\"usr_1\",\"externalId\":\"ext-42\",\"userName\":\"Ryan@Example.org\","
	"\"active\":true,\"title\":\"Radiologist\",\"name\":{\"givenName\":\"Ryan\",\"familyName\":\"Leenay\"},"
	"\"emails\":[{\"value\":\"ryan@example.org\",\"type\":\"work\",\"primary\":true},"
	"{\"value\":\"r@home.example\",\"type\":\"home\"}],"
	"\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"Radiology\"},"
	"\"meta\":{\"lastModified\":\"2026-12-01T10:00:00Z\"}}";

static json_t *user(void)
{
	json_t *u = json_loads(user_json, 0, NULL);
	assert_non_null(u);
	return u;
}

static void test_filter_match(void **state)
{
	(void)state;
	static const struct {
		const char *f;
		bool match;
	} cases[] = {
		{ "userName eq \"ryan@example.org\"", true },
		{ "USERNAME EQ \"RYAN@EXAMPLE.ORG\"", true },
		{ "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"ryan@example.org\"", true },
		{ "userName eq \"someone@example.org\"", false },
		{ "externalId eq \"ext-42\"", true },
		{ "emails[type eq \"work\"].value eq \"ryan@example.org\"", true },
		{ "emails[type eq \"home\"].value eq \"ryan@example.org\"", false },
		{ "emails[type eq \"work\" and value co \"@example.org\"]", true },
		{ "emails.value eq \"r@home.example\"", true },
		{ "emails eq \"r@home.example\"", true },
		{ "name.familyName sw \"lee\"", true },
		{ "name.familyName ew \"NAY\"", true },
		{ "title co \"olog\"", true },
		{ "active eq true", true },
		{ "active eq false", false },
		{ "active ne false", true },
		{ "nickName pr", false },
		{ "title pr", true },
		{ "nickName eq null", true },
		{ "userName ne \"ryan@example.org\"", false },
		{ "meta.lastModified gt \"2026-11-30T00:00:00Z\"", true },
		{ "meta.lastModified lt \"2026-11-30T00:00:00Z\"", false },
		{ "userName eq \"x\" or externalId eq \"ext-42\"", true },
		{ "userName eq \"ryan@example.org\" and active eq false", false },
		{ "not (active eq false)", true },
		{ "(userName eq \"x\" or title eq \"Radiologist\") and active eq true", true },
		{ "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"radiology\"", true },
		{ "userName eq \"a\\\"b\"", false },
	};
	json_t *u = user();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		scim_filter_t *f = NULL;
		i18n_msg_t m;
		int rc = scim_filter_parse(cases[i].f, strlen(cases[i].f), &f, &m);
		if (rc != 0)
			fail_msg("%s: %s", cases[i].f, m.en);
		if (scim_filter_match(f, u) != cases[i].match)
			fail_msg("%s: match should be %d", cases[i].f, cases[i].match);
		scim_filter_free(f);
	}
	json_decref(u);
}

static void test_filter_refused(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "userName", "userName eq", "userName zz \"x\"",
		"(userName eq \"x\"", "userName eq \"x\")", "userName eq \"x\" and",
		"emails[type eq \"work\"", "userName eq \"unclosed", "userName eq {}", "userName eq [1]",
		"a:b eq \"x\"", "userName co 3", "active gt true", "1abc eq \"x\"", "name.a.b eq \"x\"",
		"urn:x: eq \"x\"", "userName eq \"x\" xor title pr", "userName\x01 eq \"x\"",
		"emails[type eq \"work\"].value", "not userName eq \"x\"" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		scim_filter_t *f = NULL;
		i18n_msg_t m;
		memset(&m, 0, sizeof m);
		if (scim_filter_parse(bad[i], strlen(bad[i]), &f, &m) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_null(f);
		assert_true(m.en[0] != '\0');
		assert_true(m.fr[0] != '\0');
	}
	/* Limits: nesting and terms. */
	char deep[200] = "";
	for (int i = 0; i < SCIM_FILTER_DEPTH + 2; i++)
		strcat(deep, "(");
	strcat(deep, "a pr");
	for (int i = 0; i < SCIM_FILTER_DEPTH + 2; i++)
		strcat(deep, ")");
	scim_filter_t *f = NULL;
	i18n_msg_t m;
	assert_int_equal(scim_filter_parse(deep, strlen(deep), &f, &m), -1);
	char many[2000] = "a pr";
	for (int i = 0; i < SCIM_FILTER_NODES; i++)
		strcat(many, " or a pr");
	assert_int_equal(scim_filter_parse(many, strlen(many), &f, &m), -1);
	assert_null(f);
}

static void test_path_parse(void **state)
{
	(void)state;
	scim_path_t p;
	i18n_msg_t m;
	assert_int_equal(scim_path_parse("name.givenName", 14, &p, &m), 0);
	assert_string_equal(p.attr.name, "name");
	assert_string_equal(p.attr.sub, "givenName");
	assert_null(p.filter);
	scim_path_free(&p);
	const char *vp = "emails[type eq \"work\"].value";
	assert_int_equal(scim_path_parse(vp, strlen(vp), &p, &m), 0);
	assert_string_equal(p.attr.name, "emails");
	assert_string_equal(p.attr.sub, "value");
	assert_non_null(p.filter);
	scim_path_free(&p);
	const char *ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
	assert_int_equal(scim_path_parse(ext, strlen(ext), &p, &m), 0);
	assert_string_equal(p.attr.urn, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
	assert_string_equal(p.attr.name, "department");
	scim_path_free(&p);
	static const char *const bad[] = { "", "emails[type eq \"work\"", "name..givenName", "[x eq 1]",
		"a b", "emails[type eq \"work\"].", "members[value eq \"x\"]]", "name.givenName[x pr]" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (scim_path_parse(bad[i], strlen(bad[i]), &p, &m) == 0)
			fail_msg("path accepted: %s", bad[i]);
}

/* Applies ops (JSON text) to the user; answers the result or NULL (with
 * the scimType in *type). */
static json_t *patch(const char *ops, const char **type)
{
	json_t *u = user();
	json_t *o = json_loads(ops, 0, NULL);
	assert_non_null(o);
	i18n_msg_t m;
	*type = NULL;
	int rc = scim_patch_apply(u, o, &m, type);
	json_decref(o);
	if (rc != 0) {
		assert_non_null(*type);
		assert_true(m.en[0] && m.fr[0]);
		json_decref(u);
		return NULL;
	}
	return u;
}

static void test_patch(void **state)
{
	(void)state;
	const char *t;
	json_t *u = patch("[{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}]", &t);
	assert_string_equal(json_string_value(json_object_get(u, "active")), "False");
	json_decref(u);
	u = patch("[{\"op\":\"replace\",\"path\":\"emails[type eq \\\"work\\\"].value\",\"value\":\"n@example.org\"},"
		  "{\"op\":\"replace\",\"path\":\"name.familyName\",\"value\":\"New\"}]", &t);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(u, "emails"), 0), "value")),
		"n@example.org");
	assert_string_equal(json_string_value(json_object_get(json_object_get(u, "name"), "familyName")), "New");
	json_decref(u);
	/* No match: the element is made (Entra ID's work e-mail). */
	u = patch("[{\"op\":\"add\",\"path\":\"phoneNumbers[type eq \\\"work\\\"].value\",\"value\":\"+33100000000\"}]", &t);
	json_t *ph = json_array_get(json_object_get(u, "phoneNumbers"), 0);
	assert_string_equal(json_string_value(json_object_get(ph, "type")), "work");
	assert_string_equal(json_string_value(json_object_get(ph, "value")), "+33100000000");
	json_decref(u);
	/* Without a path: keys are paths; an extension's object. */
	u = patch("[{\"op\":\"replace\",\"value\":{\"name.givenName\":\"B\",\"ACTIVE\":false,"
		  "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"manager\":{\"value\":\"m\"}}}}]", &t);
	assert_string_equal(json_string_value(json_object_get(json_object_get(u, "name"), "givenName")), "B");
	assert_true(json_is_false(json_object_get(u, "active")));
	assert_non_null(json_object_get(json_object_get(u,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), "manager"));
	assert_non_null(json_object_get(json_object_get(u,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), "department"));
	json_decref(u);
	/* Remove with a filter; Entra ID's removal by value. */
	u = patch("[{\"op\":\"remove\",\"path\":\"emails[type eq \\\"home\\\"]\"}]", &t);
	assert_int_equal(json_array_size(json_object_get(u, "emails")), 1);
	json_decref(u);
	u = patch("[{\"op\":\"Remove\",\"path\":\"emails\",\"value\":[{\"value\":\"r@home.example\"}]}]", &t);
	assert_int_equal(json_array_size(json_object_get(u, "emails")), 1);
	json_decref(u);
	u = patch("[{\"op\":\"add\",\"path\":\"emails\",\"value\":[{\"value\":\"x@y.example\"}]}]", &t);
	assert_int_equal(json_array_size(json_object_get(u, "emails")), 3);
	json_decref(u);
	u = patch("[{\"op\":\"remove\",\"path\":\"title\"}]", &t);
	assert_null(json_object_get(u, "title"));
	json_decref(u);

	static const struct {
		const char *ops, *type;
	} bad[] = {
		{ "{}", "invalidSyntax" },
		{ "[]", "invalidSyntax" },
		{ "[1]", "invalidSyntax" },
		{ "[{\"op\":\"move\",\"path\":\"title\"}]", "invalidSyntax" },
		{ "[{\"path\":\"title\",\"value\":\"x\"}]", "invalidSyntax" },
		{ "[{\"op\":\"replace\",\"path\":3,\"value\":\"x\"}]", "invalidPath" },
		{ "[{\"op\":\"replace\",\"path\":\"emails[type eq\",\"value\":\"x\"}]", "invalidPath" },
		{ "[{\"op\":\"replace\",\"path\":\"title\"}]", "invalidSyntax" },
		{ "[{\"op\":\"remove\"}]", "noTarget" },
		{ "[{\"op\":\"remove\",\"path\":\"emails[type eq \\\"other\\\"]\"}]", "noTarget" },
		{ "[{\"op\":\"replace\",\"value\":\"x\"}]", "invalidSyntax" },
		{ "[{\"op\":\"replace\",\"path\":\"title[value eq \\\"x\\\"]\",\"value\":{}}]", "invalidPath" },
		{ "[{\"op\":\"replace\",\"path\":\"emails.value\",\"value\":\"x\"}]", "invalidPath" },
		{ "[{\"op\":\"replace\",\"path\":\"emails[type eq \\\"work\\\"]\",\"value\":\"x\"}]", "invalidValue" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		u = patch(bad[i].ops, &t);
		if (u)
			fail_msg("accepted: %s", bad[i].ops);
		if (strcmp(t, bad[i].type) != 0)
			fail_msg("%s: scimType %s, want %s", bad[i].ops, t, bad[i].type);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_match),
		cmocka_unit_test(test_filter_refused),
		cmocka_unit_test(test_path_parse),
		cmocka_unit_test(test_patch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
