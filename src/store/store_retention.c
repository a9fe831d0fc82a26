/* SQL of retention (see store_retention.h), in the subset both backends accept. */
#include "store_retention.h"

#include "store_int.h"

json_t *store_retention_get(store_tx_t *tx, const char *account_id)
{
	json_t *r = sq_one(tx, "SELECT account_id, inbound_fax_days, outbound_fax_days, safebox_days,"
		" legal_hold, legal_hold_reason, updated_at FROM retention_policies WHERE account_id=?",
		"s", account_id);
	if (!r)
		return NULL;
	/* NULL columns come back as JSON null: absent means "keep". */
	static const char *const days[] = { "inbound_fax_days", "outbound_fax_days", "safebox_days" };
	for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
		if (json_is_null(json_object_get(r, days[i])))
			json_object_del(r, days[i]);
	return r;
}

int store_retention_put(store_tx_t *tx, const json_t *p)
{
	const json_t *in = json_object_get(p, "inbound_fax_days"),
		     *out = json_object_get(p, "outbound_fax_days"),
		     *sb = json_object_get(p, "safebox_days");
	return sq_exec(tx, false, "INSERT INTO retention_policies (account_id, inbound_fax_days,"
		" outbound_fax_days, safebox_days, legal_hold, legal_hold_reason, updated_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET"
		" inbound_fax_days=excluded.inbound_fax_days,"
		" outbound_fax_days=excluded.outbound_fax_days, safebox_days=excluded.safebox_days,"
		" legal_hold=excluded.legal_hold, legal_hold_reason=excluded.legal_hold_reason,"
		" updated_at=excluded.updated_at", "sjjjnsi",
		json_string_value(json_object_get(p, "account_id")), in ? in : json_null(),
		out ? out : json_null(), sb ? sb : json_null(),
		json_integer_value(json_object_get(p, "legal_hold")) != 0 ? 1 : 0,
		json_string_value(json_object_get(p, "legal_hold_reason")),
		(int64_t)json_integer_value(json_object_get(p, "updated_at")));
}

int store_fax_hold_set(store_tx_t *tx, const char *account_id, const char *fax_id,
	const char *reason)
{
	return sq_exec(tx, true, "UPDATE faxes SET legal_hold_reason=? WHERE id=? AND account_id=?"
		" AND deleted_at IS NULL",
		"sss", reason, fax_id, account_id);
}

json_t *store_retention_due(store_tx_t *tx, int64_t now, int limit)
{
	/* Counted from when the fax ended (completed_at), else when it was
	 * created. */
	return sq_rows(tx, "SELECT f.id, f.account_id, f.direction, f.created_at, f.doc_id,"
		" CASE f.direction WHEN 'inbound' THEN r.inbound_fax_days ELSE r.outbound_fax_days END"
		" AS days FROM faxes f JOIN retention_policies r ON r.account_id = f.account_id"
		" WHERE r.legal_hold = 0 AND f.deleted_at IS NULL AND f.legal_hold_reason IS NULL"
		" AND f.status IN ('delivered', 'received', 'partial', 'failed', 'cancelled')"
		" AND ((f.direction = 'inbound' AND r.inbound_fax_days IS NOT NULL"
		"       AND COALESCE(f.completed_at, f.created_at) <= ? - r.inbound_fax_days * 86400000)"
		"   OR (f.direction = 'outbound' AND r.outbound_fax_days IS NOT NULL"
		"       AND COALESCE(f.completed_at, f.created_at) <= ? - r.outbound_fax_days * 86400000))"
		" ORDER BY f.created_at LIMIT ?", "iin", now, now, limit);
}

/* ---- GDPR ---- */

json_t *store_gdpr_safeboxes(store_tx_t *tx, const char *account_id, const char *person_id,
	const char *email)
{
	return sq_rows(tx, "SELECT id, subject, owner_id, status, created_at, expires_at, closed_at"
		" FROM safeboxes WHERE account_id=? AND deleted_at IS NULL AND (owner_id=? OR id IN"
		" (SELECT safebox_id FROM safebox_participants WHERE account_id=? AND (principal_id=?"
		" OR email=?))) ORDER BY created_at, id", "sssss", account_id, person_id, account_id,
		person_id, email);
}

json_t *store_gdpr_subscriptions(store_tx_t *tx, const char *account_id, const char *person_id,
	const char *email)
{
	return sq_rows(tx, "SELECT id, email, name, lang, components, created_at"
		" FROM status_subscriptions WHERE account_id=? AND (user_id=? OR email=?)"
		" ORDER BY created_at, id", "sss", account_id, person_id, email);
}

json_t *store_gdpr_contacts(store_tx_t *tx, const char *account_id, const char *email)
{
	return sq_rows(tx, "SELECT id, name, email, phone, lang, created_at FROM security_contacts"
		" WHERE account_id=? AND email=? ORDER BY created_at, id", "ss", account_id, email);
}

json_t *store_gdpr_mails(store_tx_t *tx, const char *account_id, const char *person_id,
	const char *email)
{
	return sq_rows(tx, "SELECT id, kind, to_addr, lang, status, created_at, sent_at,"
		" bounce_action, bounce_status, bounce_diagnostic, bounced_at"
		" FROM mail_outbox WHERE principal_id=? OR (account_id=? AND to_addr=?)"
		" ORDER BY created_at, id", "sss", person_id, account_id, email);
}

int store_gdpr_erase(store_tx_t *tx, const char *account_id, const char *person_id,
	const char *email, const char *pseudo_email, int64_t now, json_t **counts)
{
	*counts = NULL;
	int n[5] = { 0 };
	int rc = sq_exec(tx, false, "UPDATE mail_outbox SET to_addr=?, params='{}', secret='',"
		" bounce_diagnostic=NULL,"
		" status=CASE WHEN status='pending' THEN 'failed' ELSE status END,"
		" last_reply=CASE WHEN status='pending' THEN 'the person was erased' ELSE last_reply END"
		" WHERE principal_id=? OR (account_id=? AND to_addr=?)", "ssss", pseudo_email,
		person_id, account_id, email);
	if (rc == STORE_OK) {
		n[0] = sq_changes(tx);
		rc = sq_exec(tx, false, "UPDATE safebox_participants SET email=?, token_hash=NULL,"
			" code_hash=NULL, status='revoked', revoked_at=COALESCE(revoked_at, ?)"
			" WHERE account_id=? AND (principal_id=? OR email=?)", "sisss", pseudo_email,
			now, account_id, person_id, email);
	}
	if (rc == STORE_OK) {
		n[1] = sq_changes(tx);
		rc = sq_exec(tx, false, "DELETE FROM safebox_guest_sessions WHERE participant_id IN"
			" (SELECT id FROM safebox_participants WHERE account_id=? AND email=?)", "ss",
			account_id, pseudo_email);
	}
	if (rc == STORE_OK)
		rc = sq_exec(tx, false, "UPDATE safebox_messages SET author_email=? WHERE account_id=?"
			" AND (author_id=? OR author_email=?)", "ssss", pseudo_email, account_id, person_id,
			email);
	if (rc == STORE_OK) {
		n[2] = sq_changes(tx);
		rc = sq_exec(tx, false, "UPDATE safebox_files SET author_email=? WHERE account_id=?"
			" AND (author_id=? OR author_email=?)", "ssss", pseudo_email, account_id, person_id,
			email);
	}
	if (rc == STORE_OK) {
		n[2] += sq_changes(tx);
		rc = sq_exec(tx, false, "DELETE FROM status_subscriptions WHERE account_id=? AND"
			" (user_id=? OR email=?)", "sss", account_id, person_id, email);
	}
	if (rc == STORE_OK) {
		n[3] = sq_changes(tx);
		rc = sq_exec(tx, false, "DELETE FROM security_contacts WHERE account_id=? AND email=?",
			"ss", account_id, email);
	}
	if (rc != STORE_OK)
		return STORE_ERROR;
	n[4] = sq_changes(tx);
	*counts = json_pack("{s:i, s:i, s:i, s:i, s:i}", "mails", n[0], "safebox_participants", n[1],
		"safebox_authored", n[2], "status_subscriptions", n[3], "security_contacts", n[4]);
	return STORE_OK;
}

json_t *store_gdpr_mails_naming(store_tx_t *tx, const char *account_id, const char *text)
{
	return sq_rows(tx, "SELECT id, params FROM mail_outbox WHERE account_id=? AND"
		" instr(params, ?) > 0 ORDER BY created_at, id", "ss", account_id, text);
}

int store_gdpr_mail_params_set(store_tx_t *tx, const char *id, const char *params)
{
	return sq_exec(tx, true, "UPDATE mail_outbox SET params=? WHERE id=?", "ss", params, id);
}

int store_gdpr_fax_texts(store_tx_t *tx, const char *account_id, const char *text,
	const char *pseudo, int *n)
{
	int rc = sq_exec(tx, false, "UPDATE faxes SET header_text=REPLACE(header_text, ?, ?),"
		" cover_subject=REPLACE(cover_subject, ?, ?) WHERE account_id=? AND"
		" (instr(header_text, ?) > 0 OR instr(cover_subject, ?) > 0)", "sssssss", text, pseudo,
		text, pseudo, account_id, text, text);
	*n = rc == STORE_OK ? sq_changes(tx) : 0;
	return rc;
}

json_t *store_gdpr_fax_docs_naming(store_tx_t *tx, const char *account_id, const char *text)
{
	return sq_rows(tx, "SELECT doc_id, max(CASE WHEN legal_hold_reason IS NULL THEN 0 ELSE 1 END)"
		" AS held FROM faxes WHERE account_id=? AND direction='outbound' AND doc_id IS NOT NULL"
		" AND deleted_at IS NULL AND (instr(header_text, ?) > 0 OR instr(cover_subject, ?) > 0)"
		" GROUP BY doc_id ORDER BY doc_id", "sss", account_id, text, text);
}

/* ---- rewriting fax documents ---- */

int store_fax_rendering_put(store_tx_t *tx, const char *doc_id, const char *account_id,
	int cover, const char *lang, int64_t date_ms)
{
	return sq_exec(tx, false, "INSERT INTO fax_renderings (doc_id, account_id, cover, lang,"
		" date_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (doc_id) DO NOTHING", "ssnsi", doc_id,
		account_id, cover ? 1 : 0, lang, date_ms);
}

json_t *store_fax_rendering_get(store_tx_t *tx, const char *doc_id)
{
	return sq_one(tx, "SELECT doc_id, account_id, cover, lang, date_ms FROM fax_renderings"
		" WHERE doc_id=?", "s", doc_id);
}

int store_fax_rendering_move(store_tx_t *tx, const char *doc_id, const char *new_doc_id)
{
	return sq_exec(tx, false, "UPDATE fax_renderings SET doc_id=? WHERE doc_id=?", "ss",
		new_doc_id, doc_id);
}

int store_doc_rewrite_add(store_tx_t *tx, const char *doc_id, const char *account_id,
	const char *reason, const char *subject_id, int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO doc_rewrites (doc_id, account_id, reason, subject_id,"
		" created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (doc_id) DO NOTHING", "ssssi", doc_id,
		account_id, reason, subject_id, now);
}

json_t *store_doc_rewrites_due(store_tx_t *tx, const char *account_id, int limit)
{
	if (account_id)
		return sq_rows(tx, "SELECT doc_id, account_id, reason, subject_id, created_at FROM"
			" doc_rewrites WHERE account_id=? ORDER BY created_at, doc_id LIMIT ?", "sn",
			account_id, limit);
	return sq_rows(tx, "SELECT doc_id, account_id, reason, subject_id, created_at FROM"
		" doc_rewrites ORDER BY created_at, doc_id LIMIT ?", "n", limit);
}

int store_doc_rewrite_done(store_tx_t *tx, const char *doc_id)
{
	return sq_exec(tx, false, "DELETE FROM doc_rewrites WHERE doc_id=?", "s", doc_id);
}
