/* SQL of the status board (see store_status.h), in the subset both backends accept. */
#include "store_status.h"

#include "store_int.h"
#include "xalloc.h"

#define INCIDENT_COLS "id, kind, title_en, title_fr, impact, components, status, starts_at," \
	" ends_at, created_by, created_at, updated_at, closed_at"

json_t *store_status_components(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT id, state, updated_at FROM status_components ORDER BY id", "");
}

int store_status_component_set(store_tx_t *tx, const char *id, const char *state, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO status_components (id, state, updated_at)"
		" VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET state=excluded.state,"
		" updated_at=excluded.updated_at", "ssi", id, state, now);
}

int store_status_incident_insert(store_tx_t *tx, const json_t *inc)
{
	static const char *const cols[] = { "id", "kind", "title_en", "title_fr", "impact",
		"components", "status", "starts_at", "ends_at", "created_by", "created_at",
		"updated_at", NULL };
	return sq_insert(tx, "status_incidents", cols, inc);
}

json_t *store_status_incident_get(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT " INCIDENT_COLS " FROM status_incidents WHERE id=?", "s", id);
}

int store_status_incident_set(store_tx_t *tx, const char *id, const char *status, int64_t now,
	int64_t closed_at)
{
	return sq_exec(tx, true, "UPDATE status_incidents SET status=?, updated_at=?,"
		" closed_at=NULLIF(?, 0) WHERE id=?", "siis", status, now, closed_at, id);
}

int store_status_incident_page(store_tx_t *tx, const char *cursor, int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " INCIDENT_COLS " FROM status_incidents"
		" WHERE rowid < ? ORDER BY rowid DESC LIMIT ?", "in", sq_cursor(cursor, INT64_MAX),
		limit + 1), limit, out);
}

json_t *store_status_incident_board(store_tx_t *tx, int64_t since, int limit)
{
	return sq_rows(tx, "SELECT " INCIDENT_COLS " FROM status_incidents WHERE closed_at IS NULL"
		" OR closed_at >= ? ORDER BY created_at DESC, rowid DESC LIMIT ?", "in", since, limit);
}

int store_status_update_insert(store_tx_t *tx, const json_t *upd)
{
	static const char *const cols[] = { "id", "incident_id", "status", "body_en", "body_fr",
		"created_by", "created_at", NULL };
	return sq_insert(tx, "status_updates", cols, upd);
}

json_t *store_status_updates(store_tx_t *tx, const char *incident_id)
{
	return sq_rows(tx, "SELECT id, incident_id, status, body_en, body_fr, created_by, created_at"
		" FROM status_updates WHERE incident_id=? ORDER BY created_at, rowid", "s", incident_id);
}

char *store_status_feed_id(store_tx_t *tx)
{
	json_t *r = sq_one(tx, "SELECT id FROM status_feed LIMIT 1", "");
	const char *v = json_string_value(json_object_get(r, "id"));
	char *out = v ? xstrdup(v) : NULL;
	json_decref(r);
	return out;
}

/* ---- automatic states ---- */

json_t *store_status_auto_all(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT id, state, reason, updated_at FROM status_auto ORDER BY id", "");
}

int store_status_auto_set(store_tx_t *tx, const char *id, const char *state, const char *reason,
	int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO status_auto (id, state, reason, updated_at)"
		" VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state=excluded.state,"
		" reason=excluded.reason, updated_at=excluded.updated_at", "sssi", id, state, reason, now);
}

int store_status_component_unset(store_tx_t *tx, const char *id)
{
	return sq_exec(tx, true, "DELETE FROM status_components WHERE id=?", "s", id);
}

int store_status_history_insert(store_tx_t *tx, const json_t *row)
{
	static const char *const cols[] = { "id", "component", "source", "state", "reason", "actor",
		"created_at", NULL };
	return sq_insert(tx, "status_history", cols, row);
}

json_t *store_status_history(store_tx_t *tx, const char *id, int limit)
{
	return sq_rows(tx, "SELECT id, component, source, state, reason, actor, created_at"
		" FROM status_history WHERE component=? ORDER BY created_at DESC, rowid DESC LIMIT ?",
		"sn", id, limit);
}

json_t *store_status_trunk_calls(store_tx_t *tx, int64_t since)
{
	return sq_rows(tx, "SELECT trunk_id, COUNT(*) AS total,"
		" SUM(CASE WHEN result = 'failed' THEN 1 ELSE 0 END) AS failed FROM fax_attempts"
		" WHERE direction = 'outbound' AND trunk_id IS NOT NULL AND ended_at >= ?"
		" AND result IN ('ok', 'partial', 'failed') GROUP BY trunk_id ORDER BY trunk_id", "i", since);
}

int64_t store_status_mail_waiting(store_tx_t *tx)
{
	json_t *r = sq_one(tx, "SELECT COUNT(*) AS n FROM mail_outbox WHERE status = 'pending'"
		" AND attempts >= 1", "");
	int64_t n = r ? (int64_t)json_integer_value(json_object_get(r, "n")) : -1;
	json_decref(r);
	return n;
}

/* ---- subscriptions and reminders ---- */

#define SUB_COLS "id, account_id, user_id, email, name, lang, components, token_sealed, created_by," \
	" created_at"

int store_status_sub_insert(store_tx_t *tx, const json_t *sub)
{
	static const char *const cols[] = { "id", "account_id", "user_id", "email", "name", "lang",
		"components", "token_hash", "token_sealed", "created_by", "created_at", NULL };
	return sq_insert(tx, "status_subscriptions", cols, sub);
}

json_t *store_status_subs(store_tx_t *tx, const char *account_id)
{
	if (account_id)
		return sq_rows(tx, "SELECT " SUB_COLS " FROM status_subscriptions WHERE account_id=?"
			" ORDER BY created_at, rowid", "s", account_id);
	return sq_rows(tx, "SELECT " SUB_COLS " FROM status_subscriptions ORDER BY created_at, rowid", "");
}

int store_status_sub_delete(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_exec(tx, true, "DELETE FROM status_subscriptions WHERE id=? AND account_id=?", "ss",
		id, account_id);
}

json_t *store_status_sub_by_token(store_tx_t *tx, const char *hash)
{
	return sq_one(tx, "SELECT " SUB_COLS " FROM status_subscriptions WHERE token_hash=?", "s", hash);
}

json_t *store_status_windows_ahead(store_tx_t *tx, int64_t now)
{
	return sq_rows(tx, "SELECT " INCIDENT_COLS ", reminders FROM status_incidents"
		" WHERE kind = 'maintenance' AND closed_at IS NULL AND starts_at > ?"
		" ORDER BY starts_at, rowid", "i", now);
}

int store_status_set_reminders(store_tx_t *tx, const char *id, const char *reminders)
{
	return sq_exec(tx, true, "UPDATE status_incidents SET reminders=? WHERE id=?", "ss", reminders,
		id);
}

/* ---- security contacts ---- */

int store_seccontact_insert(store_tx_t *tx, const json_t *c)
{
	static const char *const cols[] = { "id", "account_id", "name", "email", "phone", "lang",
		"created_by", "created_at", NULL };
	return sq_insert(tx, "security_contacts", cols, c);
}

json_t *store_seccontacts(store_tx_t *tx, const char *account_id)
{
	return sq_rows(tx, "SELECT id, account_id, name, email, phone, lang, created_by, created_at"
		" FROM security_contacts WHERE account_id=? ORDER BY created_at, rowid", "s", account_id);
}

int store_seccontact_delete(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_exec(tx, true, "DELETE FROM security_contacts WHERE id=? AND account_id=?", "ss", id,
		account_id);
}
