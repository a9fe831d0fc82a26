/* The store's side of retention: per-account policies and legal holds, and
 * the faxes a policy has made due (see src/domain/records/retention.h). */
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

/* ---- GDPR: what else names one person (src/domain/records/gdpr.c) ----
 * person_id is the member, email their address (exact, as stored). */

/* Their SafeBoxes in the account, not deleted: owned, or taken part in
 * (as the member or by their address): array of {id, subject, owner_id,
 * status, created_at, expires_at, closed_at}, oldest first. */
json_t *store_gdpr_safeboxes(store_tx_t *tx, const char *account_id, const char *person_id,
	const char *email);
/* Their status subscriptions in the account (their own, or to their
 * address): array of {id, email, name, lang, components, created_at}. */
json_t *store_gdpr_subscriptions(store_tx_t *tx, const char *account_id, const char *person_id,
	const char *email);
/* The account's security contacts at their address: array of {id, name,
 * email, phone, lang, created_at}. */
json_t *store_gdpr_contacts(store_tx_t *tx, const char *account_id, const char *email);
/* The mails sent or to be sent to them (to the member, or to their address
 * for this account): array of {id, kind, to_addr, lang, status, created_at,
 * sent_at, bounce_action, bounce_status, bounce_diagnostic, bounced_at (the
 * DSN read back, or nulls)}, oldest first. */
json_t *store_gdpr_mails(store_tx_t *tx, const char *account_id, const char *person_id,
	const char *email);
/* The account's mails to others whose parameters hold text (their name or
 * address as a sender, an owner): array of {id, params}. */
json_t *store_gdpr_mails_naming(store_tx_t *tx, const char *account_id, const char *text);
/* The account's faxes whose header line or cover subject hold text get it
 * replaced by pseudo; the number of faxes changed into *n. */
int store_gdpr_fax_texts(store_tx_t *tx, const char *account_id, const char *text,
	const char *pseudo, int *n);
/* The account's outbound faxes' documents whose faxes' header line or
 * cover subject hold text (before store_gdpr_fax_texts replaces it):
 * array of {doc_id, held (1 when one of its faxes is under a legal hold)}. */
json_t *store_gdpr_fax_docs_naming(store_tx_t *tx, const char *account_id, const char *text);

/* ---- rewriting fax documents (migration 0057) ---- */
/* How document doc_id was rendered: cover (0/1), lang, date_ms. */
int store_fax_rendering_put(store_tx_t *tx, const char *doc_id, const char *account_id,
	int cover, const char *lang, int64_t date_ms);
/* {doc_id, account_id, cover, lang, date_ms}, or NULL (none recorded). */
json_t *store_fax_rendering_get(store_tx_t *tx, const char *doc_id);
/* The rendering of doc_id becomes that of new_doc_id. */
int store_fax_rendering_move(store_tx_t *tx, const char *doc_id, const char *new_doc_id);
/* Document doc_id is to be rewritten (reason "gdpr.erase", subject_id the
 * person); nothing when it already is. */
int store_doc_rewrite_add(store_tx_t *tx, const char *doc_id, const char *account_id,
	const char *reason, const char *subject_id, int64_t now);
/* At most limit documents to rewrite, oldest first: {doc_id, account_id,
 * reason, subject_id, created_at}; of account_id only unless it is NULL. */
json_t *store_doc_rewrites_due(store_tx_t *tx, const char *account_id, int limit);
int store_doc_rewrite_done(store_tx_t *tx, const char *doc_id);

/* Replaces the parameters of mail id. */
int store_gdpr_mail_params_set(store_tx_t *tx, const char *id, const char *params);
/* The erasure's part of these tables, in tx, at now: mails to them get
 * pseudo_email as address, no parameters, no token (a pending one is
 * given up) and no bounce diagnostic (the remote server's text, which may
 * name them); their SafeBox participations get pseudo_email and are revoked,
 * their messages and files in boxes of the account pseudo_email as
 * author's address; their status subscriptions and the security contacts
 * at their address are deleted. The number of rows of each into counts
 * {mails, safebox_participants, safebox_authored, status_subscriptions,
 * security_contacts} (a new reference). STORE_OK / STORE_ERROR. */
int store_gdpr_erase(store_tx_t *tx, const char *account_id, const char *person_id,
	const char *email, const char *pseudo_email, int64_t now, json_t **counts);

#endif
