/* Unit tests of src/api: route matching, the route table's own rules, the
 * problem kinds, and the metrics exposition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"
#include "problem.h"
#include "router.h"

static void test_match(void **state)
{
	(void)state;
	route_match_t m;
	assert_int_equal(router_match("GET", "/v1/accounts/acc_1/users/usr_2", &m), 0);
	assert_string_equal(m.route->action, "users.get");
	assert_string_equal(route_param(&m, "id"), "acc_1");
	assert_string_equal(route_param(&m, "user_id"), "usr_2");
	assert_null(route_param(&m, "nope"));
	assert_int_equal(router_match("PUT", "/v1/accounts/acc_1", &m), -2);
	assert_int_equal(router_match("GET", "/v1/accounts/acc_1/", &m), -1);
	assert_int_equal(router_match("GET", "/v1/accounts//users", &m), -1);
	assert_int_equal(router_match("GET", "/v1/accountsX", &m), -1);
	assert_int_equal(router_match("GET", "", &m), -1);
	assert_int_equal(router_match("HEAD", "/healthz", &m), 0);
	char longp[400];
	memset(longp, 'a', sizeof longp);
	memcpy(longp, "/v1/accounts/", 13);
	longp[sizeof longp - 1] = '\0';
	assert_int_equal(router_match("GET", longp, &m), -1);
}

static void test_route_table_rules(void **state)
{
	(void)state;
	for (const struct route *r = router_routes(); r->method; r++) {
		/* Every route that is not public names who may call it, or is a
		 * caller-scoped one (me, sessions) that needs only authentication. */
		if (!(r->flags & ROUTE_PUBLIC) && r->perms == 0)
			assert_true(strncmp(r->pattern, "/v1/me", 6) == 0 ||
				strncmp(r->pattern, "/v1/sessions", 12) == 0 ||
				strcmp(r->pattern, "/v1/permissions") == 0);
		/* Account routes carry the account as {id}. */
		if (r->flags & ROUTE_ACCOUNT)
			assert_non_null(strstr(r->pattern, "/v1/accounts/{id}"));
		if (strstr(r->pattern, "/v1/accounts/{id}"))
			assert_true(r->flags & ROUTE_ACCOUNT);
		assert_true(r->fn != NULL || (r->flags & ROUTE_SYSTEM));
		for (const struct route *q = r + 1; q->method; q++)
			assert_false(strcmp(r->method, q->method) == 0 && strcmp(r->pattern, q->pattern) == 0);
	}
}

static void test_problems(void **state)
{
	(void)state;
	for (const struct problem_kind *k = problem_table(); k->kind; k++) {
		assert_true(k->status >= 400 && k->status < 600);
		assert_true(strlen(k->title_en) > 0 && strlen(k->title_fr) > 0);
		assert_string_not_equal(k->title_en, k->title_fr);
		for (const struct problem_kind *q = k + 1; q->kind; q++)
			assert_string_not_equal(k->kind, q->kind);
	}
	json_t *p = problem_json("not-found", "no such user", "user_id", "req_1", "fr");
	assert_string_equal(json_string_value(json_object_get(p, "type")), "urn:faxvault:problem:not-found");
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 404);
	assert_string_equal(json_string_value(json_object_get(p, "title")), "La ressource n'existe pas");
	assert_string_equal(json_string_value(json_object_get(p, "field")), "user_id");
	json_decref(p);
	assert_string_equal(problem_lookup("no-such-kind")->kind, "internal");
}

static void test_metrics(void **state)
{
	(void)state;
	metrics_init();
	metrics_request("/v1/me", "GET", 200, 2000000);
	metrics_request("/v1/me", "GET", 200, 3000000);
	metrics_request("/v1/me", "GET", 401, 100000);
	metrics_auth_failure();
	buf_t b;
	buf_init(&b, 1 << 16);
	metrics_render(&b, 1500000000, 2);
	assert_non_null(strstr(b.data, "faxvault_http_requests_total{route=\"/v1/me\",method=\"GET\",status=\"200\"} 2\n"));
	assert_non_null(strstr(b.data, "faxvault_http_requests_total{route=\"/v1/me\",method=\"GET\",status=\"401\"} 1\n"));
	assert_non_null(strstr(b.data, "faxvault_http_request_duration_seconds_bucket{le=\"0.001\"} 1\n"));
	assert_non_null(strstr(b.data, "faxvault_http_request_duration_seconds_bucket{le=\"0.0025\"} 2\n"));
	assert_non_null(strstr(b.data, "faxvault_http_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(b.data, "faxvault_auth_failures_total 1\n"));
	assert_non_null(strstr(b.data, "faxvault_db_seconds_total 1.500000\n"));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_route_table_rules),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
