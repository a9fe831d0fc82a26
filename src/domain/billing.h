/* Billing: the plan of an account (prepaid or postpaid, included pages,
 * low-balance threshold) and its append-only double-entry ledger in integer
 * minor units of the account's currency (docs/billing.md).
 *
 * Charges are posted from the CDRs (fax_attempts.cost), once per CDR, the
 * first time the account's billing is looked at or changed after the call:
 * billing_post_charges() before any balance is read or used.
 *
 * Every function answers 0, or -1 with e filled; *out is a new reference
 * owned by the caller. account is the account record (borrowed). */
#ifndef FV_BILLING_H
#define FV_BILLING_H

#include <jansson.h>
#include <stdint.h>

#include "domain.h"

/* Posts a charge for each CDR of the account with a cost and no charge yet
 * (actor system:billing, one audit event for the batch). 0 or -1 with e. */
int billing_post_charges(dom_ctx_t *c, const char *account_id, dom_err_t *e);
/* The balance of the account's book in its currency, charges posted first.
 * currency: 4 bytes. */
int billing_balance_of(dom_ctx_t *c, const json_t *account, int64_t *balance, char currency[4],
	dom_err_t *e);

/* GET /v1/accounts/{id}/plan: {account_id, kind, included_pages,
 * low_balance_minor, currency, updated_at}; an account without a plan is
 * postpaid with nothing included. */
int dom_billing_plan_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* PUT /v1/provider/accounts/{id}/plan {kind, included_pages?,
 * low_balance_minor?} (operators), audited as billing.plan.update. */
int dom_billing_plan_put(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* GET /v1/accounts/{id}/balance: {account_id, currency, balance_minor, kind,
 * low_balance_minor, low (prepaid, at or under the threshold)}, audited as
 * billing.balance.read. */
int dom_billing_balance(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* POST /v1/provider/accounts/{id}/credits {amount_minor, reason, kind?}:
 * kind topup (default) or credit adds to the balance, refund takes from it
 * (never below zero). {transaction, balance_minor, currency}, audited as
 * billing.credit. */
int dom_billing_credit(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* GET /v1/accounts/{id}/ledger: the account's transactions, newest first. */
int dom_billing_ledger(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);

#endif
