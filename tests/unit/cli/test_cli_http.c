/* Unit tests of the HTTP helpers: status -> exit code, problem+json
 * rendering, percent-encoding of path segments and query values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "cli_http.h"
#include "cli_out.h"

static void test_exit_codes(void **state)
{
	(void)state;
	static const struct {
		long status;
		int code;
	} cases[] = {
		{ 200, CLI_EXIT_OK }, { 201, CLI_EXIT_OK }, { 204, CLI_EXIT_OK },
		{ 0, CLI_EXIT_SERVER }, { 301, CLI_EXIT_ERROR }, { 302, CLI_EXIT_ERROR },
		{ 400, CLI_EXIT_INVALID }, { 401, CLI_EXIT_UNAUTH }, { 403, CLI_EXIT_FORBIDDEN },
		{ 404, CLI_EXIT_NOTFOUND }, { 405, CLI_EXIT_ERROR }, { 409, CLI_EXIT_INVALID },
		{ 410, CLI_EXIT_NOTFOUND }, { 413, CLI_EXIT_INVALID }, { 415, CLI_EXIT_INVALID },
		{ 418, CLI_EXIT_ERROR }, { 422, CLI_EXIT_INVALID }, { 429, CLI_EXIT_RATELIMIT },
		{ 500, CLI_EXIT_SERVER }, { 502, CLI_EXIT_SERVER }, { 503, CLI_EXIT_SERVER },
		{ 599, CLI_EXIT_SERVER }, { 600, CLI_EXIT_ERROR }, { 100, CLI_EXIT_ERROR },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (cli_http_exit_code(cases[i].status) != cases[i].code)
			fail_msg("status %ld: %d want %d", cases[i].status,
				cli_http_exit_code(cases[i].status), cases[i].code);
}

static void test_problem(void **state)
{
	(void)state;
	static const struct {
		long status;
		const char *body;
		const char *rid;
		const char *want;
	} cases[] = {
		{ 404, "{\"type\":\"https://faxvault.dev/problems/not-found\",\"title\":\"Not found\","
			"\"status\":404,\"detail\":\"no account acc_x\",\"request_id\":\"req_1\"}", "",
			"error: Not found: no account acc_x (https://faxvault.dev/problems/not-found)\n"
			"request id: req_1\n" },
		{ 403, "{\"type\":\"t:forbidden\",\"title\":\"Forbidden\"}", "req_h",
			"error: Forbidden (t:forbidden)\nrequest id: req_h\n" },
		{ 422, "{\"detail\":\"email is invalid\"}", NULL,
			"error: email is invalid\n" },
		{ 401, "{\"title\":\"Unauthorized\",\"detail\":\"\",\"type\":\"\"}", NULL,
			"error: Unauthorized\n" },
		{ 502, "<html>Bad Gateway</html>\nmore", NULL,
			"error: HTTP 502: <html>Bad Gateway</html>\n" },
		{ 500, "", "req_9", "error: HTTP 500\nrequest id: req_9\n" },
		{ 500, "[1,2]", NULL, "error: HTTP 500\n" },
		{ 400, "{\"title\":\"Bad\\u001b[2Jrequest\",\"detail\":\"line\\nfeed\"}", NULL,
			"error: Bad?[2Jrequest: line?feed\n" },
		{ 409, "{\"title\":42,\"detail\":\"conflict\"}", NULL, "error: conflict\n" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_t b;
		buf_init(&b, 4096);
		cli_http_problem_format(cases[i].status, cases[i].body, strlen(cases[i].body),
			cases[i].rid, &b);
		if (strcmp(cli_buf_str(&b), cases[i].want) != 0)
			fail_msg("case %zu: '%s' want '%s'", i, cli_buf_str(&b), cases[i].want);
		buf_free(&b);
	}
}

static void test_escape_and_paths(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "acc_123", "acc_123" }, { "a/b", "a%2Fb" }, { "../x", "..%2Fx" },
		{ "a?b=c&d", "a%3Fb%3Dc%26d" }, { "sp ace", "sp%20ace" }, { "~-._", "~-._" },
		{ "\xc3\xa9", "%C3%A9" }, { "", "" }, { "%", "%25" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *e = cli_http_escape(cases[i].in);
		assert_string_equal(e, cases[i].want);
		free(e);
	}
	char *p = cli_http_path("/v1/accounts/%s/users/%s", "acc_1", "../../admin");
	assert_string_equal(p, "/v1/accounts/acc_1/users/..%2F..%2Fadmin");
	free(p);
	p = cli_http_path("/100%%/%s", "x y");
	assert_string_equal(p, "/100%/x%20y");
	free(p);

	buf_t b;
	buf_init(&b, 4096);
	buf_puts(&b, "/v1/x");
	cli_http_query_add(&b, "since", "2026-01-01T00:00:00+01:00");
	cli_http_query_add(&b, "actor", NULL);
	cli_http_query_add(&b, "action", "");
	cli_http_query_add(&b, "cursor", "a&b");
	assert_string_equal(b.data, "/v1/x?since=2026-01-01T00%3A00%3A00%2B01%3A00&cursor=a%26b");
	buf_free(&b);
}

static void test_header_values(void **state)
{
	(void)state;
	assert_int_equal(cli_http_header_ok("retry-2026-01-01", CLI_HTTP_IDEM_MAX), 0);
	assert_int_equal(cli_http_header_ok("", CLI_HTTP_IDEM_MAX), 0);
	assert_int_equal(cli_http_header_ok("a\r\nX-Evil: 1", CLI_HTTP_IDEM_MAX), -1);
	assert_int_equal(cli_http_header_ok("tab\t", CLI_HTTP_IDEM_MAX), -1);
	char big[300];
	memset(big, 'k', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(cli_http_header_ok(big, CLI_HTTP_IDEM_MAX), -1);
	big[200] = '\0';
	assert_int_equal(cli_http_header_ok(big, CLI_HTTP_IDEM_MAX), 0);
}

static void test_insecure_urls(void **state)
{
	(void)state;
	static const struct {
		const char *url;
		int insecure;
	} cases[] = {
		{ "http://127.0.0.1:8080", 0 }, { "http://127.1.2.3", 0 }, { "http://localhost:8080/", 0 },
		{ "HTTP://LOCALHOST", 0 }, { "http://[::1]:8080", 0 }, { "https://fax.example", 0 },
		{ "https://10.0.0.1", 0 }, { "http://fax.example", 1 }, { "http://10.0.0.1:8080", 1 },
		{ "http://127.0.0.1.evil.example", 1 }, { "http://localhost.evil.example", 1 },
		{ "http://[::2]:80", 1 }, { "http://user@fax.example", 1 },
		{ "http://evil.example@127.0.0.1/", 0 }, { "http://[::1].x", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (cli_http_url_insecure(cases[i].url) != cases[i].insecure)
			fail_msg("%s: want %d", cases[i].url, cases[i].insecure);
}

static void test_seconds(void **state)
{
	(void)state;
	static const struct {
		const char *v;
		long want;
	} cases[] = {
		{ "7", 7 }, { "0", 0 }, { "86400", 86400 }, { "86401", -1 }, { "", -1 }, { "-1", -1 },
		{ "1.5", -1 }, { "12s", -1 }, { "9999999", -1 }, { "Wed, 21 Oct 2026 07:28:00 GMT", -1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(cli_http_seconds(cases[i].v, strlen(cases[i].v)), cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_problem),
		cmocka_unit_test(test_escape_and_paths),
		cmocka_unit_test(test_header_values),
		cmocka_unit_test(test_insecure_urls),
		cmocka_unit_test(test_seconds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
