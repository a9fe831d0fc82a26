/* SQL of the webhooks area (see store_webhooks.h), in the subset both backends
 * accept. */
#include "store_webhooks.h"

#include "store_int.h"

static const char *const webhook_cols[] = { "id", "account_id", "url", "events", "description",
	"status", "secret", "created_at", "updated_at", NULL };
#define WEBHOOK_COLS "id, account_id, url, events, description, status, secret, created_at," \
	" updated_at"

int store_webhook_insert(store_tx_t *tx, const json_t *w)
{
	return sq_insert(tx, "webhooks", webhook_cols, w);
}

json_t *store_webhook_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id=? AND account_id=?"
		" AND deleted_at IS NULL", "ss", id, account_id);
}

int store_webhook_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " WEBHOOK_COLS " FROM webhooks"
		" WHERE rowid > ? AND account_id=? AND deleted_at IS NULL ORDER BY rowid LIMIT ?",
		"isn", sq_cursor(cursor, 0), account_id, limit + 1), limit, out);
}

int store_webhook_update(store_tx_t *tx, const char *account_id, const char *id,
	const json_t *fields)
{
	static const char *const allowed[] = { "url", "events", "description", "status", "secret",
		"updated_at", NULL };
	/* Scoping first: the update itself is by id alone. */
	json_t *w = store_webhook_get(tx, account_id, id);
	if (!w)
		return STORE_NOTFOUND;
	json_decref(w);
	return sq_update(tx, "webhooks", allowed, id, fields, "deleted_at IS NULL");
}

int store_webhook_delete(store_tx_t *tx, const char *account_id, const char *id, int64_t now)
{
	int rc = sq_exec(tx, true, "UPDATE webhooks SET deleted_at=?, updated_at=?, status='disabled'"
		" WHERE id=? AND account_id=? AND deleted_at IS NULL", "iiss", now, now, id, account_id);
	if (rc != STORE_OK)
		return rc;
	return sq_exec(tx, false, "UPDATE webhook_deliveries SET status='failed',"
		" last_error='subscription deleted'"
		" WHERE webhook_id=? AND status='pending'", "s", id);
}

json_t *store_webhook_subscribers(store_tx_t *tx, const char *account_id, const char *type)
{
	return sq_rows(tx, "SELECT id FROM webhooks WHERE account_id=? AND status='active'"
		" AND deleted_at IS NULL AND instr(',' || events || ',', ',' || ? || ',') > 0"
		" ORDER BY rowid", "ss", account_id, type);
}

static const char *const event_cols[] = { "id", "account_id", "type", "payload", "created_at",
	NULL };

int store_webhook_event_insert(store_tx_t *tx, const json_t *ev)
{
	return sq_insert(tx, "webhook_events", event_cols, ev);
}

static const char *const delivery_cols[] = { "id", "webhook_id", "event_id", "account_id",
	"status", "next_attempt_at", "created_at", NULL };

int store_webhook_delivery_insert(store_tx_t *tx, const json_t *d)
{
	return sq_insert(tx, "webhook_deliveries", delivery_cols, d);
}

int store_webhook_delivery_list(store_tx_t *tx, const char *account_id, const char *webhook_id,
	const char *cursor, int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT d.rowid AS _k, d.id, d.event_id, e.type,"
		" d.status, d.attempts, d.last_status_code, d.last_error, d.next_attempt_at,"
		" d.delivered_at, d.created_at FROM webhook_deliveries d"
		" JOIN webhook_events e ON e.id = d.event_id"
		" WHERE d.rowid < ? AND d.account_id=? AND d.webhook_id=? ORDER BY d.rowid DESC LIMIT ?",
		"issn", sq_cursor(cursor, INT64_MAX), account_id, webhook_id, limit + 1), limit, out);
}

json_t *store_webhook_delivery_load(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT d.id, d.status, d.event_id, d.attempts, d.webhook_id,"
		" w.account_id, w.url, w.secret, k.wrapped_key AS account_key,"
		" w.status AS webhook_status, e.payload FROM webhook_deliveries d"
		" JOIN webhooks w ON w.id = d.webhook_id JOIN webhook_events e ON e.id = d.event_id"
		" LEFT JOIN account_keys k ON k.account_id = w.account_id WHERE d.id=?", "s", id);
}

int store_webhook_delivery_record(store_tx_t *tx, const char *id, const json_t *f)
{
	json_int_t code = json_integer_value(json_object_get(f, "last_status_code"));
	json_int_t delivered = json_integer_value(json_object_get(f, "delivered_at"));
	return sq_exec(tx, true, "UPDATE webhook_deliveries SET status=?, attempts=?,"
		" last_status_code=?, last_error=?, next_attempt_at=?, delivered_at=?"
		" WHERE id=? AND status<>'delivered'",
		"sijsjjs", json_string_value(json_object_get(f, "status")),
		(int64_t)json_integer_value(json_object_get(f, "attempts")),
		code ? json_object_get(f, "last_status_code") : json_null(),
		json_string_value(json_object_get(f, "last_error")),
		json_object_get(f, "next_attempt_at"),
		delivered ? json_object_get(f, "delivered_at") : json_null(), id);
}
