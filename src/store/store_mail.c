/* SQL of outbound mail (see store_mail.h), in the subset both backends accept. */
#include "store_mail.h"

#include "store_int.h"

static const char *const mail_cols[] = { "id", "kind", "account_id", "principal_id", "to_addr",
	"lang", "params", "secret", "status", "next_attempt_at", "created_at", NULL };

int store_mail_insert(store_tx_t *tx, const json_t *msg)
{
	return sq_insert(tx, "mail_outbox", mail_cols, msg);
}

json_t *store_mail_load(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT id, kind, status, to_addr, lang, params, secret, attempts"
		" FROM mail_outbox WHERE id=?", "s", id);
}

int store_mail_record(store_tx_t *tx, const char *id, const json_t *f)
{
	const char *status = json_string_value(json_object_get(f, "status"));
	json_int_t sent = json_integer_value(json_object_get(f, "sent_at"));
	return sq_exec(tx, true, "UPDATE mail_outbox SET status=?, attempts=?, last_reply=?,"
		" next_attempt_at=?, sent_at=?,"
		" secret=CASE WHEN ?='pending' THEN secret ELSE '' END"
		" WHERE id=? AND status<>'sent'",
		"sisjjss", status, (int64_t)json_integer_value(json_object_get(f, "attempts")),
		json_string_value(json_object_get(f, "last_reply")),
		json_object_get(f, "next_attempt_at"),
		sent ? json_object_get(f, "sent_at") : json_null(), status, id);
}

json_t *store_mail_by_recipient(store_tx_t *tx, const char *to_addr, int limit)
{
	return sq_rows(tx, "SELECT id, kind, status, attempts, last_reply, sent_at, created_at,"
		" bounce_action, bounce_status, bounced_at FROM mail_outbox WHERE to_addr=? ORDER BY rowid DESC LIMIT ?", "sn", to_addr, limit);
}

json_t *store_mail_get(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT id, kind, account_id, principal_id, to_addr, status, bounce_action"
		" FROM mail_outbox WHERE id=?", "s", id);
}

int store_mail_bounce(store_tx_t *tx, const char *id, const char *action, const char *status,
	const char *diagnostic, int64_t at)
{
	return sq_exec(tx, true, "UPDATE mail_outbox SET bounce_action=?, bounce_status=?,"
		" bounce_diagnostic=?, bounced_at=? WHERE id=? AND (bounce_action IS NULL"
		" OR bounce_action <> 'failed' OR ?='failed')", "sssiss", action, status, diagnostic,
		at, id, action);
}

int store_principal_mail_bounce(store_tx_t *tx, const char *id, const char *addr,
	const char *status, int64_t at)
{
	return sq_exec(tx, true, "UPDATE principals SET mail_bounced_at=?, mail_bounce_status=?,"
		" mail_bounced_addr=email WHERE id=? AND lower(email)=lower(?)", "isss", at, status, id,
		addr);
}
