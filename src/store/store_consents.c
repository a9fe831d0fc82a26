/* SQL of consents and access grants (see store_consents.h), in the subset both backends accept. */
#include "store_consents.h"

#include <string.h>

#include "store_int.h"

#define CONSENT_COLS "id, account_id, partner_id, scope, full_scope, starts_at, expires_at," \
	" signer_id, text_version, method, mfa_checked, created_at, revoked_at, revoked_by," \
	" first_used_at, end_notified_at, review, letter_doc, reviewed_by, reviewed_at, review_reason," \
	" text_en, text_fr"
/* A consent lends nothing while its letter waits for review, or after its
 * letter was rejected. */
#define CONSENT_REVIEWED " AND (review IS NULL OR review='approved')"

int store_consent_insert(store_tx_t *tx, const json_t *consent)
{
	static const char *const cols[] = { "id", "account_id", "partner_id", "scope", "full_scope",
		"starts_at", "expires_at", "signer_id", "text_version", "method", "mfa_checked",
		"created_at", "review", "letter_doc", "text_en", "text_fr", NULL };
	return sq_insert(tx, "consents", cols, consent);
}

json_t *store_consent_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " CONSENT_COLS " FROM consents WHERE id=? AND account_id=?", "ss", id,
		account_id);
}

json_t *store_consent_list(store_tx_t *tx, const char *account_id, const char *partner_id)
{
	return sq_rows(tx, "SELECT " CONSENT_COLS " FROM consents WHERE account_id=?"
		" AND (? IS NULL OR partner_id=?) ORDER BY created_at DESC, id LIMIT 500", "sss",
		account_id, partner_id, partner_id);
}

json_t *store_consent_live(store_tx_t *tx, const char *account_id, const char *partner_id,
	int64_t now)
{
	return sq_rows(tx, "SELECT " CONSENT_COLS " FROM consents WHERE account_id=? AND partner_id=?"
		" AND revoked_at IS NULL AND starts_at <= ? AND expires_at > ?" CONSENT_REVIEWED
		" ORDER BY created_at, id LIMIT 50", "ssii", account_id, partner_id, now, now);
}

int store_consent_revoke(store_tx_t *tx, const char *account_id, const char *id, int64_t now,
	const char *by)
{
	return sq_exec(tx, true, "UPDATE consents SET revoked_at=?, revoked_by=? WHERE id=?"
		" AND account_id=? AND revoked_at IS NULL", "isss", now, by, id, account_id);
}

int store_consent_first_use(store_tx_t *tx, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE consents SET first_used_at=? WHERE id=? AND first_used_at IS NULL",
		"is", now, id);
}

int store_consent_end_noted(store_tx_t *tx, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE consents SET end_notified_at=? WHERE id=?"
		" AND end_notified_at IS NULL", "is", now, id);
}

json_t *store_consent_ended(store_tx_t *tx, int64_t now, int limit)
{
	return sq_rows(tx, "SELECT " CONSENT_COLS " FROM consents WHERE end_notified_at IS NULL"
		" AND (expires_at <= ? OR revoked_at IS NOT NULL)" CONSENT_REVIEWED
		" ORDER BY expires_at LIMIT ?", "in", now, limit);
}

json_t *store_consent_find(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT " CONSENT_COLS " FROM consents WHERE id=?", "s", id);
}

json_t *store_consent_review_list(store_tx_t *tx, const char *review, int limit)
{
	return sq_rows(tx, "SELECT " CONSENT_COLS " FROM consents WHERE review=?"
		" ORDER BY created_at, id LIMIT ?", "sn", review, limit);
}

int store_consent_review(store_tx_t *tx, const char *id, const char *to, const char *by,
	int64_t now, const char *reason)
{
	return sq_exec(tx, true, "UPDATE consents SET review=?, reviewed_by=?, reviewed_at=?,"
		" review_reason=? WHERE id=? AND review='pending_review'", "ssiss", to, by, now, reason, id);
}

int64_t store_partner_account_count(store_tx_t *tx, const char *partner_id)
{
	json_t *r = sq_one(tx, "SELECT COUNT(*) AS n FROM accounts WHERE partner_id=? AND status <> 'closed'",
		"s", partner_id);
	int64_t n = r ? (int64_t)json_integer_value(json_object_get(r, "n")) : -1;
	json_decref(r);
	return n;
}

/* ---- support access grants ---- */

#define GRANT_COLS "id, account_id, staff_id, scope, reason, duration_min, break_glass, status," \
	" requested_at, decided_at, decided_by, starts_at, expires_at"

int store_grant_insert(store_tx_t *tx, const json_t *grant)
{
	static const char *const cols[] = { "id", "account_id", "staff_id", "scope", "reason",
		"duration_min", "break_glass", "status", "requested_at", "decided_at", "decided_by",
		"starts_at", "expires_at", NULL };
	return sq_insert(tx, "access_grants", cols, grant);
}

json_t *store_grant_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " GRANT_COLS " FROM access_grants WHERE id=? AND account_id=?", "ss",
		id, account_id);
}

json_t *store_grant_list(store_tx_t *tx, const char *account_id)
{
	return sq_rows(tx, "SELECT " GRANT_COLS " FROM access_grants WHERE account_id=?"
		" ORDER BY requested_at DESC, id LIMIT 500", "s", account_id);
}

json_t *store_grant_live(store_tx_t *tx, const char *account_id, const char *staff_id, int64_t now)
{
	return sq_rows(tx, "SELECT " GRANT_COLS " FROM access_grants WHERE account_id=? AND staff_id=?"
		" AND status='approved' AND starts_at <= ? AND expires_at > ? ORDER BY requested_at, id"
		" LIMIT 50", "ssii", account_id, staff_id, now, now);
}

int store_grant_decide(store_tx_t *tx, const char *account_id, const char *id, const char *from,
	const char *to, int64_t now, const char *by, int64_t expires_at)
{
	bool approve = strcmp(to, "approved") == 0;
	return sq_exec(tx, true, "UPDATE access_grants SET status=?, decided_at=?, decided_by=?,"
		" starts_at=CASE WHEN ? <> 0 THEN ? ELSE starts_at END,"
		" expires_at=CASE WHEN ? <> 0 THEN ? WHEN expires_at IS NOT NULL AND expires_at < ?"
		" THEN expires_at ELSE ? END"
		" WHERE id=? AND account_id=? AND status=?", "sisniniiisss", to, now, by, approve ? 1 : 0,
		now, approve ? 1 : 0, expires_at, now, now, id, account_id, from);
}
