/* Account closure (P10): the owner (in person, second factor re-checked)
 * or an operator closes an account; it is `closing` for a grace period
 * (dom_config_t.closure_grace_days, accounts.closure_grace_days), during
 * which sending, receiving and signing in stop, except that the owner and
 * operators may still read, export and cancel; at its end the fax
 * service's periodic pass destroys the account by crypto-shredding (its
 * key and every document key deleted, then the blobs), deletes its
 * content, secrets, sessions and API keys, quarantines its numbers and
 * deprovisions its members. The account row stays as `destroyed` with a
 * deletion certificate, recorded in the audit chain as account.destroy and
 * mailed to the owner. A legal hold (on the account, a fax or a SafeBox)
 * stops the destruction until it is lifted. See docs/operations.md
 * ("Closing an account").
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
#ifndef FV_DOMAIN_CLOSURE_H
#define FV_DOMAIN_CLOSURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain.h"

/* Grace period when the provider sets none. */
#define CLOSURE_GRACE_DAYS_DEFAULT 30
/* Characters of a closure's reason. */
#define CLOSURE_REASON_MAX 200

/* GET /v1/accounts/{id}/closure: {account_id, state ("none", "closing",
 * "cancelled", "destroyed"), requested_at, requested_by, destroy_at,
 * reason, cancelled_at, destroyed_at, held (a legal hold stops the
 * destruction), certificate (the deletion certificate once destroyed, else
 * null)}. Audited as account.closure.read. */
int dom_closure_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* POST /v1/accounts/{id}/closure {reason?, mfa_code?}: by the owner in
 * person (a current second-factor code when they have one) or provider
 * staff with provider.accounts.manage. Answers as dom_closure_get.
 * Audited as account.closure.start; the owner is mailed. */
int dom_closure_start(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* DELETE /v1/accounts/{id}/closure: cancels a closure in its grace period
 * (the same people); the account gets its status back. Audited as
 * account.closure.cancel. */
int dom_closure_cancel(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);

/* The status an API answer shows for account record a: its stored status,
 * except that a closed account shows "closing" or "destroyed" as its
 * closure says. Static storage. */
const char *dom_closure_status(store_tx_t *tx, const json_t *a);
/* Whether account_id is closing (in its grace period). */
bool dom_closure_closing(store_tx_t *tx, const char *account_id);

/* One pass at now: destroys up to limit accounts whose grace period has
 * ended (each in its own transaction, by system:closure), skipping those
 * under a legal hold. The number destroyed, or -1 when the store failed. */
int dom_closure_sweep(store_t *st, const dom_config_t *cfg, int64_t now, int limit);

#endif
