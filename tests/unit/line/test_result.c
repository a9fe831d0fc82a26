/* Unit tests of digest authentication and of call result classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "digest.h"
#include "result.h"

static void t_digest_rfc2617(void **state)
{
	(void)state;
	const char *h = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
			"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	digest_chal_t c;
	assert_int_equal(digest_parse((sip_str_t){h, strlen(h)}, &c), 0);
	assert_string_equal(c.realm, "testrealm@host.com");
	assert_true(c.qop_auth);
	char out[33];
	digest_response(&c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", 1, out);
	assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
	buf_t b;
	buf_init(&b, 4096);
	assert_int_equal(digest_answer(&b, &c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", 1), 0);
	assert_non_null(strstr(b.data, "nc=00000001"));
	assert_non_null(strstr(b.data, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
	buf_free(&b);
}

static void t_digest_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"Basic realm=\"x\"",
		"Digest realm=\"x\"",                         /* no nonce */
		"Digest realm=\"x\", nonce=\"n\", algorithm=SHA-256",
		"Digest",
	};
	digest_chal_t c;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(digest_parse((sip_str_t){bad[i], strlen(bad[i])}, &c), -1);
}

static void t_classes(void **state)
{
	(void)state;
	static const struct {
		int outbound, answered, sip, net, heard, done, code, total, confirmed, received;
		const char *cls; /* NULL: ok */
	} cases[] = {
		{1, 0, 486, 0, 0, 0, -1, 3, 0, 0, "busy"},
		{1, 0, 600, 0, 0, 0, -1, 3, 0, 0, "busy"},
		{1, 0, 480, 0, 0, 0, -1, 3, 0, 0, "no_answer"},
		{1, 0, 487, 0, 0, 0, -1, 3, 0, 0, "no_answer"},
		{1, 0, 0, 1, 0, 0, -1, 3, 0, 0, "network"},
		{1, 0, 404, 0, 0, 0, -1, 3, 0, 0, "rejected"},
		{1, 0, 403, 0, 0, 0, -1, 3, 0, 0, "rejected"},
		{1, 1, 200, 0, 0, 1, 1, 3, 0, 0, "not_a_fax"},
		{1, 1, 200, 0, 1, 1, 20, 3, 0, 0, "t30_error"},
		{1, 1, 200, 0, 1, 1, 48, 3, 2, 0, "partial"},
		{1, 1, 200, 1, 1, 1, 48, 3, 2, 0, "partial"},
		{1, 1, 200, 1, 1, 1, 48, 3, 0, 0, "network"},
		{1, 1, 200, 0, 1, 1, 0, 3, 3, 0, NULL},
		{1, 1, 200, 0, 1, 1, 0, 3, 2, 0, "partial"}, /* "OK" from T.30 is not enough */
		{1, 1, 200, 0, 1, 1, 0, 0, 0, 0, "t30_error"}, /* never "done" with 0 pages */
		{0, 1, 200, 0, 1, 1, 0, 0, 0, 2, NULL},
		{0, 1, 200, 0, 1, 1, 48, 0, 0, 2, "partial"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fax_result_t r;
		fax_result_init(&r, cases[i].outbound);
		r.answered = cases[i].answered;
		r.sip_status = cases[i].sip;
		r.network_error = cases[i].net;
		r.t30_heard = cases[i].heard;
		r.t30_done = cases[i].done;
		r.t30_code = cases[i].code;
		r.pages_total = cases[i].total;
		r.pages_confirmed = cases[i].confirmed;
		r.pages_received = cases[i].received;
		fax_result_classify(&r);
		if (cases[i].cls) {
			assert_false(r.ok);
			assert_string_equal(r.fail_class, cases[i].cls);
		} else {
			assert_true(r.ok);
		}
	}
}

static void t_json(void **state)
{
	(void)state;
	fax_result_t r;
	fax_result_init(&r, 1);
	strcpy(r.remote_ident, "A\"B\\C\x01");
	r.npages = 1;
	r.pages[0].page = 1;
	strcpy(r.pages[0].result, "MCF");
	strcpy(r.to_user, "+3312\"34");
	strcpy(r.from_user, "faxvault");
	r.first_page = 2;
	fax_result_classify(&r);
	buf_t b;
	buf_init(&b, 1 << 16);
	assert_int_equal(fax_result_json(&r, &b), 0);
	assert_non_null(strstr(b.data, "\"remote_ident\":\"A\\\"B\\\\C\\u0001\""));
	assert_non_null(strstr(b.data, "\"class\":\"no_answer\""));
	assert_non_null(strstr(b.data, "\"pages\":[{\"page\":1,\"result\":\"MCF\",\"bad_rows\":0}]"));
	assert_non_null(strstr(b.data, "\"to_user\":\"+3312\\\"34\",\"from_user\":\"faxvault\",\"first_page\":2}"));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_digest_rfc2617), cmocka_unit_test(t_digest_bad), cmocka_unit_test(t_classes),
		cmocka_unit_test(t_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
