/* Unit tests of the keyed audit chain and its checkpoints (audit.h): plain
 * events before the key stay verifiable, keyed ones need the key, a chain
 * recomputed with plain SHA-256 or truncated shows against a checkpoint,
 * checkpoints are signed and their file lines parse strictly, the report
 * says what it could not rule out, and an event written before chain
 * version 3 (chain 1, plain, or chain 2, keyed) can be erased for a person
 * without breaking the chain, its erasure sealed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "temp_store.h"

#include "audit.h"
#include "sec.h"

static const audit_ctx_t actor = { .actor = "system:faxsvc", .source = "", .request_id = "" };

static void record(store_t *st, int n)
{
	for (int i = 0; i < n; i++) {
		store_tx_t *tx = store_begin(st, true);
		assert_non_null(tx);
		assert_int_equal(audit_record(tx, &actor, "fax.receive", "fax_1", "acc_1", "success", NULL), 0);
		assert_int_equal(store_commit(tx), STORE_OK);
	}
}

static void sql(const char *path, const char *q)
{
	test_db_sql(path, q);
}

/* Rewrites every event from seq `from` on as an attacker without the key
 * would: plain SHA-256, chain 1, links recomputed; or, with keys, as a
 * version before chain 3 wrote them: chain 2, keyed over source and
 * detail themselves. */
struct rehash {
	store_t *st;
	const audit_keys_t *keys;
	char prev[AUDIT_HASH_HEX];
	int64_t from;
	char *sql;
	size_t len;
};

static int collect(const json_t *ev, void *arg)
{
	struct rehash *r = arg;
	int64_t seq = json_integer_value(json_object_get(ev, "seq"));
	if (seq >= r->from) {
		char h[AUDIT_HASH_HEX];
		json_t *v = json_deep_copy(ev);
		json_object_set_new(v, "chain", json_integer(r->keys ? 2 : 1));
		json_object_set_new(v, "prev_hash", json_string(r->prev));
		if (r->keys)
			audit_mac(r->keys, r->prev, v, h);
		else
			audit_hash(r->prev, v, h);
		json_decref(v);
		char one[300];
		snprintf(one, sizeof one, "UPDATE audit_events SET chain=%d, prev_hash='%s', hash='%s' "
			"WHERE seq=%lld;", r->keys ? 2 : 1, r->prev, h, (long long)seq);
		r->sql = realloc(r->sql, r->len + strlen(one) + 1);
		memcpy(r->sql + r->len, one, strlen(one) + 1);
		r->len += strlen(one);
		snprintf(r->prev, sizeof r->prev, "%s", h);
	} else {
		snprintf(r->prev, sizeof r->prev, "%s", json_string_value(json_object_get(ev, "hash")));
	}
	return 0;
}

static void recompute(store_t *st, const char *path, int64_t from, const audit_keys_t *keys)
{
	struct rehash r = { .st = st, .from = from, .keys = keys };
	memset(r.prev, '0', 64);
	assert_int_equal(store_audit_foreach(st, collect, &r), 0);
	sql(path, r.sql);
	free(r.sql);
}

/* A fresh store and audit keys (not yet in use). */
struct fixture {
	char path[512];
	store_t *st;
	vault_key_t *master;
	audit_keys_t *k;
};

static void fixture_open(struct fixture *f)
{
	f->st = temp_store(f->path, sizeof f->path);
	f->master = temp_master();
	f->k = audit_keys_derive(f->master);
	assert_non_null(f->k);
}

static void fixture_close(struct fixture *f)
{
	audit_use_keys(NULL);
	audit_keys_free(f->k);
	vault_key_free(f->master);
	drop_store(f->st, f->path);
}

static void test_keyed_after_plain(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	store_t *st = fx.st;
	audit_keys_t *k = fx.k;
	record(st, 3); /* written before the key: plain */
	audit_use_keys(k);
	record(st, 3);
	audit_report_t r;
	audit_verify_opts_t o = { .keys = k };
	assert_int_equal(audit_verify(st, &o, &r), 0);
	assert_int_equal(r.events, 6);
	assert_int_equal(r.keyed_from, 4);
	assert_string_equal(r.head_actor, "system:faxsvc (system)");
	assert_true(r.caveats & AUDIT_CAVEAT_NO_CHECKPOINT);
	assert_false(r.caveats & (AUDIT_CAVEAT_NO_KEY | AUDIT_CAVEAT_NEVER_KEYED));
	/* Without the key: links only, and the report says so. */
	audit_verify_opts_t nokey = { .no_key_reason = "no master key" };
	assert_int_equal(audit_verify(st, &nokey, &r), 0);
	assert_true(r.caveats & AUDIT_CAVEAT_NO_KEY);
	json_t *j = audit_report_json(&r, 0, "en");
	assert_int_equal(json_array_size(json_object_get(j, "not_ruled_out")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j,
		"not_ruled_out"), 0), "detail")), "cannot rule out deletion of the newest events: no "
		"checkpoint given");
	json_decref(j);
	j = audit_report_json(&r, 0, "fr");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(json_object_get(j,
		"not_ruled_out"), 1), "detail")), "no master key"));
	json_decref(j);
	/* A process without the key writes nothing once the chain is keyed. */
	audit_use_keys(NULL);
	store_tx_t *tx = store_begin(st, true);
	assert_int_equal(audit_record(tx, &actor, "fax.receive", "fax_1", "acc_1", "success", NULL), -1);
	store_rollback(tx);
	/* Another master key does not verify the keyed events. */
	vault_key_t *m2 = temp_master();
	audit_keys_t *k2 = audit_keys_derive(m2);
	audit_verify_opts_t other = { .keys = k2 };
	assert_int_equal(audit_verify(st, &other, &r), 1);
	assert_int_equal(r.broken_seq, 4);
	audit_keys_free(k2);
	vault_key_free(m2);
	fixture_close(&fx);
}

/* GDPR erasure of events of chains 1 and 2 (gdpr.c): the stored hash kept
 * and sealed with what was written. */
static int erase_old(store_t *st, const audit_keys_t *k, int64_t seq, const char *detail)
{
	store_tx_t *tx = store_begin(st, true);
	assert_non_null(tx);
	json_t *evs = store_audit_naming(tx, "acc_1", "usr_ada", "ada@lovelace.example");
	const char *hash = NULL;
	size_t i;
	json_t *ev;
	json_array_foreach(evs, i, ev)
		if (json_integer_value(json_object_get(ev, "seq")) == seq)
			hash = json_string_value(json_object_get(ev, "hash"));
	assert_non_null(hash);
	char mac[AUDIT_HASH_HEX];
	audit_redaction_mac_old(k, seq, hash, "", detail, mac);
	int rc = store_audit_redact_old(tx, seq, "", detail, mac, 1);
	json_decref(evs);
	assert_int_equal(store_commit(tx), STORE_OK);
	return rc;
}

static void test_erase_before_v3(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	store_t *st = fx.st;
	/* Seq 1 and 2 plain (chain 1, before the key), seq 1 naming Ada;
	 * then events of chain 3. */
	json_t *d = json_pack("{s:s}", "email", "ada@lovelace.example");
	store_tx_t *tx = store_begin(st, true);
	assert_int_equal(audit_record(tx, &actor, "user.create", "usr_ada", "acc_1", "success", d), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	json_decref(d);
	record(st, 1);
	audit_use_keys(fx.k);
	record(st, 2);
	assert_int_equal(erase_old(st, fx.k, 1, "{\"email\":\"erased:usr_ada\"}"), STORE_OK);
	audit_report_t r;
	audit_verify_opts_t o = { .keys = fx.k };
	assert_int_equal(audit_verify(st, &o, &r), 0);
	assert_int_equal(r.events, 4);
	assert_int_equal(r.redacted, 1);
	audit_verify_opts_t nokey = { .no_key_reason = "no master key" };
	assert_int_equal(audit_verify(st, &nokey, &r), 0);
	/* No trace of her address in the chain any more. */
	tx = store_begin(st, false);
	json_t *evs = store_audit_naming(tx, "acc_1", "usr_nobody", "ada@lovelace.example");
	store_rollback(tx);
	assert_int_equal(json_array_size(evs), 0);
	json_decref(evs);
	/* What the erasure wrote, changed: detected. */
	sql(fx.path, "UPDATE audit_events SET detail='{\"email\":\"someone@else.example\"}' WHERE seq=1");
	assert_int_equal(audit_verify(st, &o, &r), 1);
	assert_int_equal(r.broken_seq, 1);
	assert_string_equal(r.reason, "what the erasure wrote was changed since");
	/* A plain event passed off as erased without the key's seal: detected. */
	sql(fx.path, "UPDATE audit_events SET detail='{\"email\":\"erased:usr_ada\"}' WHERE seq=1;"
		"UPDATE audit_events SET detail='{\"x\":1}', redacted_at=1, redaction_mac='00' WHERE seq=2");
	assert_int_equal(audit_verify(st, &o, &r), 1);
	assert_int_equal(r.broken_seq, 2);
	fixture_close(&fx);
}

/* The same for events of chain 2 (keyed, written before chain 3): the
 * erasure seals them, the chain and its keyed links still verify, her
 * address is gone, and a change of what the erasure wrote shows. */
static void test_erase_v2(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	store_t *st = fx.st;
	audit_use_keys(fx.k);
	json_t *d = json_pack("{s:s}", "email", "ada@lovelace.example");
	store_tx_t *tx = store_begin(st, true);
	assert_int_equal(audit_record(tx, &actor, "user.create", "usr_ada", "acc_1", "success", d), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	json_decref(d);
	record(st, 2);
	/* Seq 1..3 as a version before chain 3 wrote them: chain 2. */
	recompute(st, fx.path, 1, fx.k);
	audit_report_t r;
	audit_verify_opts_t o = { .keys = fx.k };
	assert_int_equal(audit_verify(st, &o, &r), 0);
	assert_int_equal(r.keyed_from, 1);
	/* Then events of chain 3 follow. */
	record(st, 2);
	assert_int_equal(audit_verify(st, &o, &r), 0);
	assert_int_equal(r.events, 5);
	assert_int_equal(r.redacted, 0);
	assert_int_equal(erase_old(st, fx.k, 1, "{\"email\":\"erased:usr_ada\"}"), STORE_OK);
	assert_int_equal(audit_verify(st, &o, &r), 0);
	assert_int_equal(r.events, 5);
	assert_int_equal(r.redacted, 1);
	tx = store_begin(st, false);
	json_t *evs = store_audit_naming(tx, "acc_1", "usr_nobody", "ada@lovelace.example");
	store_rollback(tx);
	assert_int_equal(json_array_size(evs), 0);
	json_decref(evs);
	/* Another key does not verify the keyed links, erased or not. */
	vault_key_t *m2 = temp_master();
	audit_keys_t *k2 = audit_keys_derive(m2);
	audit_verify_opts_t other = { .keys = k2 };
	assert_int_equal(audit_verify(st, &other, &r), 1);
	audit_keys_free(k2);
	vault_key_free(m2);
	/* What the erasure wrote, changed: detected. */
	sql(fx.path, "UPDATE audit_events SET detail='{\"email\":\"someone@else.example\"}' WHERE seq=1");
	assert_int_equal(audit_verify(st, &o, &r), 1);
	assert_int_equal(r.broken_seq, 1);
	assert_string_equal(r.reason, "what the erasure wrote was changed since");
	fixture_close(&fx);
}

static void test_recomputed_and_changed(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	store_t *st = fx.st;
	const char *path = fx.path;
	audit_keys_t *k = fx.k;
	audit_use_keys(k);
	record(st, 5);
	audit_verify_opts_t o = { .keys = k };
	audit_report_t r;
	/* A keyed event changed, its hash recomputed in plain SHA-256 but
	 * still marked keyed: its keyed hash does not match. */
	sql(path, "UPDATE audit_events SET target='fax_2' WHERE seq=3");
	assert_int_equal(audit_verify(st, &o, &r), 1);
	assert_int_equal(r.broken_seq, 3);
	assert_string_equal(r.broken_actor, "system:faxsvc (system)");
	/* Recomputed from seq 3 on as plain events: a plain event after keyed
	 * ones is a rewrite. */
	recompute(st, path, 3, NULL);
	assert_int_equal(audit_verify(st, &o, &r), 1);
	assert_int_equal(r.broken_seq, 3);
	assert_non_null(strstr(r.reason, "unkeyed event after the chain was keyed"));
	/* Recomputed whole as plain: consistent, but the report cannot rule
	 * it out without a checkpoint... */
	recompute(st, path, 1, NULL);
	assert_int_equal(audit_verify(st, &o, &r), 0);
	assert_int_equal(r.keyed_from, 0);
	assert_true(r.caveats & AUDIT_CAVEAT_NEVER_KEYED);
	fixture_close(&fx);
}

static void test_checkpoints(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	const char *path = fx.path;
	audit_keys_t *k = fx.k;
	audit_use_keys(k);
	store_t *st = fx.st;
	record(st, 4);
	audit_checkpoint_t cp, again;
	store_tx_t *tx = store_begin(st, true);
	assert_int_equal(audit_checkpoint_make(tx, 1700000000000, &cp), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(cp.seq, 4);
	assert_int_equal(cp.prev_seq, 0);
	uint8_t pk[32];
	audit_keys_public(k, pk);
	assert_true(audit_checkpoint_signed_by(pk, &cp));
	/* The head did not move: the same checkpoint. */
	tx = store_begin(st, true);
	assert_int_equal(audit_checkpoint_make(tx, 1700000001000, &again), 1);
	store_rollback(tx);
	assert_int_equal(again.seq, 4);
	assert_string_equal(again.signature, cp.signature);
	/* The file line round-trips, and parsing is strict. */
	char *line = audit_checkpoint_line(&cp);
	audit_checkpoint_t back;
	const char *why = NULL;
	assert_int_equal(audit_checkpoint_parse(line, strlen(line), &back, &why), 0);
	assert_memory_equal(&back, &cp, sizeof cp);
	free(line);
	static const char *const bad[] = { "", "[]", "{\"v\":2}", "{\"v\":1,\"seq\":0}",
		"{\"v\":1,\"seq\":3,\"prev_seq\":3,\"mac\":\"00\",\"time\":\"x\",\"signature\":\"\"}",
		"{\"v\":1,\"v\":1}", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(audit_checkpoint_parse(bad[i], strlen(bad[i]), &back, &why), -1);
	record(st, 2);
	audit_verify_opts_t o = { .keys = k, .cps = &cp, .ncps = 1 };
	audit_report_t r;
	assert_int_equal(audit_verify(st, &o, &r), 0);
	assert_int_equal(r.checkpoints, 1);
	assert_true(r.caveats & AUDIT_CAVEAT_AFTER_CHECKPOINT);
	assert_false(r.caveats & AUDIT_CAVEAT_NO_CHECKPOINT);
	/* A forged or altered checkpoint. */
	audit_checkpoint_t forged = cp;
	forged.seq = 5;
	o.cps = &forged;
	assert_int_equal(audit_verify(st, &o, &r), 1);
	assert_non_null(strstr(r.reason, "signature"));
	o.cps = &cp;
	/* Recomputed whole in plain SHA-256: the checkpoint's head differs. */
	/* The events are saved aside (a copy of the database on SQLite, of the
	 * table on PostgreSQL) and put back afterwards. */
	char saved[600];
	snprintf(saved, sizeof saved, "%s.saved", path);
	if (test_db_pg())
		sql(path, "CREATE TABLE audit_saved AS SELECT * FROM audit_events");
	else {
		sql(path, "VACUUM");
		char q[700];
		snprintf(q, sizeof q, "VACUUM INTO '%s'", saved);
		sql(path, q);
	}
	recompute(st, path, 1, NULL);
	assert_int_equal(audit_verify(st, &o, &r), 1);
	assert_int_equal(r.broken_seq, 4);
	assert_non_null(strstr(r.reason, "differs from the checkpoint"));
	/* The newest events removed, back to before the checkpoint. */
	store_close(st);
	if (test_db_pg())
		sql(path, "DELETE FROM audit_events; INSERT INTO audit_events OVERRIDING SYSTEM VALUE"
			" SELECT * FROM audit_saved");
	else {
		rename(saved, path);
		char p[700];
		snprintf(p, sizeof p, "%s-wal", path);
		unlink(p);
		snprintf(p, sizeof p, "%s-shm", path);
		unlink(p);
	}
	st = fx.st = test_db_open(path);
	assert_int_equal(audit_verify(st, &o, &r), 0);
	sql(path, "DELETE FROM audit_events WHERE seq >= 3");
	assert_int_equal(audit_verify(st, &o, &r), 1);
	assert_non_null(strstr(r.reason, "newest events were removed"));
	/* ...and the service refuses to sign a head behind its checkpoint. */
	tx = store_begin(st, true);
	assert_int_equal(audit_checkpoint_make(tx, 1700000002000, &again), -1);
	store_rollback(tx);
	/* Nor once new events pass it: event 4 is not the one it signed. */
	record(st, 5);
	tx = store_begin(st, true);
	assert_int_equal(audit_checkpoint_make(tx, 1700000003000, &again), -1);
	store_rollback(tx);
	fixture_close(&fx);
}

int main(void)
{
	sec_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyed_after_plain),
		cmocka_unit_test(test_recomputed_and_changed),
		cmocka_unit_test(test_erase_before_v3),
		cmocka_unit_test(test_erase_v2),
		cmocka_unit_test(test_checkpoints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
