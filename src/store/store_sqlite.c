/* The SQLite backend of the store (see store.h): WAL mode, a small pool of
 * connections (one per concurrent transaction), prepared statements cached
 * per connection, parameterized statements only. */
#include "store.h"
#include "store_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "numparse.h"
#include "timeutil.h"
#include "xalloc.h"

#define STORE_POOL_MAX 32
#define STORE_STMT_CACHE 96
#define STORE_BUSY_MS 10000

struct fv_embedded {
	const char *name;
	const char *text;
};
extern const struct fv_embedded fv_migrations[];

struct stmt_slot {
	char *sql;
	sqlite3_stmt *stmt;
};

struct conn {
	sqlite3 *db;
	struct stmt_slot cache[STORE_STMT_CACHE];
	int ncache;
};

struct store {
	char *path;
	pthread_mutex_t lock;
	/* Writers of this process queue here rather than in SQLite's busy
	 * handler, which sleeps in steps and makes a long latency tail. */
	pthread_mutex_t wlock;
	struct conn *free_conns[STORE_POOL_MAX];
	int nfree;
	_Atomic int64_t db_ns;
	int version;
};

struct store_tx {
	store_t *st;
	struct conn *c;
	int64_t t0;
	bool write; /* holds st->wlock */
};

/* ---- connections ---- */

static struct conn *conn_open(const char *path, char *err, size_t errlen)
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
	struct conn *c = xcalloc(1, sizeof *c);
	c->db = db;
	return c;
}

static void conn_close(struct conn *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->ncache; i++) {
		sqlite3_finalize(c->cache[i].stmt);
		free(c->cache[i].sql);
	}
	sqlite3_close(c->db);
	free(c);
}

static sqlite3_stmt *conn_prepare(struct conn *c, const char *sql)
{
	for (int i = 0; i < c->ncache; i++)
		if (strcmp(c->cache[i].sql, sql) == 0) {
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
		sqlite3_finalize(c->cache[0].stmt);
		free(c->cache[0].sql);
		memmove(c->cache, c->cache + 1, sizeof c->cache[0] * (STORE_STMT_CACHE - 1));
		c->ncache--;
	}
	c->cache[c->ncache].sql = xstrdup(sql);
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
			v = json_stringn(t, len);
			if (!v)
				v = json_stringn_nocheck(t, len);
			break;
		}
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(s, i));
			break;
		default:
			v = json_null();
		}
		json_object_set_new(o, name, v);
	}
	return o;
}

static void db_time(store_tx_t *tx, int64_t t0)
{
	atomic_fetch_add(&tx->st->db_ns, time_mono_ns() - t0);
}

static int map_rc(store_tx_t *tx, int rc, const char *sql)
{
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_CONSTRAINT)
		return STORE_CONFLICT;
	char q[600];
	log_event(LOG_ERROR, "store.step", "rc=%d err=%s sql=%s", rc,
		log_quote(sqlite3_errmsg(tx->c->db), q, 300), sql);
	return STORE_ERROR;
}

/* The cached statement for sql with its arguments bound, or NULL. */
static sqlite3_stmt *bound(store_tx_t *tx, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *s = conn_prepare(tx->c, sql);
	if (s && bind_va(s, types, ap) != 0) {
		sqlite3_reset(s);
		return NULL;
	}
	return s;
}

/* Runs a query and returns every row as an array of objects (new reference),
 * or NULL on error. */
json_t *sq_rows(store_tx_t *tx, const char *sql, const char *types, ...)
{
	int64_t t0 = time_mono_ns();
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *s = bound(tx, sql, types, ap);
	va_end(ap);
	if (!s)
		return NULL;
	json_t *rows = json_array();
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(rows, row_to_json(s));
	sqlite3_reset(s);
	db_time(tx, t0);
	if (map_rc(tx, rc, sql) != STORE_OK) {
		json_decref(rows);
		return NULL;
	}
	return rows;
}

/* First row of a query or NULL (none, or error). */
json_t *sq_one(store_tx_t *tx, const char *sql, const char *types, ...)
{
	int64_t t0 = time_mono_ns();
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *s = bound(tx, sql, types, ap);
	va_end(ap);
	if (!s)
		return NULL;
	json_t *row = NULL;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		row = row_to_json(s);
	else
		map_rc(tx, rc, sql);
	sqlite3_reset(s);
	db_time(tx, t0);
	return row;
}

/* Executes a statement; returns STORE_OK / STORE_CONFLICT / STORE_ERROR, or
 * STORE_NOTFOUND when must_change is set and no row changed. */
int sq_exec(store_tx_t *tx, bool must_change, const char *sql, const char *types, ...)
{
	int64_t t0 = time_mono_ns();
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *s = bound(tx, sql, types, ap);
	va_end(ap);
	if (!s)
		return STORE_ERROR;
	int out = map_rc(tx, sqlite3_step(s), sql);
	if (out == STORE_OK && must_change && sqlite3_changes(tx->c->db) == 0)
		out = STORE_NOTFOUND;
	sqlite3_reset(s);
	db_time(tx, t0);
	return out;
}

/* INSERT INTO table (cols…) VALUES (?…) for the columns of `cols` that obj
 * has (absent ones take the column's default). Column names come from our
 * own tables, values are bound. */
/* Columns one sq_insert or sq_update may set; more is a programming error,
 * refused loudly rather than cut short. */
#define SQ_COLS_MAX 64
/* Longest statement they build. */
#define SQ_SQL_MAX 8192

/* Runs sql (complete) with vals bound from 1, then id when not NULL. */
static int sq_run(store_tx_t *tx, const char *sql, const json_t *const *vals, int nv,
	const char *id, bool want_change)
{
	int64_t t0 = time_mono_ns();
	sqlite3_stmt *s = conn_prepare(tx->c, sql);
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
	if (rc == STORE_OK && want_change && sqlite3_changes(tx->c->db) == 0)
		rc = STORE_NOTFOUND;
	sqlite3_reset(s);
	db_time(tx, t0);
	return rc;
}

/* Collects the members of obj named in names, in order, into vals; the
 * count, or -1 (logged) when there are more than SQ_COLS_MAX. */
static int sq_collect(const char *table, const char *const *names, const json_t *obj,
	const json_t *vals[SQ_COLS_MAX])
{
	int nv = 0;
	for (int i = 0; names[i]; i++) {
		const json_t *v = json_object_get(obj, names[i]);
		if (!v)
			continue;
		if (nv == SQ_COLS_MAX) {
			log_event(LOG_ERROR, "store.too_many_columns", "table=%s max=%d", table, SQ_COLS_MAX);
			return -1;
		}
		vals[nv++] = v;
	}
	return nv;
}

int sq_insert(store_tx_t *tx, const char *table, const char *const *cols, const json_t *obj)
{
	const json_t *vals[SQ_COLS_MAX];
	int nv = sq_collect(table, cols, obj, vals);
	if (nv < 0)
		return STORE_ERROR;
	buf_t sql, marks;
	buf_init(&sql, SQ_SQL_MAX);
	buf_init(&marks, SQ_SQL_MAX);
	int bad = buf_printf(&sql, "INSERT INTO %s (", table);
	for (int i = 0, k = 0; cols[i]; i++) {
		if (!json_object_get(obj, cols[i]))
			continue;
		bad |= buf_printf(&sql, "%s%s", k ? "," : "", cols[i]);
		bad |= buf_printf(&marks, "%s?", k++ ? "," : "");
	}
	bad |= buf_printf(&sql, ") VALUES (%s)", nv ? marks.data : "");
	int rc = bad ? STORE_ERROR : sq_run(tx, sql.data, vals, nv, NULL, false);
	if (bad)
		log_event(LOG_ERROR, "store.statement_too_long", "table=%s max=%d", table, SQ_SQL_MAX);
	buf_free(&sql);
	buf_free(&marks);
	return rc;
}

/* UPDATE table SET k=? … WHERE id=? for the keys of fields that are in the
 * allowed list (others are ignored). `extra` adds a fixed condition. */
int sq_update(store_tx_t *tx, const char *table, const char *const *allowed,
	const char *id, const json_t *fields, const char *extra)
{
	const json_t *vals[SQ_COLS_MAX];
	int nv = sq_collect(table, allowed, fields, vals);
	if (nv <= 0)
		return nv < 0 ? STORE_ERROR : STORE_OK;
	buf_t sql;
	buf_init(&sql, SQ_SQL_MAX);
	int bad = buf_printf(&sql, "UPDATE %s SET ", table);
	for (int i = 0, k = 0; allowed[i]; i++)
		if (json_object_get(fields, allowed[i]))
			bad |= buf_printf(&sql, "%s%s=?", k++ ? "," : "", allowed[i]);
	bad |= buf_printf(&sql, " WHERE id=?%s%s", extra ? " AND " : "", extra ? extra : "");
	int rc = bad ? STORE_ERROR : sq_run(tx, sql.data, vals, nv, id, true);
	if (bad)
		log_event(LOG_ERROR, "store.statement_too_long", "table=%s max=%d", table, SQ_SQL_MAX);
	buf_free(&sql);
	return rc;
}

int sq_changes(store_tx_t *tx)
{
	return sqlite3_changes(tx->c->db);
}

json_t *sq_lease(store_tx_t *tx, const char *table, json_t *rows, const char *node,
	int64_t until)
{
	if (!rows)
		return NULL;
	char sql[128];
	snprintf(sql, sizeof sql, "UPDATE %s SET lease_node=?, lease_until=? WHERE id=?", table);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		if (sq_exec(tx, true, sql, "sis", node, until,
			    json_string_value(json_object_get(r, "id"))) != STORE_OK) {
			json_decref(rows);
			return NULL;
		}
	}
	return rows;
}

/* ---- pages ---- */

void store_page_free(store_page_t *p)
{
	if (!p)
		return;
	json_decref(p->items);
	free(p->next_cursor);
	p->items = NULL;
	p->next_cursor = NULL;
}

/* Cursors are the decimal rowid (or seq) of the last item seen. */
int64_t sq_cursor(const char *cursor, int64_t dflt)
{
	int64_t v;
	if (!cursor || !*cursor || parse_i64z(cursor, 0, INT64_MAX, &v) != 0)
		return dflt;
	return v;
}

/* Rows were fetched with limit+1 and carry a "_k" sort key: trim to limit,
 * set the next cursor, and drop "_k" from every item. */
int sq_page_finish(json_t *rows, int limit, store_page_t *out)
{
	if (!rows)
		return STORE_ERROR;
	out->next_cursor = NULL;
	if ((int)json_array_size(rows) > limit) {
		json_array_remove(rows, (size_t)limit);
		json_t *last = json_array_get(rows, (size_t)limit - 1);
		out->next_cursor = xasprintf("%lld",
			(long long)json_integer_value(json_object_get(last, "_k")));
	}
	size_t i;
	json_t *it;
	json_array_foreach(rows, i, it)
		json_object_del(it, "_k");
	out->items = rows;
	return STORE_OK;
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

store_t *store_open(const char *path, char *err, size_t errlen)
{
	struct conn *c = conn_open(path, err, errlen);
	if (!c)
		return NULL;
	store_t *st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->wlock, NULL);
	if (migrate(st, c, err, errlen) != 0) {
		conn_close(c);
		store_close(st);
		return NULL;
	}
	st->free_conns[st->nfree++] = c;
	return st;
}

void store_close(store_t *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->nfree; i++)
		conn_close(st->free_conns[i]);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->wlock);
	free(st->path);
	free(st);
}

int store_schema_version(store_t *st)
{
	return st->version;
}

int64_t store_db_time_ns(store_t *st)
{
	return atomic_load(&st->db_ns);
}

static struct conn *pool_get(store_t *st)
{
	pthread_mutex_lock(&st->lock);
	struct conn *c = st->nfree ? st->free_conns[--st->nfree] : NULL;
	pthread_mutex_unlock(&st->lock);
	if (c)
		return c;
	char err[256];
	c = conn_open(st->path, err, sizeof err);
	if (!c)
		log_event(LOG_ERROR, "store.open", "err=\"%s\"", err);
	return c;
}

static void pool_put(store_t *st, struct conn *c)
{
	pthread_mutex_lock(&st->lock);
	if (st->nfree < STORE_POOL_MAX) {
		st->free_conns[st->nfree++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&st->lock);
	conn_close(c);
}

int store_snapshot(store_t *st, const char *path, char *err, size_t errlen)
{
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

store_tx_t *store_begin(store_t *st, bool write)
{
	struct conn *c = pool_get(st);
	if (!c)
		return NULL;
	int64_t t0 = time_mono_ns();
	if (write)
		pthread_mutex_lock(&st->wlock);
	if (sqlite3_exec(c->db, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		log_event(LOG_ERROR, "store.begin", "err=\"%s\"", sqlite3_errmsg(c->db));
		if (write)
			pthread_mutex_unlock(&st->wlock);
		pool_put(st, c);
		return NULL;
	}
	store_tx_t *tx = xcalloc(1, sizeof *tx);
	tx->st = st;
	tx->c = c;
	tx->t0 = t0;
	tx->write = write;
	db_time(tx, t0);
	return tx;
}

json_t *store_claim_batch(store_t *st, store_claim_fn claim, int64_t now, const char *node,
	int64_t lease_ms, int limit)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return NULL;
	json_t *batch = claim(tx, now, node, lease_ms, limit);
	if (!batch) {
		store_rollback(tx);
		return NULL;
	}
	if (store_commit(tx) != STORE_OK) {
		json_decref(batch);
		return NULL;
	}
	return batch;
}

int store_commit(store_tx_t *tx)
{
	int64_t t0 = time_mono_ns();
	int rc = sqlite3_exec(tx->c->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? STORE_OK : STORE_ERROR;
	if (rc != STORE_OK) {
		log_event(LOG_ERROR, "store.commit", "err=\"%s\"", sqlite3_errmsg(tx->c->db));
		sqlite3_exec(tx->c->db, "ROLLBACK", NULL, NULL, NULL);
	}
	db_time(tx, t0);
	if (tx->write)
		pthread_mutex_unlock(&tx->st->wlock);
	pool_put(tx->st, tx->c);
	free(tx);
	return rc;
}

void store_rollback(store_tx_t *tx)
{
	if (!tx)
		return;
	sqlite3_exec(tx->c->db, "ROLLBACK", NULL, NULL, NULL);
	if (tx->write)
		pthread_mutex_unlock(&tx->st->wlock);
	pool_put(tx->st, tx->c);
	free(tx);
}

int store_checkpoint(store_t *st)
{
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

/* ---- partners ---- */

static const char *const partner_cols[] = { "id", "name", "status", "created_at", NULL };

int store_partner_insert(store_tx_t *tx, const json_t *p)
{
	return sq_insert(tx, "partners", partner_cols, p);
}

json_t *store_partner_get(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT id, name, status, created_at, max_accounts FROM partners WHERE id=?",
		"s", id);
}

int store_partner_list(store_tx_t *tx, const char *cursor, int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx,
		"SELECT rowid AS _k, id, name, status, created_at FROM partners WHERE rowid > ?"
		" ORDER BY rowid LIMIT ?", "in", sq_cursor(cursor, 0), limit + 1), limit, out);
}

int store_partner_update(store_tx_t *tx, const char *id, const json_t *fields)
{
	static const char *const allowed[] = { "name", "status", "max_accounts", NULL };
	return sq_update(tx, "partners", allowed, id, fields, NULL);
}

/* ---- accounts ---- */

static const char *const account_cols[] = { "id", "name", "status", "regulatory_profile",
	"partner_id", "owner_id", "currency", "fax_header", "created_at", "updated_at", NULL };
static const char *const account_upd[] = { "name", "status", "regulatory_profile", "owner_id",
	"currency", "fax_header", "updated_at", NULL };

int store_account_insert(store_tx_t *tx, const json_t *a)
{
	return sq_insert(tx, "accounts", account_cols, a);
}

#define ACCOUNT_SELECT "SELECT id, name, status, regulatory_profile, partner_id, owner_id, currency," \
	" fax_header, created_at, updated_at FROM accounts"

json_t *store_account_get(store_tx_t *tx, const char *id, const char *partner_id)
{
	if (partner_id)
		return sq_one(tx, ACCOUNT_SELECT " WHERE id=? AND partner_id=?", "ss", id, partner_id);
	return sq_one(tx, ACCOUNT_SELECT " WHERE id=?", "s", id);
}

int store_account_update(store_tx_t *tx, const char *id, const json_t *fields)
{
	return sq_update(tx, "accounts", account_upd, id, fields, NULL);
}

int store_account_list(store_tx_t *tx, const char *partner_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx,
		"SELECT a.rowid AS _k, a.id, a.name, a.status, a.regulatory_profile, a.partner_id, a.currency,"
		" a.fax_header, a.owner_id, p.email AS owner_email, p.name AS owner_name, a.created_at, a.updated_at"
		" FROM accounts a LEFT JOIN principals p ON p.id = a.owner_id"
		" WHERE a.rowid > ? AND (? IS NULL OR a.partner_id = ?) ORDER BY a.rowid LIMIT ?", "issn", sq_cursor(cursor, 0), partner_id, partner_id,
		limit + 1), limit, out);
}

/* ---- principals ---- */

static const char *const principal_cols[] = { "id", "kind", "account_id", "partner_id", "email",
	"name", "role", "permissions", "status", "password_hash", "created_at", "updated_at", NULL };
static const char *const principal_upd[] = { "name", "role", "permissions", "status",
	"password_hash", "updated_at", "password_changed_at", "failed_logins", "locked_until",
	"last_login_at", "totp_secret", "totp_confirmed_at", "totp_last_step", "lang", NULL };

#define PRINCIPAL_COLS "id, kind, account_id, partner_id, email, name, role, permissions," \
	" status, password_hash, created_at, updated_at, password_changed_at, failed_logins," \
	" locked_until, last_login_at, totp_secret, totp_confirmed_at, totp_last_step, lang"

int store_principal_insert(store_tx_t *tx, const json_t *p)
{
	return sq_insert(tx, "principals", principal_cols, p);
}

json_t *store_principal_get(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT " PRINCIPAL_COLS " FROM principals WHERE id=?", "s", id);
}

json_t *store_principal_by_email(store_tx_t *tx, const char *email)
{
	return sq_one(tx, "SELECT " PRINCIPAL_COLS " FROM principals WHERE email=?"
		" AND status <> 'deprovisioned'", "s", email);
}

json_t *store_member_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " PRINCIPAL_COLS " FROM principals WHERE id=? AND kind='account'"
		" AND account_id=?", "ss", id, account_id);
}

int store_principal_update(store_tx_t *tx, const char *id, const json_t *fields)
{
	return sq_update(tx, "principals", principal_upd, id, fields, NULL);
}

int store_principal_list(store_tx_t *tx, const char *kind, const char *scope_id,
	const char *cursor, int limit, store_page_t *out)
{
	const char *sql;
	if (strcmp(kind, "account") == 0)
		sql = "SELECT rowid AS _k, " PRINCIPAL_COLS " FROM principals WHERE rowid > ?"
		      " AND kind='account' AND account_id=? ORDER BY rowid LIMIT ?";
	else if (strcmp(kind, "partner") == 0)
		sql = "SELECT rowid AS _k, " PRINCIPAL_COLS " FROM principals WHERE rowid > ?"
		      " AND kind='partner' AND partner_id=? ORDER BY rowid LIMIT ?";
	else
		sql = "SELECT rowid AS _k, " PRINCIPAL_COLS " FROM principals WHERE rowid > ?"
		      " AND kind='provider' AND ? IS NULL ORDER BY rowid LIMIT ?";
	return sq_page_finish(sq_rows(tx, sql, "isn", sq_cursor(cursor, 0),
		strcmp(kind, "provider") == 0 ? NULL : scope_id, limit + 1), limit, out);
}

int store_principal_count(store_tx_t *tx, const char *kind)
{
	json_t *r = sq_one(tx, "SELECT count(*) AS n FROM principals WHERE kind=?", "s", kind);
	int n = r ? (int)json_integer_value(json_object_get(r, "n")) : -1;
	json_decref(r);
	return n;
}

int store_principal_count_role(store_tx_t *tx, const char *kind, const char *role)
{
	json_t *r = sq_one(tx, "SELECT count(*) AS n FROM principals WHERE kind=? AND role=?"
		" AND status='active'", "ss", kind, role);
	int n = r ? (int)json_integer_value(json_object_get(r, "n")) : -1;
	json_decref(r);
	return n;
}

/* ---- invitations ---- */

int store_invitation_insert(store_tx_t *tx, const char *token_hash, const char *principal_id,
	int64_t expires_at)
{
	return sq_exec(tx, false, "INSERT INTO invitations (token_hash, principal_id, expires_at)"
		" VALUES (?,?,?)", "ssi", token_hash, principal_id, expires_at);
}

/* The principal id (caller frees) of a single-use token of `table`
 * (invitations, password_resets), or NULL when it is unknown, used or
 * expired; `use` marks it used. The table name is ours, never a caller's. */
static char *token_take(store_tx_t *tx, const char *table, const char *token_hash, int64_t now,
	bool use)
{
	char sel[160], upd[160];
	snprintf(sel, sizeof sel, "SELECT principal_id FROM %s WHERE token_hash=? AND used_at IS NULL"
		" AND expires_at > ?", table);
	snprintf(upd, sizeof upd, "UPDATE %s SET used_at=? WHERE token_hash=?", table);
	json_t *r = sq_one(tx, sel, "si", token_hash, now);
	if (!r)
		return NULL;
	char *id = xstrdup(json_string_value(json_object_get(r, "principal_id")));
	json_decref(r);
	if (use && sq_exec(tx, true, upd, "is", now, token_hash) != STORE_OK) {
		free(id);
		return NULL;
	}
	return id;
}

char *store_invitation_take(store_tx_t *tx, const char *token_hash, int64_t now)
{
	return token_take(tx, "invitations", token_hash, now, true);
}

char *store_invitation_find(store_tx_t *tx, const char *token_hash, int64_t now)
{
	return token_take(tx, "invitations", token_hash, now, false);
}

/* ---- sessions ---- */

static const char *const session_cols[] = { "id", "token_hash", "principal_id", "source",
	"created_at", "last_seen_at", "expires_at", NULL };

int store_session_insert(store_tx_t *tx, const json_t *s)
{
	return sq_insert(tx, "sessions", session_cols, s);
}

json_t *store_session_by_hash(store_tx_t *tx, const char *h)
{
	return sq_one(tx, "SELECT id, principal_id, source, created_at, last_seen_at, expires_at"
		" FROM sessions WHERE token_hash=? AND revoked_at IS NULL", "s", h);
}

int store_session_touch(store_tx_t *tx, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE sessions SET last_seen_at=? WHERE id=?", "is", now, id);
}

int store_session_revoke(store_tx_t *tx, const char *principal_id, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE sessions SET revoked_at=? WHERE id=? AND principal_id=?"
		" AND revoked_at IS NULL", "iss", now, id, principal_id);
}

int store_session_revoke_all(store_tx_t *tx, const char *principal_id, const char *keep_id,
	int64_t now)
{
	return sq_exec(tx, false, "UPDATE sessions SET revoked_at=? WHERE principal_id=?"
		" AND revoked_at IS NULL AND (? IS NULL OR id <> ?)", "isss", now, principal_id, keep_id,
		keep_id);
}

json_t *store_session_list(store_tx_t *tx, const char *principal_id, int64_t now)
{
	return sq_rows(tx, "SELECT id, source, created_at, last_seen_at, expires_at FROM sessions"
		" WHERE principal_id=? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at",
		"si", principal_id, now);
}

bool store_session_seen_from(store_tx_t *tx, const char *principal_id, const char *source,
	int64_t since)
{
	json_t *r = sq_one(tx, "SELECT 1 AS seen FROM sessions WHERE principal_id=? AND source=?"
		" AND created_at >= ? LIMIT 1", "ssi", principal_id, source, since);
	bool seen = r != NULL;
	json_decref(r);
	return seen;
}

/* ---- API keys ---- */

static const char *const apikey_cols[] = { "id", "account_id", "creator_id", "name", "prefix",
	"secret_hash", "permissions", "expires_at", "created_at", NULL };
#define APIKEY_COLS "id, account_id, creator_id, name, prefix, permissions, expires_at," \
	" created_at, last_used_at, revoked_at"

int store_apikey_insert(store_tx_t *tx, const json_t *k)
{
	return sq_insert(tx, "api_keys", apikey_cols, k);
}

json_t *store_apikey_by_hash(store_tx_t *tx, const char *h)
{
	return sq_one(tx, "SELECT " APIKEY_COLS " FROM api_keys WHERE secret_hash=?"
		" AND revoked_at IS NULL", "s", h);
}

int store_apikey_list(store_tx_t *tx, const char *account_id, const char *creator_id,
	const char *cursor, int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " APIKEY_COLS " FROM api_keys"
		" WHERE rowid > ? AND account_id=? AND (? IS NULL OR creator_id=?) AND revoked_at IS NULL"
		" ORDER BY rowid LIMIT ?", "isssn", sq_cursor(cursor, 0), account_id, creator_id,
		creator_id, limit + 1), limit, out);
}

json_t *store_apikey_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " APIKEY_COLS " FROM api_keys WHERE id=? AND account_id=?"
		" AND revoked_at IS NULL", "ss", id, account_id);
}

int store_apikey_revoke(store_tx_t *tx, const char *account_id, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE api_keys SET revoked_at=? WHERE id=? AND account_id=?"
		" AND revoked_at IS NULL", "iss", now, id, account_id);
}

int store_apikey_revoke_by_creator(store_tx_t *tx, const char *creator_id, int64_t now)
{
	return sq_exec(tx, false, "UPDATE api_keys SET revoked_at=? WHERE creator_id=?"
		" AND revoked_at IS NULL", "is", now, creator_id);
}

int store_apikey_touch(store_tx_t *tx, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE api_keys SET last_used_at=? WHERE id=?", "is", now, id);
}

/* ---- audit ---- */

static const char *const audit_cols[] = { "seq", "id", "time", "actor_id", "actor_type",
	"on_behalf_of", "action", "target", "account_id", "source", "outcome", "detail",
	"prev_hash", "hash", "chain", NULL };
#define AUDIT_COLS "seq, id, time, actor_id, actor_type, on_behalf_of, action, target," \
	" account_id, source, outcome, detail, prev_hash, hash, chain"

int store_audit_head(store_tx_t *tx, int64_t *seq, char hash[65], int *chain)
{
	json_t *r = sq_one(tx, "SELECT seq, hash, chain FROM audit_events ORDER BY seq DESC LIMIT 1", "");
	if (chain)
		*chain = 0;
	if (!r) {
		*seq = 0;
		memset(hash, '0', 64);
		hash[64] = '\0';
		return STORE_OK;
	}
	*seq = json_integer_value(json_object_get(r, "seq"));
	snprintf(hash, 65, "%s", json_string_value(json_object_get(r, "hash")));
	if (chain)
		*chain = (int)json_integer_value(json_object_get(r, "chain"));
	json_decref(r);
	return STORE_OK;
}

int store_audit_hash_at(store_tx_t *tx, int64_t seq, char hash[65])
{
	json_t *r = sq_one(tx, "SELECT hash FROM audit_events WHERE seq=?", "i", seq);
	if (!r)
		return STORE_NOTFOUND;
	snprintf(hash, 65, "%s", json_string_value(json_object_get(r, "hash")));
	json_decref(r);
	return STORE_OK;
}

int store_audit_insert(store_tx_t *tx, const json_t *e)
{
	return sq_insert(tx, "audit_events", audit_cols, e);
}

int store_audit_list(store_tx_t *tx, const store_audit_filter_t *f, const char *cursor,
	int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT seq AS _k, " AUDIT_COLS " FROM audit_events"
		" WHERE seq < ? AND (? IS NULL OR account_id = ?) AND (? = 0 OR time >= ?)"
		" AND (? = 0 OR time < ?) AND (? IS NULL OR actor_id = ? OR on_behalf_of = ?)"
		" AND (? IS NULL OR action = ?) ORDER BY seq DESC LIMIT ?",
		"issiiiisssssn", sq_cursor(cursor, INT64_MAX), f->account_id, f->account_id,
		f->since, f->since, f->until, f->until, f->actor_id, f->actor_id, f->actor_id,
		f->action, f->action, limit + 1), limit, out);
}

int store_audit_foreach(store_t *st, int (*fn)(const json_t *, void *), void *arg)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return STORE_ERROR;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(tx->c->db, "SELECT " AUDIT_COLS " FROM audit_events ORDER BY seq",
		    -1, &s, NULL) != SQLITE_OK) {
		store_rollback(tx);
		return STORE_ERROR;
	}
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *e = row_to_json(s);
		rc = fn(e, arg);
		json_decref(e);
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = STORE_ERROR;
	sqlite3_finalize(s);
	store_rollback(tx);
	return rc;
}

static const char *const checkpoint_cols[] = { "seq", "prev_seq", "mac", "time", "signature",
	"created_at", NULL };
#define CHECKPOINT_COLS "seq, prev_seq, mac, time, signature, created_at"

int store_audit_checkpoint_insert(store_tx_t *tx, const json_t *cp)
{
	return sq_insert(tx, "audit_checkpoints", checkpoint_cols, cp);
}

json_t *store_audit_checkpoint_last(store_tx_t *tx)
{
	return sq_one(tx, "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
		"");
}

json_t *store_audit_checkpoint_all(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints ORDER BY seq", "");
}

int store_audit_checkpoint_list(store_tx_t *tx, const char *account_id, const char *cursor,
	int limit, store_page_t *out)
{
	/* An account's checkpoints are those whose span (prev_seq, seq] holds
	 * one of its events (the index on (account_id, seq) answers that). */
	return sq_page_finish(sq_rows(tx, "SELECT c.seq AS _k, c.seq, c.prev_seq, c.mac, c.time,"
		" c.signature, c.created_at FROM audit_checkpoints c WHERE c.seq < ? AND (? IS NULL OR"
		" EXISTS (SELECT 1 FROM audit_events e WHERE e.account_id = ? AND e.seq > c.prev_seq"
		" AND e.seq <= c.seq)) ORDER BY c.seq DESC LIMIT ?", "issn",
		sq_cursor(cursor, INT64_MAX), account_id, account_id, limit + 1), limit, out);
}

/* ---- account settings ---- */

json_t *store_settings_get(store_tx_t *tx, const char *account_id)
{
	return sq_one(tx, "SELECT security, contacts_confirmed_at, updated_at FROM account_settings"
		" WHERE account_id=?", "s", account_id);
}

int store_settings_put(store_tx_t *tx, const char *account_id, const char *security, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO account_settings (account_id, security, updated_at)"
		" VALUES (?,?,?) ON CONFLICT (account_id) DO UPDATE SET security=excluded.security,"
		" updated_at=excluded.updated_at", "ssi", account_id, security, now);
}

int store_contacts_confirm(store_tx_t *tx, const char *account_id, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO account_settings (account_id, contacts_confirmed_at,"
		" updated_at) VALUES (?,?,?) ON CONFLICT (account_id) DO UPDATE SET"
		" contacts_confirmed_at=excluded.contacts_confirmed_at", "sii", account_id, now, now);
}

json_t *store_members_all(store_tx_t *tx, const char *account_id)
{
	return sq_rows(tx, "SELECT " PRINCIPAL_COLS " FROM principals WHERE kind='account'"
		" AND account_id=? ORDER BY rowid", "s", account_id);
}

json_t *store_account_sessions(store_tx_t *tx, const char *account_id, int64_t now)
{
	return sq_rows(tx, "SELECT s.id, s.principal_id, p.email, s.source, s.created_at,"
		" s.last_seen_at, s.expires_at FROM sessions s JOIN principals p ON p.id = s.principal_id"
		" WHERE p.account_id=? AND s.revoked_at IS NULL AND s.expires_at > ?"
		" ORDER BY s.created_at", "si", account_id, now);
}

int store_account_session_revoke(store_tx_t *tx, const char *account_id, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE sessions SET revoked_at=? WHERE id=? AND revoked_at IS NULL"
		" AND principal_id IN (SELECT id FROM principals WHERE account_id=?)", "iss", now, id,
		account_id);
}

/* ---- passwords ---- */

int store_pwhistory_add(store_tx_t *tx, const char *principal_id, const char *hash, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO password_history (principal_id, hash, created_at)"
		" VALUES (?,?,?)", "ssi", principal_id, hash, now);
}

json_t *store_pwhistory_recent(store_tx_t *tx, const char *principal_id, int n)
{
	json_t *rows = sq_rows(tx, "SELECT hash FROM password_history WHERE principal_id=?"
		" ORDER BY created_at DESC, rowid DESC LIMIT ?", "sn", principal_id, n);
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(out, json_object_get(r, "hash"));
	json_decref(rows);
	return out;
}

json_t *store_login_failures_get(store_tx_t *tx, const char *source)
{
	return sq_one(tx, "SELECT failures, first_at, locked_until FROM login_failures WHERE source=?",
		"s", source);
}

int store_login_failures_put(store_tx_t *tx, const char *source, int failures, int64_t first_at,
	int64_t locked_until)
{
	return sq_exec(tx, false, "INSERT INTO login_failures (source, failures, first_at, locked_until)"
		" VALUES (?,?,?,?) ON CONFLICT (source) DO UPDATE SET failures=excluded.failures,"
		" first_at=excluded.first_at, locked_until=excluded.locked_until", "snii", source,
		failures, first_at, locked_until);
}

int store_login_failures_clear(store_tx_t *tx, const char *source)
{
	return sq_exec(tx, false, "DELETE FROM login_failures WHERE source=?", "s", source);
}

int store_reset_insert(store_tx_t *tx, const char *token_hash, const char *principal_id,
	int64_t expires_at)
{
	return sq_exec(tx, false, "INSERT INTO password_resets (token_hash, principal_id, expires_at)"
		" VALUES (?,?,?)", "ssi", token_hash, principal_id, expires_at);
}

char *store_reset_take(store_tx_t *tx, const char *token_hash, int64_t now)
{
	return token_take(tx, "password_resets", token_hash, now, true);
}

char *store_reset_find(store_tx_t *tx, const char *token_hash, int64_t now)
{
	return token_take(tx, "password_resets", token_hash, now, false);
}

/* ---- second factor ---- */

int store_recovery_replace(store_tx_t *tx, const char *principal_id, const char *const *hashes, int n)
{
	int rc = sq_exec(tx, false, "DELETE FROM recovery_codes WHERE principal_id=?", "s", principal_id);
	for (int i = 0; rc == STORE_OK && i < n; i++)
		rc = sq_exec(tx, false, "INSERT INTO recovery_codes (principal_id, code_hash) VALUES (?,?)",
			"ss", principal_id, hashes[i]);
	return rc;
}

int store_recovery_use(store_tx_t *tx, const char *principal_id, const char *hash, int64_t now)
{
	return sq_exec(tx, true, "UPDATE recovery_codes SET used_at=? WHERE principal_id=?"
		" AND code_hash=? AND used_at IS NULL", "iss", now, principal_id, hash);
}

int store_recovery_unused(store_tx_t *tx, const char *principal_id)
{
	json_t *r = sq_one(tx, "SELECT count(*) AS n FROM recovery_codes WHERE principal_id=?"
		" AND used_at IS NULL", "s", principal_id);
	int n = r ? (int)json_integer_value(json_object_get(r, "n")) : -1;
	json_decref(r);
	return n;
}

/* ---- terms of service ---- */

int store_terms_insert(store_tx_t *tx, const char *version, const char *text_en,
	const char *text_fr, const char *by, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO terms (version, text_en, text_fr, published_at,"
		" published_by) VALUES (?,?,?,?,?)", "sssis", version, text_en, text_fr, now, by);
}

json_t *store_terms_current(store_tx_t *tx)
{
	return sq_one(tx, "SELECT version, text_en, text_fr, published_at FROM terms"
		" ORDER BY published_at DESC, rowid DESC LIMIT 1", "");
}

bool store_terms_accepted(store_tx_t *tx, const char *principal_id, const char *version)
{
	json_t *r = sq_one(tx, "SELECT 1 AS y FROM terms_acceptances WHERE principal_id=? AND version=?",
		"ss", principal_id, version);
	json_decref(r);
	return r != NULL;
}

int store_terms_accept(store_tx_t *tx, const char *principal_id, const char *version,
	const char *source, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO terms_acceptances (principal_id, version, accepted_at,"
		" source) VALUES (?,?,?,?) ON CONFLICT DO NOTHING", "ssis", principal_id, version, now,
		source);
}

json_t *store_terms_pending(store_tx_t *tx, const char *account_id, const char *version)
{
	return sq_rows(tx, "SELECT p.id, p.email, p.name, p.role FROM principals p"
		" WHERE p.kind='account' AND p.account_id=? AND p.status='active' AND NOT EXISTS"
		" (SELECT 1 FROM terms_acceptances t WHERE t.principal_id=p.id AND t.version=?)"
		" ORDER BY p.rowid", "ss", account_id, version);
}

/* ---- idempotency ---- */

int store_idem_get(store_tx_t *tx, const char *principal_id, const char *key, json_t **rec)
{
	*rec = sq_one(tx, "SELECT request_hash, status, body FROM idempotency_keys"
		" WHERE principal_id=? AND key=?", "ss", principal_id, key);
	return *rec ? STORE_OK : STORE_NOTFOUND;
}

int store_idem_put(store_tx_t *tx, const char *principal_id, const char *key,
	const char *request_hash, int status, const char *body, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO idempotency_keys (principal_id, key, request_hash,"
		" status, body, created_at) VALUES (?,?,?,?,?,?)", "sssnsi", principal_id, key,
		request_hash, status, body, now);
}
