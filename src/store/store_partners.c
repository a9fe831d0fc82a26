/* SQL of partner self-service (see store_partners.h), in the subset both
 * backends accept. */
#include "store_partners.h"

#include "store_int.h"

int store_partner_staff_count_role(store_tx_t *tx, const char *partner_id, const char *role)
{
	json_t *r = sq_one(tx, "SELECT count(*) AS n FROM principals WHERE kind='partner'"
		" AND partner_id=? AND role=? AND status='active'", "ss", partner_id, role);
	int n = r ? (int)json_integer_value(json_object_get(r, "n")) : -1;
	json_decref(r);
	return n;
}

json_t *store_cdr_totals(store_tx_t *tx, const char *account_id, int64_t since, int64_t until)
{
	json_t *r = sq_one(tx, "SELECT count(*) AS calls,"
		" SUM(CASE WHEN direction='outbound' THEN 1 ELSE 0 END) AS outbound,"
		" SUM(CASE WHEN direction='inbound' THEN 1 ELSE 0 END) AS inbound,"
		" SUM(CASE WHEN result='ok' THEN 1 ELSE 0 END) AS ok,"
		" SUM(pages_confirmed) AS pages, SUM(COALESCE(duration_ms, 0)) AS duration_ms,"
		" SUM(cost) AS cost FROM fax_attempts WHERE account_id=? AND result <> 'in_progress'"
		" AND started_at >= ? AND started_at < ?", "sii", account_id, since, until);
	if (!r)
		return NULL;
	/* SUM over no rows is NULL: totals are 0. */
	static const char *const keys[] = { "calls", "outbound", "inbound", "ok", "pages",
		"duration_ms", "cost", NULL };
	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(r, keys[i]);
		if (!json_is_integer(v))
			json_object_set_new(r, keys[i], json_integer(0));
	}
	return r;
}

json_t *store_partner_logo_get(store_tx_t *tx, const char *partner_id)
{
	return sq_one(tx, "SELECT partner_id, content_type, width, height, data, updated_at"
		" FROM partner_logos WHERE partner_id=?", "s", partner_id);
}

int store_partner_logo_put(store_tx_t *tx, const char *partner_id, const char *content_type,
	int width, int height, const char *data_b64, int64_t now)
{
	int rc = sq_exec(tx, false, "DELETE FROM partner_logos WHERE partner_id=?", "s", partner_id);
	if (rc == STORE_OK)
		rc = sq_exec(tx, true, "INSERT INTO partner_logos (partner_id, content_type, width,"
			" height, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)", "ssnnsi", partner_id,
			content_type, width, height, data_b64, now);
	return rc;
}

int store_partner_logo_delete(store_tx_t *tx, const char *partner_id)
{
	return sq_exec(tx, true, "DELETE FROM partner_logos WHERE partner_id=?", "s", partner_id);
}
