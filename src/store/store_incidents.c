/* SQLite backend of security incidents and breach notices (see
 * store_incidents.h). */
#include "store_incidents.h"

#include "store_int.h"

#define INC_COLS "id, title, description, severity, status, personal_data, detected_at, alerts," \
	" created_by, created_at, updated_at, closed_at"
#define NOTICE_COLS "n.id, n.incident_id, n.account_id, n.text_en, n.text_fr, n.sent_by," \
	" n.sent_at, i.title, i.severity, i.detected_at, a.notified_at, a.acknowledged_at," \
	" a.acknowledged_by"
#define NOTICE_FROM " FROM breach_notices n JOIN security_incidents i ON i.id = n.incident_id" \
	" JOIN security_incident_accounts a ON a.incident_id = n.incident_id" \
	" AND a.account_id = n.account_id"

int store_incident_insert(store_tx_t *tx, const json_t *inc)
{
	static const char *const cols[] = { "id", "title", "description", "severity", "status",
		"personal_data", "detected_at", "created_by", "created_at", "updated_at", NULL };
	return sq_insert(tx, "security_incidents", cols, inc);
}

json_t *store_incident_get(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT " INC_COLS " FROM security_incidents WHERE id=?", "s", id);
}

int store_incident_set_status(store_tx_t *tx, const char *id, const char *status, int64_t now,
	int64_t closed)
{
	return sq_exec(tx, true, "UPDATE security_incidents SET status=?, updated_at=?,"
		" closed_at=NULLIF(?, 0) WHERE id=?", "siis", status, now, closed, id);
}

int store_incident_set_alerts(store_tx_t *tx, const char *id, const char *alerts)
{
	return sq_exec(tx, true, "UPDATE security_incidents SET alerts=? WHERE id=?", "ss", alerts,
		id);
}

int store_incident_page(store_tx_t *tx, const char *status, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " INC_COLS " FROM security_incidents"
		" WHERE rowid < ? AND (? IS NULL OR status=?) ORDER BY rowid DESC LIMIT ?", "issn",
		sq_cursor(cursor, INT64_MAX), status, status, limit + 1), limit, out);
}

json_t *store_incident_clocks_due(store_tx_t *tx, int limit)
{
	return sq_rows(tx, "SELECT " INC_COLS " FROM security_incidents WHERE closed_at IS NULL"
		" AND personal_data = 1 ORDER BY detected_at LIMIT ?", "n", limit);
}

int store_incident_event_insert(store_tx_t *tx, const json_t *ev)
{
	static const char *const cols[] = { "id", "incident_id", "kind", "status", "message",
		"created_by", "created_at", NULL };
	return sq_insert(tx, "security_incident_events", cols, ev);
}

json_t *store_incident_events(store_tx_t *tx, const char *incident_id)
{
	return sq_rows(tx, "SELECT id, incident_id, kind, status, message, created_by, created_at"
		" FROM security_incident_events WHERE incident_id=? ORDER BY created_at, rowid", "s",
		incident_id);
}

json_t *store_incident_trunk_accounts(store_tx_t *tx, const char *trunk_id, int64_t from,
	int64_t to)
{
	return sq_rows(tx, "SELECT DISTINCT account_id FROM fax_attempts WHERE trunk_id=?"
		" AND started_at < ? AND (ended_at IS NULL OR ended_at >= ?) ORDER BY account_id", "sii",
		trunk_id, to, from);
}

json_t *store_incident_all_accounts(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT id AS account_id FROM accounts WHERE status <> 'closed'"
		" ORDER BY id", "");
}

int store_incident_account_add(store_tx_t *tx, const char *incident_id, const char *account_id,
	const char *reason, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO security_incident_accounts (incident_id, account_id,"
		" reason, added_at) VALUES (?, ?, ?, ?)", "sssi", incident_id, account_id, reason, now);
}

json_t *store_incident_accounts(store_tx_t *tx, const char *incident_id)
{
	return sq_rows(tx, "SELECT s.incident_id, s.account_id, a.name AS account_name, s.reason,"
		" s.added_at, s.notice_id, s.notified_at, s.acknowledged_at, s.acknowledged_by"
		" FROM security_incident_accounts s JOIN accounts a ON a.id = s.account_id"
		" WHERE s.incident_id=? ORDER BY s.added_at, s.account_id", "s", incident_id);
}

int store_incident_account_notified(store_tx_t *tx, const char *incident_id,
	const char *account_id, const char *notice_id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE security_incident_accounts SET notice_id=?, notified_at=?"
		" WHERE incident_id=? AND account_id=? AND notice_id IS NULL", "siss", notice_id, now,
		incident_id, account_id);
}

json_t *store_incident_recipients(store_tx_t *tx, const char *account_id)
{
	if (account_id)
		return sq_rows(tx, "SELECT id, kind, account_id, email, name, role, lang FROM principals"
			" WHERE kind='account' AND account_id=? AND status='active'"
			" AND role IN ('owner', 'admin') ORDER BY created_at, id", "s", account_id);
	return sq_rows(tx, "SELECT id, kind, account_id, email, name, role, lang FROM principals"
		" WHERE kind='provider' AND status='active' AND role IN ('operator', 'security')"
		" ORDER BY created_at, id", "");
}

int store_breach_notice_insert(store_tx_t *tx, const json_t *n)
{
	static const char *const cols[] = { "id", "incident_id", "account_id", "text_en", "text_fr",
		"sent_by", "sent_at", NULL };
	return sq_insert(tx, "breach_notices", cols, n);
}

json_t *store_breach_notice_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " NOTICE_COLS NOTICE_FROM " WHERE n.id=? AND n.account_id=?", "ss",
		id, account_id);
}

int store_breach_notice_page(store_tx_t *tx, const char *account_id, const char *cursor,
	int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT n.rowid AS _k, " NOTICE_COLS NOTICE_FROM
		" WHERE n.rowid < ? AND n.account_id=? ORDER BY n.rowid DESC LIMIT ?", "isn",
		sq_cursor(cursor, INT64_MAX), account_id, limit + 1), limit, out);
}

int store_breach_notice_ack(store_tx_t *tx, const char *incident_id, const char *account_id,
	const char *by, int64_t now)
{
	return sq_exec(tx, true, "UPDATE security_incident_accounts SET acknowledged_at=?,"
		" acknowledged_by=? WHERE incident_id=? AND account_id=? AND acknowledged_at IS NULL",
		"isss", now, by, incident_id, account_id);
}
