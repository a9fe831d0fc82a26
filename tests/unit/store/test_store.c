/* Unit tests of the store, on SQLite or (FV_TEST_PG set, test_store_pg) on
 * PostgreSQL: migrations, tenant scoping, uniqueness, pagination,
 * invitations and transactions; inserts' statements kept; SQLite's log
 * started over by the checkpointer under readers; the job queue's
 * statements prepared once; writers waiting without a connection; group
 * commits whose caller does not wait, and go on behind a group being
 * written with a short queue; a read after a commit on the committer's
 * connection, its page cache kept; on PostgreSQL, groups of different
 * audit chains committing at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "../common/test_db.h"
#include "store.h"
#include "store_closure.h"
#include "store_fax.h"
#include "store_jobs.h"
#include "store_int.h"
#include "store_mail.h"
#include "store_sso.h"

static char path[512];

static int setup(void **state)
{
	test_db_new(path, sizeof path);
	*state = test_db_open(path);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	store_close(*state);
	test_db_remove(path);
	return 0;
}

static void add_account(store_tx_t *tx, const char *id)
{
	json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", id, "name", id, "status", "active",
		"created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	assert_int_equal(store_account_insert(tx, a), STORE_OK);
	json_decref(a);
}

static int add_member(store_tx_t *tx, const char *id, const char *acc, const char *email)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "kind",
		"account", "account_id", acc, "email", email, "name", "N", "role", "user", "status",
		"active", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	int rc = store_principal_insert(tx, p);
	json_decref(p);
	return rc;
}

/* The migrations compiled in (migrations/NNNN_*.sql), ended by a NULL name. */
struct fv_embedded {
	const char *name;
	const char *text;
};
extern const struct fv_embedded fv_migrations[];

static void test_migrations_idempotent(void **state)
{
	/* The version is the highest number applied (numbers reserved for work
	 * not yet merged may leave gaps), on both backends: PostgreSQL's set
	 * (migrations_pg/) must end where SQLite's does. */
	int n = 0, top = 0;
	for (; fv_migrations[n].name; n++)
		if (atoi(fv_migrations[n].name) > top)
			top = atoi(fv_migrations[n].name);
	assert_true(n >= 5);
	n = top;
	assert_int_equal(store_schema_version(*state), n);
	store_t *again = test_db_open(path);
	assert_int_equal(store_schema_version(again), n);
	store_close(again);
}

static void sql(sqlite3 *db, const char *q)
{
	char *msg = NULL;
	if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg);
}

static int64_t sql_int(sqlite3 *db, const char *q)
{
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_finalize(s);
	return v;
}

/* A new SQLite store file (name into own) with every migration applied,
 * opened with SQLite itself so that a test can rewrite its history. */
static sqlite3 *migrated_file(char *own, size_t n)
{
	char err[256];
	snprintf(own, n, "/tmp/fv-store-m-%d-XXXXXX", getpid());
	close(mkstemp(own));
	store_t *st = store_open(own, err, sizeof err);
	assert_non_null(st);
	store_close(st);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(own, &db), SQLITE_OK);
	return db;
}

/* Migration 0007 rebuilds the faxes table (a CHECK constraint changes): an
 * inbound fax stored as "delivered" becomes "received", outbound ones keep
 * their status, and the pages that point at the faxes survive. Run here by
 * forgetting that 0007 was applied (and 0013 and 0014, which add to faxes,
 * with what they added dropped, and 0033's faxes.source too, since 0007
 * copies every column) and opening the store again. */
static void test_migration_rebuilds_faxes(void **state)
{
	(void)state;
	if (test_db_pg())
		skip(); /* SQLite's own migration history */
	char own[128], err[256];
	sqlite3 *db = migrated_file(own, sizeof own);
	store_t *st;
	sql(db, "PRAGMA foreign_keys=ON;"
		"INSERT INTO accounts (id, name, status, created_at, updated_at) VALUES ('acc_m', 'M', 'active', 1, 1);"
		"INSERT INTO faxes (id, account_id, direction, status, to_number, created_at, updated_at) VALUES"
		" ('fax_in', 'acc_m', 'inbound', 'delivered', '+1', 1, 1),"
		" ('fax_out', 'acc_m', 'outbound', 'delivered', '+1', 1, 1);"
		"INSERT INTO fax_pages (fax_id, page, status) VALUES ('fax_in', 1, 'received'), ('fax_in', 2, 'received');"
		"DROP INDEX IF EXISTS faxes_retention; ALTER TABLE faxes DROP COLUMN legal_hold_reason;"
		"ALTER TABLE faxes DROP COLUMN deleted_at; ALTER TABLE faxes DROP COLUMN source;"
		"DROP TABLE retention_policies;"
		"DELETE FROM schema_migrations WHERE version IN (7, 13, 14);");
	sqlite3_close(db);
	st = store_open(own, err, sizeof err);
	assert_non_null(st);
	assert_true(store_schema_version(st) >= 7);
	assert_int_equal(sqlite3_open(own, &db), SQLITE_OK);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM faxes WHERE id = 'fax_in' AND status = 'received'"), 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM faxes WHERE id = 'fax_out' AND status = 'delivered'"), 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM fax_pages WHERE fax_id = 'fax_in'"), 2);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM faxes WHERE deleted_at IS NULL"), 2);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('faxes_account', 'faxes_due', 'faxes_retention')"), 3);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM faxes WHERE legal_hold_reason IS NULL"), 2);
	sqlite3_close(db);
	store_close(st);
	test_db_remove(own);
}

/* Migration 0062 gives each webhook delivery and message still pending at
 * upgrade its job on the queue (kinds webhook and mail), due when the row
 * was, with the attempts it made; rows delivered, sent or failed get none.
 * Run here by forgetting 0062 and the jobs and opening the store again. */
static void test_migration_outbox_jobs(void **state)
{
	(void)state;
	if (test_db_pg())
		skip(); /* SQLite's own migration history */
	char own[128], err[256];
	sqlite3 *db = migrated_file(own, sizeof own);
	store_t *st;
	sql(db, "INSERT INTO accounts (id, name, status, created_at, updated_at) VALUES ('acc_j', 'J', 'active', 1, 1);"
		"INSERT INTO webhooks (id, account_id, url, events, secret, status, created_at, updated_at)"
		" VALUES ('whk_j', 'acc_j', 'https://h.example/', 'fax.queued', 'sealed1:x', 'active', 1, 1);"
		"INSERT INTO webhook_events (id, account_id, type, payload, created_at) VALUES"
		" ('msg_j', 'acc_j', 'fax.queued', '{}', 1);"
		"INSERT INTO webhook_deliveries (id, webhook_id, event_id, account_id, status, attempts,"
		" next_attempt_at, created_at) VALUES ('whd_p', 'whk_j', 'msg_j', 'acc_j', 'pending', 2, 5000, 1),"
		" ('whd_d', 'whk_j', 'msg_j', 'acc_j', 'delivered', 1, 1, 1);"
		"INSERT INTO mail_outbox (id, kind, account_id, to_addr, lang, params, secret, status,"
		" attempts, next_attempt_at, created_at) VALUES"
		" ('mail_p', 'invitation', 'acc_j', 'a@x.example', 'en', '{}', '', 'pending', 1, 7000, 2),"
		" ('mail_s', 'invitation', NULL, 'b@x.example', 'en', '{}', '', 'sent', 1, 1, 2),"
		" ('mail_f', 'invitation', NULL, 'c@x.example', 'en', '{}', '', 'failed', 8, 1, 2);"
		"DELETE FROM jobs; DELETE FROM schema_migrations WHERE version = 62;");
	sqlite3_close(db);
	st = store_open(own, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(sqlite3_open(own, &db), SQLITE_OK);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM jobs"), 2);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM jobs WHERE kind = 'webhook' AND ref = 'whd_p'"
		" AND account_id = 'acc_j' AND state = 'queued' AND attempts = 2 AND run_after = 5000"
		" AND json_extract(payload, '$.delivery_id') = 'whd_p'"), 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM jobs WHERE kind = 'mail' AND ref = 'mail_p'"
		" AND state = 'queued' AND attempts = 1 AND run_after = 7000"
		" AND json_extract(payload, '$.mail_id') = 'mail_p'"), 1);
	sqlite3_close(db);
	store_close(st);
	test_db_remove(own);
}

/* Migration 0063: the outboxes' lease columns (unused since the queue
 * took their sending, 0062) are gone, and the purge of expired
 * Idempotency-Key answers finds them by the index on created_at instead
 * of scanning the table. */
static void test_migration_outbox_leases_idem_index(void **state)
{
	(void)state;
	if (test_db_pg())
		skip(); /* SQLite's own catalogue */
	char own[128];
	sqlite3 *db = migrated_file(own, sizeof own);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM pragma_table_info('webhook_deliveries')"
		" WHERE name LIKE 'lease%'"), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM pragma_table_info('mail_outbox')"
		" WHERE name LIKE 'lease%'"), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM pragma_table_info('mail_outbox')"
		" WHERE name = 'bounced_at'"), 1);
	/* The purge's own statement (store_idem_purge) uses the index. */
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN DELETE FROM idempotency_keys"
		" WHERE (principal_id, key) IN (SELECT principal_id, key FROM idempotency_keys"
		" WHERE created_at < 5 ORDER BY created_at LIMIT 3)", -1, &q, NULL), SQLITE_OK);
	bool indexed = false;
	while (sqlite3_step(q) == SQLITE_ROW)
		indexed = indexed || strstr((const char *)sqlite3_column_text(q, 3),
			"idempotency_keys_created") != NULL;
	sqlite3_finalize(q);
	assert_true(indexed);
	sqlite3_close(db);
	test_db_remove(own);
}

/* More columns than sq_insert/sq_update can set is refused loudly (an
 * error), never cut short into a statement that silently drops some. */
static void test_too_many_columns(void **state)
{
	store_tx_t *tx = store_begin(*state, true);
	assert_non_null(tx);
	static char names[80][8];
	const char *cols[81];
	json_t *obj = json_object();
	for (int i = 0; i < 80; i++) {
		snprintf(names[i], sizeof names[i], "c%d", i);
		cols[i] = names[i];
		json_object_set_new(obj, names[i], json_integer(i));
	}
	cols[80] = NULL;
	assert_int_equal(sq_update(tx, "accounts", cols, "acc_none", obj, NULL), STORE_ERROR);
	assert_int_equal(sq_insert(tx, "accounts", cols, obj), STORE_ERROR);
	/* A few columns: the statement is built and runs (no such row here). */
	static const char *const two[] = { "name", "status", NULL };
	json_t *upd = json_pack("{s:s, s:s}", "name", "N", "status", "active");
	assert_int_equal(sq_update(tx, "accounts", two, "acc_none", upd, NULL), STORE_NOTFOUND);
	json_decref(upd);
	json_decref(obj);
	store_rollback(tx);
}

/* sq_insert keeps each statement it builds by table and the columns the
 * row has: rows of one table with other columns get their own, and each
 * row reads back as written. */
static void test_insert_statements_kept(void **state)
{
	store_tx_t *tx = store_begin(*state, true);
	assert_non_null(tx);
	static const char *const cols[] = { "id", "name", "status", "owner_id", "created_at",
		"updated_at", NULL };
	for (int i = 0; i < 6; i++) {
		char id[16], name[16];
		snprintf(id, sizeof id, "acc_k%d", i);
		snprintf(name, sizeof name, "name %d", i);
		/* Every other row without its owner (NULL). */
		json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", id, "name", name, "status",
			i % 2 ? "active" : "suspended", "created_at", (json_int_t)i, "updated_at",
			(json_int_t)(i + 100));
		if (i % 2 == 0)
			json_object_set_new(a, "owner_id", json_string("usr_owner"));
		assert_int_equal(sq_insert(tx, "accounts", cols, a), STORE_OK);
		json_decref(a);
	}
	for (int i = 0; i < 6; i++) {
		char id[16], name[16];
		snprintf(id, sizeof id, "acc_k%d", i);
		snprintf(name, sizeof name, "name %d", i);
		json_t *r = sq_one(tx, "SELECT name, status, owner_id, created_at, updated_at FROM accounts"
			" WHERE id = ?", "s", id);
		assert_non_null(r);
		assert_string_equal(json_string_value(json_object_get(r, "name")), name);
		assert_string_equal(json_string_value(json_object_get(r, "status")),
			i % 2 ? "active" : "suspended");
		if (i % 2)
			assert_true(json_is_null(json_object_get(r, "owner_id")));
		else
			assert_string_equal(json_string_value(json_object_get(r, "owner_id")), "usr_owner");
		assert_int_equal(json_integer_value(json_object_get(r, "created_at")), i);
		assert_int_equal(json_integer_value(json_object_get(r, "updated_at")), i + 100);
		json_decref(r);
	}
	store_rollback(tx);
}

struct busy_reader {
	store_t *st;
	atomic_bool stop;
	int reads;
};

/* Read transactions one after the other until told to stop: a reader
 * nearly always present, as under the API's reads. */
static void *busy_read(void *arg)
{
	struct busy_reader *r = arg;
	while (!atomic_load(&r->stop)) {
		store_tx_t *tx = store_begin(r->st, false);
		if (!tx)
			continue;
		json_decref(sq_one(tx, "SELECT name FROM accounts WHERE id = ?", "s", "acc_w"));
		store_rollback(tx);
		r->reads++;
	}
	return NULL;
}

/* SQLite: with a reader nearly always present, commits past 10,000 log
 * frames ask the checkpointer thread, which starts the log over (without
 * it the log grows for ever: SQLite's own checkpoint cannot restart it
 * under readers). */
static void test_wal_restarts_under_readers(void **state)
{
	if (test_db_pg())
		skip(); /* SQLite's log */
	store_t *st = *state;
	store_tx_t *tx = store_begin(st, true);
	add_account(tx, "acc_w");
	assert_int_equal(store_commit(tx), STORE_OK);
	uint64_t before = store_wal_restarts(st);
	struct busy_reader r = { .st = st };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, busy_read, &r), 0);
	bool restarted = false;
	uint64_t held = 0, longest = 0;
	/* Each commit writes a frame or two; two minutes at most. Until a
	 * restart is seen and a checkpointer's pass has counted its hold on the
	 * writers' lock: the pass counts it once it has let the lock go, and a
	 * restart can come first (a writer restarting a log the pass's PASSIVE
	 * steps had wholly copied, or one scheduled before the pass counts). */
	for (int i = 0; i < 100000 && !(restarted && longest > 0); i++) {
		tx = store_begin(st, true);
		assert_non_null(tx);
		char name[32];
		snprintf(name, sizeof name, "name %d", i);
		assert_int_equal(sq_exec(tx, true, "UPDATE accounts SET name = ? WHERE id = ?", "ss", name,
			"acc_w"), STORE_OK);
		assert_int_equal(store_commit(tx), STORE_OK);
		if (i >= 5000 && i % 100 == 0) {
			restarted = store_wal_restarts(st) > before;
			store_wal_restart_held(st, &held, &longest);
			if (!restarted || longest == 0)
				usleep(1000);
		}
	}
	atomic_store(&r.stop, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(restarted);
	assert_true(r.reads > 0);
	/* The time the restarts held the writers' lock is counted. */
	store_wal_restart_held(st, &held, &longest);
	assert_true(longest > 0 && longest <= held);
}

/* SQLite: a restart of the log is counted whoever made it, seen at the
 * next commit: here store_checkpoint's (which truncates the log). */
static void test_wal_restart_counted(void **state)
{
	if (test_db_pg())
		skip(); /* SQLite's log */
	store_t *st = *state;
	store_tx_t *tx = store_begin(st, true);
	add_account(tx, "acc_r");
	assert_int_equal(store_commit(tx), STORE_OK);
	for (int i = 0; i < 20; i++) {
		tx = store_begin(st, true);
		assert_non_null(tx);
		assert_int_equal(sq_exec(tx, true, "UPDATE accounts SET updated_at = ? WHERE id = ?", "is",
			(int64_t)i, "acc_r"), STORE_OK);
		assert_int_equal(store_commit(tx), STORE_OK);
	}
	uint64_t before = store_wal_restarts(st);
	assert_int_equal(store_checkpoint(st), STORE_OK);
	tx = store_begin(st, true);
	assert_int_equal(sq_exec(tx, true, "UPDATE accounts SET updated_at = 100 WHERE id = ?", "s",
		"acc_r"), STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(store_wal_restarts(st), before + 1);
}

static void test_tenant_scoping(void **state)
{
	store_tx_t *tx = store_begin(*state, true);
	add_account(tx, "acc_a");
	add_account(tx, "acc_b");
	assert_int_equal(add_member(tx, "usr_a", "acc_a", "a@x.example"), STORE_OK);
	json_t *m = store_member_get(tx, "acc_a", "usr_a");
	assert_non_null(m);
	json_decref(m);
	assert_null(store_member_get(tx, "acc_b", "usr_a"));
	/* Live e-mail addresses are unique; a deprovisioned one is free again. */
	assert_int_equal(add_member(tx, "usr_a2", "acc_b", "a@x.example"), STORE_CONFLICT);
	json_t *upd = json_pack("{s:s}", "status", "deprovisioned");
	assert_int_equal(store_principal_update(tx, "usr_a", upd), STORE_OK);
	json_decref(upd);
	assert_int_equal(add_member(tx, "usr_a2", "acc_b", "a@x.example"), STORE_OK);
	assert_int_equal(store_apikey_revoke(tx, "acc_b", "key_nope", 1), STORE_NOTFOUND);
	store_commit(tx);
}

static void test_pagination(void **state)
{
	store_tx_t *tx = store_begin(*state, true);
	add_account(tx, "acc_p");
	char id[32], email[64];
	for (int i = 0; i < 7; i++) {
		snprintf(id, sizeof id, "usr_p%d", i);
		snprintf(email, sizeof email, "p%d@x.example", i);
		assert_int_equal(add_member(tx, id, "acc_p", email), STORE_OK);
	}
	store_page_t pg;
	char *cursor = NULL;
	int seen = 0, pages = 0;
	do {
		assert_int_equal(store_principal_list(tx, "account", "acc_p", cursor, 3, &pg), STORE_OK);
		for (size_t i = 0; i < json_array_size(pg.items); i++) {
			snprintf(id, sizeof id, "usr_p%d", seen++);
			assert_string_equal(json_string_value(json_object_get(json_array_get(pg.items, i), "id")), id);
			assert_null(json_object_get(json_array_get(pg.items, i), "_k"));
		}
		free(cursor);
		cursor = pg.next_cursor ? strdup(pg.next_cursor) : NULL;
		store_page_free(&pg);
		pages++;
	} while (cursor);
	assert_int_equal(seen, 7);
	assert_int_equal(pages, 3);
	store_rollback(tx);
}

static void test_invitation_single_use(void **state)
{
	store_tx_t *tx = store_begin(*state, true);
	add_account(tx, "acc_i");
	assert_int_equal(add_member(tx, "usr_i", "acc_i", "i@x.example"), STORE_OK);
	assert_int_equal(store_invitation_insert(tx, "h1", "usr_i", 1000), STORE_OK);
	assert_null(store_invitation_take(tx, "h1", 1000)); /* expired at 1000 */
	assert_int_equal(store_invitation_insert(tx, "h2", "usr_i", 5000), STORE_OK);
	char *who = store_invitation_take(tx, "h2", 10);
	assert_string_equal(who, "usr_i");
	free(who);
	assert_null(store_invitation_take(tx, "h2", 11));
	assert_null(store_invitation_take(tx, "nope", 11));
	store_rollback(tx);
}

static void test_rollback_discards(void **state)
{
	store_tx_t *tx = store_begin(*state, true);
	add_account(tx, "acc_gone");
	store_rollback(tx);
	tx = store_begin(*state, false);
	assert_null(store_account_get(tx, "acc_gone", NULL));
	store_rollback(tx);
}

/* PostgreSQL: a read transaction's BEGIN goes with its first statement; a
 * write transaction holds the write lock from store_begin to its commit.
 * An empty read transaction commits; a first statement whose pooled
 * connection the server dropped runs on a new one (a write transaction's
 * BEGIN the same); a statement whose connection is lost once its
 * transaction began fails as before, and so does the commit. */
/* The n of a query's one row (SELECT count(*) AS n ...), in a read
 * transaction of its own. */
static int64_t count_of(store_t *st, const char *sql)
{
	store_tx_t *tx = store_begin(st, false);
	assert_non_null(tx);
	json_t *r = sq_one(tx, sql, "");
	assert_non_null(r);
	int64_t n = json_integer_value(json_object_get(r, "n"));
	json_decref(r);
	assert_int_equal(store_commit(tx), STORE_OK);
	return n;
}

static int64_t write_locks(store_t *st)
{
	/* STORE_PG_WRITE_LOCK, a bigint key: its high half, its low half, 1. */
	return count_of(st, "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'"
		" AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
		" AND classid = 0 AND objid = 1719039858 AND objsubid = 1 AND granted");
}

static void cut_connections(void)
{
	char q[800];
	snprintf(q, sizeof q, "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
		"WHERE datname = '%s' AND pid <> pg_backend_pid()", test_db_name(path));
	test_db_pg_exec(test_db_name(path), q);
}

static void test_pg_begin_with_first_statement(void **state)
{
	if (!test_db_pg())
		skip();
	store_t *st = *state;
	assert_int_equal(write_locks(st), 0);
	store_tx_t *tx = store_begin(st, true);
	assert_non_null(tx);
	assert_int_equal(write_locks(st), 1); /* before its first statement */
	add_account(tx, "acc_first");
	assert_int_equal(write_locks(st), 1);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(write_locks(st), 0);
	/* Empty read transactions: nothing to send, nothing to fail. */
	tx = store_begin(st, false);
	assert_int_equal(store_commit(tx), STORE_OK);
	store_rollback(store_begin(st, false));
	/* The pooled connections dropped by the server: a transaction's first
	 * statement runs on a new one, read or write. */
	cut_connections();
	store_unavailable_clear();
	tx = store_begin(st, false);
	json_t *a = store_account_get(tx, "acc_first", NULL);
	assert_non_null(a);
	json_decref(a);
	assert_int_equal(store_commit(tx), STORE_OK);
	cut_connections();
	tx = store_begin(st, true);
	add_account(tx, "acc_second");
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_false(store_unavailable_seen());
	/* Lost once begun: the statement fails, the database unavailable,
	 * the commit refused. */
	tx = store_begin(st, true);
	add_account(tx, "acc_lost");
	cut_connections();
	assert_null(store_account_get(tx, "acc_second", NULL));
	assert_true(store_unavailable_seen());
	assert_int_equal(store_commit(tx), STORE_ERROR);
	store_unavailable_clear();
	tx = store_begin(st, false);
	assert_null(store_account_get(tx, "acc_lost", NULL));
	a = store_account_get(tx, "acc_second", NULL);
	assert_non_null(a);
	json_decref(a);
	store_rollback(tx);
}

/* PostgreSQL: a write refused under its savepoint leaves no savepoint
 * behind. One left there was the target of a later write's recovery when
 * that write's own SAVEPOINT failed (the transaction aborted by a failed
 * statement that has none): the transaction came back to life without
 * what was written since the refusal, and its commit succeeded. It must
 * stay aborted, and its commit fail. */
static void test_pg_aborted_tx_stays_aborted(void **state)
{
	if (!test_db_pg())
		skip();
	store_t *st = *state;
	store_tx_t *tx = store_begin(st, true);
	add_account(tx, "acc_sp1");
	json_t *dup = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", "acc_sp1", "name", "again",
		"status", "active", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	assert_int_equal(store_account_insert(tx, dup), STORE_CONFLICT);
	json_decref(dup);
	add_account(tx, "acc_sp2"); /* the transaction usable after a refusal */
	/* A failed statement without a savepoint of its own aborts it. */
	assert_null(sq_one(tx, "SELECT 1 / (count(*) - count(*)) AS x FROM accounts", ""));
	/* A write then: its SAVEPOINT fails, and so does what follows. */
	assert_int_not_equal(sq_exec(tx, false, "UPDATE accounts SET name = ? WHERE id = ?", "ss",
				 "renamed", "acc_sp1"),
		STORE_OK);
	assert_int_equal(store_commit(tx), STORE_ERROR);
	store_unavailable_clear();
	tx = store_begin(st, false);
	json_t *a = store_account_get(tx, "acc_sp1", NULL);
	assert_null(a);
	json_decref(a);
	assert_null(store_account_get(tx, "acc_sp2", NULL));
	store_rollback(tx);
}

/* PostgreSQL: a statement with optional filters ("? IS NULL OR ...", a
 * list's) is planned with its values at each run, never kept prepared
 * (a generic plan could not use the index of the filter a run names); a
 * lookup by key is prepared once per connection. */
static void test_pg_optional_filters_unprepared(void **state)
{
	if (!test_db_pg())
		skip();
	store_t *st = *state;
	store_tx_t *tx = store_begin(st, false);
	store_audit_filter_t f = { .account_id = "acc_first" };
	for (int i = 0; i < 7; i++) {
		store_page_t pg = { 0 };
		assert_int_equal(store_audit_list(tx, &f, NULL, 10, &pg), STORE_OK);
		store_page_free(&pg);
		json_decref(store_account_get(tx, "acc_first", NULL));
	}
	json_t *r = sq_one(tx, "SELECT count(*) FILTER (WHERE statement LIKE '%IS NULL OR%') AS optional,"
		" count(*) FILTER (WHERE statement LIKE '%FROM accounts WHERE id=%') AS by_key"
		" FROM pg_prepared_statements", "");
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "optional")), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "by_key")), 1);
	json_decref(r);
	assert_int_equal(store_commit(tx), STORE_OK);
}

/* What an account holds, written as the other modules would. */
static void add_holdings(store_tx_t *tx, const char *acc, const char *usr, const char *tag)
{
	char id[64], h[64];
	assert_int_equal(sq_exec(tx, false, "INSERT INTO account_keys (account_id, wrapped_key,"
		" created_at) VALUES (?, ?, 1)", "ss", acc, tag), STORE_OK);
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof id, "doc_%s%d", tag, i);
		assert_int_equal(sq_exec(tx, false, "INSERT INTO documents (id, account_id, kind, size,"
			" wrapped_key, created_at) VALUES (?, ?, 'fax', 10, ?, 1)", "sss", id, acc, tag),
			STORE_OK);
	}
	snprintf(id, sizeof id, "ses_%s", tag);
	snprintf(h, sizeof h, "hash_s_%s", tag);
	assert_int_equal(sq_exec(tx, false, "INSERT INTO sessions (id, token_hash, principal_id,"
		" created_at, last_seen_at, expires_at) VALUES (?, ?, ?, 1, 1, 9000)", "sss", id, h, usr),
		STORE_OK);
	snprintf(id, sizeof id, "key_%s", tag);
	snprintf(h, sizeof h, "hash_k_%s", tag);
	assert_int_equal(sq_exec(tx, false, "INSERT INTO api_keys (id, account_id, creator_id, name,"
		" prefix, secret_hash, permissions, created_at) VALUES (?, ?, ?, 'k', 'fvk_', ?, '', 1)",
		"ssss", id, acc, usr, h), STORE_OK);
}

static int64_t count(store_tx_t *tx, const char *sql, const char *acc)
{
	json_t *r = sq_one(tx, sql, "s", acc);
	int64_t n = r ? (int64_t)json_integer_value(json_object_get(r, "n")) : -1;
	json_decref(r);
	return n;
}

/* Account closure on both backends: the record, what is due, holds, and
 * the destruction of one account's keys, documents, sessions, keys and
 * members, the other account untouched. */
static void test_closure_destroy(void **state)
{
	store_tx_t *tx = store_begin(*state, true);
	add_account(tx, "acc_c");
	add_account(tx, "acc_k");
	assert_int_equal(add_member(tx, "usr_c", "acc_c", "c@x.example"), STORE_OK);
	assert_int_equal(add_member(tx, "usr_k", "acc_k", "k@x.example"), STORE_OK);
	add_holdings(tx, "acc_c", "usr_c", "c");
	add_holdings(tx, "acc_k", "usr_k", "k");
	assert_null(store_closure_get(tx, "acc_c"));
	json_t *k = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "account_id", "acc_c", "state",
		"closing", "prior_status", "active", "requested_by", "usr_c", "requested_at",
		(json_int_t)100, "destroy_at", (json_int_t)5000, "reason", "moving");
	assert_int_equal(store_closure_put(tx, k), STORE_OK);
	json_decref(k);
	json_t *got = store_closure_get(tx, "acc_c");
	assert_string_equal(json_string_value(json_object_get(got, "state")), "closing");
	assert_int_equal(json_integer_value(json_object_get(got, "requested_at")), 100);
	assert_int_equal(json_integer_value(json_object_get(got, "destroy_at")), 5000);
	assert_string_equal(json_string_value(json_object_get(got, "reason")), "moving");
	/* Replaced as a whole (a later closure of the same account). */
	json_object_set_new(got, "state", json_string("cancelled"));
	json_object_set_new(got, "cancelled_at", json_integer(200));
	assert_int_equal(store_closure_put(tx, got), STORE_OK);
	json_decref(got);
	got = store_closure_get(tx, "acc_c");
	assert_string_equal(json_string_value(json_object_get(got, "state")), "cancelled");
	assert_int_equal(json_integer_value(json_object_get(got, "cancelled_at")), 200);
	json_object_set_new(got, "state", json_string("closing"));
	assert_int_equal(store_closure_put(tx, got), STORE_OK);
	json_decref(got);
	json_t *due = store_closure_due(tx, 4999, 10);
	assert_int_equal(json_array_size(due), 0);
	json_decref(due);
	due = store_closure_due(tx, 5000, 10);
	assert_int_equal(json_array_size(due), 1);
	json_decref(due);
	assert_int_equal(store_closure_holds(tx, "acc_c"), 0);
	json_t *nums = store_closure_numbers(tx, "acc_c");
	assert_int_equal(json_array_size(nums), 0);
	json_decref(nums);

	json_t *docs = NULL;
	char key[64];
	store_destroyed_t d = { 0 };
	assert_int_equal(store_closure_destroy(tx, "acc_c", 6000, &docs, key, sizeof key, &d),
		STORE_OK);
	assert_string_equal(key, "c");
	assert_int_equal(json_array_size(docs), 3);
	json_decref(docs);
	assert_int_equal(d.documents, 3);
	assert_int_equal(d.sessions, 1);
	assert_int_equal(d.api_keys, 1);
	assert_int_equal(d.members, 1);
	const char *gone[] = { "SELECT count(*) AS n FROM account_keys WHERE account_id=?",
		"SELECT count(*) AS n FROM documents WHERE account_id=?",
		"SELECT count(*) AS n FROM sessions WHERE principal_id IN (SELECT id FROM principals"
		" WHERE account_id=?)",
		"SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL AND account_id=?",
		"SELECT count(*) AS n FROM principals WHERE status <> 'deprovisioned' AND account_id=?" };
	for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
		assert_int_equal(count(tx, gone[i], "acc_c"), 0);
		assert_int_equal(count(tx, gone[i], "acc_k"), i == 1 ? 3 : 1);
	}
	store_rollback(tx);
}

/* A DSN on an outbox row and the person's mark (0044): a delay does not
 * overwrite a failure; the mark holds only for the address that bounced,
 * and goes when the address changes (not when something else does). */
static void test_mail_bounce(void **state)
{
	store_tx_t *tx = store_begin(*state, true);
	add_account(tx, "acc_mb");
	assert_int_equal(add_member(tx, "usr_mb", "acc_mb", "mb@x.example"), STORE_OK);
	json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "id",
		"mail_mb", "kind", "invitation", "account_id", "acc_mb", "principal_id", "usr_mb",
		"to_addr", "mb@x.example", "lang", "en", "params", "{}", "secret", "", "status", "sent",
		"next_attempt_at", 1, "created_at", 1);
	assert_int_equal(store_mail_insert(tx, m), STORE_OK);
	json_decref(m);
	assert_null(store_mail_get(tx, "mail_none"));
	assert_int_equal(store_mail_bounce(tx, "mail_mb", "failed", "5.1.1", "no such user", 10),
		STORE_OK);
	assert_int_equal(store_mail_bounce(tx, "mail_mb", "delayed", "4.4.1", "", 11),
		STORE_NOTFOUND);
	json_t *r = store_mail_get(tx, "mail_mb");
	assert_string_equal(json_string_value(json_object_get(r, "bounce_action")), "failed");
	json_decref(r);
	json_t *log = store_mail_by_recipient(tx, "mb@x.example", 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0),
		"bounce_status")), "5.1.1");
	json_decref(log);
	/* Another address than the person's: not marked. */
	assert_int_equal(store_principal_mail_bounce(tx, "usr_mb", "old@x.example", "5.1.1", 10),
		STORE_NOTFOUND);
	assert_int_equal(store_principal_mail_bounce(tx, "usr_mb", "MB@x.example", "5.1.1", 10),
		STORE_OK);
	json_t *upd = json_pack("{s:s}", "name", "Renamed");
	assert_int_equal(store_principal_update(tx, "usr_mb", upd), STORE_OK);
	json_decref(upd);
	json_t *p = store_principal_get(tx, "usr_mb");
	assert_int_equal(json_integer_value(json_object_get(p, "mail_bounced_at")), 10);
	assert_string_equal(json_string_value(json_object_get(p, "mail_bounce_status")), "5.1.1");
	json_decref(p);
	upd = json_pack("{s:s}", "email", "mb2@x.example");
	assert_int_equal(store_principal_update(tx, "usr_mb", upd), STORE_OK);
	json_decref(upd);
	p = store_principal_get(tx, "usr_mb");
	assert_false(json_is_integer(json_object_get(p, "mail_bounced_at")));
	json_decref(p);
	store_rollback(tx);
}

/* The re-check of verified sign-in domains (0047): due when checked at or
 * before the bound, verified by DNS only, of active accounts; a miss keeps
 * the first failing time; found clears it; unverified routes nobody and is
 * due no more; verified again, checked then and not failing. */
static void test_ssodom_recheck(void **state)
{
	store_tx_t *tx = store_begin(*state, true);
	add_account(tx, "acc_sd");
	const char *ids[] = { "sdm_dns", "sdm_op", "sdm_pend" };
	const char *doms[] = { "a.example", "b.example", "c.example" };
	for (int i = 0; i < 3; i++) {
		json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", ids[i],
			"account_id", "acc_sd", "domain", doms[i], "token", "t", "status", "pending",
			"method", "", "created_at", (json_int_t)1);
		assert_int_equal(store_ssodom_insert(tx, d), STORE_OK);
		json_decref(d);
	}
	assert_int_equal(store_ssodom_verify(tx, "sdm_dns", "dns", 100), STORE_OK);
	assert_int_equal(store_ssodom_verify(tx, "sdm_op", "operator", 100), STORE_OK);
	json_t *due = store_ssodom_due(tx, 99, 10);
	assert_int_equal(json_array_size(due), 0);
	json_decref(due);
	due = store_ssodom_due(tx, 100, 10);
	assert_int_equal(json_array_size(due), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(due, 0), "id")),
		"sdm_dns");
	json_decref(due);
	assert_int_equal(store_ssodom_recheck(tx, "sdm_dns", 200, 0), STORE_OK);
	assert_int_equal(store_ssodom_recheck(tx, "sdm_dns", 300, 0), STORE_OK);
	assert_int_equal(store_ssodom_recheck(tx, "sdm_dns", 400, -1), STORE_OK);
	json_t *d = store_ssodom_get(tx, "acc_sd", "sdm_dns");
	assert_int_equal(json_integer_value(json_object_get(d, "failing_since")), 200);
	assert_int_equal(json_integer_value(json_object_get(d, "checked_at")), 400);
	json_decref(d);
	assert_int_equal(store_ssodom_recheck(tx, "sdm_dns", 500, 1), STORE_OK);
	d = store_ssodom_get(tx, "acc_sd", "sdm_dns");
	assert_true(json_is_null(json_object_get(d, "failing_since")) ||
		!json_object_get(d, "failing_since"));
	json_decref(d);
	assert_int_equal(store_ssodom_recheck(tx, "sdm_dns", 600, 0), STORE_OK);
	json_t *f = store_ssodom_find(tx, "a.example");
	assert_non_null(f);
	json_decref(f);
	assert_int_equal(store_ssodom_unverify(tx, "sdm_dns", 700), STORE_OK);
	assert_int_equal(store_ssodom_unverify(tx, "sdm_dns", 800), STORE_NOTFOUND);
	assert_int_equal(store_ssodom_recheck(tx, "sdm_dns", 800, 1), STORE_NOTFOUND);
	assert_int_equal(store_ssodom_recheck(tx, "sdm_pend", 800, 1), STORE_NOTFOUND);
	assert_null(store_ssodom_find(tx, "a.example"));
	due = store_ssodom_due(tx, 10000, 10);
	assert_int_equal(json_array_size(due), 0);
	json_decref(due);
	d = store_ssodom_get(tx, "acc_sd", "sdm_dns");
	assert_string_equal(json_string_value(json_object_get(d, "status")), "unverified");
	assert_int_equal(json_integer_value(json_object_get(d, "failing_since")), 600);
	json_decref(d);
	assert_int_equal(store_ssodom_verify(tx, "sdm_dns", "dns", 900), STORE_OK);
	d = store_ssodom_get(tx, "acc_sd", "sdm_dns");
	assert_int_equal(json_integer_value(json_object_get(d, "checked_at")), 900);
	assert_false(json_is_integer(json_object_get(d, "failing_since")));
	json_decref(d);
	store_rollback(tx);
}

/* The job queue's statements (claims, looks for the next due job, a job
 * by its reference, faxes without a send job) are prepared once and then
 * run again with new values: the job kinds against the partial indexes on
 * jobs.kind (0066, 0067) are in their text. A statement that binds the kind
 * instead is prepared again at each new value, which the counter shows
 * (the check's own check). */
static void test_job_statements_prepared_once(void **state)
{
	if (test_db_pg())
		skip(); /* SQLite's own statement counters */
	store_t *st = *state;
	static const char *const kinds[] = { "send", "sweep", "render", "webhook" };
	store_tx_t *tx = store_begin(st, true);
	assert_non_null(tx);
	add_account(tx, "acc_rp");
	for (int i = 0; i < 8; i++) {
		char id[32], ref[32];
		snprintf(id, sizeof id, "job_rp%d", i);
		snprintf(ref, sizeof ref, "ref_rp%d", i);
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I}", "id", id, "kind",
			kinds[i % 4], "account_id", "acc_rp", "ref", ref, "payload", "{}", "max_attempts", 3,
			"run_after", (json_int_t)10, "created_at", (json_int_t)(1 + i));
		assert_int_equal(store_job_insert_once(tx, j), 1);
		json_decref(j);
	}
	assert_int_equal(store_commit(tx), STORE_OK);
	uint64_t before = store_stmt_reprepares(st);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 8; i++) {
			const char *kind = kinds[i % 4];
			char ref[32];
			snprintf(ref, sizeof ref, "ref_rp%d", i);
			tx = store_begin(st, true);
			assert_non_null(tx);
			json_t *j = store_job_by_ref(tx, kind, ref);
			assert_non_null(j);
			assert_string_equal(json_string_value(json_object_get(j, "kind")), kind);
			json_decref(j);
			assert_true(store_job_next_due(tx, kind) >= 10);
			/* The queue's look: every kind in one query, the same times. */
			int64_t next[4];
			assert_int_equal(store_job_next_due_n(tx, kinds, 4, next), 0);
			for (int k = 0; k < 4; k++)
				assert_int_equal(next[k], store_job_next_due(tx, kinds[k]));
			j = store_job_claim(tx, kind, 100 + round, "node-a", 5);
			assert_non_null(j);
			assert_string_equal(json_string_value(json_object_get(j, "kind")), kind);
			json_decref(j);
			json_t *rows = store_fax_without_send_job(tx, kind, 10);
			assert_non_null(rows);
			json_decref(rows);
			store_rollback(tx);
		}
	assert_int_equal(store_stmt_reprepares(st) - before, 0);
	/* The counter counts: the kind bound, as the queue did before. */
	for (int i = 0; i < 4; i++) {
		tx = store_begin(st, false);
		assert_non_null(tx);
		json_t *j = sq_one(tx, "SELECT id FROM jobs WHERE kind=? AND ref=?", "ss", kinds[i],
			"ref_rp0");
		json_decref(j);
		store_rollback(tx);
	}
	assert_true(store_stmt_reprepares(st) - before >= 3);
}

struct burst_writer {
	store_t *st;
	int i;
	int rc;
};

static void *burst_write(void *arg)
{
	struct burst_writer *w = arg;
	char id[32];
	snprintf(id, sizeof id, "acc_burst%d", w->i);
	/* No cmocka assertion here: not the test's thread. */
	store_tx_t *tx = store_begin(w->st, true);
	w->rc = -1;
	if (tx) {
		json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", id, "name", id, "status",
			"active", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
		if (store_account_insert(tx, a) == STORE_OK)
			w->rc = store_commit(tx);
		else
			store_rollback(tx);
		json_decref(a);
	}
	return NULL;
}

/* Writers that wait for the writers' lock hold no connection meanwhile: a
 * burst of writes behind a long one (twenty received faxes stored at once)
 * opens no connection each, which would read the whole schema and prepare
 * its statements again. Each writer is seen waiting before the first ends. */
static void test_writers_wait_without_connection(void **state)
{
	if (test_db_pg())
		skip(); /* SQLite's own pool of connections */
	store_t *st = *state;
	enum { N = 6 };
	store_tx_t *tx = store_begin(st, true);
	assert_non_null(tx);
	int waiting;
	uint64_t opened0, opened;
	store_sqlite_test_counts(st, &waiting, &opened0);
	struct burst_writer w[N];
	pthread_t th[N];
	for (int i = 0; i < N; i++) {
		w[i] = (struct burst_writer){ .st = st, .i = i };
		assert_int_equal(pthread_create(&th[i], NULL, burst_write, &w[i]), 0);
	}
	/* Bounded: 60 s, in 10 ms steps, for the writers to be waiting. */
	for (int t = 0; t < 6000; t++) {
		store_sqlite_test_counts(st, &waiting, &opened);
		if (waiting == N)
			break;
		usleep(10000);
	}
	if (waiting != N)
		fail_msg("only %d of %d writers seen waiting for the writers' lock", waiting, N);
	assert_int_equal(opened - opened0, 0);
	add_account(tx, "acc_burst_first");
	assert_int_equal(store_commit(tx), STORE_OK);
	for (int i = 0; i < N; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].rc, STORE_OK);
	}
	store_sqlite_test_counts(st, &waiting, &opened);
	/* The writers, one after the other, on the connection the first gave
	 * back: none opened (one at most, had a reader held it meanwhile). */
	assert_true(opened - opened0 <= 1);
	tx = store_begin(st, false);
	assert_non_null(tx);
	json_t *r = sq_one(tx, "SELECT count(*) AS n FROM accounts WHERE id LIKE 'acc_burst%'", "");
	assert_int_equal(json_integer_value(json_object_get(r, "n")), N + 1);
	json_decref(r);
	store_rollback(tx);
}

/* SQLite: a transaction begun after a commit takes the connection that
 * committed, whose page cache is still valid, rather than the last one
 * given back, whose snapshot the commit made stale (SQLite would read its
 * pages again). */
static void test_read_after_commit_keeps_cache(void **state)
{
	if (test_db_pg())
		skip(); /* SQLite's own pool of connections */
	store_t *st = *state;
	store_tx_t *tx = store_begin(st, true);
	add_account(tx, "acc_cache");
	assert_int_equal(store_commit(tx), STORE_OK);
	/* A reader with its snapshot taken, then a commit beside it. */
	store_tx_t *r = store_begin(st, false);
	assert_non_null(r);
	json_t *row = sq_one(r, "SELECT name FROM accounts WHERE id = ?", "s", "acc_cache");
	assert_non_null(row);
	json_decref(row);
	tx = store_begin(st, true);
	assert_non_null(tx);
	assert_int_equal(sq_exec(tx, true, "UPDATE accounts SET name = ? WHERE id = ?", "ss", "renamed",
		"acc_cache"), STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);
	/* The reader's connection is given back last. */
	store_rollback(r);
	r = store_begin(st, false);
	assert_non_null(r);
	uint64_t misses = store_sqlite_test_cache_misses(r);
	row = sq_one(r, "SELECT name FROM accounts WHERE id = ?", "s", "acc_cache");
	assert_non_null(row);
	assert_string_equal(json_string_value(json_object_get(row, "name")), "renamed");
	json_decref(row);
	assert_int_equal(store_sqlite_test_cache_misses(r) - misses, 0);
	store_rollback(r);
}

/* A detached commit (store_detach_next): the end of a read transaction's
 * group write runs once the write is committed (the row already visible
 * to another transaction), written by the caller of store_pending_then
 * when no one else writes, or with -1 when the write failed; a commit not
 * armed detaches nothing. */
struct detached_end {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	store_t *st;
	const char *id;
	bool called;
	int rc;
	int seen; /* rows with id seen by a new transaction, in the end */
};

static int count_accounts(store_t *st, const char *id)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	json_t *r = sq_one(tx, "SELECT count(*) AS n FROM accounts WHERE id = ?", "s", id);
	int n = r ? (int)json_integer_value(json_object_get(r, "n")) : -1;
	json_decref(r);
	store_rollback(tx);
	return n;
}

static void detached_ended(void *arg, int rc, bool unavailable)
{
	(void)unavailable;
	struct detached_end *e = arg;
	int seen = count_accounts(e->st, e->id);
	pthread_mutex_lock(&e->mu);
	e->called = true;
	e->rc = rc;
	e->seen = seen;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

static int defer_account(store_tx_t *tx, void *arg)
{
	json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", (const char *)arg, "name", "d",
		"status", "active", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	int rc = store_account_insert(tx, a);
	json_decref(a);
	return rc == STORE_OK ? 0 : -1;
}

static int defer_refused(store_tx_t *tx, void *arg)
{
	(void)tx;
	(void)arg;
	return -1;
}

/* Its end's rc once its group is written (or at once); seen set. */
static int detached_run(store_t *st, store_group_fn fn, const char *id, int *seen)
{
	struct detached_end e = { .st = st, .id = id };
	pthread_mutex_init(&e.mu, NULL);
	pthread_cond_init(&e.cv, NULL);
	store_tx_t *tx = store_begin(st, false);
	assert_non_null(tx);
	store_tx_defer(tx, fn, (void *)id, NULL);
	store_detach_next();
	/* The caller's commit answers at once. */
	assert_int_equal(store_commit(tx), STORE_OK);
	store_pending_t *p = store_detached();
	assert_non_null(p);
	int rc = 0;
	bool unavailable = false;
	if (store_pending_then(p, detached_ended, &e, &rc, &unavailable)) {
		pthread_mutex_lock(&e.mu);
		while (!e.called)
			pthread_cond_wait(&e.cv, &e.mu);
		pthread_mutex_unlock(&e.mu);
		rc = e.rc;
		*seen = e.seen;
	} else {
		*seen = count_accounts(st, id);
	}
	pthread_mutex_destroy(&e.mu);
	pthread_cond_destroy(&e.cv);
	return rc;
}

static void test_detached_commit(void **state)
{
	store_t *st = *state;
	int seen = -1;
	assert_int_equal(detached_run(st, defer_account, "acc_det1", &seen), 0);
	assert_int_equal(seen, 1);
	assert_int_equal(detached_run(st, defer_refused, "acc_det2", &seen), -1);
	assert_int_equal(seen, 0);
	/* And the next. */
	assert_int_equal(detached_run(st, defer_account, "acc_det3", &seen), 0);
	assert_int_equal(seen, 1);
	/* Not armed: the commit waits, as before, and detaches nothing. */
	store_tx_t *tx = store_begin(st, false);
	store_tx_defer(tx, defer_account, "acc_det4", NULL);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_null(store_detached());
	assert_int_equal(count_accounts(st, "acc_det4"), 1);
	/* Not armed, a failed write fails its commit, as before (the group
	 * writer writing it now). */
	tx = store_begin(st, false);
	store_tx_defer(tx, defer_refused, "acc_det5", NULL);
	assert_int_equal(store_commit(tx), STORE_ERROR);
	assert_null(store_detached());
}

/* Behind a group being written, a caller that can go on does so when at
 * most two writes are queued behind that group, its own included, however
 * short a time the group has taken (here it is held: the time is taken
 * out, store_group_test_detach_after): store_pending_then answers 1 at
 * once, and its end runs once its write is committed, by the held group's
 * writer, which writes it next. */
struct held_writer {
	store_t *st;
	int rc;
};

static void *write_held(void *arg)
{
	struct held_writer *w = arg;
	store_tx_t *tx = store_begin(w->st, false);
	if (!tx) {
		w->rc = STORE_ERROR;
		return NULL;
	}
	store_tx_defer(tx, defer_account, "acc_held", NULL);
	w->rc = store_commit(tx);
	return NULL;
}

struct then_call {
	store_pending_t *p;
	struct detached_end *e;
	int ret, rc;
	bool unavailable;
	atomic_bool returned;
};

static void *call_then(void *arg)
{
	struct then_call *c = arg;
	c->ret = store_pending_then(c->p, detached_ended, c->e, &c->rc, &c->unavailable);
	atomic_store(&c->returned, true);
	return NULL;
}

static void test_go_on_behind_short_queue(void **state)
{
	store_t *st = *state;
	char hold[] = "/tmp/fv-test-hold-XXXXXX";
	int fd = mkstemp(hold);
	assert_true(fd >= 0);
	close(fd);
	store_group_test_hold(st, hold);
	store_group_test_detach_after(st, INT64_MAX);
	struct held_writer w = { .st = st };
	pthread_t writer, then;
	assert_int_equal(pthread_create(&writer, NULL, write_held, &w), 0);
	/* Bounded: 60 s, in 10 ms steps, for its group to be taken (and held). */
	store_group_stats_t gs = { 0 };
	for (int t = 0; t < 6000; t++) {
		store_group_stats(st, &gs);
		if (gs.writing && gs.queued == 0)
			break;
		usleep(10000);
	}
	if (!gs.writing || gs.queued != 0) {
		unlink(hold);
		fail_msg("the first group was not seen being written");
	}
	struct detached_end e = { .st = st, .id = "acc_goes_on" };
	pthread_mutex_init(&e.mu, NULL);
	pthread_cond_init(&e.cv, NULL);
	store_tx_t *tx = store_begin(st, false);
	assert_non_null(tx);
	store_tx_defer(tx, defer_account, "acc_goes_on", NULL);
	store_detach_next();
	assert_int_equal(store_commit(tx), STORE_OK);
	struct then_call c = { .p = store_detached(), .e = &e };
	assert_non_null(c.p);
	assert_int_equal(pthread_create(&then, NULL, call_then, &c), 0);
	/* Bounded: 60 s, in 10 ms steps, for it to answer while the group is
	 * held (waiting, as behind a longer queue, it answers only after). */
	bool answered = false;
	for (int t = 0; t < 6000 && !answered; t++) {
		answered = atomic_load(&c.returned);
		if (!answered)
			usleep(10000);
	}
	unlink(hold);
	assert_int_equal(pthread_join(then, NULL), 0);
	assert_int_equal(pthread_join(writer, NULL), 0);
	store_group_test_hold(st, NULL);
	store_group_test_detach_after(st, 0);
	assert_true(answered);
	assert_int_equal(c.ret, 1);
	assert_int_equal(w.rc, STORE_OK);
	/* Its end ran (in the writer's thread, before its commit returned),
	 * once its write was committed. */
	pthread_mutex_lock(&e.mu);
	assert_true(e.called);
	pthread_mutex_unlock(&e.mu);
	assert_int_equal(e.rc, 0);
	assert_int_equal(e.seen, 1);
	assert_int_equal(count_accounts(st, "acc_held"), 1);
	pthread_mutex_destroy(&e.mu);
	pthread_cond_destroy(&e.cv);
}

/* PostgreSQL: a group of audit events only (store_tx_defer_chain) takes no
 * write lock: while one of chain A is held open (its event written, not
 * committed), one of chain B, on another store (another node), commits
 * without waiting; one of chain A waits (each chain stays serial). A write
 * transaction holding chain B's head, then writing A's, against a group of
 * A and B: no deadlock (the group never waits holding a head). Each chain
 * links after. */
static void chain_hash(const char *chain, int64_t n, char out[65])
{
	snprintf(out, 65, "%.30s-%lld", chain, (long long)n);
}

/* One event of chain (its account) at the chain's head, as audit_record
 * writes it (hash made up: the links are what is checked). */
static int write_event(store_tx_t *tx, const char *chain)
{
	static atomic_int ids;
	int64_t seq;
	int version;
	char prev[65], h[65], id[40];
	if (store_audit_chain_head(tx, chain, &seq, prev, &version) != STORE_OK)
		return -1;
	chain_hash(chain, seq + 1, h);
	snprintf(id, sizeof id, "evt_chain_%d", atomic_fetch_add(&ids, 1));
	json_t *ev = json_pack("{s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
		"chain_id", chain, "chain_seq", (json_int_t)(seq + 1), "id", id, "time", (json_int_t)1,
		"actor_id", "usr_t", "actor_type", "user", "action", "fax.read", "account_id", chain,
		"outcome", "success", "prev_hash", prev, "hash", h, "chain", 1);
	int rc = store_audit_insert(tx, ev);
	json_decref(ev);
	if (rc == STORE_OK)
		rc = store_audit_chain_advance(tx, chain, seq + 1, h, 1);
	return rc == STORE_OK ? 0 : -1;
}

struct chain_group {
	store_t *st;
	const char *chain, *chain2; /* chain2: a second event, of that chain, or NULL */
	bool hold; /* held open once its first event is written, until released */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool in, release;
	int rc;
	atomic_bool done;
};

static int group_event(store_tx_t *tx, void *arg)
{
	struct chain_group *g = arg;
	if (write_event(tx, g->chain) != 0)
		return -1;
	if (!g->hold)
		return 0;
	pthread_mutex_lock(&g->mu);
	g->in = true;
	pthread_cond_broadcast(&g->cv);
	while (!g->release)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	return 0;
}

static int group_event2(store_tx_t *tx, void *arg)
{
	return write_event(tx, ((struct chain_group *)arg)->chain2);
}

static void *run_group(void *arg)
{
	struct chain_group *g = arg;
	store_tx_t *tx = store_begin(g->st, false);
	g->rc = STORE_ERROR;
	if (tx) {
		store_tx_defer_chain(tx, g->chain, group_event, g, NULL);
		if (g->chain2)
			store_tx_defer_chain(tx, g->chain2, group_event2, g, NULL);
		g->rc = store_commit(tx);
	}
	atomic_store(&g->done, true);
	return NULL;
}

static void group_start(struct chain_group *g, pthread_t *t, store_t *st, const char *chain,
	const char *chain2, bool hold)
{
	*g = (struct chain_group){ .st = st, .chain = chain, .chain2 = chain2, .hold = hold };
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	assert_int_equal(pthread_create(t, NULL, run_group, g), 0);
	if (!hold)
		return;
	pthread_mutex_lock(&g->mu);
	while (!g->in)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void group_end(struct chain_group *g, pthread_t t)
{
	pthread_mutex_lock(&g->mu);
	g->release = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	assert_int_equal(g->rc, STORE_OK);
}

/* Locks of this database's sessions not granted: someone waits. */
static int64_t lock_waits(store_t *st)
{
	return count_of(st, "SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a"
		" ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()");
}

/* Bounded: 60 s, in 10 ms steps: until g is done (false) or someone waits
 * on a lock (true). */
static bool waits_before_done(store_t *st, struct chain_group *g)
{
	for (int t = 0; t < 6000; t++) {
		if (atomic_load(&g->done))
			return false;
		if (lock_waits(st) > 0)
			return true;
		usleep(10000);
	}
	fail_msg("neither done nor waiting");
	return false;
}

struct chain_walk {
	int64_t n;
	char hash[65];
	bool bad;
};

static int chain_step(const json_t *e, void *arg)
{
	struct chain_walk *w = arg;
	w->n++;
	if (json_integer_value(json_object_get(e, "chain_seq")) != w->n ||
	    strcmp(json_string_value(json_object_get(e, "prev_hash")), w->hash) != 0)
		w->bad = true;
	snprintf(w->hash, sizeof w->hash, "%s", json_string_value(json_object_get(e, "hash")));
	return 0;
}

/* The chain's events, linked from its anchor, ended at its head: their number. */
static int64_t chain_links(store_t *st, const char *chain)
{
	struct chain_walk w = { .n = 0 };
	memset(w.hash, '0', 64);
	json_t *heads = NULL;
	assert_int_equal(store_audit_foreach_chain(st, chain, &heads, chain_step, &w), 0);
	assert_false(w.bad);
	size_t i;
	json_t *h;
	bool found = false;
	json_array_foreach(heads, i, h)
		if (strcmp(json_string_value(json_object_get(h, "chain_id")), chain) == 0) {
			found = true;
			assert_int_equal(json_integer_value(json_object_get(h, "chain_seq")), w.n);
			assert_string_equal(json_string_value(json_object_get(h, "hash")), w.hash);
		}
	json_decref(heads);
	assert_true(found);
	return w.n;
}

static void test_pg_audit_groups_of_chains(void **state)
{
	if (!test_db_pg())
		skip();
	store_t *st = *state, *node2 = test_db_open(path);
	/* Each chain's head made first (a head not made yet: the write lock). */
	store_tx_t *tx = store_begin(st, true);
	assert_int_equal(write_event(tx, "acc_ca"), 0);
	assert_int_equal(write_event(tx, "acc_cb"), 0);
	assert_int_equal(store_commit(tx), STORE_OK);

	/* A held open; B commits meanwhile, from the other node. */
	struct chain_group a, b;
	pthread_t ta, tb;
	group_start(&a, &ta, st, "acc_ca", NULL, true);
	group_start(&b, &tb, node2, "acc_cb", NULL, false);
	bool waited = waits_before_done(st, &b);
	group_end(&a, ta);
	group_end(&b, tb);
	assert_false(waited);

	/* A held open; A again, from the other node, waits for it. */
	struct chain_group a2;
	pthread_t ta2;
	group_start(&a, &ta, st, "acc_ca", NULL, true);
	group_start(&a2, &ta2, node2, "acc_ca", NULL, false);
	waited = waits_before_done(st, &a2);
	group_end(&a, ta);
	group_end(&a2, ta2);
	assert_true(waited);

	/* A write transaction holds B's head; a group of A and B begins: it
	 * waits for B holding nothing (A's head is free: NOWAIT), so the write
	 * transaction then takes A's head and commits (a group that held A
	 * while waiting for B would have made a deadlock, one of the two
	 * aborted). */
	tx = store_begin(node2, true);
	assert_int_equal(write_event(tx, "acc_cb"), 0);
	struct chain_group ab;
	pthread_t tab;
	group_start(&ab, &tab, st, "acc_ca", "acc_cb", false);
	assert_true(waits_before_done(st, &ab));
	json_t *free_a = sq_rows(tx, "SELECT chain_id FROM audit_heads WHERE chain_id = ?"
		" FOR UPDATE NOWAIT", "s", "acc_ca");
	assert_non_null(free_a); /* not held by the waiting group */
	assert_int_equal(json_array_size(free_a), 1);
	json_decref(free_a);
	assert_int_equal(write_event(tx, "acc_ca"), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	group_end(&ab, tab);

	assert_int_equal(chain_links(st, "acc_ca"), 6);
	assert_int_equal(chain_links(st, "acc_cb"), 4);
	store_close(node2);
}

/* An account's audit events, found through its chain since migration
 * 0070 dropped the index on (account_id, seq) for new events: the events
 * of its chain and those of the closed global chain (chain_id '') that
 * name it, no other account's, by every query that asks for an account's
 * events. */
static void test_audit_account_queries(void **state)
{
	store_t *st = *state;
	store_tx_t *tx = store_begin(st, true);
	assert_non_null(tx);
	for (int i = 0; i < 2; i++) {
		char id[40];
		snprintf(id, sizeof id, "evt_closed_%d", i);
		json_t *ev = json_pack("{s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
			" s:i}", "chain_id", "", "chain_seq", (json_int_t)(900000 + i), "id", id, "time",
			(json_int_t)5, "actor_id", "usr_t", "actor_type", "user", "action", "fax.read",
			"target", "usr_q", "account_id", "acc_q1", "outcome", "success", "prev_hash", "p",
			"hash", "h", "chain", 1);
		assert_int_equal(store_audit_insert(tx, ev), STORE_OK);
		json_decref(ev);
	}
	assert_int_equal(write_event(tx, "acc_q1"), 0);
	assert_int_equal(write_event(tx, "acc_q1"), 0);
	assert_int_equal(write_event(tx, "acc_q1"), 0);
	assert_int_equal(write_event(tx, "acc_q2"), 0);
	assert_int_equal(store_commit(tx), STORE_OK);

	tx = store_begin(st, false);
	assert_non_null(tx);
	store_page_t pg = { 0 };
	store_audit_filter_t f = { .account_id = "acc_q1" };
	assert_int_equal(store_audit_list(tx, &f, NULL, 50, &pg), STORE_OK);
	assert_int_equal(json_array_size(pg.items), 5);
	int64_t before = INT64_MAX;
	size_t i;
	json_t *e;
	json_array_foreach(pg.items, i, e) {
		assert_string_equal(json_string_value(json_object_get(e, "account_id")), "acc_q1");
		int64_t seq = json_integer_value(json_object_get(e, "seq"));
		assert_true(seq < before); /* newest first */
		before = seq;
	}
	store_page_free(&pg);
	f.account_id = "acc_q2";
	assert_int_equal(store_audit_list(tx, &f, NULL, 50, &pg), STORE_OK);
	assert_int_equal(json_array_size(pg.items), 1);
	store_page_free(&pg);
	json_t *named = store_audit_naming(tx, "acc_q1", "usr_t", "usr_t");
	assert_int_equal(json_array_size(named), 5);
	json_decref(named);
	/* The closed chain's events alone name usr_q as their target. */
	named = store_audit_naming(tx, "acc_q1", "usr_q", "usr_q");
	assert_int_equal(json_array_size(named), 2);
	json_decref(named);
	named = store_audit_naming(tx, "acc_q2", "usr_q", "usr_q");
	assert_int_equal(json_array_size(named), 0);
	json_decref(named);
	assert_true(store_audit_since(tx, "acc_q1", "fax.read", 5));
	assert_true(store_audit_since(tx, "acc_q2", "fax.read", 1));
	assert_false(store_audit_since(tx, "acc_q2", "fax.read", 2));
	assert_false(store_audit_since(tx, "acc_q3", "fax.read", 0));
	store_rollback(tx);
}

/* The log's length in frames (its header's page size; 0: no log). */
static int64_t wal_frames(const char *db)
{
	char p[600];
	snprintf(p, sizeof p, "%s-wal", db);
	FILE *f = fopen(p, "rb");
	if (!f)
		return 0;
	unsigned char h[32];
	size_t n = fread(h, 1, sizeof h, f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fclose(f);
	if (n != sizeof h)
		return 0;
	int64_t page = ((int64_t)h[8] << 24) | (h[9] << 16) | (h[10] << 8) | h[11];
	return (len - 32) / (page + 24);
}

/* An audit event commits four pages to SQLite's log: the table's leaf,
 * the leaves of its id's and its chain's indexes, and its chain's head
 * (five while every event also went into the index on (account_id, seq),
 * dropped by migration 0070). */
static void test_audit_event_log_pages(void **state)
{
	(void)state;
	if (test_db_pg())
		skip();
	char own[512];
	test_db_new(own, sizeof own);
	store_t *st = test_db_open(own);
	assert_non_null(st);
	store_tx_t *tx = store_begin(st, true);
	assert_non_null(tx);
	assert_int_equal(write_event(tx, "acc_pages"), 0); /* the chain's head made */
	assert_int_equal(store_commit(tx), STORE_OK);
	int64_t before = wal_frames(own);
	assert_true(before > 0);
	tx = store_begin(st, true);
	assert_non_null(tx);
	assert_int_equal(write_event(tx, "acc_pages"), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(wal_frames(own) - before, 4);
	store_close(st);
	test_db_remove(own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrations_idempotent),
		cmocka_unit_test(test_migration_rebuilds_faxes),
		cmocka_unit_test(test_migration_outbox_jobs),
		cmocka_unit_test(test_migration_outbox_leases_idem_index),
		cmocka_unit_test(test_too_many_columns),
		cmocka_unit_test(test_tenant_scoping),
		cmocka_unit_test(test_pagination),
		cmocka_unit_test(test_invitation_single_use),
		cmocka_unit_test(test_rollback_discards),
		cmocka_unit_test(test_pg_begin_with_first_statement),
		cmocka_unit_test(test_pg_optional_filters_unprepared),
		cmocka_unit_test(test_pg_aborted_tx_stays_aborted),
		cmocka_unit_test(test_closure_destroy),
		cmocka_unit_test(test_mail_bounce),
		cmocka_unit_test(test_ssodom_recheck),
		cmocka_unit_test(test_insert_statements_kept),
		cmocka_unit_test(test_wal_restarts_under_readers),
		cmocka_unit_test(test_wal_restart_counted),
		cmocka_unit_test(test_job_statements_prepared_once),
		cmocka_unit_test(test_writers_wait_without_connection),
		cmocka_unit_test(test_detached_commit),
		cmocka_unit_test(test_read_after_commit_keeps_cache),
		cmocka_unit_test(test_go_on_behind_short_queue),
		cmocka_unit_test(test_pg_audit_groups_of_chains),
		cmocka_unit_test(test_audit_account_queries),
		cmocka_unit_test(test_audit_event_log_pages),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
