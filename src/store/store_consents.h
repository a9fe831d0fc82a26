/* The store's side of delegated access to an account: consents given by an
 * account's owner to a partner, and support access grants of provider staff
 * (see src/domain/access/consents.h). Every query names the account. */
#ifndef FV_STORE_CONSENTS_H
#define FV_STORE_CONSENTS_H

#include <stdint.h>

#include "store.h"

/* Inserts a consent record (the columns of table consents). */
int store_consent_insert(store_tx_t *tx, const json_t *consent);
/* The consent id of account, or NULL (new reference). */
json_t *store_consent_get(store_tx_t *tx, const char *account_id, const char *id);
/* Every consent of account, newest first (partner_id NULL: of every
 * partner): array (new reference), or NULL on error. */
json_t *store_consent_list(store_tx_t *tx, const char *account_id, const char *partner_id);
/* The consents of account to partner that are neither revoked nor expired
 * at now, have started, and wait for no review or were approved (array,
 * new reference; NULL on error). */
json_t *store_consent_live(store_tx_t *tx, const char *account_id, const char *partner_id,
	int64_t now);
/* Revokes a consent not yet revoked: STORE_NOTFOUND when there is none. */
int store_consent_revoke(store_tx_t *tx, const char *account_id, const char *id, int64_t now,
	const char *by);
/* Marks the first use: STORE_OK when this was the first, STORE_NOTFOUND
 * when it had been used already. */
int store_consent_first_use(store_tx_t *tx, const char *id, int64_t now);
/* Marks the end notice sent: STORE_OK the first time, else STORE_NOTFOUND. */
int store_consent_end_noted(store_tx_t *tx, const char *id, int64_t now);
/* Up to limit consents, of every account, that ended (expired or revoked)
 * at or before now and whose end was not noticed yet (array, new ref). */
json_t *store_consent_ended(store_tx_t *tx, int64_t now, int limit);

/* The consent id of any account, or NULL (the provider's review). */
json_t *store_consent_find(store_tx_t *tx, const char *id);
/* Up to limit consents whose review is `review` ("pending_review", …),
 * oldest first, of every account (array, new reference; NULL on error). */
json_t *store_consent_review_list(store_tx_t *tx, const char *review, int limit);
/* Records the review of a consent waiting for it: review to ("approved"
 * or "rejected"), by, now, reason. STORE_NOTFOUND when it is not waiting. */
int store_consent_review(store_tx_t *tx, const char *id, const char *to, const char *by,
	int64_t now, const char *reason);

/* Accounts a partner provisioned that are not closed. -1 on error. */
int64_t store_partner_account_count(store_tx_t *tx, const char *partner_id);

/* ---- support access grants ---- */

/* Inserts a grant record (the columns of table access_grants). */
int store_grant_insert(store_tx_t *tx, const json_t *grant);
/* The grant id of account, or NULL (new reference). */
json_t *store_grant_get(store_tx_t *tx, const char *account_id, const char *id);
/* Every grant of account, newest first (array, new reference; NULL on error). */
json_t *store_grant_list(store_tx_t *tx, const char *account_id);
/* The approved grants of staff_id on account in force at now (array). */
json_t *store_grant_live(store_tx_t *tx, const char *account_id, const char *staff_id, int64_t now);
/* Moves a grant from status `from` to `to` (decided_at, decided_by; when to
 * is "approved", starts_at now and expires_at). STORE_NOTFOUND when the
 * grant is not in status from. */
int store_grant_decide(store_tx_t *tx, const char *account_id, const char *id, const char *from,
	const char *to, int64_t now, const char *by, int64_t expires_at);

#endif
