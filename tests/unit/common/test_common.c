/* Unit tests of src/common: buffers, number parsing, time, crypto helpers. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "sec.h"
#include "liveness.h"
#include "log.h"
#include "numparse.h"
#include "timeutil.h"

static void test_buf_ceiling(void **state)
{
	(void)state;
	buf_t b;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "abcd"), 0);
	assert_int_equal(buf_printf(&b, "%d", 1234), 0);
	assert_string_equal(b.data, "abcd1234");
	assert_int_equal(buf_puts(&b, "x"), -1);
	assert_string_equal(b.data, "abcd1234");
	char *s = buf_steal(&b);
	assert_string_equal(s, "abcd1234");
	free(s);
	assert_null(b.data);
	buf_free(&b);
	buf_free(NULL);
}

static void test_numparse(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int ok;
		int64_t v;
	} cases[] = {
		{ "0", 1, 0 }, { "42", 1, 42 }, { "-7", 1, -7 }, { "", 0, 0 }, { "+1", 0, 0 },
		{ " 1", 0, 0 }, { "1x", 0, 0 }, { "9223372036854775807", 1, INT64_MAX },
		{ "9223372036854775808", 0, 0 }, { "-9223372036854775808", 1, INT64_MIN },
		{ "99999999999999999999999", 0, 0 }, { "-", 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t v = 0;
		int rc = parse_i64z(cases[i].in, INT64_MIN, INT64_MAX, &v);
		assert_int_equal(rc == 0, cases[i].ok);
		if (cases[i].ok)
			assert_true(v == cases[i].v);
	}
	int64_t v;
	assert_int_equal(parse_i64z("101", 0, 100, &v), -1);
	uint64_t u;
	assert_int_equal(parse_u64("-1", 2, 10, &u), -1);
}

static void test_rfc3339(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(time_parse_rfc3339("1970-01-01T00:00:00Z", &ms), 0);
	assert_true(ms == 0);
	assert_int_equal(time_parse_rfc3339("2026-11-23T10:20:30.5+01:00", &ms), 0);
	char out[40];
	assert_string_equal(time_format_rfc3339(ms, out, sizeof out), "2026-11-23T09:20:30.500Z");
	assert_int_equal(time_parse_rfc3339("2025-02-29T00:00:00Z", &ms), -1);
	assert_int_equal(time_parse_rfc3339("2024-02-29T00:00:00Z", &ms), 0);
	assert_int_equal(time_parse_rfc3339("2024-13-01T00:00:00Z", &ms), -1);
	assert_int_equal(time_parse_rfc3339("2024-01-01 00:00:00Z", &ms), -1);
	assert_int_equal(time_parse_rfc3339("2024-01-01T00:00:00", &ms), -1);
	assert_int_equal(time_parse_rfc3339("2024-01-01T00:00:00Zjunk", &ms), -1);
}

static void test_crypto(void **state)
{
	(void)state;
	assert_int_equal(sec_init(), 0);
	char hex[SEC_SHA256_HEX];
	sec_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	char *id = sec_new_id("acc");
	assert_int_equal(strlen(id), 24);
	assert_memory_equal(id, "acc_", 4);
	/* Ids ordered by time: the same shape and alphabet, later ones sort
	 * after (a second, a millisecond, years), whatever their random part. */
	const int64_t at[] = { 0, 1, 1000, 1001, 1765000000000, 1765000000001, 1765000001000,
		2900000000000 };
	char *prev = NULL;
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		char *o = sec_new_id_at("evt", at[i]);
		assert_int_equal(strlen(o), 24);
		assert_memory_equal(o, "evt_", 4);
		assert_int_equal(strspn(o + 4, "abcdefghijkmnpqrstuvwxyz23456789"), 20);
		if (prev)
			assert_true(strcmp(prev, o) < 0);
		free(prev);
		prev = o;
	}
	free(prev);
	char *a = sec_new_id_at("evt", 1765000000000), *b = sec_new_id_at("evt", 1765000000000);
	assert_memory_equal(a, b, 4 + 9); /* the same millisecond */
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	char *tok = sec_new_token("fvs_");
	assert_int_equal(strlen(tok), 4 + 43);
	free(id);
	free(tok);
	sec_pwhash_set_cost(1, 8192);
	char h[SEC_PWHASH_MAX];
	assert_int_equal(sec_pwhash("correct horse", h), 0);
	assert_non_null(strstr(h, "$argon2id$"));
	assert_int_equal(sec_pwhash_verify(h, "correct horse"), 1);
	assert_int_equal(sec_pwhash_verify(h, "correct horsf"), 0);
	assert_int_equal(sec_pwhash_verify("garbage", "x"), 0);
	assert_true(strlen(sec_pwhash_dummy()) > 20);
}

static void test_log_quote(void **state)
{
	(void)state;
	char q[64];
	assert_string_equal(log_quote("a b\"c\n", q, sizeof q), "\"a b\\\"c\\x0a\"");
	assert_string_equal(log_quote(NULL, q, sizeof q), "\"\"");
}

static void test_buf_read_file(void **state)
{
	(void)state;
	char path[] = "/tmp/fv_buf_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	buf_t b;
	buf_init(&b, 14);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_read_file(&b, path), 0);
	assert_string_equal(b.data, "ab0123456789");
	/* past the ceiling: refused, and the buffer keeps what it had */
	errno = 0;
	assert_int_equal(buf_read_file(&b, path), -1);
	assert_int_equal(errno, EFBIG);
	assert_string_equal(b.data, "ab0123456789");
	unlink(path);
	assert_int_equal(buf_read_file(&b, path), -1);
	assert_int_equal(errno, ENOENT);
	buf_free(&b);
}

static void *busy_and_exit(void *arg)
{
	liveness_busy((const char *)arg);
	return NULL;
}

/* Marks: the busy thread is seen with its role, an idle one is not, and a
 * thread that exits busy gives its slot back (it is not seen stuck). */
static void test_liveness(void **state)
{
	(void)state;
	const char *role = "x";
	assert_int_equal(liveness_oldest_ms(&role), 0);
	assert_null(role);
	liveness_touch(); /* no slot yet: nothing */
	assert_int_equal(liveness_oldest_ms(&role), 0);
	assert_null(role);
	liveness_busy("http");
	assert_true(liveness_oldest_ms(&role) >= 0);
	assert_string_equal(role, "http");
	liveness_touch();
	liveness_oldest_ms(&role);
	assert_string_equal(role, "http");
	liveness_idle();
	liveness_oldest_ms(&role);
	assert_null(role);
	liveness_touch(); /* idle: stays idle */
	liveness_oldest_ms(&role);
	assert_null(role);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, busy_and_exit, (void *)"queue"), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	liveness_oldest_ms(&role);
	assert_null(role);
	liveness_busy("queue");
	liveness_oldest_ms(&role);
	assert_string_equal(role, "queue");
	liveness_idle();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_ceiling),
		cmocka_unit_test(test_buf_read_file),
		cmocka_unit_test(test_numparse),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_crypto),
		cmocka_unit_test(test_log_quote),
		cmocka_unit_test(test_liveness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
