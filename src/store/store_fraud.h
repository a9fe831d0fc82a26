/* The store of automatic fraud detection (see src/domain/operations/fraud.h): the
 * findings, the holds of outbound faxing, the addresses API keys were used
 * from, and the reads of live data the detection rules need.
 *
 * Records are JSON objects keyed by column name (new references, owned by
 * the caller). Conventions and error codes are those of store.h. */
#ifndef FV_STORE_FRAUD_H
#define FV_STORE_FRAUD_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* The time of the pass's last look, or -1 when there was none. */
int64_t store_fraud_pass_get(store_tx_t *tx);
int store_fraud_pass_set(store_tx_t *tx, int64_t at);

/* Outbound faxes created in (from, to], or that failed (completed_at) in
 * (from, to], at most limit: {id, account_id, to_number, page_count,
 * status, source, created_at, completed_at}; NULL on error. */
json_t *store_fraud_faxes(store_tx_t *tx, int64_t from, int64_t to, int limit);
/* Pages of the account's outbound faxes created in (from, to]; -1 on error. */
int64_t store_fraud_pages(store_tx_t *tx, const char *account_id, int64_t from, int64_t to);
/* The account's outbound faxes created at or before `before` whose number
 * starts with prefix ("" or NULL: any); -1 on error. */
int64_t store_fraud_count_to(store_tx_t *tx, const char *account_id, const char *prefix,
	int64_t before);

/* Sessions of account members created in (from, to]: {id, principal_id,
 * account_id, source, created_at}; NULL on error. */
json_t *store_fraud_sessions(store_tx_t *tx, int64_t from, int64_t to);
/* Whether principal_id had a session from source created before `before`. */
bool store_fraud_session_seen(store_tx_t *tx, const char *principal_id, const char *source,
	int64_t before);
/* Whether principal_id was locked out (audit event user.lockout) in
 * [from, to]. */
bool store_fraud_locked_between(store_tx_t *tx, const char *account_id, const char *principal_id,
	int64_t from, int64_t to);

/* Notes that API key key_id was used from address (kept once, with the
 * first time) and sets the key's last_source. */
int store_apikey_address_note(store_tx_t *tx, const char *key_id, const char *account_id,
	const char *address, int64_t now);
/* Addresses first used in (from, to] by a key that had been used from
 * another address before: {key_id, address, account_id, first_at}. */
json_t *store_fraud_key_addresses(store_tx_t *tx, int64_t from, int64_t to);

/* Whether the finding (account_id, rule, window_key) exists. */
bool store_fraud_finding_exists(store_tx_t *tx, const char *account_id, const char *rule,
	const char *window_key);
int store_fraud_finding_insert(store_tx_t *tx, const json_t *f);
/* The findings of the account, newest first, at most limit. */
json_t *store_fraud_findings(store_tx_t *tx, const char *account_id, int limit);

/* The hold of the account's outbound faxing {account_id, request_id,
 * held_at}, or NULL when not held. */
json_t *store_fraud_hold_get(store_tx_t *tx, const char *account_id);
int store_fraud_hold_insert(store_tx_t *tx, const char *account_id, const char *request_id,
	int64_t now);
/* STORE_NOTFOUND when the account was not held. */
int store_fraud_hold_delete(store_tx_t *tx, const char *account_id);

#endif
