/* SQL of automatic fraud detection (see store_fraud.h), in the subset both
 * backends accept. */
#include "store_fraud.h"

#include <stdio.h>

#include "store_int.h"

static int64_t one_int(json_t *row, const char *key)
{
	int64_t v = row ? json_integer_value(json_object_get(row, key)) : -1;
	json_decref(row);
	return v;
}

int64_t store_fraud_pass_get(store_tx_t *tx)
{
	json_t *r = sq_one(tx, "SELECT at FROM fraud_passes WHERE name='scan'", "");
	return one_int(r, "at");
}

int store_fraud_pass_set(store_tx_t *tx, int64_t at)
{
	int rc = sq_exec(tx, true, "UPDATE fraud_passes SET at=? WHERE name='scan'", "i", at);
	if (rc == STORE_NOTFOUND)
		rc = sq_exec(tx, false, "INSERT INTO fraud_passes (name, at) VALUES ('scan', ?)", "i", at);
	return rc;
}

json_t *store_fraud_faxes(store_tx_t *tx, int64_t from, int64_t to, int limit)
{
	return sq_rows(tx, "SELECT id, account_id, to_number, page_count, status, source, created_at,"
		" completed_at FROM faxes WHERE direction='outbound' AND ((created_at > ? AND created_at <= ?)"
		" OR (status='failed' AND completed_at > ? AND completed_at <= ?))"
		" ORDER BY created_at, id LIMIT ?", "iiiin", from, to, from, to, limit);
}

int64_t store_fraud_pages(store_tx_t *tx, const char *account_id, int64_t from, int64_t to)
{
	return one_int(sq_one(tx, "SELECT COALESCE(SUM(page_count), 0) AS n FROM faxes"
		" WHERE account_id=? AND direction='outbound' AND created_at > ? AND created_at <= ?",
		"sii", account_id, from, to), "n");
}

int64_t store_fraud_count_to(store_tx_t *tx, const char *account_id, const char *prefix,
	int64_t before)
{
	char like[40];
	snprintf(like, sizeof like, "%s%%", prefix ? prefix : "");
	return one_int(sq_one(tx, "SELECT COUNT(*) AS n FROM faxes WHERE account_id=?"
		" AND direction='outbound' AND created_at <= ? AND to_number LIKE ?", "sis", account_id,
		before, like), "n");
}

json_t *store_fraud_sessions(store_tx_t *tx, int64_t from, int64_t to)
{
	return sq_rows(tx, "SELECT s.id, s.principal_id, p.account_id, s.source, s.created_at"
		" FROM sessions s JOIN principals p ON p.id=s.principal_id WHERE p.kind='account'"
		" AND s.created_at > ? AND s.created_at <= ? ORDER BY s.created_at, s.id", "ii", from, to);
}

bool store_fraud_session_seen(store_tx_t *tx, const char *principal_id, const char *source,
	int64_t before)
{
	json_t *r = sq_one(tx, "SELECT id FROM sessions WHERE principal_id=? AND source=?"
		" AND created_at < ? LIMIT 1", "ssi", principal_id, source, before);
	json_decref(r);
	return r != NULL;
}

bool store_fraud_locked_between(store_tx_t *tx, const char *account_id, const char *principal_id,
	int64_t from, int64_t to)
{
	json_t *r = sq_one(tx, "SELECT id FROM audit_events WHERE " SQ_AUDIT_OF_ACCOUNT("")
		" AND action='user.lockout' AND target=? AND time >= ? AND time <= ? LIMIT 1", "ssssii",
		account_id, account_id, account_id, principal_id, from, to);
	json_decref(r);
	return r != NULL;
}

int store_apikey_address_note(store_tx_t *tx, const char *key_id, const char *account_id,
	const char *address, int64_t now)
{
	int rc = sq_exec(tx, false, "INSERT INTO api_key_addresses (key_id, address, account_id, first_at)"
		" SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM api_key_addresses WHERE key_id=?"
		" AND address=?)", "sssiss", key_id, address, account_id, now, key_id, address);
	if (rc == STORE_OK)
		rc = sq_exec(tx, false, "UPDATE api_keys SET last_source=? WHERE id=?", "ss", address,
			key_id);
	return rc;
}

json_t *store_fraud_key_addresses(store_tx_t *tx, int64_t from, int64_t to)
{
	return sq_rows(tx, "SELECT a.key_id, a.address, a.account_id, a.first_at FROM api_key_addresses a"
		" WHERE a.first_at > ? AND a.first_at <= ? AND EXISTS (SELECT 1 FROM api_key_addresses b"
		" WHERE b.key_id=a.key_id AND b.address <> a.address AND b.first_at <= a.first_at)"
		" ORDER BY a.first_at, a.key_id", "ii", from, to);
}

bool store_fraud_finding_exists(store_tx_t *tx, const char *account_id, const char *rule,
	const char *window_key)
{
	json_t *r = sq_one(tx, "SELECT id FROM fraud_findings WHERE account_id=? AND rule=?"
		" AND window_key=?", "sss", account_id, rule, window_key);
	json_decref(r);
	return r != NULL;
}

int store_fraud_finding_insert(store_tx_t *tx, const json_t *f)
{
	static const char *const cols[] = { "id", "account_id", "rule", "window_key", "request_id",
		"announced", "evidence", "created_at", NULL };
	return sq_insert(tx, "fraud_findings", cols, f);
}

json_t *store_fraud_findings(store_tx_t *tx, const char *account_id, int limit)
{
	return sq_rows(tx, "SELECT id, account_id, rule, window_key, request_id, announced, evidence,"
		" created_at FROM fraud_findings WHERE account_id=? ORDER BY created_at DESC, id LIMIT ?",
		"sn", account_id, limit);
}

json_t *store_fraud_hold_get(store_tx_t *tx, const char *account_id)
{
	return sq_one(tx, "SELECT account_id, request_id, held_at FROM fraud_holds WHERE account_id=?",
		"s", account_id);
}

int store_fraud_hold_insert(store_tx_t *tx, const char *account_id, const char *request_id,
	int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO fraud_holds (account_id, request_id, held_at)"
		" SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM fraud_holds WHERE account_id=?)", "ssis",
		account_id, request_id, now, account_id);
}

int store_fraud_hold_delete(store_tx_t *tx, const char *account_id)
{
	return sq_exec(tx, true, "DELETE FROM fraud_holds WHERE account_id=?", "s", account_id);
}
