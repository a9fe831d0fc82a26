/* SQL of the per-destination memory (see store_faxdest.h), in the subset
 * both backends accept. */
#include "store_faxdest.h"

#include "store_int.h"

json_t *store_faxdest_get(store_tx_t *tx, const char *trunk_id, const char *to_number)
{
	return sq_one(tx, "SELECT transport, ecm, bit_rate, updated_at FROM fax_destinations"
		" WHERE trunk_id=? AND to_number=?", "ss", trunk_id, to_number);
}

int store_faxdest_put(store_tx_t *tx, const char *trunk_id, const char *to_number,
	const char *transport, int ecm, int bit_rate, int64_t now, int64_t older_than)
{
	if (sq_exec(tx, false, "DELETE FROM fax_destinations WHERE updated_at < ?", "i", older_than) !=
	    STORE_OK)
		return STORE_ERROR;
	return sq_exec(tx, false, "INSERT INTO fax_destinations (trunk_id, to_number, transport, ecm,"
		" bit_rate, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (trunk_id, to_number)"
		" DO UPDATE SET transport=excluded.transport, ecm=excluded.ecm,"
		" bit_rate=excluded.bit_rate, updated_at=excluded.updated_at", "sssnni", trunk_id,
		to_number, transport, ecm ? 1 : 0, bit_rate, now);
}

int store_faxdest_forget(store_tx_t *tx, const char *trunk_id, const char *to_number)
{
	int rc = sq_exec(tx, true, "DELETE FROM fax_destinations WHERE trunk_id=? AND to_number=?", "ss",
		trunk_id, to_number);
	return rc == STORE_ERROR ? STORE_ERROR : STORE_OK;
}
