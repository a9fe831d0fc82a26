/* The store of the numbers area: trunks, the number inventory, port-in
 * requests and the notifications of an account.
 *
 * Conventions, ownership and error codes are those of store.h. Operations
 * on an account's numbers, port requests and notifications take the account
 * id and never answer across accounts.
 *
 * Records: a trunk {id, name, peer, username, secret, transport, max_calls,
 * caller_id_rule, prefixes (JSON text), status, created_at, updated_at}; a
 * number {number, trunk_id, country, status, account_id, route_user_id,
 * assigned_at, released_at, quarantine_until, created_at}; a port request
 * {id, account_id, status, numbers (JSON text), losing_carrier,
 * account_number_at_carrier, loa_document_id, reason, trunk_id, created_by,
 * created_at, updated_at}; a notification {id, account_id, kind, target,
 * subject_en, subject_fr, body_en, body_fr, created_at, sent_at}. */
#ifndef FV_STORE_NUMBERS_H
#define FV_STORE_NUMBERS_H

#include "store.h"

/* --- trunks --- */
int store_trunk_insert(store_tx_t *tx, const json_t *trunk);
json_t *store_trunk_get(store_tx_t *tx, const char *id);
/* Every trunk, by creation (for routing: a provider has a handful). */
json_t *store_trunk_list(store_tx_t *tx);
/* The same, a page at a time. */
int store_trunk_page(store_tx_t *tx, const char *cursor, int limit, store_page_t *out);
/* Sets the given keys (name, peer, username, secret, transport, max_calls,
 * caller_id_rule, prefixes, status, updated_at). */
int store_trunk_update(store_tx_t *tx, const char *id, const json_t *fields);
/* Trunk state as each node sees it (several nodes on one database): rows
 * {trunk_id, node_id, link_status ("up"|"down"|""), link_changed_at,
 * registration ("registered"|"failed"|"none"|""), seen_at}. Sets column
 * ("link_status" or "registration") of node_id's row of trunk_id to value,
 * seen at now (link_changed_at moves when the link does). */
int store_trunk_node_set(store_tx_t *tx, const char *trunk_id, const char *node_id,
	const char *column, const char *value, int64_t now);
/* The rows of trunk_id and/or of node_id (NULL: any), by trunk and node. */
json_t *store_trunk_node_states(store_tx_t *tx, const char *trunk_id, const char *node_id);
/* Removes node_id's rows; answers them (NULL on error). */
json_t *store_trunk_node_forget(store_tx_t *tx, const char *node_id);

/* --- inventory --- */
/* STORE_CONFLICT when the number exists. */
int store_number_insert(store_tx_t *tx, const json_t *number);
/* The number whatever its account, or NULL. */
json_t *store_number_get(store_tx_t *tx, const char *number);
/* The number assigned to account_id, or NULL (also when another account's). */
json_t *store_number_of_account(store_tx_t *tx, const char *account_id, const char *number);
/* One number of country whose digits start with prefix ("+331..."), either
 * available or quarantined until at most now, the longest unused first; NULL
 * when none. */
json_t *store_number_pick(store_tx_t *tx, const char *country, const char *prefix, int64_t now);
/* Assigns number to account_id, routed to route_user_id (NULL: shared). */
int store_number_assign(store_tx_t *tx, const char *number, const char *account_id,
	const char *route_user_id, const char *trunk_id, int64_t now);
/* Routes an assigned number of account_id to route_user_id (NULL: shared). */
int store_number_route(store_tx_t *tx, const char *account_id, const char *number,
	const char *route_user_id);
/* Takes an assigned number of account_id back into quarantine. */
int store_number_release(store_tx_t *tx, const char *account_id, const char *number,
	int64_t now, int64_t quarantine_until);
/* Numbers assigned to account_id. */
int store_number_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out);
/* The whole inventory, filtered by the non-NULL arguments; a number whose
 * quarantine ended by `now` counts as available. */
int store_number_inventory(store_tx_t *tx, const char *status, const char *trunk_id,
	const char *account_id, int64_t now, const char *cursor, int limit, store_page_t *out);
/* The assigned numbers of account_id, oldest assignment first (caller ids). */
json_t *store_number_all(store_tx_t *tx, const char *account_id);

/* --- port-in requests --- */
int store_port_insert(store_tx_t *tx, const json_t *request);
/* account_id NULL: whatever the account (provider). */
json_t *store_port_get(store_tx_t *tx, const char *account_id, const char *id);
/* account_id and status NULL: every account / status. */
int store_port_list(store_tx_t *tx, const char *account_id, const char *status,
	const char *cursor, int limit, store_page_t *out);
/* Moves the request from status `from` to `to` (STORE_NOTFOUND when it is
 * not in `from` any more), with reason and trunk_id (NULL keeps them). */
int store_port_set_status(store_tx_t *tx, const char *id, const char *from, const char *to,
	const char *reason, const char *trunk_id, int64_t now);

/* --- notifications --- */
int store_notification_insert(store_tx_t *tx, const json_t *notification);
int store_notification_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out);

#endif
