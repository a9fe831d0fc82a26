/* The store's side of account closure (src/domain/tenancy/closure.h): the closure
 * record of an account, the closures whose grace period has run out, and
 * the destruction of everything an account holds, in the caller's
 * transaction. */
#ifndef FV_STORE_CLOSURE_H
#define FV_STORE_CLOSURE_H

#include <stdint.h>

#include "store.h"

/* The closure record of account_id {account_id, state, prior_status,
 * requested_by, requested_at, destroy_at, reason, cancelled_by,
 * cancelled_at, destroyed_at, certificate (JSON text)}, or NULL when the
 * account was never closed (new reference). */
json_t *store_closure_get(store_tx_t *tx, const char *account_id);
/* Creates or replaces the account's closure record from c (same keys). */
int store_closure_put(store_tx_t *tx, const json_t *c);
/* Closures in state closing whose destroy_at is at or before now, oldest
 * first, at most limit: [{account_id, destroy_at}] (new reference). */
json_t *store_closure_due(store_tx_t *tx, int64_t now, int limit);
/* How many live faxes and SafeBoxes of the account are under a legal hold
 * of their own, plus 1 when the account itself is held; -1 on error. */
int store_closure_holds(store_tx_t *tx, const char *account_id);

/* What store_closure_destroy did (counts of what existed before). */
typedef struct store_destroyed {
	int64_t documents, faxes, safeboxes, secrets, sessions, api_keys, scim_tokens, members;
} store_destroyed_t;

/* Destroys what account_id holds, in tx: its wrapped key (account_keys) and
 * every document row (the wrapped document keys), so no key opens its
 * blobs any more; faxes become tombstones without document or content
 * fields (their attempts, the CDRs, stay); submissions go; SafeBoxes
 * become tombstones with their participants, guest sessions, messages,
 * files and events gone; webhooks and identity providers are deleted and
 * their sealed secrets overwritten; members are deprovisioned with their
 * password, second factor, recovery codes and sessions gone; API keys and
 * SCIM tokens are revoked. *doc_ids gets the ids of the documents whose
 * blobs the caller removes after the commit, *key_hex the wrapped account
 * key as it was ("" when it had none; cap bytes), d the counts.
 * STORE_OK or STORE_ERROR. */
int store_closure_destroy(store_tx_t *tx, const char *account_id, int64_t now,
	json_t **doc_ids, char *key_hex, size_t cap, store_destroyed_t *d);
/* The numbers assigned to account_id (array of strings, new reference). */
json_t *store_closure_numbers(store_tx_t *tx, const char *account_id);

#endif
