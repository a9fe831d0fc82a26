/* Store of the billing area: plans and the double-entry ledger. Records
 * are JSON objects keyed by column name; returned json_t * are new
 * references owned by the caller, NULL when absent or on error. */
#ifndef FV_STORE_BILLING_H
#define FV_STORE_BILLING_H

#include <stdint.h>

#include "store.h"

/* {account_id, kind, included_pages, low_balance_minor, updated_at,
 * quota_account_day, quota_account_month, quota_user_day,
 * quota_user_month, invoice_lang}. */
json_t *store_plan_get(store_tx_t *tx, const char *account_id);
/* Inserts or replaces the plan of plan.account_id. */
int store_plan_put(store_tx_t *tx, const json_t *plan);

/* Pages of the outbound faxes of the account (of user_id alone unless
 * NULL) submitted at or after since (ms). *ok is 0 on error. */
int64_t store_pages_sent(store_tx_t *tx, const char *account_id, const char *user_id,
	int64_t since, int *ok);
/* Records the notice of level (80 or 100) for a quota's period: STORE_OK
 * the first time, STORE_NOTFOUND when it was already recorded. */
int store_quota_notice_claim(store_tx_t *tx, const char *account_id, const char *scope,
	const char *period, int64_t period_start, int level, int64_t now);

/* What the account's open outbound faxes (rendering, queued or sending, other than
 * except_fax_id, may be NULL) may still cost in currency: for each, its
 * price per page times its pages not yet confirmed. *ok is 0 on error. */
int64_t store_ledger_reserved(store_tx_t *tx, const char *account_id, const char *currency,
	const char *except_fax_id, int *ok);

/* Appends one transaction {id, account_id, kind, amount_minor, currency,
 * reason?, cdr_id?, actor, created_at} with its two postings: delta (signed)
 * on the book 'account:<account_id>' and -delta on counter_book.
 * STORE_CONFLICT when cdr_id is already billed. */
int store_ledger_append(store_tx_t *tx, const json_t *txn, int64_t delta,
	const char *counter_book);
/* Sum of the postings of book in currency (0 when none); *ok is 0 on error. */
int64_t store_ledger_book_sum(store_tx_t *tx, const char *book, const char *currency, int *ok);
/* Sum of every posting in currency (0 for a balanced ledger). */
int64_t store_ledger_total(store_tx_t *tx, const char *currency, int *ok);
/* One page of an account's transactions, newest first, each with `delta`
 * (its signed effect on the account's book). */
int store_ledger_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out);
/* CDRs of the account with a cost and no charge yet:
 * [{id, cost, currency, ended_at}] (currency of the fax). */
json_t *store_ledger_unbilled(store_tx_t *tx, const char *account_id);

#endif
