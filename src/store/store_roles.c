/* An account's named custom roles (see store_roles.h), in the SQL subset
 * both backends accept. */
#include "store_roles.h"

#include "store_int.h"

#define ROLE_COLS "r.id, r.account_id, r.name, r.name_key, r.description, r.permissions," \
	" r.created_at, r.updated_at, (SELECT count(*) FROM principals p WHERE p.role_id = r.id" \
	" AND p.status <> 'deprovisioned') AS holders"

int store_role_insert(store_tx_t *tx, const json_t *role)
{
	static const char *const cols[] = { "id", "account_id", "name", "name_key", "description",
		"permissions", "created_at", "updated_at", NULL };
	return sq_insert(tx, "roles", cols, role);
}

json_t *store_role_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " ROLE_COLS " FROM roles r WHERE r.id=? AND r.account_id=?", "ss",
		id, account_id);
}

json_t *store_role_by_key(store_tx_t *tx, const char *account_id, const char *key)
{
	return sq_one(tx, "SELECT " ROLE_COLS " FROM roles r WHERE r.account_id=? AND r.name_key=?",
		"ss", account_id, key);
}

int store_role_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT r.rowid AS _k, " ROLE_COLS " FROM roles r"
		" WHERE r.rowid > ? AND r.account_id=? ORDER BY r.rowid LIMIT ?", "isn",
		sq_cursor(cursor, 0), account_id, limit + 1), limit, out);
}

json_t *store_role_all(store_tx_t *tx, const char *account_id)
{
	return sq_rows(tx, "SELECT " ROLE_COLS " FROM roles r WHERE r.account_id=?"
		" ORDER BY r.name_key", "s", account_id);
}

int store_role_update(store_tx_t *tx, const char *account_id, const char *id,
	const json_t *fields)
{
	static const char *const allowed[] = { "name", "name_key", "description", "permissions",
		"updated_at", NULL };
	(void)account_id;
	/* The caller has read the role in its account (store_role_get). */
	return sq_update(tx, "roles", allowed, id, fields, NULL);
}

int store_role_holders_set_perms(store_tx_t *tx, const char *role_id, const char *perms,
	int64_t now)
{
	return sq_exec(tx, false, "UPDATE principals SET permissions=?, updated_at=? WHERE role_id=?",
		"sis", perms, now, role_id);
}

int store_role_holders_release(store_tx_t *tx, const char *role_id, int64_t now)
{
	int rc = sq_exec(tx, false, "UPDATE principals SET role='user', permissions='', updated_at=?"
		" WHERE role_id=? AND status <> 'deprovisioned'", "is", now, role_id);
	if (rc == STORE_OK)
		rc = sq_exec(tx, false, "UPDATE principals SET role_id=NULL WHERE role_id=?", "s",
			role_id);
	return rc;
}

int store_role_delete(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_exec(tx, true, "DELETE FROM roles WHERE id=? AND account_id=?", "ss", id,
		account_id);
}
