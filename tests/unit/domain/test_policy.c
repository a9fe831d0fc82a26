/* Unit tests of the security settings: CIDR parsing and matching (IPv4 and
 * IPv6), the common-password list, policy defaults, patches and their
 * refusals, password rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cidr.h"
#include "identity/identity.h"

static const sec_limits_t lim = { .min_length = 12, .lockout_threshold = 10, .lockout_minutes = 15,
	.idle_minutes = 30, .max_hours = 12, .rpm = 600, .burst = 120, .contacts_review_months = 12 };

static void test_cidr(void **state)
{
	(void)state;
	static const struct {
		const char *net, *addr;
		bool in;
	} cases[] = {
		{ "10.0.0.0/8", "10.255.1.2", true }, { "10.0.0.0/8", "11.0.0.1", false },
		{ "192.168.1.0/24", "192.168.1.255", true }, { "192.168.1.0/24", "192.168.2.0", false },
		{ "0.0.0.0/0", "8.8.8.8", true }, { "127.0.0.1", "127.0.0.1", true },
		{ "127.0.0.1", "127.0.0.2", false }, { "10.0.0.0/8", "::ffff:10.1.1.1", true },
		{ "2001:db8::/32", "2001:db8:1::5", true }, { "2001:db8::/32", "2001:db9::1", false },
		{ "::1/128", "::1", true }, { "::1/128", "127.0.0.1", false },
		{ "fe80::/10", "febf::1", true }, { "fe80::/10", "fec0::1", false },
		{ "10.0.0.0/9", "10.127.255.255", true }, { "10.0.0.0/9", "10.128.0.0", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cidr_t n;
		const char *why = NULL;
		assert_int_equal(cidr_parse(cases[i].net, &n, &why), 0);
		int fam;
		uint8_t a[16];
		assert_int_equal(cidr_addr_parse(cases[i].addr, &fam, a), 0);
		if (cidr_contains(&n, fam, a) != cases[i].in)
			fail_msg("%s in %s", cases[i].addr, cases[i].net);
	}
	static const char *const bad[] = { "10.0.0.1/8", "10.0.0.0/33", "::/129", "10.0.0.0/", "x",
		"10.0.0.0/-1", "", "2001:db8::1/32", "1.2.3.4/08x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cidr_t n;
		const char *why = NULL;
		if (cidr_parse(bad[i], &n, &why) == 0)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(why);
	}
	cidr_t n;
	const char *why;
	cidr_parse("2001:db8::/48", &n, &why);
	char out[64];
	cidr_format(&n, out, sizeof out);
	assert_string_equal(out, "2001:db8::/48");
}

static void test_pwlist(void **state)
{
	(void)state;
	assert_true(pwlist_is_common("password1234"));
	assert_true(pwlist_is_common("PassWord1234"));
	assert_true(pwlist_is_common("P@ssw0rd2024!"));
	assert_true(pwlist_is_common("Sunshine2024!!"));
	assert_true(pwlist_is_common("123456789012"));
	assert_true(pwlist_is_common("aaaaaaaaaaaaaaaa"));
	assert_true(pwlist_is_common("zyxwvutsrqpo"));
	assert_false(pwlist_is_common("plume encre buvard"));
	assert_false(pwlist_is_common("correct horse battery staple"));
	size_t before = pwlist_size();
	char path[] = "/tmp/fv-pwlist-XXXXXX";
	FILE *f = fdopen(mkstemp(path), "w");
	fputs("Tr0ub4dor&3\ncorrecthorsebatterystaple\n", f);
	fclose(f);
	assert_true(pwlist_load(path) >= 2);
	assert_int_equal(pwlist_size(), before + 2);
	assert_true(pwlist_is_common("CorrectHorseBatteryStaple"));
	assert_true(pwlist_is_common("tr0ub4dor&3"));
	remove(path);
	assert_int_equal(pwlist_load("/nonexistent/list"), -1);
	pwlist_free();
}

static void test_policy_patch(void **state)
{
	(void)state;
	sec_policy_t p;
	policy_defaults(&lim, &p);
	char field[96];
	i18n_msg_t why;
	static const struct {
		const char *patch, *field;
	} refused[] = {
		{ "{\"password_policy\":{\"min_length\":8}}", "password_policy.min_length" },
		{ "{\"password_policy\":{\"min_length\":70,\"max_length\":64}}", "password_policy.min_length" },
		{ "{\"password_policy\":{\"lockout_minutes\":-1}}", "password_policy.lockout_minutes" },
		{ "{\"password_policy\":{\"lockout_threshold\":11}}", "password_policy.lockout_threshold" },
		{ "{\"password_policy\":{\"check_common\":false}}", "password_policy.check_common" },
		{ "{\"password_policy\":{\"composition\":{\"require_emoji\":true}}}", "password_policy.composition.require_emoji" },
		{ "{\"session\":{\"max_lifetime_hours\":13}}", "session.max_lifetime_hours" },
		{ "{\"ip_allowlist\":\"10.0.0.0/8\"}", "ip_allowlist" },
		{ "{\"ip_allowlist\":[\"10.0.0.0/8\", 5]}", "ip_allowlist[1]" },
		{ "{\"rate_limit\":{\"burst\":0}}", "rate_limit.burst" },
		{ "{\"mfa\":{\"required_for\":true}}", "mfa.required_for" },
		{ "{\"contacts_review_months\":24}", "contacts_review_months" },
		{ "[]", "" },
	};
	sec_policy_t before = p;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		json_t *j = json_loads(refused[i].patch, JSON_DECODE_ANY, NULL);
		field[0] = '\0';
		if (policy_patch(&lim, &p, j, field, sizeof field, &why) != -1)
			fail_msg("accepted %s", refused[i].patch);
		if (strcmp(field, refused[i].field) != 0)
			fail_msg("%s: field %s", refused[i].patch, field);
		json_decref(j);
		assert_memory_equal(&p, &before, sizeof p);
	}
	json_t *ok = json_loads("{\"password_policy\":{\"min_length\":16,\"history\":3},"
		"\"mfa\":{\"required_for\":\"all\"},\"ip_allowlist\":[\"10.0.0.0/8\",\"2001:db8::/32\"],"
		"\"session\":{\"idle_timeout_minutes\":10}}", 0, NULL);
	assert_int_equal(policy_patch(&lim, &p, ok, field, sizeof field, &why), 0);
	json_decref(ok);
	assert_int_equal(p.min_length, 16);
	assert_int_equal(p.mfa, MFA_ALL);
	assert_int_equal(p.ncidr, 2);
	assert_true(policy_ip_allowed(&p, "2001:db8::7"));
	assert_false(policy_ip_allowed(&p, "192.168.0.1"));
	/* Round trip through the stored form. */
	json_t *doc = policy_to_json(&p);
	sec_policy_t q;
	policy_from_json(&lim, doc, &q);
	json_t *doc2 = policy_to_json(&q);
	assert_true(json_equal(doc, doc2));
	json_decref(doc);
	json_decref(doc2);
	/* A stored value the provider has since tightened is clamped. */
	sec_limits_t tighter = lim;
	tighter.idle_minutes = 5;
	tighter.min_length = 20;
	doc = policy_to_json(&p);
	policy_from_json(&tighter, doc, &q);
	json_decref(doc);
	assert_int_equal(q.idle_minutes, 5);
	assert_int_equal(q.min_length, 20);
}

static void test_password_rules(void **state)
{
	(void)state;
	sec_policy_t p;
	i18n_msg_t why;
	policy_defaults(&lim, &p);
	assert_int_equal(policy_password_problem(&p, "plume encre buvard", "o@x.example", &why), 0);
	assert_int_equal(policy_password_problem(&p, "short", NULL, &why), -1);
	/* Characters, not bytes: twelve accented letters pass, eleven do not. */
	assert_int_equal(policy_password_problem(&p, "éèêëàâäôöûüç", NULL, &why), 0);
	assert_int_equal(policy_password_problem(&p, "éèêëàâäôöûü", NULL, &why), -1);
	/* The reason names the policy's limit, in both languages. */
	assert_string_equal(why.en, "the password must have at least 12 characters (it has 11)");
	assert_string_equal(why.fr, "le mot de passe doit compter au moins 12 caractères (il en a 11)");
	assert_int_equal(policy_password_problem(&p, "password1234", NULL, &why), -1);
	assert_int_equal(policy_password_problem(&p, "x-jeanne.doe-x-long", "jeanne.doe@x.example", &why), -1);
	p.require_upper = p.require_digit = p.require_symbol = true;
	assert_int_equal(policy_password_problem(&p, "plume encre buvard", NULL, &why), -1);
	assert_int_equal(policy_password_problem(&p, "Plume encre buvard 7", NULL, &why), 0);
	assert_true(policy_meets_defaults(&p, &lim));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_pwlist),
		cmocka_unit_test(test_policy_patch),
		cmocka_unit_test(test_password_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
