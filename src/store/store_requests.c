/* SQL of the requests to the provider (see store_requests.h), in the subset
 * both backends accept. */
#include "store_requests.h"

#include "store_int.h"

#define REQ_COLS "id, account_id, kind, status, fields, created_by, created_at, updated_at, closed_at"

int store_request_insert(store_tx_t *tx, const json_t *req)
{
	static const char *const cols[] = { "id", "account_id", "kind", "status", "fields",
		"created_by", "created_at", "updated_at", NULL };
	return sq_insert(tx, "provider_requests", cols, req);
}

json_t *store_request_get(store_tx_t *tx, const char *id, const char *account_id)
{
	return sq_one(tx, "SELECT " REQ_COLS " FROM provider_requests WHERE id=?"
		" AND (? IS NULL OR account_id=?)", "sss", id, account_id, account_id);
}

int store_request_set_status(store_tx_t *tx, const char *id, const char *status, int64_t now,
	int64_t closed)
{
	return sq_exec(tx, true, "UPDATE provider_requests SET status=?, updated_at=?,"
		" closed_at=NULLIF(?, 0) WHERE id=?", "siis", status, now, closed, id);
}

int store_request_page(store_tx_t *tx, const char *account_id, const char *kind,
	const char *status, const char *created_by, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " REQ_COLS " FROM provider_requests"
		" WHERE rowid < ? AND (? IS NULL OR account_id=?) AND (? IS NULL OR kind=?)"
		" AND (? IS NULL OR status=?) AND (? IS NULL OR created_by=?)"
		" ORDER BY rowid DESC LIMIT ?", "issssssssn", sq_cursor(cursor, INT64_MAX), account_id,
		account_id, kind, kind, status, status, created_by, created_by, limit + 1), limit, out);
}

json_t *store_request_overlapping(store_tx_t *tx, const char *kind, const char *status,
	int64_t from, int64_t to)
{
	return sq_rows(tx, "SELECT " REQ_COLS " FROM provider_requests WHERE kind=? AND status=?"
		" AND json_extract(fields, '$.starts_at_ms') < ? AND json_extract(fields, '$.ends_at_ms') > ?"
		" ORDER BY created_at", "ssii", kind, status, to, from);
}

int store_request_event_insert(store_tx_t *tx, const json_t *ev)
{
	static const char *const cols[] = { "id", "request_id", "status", "message", "created_by",
		"created_at", NULL };
	return sq_insert(tx, "provider_request_events", cols, ev);
}

json_t *store_request_events(store_tx_t *tx, const char *request_id)
{
	return sq_rows(tx, "SELECT id, request_id, status, message, created_by, created_at"
		" FROM provider_request_events WHERE request_id=? ORDER BY created_at, rowid", "s",
		request_id);
}
