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
