/* The group commit's BEGIN on PostgreSQL (store_group.c, group_begin),
 * against the test cluster (FV_TEST_PG; skipped on SQLite):
 *  - a group of audit events whose BEGIN finds the database unreachable
 *    fails at once: one connection tried, not a second one for the write
 *    lock's BEGIN (that second try waited for the store's deadline again
 *    when the server did not answer);
 *  - a group whose BEGIN is tried again (one of its chains' heads held by
 *    another writer) counts as one write transaction, and its retry on
 *    its own (store_write_retries). */
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

#include "../common/test_db.h"
#include "log.h"
#include "store.h"
#include "store_int.h"

static char path[512];

static int setup(void **state)
{
	if (!test_db_pg()) {
		*state = NULL;
		return 0;
	}
	test_db_new(path, sizeof path);
	*state = test_db_open(path);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	if (!*state)
		return 0;
	store_close(*state);
	test_db_remove(path);
	return 0;
}

/* The event of a group: nothing written (its BEGIN is what is tested). */
static int no_write(store_tx_t *tx, void *arg)
{
	(void)tx;
	(void)arg;
	return 0;
}

struct group {
	store_t *st;
	const char *chains[2];
	int rc;
	atomic_bool done;
};

/* A read transaction whose commit writes one event of each chain in a
 * group (store_tx_defer_chain), as an audited read does. */
static void *run_group(void *arg)
{
	struct group *g = arg;
	g->rc = STORE_ERROR;
	store_tx_t *tx = store_begin(g->st, false);
	if (tx) {
		for (int i = 0; i < 2 && g->chains[i]; i++)
			store_tx_defer_chain(tx, g->chains[i], no_write, NULL, NULL);
		g->rc = store_commit(tx);
	}
	atomic_store(&g->done, true);
	return NULL;
}

/* Lines of the log file at p naming event ev. */
static int log_events(const char *p, const char *ev)
{
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	char line[4096], want[80];
	snprintf(want, sizeof want, " event=%s ", ev);
	int n = 0;
	while (fgets(line, sizeof line, f))
		n += strstr(line, want) != NULL;
	fclose(f);
	return n;
}

/* The server refusing every new connection to the test's database (and
 * the store's pooled ones cut): unreachable for the store. Run on the
 * cluster's "postgres" database, which stays open. */
static void refuse_connections(bool refuse)
{
	char q[600];
	const char *db = test_db_name(path);
	snprintf(q, sizeof q, "ALTER DATABASE %s ALLOW_CONNECTIONS %s", db, refuse ? "false" : "true");
	test_db_pg_exec("postgres", q);
	if (!refuse)
		return;
	snprintf(q, sizeof q, "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
		" WHERE datname = '%s'", db);
	test_db_pg_exec("postgres", q);
}

static void test_pg_group_unreachable_fails_at_once(void **state)
{
	store_t *st = *state;
	if (!st)
		skip();
	/* The group writes of a chain whose head is made. */
	store_tx_t *tx = store_begin(st, true);
	int64_t seq;
	char hash[65];
	int version;
	assert_int_equal(store_audit_chain_head(tx, "acc_u", &seq, hash, &version), STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);

	char logp[] = "/tmp/fv-unit-grouplog-XXXXXX";
	int fd = mkstemp(logp);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_open(logp), 0);
	refuse_connections(true);
	struct group g = { .st = st, .chains = { "acc_u", NULL } };
	store_unavailable_clear();
	run_group(&g);
	log_open(NULL);
	int opens = log_events(logp, "store.open");
	unlink(logp);
	refuse_connections(false);
	/* It failed, and tried one new connection (its pooled one being cut):
	 * the write lock's BEGIN after the chain's was a second one. */
	assert_int_not_equal(g.rc, STORE_OK);
	assert_int_equal(opens, 1);
	/* The database back: the next group commits. */
	g = (struct group){ .st = st, .chains = { "acc_u", NULL } };
	store_unavailable_clear();
	run_group(&g);
	assert_int_equal(g.rc, STORE_OK);
}

static void test_pg_group_retry_counted_once(void **state)
{
	store_t *st = *state;
	if (!st)
		skip();
	store_t *node2 = test_db_open(path);
	/* Both chains' heads made (a head not made: the write lock at once). */
	store_tx_t *tx = store_begin(st, true);
	int64_t seq;
	char hash[65];
	int version;
	assert_int_equal(store_audit_chain_head(tx, "acc_ra", &seq, hash, &version), STORE_OK);
	assert_int_equal(store_audit_chain_head(tx, "acc_rb", &seq, hash, &version), STORE_OK);
	assert_int_equal(store_commit(tx), STORE_OK);

	/* Another node's writer holds B's head; a group of A and B begins
	 * with A's lock, finds B's head held, and is tried again with B's
	 * first, where it waits for that writer. */
	tx = store_begin(node2, true);
	json_t *held = sq_rows(tx, "SELECT chain_id FROM audit_heads WHERE chain_id = ? FOR UPDATE", "s",
		"acc_rb");
	assert_non_null(held);
	assert_int_equal(json_array_size(held), 1);
	json_decref(held);
	uint64_t w0 = store_write_txs(st), r0 = store_write_retries(st);
	struct group g = { .st = st, .chains = { "acc_ra", "acc_rb" } };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, run_group, &g), 0);
	/* Bounded: 60 s in 10 ms steps, until its retry. */
	for (int i = 0; i < 6000 && store_write_retries(st) == r0 && !atomic_load(&g.done); i++)
		usleep(10000);
	assert_int_equal(store_write_retries(st) - r0, 1);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(g.rc, STORE_OK);
	/* One group, one write transaction; its second try counted apart. */
	assert_int_equal(store_write_txs(st) - w0, 1);
	assert_int_equal(store_write_retries(st) - r0, 1);
	store_close(node2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pg_group_unreachable_fails_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_group_retry_counted_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
