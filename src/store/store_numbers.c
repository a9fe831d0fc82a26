/* SQL of the numbers area (see store_numbers.h), in the subset both backends accept. */
#include "store_numbers.h"

#include "store_int.h"

#include <string.h>

/* ---- trunks ---- */

static const char *const trunk_cols[] = { "id", "name", "peer", "username", "secret",
	"transport", "max_calls", "caller_id_rule", "prefixes", "status", "created_at",
	"updated_at", "inbound_cidrs", "called_number", "inbound_rewrite", "inbound_auth",
	"link_status", "link_changed_at", "register", "registration", "targets", "resolve_error",
	"resolved_at", "sip_transport", "sip_transports", "tls_cert", "tls_key", "tls_peer_name", NULL };
#define TRUNK_COLS "id, name, peer, username, secret, transport, max_calls, caller_id_rule," \
	" prefixes, status, created_at, updated_at, inbound_cidrs, called_number, inbound_rewrite," \
	" inbound_auth, link_status, link_changed_at, register, registration, targets, resolve_error," \
	" resolved_at, sip_transport, sip_transports, tls_cert, tls_key, tls_peer_name"

int store_trunk_insert(store_tx_t *tx, const json_t *t)
{
	return sq_insert(tx, "trunks", trunk_cols, t);
}

json_t *store_trunk_get(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT " TRUNK_COLS " FROM trunks WHERE id=?", "s", id);
}

json_t *store_trunk_list(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT " TRUNK_COLS " FROM trunks ORDER BY rowid", "");
}

int store_trunk_page(store_tx_t *tx, const char *cursor, int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " TRUNK_COLS " FROM trunks"
		" WHERE rowid > ? ORDER BY rowid LIMIT ?", "in", sq_cursor(cursor, 0), limit + 1), limit,
		out);
}

int store_trunk_update(store_tx_t *tx, const char *id, const json_t *fields)
{
	static const char *const allowed[] = { "name", "peer", "username", "secret", "transport",
		"max_calls", "caller_id_rule", "prefixes", "status", "updated_at", "inbound_cidrs",
		"called_number", "inbound_rewrite", "inbound_auth", "link_status", "link_changed_at",
		"register", "registration", "targets", "resolve_error", "resolved_at", "sip_transport", "sip_transports",
		"tls_cert", "tls_key", "tls_peer_name", NULL };
	return sq_update(tx, "trunks", allowed, id, fields, NULL);
}

/* ---- trunk state as each node sees it ---- */

int store_trunk_node_set(store_tx_t *tx, const char *trunk_id, const char *node_id,
	const char *column, const char *value, int64_t now)
{
	if (strcmp(column, "link_status") == 0)
		return sq_exec(tx, false, "INSERT INTO trunk_node_states (trunk_id, node_id, link_status,"
			" link_changed_at, seen_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (trunk_id, node_id) DO UPDATE"
			" SET link_changed_at = CASE WHEN trunk_node_states.link_status = excluded.link_status"
			" THEN trunk_node_states.link_changed_at ELSE excluded.link_changed_at END,"
			" link_status = excluded.link_status, seen_at = excluded.seen_at", "sssii", trunk_id,
			node_id, value, now, now);
	if (strcmp(column, "registration") == 0)
		return sq_exec(tx, false, "INSERT INTO trunk_node_states (trunk_id, node_id, registration,"
			" seen_at) VALUES (?, ?, ?, ?) ON CONFLICT (trunk_id, node_id) DO UPDATE"
			" SET registration = excluded.registration, seen_at = excluded.seen_at", "sssi",
			trunk_id, node_id, value, now);
	return STORE_ERROR;
}

json_t *store_trunk_node_states(store_tx_t *tx, const char *trunk_id, const char *node_id)
{
	return sq_rows(tx, "SELECT trunk_id, node_id, link_status, link_changed_at, registration, seen_at"
		" FROM trunk_node_states WHERE (? = '' OR trunk_id = ?) AND (? = '' OR node_id = ?)"
		" ORDER BY trunk_id, node_id", "ssss", trunk_id ? trunk_id : "", trunk_id ? trunk_id : "",
		node_id ? node_id : "", node_id ? node_id : "");
}

json_t *store_trunk_node_forget(store_tx_t *tx, const char *node_id)
{
	json_t *rows = store_trunk_node_states(tx, NULL, node_id);
	if (rows && sq_exec(tx, false, "DELETE FROM trunk_node_states WHERE node_id = ?", "s", node_id) != STORE_OK) {
		json_decref(rows);
		return NULL;
	}
	return rows;
}

/* ---- inventory ---- */

static const char *const number_cols[] = { "number", "trunk_id", "country", "status",
	"account_id", "route_user_id", "assigned_at", "released_at", "quarantine_until",
	"created_at", NULL };
#define NUMBER_COLS "number, trunk_id, country, status, account_id, route_user_id, assigned_at," \
	" released_at, quarantine_until, created_at"

int store_number_insert(store_tx_t *tx, const json_t *n)
{
	return sq_insert(tx, "numbers", number_cols, n);
}

json_t *store_number_get(store_tx_t *tx, const char *number)
{
	return sq_one(tx, "SELECT " NUMBER_COLS " FROM numbers WHERE number=?", "s", number);
}

json_t *store_number_of_account(store_tx_t *tx, const char *account_id, const char *number)
{
	return sq_one(tx, "SELECT " NUMBER_COLS " FROM numbers WHERE number=? AND account_id=?"
		" AND status='assigned'", "ss", number, account_id);
}

json_t *store_number_pick(store_tx_t *tx, const char *country, const char *prefix, int64_t now)
{
	/* prefix is "+" and digits (checked by the domain), so LIKE sees no
	 * wildcard of the caller's. Never used numbers come first, then those
	 * released longest ago. */
	return sq_one(tx, "SELECT " NUMBER_COLS " FROM numbers WHERE country=?"
		" AND substr(number, 1, length(?)) = ?"
		" AND (status='available' OR (status='quarantined' AND quarantine_until <= ?))"
		" AND trunk_id IN (SELECT id FROM trunks WHERE status='active')"
		" ORDER BY released_at IS NOT NULL, released_at, number LIMIT 1", "sssi", country,
		prefix, prefix, now);
}

int store_number_assign(store_tx_t *tx, const char *number, const char *account_id,
	const char *route_user_id, const char *trunk_id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE numbers SET status='assigned', account_id=?,"
		" route_user_id=?, trunk_id=coalesce(?, trunk_id), assigned_at=?, released_at=NULL,"
		" quarantine_until=NULL WHERE number=?", "sssis", account_id, route_user_id, trunk_id,
		now, number);
}

int store_number_route(store_tx_t *tx, const char *account_id, const char *number,
	const char *route_user_id)
{
	return sq_exec(tx, true, "UPDATE numbers SET route_user_id=? WHERE number=?"
		" AND account_id=? AND status='assigned'", "sss", route_user_id, number, account_id);
}

int store_number_release(store_tx_t *tx, const char *account_id, const char *number,
	int64_t now, int64_t quarantine_until)
{
	return sq_exec(tx, true, "UPDATE numbers SET status='quarantined', account_id=NULL,"
		" route_user_id=NULL, released_at=?, quarantine_until=? WHERE number=?"
		" AND account_id=? AND status='assigned'", "iiss", now, quarantine_until, number,
		account_id);
}

int store_number_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " NUMBER_COLS " FROM numbers"
		" WHERE rowid > ? AND account_id=? AND status='assigned' ORDER BY rowid LIMIT ?", "isn",
		sq_cursor(cursor, 0), account_id, limit + 1), limit, out);
}

int store_number_inventory(store_tx_t *tx, const char *status, const char *trunk_id,
	const char *account_id, int64_t now, const char *cursor, int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " NUMBER_COLS " FROM numbers"
		" WHERE rowid > ? AND (? IS NULL OR (CASE WHEN status='quarantined'"
		" AND quarantine_until <= ? THEN 'available' ELSE status END) = ?)"
		" AND (? IS NULL OR trunk_id=?) AND (? IS NULL OR account_id=?) ORDER BY rowid LIMIT ?",
		"isisssssn", sq_cursor(cursor, 0), status, now, status, trunk_id, trunk_id, account_id,
		account_id, limit + 1), limit, out);
}

json_t *store_number_all(store_tx_t *tx, const char *account_id)
{
	return sq_rows(tx, "SELECT " NUMBER_COLS " FROM numbers WHERE account_id=?"
		" AND status='assigned' ORDER BY assigned_at, number", "s", account_id);
}

/* ---- port-in requests ---- */

static const char *const port_cols[] = { "id", "account_id", "status", "numbers",
	"losing_carrier", "account_number_at_carrier", "loa_document_id", "reason", "trunk_id",
	"created_by", "created_at", "updated_at", NULL };
#define PORT_COLS "id, account_id, status, numbers, losing_carrier, account_number_at_carrier," \
	" loa_document_id, reason, trunk_id, created_by, created_at, updated_at"

int store_port_insert(store_tx_t *tx, const json_t *p)
{
	return sq_insert(tx, "port_requests", port_cols, p);
}

json_t *store_port_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " PORT_COLS " FROM port_requests WHERE id=?"
		" AND (? IS NULL OR account_id=?)", "sss", id, account_id, account_id);
}

int store_port_list(store_tx_t *tx, const char *account_id, const char *status,
	const char *cursor, int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, " PORT_COLS " FROM port_requests"
		" WHERE rowid > ? AND (? IS NULL OR account_id=?) AND (? IS NULL OR status=?)"
		" ORDER BY rowid LIMIT ?", "issssn", sq_cursor(cursor, 0), account_id, account_id,
		status, status, limit + 1), limit, out);
}

int store_port_set_status(store_tx_t *tx, const char *id, const char *from, const char *to,
	const char *reason, const char *trunk_id, int64_t now)
{
	/* The state is checked in the same statement: two operators racing on
	 * one request cannot both move it. */
	return sq_exec(tx, true, "UPDATE port_requests SET status=?, reason=coalesce(?, reason),"
		" trunk_id=coalesce(?, trunk_id), updated_at=? WHERE id=? AND status=?", "sssiss", to,
		reason, trunk_id, now, id, from);
}

/* ---- notifications ---- */

static const char *const notif_cols[] = { "id", "account_id", "kind", "target", "subject_en",
	"subject_fr", "body_en", "body_fr", "created_at", "sent_at", NULL };

int store_notification_insert(store_tx_t *tx, const json_t *n)
{
	return sq_insert(tx, "notifications", notif_cols, n);
}

int store_notification_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT rowid AS _k, id, account_id, kind, target,"
		" subject_en, subject_fr, body_en, body_fr, created_at, sent_at FROM notifications"
		" WHERE rowid > ? AND account_id=? ORDER BY rowid LIMIT ?", "isn",
		sq_cursor(cursor, 0), account_id, limit + 1), limit, out);
}
