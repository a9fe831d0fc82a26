/* Unit tests of the retry policy (retry.c): every failure class, backoff,
 * the T.30 fallbacks, the end of the retries, and the rule that a fax whose
 * pages all went through is delivered whatever the end of the call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fax/fax.h"

static retry_in_t base(const char *fc, int attempts)
{
	retry_in_t in = { .ok = 0, .fail_class = fc, .reason = "the line was busy",
		.attempts_made = attempts, .retries = 3, .retry_delay_seconds = 300, .pages_done = 0,
		.pages_confirmed = 0, .page_count = 3, .ecm = 1, .max_rate = 14400 };
	return in;
}

static void test_retry_classes(void **state)
{
	(void)state;
	retry_out_t out;
	/* busy, no answer, network: retry after the delay, ×2 per attempt */
	static const char *const again[] = { "busy", "no_answer", "network" };
	for (size_t i = 0; i < 3; i++) {
		for (int a = 1; a <= 3; a++) {
			retry_in_t in = base(again[i], a);
			retry_decide(&in, &out);
			assert_int_equal(out.final, 0);
			assert_string_equal(out.status, "queued");
			assert_int_equal(out.delay_ms, 300000LL << (a - 1));
			assert_int_equal(out.ecm, 1);
			assert_int_equal(out.max_rate, 14400);
			assert_string_equal(out.failure_class, again[i]);
		}
	}
	/* not a fax, rejected: final at once, on the first attempt */
	static const char *const never[] = { "not_a_fax", "rejected" };
	for (size_t i = 0; i < 2; i++) {
		retry_in_t in = base(never[i], 1);
		in.reason = "no fax machine answered";
		retry_decide(&in, &out);
		assert_int_equal(out.final, 1);
		assert_string_equal(out.status, "failed");
		assert_string_equal(out.failure_class, never[i]);
		assert_non_null(strstr(out.failure_reason, "no fax machine answered"));
	}
	/* partial: retried after the delay (the rest of the pages) */
	retry_in_t in = base("partial", 1);
	in.pages_done = in.pages_confirmed = 2;
	retry_decide(&in, &out);
	assert_int_equal(out.final, 0);
	assert_int_equal(out.delay_ms, 300000);
	/* t30_error: first 9600 bit/s, then ECM toggled */
	in = base("t30_error", 1);
	retry_decide(&in, &out);
	assert_int_equal(out.final, 0);
	assert_int_equal(out.max_rate, 9600);
	assert_int_equal(out.ecm, 1);
	in = base("t30_error", 2);
	in.max_rate = 9600;
	retry_decide(&in, &out);
	assert_int_equal(out.max_rate, 9600);
	assert_int_equal(out.ecm, 0);
	in.ecm = 0;
	in.attempts_made = 3;
	retry_decide(&in, &out);
	assert_int_equal(out.ecm, 1);
	/* an unknown class is treated as a network failure */
	in = base("weird", 1);
	retry_decide(&in, &out);
	assert_int_equal(out.final, 0);
	assert_string_equal(out.failure_class, "weird");
}

static void test_retry_exhausted(void **state)
{
	(void)state;
	retry_out_t out;
	retry_in_t in = base("busy", 4); /* 3 retries after the first attempt: 4 made */
	retry_decide(&in, &out);
	assert_int_equal(out.final, 1);
	assert_string_equal(out.status, "failed");
	assert_non_null(strstr(out.failure_reason, "4 attempts"));
	assert_non_null(strstr(out.failure_reason, "busy"));
	/* some pages through: partial, saying how many */
	in = base("partial", 4);
	in.pages_done = in.pages_confirmed = 2;
	in.reason = "the call dropped";
	retry_decide(&in, &out);
	assert_int_equal(out.final, 1);
	assert_string_equal(out.status, "partial");
	assert_non_null(strstr(out.failure_reason, "2 of 3 pages"));
	/* no retries at all */
	in = base("no_answer", 1);
	in.retries = 0;
	retry_decide(&in, &out);
	assert_int_equal(out.final, 1);
	assert_string_equal(out.status, "failed");
	assert_non_null(strstr(out.failure_reason, "1 attempt:"));
	/* backoff stops at a day */
	in = base("busy", 10);
	in.retries = 10;
	in.retry_delay_seconds = 86400;
	retry_decide(&in, &out);
	assert_int_equal(out.delay_ms, 86400000LL);
}

static void test_retry_delivered(void **state)
{
	(void)state;
	retry_out_t out;
	retry_in_t in = base("", 1);
	in.ok = 1;
	in.pages_done = in.pages_confirmed = 3;
	retry_decide(&in, &out);
	assert_int_equal(out.final, 1);
	assert_string_equal(out.status, "delivered");
	assert_string_equal(out.failure_class, "");
	/* Every page confirmed, but the call ended badly: still delivered,
	 * never sent again. */
	in = base("network", 1);
	in.pages_done = in.pages_confirmed = 3;
	retry_decide(&in, &out);
	assert_int_equal(out.final, 1);
	assert_string_equal(out.status, "delivered");
	/* pages skipped by a resend count as done, not as confirmed */
	in = base("", 1);
	in.ok = 1;
	in.pages_done = 3;
	in.pages_confirmed = 1;
	retry_decide(&in, &out);
	assert_string_equal(out.status, "delivered");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_classes),
		cmocka_unit_test(test_retry_exhausted),
		cmocka_unit_test(test_retry_delivered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
