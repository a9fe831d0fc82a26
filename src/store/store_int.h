/* Inside the store: the query helpers shared by the area files
 * (store_platform.c for the platform tables, store_<area>.c for each other
 * area), and the interface each backend (store_sqlite.c, store_pg.c)
 * implements for them. Not for use outside src/store.
 *
 * SQL text is written once, in the subset SQLite and PostgreSQL both
 * accept, with `?` (or SQLite's `?N`) placeholders; the PostgreSQL backend
 * numbers them ($n) and types them from the type string.
 *
 * Argument type strings: 's' const char * (NULL binds NULL), 'i' int64_t,
 * 'n' int, 'j' a json_t * scalar. Rows come back as JSON objects keyed by
 * column name (new references, owned by the caller). */
#ifndef FV_STORE_INT_H
#define FV_STORE_INT_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* What a backend provides. Every function gets the store or transaction
 * it made (its struct begins with struct store / struct store_tx). */
struct store_backend {
	/* Rows of a query (an array; only the first when first is set), NULL on
	 * error (logged). */
	json_t *(*rows)(store_tx_t *tx, bool first, const char *sql, const char *types, va_list ap);
	/* One statement; STORE_OK, STORE_CONFLICT (a constraint refused it),
	 * STORE_ERROR, or STORE_NOTFOUND when must_change and no row changed. */
	int (*exec)(store_tx_t *tx, bool must_change, const char *sql, const char *types, va_list ap);
	/* sql with vals[0..nv) bound as JSON scalars, then id (text) if not NULL. */
	int (*run)(store_tx_t *tx, const char *sql, const json_t *const *vals, int nv, const char *id,
		bool must_change);
	int (*changes)(store_tx_t *tx);
	store_tx_t *(*begin)(store_t *st, bool write);
	/* A write transaction that takes the lock of chain instead of the
	 * write lock, for a group of audit events only (store_group.c); NULL:
	 * the backend has one writer (SQLite). */
	store_tx_t *(*begin_chains)(store_t *st, const char *chain);
	int (*commit)(store_tx_t *tx);
	void (*rollback)(store_tx_t *tx);
	void (*close)(store_t *st);
	int (*checkpoint)(store_t *st);
	int (*snapshot)(store_t *st, const char *path, char *err, size_t errlen);
	/* store_rate_take(); NULL: buckets in memory (one process per database). */
	int (*rate_take)(store_t *st, const char *key, int rpm, int burst, int64_t now_ms, double *tokens,
		bool *allowed);
};

/* The part of a store and of a transaction every backend shares. */
struct store_gitem;
struct store_pending;
struct store {
	const struct store_backend *be;
	_Atomic int64_t db_ns; /* time spent in the database */
	int version;           /* schema version after migrations */
	/* Writes queued for the next group (store_group.c), under its lock. */
	struct store_gitem *g_head, *g_tail;
	bool g_writing; /* a caller is writing a group */
	int64_t g_write_t0; /* when the group being written began (time_mono_ns) */
	uint64_t g_groups, g_writes; /* groups committed and their writes (store_group_stats) */
	int g_queued; /* writes in the queue, not yet taken into a group */
	/* The ends of the detached commits written, in commit order, to be
	 * run by their writer (store_group.c). */
	struct store_pending *g_ready, *g_ready_tail;
	char *g_hold; /* tests only: store_group_test_hold */
	int64_t g_detach_after_ns; /* tests only, 0: DETACH_AFTER_NS (store_group.c) */
	/* The backend locks rows (SELECT ... FOR UPDATE SKIP LOCKED): PostgreSQL.
	 * SQLite's single writer needs no row lock. */
	bool row_locks;
	_Atomic uint64_t write_txs; /* write transactions begun (store_write_txs) */
	_Atomic uint64_t write_retries; /* a group's BEGIN tried again (store_write_retries) */
};
struct store_tx {
	store_t *st;
	bool write; /* began with write=true; a read transaction refuses writes */
	struct store_gitem *deferred; /* its queued writes (store_tx_defer) */
	struct {
		void (*fn)(void *);
		void *arg;
		void (*free_arg)(void *); /* NULL: arg is not the transaction's */
	} after[STORE_AFTER_MAX]; /* store_tx_after_commit */
	int nafter;
};

/* Waits until every write of the list (a transaction's, linked by their
 * own link) is committed, writing groups meanwhile when no one else does;
 * releases them. 0, or -1 when one of them was not written. */
int sq_group_wait(store_t *st, struct store_gitem *list);
/* When this thread armed store_detach_next: leaves the list to the group
 * writer instead of waiting (store_detached then gives what to wait on),
 * and answers true; false (not armed, or every write of the list already
 * written: sq_group_wait answers at once) disarms. */
bool sq_group_detach(store_t *st, struct store_gitem *list);
/* Tests only: the time after which a caller goes on behind a group being
 * written whatever the queue behind it (store_group.c's DETACH_AFTER_NS;
 * 0 for that). */
void store_group_test_detach_after(store_t *st, int64_t ns);
/* Releases what the group commit holds; before the backend closes. */
void sq_group_close(store_t *st);

/* The audit events of account A, as a condition on the table's row
 * (prefix: "" or an alias with its dot), bound with A three times: those
 * of its chain (audit_chain_seq) and those of the closed global chain that
 * name it (audit_account_closed, migration 0070). account_id = A stays, so
 * that the rows are the same as with account_id = A alone. */
#define SQ_AUDIT_OF_ACCOUNT(prefix) "(" prefix "chain_id = ? OR (" prefix "chain_id = '' AND " \
	prefix "account_id = ?)) AND " prefix "account_id = ?"

/* A chain's advisory lock on PostgreSQL (store_pg.c) has a two-int key:
 * this ("fvch"), then sq_chain_lock_key, a hash of its id (two chains
 * sharing one only queue together). */
#define SQ_CHAIN_LOCK_TAG 0x66766368
int sq_chain_lock_key(const char *chain);
/* A group's transaction begun under chains[first]'s lock (begin_chains):
 * takes the other chains' locks and the head rows of chains[0..n)
 * (distinct): chains[first]'s head waited for, holding no other head, each
 * other lock and head only if no one holds it (SKIP LOCKED), so that such
 * a transaction never waits holding a head, nor for a chain's lock while
 * holding one of its own but chains[first]'s. 0: all held; 1:
 * chains[*busy] is another writer's (roll back, try again with it first);
 * 2: a head not made yet; STORE_ERROR. */
int sq_audit_lock_heads(store_tx_t *tx, const char *const *chains, int n, int first, int *busy);

/* Whether sql (one statement) changes rows. */
bool sq_is_write(const char *sql);

/* Adds the time since t0 (time_mono_ns) to the store's database time. */
void sq_db_time(store_t *st, int64_t t0);
/* Marks this thread's store_unavailable_seen. */
void sq_note_unavailable(void);

/* Every row of a query as an array of objects, or NULL on error. */
json_t *sq_rows(store_tx_t *tx, const char *sql, const char *types, ...);
/* The first row, or NULL (none, or error). */
json_t *sq_one(store_tx_t *tx, const char *sql, const char *types, ...);
/* Executes one statement: STORE_OK / STORE_CONFLICT / STORE_ERROR, or
 * STORE_NOTFOUND when must_change is set and no row changed. */
int sq_exec(store_tx_t *tx, bool must_change, const char *sql, const char *types, ...);
/* Rows changed by the last statement of this transaction. */
int sq_changes(store_tx_t *tx);
/* INSERT of the keys of obj that are listed in cols (NULL-terminated, at
 * most 64 of them present); absent keys take the column's default. table
 * and the names in cols are constant strings: the statement built is kept
 * by their addresses (store_core.c). */
int sq_insert(store_tx_t *tx, const char *table, const char *const *cols, const json_t *obj);
/* UPDATE table SET (keys of fields that are in allowed) WHERE id=? [AND
 * extra]. STORE_NOTFOUND when no row matched. */
int sq_update(store_tx_t *tx, const char *table, const char *const *allowed, const char *id,
	const json_t *fields, const char *extra);
/* Whether kind (a job's kind, the code's own name) may be written into a
 * statement's text: 1 to 40 of [a-z0-9_]. Written there rather than bound,
 * as a bound kind made SQLite prepare statements on jobs again at every
 * binding (store_jobs.c). */
bool sq_kind_ok(const char *kind);
/* For the tests, SQLite: the writers of this process waiting for its
 * writers' lock now, and the connections opened since the store was
 * (the one of store_open included); PostgreSQL: 0 and 0. */
void store_sqlite_test_counts(store_t *st, int *writers_waiting, uint64_t *conns_opened);
/* For the tests, SQLite: the pages tx's connection has read into its cache
 * since it was opened (SQLITE_DBSTATUS_CACHE_MISS); PostgreSQL: 0. */
uint64_t store_sqlite_test_cache_misses(store_tx_t *tx);
/* Cursor (decimal sort key of the last item seen) to a value, or dflt. */
int64_t sq_cursor(const char *cursor, int64_t dflt);
/* Rows fetched with limit+1 and a "_k" sort key column: trims to limit,
 * sets out->next_cursor, removes "_k", and moves rows into out->items. */
int sq_page_finish(json_t *rows, int limit, store_page_t *out);

#endif
