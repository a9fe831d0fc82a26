/* Unit tests of the automatic fraud detection (src/domain/operations/fraud.c): the
 * rules' arithmetic, then the periodic pass over a real store fed with
 * generated faxes, sessions and API-key uses at an injected time: a volume
 * far above the account's own baseline (and not when the baseline is high),
 * a watched prefix, the first fax to a new country after a history, failed
 * calls to numbers in sequence, a sign-in from a new address after a
 * lockout, an API key used from a new address; each raised once (a second
 * pass raises nothing), as a fraud report by system:fraud; the hold of an
 * account with fraud_hold (queued faxes not due, submissions refused) until
 * an administrator confirms; the traffic of an approved penetration test's
 * sources labelled announced (no report, no hold). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/test_db.h"
#include "dom_util.h"
#include "operations/operations.h"
#include "store.h"
#include "store_fax.h"
#include "store_fraud.h"
#include "store_requests.h"
#include "timeutil.h"
#include "audit/audit.h"

#define HOUR 3600000LL
#define NOW (1800000000000LL)

struct fx {
	char db[512];
	store_t *st;
	dom_config_t cfg;
	int nfax;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	test_db_new(f->db, sizeof f->db);
	f->st = test_db_open(f->db);
	if (!f->st)
		return -1;
	f->cfg.fraud = (fraud_cfg_t){ .volume_floor_pages = 10, .volume_factor = 10,
		.risky_prefixes = "+882,+883", .sequential_calls = 5, .new_country_after = 3,
		.window_hours = 24 };
	store_tx_t *tx = store_begin(f->st, true);
	static const char *const accs[] = { "acc_a", "acc_b", "acc_c", "acc_d", "acc_e" };
	for (size_t i = 0; i < 5; i++) {
		json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", accs[i], "name", accs[i],
			"status", "active", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
		assert_int_equal(store_account_insert(tx, a), STORE_OK);
		json_decref(a);
	}
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", "usr_e", "kind",
		"account", "account_id", "acc_e", "email", "e@e.example", "name", "E", "role", "owner",
		"status", "active", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	assert_int_equal(store_principal_insert(tx, p), STORE_OK);
	json_decref(p);
	/* acc_a holds its outbound faxing on a finding. */
	assert_int_equal(store_settings_put(tx, "acc_a", "{\"fraud_hold\":true}", 1), STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	test_db_remove(f->db);
	free(f);
	return 0;
}

/* An outbound fax of acc to `to`, created at `at`, in status (failed ones
 * completed a minute later), from source. */
static void fax(struct fx *f, const char *acc, const char *to, int pages, int64_t at,
	const char *status, const char *source)
{
	char id[32];
	snprintf(id, sizeof id, "fax_%d", ++f->nfax);
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:s}", "id", id,
		"account_id", acc, "direction", "outbound", "status", status, "to_number", to,
		"page_count", pages, "currency", "EUR", "created_at", (json_int_t)at, "updated_at",
		(json_int_t)at, "next_attempt_at", (json_int_t)at, "source", source);
	if (strcmp(status, "failed") == 0)
		json_object_set_new(r, "completed_at", json_integer(at + 60000));
	store_tx_t *tx = store_begin(f->st, true);
	assert_int_equal(store_fax_insert(tx, r), STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);
	json_decref(r);
}

static int pass(struct fx *f, int64_t now)
{
	return dom_fraud_pass(f->st, &f->cfg, now);
}

/* The findings of acc, by rule: "rule[:announced]" joined with spaces. */
static char *findings(struct fx *f, const char *acc)
{
	store_tx_t *tx = store_begin(f->st, false);
	json_t *rows = store_fraud_findings(tx, acc, 50);
	store_rollback(tx);
	char *out = calloc(1, 512);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const char *ann = json_string_value(json_object_get(r, "announced"));
		size_t n = strlen(out);
		snprintf(out + n, 512 - n, "%s%s%s", n ? " " : "", rec_str(r, "rule"),
			ann ? ":announced" : "");
	}
	json_decref(rows);
	return out;
}

static bool has(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static void test_arithmetic(void **state)
{
	(void)state;
	assert_false(fraud_volume_exceeds(9, 0, 10, 10));   /* under the floor */
	assert_true(fraud_volume_exceeds(10, 0, 10, 10));   /* no history: the floor decides */
	assert_false(fraud_volume_exceeds(50, 840, 10, 10)); /* mean 5/h: 50 is not above 10x */
	assert_true(fraud_volume_exceeds(51, 840, 10, 10));
	const char *seq[] = { "+33100000105", "+33100000101", "+33100000103", "+33100000104",
		"+33100000102", "+33100000102", "+4420000000", "bad" };
	assert_int_equal(fraud_sequential_run(seq, 8), 5);
	const char *gap[] = { "+33100000100", "+33100000102", "+33100000104", "+33100000110" };
	assert_int_equal(fraud_sequential_run(gap, 4), 3);
	const char *lens[] = { "+3310000009", "+33100000010" }; /* lengths differ */
	assert_int_equal(fraud_sequential_run(lens, 2), 1);
	assert_int_equal(fraud_sequential_run(NULL, 0), 0);
	char pre[16];
	assert_true(fraud_prefix_match("+870, +882,+883", "+88212345678", pre, sizeof pre));
	assert_string_equal(pre, "+882");
	assert_false(fraud_prefix_match("+870,+882", "+33100000000", pre, sizeof pre));
	assert_false(fraud_prefix_match(",, ,", "+33100000000", pre, sizeof pre));
}

static void test_pass(void **state)
{
	struct fx *f = *state;
	/* acc_a: no history, 12 pages in the last hour (volume), one to +882
	 * (prefix); and a fax queued for later. */
	fax(f, "acc_a", "+33100000001", 6, NOW - 30 * 60000, "delivered", "");
	fax(f, "acc_a", "+88212345678", 6, NOW - 20 * 60000, "delivered", "");
	fax(f, "acc_a", "+33100000009", 1, NOW - 10 * 60000, "queued", "");
	/* acc_b: a baseline of 840 pages over the week (5 an hour): 12 pages
	 * in the hour are not a finding. */
	fax(f, "acc_b", "+33100000001", 840, NOW - 48 * HOUR, "delivered", "");
	fax(f, "acc_b", "+33100000001", 12, NOW - 30 * 60000, "delivered", "");
	/* acc_c: three faxes to France, then the first to the UK (country);
	 * five failed calls to numbers in sequence (sequential). */
	for (int i = 0; i < 3; i++)
		fax(f, "acc_c", "+33100000001", 1, NOW - 72 * HOUR + i, "delivered", "");
	fax(f, "acc_c", "+442079460000", 1, NOW - 5 * 60000, "delivered", "");
	const char *seq[] = { "+33100000301", "+33100000302", "+33100000303", "+33100000304",
		"+33100000305" };
	for (int i = 0; i < 5; i++)
		fax(f, "acc_c", seq[i], 1, NOW - 40 * 60000 + i, "failed", "");
	/* acc_d: the same watched prefix, but from the source networks of its
	 * approved penetration test: announced. */
	store_tx_t *tx = store_begin(f->st, true);
	char fields[300];
	snprintf(fields, sizeof fields, "{\"sources\":[\"192.0.2.0/24\"],\"starts_at_ms\":%lld,"
		"\"ends_at_ms\":%lld}", (long long)(NOW - 2 * HOUR), (long long)(NOW + 24 * HOUR));
	json_t *pt = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", "rq_pentest",
		"account_id", "acc_d", "kind", "pentest", "status", "approved", "fields", fields,
		"created_by", "usr_d", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	assert_int_equal(store_request_insert(tx, pt), STORE_OK);
	json_decref(pt);
	assert_int_equal(store_commit(tx), STORE_OK);
	fax(f, "acc_d", "+88300000001", 1, NOW - 10 * 60000, "delivered", "192.0.2.7");

	assert_true(pass(f, NOW) >= 5);
	char *a = findings(f, "acc_a"), *b = findings(f, "acc_b"), *cf = findings(f, "acc_c"),
	     *d = findings(f, "acc_d");
	assert_true(has(a, "volume"));
	assert_true(has(a, "prefix"));
	assert_false(has(a, "country")); /* no history yet */
	assert_string_equal(b, "");
	assert_true(has(cf, "country"));
	assert_true(has(cf, "sequential"));
	assert_false(has(cf, "volume"));
	assert_string_equal(d, "prefix:announced");
	free(a);
	free(b);
	free(cf);
	free(d);

	/* Each finding is a fraud report by system:fraud, with its evidence;
	 * none for the announced one. */
	tx = store_begin(f->st, false);
	store_page_t pg;
	assert_int_equal(store_request_page(tx, "acc_c", "fraud", NULL, NULL, NULL, 50, &pg), STORE_OK);
	assert_int_equal(json_array_size(pg.items), 2);
	json_t *rep = json_array_get(pg.items, 0);
	assert_string_equal(rec_str(rep, "created_by"), FRAUD_ACTOR);
	assert_string_equal(rec_str(rep, "status"), "open");
	json_t *fl = json_loads(rec_str(rep, "fields"), 0, NULL);
	assert_true(json_is_object(json_object_get(fl, "evidence")));
	json_decref(fl);
	json_decref(pg.items);
	free(pg.next_cursor);
	assert_int_equal(store_request_page(tx, "acc_d", "fraud", NULL, NULL, NULL, 50, &pg), STORE_OK);
	assert_int_equal(json_array_size(pg.items), 0);
	json_decref(pg.items);
	free(pg.next_cursor);

	/* acc_a asked for the hold: its queued fax is not due, a submission
	 * is refused; acc_c did not. */
	char held_by[FRAUD_ID_MAX];
	assert_true(dom_fraud_held(tx, "acc_a", held_by));
	assert_false(dom_fraud_held(tx, "acc_c", NULL));
	json_t *due = store_fax_due(tx, NOW + HOUR, 100);
	assert_non_null(due);
	size_t i;
	json_t *r;
	json_array_foreach(due, i, r)
		assert_string_not_equal(rec_str(r, "account_id"), "acc_a");
	json_decref(due);
	dom_ctx_t c = { .store = f->st, .tx = tx, .actor = "cli:test", .lang = "en", .cfg = &f->cfg };
	dom_err_t e = { 0 };
	assert_int_equal(dom_fraud_check_outbound(&c, "acc_a", &e), -1);
	assert_string_equal(e.kind, "outbound-held");
	assert_int_equal(dom_fraud_check_outbound(&c, "acc_c", &e), 0);
	store_rollback(tx);

	/* Once: a second pass in the same window raises nothing more. */
	assert_int_equal(pass(f, NOW + 60000), 0);

	/* An administrator confirms: the hold ends, the fax is due again; a
	 * second confirmation, or one of a report filed by a person, is 409. */
	tx = store_begin(f->st, true);
	c.tx = tx;
	json_t *acc = json_pack("{s:s}", "id", "acc_a"), *out = NULL;
	assert_int_equal(dom_fraud_confirm_safe(&c, acc, held_by, &out, &e), 0);
	assert_false(json_is_true(json_object_get(out, "outbound_held")));
	json_decref(out);
	assert_false(dom_fraud_held(tx, "acc_a", NULL));
	assert_int_equal(dom_fraud_confirm_safe(&c, acc, held_by, &out, &e), -1);
	assert_string_equal(e.kind, "invalid-state");
	assert_int_equal(dom_fraud_confirm_safe(&c, acc, "rq_nope", &out, &e), -1);
	assert_string_equal(e.kind, "not-found");
	json_decref(acc);
	due = store_fax_due(tx, NOW + HOUR, 100);
	bool a_due = false;
	json_array_foreach(due, i, r)
		a_due |= strcmp(rec_str(r, "account_id"), "acc_a") == 0;
	json_decref(due);
	assert_true(a_due);
	assert_int_equal(store_commit(tx), STORE_OK);
}

static json_t *session(const char *id, const char *source, int64_t at)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "id", id, "token_hash", id,
		"principal_id", "usr_e", "source", source, "created_at", (json_int_t)at, "last_seen_at",
		(json_int_t)at, "expires_at", (json_int_t)(at + HOUR));
}

static void test_credentials(void **state)
{
	struct fx *f = *state;
	/* audit_record stamps the lockout with the clock: this part's times
	 * are the clock's. */
	int64_t t0 = time_now_ms();
	store_tx_t *tx = store_begin(f->st, true);
	json_t *s[3] = { session("ses_1", "198.51.100.1", t0 - 48 * HOUR),
		session("ses_2", "203.0.113.9", t0 + 60000), session("ses_3", "198.51.100.1", t0 + 90000) };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_session_insert(tx, s[i]), STORE_OK);
		json_decref(s[i]);
	}
	/* usr_e was locked out just before the sign-in from a new address. */
	audit_ctx_t actx = { .actor = "system:test", .source = "" };
	assert_int_equal(audit_record(tx, &actx, "user.lockout", "usr_e", "acc_e", "success", NULL),
		STORE_OK);
	/* Two API keys, each used from one address, then from another: the
	 * second's new address is a source of acc_e's penetration test. */
	for (int i = 1; i <= 2; i++) {
		char id[16], h[16];
		snprintf(id, sizeof id, "key_%d", i);
		snprintf(h, sizeof h, "hk%d", i);
		json_t *k = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "account_id",
			"acc_e", "creator_id", "usr_e", "name", "k", "prefix", "fvk_", "secret_hash", h,
			"permissions", "", "created_at", (json_int_t)1);
		assert_int_equal(store_apikey_insert(tx, k), STORE_OK);
		json_decref(k);
		assert_int_equal(store_apikey_address_note(tx, id, "acc_e", "198.51.100.1", t0 - 3 * HOUR),
			STORE_OK);
		assert_int_equal(store_apikey_address_note(tx, id, "acc_e", "198.51.100.1", t0 - 2 * HOUR),
			STORE_OK);
	}
	assert_int_equal(store_apikey_address_note(tx, "key_1", "acc_e", "203.0.113.9", t0 + 60000),
		STORE_OK);
	assert_int_equal(store_apikey_address_note(tx, "key_2", "acc_e", "192.0.2.5", t0 + 60000),
		STORE_OK);
	char fields[300];
	snprintf(fields, sizeof fields, "{\"sources\":[\"192.0.2.0/24\"],\"starts_at_ms\":%lld,"
		"\"ends_at_ms\":%lld}", (long long)(t0 - HOUR), (long long)(t0 + 24 * HOUR));
	json_t *pt = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", "rq_pentest_e",
		"account_id", "acc_e", "kind", "pentest", "status", "approved", "fields", fields,
		"created_by", "usr_e", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	assert_int_equal(store_request_insert(tx, pt), STORE_OK);
	json_decref(pt);
	assert_int_equal(store_commit(tx), STORE_OK);

	assert_int_equal(pass(f, t0 + 5 * 60000), 3);
	char *e = findings(f, "acc_e");
	assert_true(has(e, "signin_address"));
	assert_true(has(e, "apikey_address"));
	assert_true(has(e, "apikey_address:announced"));
	free(e);
	tx = store_begin(f->st, false);
	char who[FRAUD_ID_MAX];
	assert_true(dom_announced(tx, "acc_e", "192.0.2.200", t0, who));
	assert_string_equal(who, "rq_pentest_e");
	assert_false(dom_announced(tx, "acc_a", "192.0.2.200", t0, NULL)); /* another account */
	assert_true(dom_announced(tx, NULL, "192.0.2.200", t0, NULL));      /* any account */
	assert_false(dom_announced(tx, "acc_e", "192.0.2.200", t0 + 25 * HOUR, NULL)); /* window over */
	assert_false(dom_announced(tx, "acc_e", "198.51.100.1", t0, NULL));
	store_rollback(tx);
	/* The next look starts where this one ended: nothing again. */
	assert_int_equal(pass(f, t0 + 10 * 60000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test_setup_teardown(test_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credentials, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
