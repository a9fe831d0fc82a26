/* Store of postpaid invoices: the numbering counter per issuer, invoices,
 * their lines, the ledger charges each bills, payments and the payment
 * provider's webhook events (replay cache) (migration 0035). Records are JSON objects keyed
 * by column name; returned json_t * are new references owned by the caller,
 * NULL when absent or on error. */
#ifndef FV_STORE_INVOICES_H
#define FV_STORE_INVOICES_H

#include <stdint.h>

#include "store.h"

/* Accounts that are not prepaid and have a CDR with a cost that ended in
 * [start, end): [{account_id}], ordered. */
json_t *store_invoice_candidates(store_tx_t *tx, int64_t start, int64_t end);
/* The account's charges of CDRs that ended in [start, end) and that no
 * invoice bills yet, oldest call first: [{seq, amount_minor, currency,
 * pages, ended_at}]. */
json_t *store_invoice_unbilled(store_tx_t *tx, const char *account_id, int64_t start,
	int64_t end);
/* Takes the next number of issuer's sequence (1, 2, …) in tx: the number,
 * or -1 on error. The counter row is written, so concurrent runs take
 * numbers one after the other, and a rolled-back invoice gives its number
 * back. */
int64_t store_invoice_next_number(store_tx_t *tx, const char *issuer);
/* Inserts an invoice (the columns of migration 0035). STORE_CONFLICT when
 * the account already has its invoice of that period and currency. */
int store_invoice_insert(store_tx_t *tx, const json_t *inv);
/* Inserts one line {invoice_id, position, kind, pages, unit_minor,
 * amount_minor}. */
int store_invoice_line_insert(store_tx_t *tx, const json_t *line);
/* Records that invoice_id bills the ledger charge seq (STORE_CONFLICT when
 * another invoice does). */
int store_invoice_charge_add(store_tx_t *tx, const char *invoice_id, int64_t seq);
/* One invoice of the account (account_id NULL: of any account). */
json_t *store_invoice_get(store_tx_t *tx, const char *account_id, const char *invoice_id);
/* Its lines in order, and its payments, oldest first. */
json_t *store_invoice_lines(store_tx_t *tx, const char *invoice_id);
json_t *store_invoice_payments(store_tx_t *tx, const char *invoice_id);
/* One page of the account's invoices, newest number first. */
int store_invoice_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out);
/* Updates fields (status, paid_minor, paid_at, reminded_*) of an invoice.
 * STORE_NOTFOUND when none. */
int store_invoice_update(store_tx_t *tx, const char *invoice_id, const json_t *fields);
/* Inserts a payment {id, invoice_id, account_id, amount_minor, currency,
 * reference, source, ledger_txn, created_at}. */
int store_invoice_payment_insert(store_tx_t *tx, const json_t *payment);

/* Records a payment provider's event id: STORE_OK the first time,
 * STORE_CONFLICT when it was seen before (a replay). */
int store_webhook_event_claim(store_tx_t *tx, const char *provider, const char *event_id,
	int64_t now);

/* ---- what follows an unpaid invoice ---- */
/* {ended_at}: the end (ms) of the oldest call with a cost whose charge no
 * invoice bills yet, of the accounts that are not prepaid (ended_at null:
 * none). */
json_t *store_invoice_oldest_unbilled(store_tx_t *tx);
/* Issued invoices due in (now, horizon] not yet reminded. */
json_t *store_invoice_to_remind(store_tx_t *tx, int64_t now, int64_t horizon);
/* Issued invoices whose due date is at or before now. */
json_t *store_invoice_past_due(store_tx_t *tx, int64_t now);
/* Overdue invoices due at or before due_before (of account_id, NULL: any)
 * whose account has no billing hold. */
json_t *store_invoice_to_suspend(store_tx_t *tx, int64_t due_before, const char *account_id);
/* Claims a step of an invoice once: column "reminded_before_at" (set to now
 * while status is from_status and the column is null), or
 * "reminded_after_at" (set, and status to to_status). STORE_NOTFOUND when
 * taken before (another pass or node). */
int store_invoice_claim(store_tx_t *tx, const char *invoice_id, const char *column,
	const char *from_status, const char *to_status, int64_t now);
/* One page of the provider's overdue invoices, newest number first, each
 * with suspended_at (its account's billing hold, null when none). */
int store_invoice_list_overdue(store_tx_t *tx, const char *cursor, int limit, store_page_t *out);
/* The account's billing hold (suspension of sending): {account_id,
 * invoice_id, since}, NULL when none. */
json_t *store_billing_hold_get(store_tx_t *tx, const char *account_id);
/* Puts it (STORE_NOTFOUND when there is one already), or lifts it
 * (STORE_NOTFOUND when none). */
int store_billing_hold_put(store_tx_t *tx, const char *account_id, const char *invoice_id,
	int64_t since);
int store_billing_hold_delete(store_tx_t *tx, const char *account_id);

#endif
