/* Sign-in routing by e-mail domain (sso.h): the domain names accepted and
 * refused, and the TXT record data that proves a claim (strings joined,
 * truncated or different data refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "identity/identity.h"

static int norm(const char *in, char out[SSO_DOMAIN_MAX + 1])
{
	return sso_domain_normalize(in, strlen(in), out);
}

static void test_domains(void **state)
{
	(void)state;
	char out[SSO_DOMAIN_MAX + 1];
	assert_int_equal(norm("Clinic.EXAMPLE", out), 0);
	assert_string_equal(out, "clinic.example");
	assert_int_equal(norm("a-b.c0.example", out), 0);
	assert_int_equal(norm("xn--bcher-kva.example", out), 0);
	static const char *const bad[] = { "", "clinic", "clinic.", ".clinic.example", "a..example",
		"-a.example", "a-.example", "a.example-", "a b.example", "a_b.example", "bücher.example",
		"clinic.example/x", "u@clinic.example", NULL };
	for (const char *const *b = bad; *b; b++)
		assert_int_equal(norm(*b, out), -1);
	char label[80];
	memset(label, 'a', 64);
	memcpy(label + 64, ".example", 9);
	assert_int_equal(norm(label, out), -1); /* a label of 64 bytes */
	label[63] = '.';
	memcpy(label + 64, "example", 8);
	assert_int_equal(norm(label, out), 0); /* 63 */
	char longest[SSO_DOMAIN_MAX + 2];
	memset(longest, 'a', sizeof longest - 1);
	for (size_t i = 50; i < sizeof longest - 1; i += 51)
		longest[i] = '.';
	longest[SSO_DOMAIN_MAX] = '\0';
	assert_int_equal(norm(longest, out), 0);
	longest[SSO_DOMAIN_MAX] = 'a';
	longest[SSO_DOMAIN_MAX + 1] = '\0';
	assert_int_equal(norm(longest, out), -1); /* 254 bytes */
	/* A NUL inside is not a shorter name. */
	assert_int_equal(sso_domain_normalize("a.example\0x", 11, out), -1);
}

static void test_txt(void **state)
{
	(void)state;
	const char *want = "faxvault-domain-verification=abc";
	unsigned char one[64], two[64];
	one[0] = (unsigned char)strlen(want);
	memcpy(one + 1, want, strlen(want));
	assert_true(sso_txt_matches(one, 1 + strlen(want), want));
	assert_false(sso_txt_matches(one, strlen(want), want));      /* truncated */
	assert_false(sso_txt_matches(one, 1 + strlen(want), "faxvault-domain-verification=ab"));
	assert_false(sso_txt_matches(one, 1 + strlen(want), "faxvault-domain-verification=abcd"));
	two[0] = 10;
	memcpy(two + 1, want, 10);
	two[11] = (unsigned char)(strlen(want) - 10);
	memcpy(two + 12, want + 10, strlen(want) - 10);
	assert_true(sso_txt_matches(two, 2 + strlen(want), want)); /* joined */
	assert_false(sso_txt_matches(two, 0, ""));
	unsigned char empty[1] = { 0 };
	assert_false(sso_txt_matches(empty, 1, want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_txt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
