/* The SQLite backend of the store (see store.h): WAL mode, a small pool of
 * connections (one per concurrent transaction), prepared statements cached
 * per connection, parameterized statements only. */
#include "store.h"
#include "store_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "numparse.h"
#include "timeutil.h"
#include "xalloc.h"

#define STORE_POOL_MAX 32
#define STORE_STMT_CACHE 96
#define STORE_BUSY_MS 10000
/* Log frames past which a commit asks for the write-ahead log to be
 * started over, how long the checkpointer waits, holding the writers'
 * lock, for the read transactions of the moment to end (they last a
 * fraction of a millisecond; beyond, it gives up), and the frames after
 * which it tries again when it gave up. At SQLite's own 1,000 frames
 * (4 MB) an audited read's stream asked for a restart about every 60 ms;
 * at 10,000 (a log of at most about 40 MB) a tenth as often. */
#define STORE_WAL_FRAMES 10000
#define STORE_RESTART_WAIT_MS 5
#define STORE_RETRY_FRAMES 1000
/* PASSIVE passes before the restart: another one while the last found
 * this many frames or more committed during the one before, at most
 * STORE_PASSIVE_PASSES, so that the restart, under the writers' lock,
 * copies few frames. */
#define STORE_PASSIVE_PASSES 4
#define STORE_RESTART_LEFT 200

struct fv_embedded {
	const char *name;
	const char *text;
};
extern const struct fv_embedded fv_migrations[];

struct stmt_slot {
	char *sql;
	uint64_t hash; /* of sql: most slots are passed over on it */
	sqlite3_stmt *stmt;
};

/* A transaction's own statements, prepared once per connection: through
 * sqlite3_exec each BEGIN, COMMIT and ROLLBACK was parsed again, a cost
 * paid by every transaction (about a twentieth of the fax service's CPU in
 * bench/fax-e2e). */
enum { TXS_BEGIN, TXS_BEGIN_IMMEDIATE, TXS_COMMIT, TXS_ROLLBACK, TXS_N_ };
static const char *const txs_sql[TXS_N_] = { "BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK" };

struct sqlite_store;
struct conn {
	sqlite3 *db;
	struct sqlite_store *st; /* NULL while migrating */
	struct stmt_slot cache[STORE_STMT_CACHE];
	int ncache;
	sqlite3_stmt *txs[TXS_N_];
	/* The store's commits (sqlite_store.commits) as of this connection's
	 * last snapshot: while no commit came since, its page cache is still
	 * valid, where SQLite discards the cache of a connection that finds
	 * the log moved on at its next BEGIN (pool_get). */
	uint64_t commits_seen;
};

struct sqlite_store {
	struct store base;
	char *path;
	pthread_mutex_t lock;
	/* Writers of this process queue here rather than in SQLite's busy
	 * handler, which sleeps in steps and makes a long latency tail. */
	pthread_mutex_t wlock;
	/* Log frames at which the next commit asks for a restart of the log. */
	_Atomic int restart_at;
	struct conn *free_conns[STORE_POOL_MAX];
	int nfree;
	/* Write transactions of this process committed (lite_commit). */
	_Atomic uint64_t commits;
	/* The checkpointer (wal_hook): a thread of its own, started at the
	 * first restart asked for, under ck_lock. */
	pthread_mutex_t ck_lock;
	pthread_cond_t ck_cond;
	pthread_t ck_thread;
	bool ck_started, ck_asked, ck_stop;
	/* Log restarts seen (store_wal_restarts): a commit that found the
	 * log shorter than the one before (wal_hook, under wlock). */
	_Atomic uint64_t ck_restarts;
	_Atomic int wal_frames; /* the log's frames after the last commit */
	/* Read transactions of this process by the parity of the epoch they
	 * began in: the checkpointer moves the epoch on and waits for the
	 * earlier one's to end (readers_wait) on rd_cond, under rd_lock,
	 * which a reader ending takes only while rd_waiting is set. */
	_Atomic unsigned rd_epoch;
	_Atomic int rd_count[2];
	_Atomic bool rd_waiting;
	pthread_mutex_t rd_lock;
	pthread_cond_t rd_cond;
	/* Time the writers' lock was held for them, in all and at most
	 * (store_wal_restart_held). */
	uint64_t ck_held_ns, ck_held_max_ns;
	/* Preparations again (SQLITE_STMTSTATUS_REPREPARE) of the cached
	 * statements finalized so far (store_stmt_reprepares). */
	_Atomic uint64_t reprepared_gone;
	/* Connections opened, and writers waiting for wlock now
	 * (store_sqlite_test_counts). */
	_Atomic uint64_t conns_opened;
	_Atomic int writers_waiting;
};

struct sqlite_tx {
	struct store_tx base;
	struct conn *c;
	int64_t t0;
	bool write; /* holds st->wlock */
	unsigned rd_parity; /* a read transaction: its epoch's parity (rd_count) */
};

/* ---- connections ---- */

/* Called after each commit with the log's length in frames (under the
 * writers' lock). SQLite's own automatic checkpoint (PASSIVE) cannot
 * restart the log while a reader uses it, and with reads in read
 * transactions beside the writer there is nearly always one: the log would
 * grow without end and every commit would checkpoint (two fsyncs) again.
 * Past STORE_WAL_FRAMES the commit asks the store's checkpointer thread
 * instead (checkpointer_main), and returns: the committing writer (a group
 * of reads' writes, whose callers wait for it) does not copy pages and
 * sync the files itself. A log shorter than after the commit before was
 * restarted: by the first writer after a checkpoint that left it wholly
 * copied with no reader on it (checkpoint_pass). */
static void checkpointer_ask(struct sqlite_store *st);

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	struct sqlite_store *st = arg;
	if (frames < atomic_exchange(&st->wal_frames, frames)) {
		atomic_fetch_add(&st->ck_restarts, 1);
		atomic_store(&st->restart_at, STORE_WAL_FRAMES);
	}
	int at = atomic_load(&st->restart_at);
	if (frames < at)
		return SQLITE_OK;
	/* Asked once; the next ask comes STORE_WAL_FRAMES later, unless the
	 * log restarts meanwhile. */
	atomic_store(&st->restart_at, frames + STORE_WAL_FRAMES);
	checkpointer_ask(st);
	return SQLITE_OK;
}

/* A read transaction begins or ends: counted by its epoch's parity. */
static unsigned reader_begin(struct sqlite_store *st)
{
	unsigned p = atomic_load(&st->rd_epoch) & 1u;
	atomic_fetch_add(&st->rd_count[p], 1);
	return p;
}

static void reader_end(struct sqlite_store *st, unsigned p)
{
	if (atomic_fetch_sub(&st->rd_count[p], 1) == 1 && atomic_load(&st->rd_waiting)) {
		pthread_mutex_lock(&st->rd_lock);
		pthread_cond_broadcast(&st->rd_cond);
		pthread_mutex_unlock(&st->rd_lock);
	}
}

/* Moves the readers' epoch on and waits until every read transaction of
 * this process begun before has ended, until the deadline (time_mono_ns):
 * whether they have. Woken by the last one to end, not by polling: they
 * last a fraction of a millisecond, where SQLite's busy handler sleeps 1,
 * then 2, then 5 ms. A reader counted late (it read the epoch before the
 * move) is waited for too, which is only longer. */
static bool readers_wait(struct sqlite_store *st, int64_t deadline)
{
	unsigned p = atomic_fetch_add(&st->rd_epoch, 1) & 1u;
	pthread_mutex_lock(&st->rd_lock);
	atomic_store(&st->rd_waiting, true);
	bool ended;
	while (!(ended = atomic_load(&st->rd_count[p]) == 0)) {
		int64_t left = deadline - time_mono_ns();
		if (left <= 0)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t ns = (int64_t)ts.tv_nsec + left;
		ts.tv_sec += (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		pthread_cond_timedwait(&st->rd_cond, &st->rd_lock, &ts);
	}
	atomic_store(&st->rd_waiting, false);
	pthread_mutex_unlock(&st->rd_lock);
	return ended;
}

/* Syncs the database file and the log (SQLite's own files, through its
 * VFS) so that the checkpoint after, under the writers' lock, syncs only
 * what was written since: a PASSIVE checkpoint that does not copy the
 * whole log writes pages into the database without syncing it, the first
 * that does syncs them all. */
static void sync_files(struct conn *c)
{
	sqlite3_file *f = NULL;
	if (sqlite3_file_control(c->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) == SQLITE_OK && f &&
	    f->pMethods)
		f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	f = NULL;
	if (sqlite3_file_control(c->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) == SQLITE_OK && f &&
	    f->pMethods)
		f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

/* One pass of the checkpointer on its connection c. Beside the writers and
 * the readers: PASSIVE checkpoints (the pages copied into the database: the
 * long part; again while the last one left STORE_RESTART_LEFT frames or
 * more behind), then both files synced. Then, holding this process's
 * writers' lock, so that nothing is committed meanwhile: once the readers
 * that began before it have ended (their snapshots could hold the copy
 * back), a PASSIVE checkpoint copies what was committed since the last
 * pass and syncs the two files, a little each, leaving the log wholly
 * copied; once the readers that began before that have ended too (the
 * readers after it read the database alone), the lock is let go, and the
 * next writer starts the log over (SQLite does, finding it wholly copied
 * with no reader on it). No sleep under the lock: SQLite's RESTART, which
 * waited for readers in its busy handler's steps of 1, 2, 5 ms and synced
 * everything the passes had copied, held it 8 to 21 ms on average in
 * bench/api. A reader that lasts (a backup, another process, a thread
 * that waits for the writers' lock with a read transaction open) makes the
 * pass give up after STORE_RESTART_WAIT_MS; the next try comes
 * STORE_RETRY_FRAMES later. */
static void checkpoint_pass(struct sqlite_store *st, struct conn *c)
{
	int rc = SQLITE_OK, seen = -1;
	sqlite3_busy_timeout(c->db, 0);
	for (int pass = 0; pass < STORE_PASSIVE_PASSES; pass++) {
		int log_frames = 0;
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, NULL);
		if (rc != SQLITE_OK || (seen >= 0 && log_frames - seen < STORE_RESTART_LEFT))
			break;
		seen = log_frames;
	}
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_event(LOG_ERROR, "store.checkpoint", "err=\"%s\"", sqlite3_errmsg(c->db));
	sync_files(c);
	pthread_mutex_lock(&st->wlock);
	int64_t held_from = time_mono_ns();
	int64_t deadline = held_from + (int64_t)STORE_RESTART_WAIT_MS * 1000000;
	int log_frames = 0, copied = -1;
	bool ready = false;
	if (readers_wait(st, deadline)) {
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
		ready = rc == SQLITE_OK && copied == log_frames && readers_wait(st, deadline);
	}
	/* Not left ready for a restart: tried again soon. */
	if (!ready)
		atomic_store(&st->restart_at, atomic_load(&st->wal_frames) + STORE_RETRY_FRAMES);
	int64_t held = time_mono_ns() - held_from;
	pthread_mutex_unlock(&st->wlock);
	sqlite3_busy_timeout(c->db, STORE_BUSY_MS);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_event(LOG_ERROR, "store.checkpoint", "err=\"%s\"", sqlite3_errmsg(c->db));
	pthread_mutex_lock(&st->ck_lock);
	st->ck_held_ns += (uint64_t)held;
	if ((uint64_t)held > st->ck_held_max_ns)
		st->ck_held_max_ns = (uint64_t)held;
	pthread_mutex_unlock(&st->ck_lock);
}

static struct conn *pool_get(struct sqlite_store *st);
static void pool_put(struct sqlite_store *st, struct conn *c);

static void *checkpointer_main(void *arg)
{
	struct sqlite_store *st = arg;
	pthread_mutex_lock(&st->ck_lock);
	for (;;) {
		while (!st->ck_asked && !st->ck_stop)
			pthread_cond_wait(&st->ck_cond, &st->ck_lock);
		if (st->ck_stop)
			break;
		st->ck_asked = false;
		pthread_mutex_unlock(&st->ck_lock);
		struct conn *c = pool_get(st);
		if (c) {
			checkpoint_pass(st, c);
			pool_put(st, c);
		}
		pthread_mutex_lock(&st->ck_lock);
	}
	pthread_mutex_unlock(&st->ck_lock);
	return NULL;
}

static void checkpointer_ask(struct sqlite_store *st)
{
	pthread_mutex_lock(&st->ck_lock);
	if (!st->ck_started && !st->ck_stop) {
		if (pthread_create(&st->ck_thread, NULL, checkpointer_main, st) == 0)
			st->ck_started = true;
		else
			log_event(LOG_ERROR, "store.checkpoint", "err=\"no thread for the checkpointer\"");
	}
	st->ck_asked = true;
	pthread_cond_signal(&st->ck_cond);
	pthread_mutex_unlock(&st->ck_lock);
}

/* Stops the checkpointer, once its pass (if any) has ended. */
static void checkpointer_stop(struct sqlite_store *st)
{
	pthread_mutex_lock(&st->ck_lock);
	st->ck_stop = true;
	bool started = st->ck_started;
	pthread_cond_signal(&st->ck_cond);
	pthread_mutex_unlock(&st->ck_lock);
	if (started)
		pthread_join(st->ck_thread, NULL);
}

static struct conn *conn_open(struct sqlite_store *st, const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	char *msg = NULL;
	rc = sqlite3_exec(db,
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
		"PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;",
		NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot configure database %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		return NULL;
	}
	if (st)
		sqlite3_wal_hook(db, wal_hook, st);
	struct conn *c = xcalloc(1, sizeof *c);
	c->db = db;
	c->st = st;
	if (st)
		atomic_fetch_add(&st->conns_opened, 1);
	return c;
}

/* Finalizes a cached statement, its preparations again counted. */
static void slot_drop(struct conn *c, struct stmt_slot *slot)
{
	if (c->st)
		atomic_fetch_add(&c->st->reprepared_gone,
			(uint64_t)sqlite3_stmt_status(slot->stmt, SQLITE_STMTSTATUS_REPREPARE, 0));
	sqlite3_finalize(slot->stmt);
	free(slot->sql);
}

static void conn_close(struct conn *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->ncache; i++)
		slot_drop(c, &c->cache[i]);
	for (int i = 0; i < TXS_N_; i++)
		sqlite3_finalize(c->txs[i]);
	sqlite3_close(c->db);
	free(c);
}

/* FNV-1a of the statement's text. */
static uint64_t sql_hash(const char *sql)
{
	uint64_t h = 14695981039346656037u;
	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return h;
}

static sqlite3_stmt *conn_prepare(struct conn *c, const char *sql)
{
	/* The statements mostly share their first words ("SELECT "): a
	 * comparison of each cached text cost more than the hash. */
	uint64_t h = sql_hash(sql);
	for (int i = 0; i < c->ncache; i++)
		if (c->cache[i].hash == h && strcmp(c->cache[i].sql, sql) == 0) {
			sqlite3_reset(c->cache[i].stmt);
			sqlite3_clear_bindings(c->cache[i].stmt);
			return c->cache[i].stmt;
		}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		char q[600];
		log_event(LOG_ERROR, "store.prepare", "err=%s sql=%s",
			log_quote(sqlite3_errmsg(c->db), q, 300), sql);
		return NULL;
	}
	if (c->ncache == STORE_STMT_CACHE) {
		slot_drop(c, &c->cache[0]);
		memmove(c->cache, c->cache + 1, sizeof c->cache[0] * (STORE_STMT_CACHE - 1));
		c->ncache--;
	}
	c->cache[c->ncache].sql = xstrdup(sql);
	c->cache[c->ncache].hash = h;
	c->cache[c->ncache].stmt = s;
	c->ncache++;
	return s;
}

/* ---- binding and rows ---- */

/* Binds one JSON scalar: string, integer, boolean, anything else NULL. */
static int bind_json(sqlite3_stmt *s, int idx, const json_t *v)
{
	if (json_is_string(v))
		return sqlite3_bind_text(s, idx, json_string_value(v), (int)json_string_length(v),
			SQLITE_TRANSIENT);
	if (json_is_integer(v))
		return sqlite3_bind_int64(s, idx, json_integer_value(v));
	if (json_is_boolean(v))
		return sqlite3_bind_int(s, idx, json_is_true(v));
	return sqlite3_bind_null(s, idx);
}

/* Binds arguments by a type string: 's' const char * (NULL binds NULL),
 * 'i' int64_t, 'n' int (narrow), 'j' a json_t * scalar. */
static int bind_va(sqlite3_stmt *s, const char *types, va_list ap)
{
	for (int i = 0; types[i]; i++) {
		int idx = i + 1, rc;
		switch (types[i]) {
		case 's': {
			const char *v = va_arg(ap, const char *);
			rc = v ? sqlite3_bind_text(s, idx, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, idx);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(s, idx, va_arg(ap, int64_t));
			break;
		case 'n':
			rc = sqlite3_bind_int(s, idx, va_arg(ap, int));
			break;
		case 'j':
			rc = bind_json(s, idx, va_arg(ap, const json_t *));
			break;
		default:
			return -1;
		}
		if (rc != SQLITE_OK)
			return -1;
	}
	return 0;
}

/* A row as an object. The column names are our own statements' (ASCII):
 * they are not checked as UTF-8 again for every row. A text is taken as
 * stored, UTF-8 or not (json_stringn's check only decided between it and
 * json_stringn_nocheck of the same bytes). */
static json_t *row_to_json(sqlite3_stmt *s)
{
	json_t *o = json_object();
	int n = sqlite3_column_count(s);
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(s, i);
		json_t *v;
		switch (sqlite3_column_type(s, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(s, i));
			break;
		case SQLITE_TEXT: {
			const char *t = (const char *)sqlite3_column_text(s, i);
			size_t len = (size_t)sqlite3_column_bytes(s, i);
			v = json_stringn_nocheck(t, len);
			break;
		}
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(s, i));
			break;
		default:
			v = json_null();
		}
		json_object_set_new_nocheck(o, name, v);
	}
	return o;
}

/* The backend's own view of a store and a transaction of it. */
static struct sqlite_store *SS(store_t *st)
{
	return (struct sqlite_store *)st;
}

static struct sqlite_tx *ST(store_tx_t *tx)
{
	return (struct sqlite_tx *)tx;
}

static void db_time(store_tx_t *tx, int64_t t0)
{
	sq_db_time(tx->st, t0);
}

static int map_rc(store_tx_t *tx, int rc, const char *sql)
{
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_CONSTRAINT)
		return STORE_CONFLICT;
	char q[600];
	log_event(LOG_ERROR, "store.step", "rc=%d err=%s sql=%s", rc,
		log_quote(sqlite3_errmsg(ST(tx)->c->db), q, 300), sql);
	return STORE_ERROR;
}

/* The cached statement for sql with its arguments bound, or NULL. */
static sqlite3_stmt *bound(store_tx_t *tx, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *s = conn_prepare(ST(tx)->c, sql);
	if (s && bind_va(s, types, ap) != 0) {
		sqlite3_reset(s);
		return NULL;
	}
	return s;
}

/* Every row of a query (only the first when first is set) as an array of
 * objects, or NULL on error. */
static json_t *lite_rows(store_tx_t *tx, bool first, const char *sql, const char *types,
	va_list ap)
{
	int64_t t0 = time_mono_ns();
	sqlite3_stmt *s = bound(tx, sql, types, ap);
	if (!s)
		return NULL;
	json_t *rows = json_array();
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_array_append_new(rows, row_to_json(s));
		if (first) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	db_time(tx, t0);
	if (map_rc(tx, rc, sql) != STORE_OK) {
		json_decref(rows);
		return NULL;
	}
	return rows;
}

static int lite_exec(store_tx_t *tx, bool must_change, const char *sql, const char *types,
	va_list ap)
{
	int64_t t0 = time_mono_ns();
	sqlite3_stmt *s = bound(tx, sql, types, ap);
	if (!s)
		return STORE_ERROR;
	int out = map_rc(tx, sqlite3_step(s), sql);
	if (out == STORE_OK && must_change && sqlite3_changes(ST(tx)->c->db) == 0)
		out = STORE_NOTFOUND;
	sqlite3_reset(s);
	db_time(tx, t0);
	return out;
}

/* Runs sql (complete) with vals bound from 1, then id when not NULL. */
static int lite_run(store_tx_t *tx, const char *sql, const json_t *const *vals, int nv,
	const char *id, bool want_change)
{
	int64_t t0 = time_mono_ns();
	sqlite3_stmt *s = conn_prepare(ST(tx)->c, sql);
	if (!s)
		return STORE_ERROR;
	/* A value that cannot be bound (SQLite out of memory) must not run the
	 * statement: its parameter would stay NULL, written as such or refused
	 * by a NOT NULL rule and answered as a conflict. */
	int brc = SQLITE_OK;
	for (int i = 0; i < nv && brc == SQLITE_OK; i++)
		brc = bind_json(s, i + 1, vals[i]);
	if (id && brc == SQLITE_OK)
		brc = sqlite3_bind_text(s, nv + 1, id, -1, SQLITE_TRANSIENT);
	if (brc != SQLITE_OK) {
		log_event(LOG_ERROR, "store.bind", "rc=%d sql=%.300s", brc, sql);
		sqlite3_clear_bindings(s);
		sqlite3_reset(s);
		return STORE_ERROR;
	}
	int rc = map_rc(tx, sqlite3_step(s), sql);
	if (rc == STORE_OK && want_change && sqlite3_changes(ST(tx)->c->db) == 0)
		rc = STORE_NOTFOUND;
	sqlite3_reset(s);
	db_time(tx, t0);
	return rc;
}

static int lite_changes(store_tx_t *tx)
{
	return sqlite3_changes(ST(tx)->c->db);
}

/* ---- open, migrate, transactions ---- */

static int migrate_all(store_t *st, struct conn *c, char *err, size_t errlen);

/* Whether PRAGMA foreign_key_check finds a row breaking a foreign key. */
static bool foreign_keys_broken(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK)
		return true;
	bool broken = sqlite3_step(s) != SQLITE_DONE;
	sqlite3_finalize(s);
	return broken;
}

/* Applies the migrations not yet applied, each in its own transaction.
 * Foreign keys are off while they run, as SQLite's procedure for rebuilding
 * a table asks (a CHECK constraint cannot change in place), and each
 * migration is checked with foreign_key_check before it commits. */
static int migrate(store_t *st, struct conn *c, char *err, size_t errlen)
{
	int rc = migrate_all(st, c, err, errlen);
	sqlite3_exec(c->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	return rc;
}

static int migrate_all(store_t *st, struct conn *c, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(c->db, "PRAGMA foreign_keys=OFF", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if (sqlite3_exec(c->db,
		    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
		    " name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
		    NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	for (int i = 0; fv_migrations[i].name; i++) {
		int64_t version;
		if (parse_i64(fv_migrations[i].name, 4, 1, 9999, &version) != 0) {
			snprintf(err, errlen, "migration %s: name must start with 4 digits", fv_migrations[i].name);
			return -1;
		}
		sqlite3_stmt *s = NULL;
		sqlite3_prepare_v2(c->db, "SELECT 1 FROM schema_migrations WHERE version=?", -1, &s, NULL);
		sqlite3_bind_int64(s, 1, version);
		int have = sqlite3_step(s) == SQLITE_ROW;
		sqlite3_finalize(s);
		if (have) {
			st->version = (int)version;
			continue;
		}
		if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
			goto fail;
		if (sqlite3_exec(c->db, fv_migrations[i].text, NULL, NULL, &msg) != SQLITE_OK) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
		if (foreign_keys_broken(c->db)) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			snprintf(err, errlen, "migration %s breaks a foreign key", fv_migrations[i].name);
			return -1;
		}
		sqlite3_prepare_v2(c->db,
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?,?,?)", -1, &s, NULL);
		sqlite3_bind_int64(s, 1, version);
		sqlite3_bind_text(s, 2, fv_migrations[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, time_now_ms());
		int rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE || sqlite3_exec(c->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
		log_event(LOG_INFO, "store.migrated", "version=%lld name=%s", (long long)version,
			fv_migrations[i].name);
		st->version = (int)version;
	}
	return 0;
fail:
	snprintf(err, errlen, "migration failed: %s", msg ? msg : sqlite3_errmsg(c->db));
	sqlite3_free(msg);
	return -1;
}

/* A connection of the pool: the last put back whose page cache is still
 * valid (no commit of this process since its snapshot), else the last put
 * back. After an audited read's group, the next transactions find the
 * pages its writer read and wrote in that connection's cache; another
 * connection would read each of them again (from the log: a pread each). */
static struct conn *pool_get(struct sqlite_store *st)
{
	uint64_t now = atomic_load(&st->commits);
	pthread_mutex_lock(&st->lock);
	struct conn *c = NULL;
	if (st->nfree) {
		int i = st->nfree - 1;
		while (i > 0 && st->free_conns[i]->commits_seen != now)
			i--;
		if (st->free_conns[i]->commits_seen != now)
			i = st->nfree - 1;
		c = st->free_conns[i];
		memmove(st->free_conns + i, st->free_conns + i + 1,
			sizeof st->free_conns[0] * (size_t)(st->nfree - 1 - i));
		st->nfree--;
	}
	pthread_mutex_unlock(&st->lock);
	if (c)
		return c;
	char err[256];
	c = conn_open(st, st->path, err, sizeof err);
	if (!c)
		log_event(LOG_ERROR, "store.open", "err=\"%s\"", err);
	return c;
}

static void pool_put(struct sqlite_store *st, struct conn *c)
{
	pthread_mutex_lock(&st->lock);
	if (st->nfree < STORE_POOL_MAX) {
		st->free_conns[st->nfree++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&st->lock);
	conn_close(c);
}

static void lite_close(store_t *base)
{
	struct sqlite_store *st = SS(base);
	checkpointer_stop(st);
	for (int i = 0; i < st->nfree; i++)
		conn_close(st->free_conns[i]);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->wlock);
	pthread_mutex_destroy(&st->ck_lock);
	pthread_cond_destroy(&st->ck_cond);
	pthread_mutex_destroy(&st->rd_lock);
	pthread_cond_destroy(&st->rd_cond);
	free(st->path);
	free(st);
}

static int lite_snapshot(store_t *base, const char *path, char *err, size_t errlen)
{
	struct sqlite_store *st = SS(base);
	struct conn *c = pool_get(st);
	if (!c) {
		snprintf(err, errlen, "the database could not be reached");
		return -1;
	}
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(c->db, "VACUUM INTO ?", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(q, 1, path, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "copy of the database to %s failed: %s", path, sqlite3_errmsg(c->db));
	sqlite3_finalize(q);
	pool_put(st, c);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Runs one of the transaction statements on c: SQLITE_OK or SQLite's
 * error code (its message in sqlite3_errmsg, as with sqlite3_exec). */
static int conn_txs(struct conn *c, int which)
{
	if (!c->txs[which] && sqlite3_prepare_v3(c->db, txs_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
		&c->txs[which], NULL) != SQLITE_OK)
		return sqlite3_errcode(c->db);
	int rc = sqlite3_step(c->txs[which]);
	sqlite3_reset(c->txs[which]);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static store_tx_t *lite_begin(store_t *base, bool write)
{
	struct sqlite_store *st = SS(base);
	int64_t t0 = time_mono_ns();
	/* A writer takes its connection once it has the writers' lock: writers
	 * waiting for it hold none. When they held one each, a burst of writes
	 * (twenty received faxes stored at once) opened as many connections,
	 * each reading the whole schema and preparing its statements again:
	 * a fifth of the fax service's CPU in bench/fax-e2e. */
	if (write) {
		atomic_fetch_add(&st->writers_waiting, 1);
		pthread_mutex_lock(&st->wlock);
		atomic_fetch_sub(&st->writers_waiting, 1);
	}
	unsigned parity = write ? 0 : reader_begin(st);
	uint64_t commits = atomic_load(&st->commits);
	struct conn *c = pool_get(st);
	if (c)
		c->commits_seen = commits;
	if (c && conn_txs(c, write ? TXS_BEGIN_IMMEDIATE : TXS_BEGIN) != SQLITE_OK) {
		log_event(LOG_ERROR, "store.begin", "err=\"%s\"", sqlite3_errmsg(c->db));
		pool_put(st, c);
		c = NULL;
	}
	if (!c) {
		if (write)
			pthread_mutex_unlock(&st->wlock);
		else
			reader_end(st, parity);
		return NULL;
	}
	struct sqlite_tx *tx = xcalloc(1, sizeof *tx);
	tx->base.st = base;
	tx->base.write = write;
	tx->c = c;
	tx->t0 = t0;
	tx->write = write;
	tx->rd_parity = parity;
	sq_db_time(base, t0);
	return &tx->base;
}

/* Ends tx: the write lock released, the connection back in the pool. */
static void lite_end(struct sqlite_tx *tx)
{
	struct sqlite_store *st = SS(tx->base.st);
	if (tx->write)
		pthread_mutex_unlock(&st->wlock);
	pool_put(st, tx->c);
	if (!tx->write)
		reader_end(st, tx->rd_parity);
	free(tx);
}

static int lite_commit(store_tx_t *tx)
{
	int64_t t0 = time_mono_ns();
	sqlite3 *db = ST(tx)->c->db;
	int rc = conn_txs(ST(tx)->c, TXS_COMMIT) == SQLITE_OK ? STORE_OK : STORE_ERROR;
	if (rc == STORE_OK && ST(tx)->write)
		ST(tx)->c->commits_seen = atomic_fetch_add(&SS(tx->st)->commits, 1) + 1;
	if (rc != STORE_OK) {
		log_event(LOG_ERROR, "store.commit", "err=\"%s\"", sqlite3_errmsg(db));
		conn_txs(ST(tx)->c, TXS_ROLLBACK);
	}
	db_time(tx, t0);
	lite_end(ST(tx));
	return rc;
}

static void lite_rollback(store_tx_t *tx)
{
	conn_txs(ST(tx)->c, TXS_ROLLBACK);
	lite_end(ST(tx));
}

static int lite_checkpoint(store_t *base)
{
	struct sqlite_store *st = SS(base);
	struct conn *c = pool_get(st);
	if (!c)
		return STORE_ERROR;
	pthread_mutex_lock(&st->wlock);
	int busy = 0;
	int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc == SQLITE_BUSY)
		busy = 1;
	else if (rc != SQLITE_OK)
		log_event(LOG_ERROR, "store.checkpoint", "err=\"%s\"", sqlite3_errmsg(c->db));
	pthread_mutex_unlock(&st->wlock);
	pool_put(st, c);
	return rc == SQLITE_OK ? STORE_OK : busy ? STORE_CONFLICT : STORE_ERROR;
}

static const struct store_backend sqlite_backend = {
	.rows = lite_rows,
	.exec = lite_exec,
	.run = lite_run,
	.changes = lite_changes,
	.begin = lite_begin,
	.commit = lite_commit,
	.rollback = lite_rollback,
	.close = lite_close,
	.checkpoint = lite_checkpoint,
	.snapshot = lite_snapshot,
};

store_t *store_open(const char *path, char *err, size_t errlen)
{
	struct sqlite_store *st = xcalloc(1, sizeof *st);
	struct conn *c = conn_open(st, path, err, errlen);
	if (!c) {
		free(st);
		return NULL;
	}
	atomic_store(&st->restart_at, STORE_WAL_FRAMES);
	st->base.be = &sqlite_backend;
	st->path = xstrdup(path);
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->wlock, NULL);
	pthread_mutex_init(&st->ck_lock, NULL);
	pthread_cond_init(&st->ck_cond, NULL);
	pthread_mutex_init(&st->rd_lock, NULL);
	pthread_cond_init(&st->rd_cond, NULL);
	if (migrate(&st->base, c, err, errlen) != 0) {
		conn_close(c);
		lite_close(&st->base);
		return NULL;
	}
	st->free_conns[st->nfree++] = c;
	return &st->base;
}

void store_engine_memory(store_t *base, uint64_t *now, uint64_t *peak)
{
	*now = *peak = 0;
	if (base->be != &sqlite_backend)
		return;
	*now = (uint64_t)sqlite3_memory_used();
	*peak = (uint64_t)sqlite3_memory_highwater(0);
}

uint64_t store_wal_restarts(store_t *base)
{
	if (base->be != &sqlite_backend)
		return 0;
	return atomic_load(&SS(base)->ck_restarts);
}

uint64_t store_stmt_reprepares(store_t *base)
{
	if (base->be != &sqlite_backend)
		return 0;
	struct sqlite_store *st = SS(base);
	uint64_t n = atomic_load(&st->reprepared_gone);
	pthread_mutex_lock(&st->lock);
	for (int i = 0; i < st->nfree; i++)
		for (int k = 0; k < st->free_conns[i]->ncache; k++)
			n += (uint64_t)sqlite3_stmt_status(st->free_conns[i]->cache[k].stmt,
				SQLITE_STMTSTATUS_REPREPARE, 0);
	pthread_mutex_unlock(&st->lock);
	return n;
}

void store_sqlite_test_counts(store_t *base, int *writers_waiting, uint64_t *conns_opened)
{
	*writers_waiting = 0;
	*conns_opened = 0;
	if (base->be != &sqlite_backend)
		return;
	*writers_waiting = atomic_load(&SS(base)->writers_waiting);
	*conns_opened = atomic_load(&SS(base)->conns_opened);
}

uint64_t store_sqlite_test_cache_misses(store_tx_t *tx)
{
	if (tx->st->be != &sqlite_backend)
		return 0;
	int cur = 0, high = 0;
	sqlite3_db_status(ST(tx)->c->db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &high, 0);
	return (uint64_t)cur;
}

void store_wal_restart_held(store_t *base, uint64_t *total_ns, uint64_t *max_ns)
{
	*total_ns = *max_ns = 0;
	if (base->be != &sqlite_backend)
		return;
	struct sqlite_store *st = SS(base);
	pthread_mutex_lock(&st->ck_lock);
	*total_ns = st->ck_held_ns;
	*max_ns = st->ck_held_max_ns;
	pthread_mutex_unlock(&st->ck_lock);
}
