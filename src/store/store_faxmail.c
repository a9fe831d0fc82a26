/* SQL of fax by e-mail settings (see store_faxmail.h), in the subset both
 * backends accept. */
#include "store_faxmail.h"

#include "store_int.h"

json_t *store_faxmail_get(store_tx_t *tx, const char *account_id)
{
	return sq_one(tx, "SELECT account_id, enabled, allowed_senders, allowed_servers, spf, dkim,"
		" updated_at FROM fax_by_email WHERE account_id=?", "s", account_id);
}

int store_faxmail_put(store_tx_t *tx, const json_t *s)
{
	return sq_exec(tx, false, "INSERT INTO fax_by_email (account_id, enabled, allowed_senders,"
		" allowed_servers, spf, dkim, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (account_id) DO UPDATE SET enabled=excluded.enabled,"
		" allowed_senders=excluded.allowed_senders, allowed_servers=excluded.allowed_servers,"
		" spf=excluded.spf, dkim=excluded.dkim, updated_at=excluded.updated_at", "snssssi",
		json_string_value(json_object_get(s, "account_id")),
		json_integer_value(json_object_get(s, "enabled")) != 0 ? 1 : 0,
		json_string_value(json_object_get(s, "allowed_senders")),
		json_string_value(json_object_get(s, "allowed_servers")),
		json_string_value(json_object_get(s, "spf")),
		json_string_value(json_object_get(s, "dkim")),
		(int64_t)json_integer_value(json_object_get(s, "updated_at")));
}

int64_t store_faxmail_sender_count(store_tx_t *tx, const char *sender, int64_t hour)
{
	if (sq_exec(tx, false, "DELETE FROM fax_mail_senders WHERE window_hour < ?", "i", hour) !=
		    STORE_OK ||
	    sq_exec(tx, false, "INSERT INTO fax_mail_senders (sender, window_hour, mails)"
		    " VALUES (?, ?, 1) ON CONFLICT (sender) DO UPDATE SET mails = CASE WHEN"
		    " fax_mail_senders.window_hour = excluded.window_hour THEN fax_mail_senders.mails + 1"
		    " ELSE 1 END, window_hour = excluded.window_hour", "si", sender, hour) != STORE_OK)
		return -1;
	json_t *r = sq_one(tx, "SELECT mails FROM fax_mail_senders WHERE sender=?", "s", sender);
	int64_t n = r ? (int64_t)json_integer_value(json_object_get(r, "mails")) : -1;
	json_decref(r);
	return n;
}

int64_t store_faxmail_sender_pages(store_tx_t *tx, const char *sender, int64_t day)
{
	if (sq_exec(tx, false, "DELETE FROM fax_mail_pages WHERE day < ?", "i", day) != STORE_OK)
		return -1;
	json_t *r = sq_one(tx, "SELECT COALESCE(SUM(f.page_count), 0) AS pages FROM fax_mail_pages p"
		" JOIN faxes f ON f.id = p.fax_id WHERE p.sender=? AND p.day=?", "si", sender, day);
	int64_t n = r ? (int64_t)json_integer_value(json_object_get(r, "pages")) : -1;
	json_decref(r);
	return n;
}

int store_faxmail_pages_add(store_tx_t *tx, const char *fax_id, const char *sender, int64_t day)
{
	return sq_exec(tx, false, "INSERT INTO fax_mail_pages (fax_id, sender, day) VALUES (?, ?, ?)",
		"ssi", fax_id, sender, day);
}

json_t *store_faxmail_seen_get(store_tx_t *tx, const char *digest, int64_t since_ms)
{
	return sq_one(tx, "SELECT fax_id, account_id, accepted_at FROM fax_mail_seen WHERE digest=? AND"
		" accepted_at >= ?", "si", digest, since_ms);
}

int store_faxmail_seen_add(store_tx_t *tx, const char *digest, const char *fax_id,
	const char *account_id, int64_t now_ms, int64_t since_ms)
{
	if (sq_exec(tx, false, "DELETE FROM fax_mail_seen WHERE accepted_at < ?", "i", since_ms) !=
	    STORE_OK)
		return STORE_ERROR;
	return sq_exec(tx, false, "INSERT INTO fax_mail_seen (digest, fax_id, account_id,"
		" accepted_at) VALUES (?, ?, ?, ?)", "sssi", digest, fax_id, account_id, now_ms);
}

int store_faxmail_report_add(store_tx_t *tx, const char *fax_id, int64_t now_ms)
{
	return sq_exec(tx, false, "INSERT INTO fax_mail_reports (fax_id, created_at) VALUES (?, ?)",
		"si", fax_id, now_ms);
}

int store_faxmail_report_take(store_tx_t *tx, const char *fax_id)
{
	return sq_exec(tx, true, "DELETE FROM fax_mail_reports WHERE fax_id=?", "s", fax_id);
}
