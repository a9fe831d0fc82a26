/* Secrets sealed at rest (src/domain/identity/secrets.c): a database written by an
 * older version, with TOTP seeds, a webhook secret and a trunk password in
 * clear, is sealed by the start-up sweep (each in its scope); afterwards the
 * clear values are in neither the database file nor its WAL, each opens
 * only for its own row, and the database refuses a value in clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "temp_store.h"

#include "log.h"
#include "sec.h"
#include "identity/identity.h"
#include "store.h"
#include "store_numbers.h"
#include "store_webhooks.h"
#include "xalloc.h"

#define SEED_MEMBER "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
#define SEED_STAFF "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
#define WEBHOOK_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define TRUNK_PASSWORD "digest-Kx8q2v-mZ93"

static const char *const clear_values[] = { SEED_MEMBER, SEED_STAFF, WEBHOOK_SECRET,
	TRUNK_PASSWORD };

static void sql(sqlite3 *db, const char *text)
{
	char *msg = NULL;
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg ? msg : "?");
}

/* Turns the store at path into what an older version left: the rule of
 * migration 0008 not there yet, and secrets written in clear. */
static void write_as_older_version(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sql(db, "DROP TRIGGER principals_totp_sealed_insert; DROP TRIGGER principals_totp_sealed_update;"
		"DROP TRIGGER webhooks_secret_sealed_insert; DROP TRIGGER webhooks_secret_sealed_update;"
		"DROP TRIGGER trunks_secret_sealed_insert; DROP TRIGGER trunks_secret_sealed_update;"
		"DELETE FROM schema_migrations WHERE version = 8;"
		"INSERT INTO accounts (id, name, status, created_at, updated_at)"
		" VALUES ('acc_a', 'A', 'active', 1, 1);"
		"INSERT INTO principals (id, kind, account_id, email, name, role, status, created_at,"
		" updated_at, totp_secret, totp_confirmed_at) VALUES"
		" ('usr_m', 'account', 'acc_a', 'm@a.example', 'M', 'owner', 'active', 1, 1, '" SEED_MEMBER "', 1),"
		" ('usr_n', 'account', 'acc_a', 'n@a.example', 'N', 'user', 'active', 1, 1, NULL, NULL),"
		" ('usr_p', 'provider', NULL, 'p@op.example', 'P', 'admin', 'active', 1, 1, '" SEED_STAFF "', 1);"
		"INSERT INTO webhooks (id, account_id, url, events, status, secret, created_at, updated_at)"
		" VALUES ('whk_1', 'acc_a', 'https://example.com/h', 'fax.queued', 'active', '" WEBHOOK_SECRET "', 1, 1);"
		"INSERT INTO trunks (id, name, peer, username, secret, created_at, updated_at)"
		" VALUES ('carrier', 'Carrier', '192.0.2.10:5060', 'fv', '" TRUNK_PASSWORD "', 1, 1);"
		"PRAGMA wal_checkpoint(TRUNCATE);");
	sqlite3_close(db);
}

/* How many of the clear values are in the file at path (a missing file
 * holds none). */
static int clear_values_in(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t cap = 1 << 20, len = 0;
	char *buf = xmalloc(cap);
	size_t got;
	while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	fclose(f);
	int n = 0;
	for (size_t i = 0; i < sizeof clear_values / sizeof clear_values[0]; i++)
		if (memmem(buf, len, clear_values[i], strlen(clear_values[i])))
			n++;
	free(buf);
	return n;
}

static int clear_values_on_disk(const char *path)
{
	char wal[300];
	snprintf(wal, sizeof wal, "%s-wal", path);
	return clear_values_in(path) + clear_values_in(wal);
}

/* Opens the stored secret and checks it is want (NULL: it must not open). */
static void expect_open(store_tx_t *tx, const fax_env_t *env, const char *account,
	const char *purpose, const char *owner, const char *stored, const char *want)
{
	char *got = secret_open_tx(tx, env, account, purpose, owner, stored);
	if (want) {
		assert_non_null(got);
		assert_string_equal(got, want);
	} else {
		assert_null(got);
	}
	vault_secret_free(got);
}

static void test_sweep_seals_older_values(void **state)
{
	(void)state;
	char path[128];
	store_t *st = temp_store(path, sizeof path);
	store_close(st);
	write_as_older_version(path);
	/* The search below sees clear values where they are. */
	assert_int_equal(clear_values_on_disk(path), 4);

	char err[256];
	st = store_open(path, err, sizeof err);
	if (!st)
		fail_msg("store_open: %s", err);
	vault_key_t *master = temp_master();
	fax_env_t env = { .master = master };
	assert_int_equal(dom_secrets_seal_all(st, &env), 4);
	assert_int_equal(clear_values_on_disk(path), 0);
	/* Nothing left to seal at the next start. */
	assert_int_equal(dom_secrets_seal_all(st, &env), 0);

	store_tx_t *tx = store_begin(st, true);
	json_t *m = store_principal_get(tx, "usr_m"), *p = store_principal_get(tx, "usr_p");
	json_t *w = store_webhook_get(tx, "acc_a", "whk_1"), *t = store_trunk_get(tx, "carrier");
	const char *ms = json_string_value(json_object_get(m, "totp_secret"));
	const char *ps = json_string_value(json_object_get(p, "totp_secret"));
	const char *ws = json_string_value(json_object_get(w, "secret"));
	const char *ts = json_string_value(json_object_get(t, "secret"));
	assert_true(vault_secret_is_sealed(ms) && vault_secret_is_sealed(ps) &&
		vault_secret_is_sealed(ws) && vault_secret_is_sealed(ts));
	/* Each in its scope: a member's seed and a webhook's secret under the
	 * account's key (made by the sweep), staff seeds and trunk passwords
	 * under the provider's. */
	assert_string_equal(secret_totp_scope(m), "acc_a");
	assert_null(secret_totp_scope(p));
	expect_open(tx, &env, "acc_a", "totp", "usr_m", ms, SEED_MEMBER);
	expect_open(tx, &env, NULL, "totp", "usr_p", ps, SEED_STAFF);
	expect_open(tx, &env, "acc_a", "webhook", "whk_1", ws, WEBHOOK_SECRET);
	expect_open(tx, &env, NULL, "trunk", "carrier", ts, TRUNK_PASSWORD);
	/* Not for another row, purpose or scope. */
	expect_open(tx, &env, "acc_a", "totp", "usr_n", ms, NULL);
	expect_open(tx, &env, NULL, "totp", "usr_m", ms, NULL);
	expect_open(tx, &env, "acc_a", "webhook", "usr_m", ms, NULL);
	expect_open(tx, &env, NULL, "trunk", "other", ts, NULL);
	/* Nor without the master key, or with another one. */
	vault_key_t *other = temp_master();
	fax_env_t env2 = { .master = other };
	expect_open(tx, &env2, NULL, "trunk", "carrier", ts, NULL);
	expect_open(tx, &env2, "acc_a", "totp", "usr_m", ms, NULL);
	vault_key_free(other);
	fax_env_t none = { 0 };
	expect_open(tx, &none, NULL, "trunk", "carrier", ts, NULL);

	/* A seed copied to another person's row does not open there. */
	json_t *f = json_pack("{s:s, s:I}", "totp_secret", ms, "totp_confirmed_at", (json_int_t)1);
	assert_int_equal(store_principal_update(tx, "usr_n", f), STORE_OK);
	json_decref(f);
	json_t *n = store_principal_get(tx, "usr_n");
	expect_open(tx, &env, secret_totp_scope(n), "totp", "usr_n",
		json_string_value(json_object_get(n, "totp_secret")), NULL);
	json_decref(n);

	/* The database refuses values in clear from now on. */
	f = json_pack("{s:s}", "totp_secret", SEED_MEMBER);
	assert_int_not_equal(store_principal_update(tx, "usr_m", f), STORE_OK);
	json_decref(f);
	f = json_pack("{s:s}", "secret", TRUNK_PASSWORD);
	assert_int_not_equal(store_trunk_update(tx, "carrier", f), STORE_OK);
	json_decref(f);
	f = json_pack("{s:s}", "secret", WEBHOOK_SECRET);
	assert_int_not_equal(store_webhook_update(tx, "acc_a", "whk_1", f), STORE_OK);
	json_decref(f);
	f = json_pack("{s:s}", "secret", ws);
	assert_int_equal(store_webhook_update(tx, "acc_a", "whk_1", f), STORE_OK);
	json_decref(f);
	json_decref(m);
	json_decref(p);
	json_decref(w);
	json_decref(t);
	store_rollback(tx);
	drop_store(st, path);
	vault_key_free(master);
}

/* Sealing needs the master key: the tools have none, and nothing is
 * stored then. */
static void test_no_master(void **state)
{
	(void)state;
	char path[128];
	store_t *st = temp_store(path, sizeof path);
	fax_env_t none = { 0 };
	store_tx_t *tx = store_begin(st, true);
	assert_null(secret_seal_tx(tx, &none, NULL, "trunk", "carrier", TRUNK_PASSWORD));
	assert_null(secret_seal_tx(tx, NULL, "acc_a", "webhook", "whk_1", WEBHOOK_SECRET));
	store_rollback(tx);
	assert_int_equal(dom_secrets_seal_all(st, &none), -1);
	drop_store(st, path);
}

int main(void)
{
	sec_init();
	log_set_level(LOG_FATAL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep_seals_older_values),
		cmocka_unit_test(test_no_master),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
