/* Mail subscriptions to the status board (P13). An account's owner and
 * administrators (settings.manage or security.manage) subscribe contact
 * addresses to chosen components, and any active member subscribes their
 * own address (…/status-subscriptions/me; it stops while the member is
 * not active); each subscriber then gets, in their language (en, fr):
 *   - a confirmation when subscribed (status_subscribed),
 *   - one mail per incident or maintenance update naming one of their
 *     components, queued in the update's transaction (status_update),
 *   - a reminder 24 hours and 1 hour before a maintenance window naming one
 *     of them starts (status_reminder; a lead is skipped when the window
 *     was announced inside it; of several leads due at once each is
 *     mailed, a late one saying the time actually left), from the
 *     service's periodic pass.
 * Every mail carries the subscription's unsubscribe token (a link to the
 * portal's page with the token in the fragment, and the token itself): an
 * unguessable secret, kept as its hash for the look-up and sealed under the
 * account's key for the mails, never answered by the API; it works once
 * (POST /v1/status-subscriptions/unsubscribe, no credential), as the
 * subscription then goes.
 *
 * Operations follow domain.h: they run in c->tx and return 0 with *out set
 * (new reference), or -1 with e filled in. Audited in the account's log:
 * status_subscription.create, .delete, .unsubscribe, .list, .read. */
#ifndef FV_DOMAIN_STATUS_SUBS_H
#define FV_DOMAIN_STATUS_SUBS_H

#include <stdint.h>

#include "domain.h"

#define STATUS_SUBS_MAX 100 /* subscriptions of one account */

/* GET /v1/accounts/{id}/status-subscriptions: {items: [{id, email, name,
 * lang, components, user_id (a member's own, else null), created_at}]}. */
int dom_status_sub_list(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* POST …/status-subscriptions {email, name?, lang?, components}: the
 * subscription (409 conflict when the address is subscribed already). */
int dom_status_sub_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* POST …/status-subscriptions/me {lang?, components}: the calling member's
 * own subscription, to their address and by default in their language (403
 * forbidden for a caller who is not an active member, 409 conflict when
 * subscribed already). GET …/me answers it (404 not-found when none),
 * DELETE …/me removes it. */
int dom_status_sub_self_create(dom_ctx_t *c, const json_t *account, const json_t *body,
	json_t **out, dom_err_t *e);
int dom_status_sub_self_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
int dom_status_sub_self_delete(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* DELETE …/status-subscriptions/{subscription_id}. */
int dom_status_sub_delete(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
/* POST /v1/status-subscriptions/unsubscribe {token}: {email, components}
 * (404 not-found for a token unknown or used). */
int dom_status_unsubscribe(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);

/* Mails the newest update of incident incident_id to the subscribers of
 * its components (status.c, in the update's transaction). 0 / -1. */
int status_subs_notify(dom_ctx_t *c, const char *incident_id);
/* Mails the reminders due at now (status_auto.c's pass, in c->tx).
 * Windows whose reminders changed (to commit), or -1. */
int status_subs_remind(dom_ctx_t *c, int64_t now);

#endif
