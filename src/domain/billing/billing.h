/* Billing: the plan of an account (prepaid or postpaid, included pages,
 * low-balance threshold) and its append-only double-entry ledger in integer
 * minor units of the account's currency (docs/billing.md).
 *
 * Charges are posted from the CDRs (fax_attempts.cost), once per CDR, the
 * first time the account's billing is looked at or used after the call
 * (a balance or ledger read, a credit, a submission, a dial), in that
 * transaction; the low-balance and zero notices go out when a charge or a
 * refund takes the balance across their levels.
 *
 * Every function answers 0, or -1 with e filled; *out is a new reference
 * owned by the caller. account is the account record (borrowed). */
#ifndef FV_BILLING_H
#define FV_BILLING_H

#include <jansson.h>
#include <stdint.h>

#include "domain.h"

/* A prepaid account pays first. Pending charges are posted and the
 * low-balance and zero notices mailed to the billing contacts first (each
 * once until the balance rises above its level again); then price (minor
 * units of currency) must fit in the balance less what the account's other
 * open faxes (queued or sending) may still cost. Other accounts always pass.
 *
 * At submission the quotas of the plan come first (pages per UTC day and
 * per calendar month of the account and of user_id, counting pages, the
 * pages of every fax of the submission): past one, 429 quota-exceeded;
 * reaching 80 % or 100 % of one mails its notice once per period.
 * 0 it fits; 1 it does not (e: 429 quota-exceeded, or 402
 * insufficient-credit with the price and the balance; the refusal
 * audited); -1 error (e set). */
int billing_submit_check(dom_ctx_t *c, const char *account_id, const char *user_id,
	const char *currency, int64_t pages, int64_t price, dom_err_t *e);
/* The same checks for a quote (POST /v1/faxes/quote), with no notice,
 * mail, hold or audit event: sets in out "plan" (its kind) and, for a
 * prepaid account, "balance_minor" and "available_minor". 0 it fits; 1 it
 * does not (refusal filled as billing_submit_check would answer); -1 error. */
int billing_quote(dom_ctx_t *c, const char *account_id, const char *user_id,
	const char *currency, int64_t pages, int64_t price, json_t *out, dom_err_t *refusal);
/* Before dialling fax_id (not counted among the open faxes): 0 it fits;
 * 1 it does not (audited as billing.dial_refused); -1 error. */
int billing_dial_check(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *currency, int64_t price, const char *fax_id);

/* Posts the account's pending charges (its CDRs not yet charged) in tx,
 * with the notices a prepaid balance crossing its levels causes; currency
 * is the account's. 0 or -1. */
int billing_settle(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *currency);
/* The account's currency (the account record's, else fax.currency, else
 * EUR) into out (4 bytes); returns out. */
const char *billing_currency(const dom_config_t *cfg, const json_t *account, char out[4]);

/* GET /v1/accounts/{id}/plan: {account_id, kind, included_pages,
 * low_balance_minor, invoice_lang, currency, updated_at}; an account without a plan is
 * postpaid with nothing included. */
int dom_billing_plan_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* PUT /v1/provider/accounts/{id}/plan {kind, included_pages?,
 * low_balance_minor?, invoice_lang?: "en"|"fr", quotas?} (operators), audited as billing.plan.update. */
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
