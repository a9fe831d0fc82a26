/* Unit tests of carrier screening: CIDR lists and called-number rewriting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "carrier.h"
#include "cidr.h"

static void t_cidr(void **state)
{
	(void)state;
	cidr_t c;
	const char *why;
	assert_int_equal(cidr_parse("192.0.2.0/24", &c, &why), 0);
	assert_int_equal(c.family, 4);
	assert_int_equal(c.prefix, 24);
	assert_int_equal((int)cidr_contains_text(&c, "192.0.2.77"), 1);
	assert_int_equal((int)cidr_contains_text(&c, "::ffff:192.0.2.1"), 1);
	assert_int_equal((int)cidr_contains_text(&c, "192.0.3.1"), 0);
	assert_int_equal((int)cidr_contains_text(&c, "2001:db8::1"), 0);
	assert_int_equal((int)cidr_contains_text(&c, "not an address"), 0);
	assert_int_equal(cidr_parse("127.0.0.1", &c, &why), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal((int)cidr_contains_text(&c, "127.0.0.1"), 1);
	assert_int_equal((int)cidr_contains_text(&c, "127.0.0.2"), 0);
	assert_int_equal(cidr_parse("10.0.0.0/9", &c, &why), 0);
	assert_int_equal((int)cidr_contains_text(&c, "10.127.255.255"), 1);
	assert_int_equal((int)cidr_contains_text(&c, "10.128.0.0"), 0);
	assert_int_equal(cidr_parse("0.0.0.0/0", &c, &why), 0);
	assert_int_equal((int)cidr_contains_text(&c, "203.0.113.9"), 1);
	assert_int_equal(cidr_parse("2001:db8::/32", &c, &why), 0);
	assert_int_equal(c.family, 6);
	assert_int_equal((int)cidr_contains_text(&c, "2001:db8:ffff::5"), 1);
	assert_int_equal((int)cidr_contains_text(&c, "2001:db9::5"), 0);
	assert_int_equal((int)cidr_contains_text(&c, "192.0.2.1"), 0);
	static const char *const bad[] = { "", "/24", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x",
		"2001:db8::/129", "2001:db8::1/32", "host.example/24", "10.0.0.0/024x", "10.0.0.0/99999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(cidr_parse(bad[i], &c, &why), -1);
}

static void t_normalize(void **state)
{
	(void)state;
	const carrier_rewrite_t fr[] = { { "0", "+33" }, { "00", "+" }, { "+", "+" } };
	char out[CARRIER_NUMBER_MAX + 1];
	assert_int_equal(carrier_number_normalize("0123456789", fr, 3, out, sizeof out), 0);
	assert_string_equal(out, "+33123456789");
	assert_int_equal(carrier_number_normalize("0044 20 7946-0958", fr, 3, out, sizeof out), 0);
	assert_string_equal(out, "+442079460958");
	assert_int_equal(carrier_number_normalize("+33123456789", fr, 3, out, sizeof out), 0);
	assert_string_equal(out, "+33123456789");
	assert_int_equal(carrier_number_normalize("%2B15555550101;npdi", NULL, 0, out, sizeof out), 0);
	assert_string_equal(out, "+15555550101");
	const carrier_rewrite_t us[] = { { "", "+1" }, { "1", "+1" } };
	assert_int_equal(carrier_number_normalize("(555) 555.0101", us, 2, out, sizeof out), 0);
	assert_string_equal(out, "+15555550101");
	assert_int_equal(carrier_number_normalize("15555550101", us, 2, out, sizeof out), 0);
	assert_string_equal(out, "+15555550101");
	/* Not E.164 after rewriting: refused, out empty. */
	static const char *const bad[] = { "", "fax", "0123456789", "+0123", "+1234567890123456", "+1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(carrier_number_normalize(bad[i], NULL, 0, out, sizeof out), -1);
		assert_string_equal(out, "");
	}
	char small[4];
	assert_int_equal(carrier_number_normalize("+15555550101", NULL, 0, small, sizeof small), -1);
	assert_int_equal(carrier_rule_valid("0", "+33"), 0);
	assert_int_equal(carrier_rule_valid("+", "+"), 0);
	assert_int_equal(carrier_rule_valid("", "+1"), 0);
	assert_int_equal(carrier_rule_valid("0", ""), 0);
	assert_int_equal(carrier_rule_valid("0a", "+33"), -1);
	assert_int_equal(carrier_rule_valid("0", "33"), -1);
	assert_int_equal(carrier_rule_valid("0", "+3a"), -1);
	assert_int_equal(carrier_rule_valid("01234567890123456", "+1"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_cidr),
		cmocka_unit_test(t_normalize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
