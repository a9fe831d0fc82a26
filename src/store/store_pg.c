/* The PostgreSQL backend of the store (see store.h, store_int.h): libpq,
 * a small pool of connections (one per concurrent transaction, as the
 * SQLite backend), parameterized statements only.
 *
 * Transactions. A write transaction is READ COMMITTED and takes one
 * transaction-scoped advisory lock (STORE_PG_WRITE_LOCK) at BEGIN: writers
 * of every node queue there, one at a time, as SQLite's single write lock
 * makes them, so the domain's read-then-write steps (the audit chain's head,
 * quotas, single-use tokens) keep the meaning they have on SQLite and each
 * audit chain stays verifiable whatever the number of nodes. Since no two
 * of them overlap, no serialization failure (40001) or deadlock can arise
 * between them. One kind of write transaction does not take it: a group
 * commit's transaction of audit events only (store_group.c,
 * pg_begin_chains) takes the advisory lock of one of its chains instead
 * (groups of one chain queue there in turn), the others' only if free,
 * and is ordered against the write transactions by its chains' head rows
 * (audit_heads, FOR UPDATE). It never waits holding a head, nor for a lock
 * a write transaction could want while holding one (sq_audit_lock_heads):
 * with at most one holder of the write lock at a time, no cycle of waits,
 * no deadlock, can form. So groups of different chains commit at once. A read transaction is REPEATABLE READ: one snapshot
 * for all its statements, like SQLite's read transaction; its BEGIN goes
 * in the pipeline of its first statement (no round trip of its own; one
 * that runs nothing sends nothing).
 *
 * A statement that fails inside a PostgreSQL transaction aborts it, where
 * SQLite only fails the statement; the domain relies on the latter (an
 * insert refused as a conflict, then another step). Each write statement
 * therefore runs under a savepoint that is rolled back when it fails.
 *
 * Rows come back as on SQLite: integers (int2/4/8, oid, and numeric
 * without a fraction, as SUM gives) as JSON integers, floats as reals,
 * booleans as 0/1, NULL as null, anything else as a string. A violated
 * constraint (SQLSTATE class 23) answers STORE_CONFLICT.
 *
 * Deadlines. Every round trip of the store's connections (a statement's
 * pipeline, BEGIN, COMMIT, ROLLBACK, the rate-limit upsert, a session's set-up)
 * is sent and waited for without blocking in libpq (PQsetnonblocking,
 * PQflush, PQconsumeInput, PQisBusy) under poll() on PQsocket, until the
 * store's deadline (store.postgresql_timeout_seconds, store_pg_set_timeout).
 * TCP cannot see a server whose kernel answers while it does not (stopped,
 * stuck on its storage): the deadline does. Past it the statement is
 * cancelled (PQcancel, in a thread of its own: it waits for the server),
 * the connection is closed and the pool's older connections with it
 * (note_lost), and the caller's request fails unavailable. Each session's
 * statement_timeout is set a little under the deadline, so that a statement
 * that runs long on a live server fails as the server's error first.
 *
 * Migrations come from src/store/migrations_pg/ and run under a session
 * advisory lock (STORE_PG_MIGRATE_LOCK), so nodes starting at once apply
 * each one once, without a deadline (migrate). The connection string (it
 * may hold a password) is never logged; libpq's error messages do not
 * repeat it. */
#include "store.h"
#include "store_int.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
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

#define STORE_PG_POOL_MAX 32
/* Parameters of one statement (sq_insert's 64 columns and an id fit). */
#define STORE_PG_PARAMS_MAX 80
/* Advisory lock keys ("fvwr", "fvmg"): bigint keys. */
#define STORE_PG_WRITE_LOCK 0x66767772LL
#define STORE_PG_MIGRATE_LOCK 0x66766d67LL

/* Type OIDs of the built-in types we bind or read (pg_type.h). */
enum {
	OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26,
	OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700
};

struct fv_embedded {
	const char *name;
	const char *text;
};
extern const struct fv_embedded fv_migrations_pg[];

/* The statements one connection has prepared (PQsendPrepare), found by
 * their text and parameter types: parsed and planned once per connection,
 * not at every run. Open addressing, never more than half full; a statement
 * past STORE_PG_STMTS_MAX (sq_insert and sq_update build many texts) runs
 * as the unnamed statement, still in one round trip. Prepared statements
 * outlive a rollback (they are not transactional) and die with the
 * session: a connection reset forgets them all (stmts_clear). */
#define STORE_PG_STMT_SLOTS 512
#define STORE_PG_STMTS_MAX (STORE_PG_STMT_SLOTS / 2)
struct pg_stmt {
	uint64_t h;
	char *key; /* the text, a NUL, then the parameter types (Oid each) */
	size_t klen;
};

struct pg_conn {
	PGconn *c;
	unsigned gen; /* the pool's generation when it was opened */
	bool broken; /* a send failed: closed rather than pooled */
	bool dead;   /* its deadline passed: cancelled, sends nothing more (and broken) */
	int nstmts;
	struct pg_stmt stmts[STORE_PG_STMT_SLOTS];
};

struct pg_store {
	struct store base;
	char *dsn;
	pthread_mutex_t lock;
	struct pg_conn *free_conns[STORE_PG_POOL_MAX];
	int nfree;
	/* Raised when a connection is found lost (note_lost): the pooled
	 * connections opened before are closed, not tried one by one. */
	unsigned gen;
};

struct pg_tx {
	struct store_tx base;
	struct pg_conn *pc;
	PGconn *c; /* pc->c */
	int changes; /* rows changed by the last statement */
	bool begun; /* BEGIN sent and answered (with the first statement) */
	bool lost;  /* a statement failed before BEGIN was answered */
};

static struct pg_store *PS(store_t *st)
{
	return (struct pg_store *)st;
}

static struct pg_tx *PT(store_tx_t *tx)
{
	return (struct pg_tx *)tx;
}

/* ---- connections ---- */

/* Server notices (e.g. "already exists, skipping") are not errors: dropped
 * rather than written to stderr by libpq's default. */
static void notice_drop(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* libpq's message without its trailing newline, into out. */
static const char *pg_msg(const char *m, char *out, size_t n)
{
	snprintf(out, n, "%s", m ? m : "?");
	size_t len = strlen(out);
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	return out;
}

/* ---- deadlines ---- */

/* store.postgresql_timeout_seconds, in ms: the longest wait for one answer
 * of the server; 0: none. */
#define STORE_PG_TIMEOUT_DEFAULT_MS 30000
static _Atomic int round_trip_ms = STORE_PG_TIMEOUT_DEFAULT_MS;

void store_pg_set_timeout(int seconds)
{
	atomic_store(&round_trip_ms, seconds > 0 ? seconds * 1000 : 0);
}

/* The instant (time_mono_ns) ms from now; 0 (none) when ms is 0. */
static int64_t deadline_in(int ms)
{
	return ms > 0 ? time_mono_ns() + (int64_t)ms * 1000000 : 0;
}

enum { W_READY, W_FAILED, W_LATE };

/* Waits until c's next result can be taken without blocking (PQgetResult),
 * sending what c holds unsent meanwhile. W_READY (also when the connection
 * was lost: PQgetResult then answers its error at once, as libpq marks it
 * bad); W_FAILED when it cannot be read and is not marked bad (no result to
 * take); W_LATE when deadline (0: none) passed first. */
static int await_result(PGconn *c, int64_t deadline)
{
	for (;;) {
		int f = PQflush(c);
		if (f < 0)
			return PQstatus(c) == CONNECTION_BAD ? W_READY : W_FAILED;
		if (f == 0 && !PQisBusy(c))
			return W_READY;
		int ms = -1;
		if (deadline) {
			int64_t left = deadline - time_mono_ns();
			if (left <= 0)
				return W_LATE;
			ms = (int)((left + 999999) / 1000000);
		}
		struct pollfd pf = { .fd = PQsocket(c), .events = (short)(POLLIN | (f ? POLLOUT : 0)) };
		if (pf.fd < 0)
			return PQstatus(c) == CONNECTION_BAD ? W_READY : W_FAILED;
		int pr = poll(&pf, 1, ms);
		if ((pr < 0 && errno != EINTR) || (pr > 0 && (pf.revents & POLLNVAL)))
			return W_FAILED;
		if (pr > 0 && (pf.revents & (POLLIN | POLLERR | POLLHUP)) && !PQconsumeInput(c) &&
		    PQstatus(c) != CONNECTION_BAD)
			return W_FAILED;
	}
}

/* PQgetResult once await_result says it will not block; NULL as
 * PQgetResult's (no more results), or when *w is not W_READY. */
static PGresult *result_by(PGconn *c, int64_t deadline, int *w)
{
	*w = await_result(c, deadline);
	return *w == W_READY ? PQgetResult(c) : NULL;
}

/* The results of what was sent on c, as PQexec gives them: the first
 * failure, else the last result (caller clears). NULL when the results
 * could not be read or *w says deadline passed (W_LATE). */
static PGresult *results_by(PGconn *c, int64_t deadline, int *w)
{
	PGresult *keep = NULL, *x;
	while ((x = result_by(c, deadline, w)) != NULL) {
		if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR)
			PQclear(x);
		else {
			PQclear(keep);
			keep = x;
		}
	}
	if (*w != W_READY) {
		PQclear(keep);
		keep = NULL;
	}
	return keep;
}

/* PQexec of sql (one or more statements, the simple protocol) answered by
 * deadline; see results_by. */
static PGresult *exec_by(PGconn *c, const char *sql, int64_t deadline, int *w)
{
	*w = W_FAILED;
	if (PQsendQuery(c, sql) != 1)
		return NULL;
	return results_by(c, deadline, w);
}

/* Cancels in flight at once: beyond them a late connection is closed
 * without (the server ends its statement when it finds the connection
 * closed). */
#define STORE_PG_CANCELS_MAX 8
static _Atomic int cancels_running;

static void *cancel_run(void *arg)
{
	PGcancel *cn = arg;
	char err[256];
	PQcancel(cn, err, sizeof err);
	PQfreeCancel(cn);
	atomic_fetch_sub(&cancels_running, 1);
	return NULL;
}

/* Asks the server to cancel what c runs, without waiting: PQcancel sends
 * the request on a connection of its own and waits for the server to
 * close it, which a stopped server never does; so it runs in a detached
 * thread, which ends once the server answers (the PGcancel is c's copy:
 * c may be closed meanwhile). */
static void cancel_async(PGconn *c)
{
	if (atomic_fetch_add(&cancels_running, 1) >= STORE_PG_CANCELS_MAX) {
		atomic_fetch_sub(&cancels_running, 1);
		return;
	}
	PGcancel *cn = PQgetCancel(c);
	pthread_attr_t a;
	pthread_t th;
	bool started = false;
	if (cn && pthread_attr_init(&a) == 0) {
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&th, &a, cancel_run, cn) == 0;
		pthread_attr_destroy(&a);
	}
	if (!started) {
		PQfreeCancel(cn);
		atomic_fetch_sub(&cancels_running, 1);
	}
}

/* What a connection string does not say about a lost member, said here
 * (docs/postgresql.md, "A lost host"). Each is the DSN's to change: these
 * come before it in PQconnectdbParams's arrays, so its own values win.
 *  - connect_timeout: a member whose host does not answer is given up
 *    after 10 s, or the store's deadline when shorter (libpq's default
 *    waits for TCP's SYN retries, about two minutes), per host, so that the
 *    next one of the list is tried; it also bounds the wait for a server
 *    that accepts the connection and does not answer (stopped);
 *  - keep-alives after 10 s idle, every 5 s, 3 unanswered: a connection
 *    waiting for an answer (nothing of its own unacknowledged) learns that
 *    the host is gone;
 *  - tcp_user_timeout 10 s: a connection whose sent data is not
 *    acknowledged for 10 s is given up, where TCP's retransmissions would
 *    go on for about 15 minutes (tcp_retries2); keep-alives cannot help
 *    there, the kernel sends none while data is unacknowledged. A statement
 *    that runs long is not affected: its host acknowledges.
 * Over a Unix socket libpq ignores the keep-alives and the user timeout. */
static const char *const conn_keys[] = { "connect_timeout", "keepalives", "keepalives_idle",
	"keepalives_interval", "keepalives_count", "tcp_user_timeout", "dbname", NULL };
static const char *const conn_defaults[] = { "10", "1", "10", "5", "3", "10000" };
_Static_assert(sizeof conn_defaults / sizeof conn_defaults[0] + 2 == sizeof conn_keys / sizeof conn_keys[0],
	"a default for each keyword before dbname");

/* A session's settings, in one round trip answered by deadline_ms (0:
 * none): UTC, and with a deadline, statement_timeout at nine tenths of it
 * unless the server, the role or the DSN set a lower one. c goes
 * non-blocking when it has a deadline. 0, or -1 with a reason in err. */
static int session_setup(PGconn *c, int deadline_ms, char *err, size_t errlen)
{
	char sql[400];
	int n = snprintf(sql, sizeof sql, "SET TIME ZONE 'UTC'");
	if (deadline_ms > 0) {
		if (PQsetnonblocking(c, 1) != 0) {
			snprintf(err, errlen, "cannot make the PostgreSQL connection non-blocking");
			return -1;
		}
		snprintf(sql + n, sizeof sql - (size_t)n,
			"; SELECT set_config('statement_timeout', CASE WHEN setting::bigint BETWEEN 1 AND %d"
			" THEN setting ELSE '%d' END, false) FROM pg_settings WHERE name = 'statement_timeout'",
			deadline_ms / 10 * 9, deadline_ms / 10 * 9);
	}
	int w;
	PGresult *r = exec_by(c, sql, deadline_in(deadline_ms), &w);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	if (w == W_LATE) {
		cancel_async(c);
		snprintf(err, errlen, "PostgreSQL did not answer within %d ms", deadline_ms);
		return -1;
	}
	if (!ok) {
		char m[300];
		snprintf(err, errlen, "cannot set up the PostgreSQL session: %s",
			pg_msg(PQerrorMessage(c), m, sizeof m));
		return -1;
	}
	if (PQserverVersion(c) < 150000) {
		snprintf(err, errlen, "PostgreSQL %d is too old (15 or later is needed)",
			PQserverVersion(c) / 10000);
		return -1;
	}
	return 0;
}

/* A connection to dsn with its session set up (session_setup) for
 * deadline_ms; NULL with a reason in err. */
static PGconn *conn_open(const char *dsn, int deadline_ms, char *err, size_t errlen)
{
	const char *vals[sizeof conn_keys / sizeof conn_keys[0]];
	size_t nd = sizeof conn_defaults / sizeof conn_defaults[0];
	for (size_t i = 0; i < nd; i++)
		vals[i] = conn_defaults[i];
	char ct[16];
	if (deadline_ms > 0 && deadline_ms < 10000) {
		/* whole seconds, rounded up (libpq takes no less than 2) */
		snprintf(ct, sizeof ct, "%d", (deadline_ms + 999) / 1000);
		vals[0] = ct;
	}
	vals[nd] = dsn;
	vals[nd + 1] = NULL;
	PGconn *c = PQconnectdbParams(conn_keys, vals, 1);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		char m[300];
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s",
			pg_msg(c ? PQerrorMessage(c) : "out of memory", m, sizeof m));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, notice_drop, NULL);
	if (session_setup(c, deadline_ms, err, errlen) != 0) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

static void stmts_clear(struct pg_conn *pc)
{
	for (int i = 0; i < STORE_PG_STMT_SLOTS; i++) {
		free(pc->stmts[i].key);
		pc->stmts[i].key = NULL;
	}
	pc->nstmts = 0;
}

static void conn_free(struct pg_conn *pc)
{
	if (!pc)
		return;
	PQfinish(pc->c);
	stmts_clear(pc);
	free(pc);
}

static struct pg_conn *conn_new(struct pg_store *st);

/* A connection of st found lost or refusing writes (the member gone or
 * demoted: a failover): the pooled connections opened before it are to the
 * same member, likely lost too, and each would cost a request its wait
 * (tcp_user_timeout on a lost host): pool_get closes them rather than
 * trying each. */
static void note_lost(struct pg_store *st)
{
	pthread_mutex_lock(&st->lock);
	st->gen++;
	pthread_mutex_unlock(&st->lock);
}

static struct pg_conn *pool_get(struct pg_store *st)
{
	struct pg_conn *pc = NULL;
	for (;;) {
		pthread_mutex_lock(&st->lock);
		pc = st->nfree ? st->free_conns[--st->nfree] : NULL;
		bool stale = pc && pc->gen != st->gen;
		pthread_mutex_unlock(&st->lock);
		if (!stale)
			break;
		conn_free(pc);
	}
	if (pc && PQstatus(pc->c) != CONNECTION_OK) {
		/* The server went away or restarted (a failover): a new session,
		 * set up as every one (PQreset would lose its settings). */
		conn_free(pc);
		pc = NULL;
	}
	return pc ? pc : conn_new(st);
}

/* A new connection, not from the pool; NULL (logged) when none. */
static struct pg_conn *conn_new(struct pg_store *st)
{
	char err[400];
	PGconn *c = conn_open(st->dsn, atomic_load(&round_trip_ms), err, sizeof err);
	if (!c) {
		log_event(LOG_ERROR, "store.open", "err=\"%s\"", err);
		return NULL;
	}
	struct pg_conn *pc = xcalloc(1, sizeof *pc);
	pc->c = c;
	pthread_mutex_lock(&st->lock);
	pc->gen = st->gen;
	pthread_mutex_unlock(&st->lock);
	return pc;
}

static void pool_put(struct pg_store *st, struct pg_conn *pc)
{
	if (!pc->broken && PQstatus(pc->c) == CONNECTION_OK &&
	    PQtransactionStatus(pc->c) == PQTRANS_IDLE) {
		pthread_mutex_lock(&st->lock);
		if (st->nfree < STORE_PG_POOL_MAX && pc->gen == st->gen) {
			st->free_conns[st->nfree++] = pc;
			pc = NULL;
		}
		pthread_mutex_unlock(&st->lock);
	}
	conn_free(pc);
}

/* pc did not answer by its deadline: its statement cancelled
 * (cancel_async), nothing more sent on it, closed when its transaction
 * ends; the pool's connections opened before it closed too (note_lost:
 * a server that does not answer one does not answer the others), and the
 * caller's failure is the database's being unavailable. */
static void conn_late(struct pg_store *st, struct pg_conn *pc, const char *what)
{
	log_event(LOG_ERROR, "store.deadline", "what=%s timeout_ms=%d", what, atomic_load(&round_trip_ms));
	cancel_async(pc->c);
	pc->dead = true;
	pc->broken = true;
	note_lost(st);
	sq_note_unavailable();
}

/* The result of what was just sent on pc (sent: it was), as PQexec's, by
 * deadline (time_mono_ns; 0: none); caller clears. NULL when the
 * connection failed, or past the deadline (conn_late). */
static PGresult *conn_wait(struct pg_store *st, struct pg_conn *pc, bool sent, int64_t deadline,
	const char *what)
{
	if (!sent)
		return NULL;
	int w;
	PGresult *r = results_by(pc->c, deadline, &w);
	if (w == W_LATE)
		conn_late(st, pc, what);
	return r;
}

/* sql (simple protocol) on pc by the store's deadline: as PQexec's result
 * (caller clears), NULL when it failed, pc is dead or the deadline passed. */
static PGresult *conn_exec(struct pg_store *st, struct pg_conn *pc, const char *sql, const char *what)
{
	if (pc->dead)
		return NULL;
	int64_t deadline = deadline_in(atomic_load(&round_trip_ms));
	return conn_wait(st, pc, PQsendQuery(pc->c, sql) == 1, deadline, what);
}

/* conn_exec succeeded: the command done, or rows returned. */
static bool conn_simple(struct pg_store *st, struct pg_conn *pc, const char *sql, const char *what)
{
	PGresult *r = conn_exec(st, pc, sql, what);
	ExecStatusType s = PQresultStatus(r);
	PQclear(r);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* ---- statements ---- */

/* sql with its `?` and `?N` placeholders numbered for PostgreSQL ($N; a
 * bare `?` takes the highest number so far plus one, as in SQLite), quoted
 * strings and identifiers left alone; *nparams gets the highest number. */
static int translate(const char *sql, buf_t *out, int *nparams)
{
	int max = 0, bad = 0;
	for (const char *p = sql; *p; p++) {
		if (*p == '\'' || *p == '"') {
			const char *q = strchr(p + 1, *p);
			size_t len = q ? (size_t)(q - p) + 1 : strlen(p);
			bad |= buf_append(out, p, len);
			p += len - 1;
			continue;
		}
		if (*p != '?') {
			bad |= buf_append(out, p, 1);
			continue;
		}
		int n = 0;
		while (p[1] >= '0' && p[1] <= '9' && n < 10000)
			n = n * 10 + (*++p - '0');
		if (n == 0)
			n = max + 1;
		if (n > max)
			max = n;
		bad |= buf_printf(out, "$%d", n);
	}
	*nparams = max;
	return bad ? -1 : 0;
}

/* Text form of the parameters of one statement. */
struct params {
	int n;
	Oid types[STORE_PG_PARAMS_MAX];
	const char *values[STORE_PG_PARAMS_MAX];
	char num[STORE_PG_PARAMS_MAX][24];
};

static void param_null(struct params *p, int i, Oid type)
{
	p->types[i] = type;
	p->values[i] = NULL;
}

static void param_int(struct params *p, int i, int64_t v)
{
	p->types[i] = OID_INT8;
	snprintf(p->num[i], sizeof p->num[i], "%lld", (long long)v);
	p->values[i] = p->num[i];
}

/* A JSON scalar: a string goes untyped (PostgreSQL takes the type of its
 * place, as SQLite's affinity would), an integer or boolean as int8, a
 * real as float8, anything else as NULL. */
static void param_json(struct params *p, int i, const json_t *v)
{
	if (json_is_string(v)) {
		p->types[i] = 0;
		p->values[i] = json_string_value(v);
	} else if (json_is_integer(v))
		param_int(p, i, json_integer_value(v));
	else if (json_is_boolean(v))
		param_int(p, i, json_is_true(v));
	else if (json_is_real(v)) {
		p->types[i] = OID_FLOAT8;
		snprintf(p->num[i], sizeof p->num[i], "%.17g", json_real_value(v));
		p->values[i] = p->num[i];
	} else
		param_null(p, i, 0);
}

/* Fills p from the type string (store_int.h); -1 on a bad type or too
 * many. */
static int params_va(struct params *p, const char *types, va_list ap)
{
	p->n = (int)strlen(types);
	if (p->n > STORE_PG_PARAMS_MAX)
		return -1;
	for (int i = 0; i < p->n; i++) {
		switch (types[i]) {
		case 's': {
			const char *v = va_arg(ap, const char *);
			p->types[i] = OID_TEXT;
			p->values[i] = v;
			break;
		}
		case 'i':
			param_int(p, i, va_arg(ap, int64_t));
			break;
		case 'n':
			param_int(p, i, va_arg(ap, int));
			break;
		case 'j':
			param_json(p, i, va_arg(ap, const json_t *));
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static json_t *cell_to_json(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return json_null();
	const char *t = PQgetvalue(r, row, col);
	int64_t v;
	switch (PQftype(r, col)) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		if (parse_i64z(t, INT64_MIN, INT64_MAX, &v) == 0)
			return json_integer(v);
		break;
	case OID_NUMERIC:
		if (!strchr(t, '.') && parse_i64z(t, INT64_MIN, INT64_MAX, &v) == 0)
			return json_integer(v);
		return json_real(strtod(t, NULL));
	case OID_FLOAT4:
	case OID_FLOAT8:
		return json_real(strtod(t, NULL));
	case OID_BOOL:
		return json_integer(t[0] == 't');
	default:
		break;
	}
	size_t len = (size_t)PQgetlength(r, row, col);
	json_t *s = json_stringn(t, len);
	return s ? s : json_stringn_nocheck(t, len);
}

static json_t *result_rows(const PGresult *r, bool first)
{
	json_t *rows = json_array();
	int n = PQntuples(r), nf = PQnfields(r);
	if (first && n > 1)
		n = 1;
	for (int i = 0; i < n; i++) {
		json_t *o = json_object();
		for (int k = 0; k < nf; k++)
			json_object_set_new(o, PQfname(r, k), cell_to_json(r, i, k));
		json_array_append_new(rows, o);
	}
	return rows;
}

/* sql on c, blocking, without a deadline: the migrations' (migrate). */
static bool simple(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	PQclear(r);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* A failure of c (r: its result, or NULL) that says the database cannot
 * take the transaction now rather than that it refused it: the connection
 * lost (a primary stopped), class 08 (connection exception), 57P01-57P03
 * (shutting down, starting, in recovery) or 25006 (a read-only member).
 * Marks store_unavailable_seen.
 *
 * A failure without a SQLSTATE is libpq's own, not the server's: the
 * server did not answer. After "pg_ctl stop -m immediate" each backend
 * quits with a warning and no error, and libpq answers the next statement
 * "server closed the connection unexpectedly" while PQstatus still says
 * CONNECTION_OK (until its next call): without a SQLSTATE, unavailable. */
static void note_failure(struct pg_store *st, PGconn *c, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (PQstatus(c) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0 ||
	    strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	    strcmp(state, "57P03") == 0 || strcmp(state, "25006") == 0) {
		sq_note_unavailable();
		note_lost(st);
	} else if (strcmp(state, "57014") == 0) {
		/* Cancelled by our own statement_timeout (nine tenths of the
		 * deadline: store_open_pg) or our cancel at the deadline: the
		 * database did not answer in time, as when it is lost, but the
		 * server answered and the connection is still usable (not
		 * note_lost: the pool's others are fine). */
		sq_note_unavailable();
	}
}

/* The slot of sql with p's parameter types among pc's prepared statements
 * (*known: prepared already), or -1 when the cache is full and sql is not
 * in it, or sql is not to be kept prepared (the unnamed statement then).
 * key gets the lookup key. */
static int stmt_slot(struct pg_conn *pc, const char *sql, const struct params *p, buf_t *key,
	uint64_t *hash, bool *known)
{
	*known = false;
	/* Optional filters ("? IS NULL OR col = ?", "? = 0 OR ..."), the
	 * lists': a generic plan, which PostgreSQL may choose after five runs
	 * of a prepared statement, cannot use the index of the filter a run
	 * names (measured: the audit list of one small account among 300,000
	 * events, 0.3-0.6 ms planned with its values, 100-140 ms on the
	 * generic plan, a scan of the whole table by seq). Planned at each
	 * run, as the unnamed statement; the hot statements (lookups by key)
	 * stay prepared. */
	if (strstr(sql, "IS NULL OR") || strstr(sql, "= 0 OR") || strstr(sql, "= '' OR"))
		return -1;
	if (buf_append(key, sql, strlen(sql) + 1) != 0 ||
	    buf_append(key, p->types, sizeof p->types[0] * (size_t)p->n) != 0)
		return -1;
	uint64_t h = 14695981039346656037ull; /* FNV-1a */
	for (size_t i = 0; i < key->len; i++)
		h = (h ^ (unsigned char)key->data[i]) * 1099511628211ull;
	*hash = h;
	for (unsigned i = (unsigned)h % STORE_PG_STMT_SLOTS;; i = (i + 1) % STORE_PG_STMT_SLOTS) {
		struct pg_stmt *e = &pc->stmts[i];
		if (!e->key)
			return pc->nstmts < STORE_PG_STMTS_MAX ? (int)i : -1;
		if (e->h == h && e->klen == key->len && memcmp(e->key, key->data, key->len) == 0) {
			*known = true;
			return (int)i;
		}
	}
}

/* BEGIN of a read transaction and of a write one (which then takes the
 * write lock: pg_begin). */
static const char *const begin_sql[2] = { "BEGIN ISOLATION LEVEL REPEATABLE READ",
	"BEGIN ISOLATION LEVEL READ COMMITTED" };

/* One pipeline of run_params on tx's connection: the transaction's BEGIN
 * when not begun yet (a read transaction's first statement), the savepoint, the statement's
 * preparation when this connection has not prepared it yet, its execution,
 * the savepoint's release, one sync. *sent: the pipeline went and was
 * answered to its sync; *fail and *r: the first failure and the statement's
 * result (caller clears). */
static void pipeline(store_tx_t *tx, const char *q, const char *sql, const struct params *p,
	bool *sent_out, PGresult **fail_out, PGresult **r_out)
{
	struct pg_tx *t = PT(tx);
	struct pg_conn *pc = t->pc;
	PGconn *c = pc->c;
	buf_t key;
	buf_init(&key, 16384);
	bool known = false;
	uint64_t h = 0;
	int slot = stmt_slot(pc, sql, p, &key, &h, &known);
	char name[16] = "";
	if (slot >= 0)
		snprintf(name, sizeof name, "fv%d", slot);
	/* A statement that changes rows runs under a savepoint. */
	bool sp = sq_is_write(sql);
	int nq = 0, prep = -1, beg = -1, exec;
	int64_t deadline = deadline_in(atomic_load(&round_trip_ms));
	bool sent = !pc->dead && PQenterPipelineMode(c) == 1;
	if (sent && !t->begun) {
		sent = PQsendQueryParams(c, begin_sql[tx->write], 0, NULL, NULL, NULL, NULL, 0) == 1;
		beg = nq++;
	}
	if (sent && sp) {
		sent = PQsendQueryParams(c, "SAVEPOINT sq", 0, NULL, NULL, NULL, NULL, 0) == 1;
		nq++;
	}
	if (sent && !known) {
		sent = PQsendPrepare(c, name, q, p->n, p->types) == 1;
		prep = nq++;
	}
	exec = nq;
	if (sent) {
		sent = PQsendQueryPrepared(c, name, p->n, p->values, NULL, NULL, 0) == 1;
		nq++;
	}
	if (sent && sp) {
		sent = PQsendQueryParams(c, "RELEASE SAVEPOINT sq", 0, NULL, NULL, NULL, NULL, 0) == 1;
		nq++;
	}
	sent = sent && PQpipelineSync(c) == 1;
	/* The results, in order: the first failure (a later step of the
	 * pipeline answers only PGRES_PIPELINE_ABORTED) and the statement's. */
	PGresult *r = NULL, *fail = NULL;
	bool prepared = false;
	int w = W_READY;
	for (int i = 0; sent && i < nq; i++) {
		PGresult *x;
		while ((x = result_by(c, deadline, &w)) != NULL) {
			ExecStatusType s = PQresultStatus(x);
			if (i == prep && s == PGRES_COMMAND_OK)
				prepared = true;
			if (i == beg && s == PGRES_COMMAND_OK)
				t->begun = true;
			if (s == PGRES_FATAL_ERROR && !fail)
				fail = x;
			else if (i == exec && !r && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK))
				r = x;
			else
				PQclear(x);
		}
		sent = w == W_READY;
	}
	if (sent) {
		PGresult *x = result_by(c, deadline, &w);
		sent = PQresultStatus(x) == PGRES_PIPELINE_SYNC;
		PQclear(x);
	}
	if (w == W_LATE)
		conn_late(PS(tx->st), pc, "statement");
	else if (!pc->dead && PQexitPipelineMode(c) != 1)
		sent = false;
	if (prepared && slot >= 0 && !known) {
		struct pg_stmt *e = &pc->stmts[slot];
		e->klen = key.len;
		e->key = xmalloc(key.len);
		memcpy(e->key, key.data, key.len);
		e->h = h;
		pc->nstmts++;
	}
	buf_free(&key);
	/* A prepared statement whose rows changed shape (a migration of
	 * another node): the connection is closed, its successor prepares
	 * afresh. */
	const char *state = fail ? PQresultErrorField(fail, PG_DIAG_SQLSTATE) : NULL;
	if (known && state && strcmp(state, "0A000") == 0)
		pc->broken = true;
	*sent_out = sent;
	*fail_out = fail;
	*r_out = r;
}

/* Runs sql with p in one round trip (pipeline); *res gets the result
 * (caller clears) when it returned rows or ran. STORE_OK, STORE_CONFLICT
 * or STORE_ERROR (logged).
 *
 * A read transaction's BEGIN goes with its first statement. A pooled
 * connection the server dropped (a restart, a failover) fails there first,
 * without a SQLSTATE: that first pipeline is tried once more on a fresh
 * connection, as BEGIN alone was before (and still is for a write). */
static int run_params(store_tx_t *tx, const char *sql, const struct params *p, PGresult **res)
{
	int64_t t0 = time_mono_ns();
	struct pg_tx *t = PT(tx);
	*res = NULL;
	if (!t->pc) {
		/* Its connection was lost before it began, and none was found. */
		sq_note_unavailable();
		return STORE_ERROR;
	}
	buf_t q;
	buf_init(&q, 16384);
	int np = 0;
	if (translate(sql, &q, &np) != 0 || np != p->n) {
		log_event(LOG_ERROR, "store.statement", "params=%d given=%d sql=%.300s", np, p->n, sql);
		buf_free(&q);
		return STORE_ERROR;
	}
	bool sent;
	PGresult *r, *fail;
	for (int attempt = 0;; attempt++) {
		bool first = !t->begun;
		pipeline(tx, q.data, sql, p, &sent, &fail, &r);
		const char *state = fail ? PQresultErrorField(fail, PG_DIAG_SQLSTATE) : NULL;
		bool lost = !sent || (fail && (!state || strncmp(state, "08", 2) == 0 ||
			strcmp(state, "57P01") == 0)) || PQstatus(t->c) != CONNECTION_OK;
		if (!first || t->begun || attempt > 0 || !lost || t->pc->dead)
			break;
		/* Not begun: nothing of the transaction was done there. The
		 * pool's other connections are likely gone too (a restart, a
		 * failover): a new one. Not after a deadline: that server was
		 * there and did not answer, a new connection would wait again. */
		char m[300];
		log_event(LOG_WARN, "store.begin", "err=\"%s\" retry=1", pg_msg(fail
			? PQresultErrorMessage(fail) : PQerrorMessage(t->c), m, sizeof m));
		PQclear(fail);
		PQclear(r);
		conn_free(t->pc);
		note_lost(PS(tx->st));
		t->pc = conn_new(PS(tx->st));
		if (!t->pc) {
			/* No member to connect to (or none accepting writes). */
			sq_note_unavailable();
			t->pc = NULL;
			t->c = NULL;
			buf_free(&q);
			sq_db_time(tx->st, t0);
			return STORE_ERROR;
		}
		t->c = t->pc->c;
	}
	buf_free(&q);
	struct pg_conn *pc = t->pc;
	PGconn *c = pc->c;
	int rc = STORE_OK;
	if (!sent || fail || !r) {
		const char *state = fail ? PQresultErrorField(fail, PG_DIAG_SQLSTATE) : NULL;
		if (state && strncmp(state, "23", 2) == 0)
			rc = STORE_CONFLICT;
		else {
			/* Its pipeline's state unknown: the connection is closed. */
			if (!sent)
				pc->broken = true;
			note_failure(PS(tx->st), c, fail);
			char m[300];
			log_event(LOG_ERROR, "store.step", "state=%s err=\"%s\" sql=%.300s",
				state ? state : "-", pg_msg(fail ? PQresultErrorMessage(fail) : pc->dead
					? "no answer by the deadline" : PQerrorMessage(c), m, sizeof m), sql);
			rc = STORE_ERROR;
		}
		PQclear(fail);
		PQclear(r);
		r = NULL;
		if (!t->begun)
			t->lost = true;
		/* Back to this write's savepoint, which goes too: one left
		 * behind would be the target of a later write's recovery when
		 * that write's own SAVEPOINT failed (the transaction aborted by
		 * a statement without one, a SELECT ... FOR UPDATE), and would
		 * bring an aborted transaction back to life, undoing what came
		 * between and letting it commit. Without one, the recovery
		 * fails and the transaction stays aborted: its commit fails. */
		if (sq_is_write(sql) && t->begun && !pc->broken)
			conn_simple(PS(tx->st), pc, "ROLLBACK TO SAVEPOINT sq; RELEASE SAVEPOINT sq",
				"rollback_savepoint");
	}
	if (r) {
		const char *n = PQcmdTuples(r);
		int64_t v = 0;
		t->changes = n && *n && parse_i64z(n, 0, INT32_MAX, &v) == 0 ? (int)v : 0;
	}
	*res = r;
	sq_db_time(tx->st, t0);
	return rc;
}

/* run_params for a statement whose rows are not wanted: STORE_NOTFOUND
 * when must_change and no row changed. */
static int run_change(store_tx_t *tx, const char *sql, const struct params *p, bool must_change)
{
	PGresult *r = NULL;
	int rc = run_params(tx, sql, p, &r);
	PQclear(r);
	if (rc == STORE_OK && must_change && PT(tx)->changes == 0)
		rc = STORE_NOTFOUND;
	return rc;
}

static json_t *pg_rows(store_tx_t *tx, bool first, const char *sql, const char *types, va_list ap)
{
	struct params p;
	if (params_va(&p, types, ap) != 0) {
		log_event(LOG_ERROR, "store.bind", "types=%s sql=%.300s", types, sql);
		return NULL;
	}
	PGresult *r = NULL;
	if (run_params(tx, sql, &p, &r) != STORE_OK)
		return NULL;
	json_t *rows = result_rows(r, first);
	PQclear(r);
	return rows;
}

static int pg_exec(store_tx_t *tx, bool must_change, const char *sql, const char *types,
	va_list ap)
{
	struct params p;
	if (params_va(&p, types, ap) != 0) {
		log_event(LOG_ERROR, "store.bind", "types=%s sql=%.300s", types, sql);
		return STORE_ERROR;
	}
	return run_change(tx, sql, &p, must_change);
}

static int pg_run(store_tx_t *tx, const char *sql, const json_t *const *vals, int nv,
	const char *id, bool must_change)
{
	struct params p;
	p.n = nv + (id != NULL);
	if (p.n > STORE_PG_PARAMS_MAX)
		return STORE_ERROR;
	for (int i = 0; i < nv; i++)
		param_json(&p, i, vals[i]);
	if (id) {
		p.types[nv] = OID_TEXT;
		p.values[nv] = id;
	}
	return run_change(tx, sql, &p, must_change);
}

static int pg_changes(store_tx_t *tx)
{
	return PT(tx)->changes;
}

/* ---- transactions ---- */

/* A write transaction begins at once: BEGIN and its lock, so that it
 * holds the lock when store_begin returns (callers and tests rely on it):
 * the write lock, or for a group of audit events (chain not NULL) that
 * chain's lock (pg_begin_chains). A read transaction takes a pooled
 * connection and sends nothing: its BEGIN goes with its first statement
 * (run_params), so it costs no round trip of its own, and one that runs no
 * statement none at all. */
static store_tx_t *pg_begin_as(store_t *base, bool write, const char *chain)
{
	struct pg_store *st = PS(base);
	int64_t t0 = time_mono_ns();
	char begin[160];
	if (chain)
		snprintf(begin, sizeof begin, "%s; SELECT pg_advisory_xact_lock(%d, %d)", begin_sql[1],
			SQ_CHAIN_LOCK_TAG, sq_chain_lock_key(chain));
	else
		snprintf(begin, sizeof begin, "%s; SELECT pg_advisory_xact_lock(%lld)", begin_sql[1],
			STORE_PG_WRITE_LOCK);
	struct pg_conn *pc = NULL;
	/* A pooled connection the server dropped (restart, failover) fails
	 * here first: one more try on a fresh one. */
	for (int attempt = 0; attempt < 2 && !pc; attempt++) {
		pc = attempt ? conn_new(st) : pool_get(st);
		if (!pc) {
			/* No member to connect to (or none accepting writes). */
			sq_note_unavailable();
			return NULL;
		}
		if (write && !conn_simple(st, pc, begin, "begin")) {
			char m[300];
			log_event(LOG_ERROR, "store.begin", "err=\"%s\"", pg_msg(pc->dead
				? "no answer by the deadline" : PQerrorMessage(pc->c), m, sizeof m));
			conn_simple(st, pc, "ROLLBACK", "rollback");
			/* (a connection past its deadline is closed there, not
			 * tried again: conn_late marked the database unavailable) */
			if (PQstatus(pc->c) == CONNECTION_OK) {
				pool_put(st, pc);
				return NULL;
			}
			note_lost(st);
			conn_free(pc);
			pc = NULL;
		}
	}
	if (!pc) {
		sq_note_unavailable(); /* both connections lost */
		return NULL;
	}
	struct pg_tx *tx = xcalloc(1, sizeof *tx);
	tx->base.st = base;
	tx->base.write = write;
	tx->pc = pc;
	tx->c = pc->c;
	tx->begun = write;
	sq_db_time(base, t0);
	return &tx->base;
}

static store_tx_t *pg_begin(store_t *base, bool write)
{
	return pg_begin_as(base, write, NULL);
}

/* A group commit's transaction of audit events only (store_group.c): READ
 * COMMITTED under the lock of one of its chains instead of the write lock.
 * The groups of one chain queue on it in turn, as on the write lock (a
 * queue of the lock manager: each group, while it waits, gathers the next
 * events of its node); the heads of the chains it writes, locked by row,
 * order it against the write transactions. */
static store_tx_t *pg_begin_chains(store_t *base, const char *chain)
{
	return pg_begin_as(base, true, chain);
}

/* Ends tx: returns its connection to the pool (pool_put closes it unless
 * idle) and frees it. */
static void tx_end(store_tx_t *tx)
{
	if (PT(tx)->pc)
		pool_put(PS(tx->st), PT(tx)->pc);
	free(tx);
}

static int pg_commit(store_tx_t *tx)
{
	if (!PT(tx)->begun) {
		/* Nothing ran: nothing to commit; or its first statement failed
		 * before its BEGIN was answered: its commit fails as a
		 * transaction's whose statement failed would. */
		int rc = PT(tx)->lost ? STORE_ERROR : STORE_OK;
		tx_end(tx);
		return rc;
	}
	int64_t t0 = time_mono_ns();
	struct pg_conn *pc = PT(tx)->pc;
	PGconn *c = pc->c;
	/* The commit is not under statement_timeout: a commit that waits for
	 * a synchronous standby and is cancelled is answered committed (with
	 * a warning) though not replicated. Past the store's deadline it is
	 * answered unavailable instead, its outcome unknown, as a commit whose
	 * connection was lost (the client tries again with its
	 * Idempotency-Key). */
	PGresult *r = conn_exec(PS(tx->st), pc, atomic_load(&round_trip_ms) > 0
		? "SET LOCAL statement_timeout = 0; COMMIT" : "COMMIT", "commit");
	/* COMMIT of a transaction a failed statement aborted answers ROLLBACK
	 * (and the SET before it fails 25P02). */
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0
		? STORE_OK : STORE_ERROR;
	if (rc != STORE_OK) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		bool aborted = PQresultStatus(r) == PGRES_COMMAND_OK || (state && strcmp(state, "25P02") == 0);
		/* A COMMIT answered ROLLBACK (a statement had failed) was
		 * answered: the failure was that statement's. */
		if (!aborted)
			note_failure(PS(tx->st), c, r);
		char m[300];
		log_event(LOG_ERROR, "store.commit", "err=\"%s\"", pg_msg(aborted ? "transaction aborted"
			: pc->dead ? "no answer by the deadline" : PQerrorMessage(c), m, sizeof m));
		conn_simple(PS(tx->st), pc, "ROLLBACK", "rollback");
	}
	PQclear(r);
	sq_db_time(tx->st, t0);
	tx_end(tx);
	return rc;
}

static void pg_rollback(store_tx_t *tx)
{
	if (PT(tx)->begun)
		conn_simple(PS(tx->st), PT(tx)->pc, "ROLLBACK", "rollback");
	tx_end(tx);
}

static void pg_close(store_t *base)
{
	struct pg_store *st = PS(base);
	for (int i = 0; i < st->nfree; i++)
		conn_free(st->free_conns[i]);
	pthread_mutex_destroy(&st->lock);
	free(st->dsn);
	free(st);
}

/* PostgreSQL keeps superseded row versions until VACUUM reclaims them, and
 * its write-ahead log belongs to the server: nothing here can purge them
 * (docs/postgresql.md says what an operator does). */
static int pg_checkpoint(store_t *st)
{
	(void)st;
	return STORE_OK;
}

static int pg_snapshot(store_t *st, const char *path, char *err, size_t errlen)
{
	(void)st;
	(void)path;
	snprintf(err, errlen, "a PostgreSQL store is copied with pg_dump or a base backup"
		" (see docs/postgresql.md), not by faxvaultd");
	return -1;
}

/* ---- rate limits shared by the nodes ---- */

/* One bucket: refilled since its last use, capped at the burst, one token
 * taken when there is one; the row is locked by the statement itself, so
 * nodes taking from the same bucket at once queue on that row only. */
#define RATE_REFILL "LEAST($3::float8, b.tokens + GREATEST(0, $4::bigint - b.at_ms) * $2::float8)"
static const char rate_sql[] =
	"INSERT INTO rate_buckets AS b (key, tokens, at_ms, allowed) VALUES ($1, $3::float8 - 1, $4::bigint, true)"
	" ON CONFLICT (key) DO UPDATE SET tokens = CASE WHEN " RATE_REFILL " >= 1 THEN " RATE_REFILL " - 1"
	" ELSE " RATE_REFILL " END, allowed = " RATE_REFILL " >= 1, at_ms = GREATEST(b.at_ms, $4::bigint)"
	" RETURNING tokens, allowed";
/* Buckets unused for an hour are removed every RATE_SWEEP_EVERY takes (a
 * bucket refilled for an hour is full at the default limits: removing it
 * changes nothing). */
#define RATE_SWEEP_EVERY 4096
#define RATE_STMT "fv_rate_take"
#define RATE_IDLE_MS 3600000LL

static int pg_rate_take(store_t *base, const char *key, int rpm, int burst, int64_t now_ms,
	double *tokens, bool *allowed)
{
	static _Atomic unsigned takes;
	struct pg_store *st = PS(base);
	int64_t t0 = time_mono_ns();
	struct pg_conn *pc = pool_get(st);
	if (!pc)
		return STORE_ERROR;
	PGconn *c = pc->c;
	char rate[40], cap[24], at[24];
	snprintf(rate, sizeof rate, "%.17g", rpm / 60000.0);
	snprintf(cap, sizeof cap, "%d", burst);
	snprintf(at, sizeof at, "%lld", (long long)now_ms);
	const char *vals[4] = { key, rate, cap, at };
	/* Prepared once per connection (parsing and planning it at every
	 * request cost three times its execution): a connection that does not
	 * know it yet (new, or reset) answers 26000, and learns it. */
	int64_t deadline = deadline_in(atomic_load(&round_trip_ms));
	PGresult *r = conn_wait(st, pc, PQsendQueryPrepared(c, RATE_STMT, 4, vals, NULL, NULL, 0) == 1,
		deadline, "rate_limit");
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (PQresultStatus(r) == PGRES_FATAL_ERROR && state && strcmp(state, "26000") == 0) {
		PQclear(r);
		r = conn_wait(st, pc, PQsendPrepare(c, RATE_STMT, rate_sql, 4, NULL) == 1, deadline,
			"rate_limit");
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			PQclear(r);
			r = conn_wait(st, pc, PQsendQueryPrepared(c, RATE_STMT, 4, vals, NULL, NULL, 0) == 1,
				deadline, "rate_limit");
		}
	}
	int rc = STORE_ERROR;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		*tokens = strtod(PQgetvalue(r, 0, 0), NULL);
		*allowed = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
		rc = STORE_OK;
	} else {
		char m[300];
		log_event(LOG_ERROR, "store.rate_limit", "err=\"%s\"", pg_msg(pc->dead
			? "no answer by the deadline" : PQerrorMessage(c), m, sizeof m));
		if (PQstatus(c) != CONNECTION_OK)
			note_lost(st);
	}
	PQclear(r);
	if (rc == STORE_OK && ++takes % RATE_SWEEP_EVERY == 0) {
		snprintf(at, sizeof at, "%lld", (long long)(now_ms - RATE_IDLE_MS));
		const char *old[1] = { at };
		PQclear(conn_wait(st, pc, PQsendQueryParams(c, "DELETE FROM rate_buckets WHERE at_ms < $1::bigint",
			1, NULL, old, NULL, NULL, 0) == 1, deadline_in(atomic_load(&round_trip_ms)), "rate_sweep"));
	}
	pool_put(st, pc);
	sq_db_time(base, t0);
	return rc;
}

static const struct store_backend pg_backend = {
	.rows = pg_rows,
	.exec = pg_exec,
	.run = pg_run,
	.changes = pg_changes,
	.begin = pg_begin,
	.begin_chains = pg_begin_chains,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.close = pg_close,
	.checkpoint = pg_checkpoint,
	.snapshot = pg_snapshot,
	.rate_take = pg_rate_take,
};

/* ---- migrations ---- */

/* Whether version is recorded as applied; -1 on error. */
static int migration_applied(PGconn *c, int64_t version)
{
	char v[24];
	snprintf(v, sizeof v, "%lld", (long long)version);
	const char *vals[1] = { v };
	PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version=$1::bigint", 1,
		NULL, vals, NULL, NULL, 0);
	int out = PQresultStatus(r) != PGRES_TUPLES_OK ? -1 : PQntuples(r) > 0;
	PQclear(r);
	return out;
}

static int migrate_one(store_t *st, PGconn *c, const struct fv_embedded *m, char *err,
	size_t errlen)
{
	int64_t version;
	if (parse_i64(m->name, 4, 1, 9999, &version) != 0) {
		snprintf(err, errlen, "migration %s: name must start with 4 digits", m->name);
		return -1;
	}
	int have = migration_applied(c, version);
	if (have != 0) {
		if (have > 0)
			st->version = (int)version;
		else
			snprintf(err, errlen, "cannot read schema_migrations");
		return have > 0 ? 0 : -1;
	}
	char m1[300];
	if (!simple(c, "BEGIN")) {
		snprintf(err, errlen, "migration %s: %s", m->name, pg_msg(PQerrorMessage(c), m1, sizeof m1));
		return -1;
	}
	PGresult *r = PQexec(c, m->text);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	if (ok) {
		char v[24], at[24];
		snprintf(v, sizeof v, "%lld", (long long)version);
		snprintf(at, sizeof at, "%lld", (long long)time_now_ms());
		const char *vals[3] = { v, m->name, at };
		r = PQexecParams(c, "INSERT INTO schema_migrations (version, name, applied_at)"
			" VALUES ($1::bigint, $2, $3::bigint)", 3, NULL, vals, NULL, NULL, 0);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (!ok || !simple(c, "COMMIT")) {
		snprintf(err, errlen, "migration %s failed: %s", m->name,
			pg_msg(PQerrorMessage(c), m1, sizeof m1));
		simple(c, "ROLLBACK");
		return -1;
	}
	log_event(LOG_INFO, "store.migrated", "version=%lld name=%s backend=postgresql",
		(long long)version, m->name);
	st->version = (int)version;
	return 0;
}

/* Runs the migrations not applied yet on c, a connection without the
 * store's deadline or statement_timeout (store_open_pg): a migration may
 * run long on a large database (a table rewritten, an index built), and
 * a node starting while another migrates waits for it on the lock; cut
 * off, it would only fail the start and be run again from its beginning.
 * They run once, at start, before the node serves anything: a server that
 * stops answering then holds the start, not requests (connect_timeout
 * still bounds the connection). */
static int migrate(store_t *st, PGconn *c, char *err, size_t errlen)
{
	char lock[96], unlock[96];
	snprintf(lock, sizeof lock, "SELECT pg_advisory_lock(%lld)", STORE_PG_MIGRATE_LOCK);
	snprintf(unlock, sizeof unlock, "SELECT pg_advisory_unlock(%lld)", STORE_PG_MIGRATE_LOCK);
	if (!simple(c, lock) || !simple(c, "CREATE TABLE IF NOT EXISTS schema_migrations"
		    " (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")) {
		char m[300];
		snprintf(err, errlen, "migration failed: %s", pg_msg(PQerrorMessage(c), m, sizeof m));
		return -1;
	}
	int rc = 0;
	for (int i = 0; rc == 0 && fv_migrations_pg[i].name; i++)
		rc = migrate_one(st, c, &fv_migrations_pg[i], err, errlen);
	simple(c, unlock);
	return rc;
}

store_t *store_open_pg(const char *dsn, char *err, size_t errlen)
{
	PGconn *c = conn_open(dsn, 0, err, errlen);
	if (!c)
		return NULL;
	struct pg_store *st = xcalloc(1, sizeof *st);
	st->base.be = &pg_backend;
	st->base.row_locks = true;
	st->dsn = xstrdup(dsn);
	pthread_mutex_init(&st->lock, NULL);
	if (migrate(&st->base, c, err, errlen) != 0) {
		PQfinish(c);
		pg_close(&st->base);
		return NULL;
	}
	/* The migrations' connection, set up as the others, is the pool's
	 * first (or closed, when that fails: the next use connects). */
	int ms = atomic_load(&round_trip_ms);
	char serr[300];
	if (ms > 0 && session_setup(c, ms, serr, sizeof serr) != 0) {
		log_event(LOG_WARN, "store.open", "err=\"%s\"", serr);
		PQfinish(c);
		return &st->base;
	}
	struct pg_conn *pc = xcalloc(1, sizeof *pc);
	pc->c = c;
	st->free_conns[st->nfree++] = pc;
	return &st->base;
}

/* ---- notifications (LISTEN / NOTIFY) ---- */

/* A channel name as LISTEN takes it unquoted. */
static bool channel_ok(const char *ch)
{
	if (!*ch || strlen(ch) > 48)
		return false;
	for (const char *p = ch; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return false;
	return true;
}

int store_notify(store_tx_t *tx, const char *channel)
{
	if (tx->st->be != &pg_backend)
		return STORE_OK;
	if (!channel_ok(channel))
		return STORE_ERROR;
	json_t *r = sq_one(tx, "SELECT pg_notify(?, '') AS n", "s", channel);
	if (!r)
		return STORE_ERROR;
	json_decref(r);
	return STORE_OK;
}

struct store_listener {
	PGconn *c;
};

store_listener_t *store_listen(store_t *st, const char *channel, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (st->be != &pg_backend)
		return NULL;
	if (!channel_ok(channel)) {
		snprintf(err, errlen, "bad channel name");
		return NULL;
	}
	int ms = atomic_load(&round_trip_ms);
	PGconn *c = conn_open(PS(st)->dsn, ms, err, errlen);
	if (!c)
		return NULL;
	char sql[80];
	snprintf(sql, sizeof sql, "LISTEN %s", channel);
	int w;
	PGresult *r = exec_by(c, sql, deadline_in(ms), &w);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		char m[300];
		snprintf(err, errlen, "LISTEN failed: %s", pg_msg(w == W_LATE ? "no answer by the deadline"
			: PQerrorMessage(c), m, sizeof m));
		if (w == W_LATE)
			cancel_async(c);
		PQfinish(c);
		return NULL;
	}
	store_listener_t *l = xcalloc(1, sizeof *l);
	l->c = c;
	return l;
}

/* Notifications libpq has read, consumed: how many. */
static int drain_notifies(PGconn *c)
{
	int n = 0;
	PGnotify *nt;
	while ((nt = PQnotifies(c)) != NULL) {
		PQfreemem(nt);
		n++;
	}
	return n;
}

int store_listen_wait(store_listener_t *l, int stop_fd, int timeout_ms)
{
	if (!PQconsumeInput(l->c))
		return -1;
	int n = drain_notifies(l->c);
	if (n > 0)
		return n;
	struct pollfd pf[2] = { { .fd = PQsocket(l->c), .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN } };
	if (pf[0].fd < 0)
		return -1;
	int pr = poll(pf, stop_fd >= 0 ? 2 : 1, timeout_ms);
	if (pr <= 0 || (pf[0].revents & POLLIN) == 0)
		return pf[0].revents & (POLLERR | POLLHUP) ? -1 : 0;
	if (!PQconsumeInput(l->c))
		return -1;
	return drain_notifies(l->c);
}

void store_listen_close(store_listener_t *l)
{
	if (!l)
		return;
	PQfinish(l->c);
	free(l);
}

/* ---- client programs and whole databases (backups: backup_cmd.c) ---- */

char **store_pg_env(const char *dsn, const char *db)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
	PQfreemem(perr); /* may quote the string: never shown */
	if (!opts)
		return NULL;
	size_t n = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		n++;
	char **env = xcalloc(n + 2, sizeof *env);
	size_t k = 0;
	bool have_db = false;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->envvar)
			continue;
		bool is_db = strcmp(o->keyword, "dbname") == 0;
		const char *v = is_db && db ? db : o->val;
		if (!v || !*v)
			continue;
		have_db |= is_db;
		env[k++] = xasprintf("%s=%s", o->envvar, v);
	}
	if (db && !have_db)
		env[k++] = xasprintf("PGDATABASE=%s", db);
	PQconninfoFree(opts);
	return env;
}

void store_pg_env_free(char **env)
{
	if (!env)
		return;
	for (char **e = env; *e; e++) {
		explicit_bzero(*e, strlen(*e));
		free(*e);
	}
	free(env);
}

char *store_pg_dsn_with_db(const char *dsn, const char *db)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
	PQfreemem(perr);
	if (!opts)
		return NULL;
	buf_t b;
	buf_init(&b, 8192);
	int bad = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		bool is_db = strcmp(o->keyword, "dbname") == 0;
		const char *v = is_db ? db : o->val;
		if (!v || !*v)
			continue;
		/* keyword='value' with \ and ' escaped, as libpq reads it */
		bad |= buf_printf(&b, "%s%s='", b.len ? " " : "", o->keyword);
		for (const char *p = v; *p; p++)
			bad |= (*p == '\'' || *p == '\\') ? buf_printf(&b, "\\%c", *p) : buf_append(&b, p, 1);
		bad |= buf_append(&b, "'", 1);
	}
	PQconninfoFree(opts);
	if (bad || buf_append(&b, "", 1) != 0) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* No deadline: CREATE and DROP DATABASE of the backup commands, run by an
 * operator, may take long on a large database (as migrations, migrate). */
int store_pg_admin(const char *dsn, const char *sql, char *err, size_t errlen)
{
	PGconn *c = conn_open(dsn, 0, err, errlen);
	if (!c)
		return -1;
	PGresult *r = PQexec(c, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
	if (rc != 0) {
		char m[300];
		snprintf(err, errlen, "%s", pg_msg(PQerrorMessage(c), m, sizeof m));
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

int store_pg_empty(const char *dsn, char *err, size_t errlen)
{
	int ms = atomic_load(&round_trip_ms);
	PGconn *c = conn_open(dsn, ms, err, errlen);
	if (!c)
		return -1;
	int w;
	PGresult *r = exec_by(c, "SELECT count(*) FROM pg_catalog.pg_class k JOIN pg_catalog.pg_namespace"
		" n ON n.oid = k.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
		" AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'", deadline_in(ms), &w);
	int rc = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		rc = strcmp(PQgetvalue(r, 0, 0), "0") == 0 ? 1 : 0;
	else {
		char m[300];
		snprintf(err, errlen, "%s", pg_msg(w == W_LATE ? "no answer by the deadline"
			: PQerrorMessage(c), m, sizeof m));
		if (w == W_LATE)
			cancel_async(c);
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}
