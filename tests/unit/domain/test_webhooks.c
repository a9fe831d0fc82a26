/* Unit tests of the webhooks area: Standard Webhooks signatures against the
 * specification's reference vector, the address checks that keep webhooks
 * off private networks, URL parsing, the retry schedule, and the outbox
 * written by dom_webhook_emit on a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/test_db.h"
#include "sec.h"
#include "notify/notify.h"
#include "store.h"
#include "store_webhooks.h"
#include "store_jobs.h"
#include "timeutil.h"

static void test_signature_vector(void **state)
{
	(void)state;
	/* https://github.com/standard-webhooks/standard-webhooks (spec test vector) */
	const char *body = "{\"test\": 2432232314}";
	char sig[WEBHOOK_SIG_MAX];
	assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				 "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), sig),
		0);
	assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* The prefix is optional; anything else changes the signature. */
	char again[WEBHOOK_SIG_MAX];
	assert_int_equal(webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				 "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), again),
		0);
	assert_string_equal(sig, again);
	assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				 "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, strlen(body), again),
		0);
	assert_string_not_equal(sig, again);
	assert_int_equal(webhook_sign("whsec_not*base64", "msg_x", 1, "{}", 2, again), -1);
	assert_int_equal(webhook_sign("whsec_", "msg_x", 1, "{}", 2, again), -1);
}

static void test_backoff(void **state)
{
	(void)state;
	static const int64_t want[] = { 5000, 30000, 120000, 600000, 3600000, 7200000, 14400000 };
	for (int i = 1; i < WEBHOOK_MAX_ATTEMPTS; i++)
		assert_int_equal(webhook_backoff_ms(i), want[i - 1]);
	assert_int_equal(webhook_backoff_ms(WEBHOOK_MAX_ATTEMPTS), -1);
	assert_int_equal(webhook_backoff_ms(0), -1);
	assert_int_equal(webhook_backoff_ms(100), -1);
}

static bool is_public(const char *a)
{
	int fam;
	uint8_t addr[16];
	if (cidr_addr_parse(a, &fam, addr) != 0)
		fail_msg("not an address: %s", a);
	return ssrf_addr_public(fam, addr, NULL);
}

static void test_addresses(void **state)
{
	(void)state;
	static const char *const refused[] = { "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255",
		"100.64.0.1", "100.127.255.254", "127.0.0.1", "127.255.0.1", "169.254.169.254",
		"172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.168.1.1",
		"198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1",
		"239.255.255.250", "240.0.0.1", "255.255.255.255", "::", "::1", "::127.0.0.1",
		"fe80::1", "febf::1", "fec0::1", "fc00::1", "fd12:3456::1", "ff02::1", "ff0e::1",
		"2001:db8::1", "2001:0:4136:e378::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"::ffff:169.254.169.254", "::ffff:0:0", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
		"2002:7f00:1::1", "2002:c0a8:101::1", "100::1", NULL };
	static const char *const accepted[] = { "1.1.1.1", "8.8.8.8", "100.63.255.255",
		"100.128.0.1", "172.15.255.255", "172.32.0.1", "169.253.255.255", "192.169.0.1",
		"198.17.255.255", "198.20.0.1", "223.255.255.255", "93.184.216.34",
		"2606:4700:4700::1111", "2a00:1450:4007::200e", "::ffff:8.8.8.8", "64:ff9b::808:808",
		"2002:808:808::1", "fe7f::1", "2001:db9::1", NULL };
	for (int i = 0; refused[i]; i++)
		if (is_public(refused[i]))
			fail_msg("%s should be refused", refused[i]);
	for (int i = 0; accepted[i]; i++)
		if (!is_public(accepted[i]))
			fail_msg("%s should be accepted", accepted[i]);
	const char *why = NULL;
	int fam;
	uint8_t addr[16];
	cidr_addr_parse("169.254.169.254", &fam, addr);
	assert_false(ssrf_addr_public(fam, addr, &why));
	assert_non_null(strstr(why, "link-local"));
}

static int parse(const char *url, ssrf_url_t *u, const char **why)
{
	return ssrf_url_parse(url, strlen(url), u, why);
}

static void test_allow_list(void **state)
{
	(void)state;
	cidr_t allow[SSRF_ALLOW_MAX];
	const char *why;
	assert_int_equal(ssrf_allow_parse(NULL, allow, SSRF_ALLOW_MAX, &why), 0);
	assert_int_equal(ssrf_allow_parse("", allow, SSRF_ALLOW_MAX, &why), 0);
	assert_int_equal(ssrf_allow_parse("127.0.0.1/32,::1/128", allow, SSRF_ALLOW_MAX, &why), 2);
	assert_int_equal(ssrf_allow_parse(" 10.0.0.0/8 , 192.168.0.0/16,", allow, SSRF_ALLOW_MAX,
				 &why),
		2);
	assert_int_equal(ssrf_allow_parse("10.0.0.1/8", allow, SSRF_ALLOW_MAX, &why), -1);
	assert_int_equal(ssrf_allow_parse("nonsense", allow, SSRF_ALLOW_MAX, &why), -1);
	assert_int_equal(ssrf_allow_parse("1.1.1.1,2.2.2.2,3.3.3.3", allow, 2, &why), -1);

	int n = ssrf_allow_parse("127.0.0.1/32,::1/128", allow, SSRF_ALLOW_MAX, &why);
	ssrf_url_t http, https;
	assert_int_equal(parse("http://x", &http, &why), 0);
	assert_int_equal(parse("https://x", &https, &why), 0);
	int fams[2];
	uint8_t addrs[2][16];
	cidr_addr_parse("127.0.0.1", &fams[0], addrs[0]);
	cidr_addr_parse("8.8.8.8", &fams[1], addrs[1]);
	const uint8_t(*a)[16] = (const uint8_t(*)[16])addrs;
	/* Loopback: only with the allow-list, then over http too. */
	assert_int_equal(ssrf_check(&http, 1, fams, a, allow, n, &why), 0);
	assert_int_equal(ssrf_check(&https, 1, fams, a, allow, n, &why), 0);
	assert_int_equal(ssrf_check(&https, 1, fams, a, allow, 0, &why), -1);
	/* A public address: https only. */
	assert_int_equal(ssrf_check(&https, 1, fams + 1, a + 1, allow, n, &why), 0);
	assert_int_equal(ssrf_check(&http, 1, fams + 1, a + 1, allow, n, &why), -1);
	/* Every address must pass: one public and one loopback without the list. */
	assert_int_equal(ssrf_check(&https, 2, fams, a, allow, 0, &why), -1);
	assert_int_equal(ssrf_check(&https, 0, fams, a, allow, n, &why), -1);
	/* The mapped form of an allow-listed address is allowed too. */
	cidr_addr_parse("::ffff:127.0.0.1", &fams[0], addrs[0]);
	assert_true(ssrf_allowed(fams[0], addrs[0], allow, n));
	cidr_addr_parse("::1", &fams[0], addrs[0]);
	assert_true(ssrf_allowed(fams[0], addrs[0], allow, n));
	cidr_addr_parse("::2", &fams[0], addrs[0]);
	assert_false(ssrf_allowed(fams[0], addrs[0], allow, n));
}

static void test_resolve(void **state)
{
	(void)state;
	ssrf_url_t u;
	const char *why;
	char addr[64];
	assert_int_equal(parse("http://127.0.0.1:8080/h", &u, &why), 0);
	assert_int_equal(ssrf_resolve(&u, "127.0.0.1/32", addr, sizeof addr, &why), 0);
	assert_string_equal(addr, "127.0.0.1");
	assert_int_equal(ssrf_resolve(&u, "", addr, sizeof addr, &why), -1);
	assert_int_equal(parse("https://[::1]/", &u, &why), 0);
	assert_int_equal(ssrf_resolve(&u, NULL, addr, sizeof addr, &why), -1);
	assert_int_equal(ssrf_resolve(&u, "::1/128", addr, sizeof addr, &why), 0);
	assert_string_equal(addr, "::1");
	/* "localhost" resolves to loopback, refused like its address. */
	assert_int_equal(parse("https://localhost/", &u, &why), 0);
	assert_int_equal(ssrf_resolve(&u, NULL, addr, sizeof addr, &why), -1);
	assert_int_equal(parse("https://169.254.169.254/latest", &u, &why), 0);
	assert_int_equal(ssrf_resolve(&u, "127.0.0.1/32", addr, sizeof addr, &why), -1);
	assert_int_equal(parse("https://10.0.0.1/", &u, &why), 0);
	assert_int_equal(ssrf_resolve(&u, "127.0.0.1/32", addr, sizeof addr, &why), -1);
}

static void test_url_parse(void **state)
{
	(void)state;
	static const struct {
		const char *url;
		int ok;
		bool https;
		const char *host;
		int port;
	} cases[] = {
		{ "https://example.com/hook", 0, true, "example.com", 443 },
		{ "HTTPS://Example.COM", 0, true, "example.com", 443 },
		{ "http://127.0.0.1:8080/x?y=1", 0, false, "127.0.0.1", 8080 },
		{ "https://[2001:db8::1]:8443/", 0, true, "2001:db8::1", 8443 },
		{ "https://[::ffff:127.0.0.1]/", 0, true, "::ffff:127.0.0.1", 443 },
		{ "https://a.b?q", 0, true, "a.b", 443 },
		{ "ftp://example.com/", -1, false, "", 0 },
		{ "https//example.com/", -1, false, "", 0 },
		{ "https://user:pw@example.com/", -1, false, "", 0 },
		{ "https://example.com@evil.com/", -1, false, "", 0 },
		{ "https://example.com/#frag", -1, false, "", 0 },
		{ "https:///path", -1, false, "", 0 },
		{ "https://exa mple.com/", -1, false, "", 0 },
		{ "https://example.com:0/", -1, false, "", 0 },
		{ "https://example.com:65536/", -1, false, "", 0 },
		{ "https://example.com:99999999999999999999/", -1, false, "", 0 },
		{ "https://example.com:/", -1, false, "", 0 },
		{ "https://example.com:8a/", -1, false, "", 0 },
		{ "https://[::1/", -1, false, "", 0 },
		{ "https://[::1]x/", -1, false, "", 0 },
		{ "https://[nothex]/", -1, false, "", 0 },
		{ "https://exa_mple.com/", -1, false, "", 0 },
		{ "https://..example.com/", -1, false, "", 0 },
		{ "https://ex\xc3\xa9.com/", -1, false, "", 0 },
		{ "", -1, false, "", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ssrf_url_t u;
		const char *why = NULL;
		int rc = ssrf_url_parse(cases[i].url, strlen(cases[i].url), &u, &why);
		if (rc != cases[i].ok)
			fail_msg("%s: %d (%s)", cases[i].url, rc, why ? why : "");
		if (rc == 0) {
			assert_int_equal(u.https, cases[i].https);
			assert_string_equal(u.host, cases[i].host);
			assert_int_equal(u.port, cases[i].port);
		} else {
			assert_non_null(why);
		}
	}
}

static void add_webhook(store_tx_t *tx, const char *id, const char *account, const char *events,
	const char *status)
{
	json_t *w = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "account_id",
		account, "url", "https://example.com/h", "events", events, "status", status, "secret",
		"sealed1:not-opened-here", "created_at", (json_int_t)1, "updated_at",
		(json_int_t)1);
	assert_int_equal(store_webhook_insert(tx, w), STORE_OK);
	json_decref(w);
}

static void test_emit_outbox(void **state)
{
	(void)state;
	char db[512];
	test_db_new(db, sizeof db);
	store_t *st = test_db_open(db);
	store_tx_t *tx = store_begin(st, true);
	for (int i = 0; i < 2; i++) {
		json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", i ? "acc_b" : "acc_a", "name",
			"A", "status", "active", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
		assert_int_equal(store_account_insert(tx, a), STORE_OK);
		json_decref(a);
	}
	add_webhook(tx, "whk_1", "acc_a", "fax.queued,fax.failed", "active");
	add_webhook(tx, "whk_2", "acc_a", "fax.delivered", "active");
	add_webhook(tx, "whk_3", "acc_a", "fax.queued", "disabled");
	add_webhook(tx, "whk_4", "acc_b", "fax.queued", "active");
	json_t *data = json_pack("{s:s}", "fax_id", "fax_1");
	assert_int_equal(dom_webhook_emit(tx, "acc_a", "fax.queued", data), 0);
	/* No subscriber: nothing is written. */
	assert_int_equal(dom_webhook_emit(tx, "acc_a", "fax.received", data), 0);
	json_decref(data);
	assert_int_equal(store_commit(tx), 0);

	tx = store_begin(st, true);
	store_page_t pg;
	assert_int_equal(store_webhook_delivery_list(tx, "acc_a", "whk_1", NULL, 10, &pg), 0);
	assert_int_equal(json_array_size(pg.items), 1);
	json_t *d = json_array_get(pg.items, 0);
	assert_string_equal(json_string_value(json_object_get(d, "type")), "fax.queued");
	assert_string_equal(json_string_value(json_object_get(d, "status")), "pending");
	store_page_free(&pg);
	static const char *const none[] = { "whk_2", "whk_3" };
	for (int i = 0; i < 2; i++) {
		assert_int_equal(store_webhook_delivery_list(tx, "acc_a", none[i], NULL, 10, &pg), 0);
		assert_int_equal(json_array_size(pg.items), 0);
		store_page_free(&pg);
	}
	/* Another account's subscription sees nothing, and its log is not readable from here. */
	assert_int_equal(store_webhook_delivery_list(tx, "acc_b", "whk_4", NULL, 10, &pg), 0);
	assert_int_equal(json_array_size(pg.items), 0);
	store_page_free(&pg);
	assert_null(store_webhook_get(tx, "acc_b", "whk_1"));

	/* Each delivery has its job on the queue, written in the same
	 * transaction: kind webhook, about the delivery, of the account. */
	assert_int_equal(store_webhook_delivery_list(tx, "acc_a", "whk_1", NULL, 10, &pg), 0);
	char did[64];
	snprintf(did, sizeof did, "%s", json_string_value(json_object_get(json_array_get(pg.items,
		0), "id")));
	store_page_free(&pg);
	json_t *job = store_job_by_ref(tx, WEBHOOK_JOB, did);
	assert_non_null(job);
	assert_string_equal(json_string_value(json_object_get(job, "state")), "queued");
	assert_string_equal(json_string_value(json_object_get(job, "account_id")), "acc_a");
	assert_int_equal(json_integer_value(json_object_get(job, "max_attempts")),
		WEBHOOK_MAX_ATTEMPTS);
	json_t *jp = json_loads(json_string_value(json_object_get(job, "payload")), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(jp, "delivery_id")), did);
	json_decref(jp);
	json_decref(job);
	/* The delivery as its job sends it. */
	int64_t now = time_now_ms();
	json_t *c0 = store_webhook_delivery_load(tx, did);
	assert_non_null(c0);
	assert_string_equal(json_string_value(json_object_get(c0, "webhook_status")), "active");
	const char *payload = json_string_value(json_object_get(c0, "payload"));
	json_t *body = json_loads(payload, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(body, "type")), "fax.queued");
	assert_string_equal(json_string_value(json_object_get(json_object_get(body, "data"),
				    "fax_id")),
		"fax_1");
	int64_t ts;
	assert_int_equal(time_parse_rfc3339(json_string_value(json_object_get(body, "timestamp")),
				 &ts),
		0);
	json_decref(body);
	assert_int_equal(strncmp(json_string_value(json_object_get(c0, "event_id")), "msg_", 4), 0);
	json_decref(c0);
	/* An attempt recorded, then the delivery: once delivered, no later
	 * attempt is recorded over it. */
	json_t *f = json_pack("{s:s, s:i, s:i, s:s, s:I}", "status", "pending", "attempts", 1,
		"last_status_code", 500, "last_error", "boom", "next_attempt_at",
		(json_int_t)(now + 5000));
	assert_int_equal(store_webhook_delivery_record(tx, did, f), STORE_OK);
	json_decref(f);
	assert_int_equal(store_webhook_delivery_list(tx, "acc_a", "whk_1", NULL, 10, &pg), 0);
	d = json_array_get(pg.items, 0);
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "last_status_code")), 500);
	store_page_free(&pg);
	f = json_pack("{s:s, s:i, s:i, s:I, s:I}", "status", "delivered", "attempts", 2,
		"last_status_code", 200, "next_attempt_at", (json_int_t)now, "delivered_at",
		(json_int_t)now);
	assert_int_equal(store_webhook_delivery_record(tx, did, f), STORE_OK);
	assert_int_equal(store_webhook_delivery_record(tx, did, f), STORE_NOTFOUND);
	json_decref(f);
	/* Another pending delivery of whk_1, for the deletion below. */
	data = json_pack("{s:s}", "fax_id", "fax_2");
	assert_int_equal(dom_webhook_emit(tx, "acc_a", "fax.failed", data), 0);
	json_decref(data);
	/* Deleting the subscription fails what is still pending. */
	assert_int_equal(store_webhook_delete(tx, "acc_a", "whk_1", now), STORE_OK);
	assert_int_equal(store_webhook_delivery_list(tx, "acc_a", "whk_1", NULL, 10, &pg), 0);
	assert_int_equal(json_array_size(pg.items), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(pg.items, 0),
				    "status")), "failed");
	assert_string_equal(json_string_value(json_object_get(json_array_get(pg.items, 1),
				    "status")), "delivered");
	store_page_free(&pg);
	assert_int_equal(store_webhook_delete(tx, "acc_a", "whk_1", now), STORE_NOTFOUND);
	store_rollback(tx);
	store_close(st);
	test_db_remove(db);
}

int main(void)
{
	sec_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_vector),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_emit_outbox),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
