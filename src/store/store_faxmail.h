/* The store's side of fax by e-mail: each account's sender checks and the
 * per-sender counts of mail (see src/domain/fax/faxmail.h). */
#ifndef FV_STORE_FAXMAIL_H
#define FV_STORE_FAXMAIL_H

#include "store.h"

/* The account's settings {account_id, enabled (0/1), allowed_senders,
 * allowed_servers (JSON arrays as text), spf, dkim, updated_at}, or NULL when
 * it has none (fax by e-mail off). New reference, the caller frees. */
json_t *store_faxmail_get(store_tx_t *tx, const char *account_id);
/* Creates or replaces the account's settings from s (same keys; the arrays
 * as text). STORE_OK / STORE_ERROR. */
int store_faxmail_put(store_tx_t *tx, const json_t *s);
/* Counts one more mail from sender (a key of the address, not the address)
 * in the clock hour number hour, forgetting earlier hours: the mails it
 * handed over in that hour, this one included, or -1 on error. */
int64_t store_faxmail_sender_count(store_tx_t *tx, const char *sender, int64_t hour);

/* The pages faxed by e-mail on day (ms / 86400000) from sender (a key of
 * the address): the page_count of every fax recorded with
 * store_faxmail_pages_add for it that day, forgetting earlier days; -1 on
 * error. */
int64_t store_faxmail_sender_pages(store_tx_t *tx, const char *sender, int64_t day);
/* Records fax_id as made by e-mail from sender on day. STORE_OK /
 * STORE_CONFLICT / STORE_ERROR. */
int store_faxmail_pages_add(store_tx_t *tx, const char *fax_id, const char *sender, int64_t day);

/* The mail accepted with digest (see migration 0052) at or after since_ms:
 * {fax_id, account_id, accepted_at}, or NULL when none (or on error). New reference. */
json_t *store_faxmail_seen_get(store_tx_t *tx, const char *digest, int64_t since_ms);
/* Records digest as accepted at now_ms with its first fax and the fax's
 * account, forgetting rows older than since_ms. STORE_OK / STORE_CONFLICT
 * (already recorded) / STORE_ERROR. */
int store_faxmail_seen_add(store_tx_t *tx, const char *digest, const char *fax_id,
	const char *account_id, int64_t now_ms, int64_t since_ms);

/* Marks fax_id as submitted by e-mail: its sender gets a delivery report
 * when it ends. STORE_OK / STORE_CONFLICT / STORE_ERROR. */
int store_faxmail_report_add(store_tx_t *tx, const char *fax_id, int64_t now_ms);
/* Takes the mark of fax_id: STORE_OK when there was one (now gone),
 * STORE_NOTFOUND when none, STORE_ERROR. */
int store_faxmail_report_take(store_tx_t *tx, const char *fax_id);

#endif
