/* Unit tests of src/api: route matching, the route table's own rules, the
 * problem kinds, the metrics exposition, the redaction of credentials in
 * request targets, and the answers' JSON text (json_out). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "disposition.h"
#include "json_out.h"
#include "metrics.h"
#include "problem.h"
#include "redact.h"
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
		/* Account routes carry the account as {id}: an account's own, or
		 * an operator's on it (/v1/provider/accounts/{id}/...). */
		bool acc_path = strncmp(r->pattern, "/v1/accounts/{id}", 17) == 0 ||
			strncmp(r->pattern, "/v1/provider/accounts/{id}", 26) == 0;
		if (r->flags & ROUTE_ACCOUNT)
			assert_true(acc_path);
		if (acc_path)
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

/* Content-Disposition: a quoted name with nothing that could end or bend
 * the header, and the exact name in RFC 8187's encoding. */
static void test_disposition(void **state)
{
	(void)state;
	char cd[200];
	assert_int_equal(disposition_format("attachment", "fax_abc.pdf", cd, sizeof cd), 0);
	assert_string_equal(cd, "attachment; filename=\"fax_abc.pdf\"; filename*=UTF-8''fax_abc.pdf");
	assert_int_equal(disposition_format("attachment", "Facture été \"2\";\r\n.pdf", cd, sizeof cd), 0);
	assert_string_equal(cd, "attachment; filename=\"Facture__t___2____.pdf\"; "
		"filename*=UTF-8''Facture%20%C3%A9t%C3%A9%20%222%22%3B%0D%0A.pdf");
	assert_int_equal(disposition_format("inline", "a/b\\c", cd, sizeof cd), 0);
	assert_string_equal(cd, "inline; filename=\"a_b_c\"; filename*=UTF-8''a%2Fb%5Cc");
	/* Too long for the buffer, or nothing to name: no header at all. */
	char small[40];
	assert_int_equal(disposition_format("attachment", "fax_0123456789abcdef.pdf", small,
		sizeof small), -1);
	assert_string_equal(small, "");
	assert_int_equal(disposition_format("attachment", "", cd, sizeof cd), -1);
	assert_int_equal(disposition_format("attachment", "x", cd, 0), -1);
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
	assert_non_null(strstr(b.data, "faxvault_password_hashes_total "));
	buf_free(&b);
}

/* redact_target(target, pattern) must give want. */
static void redacts(const char *target, const char *pattern, const char *want)
{
	char out[400];
	redact_target(target, pattern, out, sizeof out);
	if (strcmp(out, want) != 0)
		fail_msg("%s: got %s, want %s", target, out, want);
}

static void test_redact(void **state)
{
	(void)state;
	const char *tok = "Qw3rTy-uIoP_aSdF9hJkL2zXcVbNm0q1W2e3R4t5Y6u";
	char t[300], want[300];
	/* Every kind of token faxvault issues, by its prefix, whatever follows. */
	const char *prefixes[] = { "fvs_", "fvk_", "fvi_", "fvr_", "whsec_" };
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		snprintf(t, sizeof t, "/v1/x/%s%s/accept", prefixes[i], tok);
		snprintf(want, sizeof want, "/v1/x/%s[redacted]/accept", prefixes[i]);
		redacts(t, NULL, want);
		snprintf(t, sizeof t, "/v1/x/%sshort", prefixes[i]);
		snprintf(want, sizeof want, "/v1/x/%s[redacted]", prefixes[i]);
		redacts(t, NULL, want);
	}
	redacts("/v1/password-resets/FVR_abc", NULL, "/v1/password-resets/fvr_[redacted]");
	redacts("/v1/invitations/fvi%5Fabc/accept", NULL, "/v1/invitations/fvi_[redacted]/accept");
	/* The route's {token} parameter, whatever it holds. */
	redacts("/v1/invitations/abc/accept", "/v1/invitations/{token}/accept",
		"/v1/invitations/[redacted]/accept");
	redacts("/v1/password-resets/x", "/v1/password-resets/{token}", "/v1/password-resets/[redacted]");
	/* Other credentials by their looks: high entropy, recovery codes. */
	redacts("/v1/x/JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", NULL, "/v1/x/[redacted]");
	redacts("/v1/x/abcd-efgh-2345", NULL, "/v1/x/[redacted]");
	snprintf(t, sizeof t, "/%s", tok);
	redacts(t, NULL, "/[redacted]");
	/* What the log needs stays: ids, route words, numbers, short values. */
	redacts("/v1/accounts/acc_abcdefghijkmnpqrstuv/users/usr_23456789abcdefghijkm",
		"/v1/accounts/{id}/users/{user_id}",
		"/v1/accounts/acc_abcdefghijkmnpqrstuv/users/usr_23456789abcdefghijkm");
	redacts("/v1/accounts/acc_1/notification-preferences", NULL, "/v1/accounts/acc_1/notification-preferences");
	redacts("/v1/numbers/+15551234567", NULL, "/v1/numbers/+15551234567");
	redacts("/v1/faxes/fax_1/pages/1.png", "/v1/faxes/{fax_id}/pages/{n}.png", "/v1/faxes/fax_1/pages/1.png");
	redacts("/", NULL, "/");
	redacts("", NULL, "");
	/* Query: values under credential-like keys, credential-like values. */
	redacts("/v1/x?limit=10&token=abc&api_key=x&cursor=c1", NULL,
		"/v1/x?limit=10&token=[redacted]&api_key=[redacted]&cursor=c1");
	snprintf(t, sizeof t, "/v1/x?next=%s&flag", tok);
	redacts(t, NULL, "/v1/x?next=[redacted]&flag");
	redacts("/v1/x?fvs_abc=1;Password=hunter2", NULL, "/v1/x?fvs_[redacted]=[redacted];Password=[redacted]");
	/* A cut output stays terminated. */
	char small[8];
	assert_int_equal(redact_target("/v1/invitations/fvi_abc", NULL, small, sizeof small), 1);
	assert_string_equal(small, "/v1/inv");
	redacts("/v1/x/WHSEC_abc/fvc_d", NULL, "/v1/x/whsec_[redacted]/fvc_[redacted]");
	redacts("/v1/x/afvk_b", NULL, "/v1/x/[redacted]");
	assert_true(redact_is_secret("fvk_x", 5));
	assert_false(redact_is_secret("accounts", 8));
}

/* ---- json_out: byte for byte json_dumps(JSON_COMPACT) ---- */

static unsigned long long rnd_state = 0x2545f4914f6cdd1dULL;
static unsigned rnd(unsigned n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned)(rnd_state % n);
}

/* Text with every kind of character json_dumps treats apart: quotes,
 * backslashes, each control character, DEL, slashes, two- to four-byte
 * UTF-8, and now and then a byte sequence that is not UTF-8. */
static size_t rnd_text(char *t, size_t cap, bool valid)
{
	static const char *const pieces[] = { "\"", "\\", "/", "\x7f", "a", "Z", "0", " ", "\xc3\xa9",
		"\xe2\x82\xac", "\xf0\x9f\x93\xa0", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xc2\x80" };
	static const char *const bad[] = { "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "\xe2\x82",
		"\xf8\x88\x80\x80\x80", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xff" };
	size_t n = 0, want = rnd(24);
	for (size_t i = 0; i < want && n + 8 < cap; i++) {
		if (rnd(4) == 0) {
			t[n++] = (char)rnd(32); /* a control character, NUL included */
			continue;
		}
		const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
		if (!valid && rnd(8) == 0)
			p = bad[rnd(sizeof bad / sizeof bad[0])];
		memcpy(t + n, p, strlen(p));
		n += strlen(p);
	}
	return n;
}

static json_t *rnd_value(int depth, bool valid)
{
	char t[256];
	size_t n;
	switch (rnd(depth > 4 ? 7 : 9)) {
	case 0: {
		static const json_int_t ints[] = { 0, -1, 1, 42, INT64_MAX, INT64_MIN, 1700000000000LL };
		return json_integer(rnd(2) ? ints[rnd(7)] : (json_int_t)rnd(1000000) - 500000);
	}
	case 1: {
		static const double reals[] = { 0.0, -0.0, 0.1, 1.0, 1e300, -2.5e-300, 123456789.125, 1.0 / 3 };
		return json_real(reals[rnd(8)]);
	}
	case 2: return json_true();
	case 3: return json_false();
	case 4: return json_null();
	case 5:
	case 6:
		n = rnd_text(t, sizeof t, valid);
		return json_stringn_nocheck(t, n);
	case 7: {
		json_t *a = json_array();
		for (unsigned i = rnd(5); i > 0; i--)
			json_array_append_new(a, rnd_value(depth + 1, valid));
		return a;
	}
	default: {
		json_t *o = json_object();
		for (unsigned i = rnd(6); i > 0; i--) {
			n = rnd_text(t, sizeof t, valid);
			json_object_setn_new_nocheck(o, t, n, rnd_value(depth + 1, valid));
		}
		return o;
	}
	}
}

static void same_as_jansson(const json_t *j)
{
	char *want = json_dumps(j, JSON_COMPACT), *got = json_out_compact(j);
	if (!want || !got) {
		if (want || got)
			fail_msg("json_dumps %s, json_out %s", want ? want : "(null)", got ? got : "(null)");
	} else if (strcmp(want, got) != 0) {
		fail_msg("json_dumps %s\njson_out   %s", want, got);
	}
	free(want);
	free(got);
}

static void test_json_out(void **state)
{
	(void)state;
	/* The shapes answers have. */
	json_t *j = json_pack("{s:s, s:I, s:b, s:n, s:[s], s:{}, s:[], s:{s:s}, s:f}", "id",
		"usr_1", "created_at", (json_int_t)1700000000000LL, "ok", 1, "none", "a", "b",
		"empty", "list", "nested", "x", "caf\xc3\xa9 \"\\\n\t\x01\x1f/", "rate", 0.25);
	same_as_jansson(j);
	char *t = json_out_compact(j);
	assert_string_equal(t, "{\"id\":\"usr_1\",\"created_at\":1700000000000,\"ok\":true,"
		"\"none\":null,\"a\":[\"b\"],\"empty\":{},\"list\":[],\"nested\":{\"x\":"
		"\"caf\xc3\xa9 \\\"\\\\\\n\\t\\u0001\\u001F/\"},\"rate\":0.25}");
	free(t);
	json_decref(j);
	/* What json_dumps refuses, refused alike: a scalar alone, text that
	 * is not UTF-8, a cycle. */
	j = json_integer(1);
	assert_null(json_out_compact(j));
	json_decref(j);
	j = json_pack("{s:o}", "s", json_stringn_nocheck("\xed\xa0\x80", 3));
	same_as_jansson(j);
	assert_null(json_out_compact(j));
	json_decref(j);
	j = json_array();
	json_t *inner = json_array();
	json_array_append(j, inner);
	json_array_append(inner, j);
	assert_null(json_out_compact(j));
	json_array_clear(inner);
	json_decref(inner);
	json_decref(j);
	/* Deep trees, past json_out's own depth: jansson's text. */
	j = json_array();
	json_t *at = j;
	for (int i = 0; i < JSON_OUT_DEPTH + 10; i++) {
		json_t *next = json_array();
		json_array_append_new(at, next);
		at = next;
	}
	same_as_jansson(j);
	json_decref(j);
	/* And many random trees, valid text and not. */
	for (int i = 0; i < 20000; i++) {
		j = rnd_value(0, i % 4 != 0);
		if (!json_is_object(j) && !json_is_array(j))
			j = json_pack("[o]", j);
		same_as_jansson(j);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_route_table_rules),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_disposition),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_json_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
