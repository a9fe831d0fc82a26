/* The store a unit test opens, on either backend. Header-only: include it
 * once per test program, after cmocka.h.
 *
 * Without FV_TEST_PG: SQLite in a fresh temporary file. With FV_TEST_PG set
 * to the socket directory of a throw-away cluster (scripts/pg-test-cluster,
 * started by the CTest fixture "pg"): a fresh PostgreSQL database of that
 * cluster per store, dropped afterwards. `where` (n bytes) receives the
 * file's path or the database's connection string. */
#ifndef FV_TESTS_TEST_DB_H
#define FV_TESTS_TEST_DB_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

/* The socket directory of the test cluster, or NULL (SQLite). */
static inline const char *test_db_pg(void)
{
	const char *d = getenv("FV_TEST_PG");
	return d && *d ? d : NULL;
}

static inline void test_db_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Runs q (one or more statements) on the cluster's database db, as the
 * superuser; fails the test on error. */
static inline void test_db_pg_exec(const char *db, const char *q)
{
	char dsn[400];
	snprintf(dsn, sizeof dsn, "host=%s user=faxvault dbname=%s", test_db_pg(), db);
	PGconn *c = PQconnectdb(dsn);
	if (PQstatus(c) != CONNECTION_OK) {
		char m[400];
		snprintf(m, sizeof m, "%s", PQerrorMessage(c));
		PQfinish(c);
		fail_msg("connect %s: %s", dsn, m);
	}
	PQsetNoticeProcessor(c, test_db_notice, NULL);
	PGresult *r = PQexec(c, q);
	ExecStatusType s = PQresultStatus(r);
	PQclear(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		char m[400];
		snprintf(m, sizeof m, "%s", PQerrorMessage(c));
		PQfinish(c);
		fail_msg("%.200s: %s", q, m);
	}
	PQfinish(c);
}

/* The database name in a connection string this header made. */
static inline const char *test_db_name(const char *where)
{
	const char *p = strstr(where, "dbname=");
	return p ? p + 7 : where;
}

/* A new, empty database (PostgreSQL) or file (SQLite): its connection
 * string or path in where. */
static inline void test_db_new(char *where, size_t n)
{
	static int count;
	if (test_db_pg()) {
		char name[64];
		snprintf(name, sizeof name, "fvt_%d_%d", (int)getpid(), ++count);
		char drop[128], create[128];
		snprintf(drop, sizeof drop, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
		snprintf(create, sizeof create, "CREATE DATABASE %s", name);
		test_db_pg_exec("postgres", drop);
		test_db_pg_exec("postgres", create);
		snprintf(where, n, "host=%s user=faxvault dbname=%s", test_db_pg(), name);
		return;
	}
	snprintf(where, n, "/tmp/fv-unit-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(where);
	if (fd < 0)
		fail_msg("mkstemp %s", where);
	close(fd);
}

/* Opens the store at where (made by test_db_new). */
static inline store_t *test_db_open(const char *where)
{
	char err[512];
	store_t *st = test_db_pg() ? store_open_pg(where, err, sizeof err)
		: store_open(where, err, sizeof err);
	if (!st)
		fail_msg("store_open: %s", err);
	return st;
}

/* Removes what test_db_new made (the store closed first). */
static inline void test_db_remove(const char *where)
{
	if (test_db_pg()) {
		char q[700];
		snprintf(q, sizeof q, "DROP DATABASE IF EXISTS %s WITH (FORCE)", test_db_name(where));
		test_db_pg_exec("postgres", q);
		return;
	}
	char p[600];
	unlink(where);
	snprintf(p, sizeof p, "%s-wal", where);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", where);
	unlink(p);
}

/* Runs raw SQL on the store's database behind its back (a test playing an
 * attacker with write access, or an older version). */
static inline void test_db_sql(const char *where, const char *q)
{
	if (test_db_pg()) {
		test_db_pg_exec(test_db_name(where), q);
		return;
	}
	sqlite3 *db = NULL;
	if (sqlite3_open(where, &db) != SQLITE_OK)
		fail_msg("sqlite3_open %s", where);
	char *msg = NULL;
	if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg ? msg : "?");
	sqlite3_close(db);
}

#endif
