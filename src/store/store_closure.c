/* SQL of account closure (see store_closure.h), in the subset both backends
 * accept. */
#include "store_closure.h"

#include <stdio.h>

#include "store_int.h"

#define CLOSURE_COLS "account_id, state, prior_status, requested_by, requested_at, destroy_at," \
	" reason, cancelled_by, cancelled_at, destroyed_at, certificate"

json_t *store_closure_get(store_tx_t *tx, const char *account_id)
{
	return sq_one(tx, "SELECT " CLOSURE_COLS " FROM account_closures WHERE account_id=?", "s",
		account_id);
}

static const json_t *or_null(const json_t *c, const char *key)
{
	const json_t *v = json_object_get(c, key);
	return v ? v : json_null();
}

int store_closure_put(store_tx_t *tx, const json_t *c)
{
	return sq_exec(tx, false, "INSERT INTO account_closures (" CLOSURE_COLS ") VALUES"
		" (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET"
		" state=excluded.state, prior_status=excluded.prior_status,"
		" requested_by=excluded.requested_by, requested_at=excluded.requested_at,"
		" destroy_at=excluded.destroy_at, reason=excluded.reason,"
		" cancelled_by=excluded.cancelled_by, cancelled_at=excluded.cancelled_at,"
		" destroyed_at=excluded.destroyed_at, certificate=excluded.certificate",
		"ssssjjjjjjj", json_string_value(json_object_get(c, "account_id")),
		json_string_value(json_object_get(c, "state")),
		json_string_value(json_object_get(c, "prior_status")),
		json_string_value(json_object_get(c, "requested_by")), or_null(c, "requested_at"),
		or_null(c, "destroy_at"), or_null(c, "reason"), or_null(c, "cancelled_by"),
		or_null(c, "cancelled_at"), or_null(c, "destroyed_at"), or_null(c, "certificate"));
}

json_t *store_closure_due(store_tx_t *tx, int64_t now, int limit)
{
	return sq_rows(tx, "SELECT account_id, destroy_at FROM account_closures"
		" WHERE state='closing' AND destroy_at <= ? ORDER BY destroy_at LIMIT ?", "in", now,
		limit);
}

static int64_t count_of(json_t *row)
{
	int64_t n = row ? (int64_t)json_integer_value(json_object_get(row, "n")) : -1;
	json_decref(row);
	return n;
}

int store_closure_holds(store_tx_t *tx, const char *account_id)
{
	int64_t n = count_of(sq_one(tx, "SELECT"
		" (SELECT count(*) FROM faxes WHERE account_id=? AND deleted_at IS NULL"
		"   AND legal_hold_reason IS NOT NULL)"
		" + (SELECT count(*) FROM safeboxes WHERE account_id=? AND deleted_at IS NULL"
		"   AND legal_hold_reason IS NOT NULL)"
		" + (SELECT count(*) FROM retention_policies WHERE account_id=? AND legal_hold <> 0)"
		" AS n", "sss", account_id, account_id, account_id));
	return n < 0 ? -1 : (int)(n > 1000000 ? 1000000 : n);
}

json_t *store_closure_numbers(store_tx_t *tx, const char *account_id)
{
	json_t *rows = sq_rows(tx, "SELECT number FROM numbers WHERE account_id=?"
		" AND status='assigned' ORDER BY number", "s", account_id);
	if (!rows)
		return NULL;
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(out, json_object_get(r, "number"));
	json_decref(rows);
	return out;
}

/* The counts, each a query over the account's rows as they are before. */
static int count_all(store_tx_t *tx, const char *id, int64_t now, store_destroyed_t *d)
{
	struct {
		int64_t *to;
		const char *sql;
		bool with_now;
	} q[] = {
		{ &d->documents, "SELECT count(*) AS n FROM documents WHERE account_id=?", false },
		{ &d->faxes, "SELECT count(*) AS n FROM faxes WHERE account_id=? AND deleted_at IS NULL",
			false },
		{ &d->safeboxes, "SELECT count(*) AS n FROM safeboxes WHERE account_id=?"
			" AND deleted_at IS NULL", false },
		{ &d->secrets, "SELECT (SELECT count(*) FROM principals WHERE account_id=?"
			"   AND totp_secret IS NOT NULL)"
			" + (SELECT count(*) FROM webhooks WHERE account_id=? AND deleted_at IS NULL)"
			" + (SELECT count(*) FROM identity_providers WHERE account_id=?"
			"   AND deleted_at IS NULL) AS n", false },
		{ &d->sessions, "SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL"
			" AND expires_at > ? AND principal_id IN (SELECT id FROM principals"
			" WHERE account_id=?)", true },
		{ &d->api_keys, "SELECT count(*) AS n FROM api_keys WHERE account_id=?"
			" AND revoked_at IS NULL", false },
		{ &d->scim_tokens, "SELECT count(*) AS n FROM scim_tokens WHERE account_id=?"
			" AND revoked_at IS NULL", false },
		{ &d->members, "SELECT count(*) AS n FROM principals WHERE account_id=?"
			" AND status <> 'deprovisioned'", false },
	};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		json_t *row;
		if (q[i].with_now)
			row = sq_one(tx, q[i].sql, "is", now, id);
		else if (q[i].to == &d->secrets)
			row = sq_one(tx, q[i].sql, "sss", id, id, id);
		else
			row = sq_one(tx, q[i].sql, "s", id);
		if ((*q[i].to = count_of(row)) < 0)
			return STORE_ERROR;
	}
	return STORE_OK;
}

int store_closure_destroy(store_tx_t *tx, const char *account_id, int64_t now,
	json_t **doc_ids, char *key_hex, size_t cap, store_destroyed_t *d)
{
	*doc_ids = NULL;
	if (cap)
		key_hex[0] = '\0';
	if (count_all(tx, account_id, now, d) != STORE_OK)
		return STORE_ERROR;
	json_t *key = sq_one(tx, "SELECT wrapped_key FROM account_keys WHERE account_id=?", "s",
		account_id);
	if (key && cap)
		snprintf(key_hex, cap, "%s", json_string_value(json_object_get(key, "wrapped_key")));
	json_decref(key);
	json_t *rows = sq_rows(tx, "SELECT id FROM documents WHERE account_id=?", "s", account_id);
	if (!rows)
		return STORE_ERROR;
	json_t *ids = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(ids, json_object_get(r, "id"));
	json_decref(rows);
	/* The keys first: from here on, no copy of a blob opens. */
	static const char *const by_account[] = {
		"DELETE FROM account_keys WHERE account_id=?",
		"DELETE FROM documents WHERE account_id=?",
		"DELETE FROM submissions WHERE account_id=?",
		"DELETE FROM safebox_guest_sessions WHERE account_id=?",
		"DELETE FROM safebox_messages WHERE account_id=?",
		"DELETE FROM safebox_files WHERE account_id=?",
		"DELETE FROM safebox_participants WHERE account_id=?",
		"DELETE FROM safebox_events WHERE account_id=?",
		"DELETE FROM webhook_deliveries WHERE account_id=?",
		"DELETE FROM webhook_events WHERE account_id=?",
		"DELETE FROM sso_flows WHERE account_id=?",
		"DELETE FROM scim_users WHERE account_id=?",
		"DELETE FROM status_subscriptions WHERE account_id=?",
		"DELETE FROM security_contacts WHERE account_id=?",
		"DELETE FROM sessions WHERE principal_id IN (SELECT id FROM principals WHERE account_id=?)",
		"DELETE FROM invitations WHERE principal_id IN (SELECT id FROM principals"
		" WHERE account_id=?)",
		"DELETE FROM recovery_codes WHERE principal_id IN (SELECT id FROM principals"
		" WHERE account_id=?)",
		"DELETE FROM password_resets WHERE principal_id IN (SELECT id FROM principals"
		" WHERE account_id=?)",
		"DELETE FROM password_history WHERE principal_id IN (SELECT id FROM principals"
		" WHERE account_id=?)",
	};
	int rc = STORE_OK;
	for (size_t k = 0; k < sizeof by_account / sizeof by_account[0] && rc == STORE_OK; k++)
		rc = sq_exec(tx, false, by_account[k], "s", account_id);
	static const char *const with_now[] = {
		"UPDATE faxes SET deleted_at=?, doc_id=NULL, header_text=NULL, cover_subject=NULL,"
		" updated_at=? WHERE account_id=? AND deleted_at IS NULL",
		"UPDATE safeboxes SET deleted_at=?, updated_at=?, subject='' WHERE account_id=?"
		" AND deleted_at IS NULL",
		/* Sealed under the destroyed key already; the text goes too. */
		"UPDATE webhooks SET status='disabled', secret='sealed1:', deleted_at=?, updated_at=?"
		" WHERE account_id=? AND deleted_at IS NULL",
		"UPDATE identity_providers SET status='disabled', client_secret='sealed1:',"
		" deleted_at=?, updated_at=? WHERE account_id=? AND deleted_at IS NULL",
	};
	for (size_t k = 0; k < sizeof with_now / sizeof with_now[0] && rc == STORE_OK; k++)
		rc = sq_exec(tx, false, with_now[k], "iis", now, now, account_id);
	static const char *const at_now[] = {
		("UPDATE principals SET status='deprovisioned', password_hash=NULL, totp_secret=NULL,"
		 " totp_confirmed_at=NULL, totp_last_step=NULL, updated_at=? WHERE account_id=?"),
		"UPDATE api_keys SET revoked_at=? WHERE revoked_at IS NULL AND account_id=?",
		"UPDATE scim_tokens SET revoked_at=? WHERE revoked_at IS NULL AND account_id=?",
	};
	for (size_t k = 0; k < sizeof at_now / sizeof at_now[0] && rc == STORE_OK; k++)
		rc = sq_exec(tx, false, at_now[k], "is", now, account_id);
	if (rc != STORE_OK) {
		json_decref(ids);
		return STORE_ERROR;
	}
	*doc_ids = ids;
	return STORE_OK;
}
