/* The store: the only module that speaks SQL.
 *
 * Callers see transactions and operations on records; they never see SQL or
 * the backend. Records travel as JSON objects (jansson), whose keys are the
 * column names of docs/data-model.md; times are int64 ms since the epoch
 * (UTC). This keeps the interface the same for the SQLite backend
 * (store_sqlite.c, the default) and the PostgreSQL one (store_pg.c).
 *
 * Tenant scoping is enforced here too: every operation on account data takes
 * the account id and never answers across accounts, whatever the caller
 * claims.
 *
 * Ownership: every json_t * returned is a new reference owned by the caller
 * (json_decref it). Every json_t * passed in is borrowed. A transaction is
 * owned by the caller from store_begin() until store_commit() or
 * store_rollback(), which both release it.
 *
 * Errors: functions returning int answer 0 on success, STORE_NOTFOUND when the
 * record does not exist (or is not in the given account), STORE_CONFLICT when
 * a uniqueness rule refused the write, STORE_ERROR on anything else (logged).
 */
#ifndef FV_STORE_H
#define FV_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum { STORE_OK = 0, STORE_NOTFOUND = 1, STORE_CONFLICT = 2, STORE_ERROR = -1 };

typedef struct store store_t;
typedef struct store_tx store_tx_t;

/* Opens (creating if needed) the store at path, in WAL mode, and runs every
 * pending migration. NULL on failure, with a reason in err. */
store_t *store_open(const char *path, char *err, size_t errlen);
/* Opens the PostgreSQL store the libpq connection string dsn names (the
 * database must exist; its tables are created by the migrations, which run
 * once even when several nodes start together). NULL on failure, with a
 * reason in err that never holds the connection string. */
store_t *store_open_pg(const char *dsn, char *err, size_t errlen);
/* The longest wait for one answer of PostgreSQL, in seconds (0: none;
 * default 30), for every store of the process from now on (set it before
 * store_open_pg): past it the statement is cancelled, its connection
 * closed, and the call fails as the database unavailable. Each session's
 * statement_timeout is set to nine tenths of it. Migrations have none. */
void store_pg_set_timeout(int seconds);
void store_close(store_t *st);
/* Schema version after migrations. */
int store_schema_version(store_t *st);
/* One round trip to the database in tx (a read of the schema's version):
 * STORE_OK, or STORE_ERROR when it did not answer (store_unavailable_seen
 * then says whether it is unavailable). A readiness probe's: a transaction
 * begun is not enough, PostgreSQL's sends nothing until its first
 * statement. */
int store_ping(store_tx_t *tx);
/* Copies the write-ahead log into the database file and truncates it, so
 * that no superseded page (a value replaced or deleted) stays in the log.
 * Deleted and replaced values are overwritten in the database file itself
 * (secure_delete). STORE_OK, STORE_CONFLICT when a reader kept it from
 * finishing, STORE_ERROR (logged). */
int store_checkpoint(store_t *st);
/* SQLite: how many times the write-ahead log was started over, counted at
 * the commit that finds it so, whoever started it (after 10,000 log frames
 * a commit asks the store's checkpointer thread, which leaves the log for
 * the next writer to start over; store_checkpoint truncates it);
 * PostgreSQL: 0. */
uint64_t store_wal_restarts(store_t *st);
/* SQLite: how many times the store's cached statements were prepared
 * again by SQLite since the store was opened (a bound value that may
 * change the plan, as a term against a partial index's WHERE, or a schema
 * change), over the statements of the connections not in a transaction
 * now and those finalized; PostgreSQL: 0. For the tests: a statement
 * prepared again at every run costs a parse and a plan each time. */
uint64_t store_stmt_reprepares(store_t *st);
/* Write transactions begun on st since it was opened (each takes the
 * writers' lock; a group commit counts once, however many times its BEGIN
 * was tried): for the tests. */
uint64_t store_write_txs(store_t *st);
/* PostgreSQL: how many times a group commit's BEGIN was tried again
 * since st was opened (one of its chains' heads held by another writer:
 * tried with that chain first, then under the write lock); SQLite: 0. */
uint64_t store_write_retries(store_t *st);
/* SQLite: the time the checkpointer's passes (a restart prepared or
 * given up) held this process's writers' lock, in all and the longest
 * once; PostgreSQL: 0 and 0. */
void store_wal_restart_held(store_t *st, uint64_t *total_ns, uint64_t *max_ns);
/* SQLite: the bytes SQLite's allocator holds in this process now (the page
 * caches, prepared statements and schemas of every pooled connection, 2 MiB
 * of page cache at most each by SQLite's default) and the most it held since
 * the start; PostgreSQL: 0 and 0 (its memory is the server's). */
void store_engine_memory(store_t *st, uint64_t *now, uint64_t *peak);
/* Writes a consistent copy of the whole database to path (which must not
 * exist) while the service runs: one read snapshot (VACUUM INTO), so the
 * copy holds every transaction committed before it began and none after.
 * 0, or -1 with a reason in err. */
int store_snapshot(store_t *st, const char *path, char *err, size_t errlen);
/* PostgreSQL: exports the snapshot of read transaction tx
 * (pg_export_snapshot) for another session to share, such as pg_dump
 * --snapshot; its name into name. It is valid while tx stays open. 0, or -1
 * (SQLite, or an error, logged). */
int store_export_snapshot(store_tx_t *tx, char *name, size_t len);
/* PostgreSQL, for backups. The connection string dsn as libpq reads it,
 * made into environment entries for a client program ("PGHOST=…",
 * "PGPASSWORD=…", NULL-terminated, owned: store_pg_env_free), the database
 * replaced by db when not NULL: the password is never on a command line.
 * NULL when dsn does not parse. */
char **store_pg_env(const char *dsn, const char *db);
void store_pg_env_free(char **env);
/* dsn naming database db instead of its own (owned), or NULL. */
char *store_pg_dsn_with_db(const char *dsn, const char *db);
/* One statement outside a transaction (CREATE or DROP DATABASE) on the
 * server dsn names: 0, or -1 with the server's reason in err. */
int store_pg_admin(const char *dsn, const char *sql, char *err, size_t errlen);
/* 1 when the database dsn names holds no table, sequence or view of its
 * own (a restore may go there), 0 when it does, -1 with a reason in err. */
int store_pg_empty(const char *dsn, char *err, size_t errlen);
/* Cumulative time spent inside the database, in ns (for /metrics). */
int64_t store_db_time_ns(store_t *st);

/* Starts a transaction. write=true takes the write lock at once (BEGIN
 * IMMEDIATE), so the whole request sees one consistent state and writes in
 * one go. NULL when the database could not be reached. */
store_tx_t *store_begin(store_t *st, bool write);
/* Whether, since store_unavailable_clear on this thread, a statement or
 * commit of this thread (or the group commit of its deferred writes)
 * failed because the database could not take it (PostgreSQL: the
 * connection lost, the server shutting down or in recovery, a read-only
 * member): a failure the caller answers "unavailable" (503, try again),
 * not "internal". Thread-local. */
bool store_unavailable_seen(void);
void store_unavailable_clear(void);
int store_commit(store_tx_t *tx);
void store_rollback(store_tx_t *tx);
/* Whether tx began as a write transaction. A read transaction (SQLite WAL
 * readers and PostgreSQL REPEATABLE READ snapshots run beside the writer)
 * refuses every write statement (STORE_ERROR, logged
 * store.write_in_read_tx): what it must write goes through a group below. */
bool store_tx_writes(const store_tx_t *tx);
/* The store tx belongs to. */
store_t *store_tx_store(const store_tx_t *tx);

/* Group commit: the small writes of a read transaction (the audit event of
 * a read, last_seen_at) are queued at once, in order, and written by one
 * writer at a time, many to a transaction. When the read transaction ends
 * (store_commit or store_rollback), its caller waits until every write it
 * queued is committed; the first waiting caller that finds no group being
 * written becomes the writer: it takes the write lock, runs the queued
 * writes in the order they were queued (at most STORE_GROUP_MAX), commits
 * and wakes their callers; writes queued meanwhile form the next group.
 * store_commit of the read transaction answers STORE_ERROR when one of
 * its writes failed or its group could not commit, so its caller answers
 * nothing that needed them; store_rollback waits the same (what was
 * queued is written all the same) and ignores the outcome.
 * fn writes with the group's transaction and answers 0, or -1 having
 * written nothing (the others of its group are kept). arg is owned by the
 * queue from this call on and released with free_arg (may be NULL) once
 * written. Only for a read transaction (a write transaction writes
 * itself). */
#define STORE_GROUP_MAX 256
typedef int (*store_group_fn)(store_tx_t *tx, void *arg);
void store_tx_defer(store_tx_t *tx, store_group_fn fn, void *arg, void (*free_arg)(void *));
/* store_tx_defer of a write of one audit chain's events only (chain: its
 * id, copied). On PostgreSQL a group whose writes all name their chain
 * takes no write lock: it locks those chains' heads (store_group.c), and
 * groups of different chains commit at once. */
void store_tx_defer_chain(store_tx_t *tx, const char *chain, store_group_fn fn, void *arg,
	void (*free_arg)(void *));
/* The group commit of a store since it was opened: groups committed and
 * the writes they held (their mean size: /metrics), writes queued and not
 * yet taken into a group, and whether a group is being written. */
typedef struct store_group_stats {
	uint64_t groups, writes;
	int queued;
	bool writing;
} store_group_stats_t;
void store_group_stats(store_t *st, store_group_stats_t *out);
/* A caller that need not wait for its group's commit to go on (the HTTP
 * service's workers: the answer waits, the worker takes the next request).
 * store_detach_next arms this thread's next store_commit: if it ends a
 * read transaction whose writes are queued for a group and that runs
 * nothing after it (store_tx_after_commit), it answers STORE_OK without
 * waiting; store_detached then gives what stands for those writes, or
 * NULL when that commit waited as before (or there was none); it disarms.
 * store_pending_then hands their end over: fn(arg, rc, unavailable) runs
 * once every write is committed (rc 0) or once one of them or its group
 * failed (rc -1; unavailable: as store_unavailable_seen would have said),
 * in the thread of the caller that wrote their group; when no group is
 * being written, the caller of store_pending_then writes it now, then the
 * writes that callers who went on meanwhile queued, running their ends
 * too. It answers 1. Behind a group being written, the caller goes on
 * without its end (answering 1) when at most two writes are queued behind
 * that group, its own included, or when that group has taken over a
 * millisecond (a log restart holding the writers' lock); behind a longer
 * queue and a group written for less, it waits as store_commit does, and
 * answers 0 with *rc and *unavailable set; so it does too when the end
 * had already come. fn is then not called. Either way p is released. */
typedef struct store_pending store_pending_t;
typedef void (*store_pending_fn)(void *arg, int rc, bool unavailable);
void store_detach_next(void);
store_pending_t *store_detached(void);
int store_pending_then(store_pending_t *p, store_pending_fn fn, void *arg, int *rc,
	bool *unavailable);
/* Tests only (testing.group_hold_file): while the file path exists, each
 * group waits before it writes (at most 10 minutes), logging
 * store.group_held first. NULL or "": none. */
void store_group_test_hold(store_t *st, const char *path);

/* Runs fn(arg) once tx has committed (not after a rollback or a failed
 * commit), in the committing thread: wakes what waits for what tx wrote
 * (the job queue, queue.h). At most STORE_AFTER_MAX of them; the same fn
 * and arg again is ignored. */
#define STORE_AFTER_MAX 4
void store_tx_after_commit(store_tx_t *tx, void (*fn)(void *), void *arg);
/* The same with an arg the transaction owns: free_arg(arg) runs once tx
 * has ended, after fn(arg) when it committed, alone when it rolled back or
 * its commit failed (what fn would undo then stays: a file whose row
 * stays). 0, or -1 when the list is full: nothing registered, arg is still
 * the caller's. */
int store_tx_after_commit_owned(store_tx_t *tx, void (*fn)(void *), void *arg,
	void (*free_arg)(void *));
/* The arg registered on tx with fn (the first), or NULL: a caller adds to
 * what it registered before rather than registering once more. */
void *store_tx_after_arg(const store_tx_t *tx, void (*fn)(void *));
/* PostgreSQL: a notification on channel (a constant lower-case name),
 * delivered when tx commits to every session listening on it
 * (store_listen), on every node. SQLite: nothing (a single node). */
int store_notify(store_tx_t *tx, const char *channel);
/* A connection of its own listening on channel (PostgreSQL LISTEN); NULL
 * on SQLite, or with a reason in err when it cannot connect. */
typedef struct store_listener store_listener_t;
store_listener_t *store_listen(store_t *st, const char *channel, char *err, size_t errlen);
/* Waits up to timeout_ms for notifications, or until stop_fd (>= 0) is
 * readable: the number received (> 0), 0 (timeout or stop_fd), or -1 when
 * the connection is lost (close it and listen again later). */
int store_listen_wait(store_listener_t *l, int stop_fd, int timeout_ms);
void store_listen_close(store_listener_t *l);

/* A page of a list: items plus the cursor to pass for the next page (NULL at
 * the end). Cursors are opaque strings. */
typedef struct store_page {
	json_t *items;     /* array, owned by the page */
	char *next_cursor; /* owned by the page, or NULL */
} store_page_t;
void store_page_free(store_page_t *p);

/* --- partners --- */
int store_partner_insert(store_tx_t *tx, const json_t *partner);
json_t *store_partner_get(store_tx_t *tx, const char *id);
int store_partner_list(store_tx_t *tx, const char *cursor, int limit, store_page_t *out);
/* Sets the given keys (name, status). */
int store_partner_update(store_tx_t *tx, const char *id, const json_t *fields);

/* --- accounts --- */
int store_account_insert(store_tx_t *tx, const json_t *account);
/* partner_id, when non-NULL, restricts the answer to that partner's accounts. */
json_t *store_account_get(store_tx_t *tx, const char *id, const char *partner_id);
/* Sets the given keys (name, status, regulatory_profile, owner_id, currency,
 * fax_header). */
int store_account_update(store_tx_t *tx, const char *id, const json_t *fields);
int store_account_list(store_tx_t *tx, const char *partner_id, const char *cursor, int limit,
	store_page_t *out);

/* --- principals (provider staff, partner staff, account members) --- */
int store_principal_insert(store_tx_t *tx, const json_t *principal);
json_t *store_principal_get(store_tx_t *tx, const char *id);
/* What GET /v1/me shows of a person, in one statement: the public columns
 * (no password hash, no second factor's secret), role_name, and
 * account_partner_id (their account's partner, or null); or NULL. */
json_t *store_principal_profile(store_tx_t *tx, const char *id);
/* The live (not deprovisioned) principal with this e-mail, or NULL. */
json_t *store_principal_by_email(store_tx_t *tx, const char *email);
/* A member of account_id, or NULL (also when it belongs to another account). */
json_t *store_member_get(store_tx_t *tx, const char *account_id, const char *id);
/* Sets the given keys (name, role, permissions, role_id, status,
 * password_hash, ...). A role given without role_id clears role_id (the
 * person holds no named custom role any more). */
int store_principal_update(store_tx_t *tx, const char *id, const json_t *fields);
/* Members of an account, or staff of a partner / the provider:
 * kind "account" with account_id, "partner" with partner_id, "provider". */
int store_principal_list(store_tx_t *tx, const char *kind, const char *scope_id,
	const char *cursor, int limit, store_page_t *out);
int store_principal_count(store_tx_t *tx, const char *kind);
/* Active principals of a kind holding a role (e.g. the last operator). */
int store_principal_count_role(store_tx_t *tx, const char *kind, const char *role);

/* --- invitations (stored by token hash) --- */
int store_invitation_insert(store_tx_t *tx, const char *token_hash, const char *principal_id,
	int64_t expires_at);
/* Marks the invitation used and returns its principal id (caller frees), or
 * NULL when unknown, used or expired at `now`. */
char *store_invitation_take(store_tx_t *tx, const char *token_hash, int64_t now);
/* The same without marking it used. */
char *store_invitation_find(store_tx_t *tx, const char *token_hash, int64_t now);

/* --- sessions (stored by token hash) --- */
int store_session_insert(store_tx_t *tx, const json_t *session);
/* The live session with this token hash (not revoked; expiry left to the
 * caller, who knows the idle timeout), or NULL. */
json_t *store_session_by_hash(store_tx_t *tx, const char *token_hash);
/* The generation of credentials: a counter the database's triggers bump on
 * every write that can change what a session or an API key may do
 * (revocations, expiries, the person's status, role, permissions, password,
 * second factor or language, the account's or partner's status, security
 * settings, terms, closures). -1 on error. */
int64_t store_auth_generation(store_tx_t *tx);
int store_session_touch(store_tx_t *tx, const char *id, int64_t now);
/* Revokes one session of principal_id; STORE_NOTFOUND if it is not theirs. */
int store_session_revoke(store_tx_t *tx, const char *principal_id, const char *id, int64_t now);
/* Revokes every session of principal_id except keep_id (NULL: all). */
int store_session_revoke_all(store_tx_t *tx, const char *principal_id, const char *keep_id,
	int64_t now);
json_t *store_session_list(store_tx_t *tx, const char *principal_id, int64_t now);
/* Every session principal_id ever had, revoked and expired ones included:
 * {id, source, created_at, last_seen_at, expires_at, revoked_at} (new
 * reference, NULL on error). */
json_t *store_session_history(store_tx_t *tx, const char *principal_id);
/* Clears the source address of every session of principal_id (erasure). */
int store_session_forget_sources(store_tx_t *tx, const char *principal_id);
/* Whether principal_id opened a session from source at or after `since`
 * (revoked and expired sessions count). */
bool store_session_seen_from(store_tx_t *tx, const char *principal_id, const char *source,
	int64_t since);

/* --- API keys (stored by secret hash) --- */
int store_apikey_insert(store_tx_t *tx, const json_t *key);
json_t *store_apikey_by_hash(store_tx_t *tx, const char *secret_hash);
/* Keys of an account; creator_id non-NULL restricts to that creator's. */
int store_apikey_list(store_tx_t *tx, const char *account_id, const char *creator_id,
	const char *cursor, int limit, store_page_t *out);
json_t *store_apikey_get(store_tx_t *tx, const char *account_id, const char *id);
int store_apikey_revoke(store_tx_t *tx, const char *account_id, const char *id, int64_t now);
int store_apikey_revoke_by_creator(store_tx_t *tx, const char *creator_id, int64_t now);
int store_apikey_touch(store_tx_t *tx, const char *id, int64_t now);

/* --- audit chain --- */
/* Events belong to one chain each (chain_id: an account's id, "provider",
 * or "" for the global chain closed by migration 0056) and have their place
 * in it (chain_seq, from 1); seq is global and orders them all (assigned by
 * the database when the event has none). See audit.h. */
/* The newest event of all (global seq), its hash and chain version (chain
 * may be NULL); seq 0, an all-zero hash and chain 0 when empty. */
int store_audit_head(store_tx_t *tx, int64_t *seq, char hash[65], int *chain);
/* The head of chain_id (chain_seq 0 and the anchor's hash and version when
 * it has no event yet: the head of the closed global chain, or an all-zero
 * hash and version 0), made if missing. In a write transaction; on
 * PostgreSQL it locks that chain's head row until the commit. */
int store_audit_chain_head(store_tx_t *tx, const char *chain_id, int64_t *chain_seq,
	char hash[65], int *version);
/* Moves chain_id's head from chain_seq - 1 to chain_seq (hash, version).
 * STORE_NOTFOUND when the head was not at chain_seq - 1. */
int store_audit_chain_advance(store_tx_t *tx, const char *chain_id, int64_t chain_seq,
	const char *hash, int version);
/* Every chain's head {chain_id, chain_seq, hash, version}, by chain_id (the
 * closed global chain "" first, when it had events); NULL on error. */
json_t *store_audit_heads(store_tx_t *tx);
/* The hash of event chain_seq of chain_id; STORE_NOTFOUND when none. */
int store_audit_hash_at(store_tx_t *tx, const char *chain_id, int64_t chain_seq, char hash[65]);
int store_audit_insert(store_tx_t *tx, const json_t *event);
/* Events of account_id that name person_id (as actor, on whose behalf, or
 * target) or whose detail contains text, oldest first (new reference; NULL
 * on error). */
json_t *store_audit_naming(store_tx_t *tx, const char *account_id, const char *person_id,
	const char *text);
/* Rewrites the personal fields (source, detail) of event seq, if it is of
 * chain version 3, clearing its salt, storing mac (audit_redaction_mac) and
 * setting redacted_at (GDPR erasure; see audit.h). STORE_OK, STORE_NOTFOUND
 * for another version. */
int store_audit_redact(store_tx_t *tx, int64_t seq, const char *source, const char *detail,
	const char *mac, int64_t now);
/* The same for an event of chain 1 or 2: source and detail rewritten, mac
 * (audit_redaction_mac_old) stored, redacted_at set; its hash is kept.
 * STORE_NOTFOUND for another version. */
int store_audit_redact_old(store_tx_t *tx, int64_t seq, const char *source, const char *detail,
	const char *mac, int64_t now);
typedef struct store_audit_filter {
	const char *account_id; /* NULL: every account (provider security) */
	int64_t since, until;   /* 0: unbounded */
	const char *actor_id;
	const char *action;
} store_audit_filter_t;
int store_audit_list(store_tx_t *tx, const store_audit_filter_t *f, const char *cursor,
	int limit, store_page_t *out);
/* Calls fn for every event in global seq order until it returns non-zero
 * (which is then returned), in one snapshot. The event is borrowed for the
 * duration of the call. */
int store_audit_foreach(store_t *st, int (*fn)(const json_t *event, void *arg), void *arg);
/* The same for the events of chain_id (NULL: of every chain, chain by chain
 * in chain_id order), in chain_seq order; *heads (heads may be NULL) gets
 * store_audit_heads() of the same snapshot (the caller's, NULL when the
 * result is not 0). */
int store_audit_foreach_chain(store_t *st, const char *chain_id, json_t **heads,
	int (*fn)(const json_t *event, void *arg), void *arg);
/* Signed checkpoints of the chains' heads {chain_id, seq (the chain_seq of
 * the head), prev_seq, mac, time, signature, created_at}: insert one; the
 * newest of chain_id (NULL when none); all of chain_id (NULL: of every
 * chain), by chain then seq (a new array, NULL on error); a page of those of
 * account_id's chain and of the closed global chain's that cover one of its
 * events (account_id NULL: every one), newest first. */
int store_audit_checkpoint_insert(store_tx_t *tx, const json_t *cp);
json_t *store_audit_checkpoint_last(store_tx_t *tx, const char *chain_id);
json_t *store_audit_checkpoint_all(store_tx_t *tx, const char *chain_id);
int store_audit_checkpoint_list(store_tx_t *tx, const char *account_id, const char *cursor,
	int limit, store_page_t *out);

/* --- account settings (security controls) --- */
/* {security (JSON text), contacts_confirmed_at, updated_at}, or NULL when the
 * account never changed its settings. */
json_t *store_settings_get(store_tx_t *tx, const char *account_id);
int store_settings_put(store_tx_t *tx, const char *account_id, const char *security_json,
	int64_t now);
int store_contacts_confirm(store_tx_t *tx, const char *account_id, int64_t now);
/* Every member of an account (not paginated: for posture checks). */
json_t *store_members_all(store_tx_t *tx, const char *account_id);
/* Every active member of every active account (not paginated: for a
 * notice to all, such as new terms). */
json_t *store_members_active_everywhere(store_tx_t *tx);
/* Active accounts (id, created_at, contacts_confirmed_at or null) whose
 * last confirmation (or creation) is at or before `before` and that were
 * not reminded of the review since (audit contacts.review_reminded), the
 * oldest reference first, at most limit (for the contacts review
 * reminder). */
json_t *store_accounts_for_contacts_review(store_tx_t *tx, int64_t before, int limit);
/* Whether account_id has an audit event of action at or after since. */
bool store_audit_since(store_tx_t *tx, const char *account_id, const char *action, int64_t since);
/* Live sessions of every member of an account, with principal_id. */
json_t *store_account_sessions(store_tx_t *tx, const char *account_id, int64_t now);
/* Revokes a session of a member of account_id; STORE_NOTFOUND otherwise. */
int store_account_session_revoke(store_tx_t *tx, const char *account_id, const char *id, int64_t now);

/* --- passwords: history, lockout by source, reset tokens --- */
int store_pwhistory_add(store_tx_t *tx, const char *principal_id, const char *hash, int64_t now);
/* The n most recent previous hashes: array of strings. */
json_t *store_pwhistory_recent(store_tx_t *tx, const char *principal_id, int n);
/* {failures, first_at, locked_until} for a source address, or NULL. */
json_t *store_login_failures_get(store_tx_t *tx, const char *source);
int store_login_failures_put(store_tx_t *tx, const char *source, int failures, int64_t first_at,
	int64_t locked_until);
int store_login_failures_clear(store_tx_t *tx, const char *source);
int store_reset_insert(store_tx_t *tx, const char *token_hash, const char *principal_id,
	int64_t expires_at);
/* Marks the reset token used; its principal id (caller frees) or NULL. */
char *store_reset_take(store_tx_t *tx, const char *token_hash, int64_t now);
/* The same without marking it used. */
char *store_reset_find(store_tx_t *tx, const char *token_hash, int64_t now);

/* --- second factor --- */
/* Replaces the person's recovery codes by these hashes. */
int store_recovery_replace(store_tx_t *tx, const char *principal_id, const char *const *hashes,
	int n);
/* Uses one unused code: STORE_OK, or STORE_NOTFOUND when unknown or used. */
int store_recovery_use(store_tx_t *tx, const char *principal_id, const char *hash, int64_t now);
int store_recovery_unused(store_tx_t *tx, const char *principal_id);

/* --- terms of service --- */
/* STORE_CONFLICT when the version exists. */
int store_terms_insert(store_tx_t *tx, const char *version, const char *text_en,
	const char *text_fr, const char *by, int64_t now);
/* The latest published terms {version, text_en, text_fr, published_at}, or NULL. */
json_t *store_terms_current(store_tx_t *tx);
bool store_terms_accepted(store_tx_t *tx, const char *principal_id, const char *version);
int store_terms_accept(store_tx_t *tx, const char *principal_id, const char *version,
	const char *source, int64_t now);
/* Active members of an account who have not accepted version. */
json_t *store_terms_pending(store_tx_t *tx, const char *account_id, const char *version);

/* --- idempotency --- */
/* The stored answer for (principal, key) stored at since or later: 0 and
 * *rec set ({request_hash, status, body}), or STORE_NOTFOUND (none, or an
 * older one: the key has expired). */
int store_idem_get(store_tx_t *tx, const char *principal_id, const char *key, int64_t since,
	json_t **rec);
/* Stores the answer of (principal, key), replacing an expired one. */
int store_idem_put(store_tx_t *tx, const char *principal_id, const char *key,
	const char *request_hash, int status, const char *body, int64_t now);
/* Deletes at most limit answers stored before before, the oldest first: how
 * many, or -1. */
int store_idem_purge(store_tx_t *tx, int64_t before, int limit);

#endif
