/* The store of the secrets kept sealed at rest (see store_secrets.h). */
#include "store_secrets.h"
#include "store_int.h"

#include <string.h>

json_t *store_secrets_unsealed(store_tx_t *tx, const char *prefix)
{
	return sq_rows(tx,
		"SELECT 'totp' AS kind, id, CASE kind WHEN 'account' THEN account_id END AS account_id,"
		" totp_secret AS secret FROM principals"
		" WHERE totp_secret IS NOT NULL AND substr(totp_secret, 1, length(?1)) <> ?1"
		" UNION ALL SELECT 'webhook', id, account_id, secret FROM webhooks"
		" WHERE substr(secret, 1, length(?1)) <> ?1"
		" UNION ALL SELECT 'trunk', id, NULL, secret FROM trunks"
		" WHERE secret IS NOT NULL AND secret <> '' AND substr(secret, 1, length(?1)) <> ?1",
		"s", prefix);
}

int store_secret_replace(store_tx_t *tx, const char *kind, const char *id, const char *value)
{
	const char *sql = strcmp(kind, "totp") == 0 ? "UPDATE principals SET totp_secret=? WHERE id=?"
		: strcmp(kind, "webhook") == 0 ? "UPDATE webhooks SET secret=? WHERE id=?"
		: strcmp(kind, "trunk") == 0 ? "UPDATE trunks SET secret=? WHERE id=?"
		: NULL;
	return sql ? sq_exec(tx, true, sql, "ss", value, id) : STORE_ERROR;
}
