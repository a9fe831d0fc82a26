/* The store's side of SafeBoxes (src/domain/safebox/safebox.h): boxes, their
 * participants, messages, files and events, guest sessions, the account's
 * SafeBox profile, and the boxes a retention policy has made due.
 *
 * Every query of a box takes its account id (tenant scoping); records are
 * JSON objects keyed by the column names of migration 0019, new references
 * owned by the caller. */
#ifndef FV_STORE_SAFEBOX_H
#define FV_STORE_SAFEBOX_H

#include <stdint.h>

#include "store.h"

/* --- boxes --- */
int store_safebox_insert(store_tx_t *tx, const json_t *box);
/* The live (not deleted) box id of account_id, or NULL. */
json_t *store_safebox_get(store_tx_t *tx, const char *account_id, const char *id);
/* Sets the given keys (status, expires_at, updated_at, closed_at,
 * legal_hold_reason) of a live box. STORE_NOTFOUND when there is none. */
int store_safebox_update(store_tx_t *tx, const char *account_id, const char *id,
	const json_t *fields);
/* Live boxes of account_id, newest first; principal_id non-NULL: only those
 * it owns or takes part in (as a member, not revoked). */
int store_safebox_list(store_tx_t *tx, const char *account_id, const char *principal_id,
	const char *cursor, int limit, store_page_t *out);
/* The documents of a box (message bodies and files): array of strings. */
json_t *store_safebox_docs(store_tx_t *tx, const char *account_id, const char *id);
/* The box becomes a tombstone (deleted_at): its participants, guest
 * sessions, messages and files rows go (their documents are the caller's
 * to shred); its events stay. STORE_NOTFOUND when it is not live. */
int store_safebox_mark_deleted(store_tx_t *tx, const char *account_id, const char *id,
	int64_t now);
/* Up to limit live boxes, over accounts with a safebox_days policy and no
 * account-wide hold, not held themselves, that ended (closed, else
 * expired) longer ago than the account's days at now:
 * array of {id, account_id, days, ended_at}. */
json_t *store_safebox_due(store_tx_t *tx, int64_t now, int limit);

/* --- participants --- */
int store_sbp_insert(store_tx_t *tx, const json_t *p);
/* Participants of a box, oldest first (token and code hashes left out). */
json_t *store_sbp_list(store_tx_t *tx, const char *account_id, const char *box_id);
json_t *store_sbp_get(store_tx_t *tx, const char *account_id, const char *box_id,
	const char *id);
/* The active member participant principal_id of the box, or NULL. */
json_t *store_sbp_member(store_tx_t *tx, const char *account_id, const char *box_id,
	const char *principal_id);
/* Revokes an active participant and ends its guest sessions.
 * STORE_NOTFOUND when there is no active one. */
int store_sbp_revoke(store_tx_t *tx, const char *account_id, const char *box_id, const char *id,
	int64_t now);

/* The active participant whose link token hashes to token_hash, with its
 * code state (code_hash, code_expires_at, code_attempts, locked_at), or
 * NULL (unknown, revoked, or its box deleted). */
json_t *store_sbp_by_token(store_tx_t *tx, const char *token_hash);
/* Sets the given keys (code_hash, code_expires_at, code_attempts,
 * locked_at, verified_at) of an active participant. */
int store_sbp_update(store_tx_t *tx, const char *id, const json_t *fields);

/* --- guest sessions --- */
int store_sbg_insert(store_tx_t *tx, const json_t *s);
/* The participant id of the live session token_hash at now, or NULL
 * (caller frees). */
char *store_sbg_find(store_tx_t *tx, const char *token_hash, int64_t now);

/* --- messages and files --- */
int store_sbm_insert(store_tx_t *tx, const json_t *m);
json_t *store_sbm_list(store_tx_t *tx, const char *account_id, const char *box_id);
int store_sbf_insert(store_tx_t *tx, const json_t *f);
json_t *store_sbf_list(store_tx_t *tx, const char *account_id, const char *box_id);
json_t *store_sbf_get(store_tx_t *tx, const char *account_id, const char *box_id,
	const char *id);

/* --- events --- */
int store_sbe_insert(store_tx_t *tx, const json_t *ev);
/* The last limit events of a box, oldest first. */
json_t *store_sbe_list(store_tx_t *tx, const char *account_id, const char *box_id, int limit);

/* --- the account's SafeBox profile --- */
/* {profile (JSON text), updated_at}, or NULL when the account has none. */
json_t *store_sb_profile_get(store_tx_t *tx, const char *account_id);
int store_sb_profile_put(store_tx_t *tx, const char *account_id, const char *profile_json,
	int64_t now);

#endif
