/* The backend-neutral part of the store: the sq_* helpers the area files
 * use (store_int.h), built on the backend's primitives, and the store.h
 * entry points that only dispatch to the backend. */
#include "store.h"
#include "store_int.h"
#include "store_rate.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "numparse.h"
#include "timeutil.h"
#include "xalloc.h"

void sq_db_time(store_t *st, int64_t t0)
{
	atomic_fetch_add(&st->db_ns, time_mono_ns() - t0);
}

bool sq_is_write(const char *sql)
{
	while (*sql == ' ')
		sql++;
	return strncmp(sql, "INSERT", 6) == 0 || strncmp(sql, "UPDATE", 6) == 0 ||
		strncmp(sql, "DELETE", 6) == 0;
}

/* A write in a read transaction is a programming error (the route or the
 * caller began the wrong kind): refused loudly, never run, since it would
 * take the database's write lock behind the writers' queue (SQLite) or
 * write outside the writers' lock (PostgreSQL). */
static bool refused_in_read(store_tx_t *tx, const char *sql)
{
	if (tx->write)
		return false;
	log_event(LOG_ERROR, "store.write_in_read_tx", "sql=%.120s", sql);
	return true;
}

json_t *sq_rows(store_tx_t *tx, const char *sql, const char *types, ...)
{
	if (sq_is_write(sql) && refused_in_read(tx, sql))
		return NULL;
	va_list ap;
	va_start(ap, types);
	json_t *rows = tx->st->be->rows(tx, false, sql, types, ap);
	va_end(ap);
	return rows;
}

json_t *sq_one(store_tx_t *tx, const char *sql, const char *types, ...)
{
	if (sq_is_write(sql) && refused_in_read(tx, sql))
		return NULL;
	va_list ap;
	va_start(ap, types);
	json_t *rows = tx->st->be->rows(tx, true, sql, types, ap);
	va_end(ap);
	json_t *row = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return row;
}

int sq_exec(store_tx_t *tx, bool must_change, const char *sql, const char *types, ...)
{
	if (sq_is_write(sql) && refused_in_read(tx, sql))
		return STORE_ERROR;
	va_list ap;
	va_start(ap, types);
	int rc = tx->st->be->exec(tx, must_change, sql, types, ap);
	va_end(ap);
	return rc;
}

int sq_changes(store_tx_t *tx)
{
	return tx->st->be->changes(tx);
}

/* INSERT INTO table (cols…) VALUES (?…) for the columns of `cols` that obj
 * has (absent ones take the column's default). Column names come from our
 * own tables, values are bound. */
/* Columns one sq_insert or sq_update may set; more is a programming error,
 * refused loudly rather than cut short. */
#define SQ_COLS_MAX 64
/* Longest statement they build. */
#define SQ_SQL_MAX 8192

/* Collects the members of obj named in names, in order, into vals (and
 * their names into got, when not NULL; *mask, when not NULL, gains a bit
 * per place taken); the count, or -1 (logged) when there are more than
 * SQ_COLS_MAX. */
static int sq_collect(const char *table, const char *const *names, const json_t *obj,
	const json_t *vals[SQ_COLS_MAX], const char *got[SQ_COLS_MAX], uint64_t *mask)
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
		if (got)
			got[nv] = names[i];
		if (mask)
			*mask |= (uint64_t)1 << (i % 64);
		vals[nv++] = v;
	}
	return nv;
}

/* The statements sq_insert built, by table and the columns the row has:
 * the text was formatted anew for every row before (a printf per column,
 * about a tenth of an audit event's cost). An entry is found by the
 * addresses of the table's name and of each column's name, which are
 * constant strings (store_int.h). Entries live as long as the process. */
#define SQ_MEMO 128
struct insert_memo {
	const char *table;
	const char *const *cols;
	uint64_t mask;
	int n;
	const char *names[SQ_COLS_MAX];
	char *sql;
};
static struct insert_memo insert_memo[SQ_MEMO];
static pthread_mutex_t insert_memo_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t memo_slot(const char *table, const char *const *cols, uint64_t mask)
{
	uint64_t h = ((uint64_t)(uintptr_t)table * 31u) ^ (uint64_t)(uintptr_t)cols ^
		(mask * 0x9e3779b97f4a7c15u);
	return (size_t)((h ^ (h >> 29)) % SQ_MEMO);
}

static bool memo_is(const struct insert_memo *m, const char *table, const char *const *cols,
	uint64_t mask, const char *const *names, int n)
{
	if (!m->sql || m->table != table || m->cols != cols || m->mask != mask || m->n != n)
		return false;
	for (int i = 0; i < n; i++)
		if (m->names[i] != names[i])
			return false;
	return true;
}

/* The statement for these columns (names, n of them; cols and mask, their
 * places in cols, only spread the slots), from the memo or built and kept there; NULL when too long
 * (logged). The memo's text is never freed; a built one that found no
 * room is returned in *own for the caller to free. */
static const char *insert_sql(const char *table, const char *const *cols, uint64_t mask,
	const char *const *names, int n, char **own)
{
	*own = NULL;
	size_t slot = memo_slot(table, cols, mask);
	pthread_mutex_lock(&insert_memo_lock);
	for (int k = 0; k < 4; k++) {
		const struct insert_memo *m = &insert_memo[(slot + (size_t)k) % SQ_MEMO];
		if (memo_is(m, table, cols, mask, names, n)) {
			const char *sql = m->sql;
			pthread_mutex_unlock(&insert_memo_lock);
			return sql;
		}
	}
	pthread_mutex_unlock(&insert_memo_lock);
	buf_t sql, marks;
	buf_init(&sql, SQ_SQL_MAX);
	buf_init(&marks, SQ_SQL_MAX);
	int bad = buf_printf(&sql, "INSERT INTO %s (", table);
	for (int i = 0; i < n; i++) {
		bad |= buf_printf(&sql, "%s%s", i ? "," : "", names[i]);
		bad |= buf_printf(&marks, "%s?", i ? "," : "");
	}
	bad |= buf_printf(&sql, ") VALUES (%s)", n ? marks.data : "");
	buf_free(&marks);
	if (bad) {
		log_event(LOG_ERROR, "store.statement_too_long", "table=%s max=%d", table, SQ_SQL_MAX);
		buf_free(&sql);
		return NULL;
	}
	char *text = buf_steal(&sql);
	const char *out = text;
	pthread_mutex_lock(&insert_memo_lock);
	bool kept = false;
	for (int k = 0; k < 4 && !kept; k++) {
		struct insert_memo *m = &insert_memo[(slot + (size_t)k) % SQ_MEMO];
		if (memo_is(m, table, cols, mask, names, n)) {
			/* Another thread kept the same meanwhile. */
			out = m->sql;
			break;
		}
		if (!m->sql) {
			*m = (struct insert_memo){ .table = table, .cols = cols, .mask = mask, .n = n,
				.sql = text };
			memcpy(m->names, names, sizeof names[0] * (size_t)n);
			kept = true;
		}
	}
	pthread_mutex_unlock(&insert_memo_lock);
	if (!kept)
		*own = text;
	return out;
}

int sq_insert(store_tx_t *tx, const char *table, const char *const *cols, const json_t *obj)
{
	const json_t *vals[SQ_COLS_MAX];
	const char *names[SQ_COLS_MAX];
	if (refused_in_read(tx, table))
		return STORE_ERROR;
	/* The row's columns, in the list's order, and their places in it
	 * (only to spread the memo's slots). */
	uint64_t mask = 0;
	int nv = sq_collect(table, cols, obj, vals, names, &mask);
	if (nv < 0)
		return STORE_ERROR;
	char *own = NULL;
	const char *sql = insert_sql(table, cols, mask, names, nv, &own);
	int rc = sql ? tx->st->be->run(tx, sql, vals, nv, NULL, false) : STORE_ERROR;
	free(own);
	return rc;
}

/* UPDATE table SET k=? … WHERE id=? for the keys of fields that are in the
 * allowed list (others are ignored). `extra` adds a fixed condition. */
int sq_update(store_tx_t *tx, const char *table, const char *const *allowed,
	const char *id, const json_t *fields, const char *extra)
{
	const json_t *vals[SQ_COLS_MAX];
	if (refused_in_read(tx, table))
		return STORE_ERROR;
	int nv = sq_collect(table, allowed, fields, vals, NULL, NULL);
	if (nv <= 0)
		return nv < 0 ? STORE_ERROR : STORE_OK;
	buf_t sql;
	buf_init(&sql, SQ_SQL_MAX);
	int bad = buf_printf(&sql, "UPDATE %s SET ", table);
	for (int i = 0, k = 0; allowed[i]; i++)
		if (json_object_get(fields, allowed[i]))
			bad |= buf_printf(&sql, "%s%s=?", k++ ? "," : "", allowed[i]);
	bad |= buf_printf(&sql, " WHERE id=?%s%s", extra ? " AND " : "", extra ? extra : "");
	int rc = bad ? STORE_ERROR : tx->st->be->run(tx, sql.data, vals, nv, id, true);
	if (bad)
		log_event(LOG_ERROR, "store.statement_too_long", "table=%s max=%d", table, SQ_SQL_MAX);
	buf_free(&sql);
	return rc;
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

static _Thread_local bool t_unavailable;

void sq_note_unavailable(void)
{
	t_unavailable = true;
}

bool store_unavailable_seen(void)
{
	return t_unavailable;
}

void store_unavailable_clear(void)
{
	t_unavailable = false;
}

store_tx_t *store_begin(store_t *st, bool write)
{
	if (write)
		atomic_fetch_add(&st->write_txs, 1);
	return st->be->begin(st, write);
}

uint64_t store_write_txs(store_t *st)
{
	return atomic_load(&st->write_txs);
}

uint64_t store_write_retries(store_t *st)
{
	return atomic_load(&st->write_retries);
}

bool store_tx_writes(const store_tx_t *tx)
{
	return tx->write;
}

store_t *store_tx_store(const store_tx_t *tx)
{
	return tx->st;
}

/* What runs once a transaction has ended, copied out of it before the
 * backend frees it. */
struct after_list {
	int n;
	void (*fn[STORE_AFTER_MAX])(void *);
	void *arg[STORE_AFTER_MAX];
	void (*free_arg[STORE_AFTER_MAX])(void *);
};

static void after_take(const store_tx_t *tx, struct after_list *a)
{
	a->n = tx->nafter;
	for (int i = 0; i < a->n; i++) {
		a->fn[i] = tx->after[i].fn;
		a->arg[i] = tx->after[i].arg;
		a->free_arg[i] = tx->after[i].free_arg;
	}
}

/* Runs them when committed, then releases the args the transaction owns. */
static void after_run(const struct after_list *a, bool committed)
{
	for (int i = 0; i < a->n; i++) {
		if (committed)
			a->fn[i](a->arg[i]);
		if (a->free_arg[i])
			a->free_arg[i](a->arg[i]);
	}
}

/* A read transaction's queued writes are waited for once it has ended:
 * its snapshot would otherwise keep the group's checkpoint waiting. */
int store_commit(store_tx_t *tx)
{
	store_t *st = tx->st;
	struct store_gitem *d = tx->deferred;
	/* The backend frees tx: what runs after it is copied first. */
	struct after_list a;
	after_take(tx, &a);
	int rc = st->be->commit(tx);
	/* Armed (store_detach_next), the caller goes on: its writes are
	 * waited for by store_pending_then's end. Nothing runs after it. */
	if (d && rc == STORE_OK && a.n == 0 && sq_group_detach(st, d))
		return STORE_OK;
	if (d && sq_group_wait(st, d) != 0)
		rc = STORE_ERROR;
	after_run(&a, rc == STORE_OK);
	return rc;
}

static int after_add(store_tx_t *tx, void (*fn)(void *), void *arg, void (*free_arg)(void *))
{
	for (int i = 0; i < tx->nafter; i++)
		if (tx->after[i].fn == fn && tx->after[i].arg == arg)
			return 0;
	if (tx->nafter == STORE_AFTER_MAX) {
		log_event(LOG_ERROR, "store.after_commit", "err=\"more than %d\"", STORE_AFTER_MAX);
		return -1;
	}
	tx->after[tx->nafter].fn = fn;
	tx->after[tx->nafter].arg = arg;
	tx->after[tx->nafter].free_arg = free_arg;
	tx->nafter++;
	return 0;
}

void store_tx_after_commit(store_tx_t *tx, void (*fn)(void *), void *arg)
{
	after_add(tx, fn, arg, NULL);
}

int store_tx_after_commit_owned(store_tx_t *tx, void (*fn)(void *), void *arg,
	void (*free_arg)(void *))
{
	return after_add(tx, fn, arg, free_arg);
}

void *store_tx_after_arg(const store_tx_t *tx, void (*fn)(void *))
{
	for (int i = 0; i < tx->nafter; i++)
		if (tx->after[i].fn == fn)
			return tx->after[i].arg;
	return NULL;
}

void store_rollback(store_tx_t *tx)
{
	if (!tx)
		return;
	store_t *st = tx->st;
	struct store_gitem *d = tx->deferred;
	struct after_list a;
	after_take(tx, &a);
	st->be->rollback(tx);
	if (d)
		sq_group_wait(st, d);
	after_run(&a, false);
}

void store_close(store_t *st)
{
	if (!st)
		return;
	sq_group_close(st);
	st->be->close(st);
}

int store_checkpoint(store_t *st)
{
	return st->be->checkpoint(st);
}

bool store_rate_shared(store_t *st)
{
	return st->be->rate_take != NULL;
}

int store_rate_take(store_t *st, const char *key, int rpm, int burst, int64_t now_ms, double *tokens,
	bool *allowed)
{
	if (!st->be->rate_take)
		return STORE_NOTFOUND;
	return st->be->rate_take(st, key, rpm, burst, now_ms, tokens, allowed);
}

int store_snapshot(store_t *st, const char *path, char *err, size_t errlen)
{
	return st->be->snapshot(st, path, err, errlen);
}

int store_schema_version(store_t *st)
{
	return st->version;
}

int store_ping(store_tx_t *tx)
{
	json_t *r = sq_one(tx, "SELECT max(version) AS v FROM schema_migrations", "");
	int rc = r ? STORE_OK : STORE_ERROR;
	json_decref(r);
	return rc;
}

int64_t store_db_time_ns(store_t *st)
{
	return atomic_load(&st->db_ns);
}

int store_export_snapshot(store_tx_t *tx, char *name, size_t len)
{
	if (!tx->st->row_locks || tx->write)
		return -1;
	json_t *r = sq_one(tx, "SELECT pg_export_snapshot() AS s", "");
	const char *v = json_string_value(json_object_get(r, "s"));
	int rc = v && strlen(v) < len ? 0 : -1;
	if (rc == 0)
		snprintf(name, len, "%s", v);
	json_decref(r);
	return rc;
}
