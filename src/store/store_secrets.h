/* The store of the secrets kept sealed at rest (TOTP seeds, webhook signing
 * secrets, trunk passwords): finding values an older version stored in
 * clear, so that the domain seals them at start (dom_secrets_seal_all).
 * Migration 0008 makes the database refuse any new value that is not
 * sealed. And what a master key rotation rewraps. Conventions of store.h. */
#ifndef FV_STORE_SECRETS_H
#define FV_STORE_SECRETS_H

#include "store.h"

/* Every stored secret that does not start with prefix (sealed text), of
 * every row, deleted and deprovisioned ones included: an array of
 * {kind: "totp" | "webhook" | "trunk", id, account_id (null for the
 * provider's: trunks, provider and partner staff), secret}, or NULL on
 * error. The caller owns it (and wipes the secrets). */
json_t *store_secrets_unsealed(store_tx_t *tx, const char *prefix);
/* Replaces the stored secret of row id of that kind. STORE_NOTFOUND when
 * there is no such row, STORE_ERROR for an unknown kind. */
int store_secret_replace(store_tx_t *tx, const char *kind, const char *id, const char *value);

/* Master key rotation. Every secret sealed in the provider's scope (under a
 * subkey of the master key itself): an array of {kind: "totp" (provider and
 * partner staff) | "trunk" | "trunk_tls" (a trunk's TLS key, a long secret:
 * "SEALED.BOX", secrets.h) | "mail" (a pending mail's token), id, secret},
 * or NULL on error; the caller owns it. */
json_t *store_secrets_provider(store_tx_t *tx);
/* Every account key: an array of {account_id, wrapped_key (hex)}, or NULL. */
json_t *store_account_keys_all(store_tx_t *tx);
/* Replaces the wrapped key of account_id. STORE_NOTFOUND without one. */
int store_account_key_replace(store_tx_t *tx, const char *account_id, const char *wrapped_hex);

#endif
