/* SQLite backend of SCIM provisioning (see store_scim.h). */
#include "store_scim.h"

#include "store_int.h"

#define TOKEN_COLS "id, account_id, creator_id, name, prefix, secret_hash, permissions," \
	" created_at, last_used_at, revoked_at"
#define USER_SELECT "SELECT p.id, p.email, p.name, p.role, p.permissions, p.status, p.role_id," \
	" (SELECT r.name FROM roles r WHERE r.id = p.role_id) AS role_name," \
	" p.created_at, p.updated_at, s.external_id, s.attrs," \
	" CASE WHEN s.principal_id IS NULL THEN 0 ELSE 1 END AS scim" \
	" FROM principals p LEFT JOIN scim_users s ON s.principal_id = p.id" \
	" WHERE p.kind = 'account' AND p.account_id = ?" \
	" AND (p.status <> 'deprovisioned' OR s.principal_id IS NOT NULL)"

int store_scim_token_insert(store_tx_t *tx, const json_t *t)
{
	static const char *const cols[] = { "id", "account_id", "creator_id", "name", "prefix",
		"secret_hash", "permissions", "created_at", NULL };
	return sq_insert(tx, "scim_tokens", cols, t);
}

json_t *store_scim_token_by_hash(store_tx_t *tx, const char *h)
{
	return sq_one(tx, "SELECT " TOKEN_COLS " FROM scim_tokens WHERE secret_hash=?"
		" AND revoked_at IS NULL", "s", h);
}

int store_scim_token_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " TOKEN_COLS " FROM scim_tokens"
		" WHERE rowid > ? AND account_id=? AND revoked_at IS NULL ORDER BY rowid LIMIT ?",
		"isn", sq_cursor(cursor, 0), account_id, limit + 1), limit, out);
}

json_t *store_scim_token_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " TOKEN_COLS " FROM scim_tokens WHERE id=? AND account_id=?"
		" AND revoked_at IS NULL", "ss", id, account_id);
}

int store_scim_token_revoke(store_tx_t *tx, const char *account_id, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE scim_tokens SET revoked_at=? WHERE id=? AND account_id=?"
		" AND revoked_at IS NULL", "iss", now, id, account_id);
}

int store_scim_token_touch(store_tx_t *tx, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE scim_tokens SET last_used_at=? WHERE id=?", "is", now, id);
}

json_t *store_scim_users(store_tx_t *tx, const char *account_id)
{
	return sq_rows(tx, USER_SELECT " ORDER BY p.created_at, p.id", "s", account_id);
}

json_t *store_scim_user(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, USER_SELECT " AND p.id = ?", "ss", account_id, id);
}

int store_scim_user_put(store_tx_t *tx, const char *account_id, const char *principal_id,
	const char *external_id, const char *attrs, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO scim_users (principal_id, account_id, external_id,"
		" attrs, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (principal_id) DO UPDATE SET external_id=excluded.external_id,"
		" attrs=excluded.attrs, updated_at=excluded.updated_at WHERE scim_users.account_id=?",
		"ssssiis", principal_id, account_id, external_id, attrs, now, now, account_id);
}

int store_scim_user_delete(store_tx_t *tx, const char *account_id, const char *principal_id)
{
	return sq_exec(tx, true, "DELETE FROM scim_users WHERE principal_id=? AND account_id=?", "ss",
		principal_id, account_id);
}
