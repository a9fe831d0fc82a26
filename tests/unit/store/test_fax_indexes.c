/* Migration 0069 (issue 15, the fax service's CPU per page): the indexes a
 * fax wrote for no query are gone (faxes_account, a prefix of
 * faxes_account_created; faxes_retention, its columns again without the
 * deleted faxes; fax_attempts_open, whose look searches fax_attempts_lease),
 * and the queries that used them, and a submission's faxes read by the
 * render job, still find their rows through an index: on SQLite by EXPLAIN
 * QUERY PLAN (a SEARCH), on PostgreSQL (FV_TEST_PG, test_fax_indexes_pg)
 * by EXPLAIN with sequential scans priced out (no "Seq Scan"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "../common/test_db.h"
#include "store.h"

static char path[512];

/* The statements of store_billing.c, store_fraud.c, store_retention.c and
 * store_fax.c that read faxes and attempts by the dropped indexes' columns,
 * with literals for their parameters. */
static const char *const queries[] = {
	/* store_ledger_reserved, the quota and fraud counts */
	"SELECT count(*) FROM faxes WHERE account_id='acc' AND direction='outbound'"
	" AND created_at > 5",
	/* store_retention: an account's faxes of one direction, not deleted */
	"SELECT doc_id FROM faxes WHERE account_id='acc' AND direction='outbound'"
	" AND doc_id IS NOT NULL AND deleted_at IS NULL GROUP BY doc_id",
	/* store_fax_by_submission (the render job) */
	"SELECT id FROM faxes WHERE submission_id='sub' ORDER BY created_at",
	/* store_attempts_open */
	"SELECT id FROM fax_attempts WHERE result='in_progress' AND (node='n1' OR started_at < 5)"
	" ORDER BY started_at",
	/* store_attempts_expired */
	"SELECT id FROM fax_attempts WHERE result='in_progress' AND lease_until IS NOT NULL"
	" AND lease_until < 5 AND node <> 'n1' ORDER BY started_at",
	/* store_attempts_live */
	"SELECT id FROM fax_attempts WHERE fax_id='f' AND result='in_progress' ORDER BY started_at",
	NULL,
};

static const char *const dropped[] = { "faxes_account", "faxes_retention", "fax_attempts_open",
	NULL };

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

/* The plan of q, its rows joined by " ; " into out. */
static void plan_sqlite(sqlite3 *db, const char *q, char *out, size_t n)
{
	char eq[1024];
	snprintf(eq, sizeof eq, "EXPLAIN QUERY PLAN %s", q);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, eq, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(db));
	out[0] = '\0';
	while (sqlite3_step(s) == SQLITE_ROW) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s ; ", (const char *)sqlite3_column_text(s, 3));
	}
	sqlite3_finalize(s);
}

static bool index_exists_sqlite(sqlite3 *db, const char *name)
{
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='index'"
		" AND name=?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	bool found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static void test_sqlite(void)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (int i = 0; dropped[i]; i++)
		if (index_exists_sqlite(db, dropped[i]))
			fail_msg("index %s still there", dropped[i]);
	assert_true(index_exists_sqlite(db, "faxes_account_created"));
	assert_true(index_exists_sqlite(db, "faxes_submission"));
	for (int i = 0; queries[i]; i++) {
		char p[2048];
		plan_sqlite(db, queries[i], p, sizeof p);
		/* the first table's access is a search through an index */
		if (strncmp(p, "SEARCH ", 7) != 0 || !strstr(p, " INDEX "))
			fail_msg("%s: %s", queries[i], p);
	}
	sqlite3_close(db);
}

static PGconn *pg_connect(void)
{
	PGconn *c = PQconnectdb(path);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PQsetNoticeProcessor(c, test_db_notice, NULL);
	return c;
}

static void test_pg(void)
{
	PGconn *c = pg_connect();
	for (int i = 0; dropped[i]; i++) {
		const char *v[1] = { dropped[i] };
		PGresult *r = PQexecParams(c, "SELECT 1 FROM pg_indexes WHERE indexname=$1", 1, NULL, v,
			NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		if (PQntuples(r) != 0)
			fail_msg("index %s still there", dropped[i]);
		PQclear(r);
	}
	PGresult *r = PQexec(c, "SELECT 1 FROM pg_indexes WHERE indexname='faxes_submission'");
	assert_int_equal(PQntuples(r), 1);
	PQclear(r);
	/* Empty tables: a sequential scan is always cheapest, so price it out
	 * and see whether an index can serve the query at all. */
	PQclear(PQexec(c, "SET enable_seqscan = off"));
	for (int i = 0; queries[i]; i++) {
		char eq[1024];
		snprintf(eq, sizeof eq, "EXPLAIN %s", queries[i]);
		r = PQexec(c, eq);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		char p[2048] = "";
		for (int k = 0; k < PQntuples(r); k++) {
			size_t l = strlen(p);
			snprintf(p + l, sizeof p - l, "%s ; ", PQgetvalue(r, k, 0));
		}
		PQclear(r);
		if (strstr(p, "Seq Scan") || !strstr(p, "Index"))
			fail_msg("%s: %s", queries[i], p);
	}
	PQfinish(c);
}

static void test_fax_indexes(void **state)
{
	(void)state;
	if (test_db_pg())
		test_pg();
	else
		test_sqlite();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fax_indexes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
