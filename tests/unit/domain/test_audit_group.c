/* Unit tests of the group commit (store_tx_defer) as the audit chain uses
 * it: events of reads recorded from many threads at once, beside writers
 * that record in their own transactions, form one chain that verifies,
 * each visible once its read transaction has ended; a process killed
 * between groups leaves a chain that verifies and the next one goes on
 * with it; a failed write fails its transaction's commit and not the
 * next; a read transaction refuses writes; writes queued while a group
 * is written form the next group, written by one of their waiting callers.
 * On PostgreSQL, two stores on one database (two nodes): their groups of
 * audit events run at once, in any order of chains without deadlock, an
 * ordinary writer excludes them, and their events' global seq follows the
 * order in which they become visible. */
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

/* ---- PostgreSQL: the groups of several nodes at once ----
 * Two stores on one database are two nodes. A group whose every write is
 * an audit event (store_tx_defer_chain) takes the global write lock shared:
 * it runs beside the other node's, having locked its chains' heads first
 * in one order, and an ordinary write transaction still excludes it. Its
 * events are numbered at its commit, so the global seq follows the order in
 * which events become visible. */

/* The first integer of q on the database dsn names (-1 on error). */
static long long pg_int(const char *dsn, const char *q)
{
	PGconn *c = PQconnectdb(dsn);
	long long v = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, q);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
			v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	PQfinish(c);
	return v;
}

/* Waits (two minutes at most) until q answers at least want. */
static bool pg_wait(const char *dsn, const char *q, long long want)
{
	for (int i = 0; i < 12000; i++) {
		if (pg_int(dsn, q) >= want)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	return false;
}

/* Backends of this database waiting for a lock of the kind given. */
#define WAITING(kinds) "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()" \
	" AND wait_event_type = 'Lock' AND wait_event IN (" kinds ")"

static bool wait_flag(atomic_int *flag)
{
	for (int i = 0; i < 120000 && !atomic_load(flag); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	return atomic_load(flag);
}

/* A write of a group that records its event, then holds the group in
 * flight (its transaction open, its locks held) until released. */
struct hold {
	const char *account;
	atomic_int entered, release;
};

static int hold_run(store_tx_t *tx, void *arg)
{
	struct hold *h = arg;
	audit_ctx_t ctx = { .actor = "system:held", .source = "", .request_id = "" };
	int rc = audit_record(tx, &ctx, "user.read", "usr_h", h->account, "success", NULL);
	atomic_store(&h->entered, 1);
	/* Released by the test; two minutes at most. */
	for (int i = 0; i < 120000 && !atomic_load(&h->release); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	return rc;
}

/* A read on a node: first the held write of hold (when not NULL, on its
 * chain), then one event of each of accounts[], in one group. */
struct node_read {
	store_t *st;
	struct hold *hold;
	const char *accounts[2];
	int rc;
	atomic_int done;
};

static void *node_read(void *arg)
{
	struct node_read *r = arg;
	r->rc = STORE_ERROR;
	store_tx_t *tx = store_begin(r->st, false);
	if (tx) {
		if (r->hold)
			store_tx_defer_chain(tx, audit_chain_of(r->hold->account), hold_run, r->hold, NULL);
		audit_ctx_t ctx = { .actor = "system:node", .source = "", .request_id = "" };
		int bad = 0;
		for (int i = 0; i < 2; i++)
			if (r->accounts[i])
				bad |= audit_record(tx, &ctx, "user.read", "usr_n", r->accounts[i], "success",
					NULL);
		r->rc = store_commit(tx);
		if (bad)
			r->rc = STORE_ERROR;
	}
	atomic_store(&r->done, 1);
	return NULL;
}

/* The seq of the newest event of account (0: none). */
static int64_t newest_of(store_t *st, const char *account)
{
	store_tx_t *tx = store_begin(st, false);
	store_audit_filter_t f = { .account_id = account };
	store_page_t pg = { 0 };
	int64_t seq = 0;
	if (tx && store_audit_list(tx, &f, NULL, 1, &pg) == STORE_OK && json_array_size(pg.items))
		seq = json_integer_value(json_object_get(json_array_get(pg.items, 0), "seq"));
	store_page_free(&pg);
	store_rollback(tx);
	return seq;
}

/* A follower that has seen every event up to seq `seen` reads the newest
 * ones, a page of one at a time, down to seen: whether it meets account's
 * event. It would miss one that committed after it looked, below seen. */
static bool follower_finds(store_t *st, int64_t seen, const char *account)
{
	store_tx_t *tx = store_begin(st, false);
	store_audit_filter_t f = { 0 };
	char cursor[32] = "";
	bool found = false;
	for (int pages = 0; tx && pages < 1000; pages++) {
		store_page_t pg = { 0 };
		if (store_audit_list(tx, &f, cursor[0] ? cursor : NULL, 1, &pg) != STORE_OK ||
		    !json_array_size(pg.items)) {
			store_page_free(&pg);
			break;
		}
		json_t *ev = json_array_get(pg.items, 0);
		int64_t seq = json_integer_value(json_object_get(ev, "seq"));
		if (seq <= seen) {
			store_page_free(&pg);
			break;
		}
		found |= strcmp(json_string_value(json_object_get(ev, "account_id")), account) == 0;
		snprintf(cursor, sizeof cursor, "%lld", (long long)seq);
		store_page_free(&pg);
	}
	store_rollback(tx);
	return found;
}

/* An event of each account recorded by an ordinary writer, as the
 * account's creation records one: its chain's head exists. (A group that
 * would write a chain's first event runs as an ordinary writer.) */
static void chains_made(store_t *st, const char *const *accounts)
{
	audit_ctx_t ctx = { .actor = "system:setup", .source = "", .request_id = "" };
	store_tx_t *tx = store_begin(st, true);
	assert_non_null(tx);
	for (int i = 0; accounts[i]; i++)
		assert_int_equal(audit_record(tx, &ctx, "account.create", accounts[i], accounts[i],
			"success", NULL), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
}

/* Backends of this database waiting for the order lock (STORE_PG_SEQ_LOCK,
 * "fvsq"): a group that has written its events and waits to number them. */
#define WAITING_ORDER "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database" \
	" WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted" \
	" AND l.objid = 1719038833"

/* Node 1's group G1 (chain acc_a) is held in flight after its event,
 * holding the order lock (it began first). Node 2's group G2 (chain acc_b)
 * runs beside it: it writes its event with a provisional number and is
 * held in its turn (with one exclusive lock for every group it would wait
 * at its begin, and the test fails after its deadline). G1 ends; node 1's
 * next group G3 (acc_c) takes the order lock, numbers its event at insert
 * and commits; then G2 commits, having begun before G3: its event is still
 * numbered above G3's, so a follower that saw up to G3's finds it (with the
 * seq kept from its insert it would sit below, and be missed for good).
 * Then G2's commit waiting for the order lock while G1 holds it: shown by a
 * fourth group, held again. */
static void test_nodes_groups_parallel_in_seq_order(void **state)
{
	(void)state;
	if (!test_db_pg())
		skip();
	struct fixture fx;
	fixture_open(&fx);
	store_t *st2 = test_db_open(fx.path);
	store_pg_parallel_groups(fx.st, true);
	store_pg_parallel_groups(st2, true);
	chains_made(fx.st, (const char *const[]){ "acc_a", "acc_b", "acc_c", NULL });
	int64_t b_setup = newest_of(fx.st, "acc_b");
	struct hold h1 = { .account = "acc_a" }, h2 = { .account = "acc_b" };
	struct node_read r1 = { .st = fx.st, .hold = &h1 }, r2 = { .st = st2, .hold = &h2 },
		r3 = { .st = fx.st, .accounts = { "acc_c" } };
	pthread_t t1, t2, t3;
	assert_int_equal(pthread_create(&t1, NULL, node_read, &r1), 0);
	assert_true(wait_flag(&h1.entered));
	assert_int_equal(pthread_create(&t2, NULL, node_read, &r2), 0);
	bool beside = wait_flag(&h2.entered);
	atomic_store(&h1.release, 1);
	assert_int_equal(pthread_join(t1, NULL), 0);
	if (!beside) {
		atomic_store(&h2.release, 1);
		pthread_join(t2, NULL);
		fail_msg("node 2's group waited for node 1's group in flight");
	}
	assert_int_equal(r1.rc, STORE_OK);
	assert_int_equal(pthread_create(&t3, NULL, node_read, &r3), 0);
	bool g3 = wait_flag(&r3.done);
	int64_t seen = newest_of(fx.st, NULL), c = newest_of(fx.st, "acc_c");
	int64_t b_before = newest_of(fx.st, "acc_b");
	atomic_store(&h2.release, 1);
	assert_int_equal(pthread_join(t2, NULL), 0);
	assert_int_equal(pthread_join(t3, NULL), 0);
	assert_true(g3);
	assert_int_equal(r2.rc, STORE_OK);
	assert_int_equal(r3.rc, STORE_OK);
	/* While G2 was in flight, G3's event was the newest visible. */
	assert_int_equal(b_before, b_setup);
	assert_true(c > newest_of(fx.st, "acc_a"));
	assert_int_equal(seen, c);
	assert_true(newest_of(fx.st, "acc_b") > c);
	assert_true(follower_finds(fx.st, seen, "acc_b"));
	assert_int_equal(pg_int(fx.path, "SELECT count(*) FROM audit_events WHERE seq < 0"), 0);
	/* A group that did not get the order lock waits for it at its commit,
	 * having written its event. */
	struct hold h4 = { .account = "acc_a" };
	struct node_read r4 = { .st = fx.st, .hold = &h4 }, r5 = { .st = st2, .accounts = { "acc_b" } };
	pthread_t t4, t5;
	assert_int_equal(pthread_create(&t4, NULL, node_read, &r4), 0);
	assert_true(wait_flag(&h4.entered));
	assert_int_equal(pthread_create(&t5, NULL, node_read, &r5), 0);
	bool waits_order = pg_wait(fx.path, WAITING_ORDER, 1);
	atomic_store(&h4.release, 1);
	assert_int_equal(pthread_join(t4, NULL), 0);
	assert_int_equal(pthread_join(t5, NULL), 0);
	assert_true(waits_order);
	assert_int_equal(r4.rc, STORE_OK);
	assert_int_equal(r5.rc, STORE_OK);
	assert_true(newest_of(fx.st, "acc_b") > newest_of(fx.st, "acc_a"));
	int64_t events;
	verify_chain(fx.st, fx.k, &events);
	assert_int_equal(events, 3 + 5);
	assert_int_equal(pg_int(fx.path, "SELECT count(*) FROM audit_events WHERE seq < 0"), 0);
	store_close(st2);
	fixture_close(&fx);
}

/* Two nodes' groups over the same two chains, in opposite orders: node
 * 1's writes acc_x then acc_y, held after its first event; node 2's writes
 * acc_y then acc_x and waits meanwhile. Both commit and both chains
 * verify. Without the heads locked first in one order (each write locking
 * its own chain's head as it comes), node 2 would hold acc_y and wait for
 * acc_x, node 1 then wait for acc_y: a deadlock, one of them failed. */
static void test_nodes_groups_opposite_orders(void **state)
{
	(void)state;
	if (!test_db_pg())
		skip();
	struct fixture fx;
	fixture_open(&fx);
	store_t *st2 = test_db_open(fx.path);
	store_pg_parallel_groups(fx.st, true);
	store_pg_parallel_groups(st2, true);
	chains_made(fx.st, (const char *const[]){ "acc_x", "acc_y", NULL });
	struct hold h = { .account = "acc_x" };
	struct node_read r1 = { .st = fx.st, .hold = &h, .accounts = { "acc_y" } },
		r2 = { .st = st2, .accounts = { "acc_y", "acc_x" } };
	pthread_t t1, t2;
	assert_int_equal(pthread_create(&t1, NULL, node_read, &r1), 0);
	assert_true(wait_flag(&h.entered));
	assert_int_equal(pthread_create(&t2, NULL, node_read, &r2), 0);
	bool waits = pg_wait(fx.path, WAITING("'tuple', 'transactionid', 'advisory'"), 1);
	atomic_store(&h.release, 1);
	assert_int_equal(pthread_join(t1, NULL), 0);
	assert_int_equal(pthread_join(t2, NULL), 0);
	assert_true(waits);
	assert_int_equal(r1.rc, STORE_OK);
	assert_int_equal(r2.rc, STORE_OK);
	int64_t events;
	verify_chain(fx.st, fx.k, &events);
	assert_int_equal(events, 2 + 4);
	store_close(st2);
	fixture_close(&fx);
}

/* An ordinary write transaction begun on another thread. */
struct writer_begin {
	store_t *st;
	store_tx_t *tx;
	atomic_int done;
};

static void *writer_begins(void *arg)
{
	struct writer_begin *w = arg;
	w->tx = store_begin(w->st, true);
	atomic_store(&w->done, 1);
	return NULL;
}

/* An ordinary write transaction (the global lock exclusive) on node 1
 * excludes node 2's group until it commits; and a group in flight on node
 * 1 keeps node 2's ordinary writer waiting until it commits. */
static void test_nodes_writer_excludes_group(void **state)
{
	(void)state;
	if (!test_db_pg())
		skip();
	struct fixture fx;
	fixture_open(&fx);
	store_t *st2 = test_db_open(fx.path);
	store_pg_parallel_groups(fx.st, true);
	store_pg_parallel_groups(st2, true);
	chains_made(fx.st, (const char *const[]){ "acc_c", "acc_d", NULL });
	/* A writer first: the group waits for the lock, its event unwritten. */
	store_tx_t *w = store_begin(fx.st, true);
	assert_non_null(w);
	struct node_read r2 = { .st = st2, .accounts = { "acc_c" } };
	pthread_t t2;
	assert_int_equal(pthread_create(&t2, NULL, node_read, &r2), 0);
	bool waited = pg_wait(fx.path, WAITING("'advisory'"), 1);
	int64_t c0 = newest_of(fx.st, "acc_c");
	bool blocked = !atomic_load(&r2.done);
	assert_int_equal(store_commit(w), STORE_OK);
	assert_int_equal(pthread_join(t2, NULL), 0);
	assert_true(waited);
	assert_true(blocked);
	assert_int_equal(r2.rc, STORE_OK);
	assert_true(newest_of(fx.st, "acc_c") > c0);
	/* A group first: the writer waits for it. */
	struct hold h = { .account = "acc_d" };
	struct node_read r1 = { .st = fx.st, .hold = &h };
	pthread_t t1;
	assert_int_equal(pthread_create(&t1, NULL, node_read, &r1), 0);
	assert_true(wait_flag(&h.entered));
	struct writer_begin wb = { .st = st2 };
	pthread_t tw;
	assert_int_equal(pthread_create(&tw, NULL, writer_begins, &wb), 0);
	waited = pg_wait(fx.path, WAITING("'advisory'"), 1);
	blocked = !atomic_load(&wb.done);
	atomic_store(&h.release, 1);
	assert_int_equal(pthread_join(t1, NULL), 0);
	assert_int_equal(pthread_join(tw, NULL), 0);
	assert_true(waited);
	assert_true(blocked);
	assert_int_equal(r1.rc, STORE_OK);
	assert_non_null(wb.tx);
	audit_ctx_t ctx = { .actor = "system:writer", .source = "", .request_id = "" };
	assert_int_equal(audit_record(wb.tx, &ctx, "user.update", "usr_d", "acc_d", "success", NULL), 0);
	assert_int_equal(store_commit(wb.tx), STORE_OK);
	int64_t events;
	verify_chain(fx.st, fx.k, &events);
	assert_int_equal(events, 2 + 3);
	store_close(st2);
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
		cmocka_unit_test(test_nodes_groups_parallel_in_seq_order),
		cmocka_unit_test(test_nodes_groups_opposite_orders),
		cmocka_unit_test(test_nodes_writer_excludes_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
