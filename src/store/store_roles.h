/* The store of an account's named custom roles (migration 0045).
 *
 * Conventions, ownership and error codes are those of store.h. Every
 * operation takes the account id and never answers across accounts. A role
 * record: {id, account_id, name, name_key (the name in lower case, unique
 * per account), description, permissions (space-separated names),
 * created_at, updated_at, holders (members not deprovisioned holding it;
 * in get and list)}. */
#ifndef FV_STORE_ROLES_H
#define FV_STORE_ROLES_H

#include "store.h"

/* STORE_CONFLICT when the account has a role of that name_key. */
int store_role_insert(store_tx_t *tx, const json_t *role);
json_t *store_role_get(store_tx_t *tx, const char *account_id, const char *id);
/* The account's role whose name_key is key, or NULL. */
json_t *store_role_by_key(store_tx_t *tx, const char *account_id, const char *key);
int store_role_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out);
/* Every role of the account, by name (NULL on error). */
json_t *store_role_all(store_tx_t *tx, const char *account_id);
/* Updates name, name_key, description, permissions, updated_at (the keys
 * of fields). STORE_CONFLICT on a name taken. */
int store_role_update(store_tx_t *tx, const char *account_id, const char *id,
	const json_t *fields);
/* Gives every holder of the role (deprovisioned ones too) the
 * permissions (space-separated) at now. STORE_OK or an error. */
int store_role_holders_set_perms(store_tx_t *tx, const char *role_id, const char *perms,
	int64_t now);
/* Before a role goes: its live holders become role "user" (no permissions
 * of their own) at now, and every holder's link to it is cleared. */
int store_role_holders_release(store_tx_t *tx, const char *role_id, int64_t now);
int store_role_delete(store_tx_t *tx, const char *account_id, const char *id);

#endif
