/* The store of requests to the provider: fraud reports, penetration-test
 * authorizations and traffic forecasts (see src/domain/numbers/requests.h).
 *
 * Records are JSON objects keyed by column name (new references, owned by
 * the caller): a request {id, account_id, kind, status, fields (JSON text),
 * created_by, created_at, updated_at, closed_at}; an event {id, request_id,
 * status, message, created_by, created_at}. Conventions and error codes are
 * those of store.h. */
#ifndef FV_STORE_REQUESTS_H
#define FV_STORE_REQUESTS_H

#include <stdint.h>

#include "store.h"

int store_request_insert(store_tx_t *tx, const json_t *req);
/* The request id, when it belongs to account_id (NULL: any account). */
json_t *store_request_get(store_tx_t *tx, const char *id, const char *account_id);
/* Sets status and updated_at; closed_at when closed is non-zero. */
int store_request_set_status(store_tx_t *tx, const char *id, const char *status, int64_t now,
	int64_t closed);
/* A page of requests, newest first, filtered by whichever of account_id,
 * kind, status and created_by are not NULL. */
int store_request_page(store_tx_t *tx, const char *account_id, const char *kind,
	const char *status, const char *created_by, const char *cursor, int limit,
	store_page_t *out);
/* Requests of kind whose fields' starts_at..ends_at window (milliseconds)
 * overlaps [from, to) and whose status is status: array, or NULL on error. */
json_t *store_request_overlapping(store_tx_t *tx, const char *kind, const char *status,
	int64_t from, int64_t to);

int store_request_event_insert(store_tx_t *tx, const json_t *ev);
/* The timeline of a request, oldest first: array, or NULL on error. */
json_t *store_request_events(store_tx_t *tx, const char *request_id);

#endif
