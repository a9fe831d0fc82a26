/* The store of SCIM 2.0 provisioning (see src/domain/identity/scim.h): the
 * account's SCIM tokens and the SCIM attributes of the people SCIM
 * provisions.
 *
 * Records are JSON objects keyed by column name (new references, owned by
 * the caller): a token {id, account_id, creator_id, name, prefix,
 * secret_hash, permissions, created_at, last_used_at, revoked_at}; a SCIM
 * user {id, email, name, role, permissions, status, created_at, updated_at
 * (the principal's), external_id, attrs (JSON text, or null), scim (1 when
 * a scim_users row exists)}. Conventions and error codes are those of
 * store.h; every query is scoped by account. */
#ifndef FV_STORE_SCIM_H
#define FV_STORE_SCIM_H

#include <stdint.h>

#include "store.h"

int store_scim_token_insert(store_tx_t *tx, const json_t *token);
/* The live (not revoked) token with this hash, or NULL. */
json_t *store_scim_token_by_hash(store_tx_t *tx, const char *secret_hash);
/* Live tokens of an account, oldest first. */
int store_scim_token_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out);
json_t *store_scim_token_get(store_tx_t *tx, const char *account_id, const char *id);
int store_scim_token_revoke(store_tx_t *tx, const char *account_id, const char *id, int64_t now);
int store_scim_token_touch(store_tx_t *tx, const char *id, int64_t now);

/* Every person SCIM shows for the account: members not deprovisioned, and
 * deprovisioned ones that still have a scim_users row (deactivated by
 * SCIM), oldest first. Array, or NULL on error. */
json_t *store_scim_users(store_tx_t *tx, const char *account_id);
/* One of them, or NULL. */
json_t *store_scim_user(store_tx_t *tx, const char *account_id, const char *id);
/* Inserts or replaces the scim_users row of principal_id. */
int store_scim_user_put(store_tx_t *tx, const char *account_id, const char *principal_id,
	const char *external_id, const char *attrs, int64_t now);
/* Removes it (STORE_NOTFOUND when there was none). */
int store_scim_user_delete(store_tx_t *tx, const char *account_id, const char *principal_id);

#endif
