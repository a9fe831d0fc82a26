/* The store of the webhooks area: subscriptions, the events sent to them,
 * and the outbox of deliveries that the sender drains.
 *
 * Conventions, ownership and error codes are those of store.h. Every
 * operation on a subscription takes the account id and never answers across
 * accounts. A subscription record: {id, account_id, url, events (comma-
 * separated), description, status, secret, created_at, updated_at}. */
#ifndef FV_STORE_WEBHOOKS_H
#define FV_STORE_WEBHOOKS_H

#include "store.h"

/* --- subscriptions --- */
int store_webhook_insert(store_tx_t *tx, const json_t *webhook);
/* A live (not deleted) subscription of account_id, or NULL. */
json_t *store_webhook_get(store_tx_t *tx, const char *account_id, const char *id);
int store_webhook_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out);
/* Sets the given keys (url, events, description, status, secret, updated_at). */
int store_webhook_update(store_tx_t *tx, const char *account_id, const char *id,
	const json_t *fields);
/* Deletes the subscription (kept as deleted for its delivery log); its
 * pending deliveries fail with "subscription deleted". */
int store_webhook_delete(store_tx_t *tx, const char *account_id, const char *id, int64_t now);
/* Active subscriptions of account_id that listen to type: [{id}]. */
json_t *store_webhook_subscribers(store_tx_t *tx, const char *account_id, const char *type);

/* --- events and deliveries --- */
/* {id, account_id, type, payload, created_at}. */
int store_webhook_event_insert(store_tx_t *tx, const json_t *event);
/* {id, webhook_id, event_id, account_id, status, next_attempt_at, created_at}. */
int store_webhook_delivery_insert(store_tx_t *tx, const json_t *delivery);
/* Deliveries of one subscription of account_id, newest first: {id, event_id,
 * type, status, attempts, last_status_code, last_error, next_attempt_at,
 * delivered_at, created_at}. */
int store_webhook_delivery_list(store_tx_t *tx, const char *account_id, const char *webhook_id,
	const char *cursor, int limit, store_page_t *out);
/* One delivery as its queue job sends it (webhook_sender.c): {id, status,
 * event_id, attempts, webhook_id, account_id, url, secret (sealed),
 * account_key (the account's wrapped key, hex, that seals it),
 * webhook_status, payload}, or NULL. */
json_t *store_webhook_delivery_load(store_tx_t *tx, const char *id);
/* Records an attempt of a delivery not yet delivered (the caller holds the
 * lease of its job): status (pending, delivered, failed), attempts,
 * last_status_code (0: none), last_error (NULL: none), next_attempt_at,
 * delivered_at (0: none). STORE_NOTFOUND when it was delivered already. */
int store_webhook_delivery_record(store_tx_t *tx, const char *id, const json_t *fields);

#endif
