/* Unit tests of fax by e-mail's sender authentication (smtp_auth.h): relaxed
 * alignment, the domain of an address, the reply derived from the results,
 * and DKIM verification offline (keys from a file, no DNS): no signature,
 * a signature whose key is not published, a broken signature header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "smtp_auth.h"

static void test_alignment(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b;
		bool aligned;
	} cases[] = {
		{ "example.net", "example.net", true },
		{ "Example.NET", "example.net.", true },
		{ "mail.example.net", "example.net", true },
		{ "example.net", "a.b.example.net", true },
		{ "badexample.net", "example.net", false },
		{ "example.net", "example.org", false },
		{ "co.uk", "example.co.uk", true },
		{ "uk", "example.uk", false },
		{ "example.net", "", false },
		{ "", "", false },
		{ ".", "example.net", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (smtp_auth_aligned(cases[i].a, cases[i].b) != cases[i].aligned)
			fail_msg("aligned(%s, %s) != %d", cases[i].a, cases[i].b, cases[i].aligned);
	assert_false(smtp_auth_aligned(NULL, "example.net"));
	assert_string_equal(smtp_auth_domain_of("User@Example.net"), "Example.net");
	assert_string_equal(smtp_auth_domain_of("a@b@c.example"), "c.example");
	assert_string_equal(smtp_auth_domain_of("nobody"), "");
}

static void test_reply(void **state)
{
	(void)state;
	static const struct {
		enum smtp_spf spf;
		enum smtp_dkim dkim;
		int code;
		const char *status;
	} cases[] = {
		{ SMTP_SPF_NONE, SMTP_DKIM_NONE, 550, "5.7.1" },
		{ SMTP_SPF_PASS, SMTP_DKIM_PASS, 550, "5.7.1" },
		{ SMTP_SPF_SOFTFAIL, SMTP_DKIM_NONE, 550, "5.7.1" },
		{ SMTP_SPF_NEUTRAL, SMTP_DKIM_NONE, 550, "5.7.1" },
		{ SMTP_SPF_PERMERROR, SMTP_DKIM_NONE, 550, "5.7.1" },
		{ SMTP_SPF_FAIL, SMTP_DKIM_NONE, 550, "5.7.23" },
		{ SMTP_SPF_FAIL, SMTP_DKIM_FAIL, 550, "5.7.23" },
		{ SMTP_SPF_TEMPERROR, SMTP_DKIM_NONE, 451, "4.4.3" },
		{ SMTP_SPF_FAIL, SMTP_DKIM_TEMPERROR, 451, "4.4.3" },
		{ SMTP_SPF_PASS, SMTP_DKIM_FAIL, 550, "5.7.20" },
		{ SMTP_SPF_PASS, SMTP_DKIM_PERMERROR, 550, "5.7.20" },
		{ SMTP_SPF_NONE, SMTP_DKIM_MISALIGNED, 550, "5.7.22" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		smtp_auth_t a = { .spf = cases[i].spf, .dkim = cases[i].dkim };
		int code;
		const char *status, *text;
		smtp_auth_reply(&a, &code, &status, &text);
		if (code != cases[i].code || strcmp(status, cases[i].status) != 0)
			fail_msg("case %zu: %d %s", i, code, status);
		assert_non_null(strstr(text, code == 451 ? "try again" : "may not send faxes"));
	}
	assert_string_equal(smtp_spf_name(SMTP_SPF_TEMPERROR), "temperror");
	assert_string_equal(smtp_dkim_name(SMTP_DKIM_MISALIGNED), "misaligned");
}

static void test_spf_loopback(void **state)
{
	(void)state;
	/* A local relay is not evaluated (libspf2 would say pass): no DNS. */
	smtp_auth_t a;
	smtp_auth_spf("127.0.0.1", "mx.example.net", "user@example.net", "example.net", &a);
	assert_int_equal(a.spf, SMTP_SPF_NONE);
	assert_string_equal(a.spf_domain, "example.net");
	assert_true(a.spf_aligned);
	smtp_auth_spf("::1", "mx.example.net", "", "other.example", &a);
	assert_int_equal(a.spf, SMTP_SPF_NONE);
	assert_string_equal(a.spf_domain, "mx.example.net");
	assert_false(a.spf_aligned);
}

static void test_dkim_offline(void **state)
{
	(void)state;
	static const char none[] = "From: a@example.net\r\nSubject: x\r\n\r\nhello\r\n";
	/* A well-formed signature whose key the key file does not hold. */
	static const char nokey[] =
		"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=sel1;"
		" h=from:subject; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;"
		" b=dGVzdA==\r\nFrom: a@example.net\r\nSubject: x\r\n\r\nhello\r\n";
	static const char broken[] =
		"DKIM-Signature: v=1; a=rsa-sha256; d=; s=\r\nFrom: a@example.net\r\n\r\nhi\r\n";
	smtp_auth_t a;
	smtp_auth_dkim((const uint8_t *)none, sizeof none - 1, "example.net", &a);
	assert_int_equal(a.dkim, SMTP_DKIM_NONE);
	smtp_auth_dkim((const uint8_t *)nokey, sizeof nokey - 1, "example.net", &a);
	assert_int_equal(a.dkim, SMTP_DKIM_PERMERROR);
	assert_string_equal(a.dkim_domain, "example.net");
	smtp_auth_dkim((const uint8_t *)broken, sizeof broken - 1, "example.net", &a);
	assert_int_equal(a.dkim, SMTP_DKIM_PERMERROR);
	uint64_t spf[SMTP_SPF_N], dkim[SMTP_DKIM_N];
	smtp_auth_counts(spf, dkim);
	assert_true(dkim[SMTP_DKIM_NONE] >= 1 && dkim[SMTP_DKIM_PERMERROR] >= 2);
	assert_true(spf[SMTP_SPF_NONE] >= 2);
}

int main(void)
{
	/* DKIM keys from an empty file: nothing is asked of DNS. */
	char keys[] = "/tmp/fv-dkim-keys-XXXXXX";
	int fd = mkstemp(keys);
	if (fd < 0)
		return 1;
	close(fd);
	smtp_auth_test_dkim_keyfile(keys);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_spf_loopback),
		cmocka_unit_test(test_dkim_offline),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(keys);
	return rc;
}
