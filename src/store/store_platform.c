/* The platform tables of the store (partners, accounts, principals,
 * invitations, sessions, API keys, audit, settings, passwords, second
 * factor, terms, idempotency): SQL in the subset both backends accept, run
 * through the sq_* helpers (store_int.h). */
#include "store.h"
#include "store_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* ---- partners ---- */

static const char *const partner_cols[] = { "id", "name", "status", "created_at", NULL };

int store_partner_insert(store_tx_t *tx, const json_t *p)
{
	return sq_insert(tx, "partners", partner_cols, p);
}

json_t *store_partner_get(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT id, name, status, created_at, max_accounts, allowed_countries,"
		" allowed_plans, features, display_name, support_email, support_phone, logo_url"
		" FROM partners WHERE id=?", "s", id);
}

int store_partner_list(store_tx_t *tx, const char *cursor, int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx,
		"SELECT rowid AS _k, id, name, status, created_at FROM partners WHERE rowid > ?"
		" ORDER BY rowid LIMIT ?", "in", sq_cursor(cursor, 0), limit + 1), limit, out);
}

int store_partner_update(store_tx_t *tx, const char *id, const json_t *fields)
{
	static const char *const allowed[] = { "name", "status", "max_accounts", "allowed_countries",
		"allowed_plans", "features", "display_name", "support_email", "support_phone", "logo_url",
		NULL };
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
	"name", "role", "permissions", "status", "password_hash", "created_at", "updated_at",
	"role_id", NULL };
static const char *const principal_upd[] = { "email", "name", "role", "permissions", "role_id",
	"status", "password_hash", "updated_at", "password_changed_at", "failed_logins", "locked_until",
	"last_login_at", "totp_secret", "totp_confirmed_at", "totp_last_step", "lang", NULL };

#define PRINCIPAL_COLS "id, kind, account_id, partner_id, email, name, role, permissions," \
	" status, password_hash, created_at, updated_at, password_changed_at, failed_logins," \
	" locked_until, last_login_at, totp_secret, totp_confirmed_at, totp_last_step, lang," \
	" mail_bounced_at, mail_bounce_status, role_id," \
	" (SELECT r.name FROM roles r WHERE r.id = principals.role_id) AS role_name"

int store_principal_insert(store_tx_t *tx, const json_t *p)
{
	return sq_insert(tx, "principals", principal_cols, p);
}

json_t *store_principal_get(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT " PRINCIPAL_COLS " FROM principals WHERE id=?", "s", id);
}

json_t *store_principal_profile(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT p.id, p.kind, p.account_id, p.partner_id, p.email, p.name, p.role,"
		" p.status, p.created_at, p.updated_at, p.totp_confirmed_at, p.lang, p.mail_bounced_at,"
		" p.mail_bounce_status, p.role_id, r.name AS role_name, a.partner_id AS account_partner_id"
		" FROM principals p LEFT JOIN roles r ON r.id = p.role_id"
		" LEFT JOIN accounts a ON a.id = p.account_id WHERE p.id=?", "s", id);
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
	int rc = sq_update(tx, "principals", principal_upd, id, fields, NULL);
	/* A new role that names no custom role ends the link to one. */
	if (rc == STORE_OK && json_object_get(fields, "role") && !json_object_get(fields, "role_id"))
		rc = sq_exec(tx, false, "UPDATE principals SET role_id=NULL WHERE id=?", "s", id);
	/* A new address is not the one that bounced: the mark goes. */
	if (rc == STORE_OK && json_object_get(fields, "email"))
		rc = sq_exec(tx, false, "UPDATE principals SET mail_bounced_at=NULL,"
			" mail_bounce_status=NULL, mail_bounced_addr=NULL WHERE id=?"
			" AND mail_bounced_addr IS NOT NULL AND mail_bounced_addr <> email", "s", id);
	return rc;
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

int64_t store_auth_generation(store_tx_t *tx)
{
	json_t *r = sq_one(tx, "SELECT gen FROM auth_generation WHERE id=1", "");
	const json_t *g = json_object_get(r, "gen");
	int64_t v = json_is_integer(g) ? (int64_t)json_integer_value(g) : -1;
	json_decref(r);
	return v;
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

json_t *store_session_history(store_tx_t *tx, const char *principal_id)
{
	return sq_rows(tx, "SELECT id, source, created_at, last_seen_at, expires_at, revoked_at"
		" FROM sessions WHERE principal_id=? ORDER BY created_at", "s", principal_id);
}

int store_session_forget_sources(store_tx_t *tx, const char *principal_id)
{
	return sq_exec(tx, false, "UPDATE sessions SET source='' WHERE principal_id=?", "s",
		principal_id);
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
	return sq_one(tx, "SELECT " APIKEY_COLS ", last_source FROM api_keys WHERE secret_hash=?"
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
	"prev_hash", "hash", "chain", "pd", "pd_salt", "chain_id", "chain_seq", NULL };
#define AUDIT_COLS "seq, id, time, actor_id, actor_type, on_behalf_of, action, target," \
	" account_id, source, outcome, detail, prev_hash, hash, chain, pd, pd_salt, redacted_at," \
	" redaction_mac, chain_id, chain_seq"

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

/* The head row of chain_id; on PostgreSQL under this chain's row lock,
 * held to the commit (writers of other chains do not wait on it). */
static json_t *chain_head_row(store_tx_t *tx, const char *chain_id)
{
	return sq_one(tx, tx->st->row_locks
		? "SELECT chain_seq, hash, version FROM audit_heads WHERE chain_id = ? FOR UPDATE"
		: "SELECT chain_seq, hash, version FROM audit_heads WHERE chain_id = ?", "s", chain_id);
}

int sq_chain_lock_key(const char *chain)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *c = (const unsigned char *)chain; *c; c++)
		h = (h ^ *c) * 16777619u;
	return (int)(int32_t)h;
}

int sq_audit_lock_heads(store_tx_t *tx, const char *const *chains, int n, int first, int *busy)
{
	for (int k = 0; k < n; k++) {
		/* chains[first] (its lock taken at BEGIN), then the others in
		 * their order. */
		int i = k == 0 ? first : k - 1 < first ? k - 1 : k;
		json_t *r = k == 0
			? sq_one(tx, "SELECT count(*) AS adv, count(*) AS got, count(*) AS there FROM"
				" (SELECT 1 FROM audit_heads WHERE chain_id = ? FOR UPDATE) s", "s", chains[i])
			: sq_one(tx, "SELECT pg_try_advisory_xact_lock(CAST(? AS integer),"
				" CAST(? AS integer)) AS adv, (SELECT count(*) FROM (SELECT 1 FROM audit_heads"
				" WHERE chain_id = ? FOR UPDATE SKIP LOCKED) s) AS got,"
				" (SELECT count(*) FROM audit_heads WHERE chain_id = ?) AS there", "nnss",
				SQ_CHAIN_LOCK_TAG, sq_chain_lock_key(chains[i]), chains[i], chains[i]);
		if (!r)
			return STORE_ERROR;
		json_t *adv = json_object_get(r, "adv");
		bool got = (json_is_true(adv) || json_integer_value(adv) > 0) &&
			json_integer_value(json_object_get(r, "got")) > 0;
		int64_t there = json_integer_value(json_object_get(r, "there"));
		json_decref(r);
		if (got)
			continue;
		/* Not taken: another writer holds it, or it is not made yet. */
		*busy = i;
		return there ? 1 : 2;
	}
	return 0;
}

int store_audit_chain_head(store_tx_t *tx, const char *chain_id, int64_t *chain_seq,
	char hash[65], int *version)
{
	json_t *r = chain_head_row(tx, chain_id);
	/* A chain's first writer makes its head from the anchor (the closed
	 * global chain's head, or nothing); ON CONFLICT: another writer did. */
	if (!r && (sq_exec(tx, false, "INSERT INTO audit_heads (chain_id, chain_seq, hash, version)"
		" SELECT ?, 0, COALESCE((SELECT hash FROM audit_heads WHERE chain_id = ''), ?),"
		" COALESCE((SELECT version FROM audit_heads WHERE chain_id = ''), 0) WHERE 1 = 1"
		" ON CONFLICT (chain_id) DO NOTHING", "ss", chain_id,
		"0000000000000000000000000000000000000000000000000000000000000000") != STORE_OK ||
		   !(r = chain_head_row(tx, chain_id))))
		return STORE_ERROR;
	*chain_seq = json_integer_value(json_object_get(r, "chain_seq"));
	snprintf(hash, 65, "%s", json_string_value(json_object_get(r, "hash")));
	*version = (int)json_integer_value(json_object_get(r, "version"));
	json_decref(r);
	return STORE_OK;
}

int store_audit_chain_advance(store_tx_t *tx, const char *chain_id, int64_t chain_seq,
	const char *hash, int version)
{
	return sq_exec(tx, true, "UPDATE audit_heads SET chain_seq = ?, hash = ?, version = ?"
		" WHERE chain_id = ? AND chain_seq = ?", "isisi", chain_seq, hash, (int64_t)version,
		chain_id, chain_seq - 1);
}

json_t *store_audit_heads(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT chain_id, chain_seq, hash, version FROM audit_heads"
		" ORDER BY chain_id", "");
}

int store_audit_hash_at(store_tx_t *tx, const char *chain_id, int64_t chain_seq, char hash[65])
{
	json_t *r = sq_one(tx, "SELECT hash FROM audit_events WHERE chain_id = ? AND chain_seq = ?",
		"si", chain_id, chain_seq);
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
	/* account_id = ? alone, not SQ_AUDIT_OF_ACCOUNT: the same rows, and on
	 * PostgreSQL a walk of audit_account_seq (kept there, migration 0070)
	 * in seq's order that stops at the page, where the OR's two indexes
	 * gather and sort every event of the account. SQLite's plan of this
	 * list is the table by seq, filtered, either way. */
	return sq_page_finish(sq_rows(tx, "SELECT seq AS _k, " AUDIT_COLS " FROM audit_events"
		" WHERE seq < ? AND (? IS NULL OR account_id = ?) AND (? = 0 OR time >= ?)"
		" AND (? = 0 OR time < ?) AND (? IS NULL OR actor_id = ? OR on_behalf_of = ?)"
		" AND (? IS NULL OR action = ?) ORDER BY seq DESC LIMIT ?",
		"issiiiisssssn", sq_cursor(cursor, INT64_MAX), f->account_id, f->account_id,
		f->since, f->since, f->until, f->until, f->actor_id, f->actor_id, f->actor_id,
		f->action, f->action, limit + 1), limit, out);
}

json_t *store_audit_naming(store_tx_t *tx, const char *account_id, const char *person_id,
	const char *text)
{
	return sq_rows(tx, "SELECT " AUDIT_COLS " FROM audit_events WHERE "
		SQ_AUDIT_OF_ACCOUNT("") " AND"
		" (actor_id = ? OR on_behalf_of = ? OR target = ? OR instr(detail, ?) > 0)"
		" ORDER BY seq", "sssssss", account_id, account_id, account_id, person_id, person_id,
		person_id, text);
}

int store_audit_redact(store_tx_t *tx, int64_t seq, const char *source, const char *detail,
	const char *mac, int64_t now)
{
	return sq_exec(tx, true, "UPDATE audit_events SET source=?, detail=?, pd_salt='',"
		" redaction_mac=?, redacted_at=? WHERE seq=? AND chain=3", "sssii", source, detail, mac,
		now, seq);
}

int store_audit_redact_old(store_tx_t *tx, int64_t seq, const char *source, const char *detail,
	const char *mac, int64_t now)
{
	return sq_exec(tx, true, "UPDATE audit_events SET source=?, detail=?, redaction_mac=?,"
		" redacted_at=? WHERE seq=? AND chain IN (1, 2)", "sssii", source, detail, mac, now, seq);
}

/* Read in pages of AUDIT_PAGE events (by seq, or by chain_id and chain_seq) in one
 * read transaction (one snapshot on both backends), so memory stays bounded
 * on a long chain and the heads read with them are of the same moment. */
#define AUDIT_PAGE 500

int store_audit_foreach(store_t *st, int (*fn)(const json_t *, void *), void *arg)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return STORE_ERROR;
	int64_t after = INT64_MIN;
	int rc = 0;
	for (;;) {
		json_t *rows = sq_rows(tx, "SELECT " AUDIT_COLS " FROM audit_events WHERE seq > ?"
			" ORDER BY seq LIMIT ?", "in", after, AUDIT_PAGE);
		if (!rows) {
			rc = STORE_ERROR;
			break;
		}
		size_t i, n = json_array_size(rows);
		json_t *e;
		json_array_foreach(rows, i, e) {
			after = json_integer_value(json_object_get(e, "seq"));
			if ((rc = fn(e, arg)) != 0)
				break;
		}
		json_decref(rows);
		if (rc || n < AUDIT_PAGE)
			break;
	}
	store_rollback(tx);
	return rc;
}

int store_audit_foreach_chain(store_t *st, const char *chain_id, json_t **heads,
	int (*fn)(const json_t *, void *), void *arg)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return STORE_ERROR;
	if (heads && !(*heads = store_audit_heads(tx))) {
		store_rollback(tx);
		return STORE_ERROR;
	}
	const char *after_chain = chain_id ? chain_id : "";
	char *held = NULL;
	int64_t after = INT64_MIN;
	int rc = 0;
	for (;;) {
		json_t *rows = sq_rows(tx, "SELECT " AUDIT_COLS " FROM audit_events WHERE"
			" (? IS NULL OR chain_id = ?) AND (chain_id > ? OR (chain_id = ? AND chain_seq > ?))"
			" ORDER BY chain_id, chain_seq LIMIT ?", "ssssin", chain_id, chain_id, after_chain,
			after_chain, after, AUDIT_PAGE);
		if (!rows) {
			rc = STORE_ERROR;
			break;
		}
		size_t i, n = json_array_size(rows);
		json_t *e;
		json_array_foreach(rows, i, e) {
			free(held);
			held = xstrdup(json_string_value(json_object_get(e, "chain_id")));
			after_chain = held;
			after = json_integer_value(json_object_get(e, "chain_seq"));
			if ((rc = fn(e, arg)) != 0)
				break;
		}
		json_decref(rows);
		if (rc || n < AUDIT_PAGE)
			break;
	}
	free(held);
	store_rollback(tx);
	if (rc && heads) {
		json_decref(*heads);
		*heads = NULL;
	}
	return rc;
}

static const char *const checkpoint_cols[] = { "chain_id", "seq", "prev_seq", "mac", "time",
	"signature", "created_at", NULL };
#define CHECKPOINT_COLS "chain_id, seq, prev_seq, mac, time, signature, created_at"

int store_audit_checkpoint_insert(store_tx_t *tx, const json_t *cp)
{
	return sq_insert(tx, "audit_checkpoints", checkpoint_cols, cp);
}

json_t *store_audit_checkpoint_last(store_tx_t *tx, const char *chain_id)
{
	return sq_one(tx, "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints WHERE chain_id = ?"
		" ORDER BY seq DESC LIMIT 1", "s", chain_id);
}

json_t *store_audit_checkpoint_all(store_tx_t *tx, const char *chain_id)
{
	return sq_rows(tx, "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints WHERE"
		" (? IS NULL OR chain_id = ?) ORDER BY chain_id, seq", "ss", chain_id, chain_id);
}

int store_audit_checkpoint_list(store_tx_t *tx, const char *account_id, const char *cursor,
	int limit, store_page_t *out)
{
	/* An account's checkpoints are those of its chain, and those of the
	 * closed global chain whose span (prev_seq, seq] holds one of its
	 * events (the partial index audit_account_closed answers that). */
	return sq_page_finish(sq_rows(tx, "SELECT c.rowid AS _k, c.chain_id, c.seq, c.prev_seq,"
		" c.mac, c.time, c.signature, c.created_at FROM audit_checkpoints c WHERE c.rowid < ?"
		" AND (? IS NULL OR c.chain_id = ? OR (c.chain_id = '' AND"
		" EXISTS (SELECT 1 FROM audit_events e WHERE e.account_id = ? AND e.chain_id = ''"
		" AND e.seq > c.prev_seq AND e.seq <= c.seq))) ORDER BY c.rowid DESC LIMIT ?", "isssn",
		sq_cursor(cursor, INT64_MAX), account_id, account_id, account_id, limit + 1), limit, out);
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

json_t *store_members_active_everywhere(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT " PRINCIPAL_COLS " FROM principals WHERE kind='account'"
		" AND status='active' AND account_id IN (SELECT id FROM accounts WHERE"
		" status='active') ORDER BY rowid", "");
}

json_t *store_accounts_for_contacts_review(store_tx_t *tx, int64_t before, int limit)
{
	return sq_rows(tx, "SELECT a.id, a.created_at, s.contacts_confirmed_at FROM accounts a"
		" LEFT JOIN account_settings s ON s.account_id = a.id WHERE a.status='active'"
		" AND COALESCE(s.contacts_confirmed_at, a.created_at) <= ? AND NOT EXISTS (SELECT 1"
		" FROM audit_events e WHERE (e.chain_id = a.id OR (e.chain_id = '' AND"
		" e.account_id = a.id)) AND e.account_id = a.id AND"
		" e.action = 'contacts.review_reminded' AND"
		" e.time >= COALESCE(s.contacts_confirmed_at, a.created_at))"
		" ORDER BY COALESCE(s.contacts_confirmed_at, a.created_at), a.id LIMIT ?", "ii", before,
		limit);
}

bool store_audit_since(store_tx_t *tx, const char *account_id, const char *action, int64_t since)
{
	json_t *r = sq_one(tx, "SELECT id FROM audit_events WHERE " SQ_AUDIT_OF_ACCOUNT("")
		" AND action=? AND time >= ? LIMIT 1", "ssssi", account_id, account_id, account_id,
		action, since);
	json_decref(r);
	return r != NULL;
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

int store_idem_get(store_tx_t *tx, const char *principal_id, const char *key, int64_t since,
	json_t **rec)
{
	*rec = sq_one(tx, "SELECT request_hash, status, body FROM idempotency_keys"
		" WHERE principal_id=? AND key=? AND created_at >= ?", "ssi", principal_id, key, since);
	return *rec ? STORE_OK : STORE_NOTFOUND;
}

int store_idem_put(store_tx_t *tx, const char *principal_id, const char *key,
	const char *request_hash, int status, const char *body, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO idempotency_keys (principal_id, key, request_hash,"
		" status, body, created_at) VALUES (?,?,?,?,?,?) ON CONFLICT (principal_id, key)"
		" DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status,"
		" body = excluded.body, created_at = excluded.created_at", "sssnsi", principal_id, key,
		request_hash, status, body, now);
}

int store_idem_purge(store_tx_t *tx, int64_t before, int limit)
{
	if (sq_exec(tx, false, "DELETE FROM idempotency_keys WHERE (principal_id, key) IN"
		    " (SELECT principal_id, key FROM idempotency_keys WHERE created_at < ?"
		    " ORDER BY created_at LIMIT ?)", "in", before, limit) != STORE_OK)
		return -1;
	return sq_changes(tx);
}
