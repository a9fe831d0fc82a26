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
		: strcmp(kind, "trunk_tls") == 0 ? "UPDATE trunks SET tls_key=? WHERE id=?"
		: strcmp(kind, "mail") == 0 ? "UPDATE mail_outbox SET secret=? WHERE id=?"
		: NULL;
	return sql ? sq_exec(tx, true, sql, "ss", value, id) : STORE_ERROR;
}

json_t *store_secrets_provider(store_tx_t *tx)
{
	return sq_rows(tx,
		"SELECT 'totp' AS kind, id, totp_secret AS secret FROM principals"
		" WHERE totp_secret IS NOT NULL AND kind <> 'account'"
		" UNION ALL SELECT 'trunk', id, secret FROM trunks"
		" WHERE secret IS NOT NULL AND secret <> ''"
		" UNION ALL SELECT 'trunk_tls', id, tls_key FROM trunks"
		" WHERE tls_key IS NOT NULL AND tls_key <> ''"
		" UNION ALL SELECT 'mail', id, secret FROM mail_outbox"
		" WHERE secret IS NOT NULL AND secret <> ''", "");
}

json_t *store_account_keys_all(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT account_id, wrapped_key FROM account_keys ORDER BY account_id", "");
}

int store_account_key_replace(store_tx_t *tx, const char *account_id, const char *wrapped_hex)
{
	return sq_exec(tx, true, "UPDATE account_keys SET wrapped_key=? WHERE account_id=?", "ss",
		wrapped_hex, account_id);
}
