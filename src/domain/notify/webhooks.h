/* Webhooks: per-account subscriptions to fax events, the outbox of
 * deliveries (each one sent by a job of kind WEBHOOK_JOB on the queue,
 * src/faxsvc/webhook_sender.c), and the pure pieces of the delivery
 * protocol (Standard Webhooks signatures, the retry schedule).
 * See docs/fax-service.md ("Webhooks") and docs/api.md.
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
#ifndef FV_DOMAIN_WEBHOOKS_H
#define FV_DOMAIN_WEBHOOKS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"

/* Deliveries are tried at most this often before they are marked failed. */
#define WEBHOOK_MAX_ATTEMPTS 8
/* The queue's kind of a delivery's job (payload {"delivery_id": …}, ref the
 * delivery's id). */
#define WEBHOOK_JOB "webhook"
/* Bytes kept of an error (a response body, a curl message). */
#define WEBHOOK_ERROR_MAX 256
/* "v1," + base64 of a SHA-256, NUL included. */
#define WEBHOOK_SIG_MAX 48
/* Secret bytes (before base64) of a new secret: within the spec's 24..64. */
#define WEBHOOK_SECRET_BYTES 32

/* Records an event for account_id in the caller's transaction: one event
 * (id msg_…, type, timestamp, data) and one pending delivery per active
 * subscription of the account that listens to type, each with its job on
 * the queue (none listening: nothing is written). The body sent is
 * {"type": TYPE, "timestamp": RFC 3339, "data": DATA}. data is borrowed.
 * 0, or -1 (logged) when the store failed; the caller then rolls back. */
int dom_webhook_emit(store_tx_t *tx, const char *account_id, const char *type,
	const json_t *data);

/* Standard Webhooks signature of one attempt: "v1," + base64(HMAC-SHA256(key,
 * msg_id "." timestamp "." body)) into out, key being the base64-decoded
 * secret after its "whsec_" prefix (which may be absent). 0, or -1 when the
 * secret does not decode. Pure. */
int webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
	size_t body_len, char out[WEBHOOK_SIG_MAX]);
/* Whether a webhook-signature header value (space-separated entries
 * "v1,<base64>"; other versions ignored) holds expected ("v1,<base64>"),
 * compared in constant time: 1 or 0. Pure. */
int webhook_signature_matches(const char *header, size_t len, const char *expected);
/* Delay in ms before the next try after `attempts` failed tries (1, 2, …):
 * 5 s, 30 s, 2 min, 10 min, 1 h, 2 h, 4 h; -1 once WEBHOOK_MAX_ATTEMPTS
 * have failed (the delivery is then failed). Pure. */
int64_t webhook_backoff_ms(int attempts);
/* Whether type is an event a subscription may list. Pure. */
int webhook_event_known(const char *type);

/* ---- operations of the API (settings.manage; listing also data.read) ---- */
/* {url, events, description?} -> the subscription with its secret. */
int dom_webhook_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_webhook_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_webhook_get(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
/* {url?, events?, description?, status?: active|disabled}. */
int dom_webhook_update(dom_ctx_t *c, const json_t *account, const char *id, const json_t *body,
	json_t **out, dom_err_t *e);
int dom_webhook_delete(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
/* A new secret, answered once; the old one stops signing at once. */
int dom_webhook_rotate_secret(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
/* Enqueues a webhook.test event to this subscription alone: {event_id, delivery_id}. */
int dom_webhook_test(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
int dom_webhook_deliveries(dom_ctx_t *c, const json_t *account, const char *id,
	const char *cursor, int limit, json_t **out, dom_err_t *e);

#endif
