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
#ifndef FV_INVOICES_H
#define FV_INVOICES_H

#include <jansson.h>
#include <stdint.h>

#include "audit.h"
#include "domain.h"

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
