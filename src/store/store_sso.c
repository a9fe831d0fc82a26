/* SQL of single sign-on (see store_sso.h), in the subset both backends accept. */
#include "store_sso.h"

#include "store_int.h"

static const char *const idp_cols[] = { "id", "account_id", "type", "name", "issuer",
	"client_id", "client_secret", "token_auth", "scopes", "provisioning", "role_claim",
	"role_map", "default_role", "status", "created_at", "updated_at", NULL };
#define IDP_COLS "id, account_id, type, name, issuer, client_id, client_secret, token_auth," \
	" scopes, provisioning, role_claim, role_map, default_role, status, created_at, updated_at"

int store_idp_insert(store_tx_t *tx, const json_t *idp)
{
	return sq_insert(tx, "identity_providers", idp_cols, idp);
}

json_t *store_idp_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " IDP_COLS " FROM identity_providers WHERE id=? AND account_id=?"
		" AND deleted_at IS NULL", "ss", id, account_id);
}

int store_idp_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " IDP_COLS " FROM identity_providers"
		" WHERE rowid > ? AND account_id=? AND deleted_at IS NULL ORDER BY rowid LIMIT ?",
		"isn", sq_cursor(cursor, 0), account_id, limit + 1), limit, out);
}

json_t *store_idp_active(store_tx_t *tx, const char *account_id)
{
	return sq_rows(tx, "SELECT id, name, type FROM identity_providers WHERE account_id=?"
		" AND status='active' AND deleted_at IS NULL ORDER BY rowid", "s", account_id);
}

int store_idp_update(store_tx_t *tx, const char *account_id, const char *id,
	const json_t *fields)
{
	static const char *const allowed[] = { "name", "issuer", "client_id", "client_secret",
		"token_auth", "scopes", "provisioning", "role_claim", "role_map", "default_role",
		"status", "updated_at", NULL };
	json_t *row = store_idp_get(tx, account_id, id);
	if (!row)
		return STORE_NOTFOUND;
	json_decref(row);
	return sq_update(tx, "identity_providers", allowed, id, fields, "deleted_at IS NULL");
}

int store_idp_delete(store_tx_t *tx, const char *account_id, const char *id, int64_t now)
{
	int rc = sq_exec(tx, true, "UPDATE identity_providers SET deleted_at=?, updated_at=?,"
		" status='disabled' WHERE id=? AND account_id=? AND deleted_at IS NULL", "iiss", now,
		now, id, account_id);
	if (rc != STORE_OK)
		return rc;
	return sq_exec(tx, false, "DELETE FROM sso_flows WHERE idp_id=? AND account_id=?", "ss", id,
		account_id);
}

static const char *const flow_cols[] = { "value_hash", "kind", "account_id", "idp_id",
	"principal_id", "browser_hash", "created_at", "expires_at", NULL };

int store_sso_flow_insert(store_tx_t *tx, const json_t *flow)
{
	int rc = sq_exec(tx, false, "DELETE FROM sso_flows WHERE expires_at < ?", "j",
		json_object_get(flow, "created_at"));
	return rc == STORE_OK ? sq_insert(tx, "sso_flows", flow_cols, flow) : rc;
}

json_t *store_sso_flow_take(store_tx_t *tx, const char *kind, const char *value_hash, int64_t now)
{
	json_t *row = sq_one(tx, "SELECT value_hash, kind, account_id, idp_id, principal_id,"
		" browser_hash, created_at, expires_at FROM sso_flows WHERE value_hash=? AND kind=?"
		" AND used_at IS NULL AND expires_at > ?", "ssi", value_hash, kind, now);
	if (!row)
		return NULL;
	if (sq_exec(tx, true, "UPDATE sso_flows SET used_at=? WHERE value_hash=? AND used_at IS NULL",
		    "is", now, value_hash) != STORE_OK) {
		json_decref(row);
		return NULL;
	}
	return row;
}
