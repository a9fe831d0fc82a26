/* The store's side of retention: per-account policies and legal holds, and
 * the faxes a policy has made due (see src/domain/retention.h). */
#ifndef FV_STORE_RETENTION_H
#define FV_STORE_RETENTION_H

#include <stdint.h>

#include "store.h"

/* The account's policy {account_id, inbound_fax_days, outbound_fax_days,
 * safebox_days (each absent when "keep"), legal_hold, legal_hold_reason,
 * updated_at}, or NULL when it has none (everything kept). legal_hold is
 * an integer, 0 or 1. */
json_t *store_retention_get(store_tx_t *tx, const char *account_id);
/* Creates or replaces the account's policy from p (same keys; absent
 * numbers mean "keep"). */
int store_retention_put(store_tx_t *tx, const json_t *p);
/* Sets (reason non-NULL) or clears the hold on one fax of the account.
 * STORE_NOTFOUND when the account has no such fax (deleted ones included). */
int store_fax_hold_set(store_tx_t *tx, const char *account_id, const char *fax_id,
	const char *reason);
/* Up to limit faxes, over every account with a policy and no account-wide
 * hold, that are finished, not deleted, not held, and ended (else were
 * created) longer ago than the account's days for their direction at now:
 * array of {id, account_id,
 * direction, created_at, doc_id, days}. */
json_t *store_retention_due(store_tx_t *tx, int64_t now, int limit);

#endif
