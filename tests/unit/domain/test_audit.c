/* Unit tests of the keyed audit chain and its checkpoints (audit.h): plain
 * events before the key stay verifiable, keyed ones need the key, a chain
 * recomputed with plain SHA-256 or truncated shows against a checkpoint,
 * checkpoints are signed and their file lines parse strictly, the report
 * says what it could not rule out, and an event written before chain
 * version 3 (chain 1, plain, or chain 2, keyed) can be erased for a person
 * without breaking the chain, its erasure sealed. One chain per account and
 * one for the provider (migration 0056): each verifies on its own, is
 * checkpointed on its own, and an event altered, removed, reordered or
 * moved to another chain, a chain removed whole, or the closed global
 * chain's end dropped, is caught and named by chain and event. Event ids
 * sort by the time they were recorded. */
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
#include "timeutil.h"

#include "audit/audit.h"
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
	if (json_integer_value(json_object_get(ev, "chain_seq")) == 1)
		memset(r->prev, '0', 64); /* a chain's start: the (empty) closed chain's end */
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
		/* The chain's recorded head too, when it is this event: the
		 * attacker writes the database. */
		char one[600];
		snprintf(one, sizeof one, "UPDATE audit_events SET chain=%d, prev_hash='%s', hash='%s' "
			"WHERE seq=%lld; UPDATE audit_heads SET hash='%s', version=%d WHERE chain_id='%s' "
			"AND chain_seq=%lld;", r->keys ? 2 : 1, r->prev, h, (long long)seq, h,
			r->keys ? 2 : 1, json_string_value(json_object_get(ev, "chain_id")),
			(long long)json_integer_value(json_object_get(ev, "chain_seq")));
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
	assert_int_equal(store_audit_foreach_chain(st, NULL, NULL, collect, &r), 0);
	sql(path, r.sql);
	free(r.sql);
}

/* audit_checkpoint_make of the tests' single chain: rc, and *cp the one
 * checkpoint made (zeroed when none). */
static int make1(store_tx_t *tx, int64_t now, audit_checkpoint_t *cp)
{
	audit_checkpoint_t *v = NULL;
	size_t n = 0;
	int rc = audit_checkpoint_make(tx, now, &v, &n);
	memset(cp, 0, sizeof *cp);
	if (n)
		*cp = v[n - 1];
	assert_true(n <= 1);
	free(v);
	return rc;
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
	assert_int_equal(make1(tx, 1700000000000, &cp), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(cp.seq, 4);
	assert_int_equal(cp.prev_seq, 0);
	uint8_t pk[32];
	audit_keys_public(k, pk);
	assert_true(audit_checkpoint_signed_by(pk, &cp));
	/* The head did not move: no new checkpoint. */
	tx = store_begin(st, true);
	assert_int_equal(make1(tx, 1700000001000, &again), 1);
	store_rollback(tx);
	assert_int_equal(again.seq, 0); /* none made */
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
		sql(path, "CREATE TABLE audit_saved AS SELECT * FROM audit_events;"
			"CREATE TABLE heads_saved AS SELECT chain_id, chain_seq, hash, version FROM"
			" audit_heads");
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
			" SELECT * FROM audit_saved; DELETE FROM audit_heads; INSERT INTO audit_heads"
			" (chain_id, chain_seq, hash, version) SELECT * FROM heads_saved");
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
	assert_int_equal(make1(tx, 1700000002000, &again), -1);
	store_rollback(tx);
	/* Nor once new events pass it: event 4 is not the one it signed. */
	record(st, 5);
	tx = store_begin(st, true);
	assert_int_equal(make1(tx, 1700000003000, &again), -1);
	store_rollback(tx);
	fixture_close(&fx);
}

/* ---- one chain per account (migration 0056) ---- */

static void record_in(store_t *st, const char *account, int n)
{
	for (int i = 0; i < n; i++) {
		store_tx_t *tx = store_begin(st, true);
		assert_non_null(tx);
		assert_int_equal(audit_record(tx, &actor, "fax.receive", "fax_1", account, "success", NULL),
			0);
		assert_int_equal(store_commit(tx), STORE_OK);
	}
}

/* Three chains, interleaved: acc_1 (seq 1, 4, 7, 10), acc_2 (2, 5, 8,
 * 11), the provider's (3, 6, 9, 12). */
static void three_chains(struct fixture *f)
{
	fixture_open(f);
	audit_use_keys(f->k);
	for (int i = 0; i < 4; i++) {
		record_in(f->st, "acc_1", 1);
		record_in(f->st, "acc_2", 1);
		record_in(f->st, NULL, 1);
	}
}

/* audit_verify with the fixture's key and cps: rc, report in r. */
static int verify_with(struct fixture *f, const audit_checkpoint_t *cps, size_t n,
	audit_report_t *r)
{
	audit_verify_opts_t o = { .keys = f->k, .cps = cps, .ncps = n };
	return audit_verify(f->st, &o, r);
}

static void test_chains_intact(void **state)
{
	(void)state;
	struct fixture fx;
	three_chains(&fx);
	audit_report_t r;
	assert_int_equal(verify_with(&fx, NULL, 0, &r), 0);
	assert_int_equal(r.events, 12);
	assert_int_equal(r.chains, 3);
	assert_int_equal(r.head_seq, 12);
	/* Each event in its account's chain, in order, the provider's for
	 * the one that names no account; each chain starts from the anchor
	 * (here, no closed chain: zeros). */
	store_tx_t *tx = store_begin(fx.st, false);
	store_page_t pg;
	store_audit_filter_t all = { 0 };
	assert_int_equal(store_audit_list(tx, &all, NULL, 50, &pg), STORE_OK);
	size_t i;
	json_t *ev;
	json_array_foreach(pg.items, i, ev) {
		int64_t seq = json_integer_value(json_object_get(ev, "seq"));
		const char *want = seq % 3 == 1 ? "acc_1" : seq % 3 == 2 ? "acc_2" : "provider";
		assert_string_equal(json_string_value(json_object_get(ev, "chain_id")), want);
		assert_int_equal(json_integer_value(json_object_get(ev, "chain_seq")), (seq + 2) / 3);
		if ((seq + 2) / 3 == 1)
			assert_string_equal(json_string_value(json_object_get(ev, "prev_hash")),
				"0000000000000000000000000000000000000000000000000000000000000000");
	}
	store_page_free(&pg);
	json_t *heads = store_audit_heads(tx);
	store_rollback(tx);
	assert_int_equal(json_array_size(heads), 3);
	json_decref(heads);
	/* One checkpoint per chain; none again until a head moves, then one
	 * for that chain only. */
	audit_checkpoint_t *cps = NULL;
	size_t n = 0;
	tx = store_begin(fx.st, true);
	assert_int_equal(audit_checkpoint_make(tx, 1700000000000, &cps, &n), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(n, 3);
	uint8_t pk[32];
	audit_keys_public(fx.k, pk);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(cps[k].seq, 4);
		assert_true(audit_checkpoint_signed_by(pk, &cps[k]));
		/* A chain's checkpoint line (v 2) round-trips; its message names
		 * the chain. */
		char *line = audit_checkpoint_line(&cps[k]);
		audit_checkpoint_t back;
		const char *why;
		assert_int_equal(audit_checkpoint_parse(line, strlen(line), &back, &why), 0);
		assert_memory_equal(&back, &cps[k], sizeof back);
		assert_non_null(strstr(line, "\"v\":2,\"chain\":\""));
		free(line);
		char m[512];
		assert_true(audit_checkpoint_message(&cps[k], m, sizeof m) > 0);
		assert_non_null(strstr(m, "faxvault audit checkpoint 2\nchain="));
	}
	/* Moved to another chain, the signature no longer verifies. */
	audit_checkpoint_t moved = cps[0];
	snprintf(moved.chain, sizeof moved.chain, "%s", "acc_2");
	assert_false(audit_checkpoint_signed_by(pk, &moved));
	tx = store_begin(fx.st, true);
	audit_checkpoint_t *again = NULL;
	size_t n2 = 0;
	assert_int_equal(audit_checkpoint_make(tx, 1700000001000, &again, &n2), 1);
	store_rollback(tx);
	assert_int_equal(n2, 0);
	record_in(fx.st, "acc_2", 2);
	tx = store_begin(fx.st, true);
	assert_int_equal(audit_checkpoint_make(tx, 1700000002000, &again, &n2), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(n2, 1);
	assert_string_equal(again[0].chain, "acc_2");
	assert_int_equal(again[0].seq, 6);
	assert_int_equal(again[0].prev_seq, 4);
	audit_checkpoint_t all4[4] = { cps[0], cps[1], cps[2], again[0] };
	free(cps);
	free(again);
	assert_int_equal(verify_with(&fx, all4, 4, &r), 0);
	assert_int_equal(r.checkpoints, 4);
	/* A chain removed whole (its head row too): its checkpoints show it. */
	sql(fx.path, "DELETE FROM audit_events WHERE chain_id = 'acc_1';"
		"DELETE FROM audit_heads WHERE chain_id = 'acc_1'");
	assert_int_equal(verify_with(&fx, NULL, 0, &r), 0);
	assert_int_equal(r.chains, 2);
	assert_int_equal(verify_with(&fx, all4, 4, &r), 1);
	assert_string_equal(r.broken_chain, "acc_1");
	assert_non_null(strstr(r.reason, "the chain was removed"));
	fixture_close(&fx);
}

/* Each way of tampering with one chain, on a fresh set of three: caught,
 * and named by chain and event. */
static void tampered(const char *q, int64_t seq, const char *chain, const char *why)
{
	struct fixture fx;
	three_chains(&fx);
	sql(fx.path, q);
	audit_report_t r;
	assert_int_equal(verify_with(&fx, NULL, 0, &r), 1);
	if (seq)
		assert_int_equal(r.broken_seq, seq);
	assert_string_equal(r.broken_chain, chain);
	if (!strstr(r.reason, why))
		fail_msg("reason \"%s\" does not say \"%s\"", r.reason, why);
	json_t *j = audit_report_json(&r, 1, "en");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "first_broken"),
		"chain")), chain);
	json_decref(j);
	fixture_close(&fx);
}

static void test_chains_tampered(void **state)
{
	(void)state;
	/* Altered. */
	tampered("UPDATE audit_events SET target = 'fax_2' WHERE seq = 5", 5, "acc_2", "keyed hash");
	/* Removed from the middle. */
	tampered("DELETE FROM audit_events WHERE seq = 4", 7, "acc_1", "sequence gap");
	/* Removed at the end: the recorded head shows it. */
	tampered("DELETE FROM audit_events WHERE seq = 12", 0, "provider", "recorded head");
	/* Reordered: two events of a chain swap places. */
	tampered("UPDATE audit_events SET chain_seq = 99 WHERE seq = 4;"
		"UPDATE audit_events SET chain_seq = 2 WHERE seq = 7;"
		"UPDATE audit_events SET chain_seq = 3 WHERE seq = 4", 7, "acc_1", "previous-hash link");
	/* Moved to another account's chain, in its place at the end (the
	 * head rows kept consistent): its account no longer matches... */
	tampered("UPDATE audit_events SET chain_id = 'acc_2', chain_seq = 5 WHERE seq = 10;"
		"UPDATE audit_heads SET chain_seq = 5 WHERE chain_id = 'acc_2';"
		"UPDATE audit_heads SET chain_seq = 3, hash = (SELECT hash FROM audit_events WHERE"
		" seq = 7) WHERE chain_id = 'acc_1'", 10, "acc_2", "another account's chain");
	/* ...and with its account changed too, its keyed hash does not. */
	tampered("UPDATE audit_events SET chain_id = 'acc_2', account_id = 'acc_2', chain_seq = 5,"
		" prev_hash = (SELECT hash FROM audit_events WHERE seq = 11) WHERE seq = 10;"
		"UPDATE audit_heads SET chain_seq = 5, hash = (SELECT hash FROM audit_events WHERE"
		" seq = 10) WHERE chain_id = 'acc_2';"
		"UPDATE audit_heads SET chain_seq = 3, hash = (SELECT hash FROM audit_events WHERE"
		" seq = 7) WHERE chain_id = 'acc_1'", 10, "acc_2", "keyed hash");
}

/* A database with a global chain before migration 0056: the chain is
 * closed, verified as before, and each new chain starts from its head; the
 * closed chain's newest events cannot be dropped without a trace. */
struct legacy {
	const audit_keys_t *k;
	char prev[AUDIT_HASH_HEX];
	char *sql;
	size_t len;
};

static void append_sql(struct legacy *l, const char *one)
{
	l->sql = realloc(l->sql, l->len + strlen(one) + 1);
	memcpy(l->sql + l->len, one, strlen(one) + 1);
	l->len += strlen(one);
}

static int to_global(const json_t *ev, void *arg)
{
	struct legacy *l = arg;
	json_t *v = json_deep_copy(ev);
	int64_t seq = json_integer_value(json_object_get(ev, "seq"));
	json_object_set_new(v, "chain_id", json_string(""));
	json_object_set_new(v, "chain_seq", json_integer(seq));
	char h[AUDIT_HASH_HEX], one[400];
	audit_mac(l->k, l->prev, v, h);
	json_decref(v);
	snprintf(one, sizeof one, "UPDATE audit_events SET chain_id = '', chain_seq = %lld,"
		" prev_hash = '%s', hash = '%s' WHERE seq = %lld;", (long long)seq, l->prev, h,
		(long long)seq);
	append_sql(l, one);
	snprintf(l->prev, sizeof l->prev, "%s", h);
	return 0;
}

static void test_chains_after_global(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	audit_use_keys(fx.k);
	/* Seq 1..4: written as the global chain was (one chain, seq order). */
	record_in(fx.st, "acc_1", 2);
	record_in(fx.st, NULL, 2);
	struct legacy l = { .k = fx.k };
	memset(l.prev, '0', 64);
	assert_int_equal(store_audit_foreach_chain(fx.st, "acc_1", NULL, to_global, &l), 0);
	assert_int_equal(store_audit_foreach_chain(fx.st, "provider", NULL, to_global, &l), 0);
	char one[300];
	snprintf(one, sizeof one, "DELETE FROM audit_heads; INSERT INTO audit_heads (chain_id,"
		" chain_seq, hash, version) VALUES ('', 4, '%s', 3)", l.prev);
	append_sql(&l, one);
	sql(fx.path, l.sql);
	free(l.sql);
	audit_report_t r;
	assert_int_equal(verify_with(&fx, NULL, 0, &r), 0);
	assert_int_equal(r.chains, 1);
	/* Then the chains of migration 0056, anchored to its head. */
	record_in(fx.st, "acc_1", 2);
	record_in(fx.st, NULL, 1);
	assert_int_equal(verify_with(&fx, NULL, 0, &r), 0);
	assert_int_equal(r.chains, 3);
	assert_int_equal(r.events, 7);
	store_tx_t *tx = store_begin(fx.st, false);
	store_page_t pg;
	store_audit_filter_t f = { .account_id = "acc_1" };
	assert_int_equal(store_audit_list(tx, &f, NULL, 10, &pg), STORE_OK);
	store_rollback(tx);
	json_t *first = json_array_get(pg.items, 1); /* newest first: chain_seq 1 of acc_1 */
	assert_int_equal(json_integer_value(json_object_get(first, "chain_seq")), 1);
	assert_string_equal(json_string_value(json_object_get(first, "prev_hash")), l.prev);
	store_page_free(&pg);
	/* A checkpoint of the closed chain still verifies (version 1). */
	audit_checkpoint_t old = { .seq = 4 };
	snprintf(old.mac, sizeof old.mac, "%s", l.prev);
	snprintf(old.time, sizeof old.time, "2026-01-01T00:00:00Z");
	audit_checkpoint_sign(fx.k, &old);
	assert_int_equal(verify_with(&fx, &old, 1, &r), 0);
	/* The closed chain's newest event dropped, its recorded end moved
	 * back as well: every chain that started from it breaks. */
	sql(fx.path, "DELETE FROM audit_events WHERE seq = 4;"
		"UPDATE audit_heads SET chain_seq = 3, hash = (SELECT hash FROM audit_events WHERE"
		" seq = 3) WHERE chain_id = ''");
	assert_int_equal(verify_with(&fx, NULL, 0, &r), 1);
	assert_string_equal(r.broken_chain, "acc_1");
	assert_int_equal(r.broken_chain_seq, 1);
	assert_non_null(strstr(r.reason, "does not start from the end of the closed global chain"));
	fixture_close(&fx);
}

/* Event ids are ordered by time (sec_new_id_at): recorded in later
 * milliseconds (the test clock moved on), they sort after, and the chain
 * verifies as before. */
static void test_event_ids_ordered(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	audit_use_keys(fx.k);
	/* Eight: random ids would come in this order once in 40,320 runs. */
	for (int i = 0; i < 8; i++) {
		time_set_offset_ms((int64_t)i * 1000);
		record_in(fx.st, "acc_1", 1);
	}
	time_set_offset_ms(0);
	store_tx_t *tx = store_begin(fx.st, false);
	store_page_t pg;
	store_audit_filter_t all = { 0 };
	assert_int_equal(store_audit_list(tx, &all, NULL, 50, &pg), STORE_OK);
	store_rollback(tx);
	assert_int_equal(json_array_size(pg.items), 8);
	/* Listed newest first: each id sorts before the one listed before it. */
	for (size_t i = 0; i + 1 < json_array_size(pg.items); i++) {
		const char *newer = json_string_value(json_object_get(json_array_get(pg.items, i), "id"));
		const char *older = json_string_value(json_object_get(json_array_get(pg.items, i + 1), "id"));
		assert_int_equal(strlen(newer), 24);
		assert_memory_equal(newer, "evt_", 4);
		assert_true(strcmp(older, newer) < 0);
	}
	store_page_free(&pg);
	audit_report_t r;
	assert_int_equal(verify_with(&fx, NULL, 0, &r), 0);
	assert_int_equal(r.events, 8);
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
		cmocka_unit_test(test_chains_intact),
		cmocka_unit_test(test_chains_tampered),
		cmocka_unit_test(test_chains_after_global),
		cmocka_unit_test(test_event_ids_ordered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
