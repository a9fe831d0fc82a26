/* Allocation failures in the store (alloc_fail_store, docs/testing.md): a
 * scenario of transactions on a real SQLite database (open, inserts,
 * updates, invitations, sessions, an API key, a rollback, pagination,
 * close) is run with each of its allocations failing in turn. Each run must
 * end with xalloc's out-of-memory abort, and the database it leaves must
 * reopen with PRAGMA integrity_check "ok", no foreign key broken, every
 * transaction the run committed present and the one it was committing
 * either whole or absent. */
#include "../common/alloc_fail.h"
#include "store.h"
#include "store_int.h"

struct ctx {
	char dir[128];
	char template_db[200];
	char db[200];
};

/* The run's store and transaction, released by stop(). */
static store_t *run_st;
static store_tx_t *run_tx;
/* Whether SQLite's allocator is the one failing (store_sqlite_run). */
static int sqlite_mode;

static void must(int cond, const char *what)
{
	if (!cond)
		af_fail("%s", what);
}

/* The store answered an error: with SQLite's allocations failing, that is
 * the clean outcome, and the run ends here having released everything;
 * otherwise (xalloc's failures abort) it is a fault. */
static void stop(const char *what)
{
	if (!sqlite_mode)
		af_fail("%s failed", what);
	store_rollback(run_tx);
	if (run_st)
		store_close(run_st);
	af_stop();
}

/* rc must be want; STORE_ERROR stops the run (stop). */
static void expect_rc(int rc, int want, const char *what)
{
	if (rc == want)
		return;
	if (rc == STORE_ERROR)
		stop(what);
	af_fail("%s: %d, want %d", what, rc, want);
}

static store_tx_t *begin(bool write)
{
	run_tx = store_begin(run_st, write);
	if (!run_tx)
		stop("begin");
	return run_tx;
}

static void rollback(void)
{
	store_rollback(run_tx);
	run_tx = NULL;
}

static void account(store_tx_t *tx, const char *id)
{
	json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", id, "name", id, "status", "active",
		"created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	int rc = store_account_insert(tx, a);
	json_decref(a);
	expect_rc(rc, STORE_OK, "account insert");
}

static int member(store_tx_t *tx, const char *id, const char *acc, const char *email)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "kind",
		"account", "account_id", acc, "email", email, "name", "N", "role", "user", "status",
		"active", "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	int rc = store_principal_insert(tx, p);
	json_decref(p);
	return rc;
}

/* Sets fields (taken) of the principal id. */
static void update(store_tx_t *tx, const char *id, json_t *fields, const char *what)
{
	int rc = store_principal_update(tx, id, fields);
	json_decref(fields);
	expect_rc(rc, STORE_OK, what);
}

static void commit(int step)
{
	af_begin(step);
	int rc = store_commit(run_tx);
	run_tx = NULL;
	expect_rc(rc, STORE_OK, "commit");
	af_done(step);
}

static void scenario(void *arg)
{
	struct ctx *c = arg;
	char err[256];
	run_st = store_open(c->db, err, sizeof err);
	if (!run_st)
		stop(err);

	/* 1: an account and its first member. */
	store_tx_t *tx = begin(true);
	account(tx, "acc_1");
	expect_rc(member(tx, "usr_1", "acc_1", "one@x.example"), STORE_OK, "member");
	commit(1);

	/* 2: an update, an invitation and a session. */
	tx = begin(true);
	update(tx, "usr_1", json_pack("{s:s, s:s}", "name", "N2", "role", "admin"), "update");
	expect_rc(store_invitation_insert(tx, "inv_hash", "usr_1", 5000), STORE_OK, "invitation");
	json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "id", "ses_1", "token_hash",
		"ses_hash", "principal_id", "usr_1", "source", "127.0.0.1", "created_at", (json_int_t)1,
		"last_seen_at", (json_int_t)1, "expires_at", (json_int_t)99999);
	int rc = store_session_insert(tx, s);
	json_decref(s);
	expect_rc(rc, STORE_OK, "session");
	commit(2);

	/* 3: five more members and an API key. */
	tx = begin(true);
	char id[32], email[64];
	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof id, "usr_p%d", i);
		snprintf(email, sizeof email, "p%d@x.example", i);
		expect_rc(member(tx, id, "acc_1", email), STORE_OK, "member");
	}
	json_t *k = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", "key_1", "account_id",
		"acc_1", "creator_id", "usr_1", "name", "K", "prefix", "fvk_abc", "secret_hash",
		"key_hash", "permissions", "fax.send", "created_at", (json_int_t)1);
	rc = store_apikey_insert(tx, k);
	json_decref(k);
	expect_rc(rc, STORE_OK, "apikey");
	commit(3);

	/* A transaction rolled back: never seen. */
	tx = begin(true);
	account(tx, "acc_gone");
	rollback();

	/* Reads: pages of members, the account. */
	tx = begin(false);
	store_page_t pg;
	char *cursor = NULL;
	int seen = 0;
	do {
		rc = store_principal_list(tx, "account", "acc_1", cursor, 2, &pg);
		free(cursor);
		cursor = NULL;
		expect_rc(rc, STORE_OK, "list");
		seen += (int)json_array_size(pg.items);
		cursor = pg.next_cursor ? xstrdup(pg.next_cursor) : NULL;
		store_page_free(&pg);
	} while (cursor);
	must(seen == 6, "six members");
	json_t *a = store_account_get(tx, "acc_1", NULL);
	if (!a)
		stop("account get");
	json_decref(a);
	rollback();

	/* 4: a deprovisioned member frees its address; a conflict on the way
	 * (the same address while it is live) does not end the transaction;
	 * the invitation is taken. */
	tx = begin(true);
	account(tx, "acc_2");
	expect_rc(member(tx, "usr_2", "acc_2", "p0@x.example"), STORE_CONFLICT, "conflict");
	update(tx, "usr_p0", json_pack("{s:s}", "status", "deprovisioned"), "deprovision");
	expect_rc(member(tx, "usr_2", "acc_2", "p0@x.example"), STORE_OK, "member again");
	char *who = store_invitation_take(tx, "inv_hash", 10);
	if (!who)
		stop("invitation take");
	must(strcmp(who, "usr_1") == 0, "the invitation's person");
	free(who);
	commit(4);
	store_close(run_st);
	run_st = NULL;
}

/* Facts of each step (SQL returning 1 when the fact holds). */
static const char *const facts[][4] = {
	{ NULL },
	{ "SELECT COUNT(*) FROM accounts WHERE id='acc_1'",
	  "SELECT COUNT(*) FROM principals WHERE id='usr_1'", NULL },
	{ "SELECT COUNT(*) FROM principals WHERE id='usr_1' AND name='N2' AND role='admin'",
	  "SELECT COUNT(*) FROM invitations WHERE token_hash='inv_hash'",
	  "SELECT COUNT(*) FROM sessions WHERE id='ses_1'", NULL },
	{ "SELECT COUNT(*) = 5 FROM principals WHERE id LIKE 'usr_p%'",
	  "SELECT COUNT(*) FROM api_keys WHERE id='key_1'", NULL },
	{ "SELECT COUNT(*) FROM accounts WHERE id='acc_2'",
	  "SELECT COUNT(*) FROM principals WHERE id='usr_2'",
	  "SELECT COUNT(*) FROM principals WHERE id='usr_p0' AND status='deprovisioned'",
	  "SELECT COUNT(*) FROM invitations WHERE token_hash='inv_hash' AND used_at IS NOT NULL" },
};
#define STEPS 4

static int check(void *arg, int begun, int done, char *why, size_t n)
{
	struct ctx *c = arg;
	/* The store opens it again (as the daemon would after the crash). */
	char err[256];
	store_t *st = store_open(c->db, err, sizeof err);
	if (!st) {
		snprintf(why, n, "the store does not open again: %s", err);
		return -1;
	}
	store_close(st);
	static const char *const absent[] = { "SELECT COUNT(*) FROM accounts WHERE id='acc_gone'",
		NULL };
	return af_check_steps(c->db, facts, STEPS, absent, begun, done, why, n);
}

/* ---- SQLite's own allocations failing ---- */

static sqlite3_mem_methods sqlite_base;
static unsigned long sqlite_count, sqlite_fail_at;

static int sqlite_fails(void)
{
	return ++sqlite_count == sqlite_fail_at;
}

static void *sqlite_malloc(int n)
{
	return sqlite_fails() ? NULL : sqlite_base.xMalloc(n);
}

static void *sqlite_realloc(void *p, int n)
{
	return sqlite_fails() ? NULL : sqlite_base.xRealloc(p, n);
}

/* In the child: SQLite restarted with an allocator whose fail_at-th
 * allocation answers NULL, as malloc does when memory is short. */
static void sqlite_inject(unsigned long fail_at)
{
	sqlite_mode = 1;
	sqlite3_shutdown();
	sqlite3_mem_methods m;
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_base) != SQLITE_OK)
		af_fail("SQLITE_CONFIG_GETMALLOC");
	m = sqlite_base;
	m.xMalloc = sqlite_malloc;
	m.xRealloc = sqlite_realloc;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK || sqlite3_initialize() != SQLITE_OK)
		af_fail("SQLITE_CONFIG_MALLOC");
	sqlite_count = 0;
	sqlite_fail_at = fail_at;
}

static unsigned long sqlite_counted(void)
{
	return sqlite_count;
}

int main(void)
{
	json_set_alloc_funcs(xmalloc, free);
	static struct ctx c;
	snprintf(c.dir, sizeof c.dir, "/tmp/fv-allocfail-XXXXXX");
	if (!mkdtemp(c.dir))
		return 1;
	snprintf(c.template_db, sizeof c.template_db, "%s/template.db", c.dir);
	snprintf(c.db, sizeof c.db, "%s/run.db", c.dir);
	/* The migrated, empty database every run starts from. */
	char err[256];
	store_t *st = store_open(c.template_db, err, sizeof err);
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	store_close(st);
	af_db_paths(c.template_db, c.db);
	/* Our allocations (xalloc.h, jansson's through it): each failure is
	 * the out-of-memory abort, and the database stays sound. */
	af_run_t r = { .name = "alloc_fail_store", .ctx = &c, .reset = af_reset_db,
		.scenario = scenario, .check = check, .first_all = 100, .every = 6 };
	int rc = af_main(&r, c.dir);
	/* SQLite's: each failure is an error the store answers (or SQLite
	 * absorbs), nothing leaks, and the database stays sound. */
	af_run_t q = { .name = "alloc_fail_store (SQLite's allocations)", .ctx = &c,
		.reset = af_reset_db, .scenario = scenario, .check = check, .first_all = 30,
		.every = 120, .inject = sqlite_inject, .counted = sqlite_counted };
	rc |= af_main(&q, c.dir);
	af_cleanup(c.dir, c.template_db, c.db);
	return rc;
}
