/* Unit tests of the group commit (store_tx_defer) as the audit chain uses
 * it: events of reads recorded from many threads at once, beside writers
 * that record in their own transactions, form one chain that verifies,
 * each visible once its read transaction has ended; a process killed
 * between groups leaves a chain that verifies and the next one goes on
 * with it; a failed write fails its transaction's commit and not the
 * next; a read transaction refuses writes; writes queued while a group
 * is written form the next group, written by one of their waiting callers. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "temp_store.h"

#include "audit/audit.h"

#define READERS 6
#define PER_READER 40
#define WRITES 60

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
	audit_use_keys(f->k);
}

static void fixture_close(struct fixture *f)
{
	audit_use_keys(NULL);
	audit_keys_free(f->k);
	vault_key_free(f->master);
	drop_store(f->st, f->path);
}

/* Events whose actor is actor: their number, or -1. */
static int count_by_actor(store_t *st, const char *actor)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	store_audit_filter_t f = { .actor_id = actor };
	store_page_t pg = { 0 };
	int n = store_audit_list(tx, &f, NULL, 10, &pg) == STORE_OK ? (int)json_array_size(pg.items) : -1;
	store_page_free(&pg);
	store_rollback(tx);
	return n;
}

struct worker {
	store_t *st;
	int id;
	int failures; /* events not recorded, or not visible once recorded */
};

/* A reader: each event recorded from a read transaction, and visible to
 * a new transaction as soon as audit_record returned. */
static void *reader(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < PER_READER; i++) {
		char actor[64];
		snprintf(actor, sizeof actor, "system:reader-%d-%d", w->id, i);
		audit_ctx_t ctx = { .actor = actor, .source = "", .request_id = "" };
		store_tx_t *tx = store_begin(w->st, false);
		if (!tx || audit_record(tx, &ctx, "user.read", "usr_1", "acc_1", "success", NULL) != 0 ||
		    store_commit(tx) != STORE_OK)
			w->failures++;
		if (count_by_actor(w->st, actor) != 1)
			w->failures++;
	}
	return NULL;
}

/* A writer: events recorded in its own write transactions, as a change
 * records its event. */
static void *writer(void *arg)
{
	struct worker *w = arg;
	audit_ctx_t ctx = { .actor = "system:writer", .source = "", .request_id = "" };
	for (int i = 0; i < WRITES; i++) {
		store_tx_t *tx = store_begin(w->st, true);
		if (!tx || audit_record(tx, &ctx, "user.update", "usr_1", "acc_1", "success", NULL) != 0 ||
		    store_commit(tx) != STORE_OK)
			w->failures++;
	}
	return NULL;
}

static void verify_chain(store_t *st, const audit_keys_t *k, int64_t *events)
{
	audit_report_t r;
	audit_verify_opts_t o = { .keys = k };
	int rc = audit_verify(st, &o, &r);
	if (rc != 0)
		fail_msg("chain broken at %lld: %s", (long long)r.broken_seq, r.reason);
	/* Each chain's own numbers (chain_seq) are checked without a gap by
	 * audit_verify; the global seq comes from a sequence on PostgreSQL,
	 * where a transaction killed after its insert leaves a number unused. */
	assert_true(r.head_seq >= r.events);
	*events = r.events;
}

static void test_concurrent_reads_one_chain(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	pthread_t th[READERS + 1];
	struct worker w[READERS + 1];
	for (int i = 0; i <= READERS; i++) {
		w[i] = (struct worker){ .st = fx.st, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, i < READERS ? reader : writer, &w[i]), 0);
	}
	for (int i = 0; i <= READERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	int64_t events;
	verify_chain(fx.st, fx.k, &events);
	assert_int_equal(events, READERS * PER_READER + WRITES);
	fixture_close(&fx);
}

/* A process killed while its threads record through groups: what was
 * committed forms a chain that verifies, and the next process goes on
 * with it. */
static void test_killed_between_groups(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	store_close(fx.st);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		store_t *st = test_db_open(fx.path);
		if (!st)
			_exit(2);
		pthread_t th[READERS];
		struct worker w[READERS];
		for (;;) {
			for (int i = 0; i < READERS; i++) {
				w[i] = (struct worker){ .st = st, .id = i };
				pthread_create(&th[i], NULL, reader, &w[i]);
			}
			for (int i = 0; i < READERS; i++)
				pthread_join(th[i], NULL);
		}
	}
	fx.st = test_db_open(fx.path);
	assert_non_null(fx.st);
	/* Killed once it has recorded a good number (deadline: two minutes). */
	int64_t seq = 0;
	for (int i = 0; i < 1200 && seq < 150; i++) {
		store_tx_t *tx = store_begin(fx.st, false);
		char h[65];
		int chain;
		if (tx && store_audit_head(tx, &seq, h, &chain) != STORE_OK)
			seq = 0;
		store_rollback(tx);
		if (seq < 150)
			nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	kill(pid, SIGKILL);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(seq >= 150);
	int64_t events;
	verify_chain(fx.st, fx.k, &events);
	assert_true(events >= 150);
	struct worker w = { .st = fx.st, .id = 99 };
	reader(&w);
	assert_int_equal(w.failures, 0);
	int64_t after;
	verify_chain(fx.st, fx.k, &after);
	assert_int_equal(after, events + PER_READER);
	fixture_close(&fx);
}

static int ran, released;

static int count_run(store_tx_t *tx, void *arg)
{
	assert_true(store_tx_writes(tx));
	ran += *(int *)arg;
	return 0;
}

static int refuse(store_tx_t *tx, void *arg)
{
	(void)tx;
	(void)arg;
	return -1;
}

static void count_free(void *arg)
{
	released++;
	free(arg);
}

static int *one(int v)
{
	int *p = malloc(sizeof *p);
	*p = v;
	return p;
}

static void test_deferred_and_failure(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	ran = released = 0;
	/* Written in order when the read transaction ends, then released. */
	store_tx_t *tx = store_begin(fx.st, false);
	store_tx_defer(tx, count_run, one(1), count_free);
	store_tx_defer(tx, count_run, one(2), count_free);
	assert_int_equal(ran, 0);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(ran, 3);
	assert_int_equal(released, 2);
	/* A write that fails fails its transaction's commit; the next group
	 * works, and a rollback still writes what was queued. */
	tx = store_begin(fx.st, false);
	store_tx_defer(tx, refuse, one(0), count_free);
	assert_int_equal(store_commit(tx), STORE_ERROR);
	tx = store_begin(fx.st, false);
	store_tx_defer(tx, count_run, one(4), count_free);
	store_rollback(tx);
	assert_int_equal(ran, 7);
	/* In a write transaction it runs at once. */
	tx = store_begin(fx.st, true);
	store_tx_defer(tx, count_run, one(8), count_free);
	assert_int_equal(ran, 15);
	assert_int_equal(store_commit(tx), STORE_OK);
	assert_int_equal(released, 5);
	fixture_close(&fx);
}

/* ---- what waits meanwhile is one group, handed over ---- */

static atomic_int h_ran, h_released, h_deferred;

static int h_run(store_tx_t *tx, void *arg)
{
	(void)tx;
	(void)arg;
	atomic_fetch_add(&h_ran, 1);
	return 0;
}

static void h_free(void *arg)
{
	(void)arg;
	atomic_fetch_add(&h_released, 1);
}

struct h_caller {
	store_t *st;
	int rc;
};

/* A read that queues one write and waits for it (store_commit). */
static void *h_read(void *arg)
{
	struct h_caller *c = arg;
	store_tx_t *tx = store_begin(c->st, false);
	c->rc = STORE_ERROR;
	if (!tx)
		return NULL;
	store_tx_defer(tx, h_run, NULL, h_free);
	atomic_fetch_add(&h_deferred, 1);
	c->rc = store_commit(tx);
	return NULL;
}

/* Waits (two minutes at most) until st's group commit shows queued writes
 * and, when writing is 1, a group being written. */
static bool h_wait(store_t *st, int queued, int writing, int deferred)
{
	for (int i = 0; i < 120000; i++) {
		store_group_stats_t g;
		store_group_stats(st, &g);
		if (g.queued == queued && (writing < 0 || g.writing == (writing == 1)) &&
		    atomic_load(&h_deferred) == deferred)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return false;
}

/* A writer holds the write lock; the first read's caller becomes the
 * group writer and waits for it with its own write; five more reads queue
 * theirs meanwhile and wait. Once the lock is free, the first group holds
 * the first write, and the first group's end hands the writing over (only
 * the waiters are woken, one of them to write): the five are the second
 * group, and every caller hears its write committed. */
static void test_waiting_writes_one_group(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	atomic_store(&h_ran, 0);
	atomic_store(&h_released, 0);
	atomic_store(&h_deferred, 0);
	store_group_stats_t before, after;
	store_group_stats(fx.st, &before);
	store_tx_t *held = store_begin(fx.st, true);
	assert_non_null(held);
	enum { N = 6 };
	pthread_t th[N];
	struct h_caller c[N];
	c[0] = (struct h_caller){ .st = fx.st };
	assert_int_equal(pthread_create(&th[0], NULL, h_read, &c[0]), 0);
	/* Its write taken into a group, which waits for the lock. */
	assert_true(h_wait(fx.st, 0, 1, 1));
	for (int i = 1; i < N; i++) {
		c[i] = (struct h_caller){ .st = fx.st };
		assert_int_equal(pthread_create(&th[i], NULL, h_read, &c[i]), 0);
	}
	assert_true(h_wait(fx.st, N - 1, 1, N));
	assert_int_equal(atomic_load(&h_ran), 0);
	assert_int_equal(store_commit(held), STORE_OK);
	for (int i = 0; i < N; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(c[i].rc, STORE_OK);
	}
	store_group_stats(fx.st, &after);
	assert_int_equal(after.groups - before.groups, 2);
	assert_int_equal(after.writes - before.writes, N);
	assert_int_equal(after.queued, 0);
	assert_false(after.writing);
	assert_int_equal(atomic_load(&h_ran), N);
	assert_int_equal(atomic_load(&h_released), N);
	fixture_close(&fx);
}

static void test_read_refuses_writes(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_open(&fx);
	store_tx_t *tx = store_begin(fx.st, false);
	assert_non_null(tx);
	assert_false(store_tx_writes(tx));
	assert_ptr_equal(store_tx_store(tx), fx.st);
	assert_int_equal(store_apikey_touch(tx, "key_1", 1), STORE_ERROR);
	json_t *partner = json_pack("{s:s}", "id", "par_1");
	assert_int_equal(store_partner_insert(tx, partner), STORE_ERROR);
	json_decref(partner);
	store_rollback(tx);
	tx = store_begin(fx.st, true);
	assert_true(store_tx_writes(tx));
	assert_int_equal(store_apikey_touch(tx, "key_1", 1), STORE_NOTFOUND);
	store_rollback(tx);
	fixture_close(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_reads_one_chain),
		cmocka_unit_test(test_killed_between_groups),
		cmocka_unit_test(test_deferred_and_failure),
		cmocka_unit_test(test_read_refuses_writes),
		cmocka_unit_test(test_waiting_writes_one_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
