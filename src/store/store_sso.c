/* SQL of single sign-on (see store_sso.h), in the subset both backends accept. */
#include "store_sso.h"

#include <stdio.h>
#include <string.h>

#include "store_int.h"

static const char *const idp_cols[] = { "id", "account_id", "type", "name", "issuer",
	"client_id", "client_secret", "token_auth", "scopes", "provisioning", "role_claim",
	"role_map", "default_role", "status", "created_at", "updated_at", NULL };
/* A provider with, for SAML, its public settings (NULL for OIDC). */
#define IDP_COLS "p.id, p.account_id, p.type, p.name, p.issuer, p.client_id, p.client_secret," \
	" p.token_auth, p.scopes, p.provisioning, p.role_claim, p.role_map, p.default_role," \
	" p.status, p.created_at, p.updated_at, s.sp_entity_id, s.acs_url, s.email_attribute," \
	" s.metadata_url AS saml_metadata_url, s.allow_sha1"
#define IDP_FROM " FROM identity_providers p LEFT JOIN saml_providers s ON s.idp_id = p.id"

int store_idp_insert(store_tx_t *tx, const json_t *idp)
{
	return sq_insert(tx, "identity_providers", idp_cols, idp);
}

json_t *store_idp_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " IDP_COLS IDP_FROM " WHERE p.id=? AND p.account_id=?"
		" AND p.deleted_at IS NULL", "ss", id, account_id);
}

int store_idp_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT p.rowid AS _k, " IDP_COLS IDP_FROM
		" WHERE p.rowid > ? AND p.account_id=? AND p.deleted_at IS NULL ORDER BY p.rowid LIMIT ?",
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

/* ---- SAML ---- */

static const char *const saml_cols[] = { "idp_id", "account_id", "idp_metadata", "metadata_url",
	"sp_entity_id", "acs_url", "sp_cert", "sp_key", "email_attribute", "allow_sha1", NULL };

int store_saml_insert(store_tx_t *tx, const json_t *saml)
{
	return sq_insert(tx, "saml_providers", saml_cols, saml);
}

json_t *store_saml_get(store_tx_t *tx, const char *account_id, const char *idp_id)
{
	return sq_one(tx, "SELECT s.idp_id, s.account_id, s.idp_metadata, s.metadata_url,"
		" s.sp_entity_id, s.acs_url, s.sp_cert, s.sp_key, s.email_attribute, s.allow_sha1"
		" FROM saml_providers s JOIN identity_providers p ON p.id = s.idp_id"
		" WHERE s.idp_id=? AND s.account_id=? AND p.deleted_at IS NULL", "ss", idp_id,
		account_id);
}

int store_saml_update(store_tx_t *tx, const char *account_id, const char *idp_id,
	const json_t *fields)
{
	static const char *const allowed[] = { "idp_metadata", "metadata_url", "email_attribute",
		"allow_sha1", NULL };
	json_t *row = store_saml_get(tx, account_id, idp_id);
	if (!row)
		return STORE_NOTFOUND;
	json_decref(row);
	/* sq_update keys on "id": saml_providers keys on idp_id. */
	const char *k;
	json_t *v;
	int rc = STORE_OK;
	json_object_foreach((json_t *)fields, k, v) {
		bool ok = false;
		for (int i = 0; allowed[i]; i++)
			ok = ok || strcmp(allowed[i], k) == 0;
		if (!ok || !(json_is_string(v) || (strcmp(k, "allow_sha1") == 0 && json_is_integer(v))))
			return STORE_ERROR;
	}
	for (int i = 0; allowed[i] && rc == STORE_OK; i++) {
		const json_t *val = json_object_get(fields, allowed[i]);
		if (!val)
			continue;
		char sql[128];
		snprintf(sql, sizeof sql, "UPDATE saml_providers SET %s=? WHERE idp_id=? AND account_id=?",
			allowed[i]);
		rc = json_is_integer(val)
			? sq_exec(tx, true, sql, "iss", (int64_t)json_integer_value(val), idp_id, account_id)
			: sq_exec(tx, true, sql, "sss", json_string_value(val), idp_id, account_id);
	}
	return rc;
}

int store_saml_assertion_use(store_tx_t *tx, const char *idp_id, const char *assertion_id,
	int64_t expires_at, int64_t now)
{
	int rc = sq_exec(tx, false, "DELETE FROM saml_assertions WHERE expires_at < ?", "i", now);
	if (rc != STORE_OK)
		return rc;
	json_t *seen = sq_one(tx, "SELECT assertion_id FROM saml_assertions WHERE idp_id=?"
		" AND assertion_id=?", "ss", idp_id, assertion_id);
	if (seen) {
		json_decref(seen);
		return STORE_CONFLICT;
	}
	return sq_exec(tx, false, "INSERT INTO saml_assertions (idp_id, assertion_id, expires_at)"
		" VALUES (?, ?, ?)", "ssi", idp_id, assertion_id, expires_at);
}

static const char *const dom_cols[] = { "id", "account_id", "domain", "token", "status",
	"method", "created_at", "verified_at", NULL };
#define DOM_COLS "id, account_id, domain, token, status, method, created_at, verified_at," \
	" checked_at, failing_since"

int store_ssodom_insert(store_tx_t *tx, const json_t *d)
{
	return sq_insert(tx, "sso_domains", dom_cols, d);
}

json_t *store_ssodom_get(store_tx_t *tx, const char *account_id, const char *id)
{
	if (!account_id)
		return sq_one(tx, "SELECT " DOM_COLS " FROM sso_domains WHERE id=?", "s", id);
	return sq_one(tx, "SELECT " DOM_COLS " FROM sso_domains WHERE id=? AND account_id=?", "ss",
		id, account_id);
}

int store_ssodom_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " DOM_COLS " FROM sso_domains"
		" WHERE rowid > ? AND account_id=? ORDER BY rowid LIMIT ?", "isn", sq_cursor(cursor, 0),
		account_id, limit + 1), limit, out);
}

int store_ssodom_verify(store_tx_t *tx, const char *id, const char *method, int64_t now)
{
	/* The partial unique index refuses a second verified claim. */
	return sq_exec(tx, true, "UPDATE sso_domains SET status='verified', method=?, verified_at=?,"
		" checked_at=?, failing_since=NULL WHERE id=?", "siis", method, now, now, id);
}

int store_ssodom_delete(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_exec(tx, true, "DELETE FROM sso_domains WHERE id=? AND account_id=?", "ss", id,
		account_id);
}

json_t *store_ssodom_due(store_tx_t *tx, int64_t before, int limit)
{
	return sq_rows(tx, "SELECT d.id, d.account_id, d.domain, d.token, d.status, d.method,"
		" d.created_at, d.verified_at, d.checked_at, d.failing_since FROM sso_domains d"
		" JOIN accounts a ON a.id = d.account_id WHERE d.status='verified' AND d.method='dns'"
		" AND a.status='active' AND (d.checked_at IS NULL OR d.checked_at <= ?)"
		" ORDER BY d.checked_at, d.id LIMIT ?", "in", before, limit);
}

int store_ssodom_recheck(store_tx_t *tx, const char *id, int64_t now, int found)
{
	if (found > 0)
		return sq_exec(tx, true, "UPDATE sso_domains SET checked_at=?, failing_since=NULL"
			" WHERE id=? AND status='verified'", "is", now, id);
	if (found == 0)
		return sq_exec(tx, true, "UPDATE sso_domains SET checked_at=?,"
			" failing_since=COALESCE(failing_since, ?) WHERE id=? AND status='verified'", "iis",
			now, now, id);
	return sq_exec(tx, true, "UPDATE sso_domains SET checked_at=? WHERE id=? AND"
		" status='verified'", "is", now, id);
}

int store_ssodom_unverify(store_tx_t *tx, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE sso_domains SET status='unverified', checked_at=?"
		" WHERE id=? AND status='verified'", "is", now, id);
}

json_t *store_ssodom_find(store_tx_t *tx, const char *domain)
{
	return sq_one(tx, "SELECT d.id, d.account_id, d.domain FROM sso_domains d JOIN accounts a"
		" ON a.id = d.account_id WHERE d.domain=? AND d.status='verified' AND a.status='active'",
		"s", domain);
}
