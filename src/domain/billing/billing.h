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

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_BILLING_H
#define FV_DOMAIN_BILLING_H

#include <jansson.h>
#include <stdint.h>

#include "audit/audit.h"

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

/* Postpaid invoices (docs/billing.md): the monthly invoice run, invoices in
 * JSON and PDF (English or French), payments recorded by operators or by
 * the payment provider's signed webhook, and what follows an unpaid
 * invoice (reminders, suspension of sending, reactivation on payment).
 *
 * An invoice bills, for one account, calendar month (UTC) and currency, the
 * ledger charges of the calls that ended in that month, less the plan's
 * included pages (the month's first pages, in the order of the calls); it
 * is written whole in one transaction with its number, taken from a
 * gap-free sequence of the issuer in that same transaction.
 *
 * Every function answers 0, or -1 with e filled; *out is a new reference
 * owned by the caller. account is the account record (borrowed). */
/* The start (ms) of the calendar month (UTC) holding t, and of the next. */
int64_t invoice_month_start(int64_t t);
int64_t invoice_month_next(int64_t month_start);

/* Invoices every postpaid account with something to bill for the month
 * that starts at month_start (ms), one transaction per account, as actor
 * (audited as billing.invoice.issue). An account whose invoice of the
 * month exists already (an earlier or concurrent run) is skipped.
 * *issued: how many invoices were written. 0, or -1 when one could not be
 * written (the others stay). */
int invoice_run(store_t *st, const dom_config_t *cfg, int64_t month_start, const char *actor,
	int *issued);

/* The fax service's billing pass at now: once per month (*last_month
 * remembers it; 0 at start, so a start runs it again, which issues only
 * what is missing), the run of every finished month with charges not
 * invoiced yet (the month that ended, and months missed while the service
 * was down, up to 36 back); then invoice_dunning_pass. How many invoices
 * and steps it did. */
int invoice_pass(store_t *st, const dom_config_t *cfg, int64_t now, int64_t *last_month);

/* What follows an unpaid invoice (the non-payment policy), each step once,
 * in its own transaction, audited (actor system:billing) and mailed to the
 * billing contacts (the owner when there is none) in the invoice's
 * language: the reminder billing.reminder_before_days before the due date
 * (billing.invoice.reminder); at the due date the invoice becomes overdue
 * with a notice naming the day of suspension (billing.invoice.overdue);
 * billing.suspend_after_days after it the account's sending is suspended
 * (a billing hold, billing.suspend): submissions are refused (402
 * account-suspended-nonpayment) and its queued faxes are not dialled;
 * receiving and access to data never stop. How many steps, or -1. */
int invoice_dunning_pass(store_t *st, const dom_config_t *cfg, int64_t now);
/* Queues the mail of a new invoice inv (a record) to the billing contacts
 * in tx; the mail sender attaches its PDF. How many recipients, or -1. */
int invoice_mail_issued(store_tx_t *tx, const dom_config_t *cfg, const json_t *inv);
/* After invoice inv (a record, as before the payment) is paid in full in
 * tx: when the account's billing hold is for it, the hold moves to another
 * invoice past the grace period, or ends (billing.reactivate, mailed). 0 or
 * -1. */
int invoice_hold_after_payment(store_tx_t *tx, const dom_config_t *cfg,
	const audit_ctx_t *who, const json_t *inv);
/* Before a submission or a resend: 0 when the account may send; -1 with e
 * (402 account-suspended-nonpayment, naming the invoice) when its sending
 * is suspended for an unpaid invoice. */
int dom_invoice_check_outbound(dom_ctx_t *c, const char *account_id, dom_err_t *e);

/* POST /v1/provider/invoice-runs {period: "YYYY-MM"} (operators): runs
 * the invoice run of a month that has ended; {period, issued}. Commits
 * c->tx first (each invoice has its own transaction) and resumes it. */
int dom_invoice_run(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
/* GET /v1/accounts/{id}/invoices: newest first, audited as
 * billing.invoice.list. */
int dom_invoice_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
/* GET /v1/provider/overdue-invoices (operators): every overdue invoice,
 * newest number first, each with suspended_at (since when its account's
 * sending is suspended, null when it is not); audited as
 * billing.overdue_invoices.list. */
int dom_invoice_overdue(dom_ctx_t *c, const char *cursor, int limit, json_t **out,
	dom_err_t *e);
/* GET /v1/accounts/{id}/invoices/{invoice_id}: the invoice with its lines
 * and payments, audited as billing.invoice.read. */
int dom_invoice_get(dom_ctx_t *c, const json_t *account, const char *invoice_id, json_t **out,
	dom_err_t *e);
/* The same as a PDF (*pdf malloc'd, the caller frees it) in lang ("en",
 * "fr"; NULL: the invoice's own language), audited as
 * billing.invoice.read with format pdf. */
int dom_invoice_pdf(dom_ctx_t *c, const json_t *account, const char *invoice_id,
	const char *lang, unsigned char **pdf, size_t *len, dom_err_t *e);

/* POST /v1/provider/accounts/{id}/invoices/{invoice_id}/payments
 * {amount_minor, reference} (operators): records a payment of the
 * invoice (at most what is still due), posted in the ledger (a top-up to
 * provider:cash), audited as billing.payment; the invoice is paid once
 * its total is. 201 {payment, invoice}. */
int dom_invoice_payment(dom_ctx_t *c, const json_t *account, const char *invoice_id,
	const json_t *body, json_t **out, dom_err_t *e);

/* What the payment provider's webhook brought: the raw body and the
 * Standard Webhooks headers (webhook-id, webhook-timestamp,
 * webhook-signature), all borrowed, NULL when absent. */
typedef struct payment_hook {
	const char *provider; /* the path's {provider} */
	const unsigned char *body;
	size_t len;
	const char *id, *timestamp, *signature;
} payment_hook_t;
/* POST /v1/billing/webhooks/{provider} (public: the signature is the
 * credential). Refused, nothing recorded: an unknown provider (404), a
 * missing or wrong signature or a timestamp outside the tolerance (401
 * invalid-signature), an event id seen before (409 webhook-replayed). A
 * "payment.succeeded" event {data: {invoice_id, amount_minor, currency,
 * reference}} records the payment as above (actor webhook:PROVIDER);
 * other types are acknowledged and ignored. {event, status}. */
int dom_payment_webhook(dom_ctx_t *c, const payment_hook_t *h, const json_t *body,
	json_t **out, dom_err_t *e);

/* The document of an invoice (a record with its lines as "_lines") for
 * the account named name, in lang ("fr": French, else English): malloc'd,
 * NULL when it cannot be made. Pure. */
unsigned char *invoice_render_pdf(const json_t *inv, const char *name, const char *lang,
	size_t *len);

/* The PDF of an invoice for the mail sender: 0 (*pdf malloc'd), 1 when the
 * invoice does not exist, -1 on error. */
int invoice_pdf_for_mail(store_t *st, const char *account_id, const char *invoice_id,
	unsigned char **pdf, size_t *len);

#endif
