/* The store of the faxes area: account keys, encrypted documents, fax jobs,
 * their pages and attempts (CDRs), submissions being rendered, the rate
 * table. Conventions of store.h: records are JSON objects keyed by column
 * (faxes and attempts carry from_number / to_number), returned references
 * are owned by the caller, errors are STORE_*.
 *
 * Tenant scoping: the reads of the API take the account id; the runner's
 * (claim, recover), which serve every account, are named as such. */
#ifndef FV_STORE_FAX_H
#define FV_STORE_FAX_H

#include "store.h"

/* ---- account keys and documents ---- */
/* {account_id, wrapped_key (hex), created_at}, or NULL. */
json_t *store_account_key_get(store_tx_t *tx, const char *account_id);
/* STORE_CONFLICT when the account already has one. */
int store_account_key_insert(store_tx_t *tx, const char *account_id, const char *wrapped_hex,
	int64_t now);
/* {id, account_id, kind, size, pages, wrapped_key, created_at}. */
int store_doc_insert(store_tx_t *tx, const json_t *doc);
json_t *store_doc_get(store_tx_t *tx, const char *account_id, const char *id);
int store_doc_set_pages(store_tx_t *tx, const char *id, int pages);
/* Deletes the row (and with it the wrapped key). STORE_NOTFOUND if absent. */
int store_doc_delete(store_tx_t *tx, const char *account_id, const char *id);
/* 1 when a documents row with this id exists, 0 when not, -1 on error. */
int store_doc_exists(store_tx_t *tx, const char *id);
/* Up to limit documents chosen at random: array of {id, account_id}. */
json_t *store_doc_sample(store_tx_t *tx, int limit);
/* The number of documents, or -1. */
int64_t store_doc_count(store_tx_t *tx);


/* ---- submissions being rendered ---- */
/* {id, account_id, user_id, originals (JSON text), options (JSON text), created_at} */
int store_submission_insert(store_tx_t *tx, const json_t *sub);
int store_submission_delete(store_tx_t *tx, const char *id);
/* Every submission (recovery); array or NULL on error. */
json_t *store_submissions_all(store_tx_t *tx);
/* One submission, or NULL when there is none (rendered, or refused). */
json_t *store_submission_get(store_tx_t *tx, const char *id);

/* ---- faxes ---- */
int store_fax_insert(store_tx_t *tx, const json_t *fax);
/* account_id NULL: any account (the runner). */
json_t *store_fax_get(store_tx_t *tx, const char *account_id, const char *id);
/* Of the n faxes ids (ours, at most 63 bytes each), which are cancelled:
 * cancelled[i] 1 when ids[i]'s status is cancelled, 0 when not (or no such
 * fax). One query a STORE_FAX_CANCELLED_CHUNK of ids. 0, or -1 on error. */
#define STORE_FAX_CANCELLED_CHUNK 8
int store_fax_cancelled_n(store_tx_t *tx, const char (*ids)[64], int n, int *cancelled);
/* Sets the given keys (status, doc_id, page_count, pages_confirmed,
 * attempts_made, next_attempt_at, next_ecm, next_max_rate, failure_class,
 * failure_reason, estimated_cost, cost, trunk_id, from_number, submission_id,
 * updated_at, completed_at). */
int store_fax_update(store_tx_t *tx, const char *id, const json_t *fields);
/* Same, only when the fax's status is `status` (STORE_NOTFOUND otherwise). */
int store_fax_update_if(store_tx_t *tx, const char *id, const char *status, const json_t *fields);
typedef struct store_fax_filter {
	const char *account_id; /* required */
	const char *user_id;    /* NULL: every fax of the account; else sent by or routed to */
	const char *direction;  /* NULL: both */
	const char *status;     /* NULL: any */
	/* A search (NULL: none): text (lower case) in the fax's id or cover
	 * subject, or digits in either number. */
	const char *text;       /* lower case, matched anywhere */
	const char *digits;     /* digits only, matched anywhere in from/to; NULL: none */
	int64_t since, until;   /* created_at within [since, until] (ms); 0: open */
} store_fax_filter_t;
/* Newest first. */
int store_fax_list(store_tx_t *tx, const store_fax_filter_t *f, const char *cursor, int limit,
	store_page_t *out);
/* Queued outbound faxes due at now, oldest due first, at most limit (runner);
 * none of an account whose outbound faxing is held (store_fraud.h). */
json_t *store_fax_due(store_tx_t *tx, int64_t now, int limit);
/* The fax id when it is due at now as store_fax_due would list it (queued,
 * outbound, its account not held), or NULL. */
json_t *store_fax_due_one(store_tx_t *tx, const char *id, int64_t now);
/* Outbound faxes queued or sending with no job of kind (queued or running)
 * about them: [{id, account_id, next_attempt_at}], at most limit. */
json_t *store_fax_without_send_job(store_tx_t *tx, const char *kind, int limit);
/* Faxes in status `sending` of an account, or over a trunk (runner). */
int store_fax_count_sending(store_tx_t *tx, const char *account_id, const char *trunk_id);
/* Outbound faxes not final, by status: rows {status, n} (new reference), NULL on error. */
json_t *store_fax_count_open(store_tx_t *tx);
/* The capacity view (P05): outbound calls in progress by account and trunk,
 * rows {account_id, trunk_id, n}; NULL on error. */
json_t *store_fax_live_calls(store_tx_t *tx);
/* The capacity view (P05): queued outbound faxes by account, destination
 * and class at now (qclass: retrying once tried, scheduled when due after
 * now, else queued), rows {account_id, to_number, qclass, n}, at most limit
 * rows; NULL on error. */
json_t *store_fax_queue_groups(store_tx_t *tx, int64_t now, int limit);
/* Marks a fax of account_id deleted (a tombstone kept for its attempts):
 * deleted_at, and doc_id, header_text, cover_subject cleared. Deleted faxes
 * are invisible to store_fax_get and store_fax_list. STORE_NOTFOUND when
 * there is no such live fax. */
int store_fax_mark_deleted(store_tx_t *tx, const char *account_id, const char *id, int64_t now);
/* How many live faxes use document doc_id (a resent fax shares its
 * original's), or -1 on error. */
int store_fax_doc_users(store_tx_t *tx, const char *doc_id);
/* The live faxes using document doc_id, oldest first (as store_fax_get). */
json_t *store_fax_by_doc(store_tx_t *tx, const char *doc_id);
/* Every live fax using document doc_id uses new_doc_id instead (a document
 * rewritten, docs/vault.md). */
int store_fax_doc_replace(store_tx_t *tx, const char *doc_id, const char *new_doc_id,
	int64_t now);
/* Deletes the faxes of a submission that could not be rendered (with their
 * pages; they have no attempts yet). */
int store_fax_delete_submission(store_tx_t *tx, const char *submission_id);
/* Faxes of a submission (recovery). */
json_t *store_fax_by_submission(store_tx_t *tx, const char *submission_id);

/* ---- pages ---- */
/* Inserts pages 1..n with status. */
int store_fax_pages_init(store_tx_t *tx, const char *fax_id, int n, const char *status);
int store_fax_page_set(store_tx_t *tx, const char *fax_id, int page, const char *status);
/* Every page whose status is from becomes to. */
int store_fax_pages_move(store_tx_t *tx, const char *fax_id, const char *from, const char *to);
/* [{page, status}] in page order. */
json_t *store_fax_pages(store_tx_t *tx, const char *fax_id);
/* Pages of a fax with status (count), -1 on error. */
int store_fax_pages_count(store_tx_t *tx, const char *fax_id, const char *status);

/* ---- attempts (CDRs) ---- */
int store_attempt_insert(store_tx_t *tx, const json_t *attempt);
/* Sets the CDR columns given (result, answered_at, ended_at, duration_ms,
 * pages_sent, pages_confirmed, transport, bit_rate, ecm, remote_ident,
 * t30_code, t30_text, failure_class, cost). */
int store_attempt_update(store_tx_t *tx, const char *id, const json_t *fields);
json_t *store_attempt_get(store_tx_t *tx, const char *id);
/* Attempts of a fax in order. */
json_t *store_attempts_of(store_tx_t *tx, const char *fax_id);
/* Attempts in_progress of node, or of any node started before stale_before
 * (0: none), for recovery. */
json_t *store_attempts_open(store_tx_t *tx, const char *node, int64_t stale_before);
/* The attempts in progress of fax_id, with their lease_until (NULL: no
 * lease), the oldest first. */
json_t *store_attempts_live(store_tx_t *tx, const char *fax_id);
/* Leases (several nodes on one database): an attempt in progress carries
 * lease_until, set by the claim and pushed on by its node while the call
 * runs. Attempts in progress of other nodes than node whose lease ended
 * before now (their node is gone), oldest first. */
json_t *store_attempts_expired(store_tx_t *tx, const char *node, int64_t now);
/* Pushes the lease of attempt id, in progress, on to until: STORE_OK, or
 * STORE_NOTFOUND (ended, or taken over). */
int store_attempt_renew(store_tx_t *tx, const char *id, int64_t until);
/* 1 when attempt id is still in progress (its lease not taken over), 0 when
 * it ended (or was recovered by another node), -1 on error or absent. */
int store_attempt_leased(store_tx_t *tx, const char *id);
typedef struct store_cdr_filter {
	const char *account_id; /* required */
	int64_t since, until;   /* started_at bounds, 0: open */
	const char *direction;  /* NULL: both */
	const char *result;     /* NULL: any */
} store_cdr_filter_t;
/* Newest first; limit <= 0: every row (CSV export, cursor ignored). */
int store_cdr_list(store_tx_t *tx, const store_cdr_filter_t *f, const char *cursor, int limit,
	store_page_t *out);

/* ---- rates (one table per currency) ---- */
/* [{prefix, price_per_page, currency}] of one currency, by prefix. */
json_t *store_rates_list(store_tx_t *tx, const char *currency);
/* Replaces the rates of currency with rates (array of {prefix, price_per_page}). */
int store_rates_replace(store_tx_t *tx, const json_t *rates, const char *currency);
/* The rate of the longest prefix of number in currency: {prefix,
 * price_per_page, currency}, or NULL. */
json_t *store_rate_for(store_tx_t *tx, const char *number, const char *currency);

#endif
