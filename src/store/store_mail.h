/* The store of outbound mail: the outbox the mail sender drains, which is
 * also the delivery log.
 *
 * Conventions, ownership and error codes are those of store.h. A message
 * record: {id, kind, account_id, principal_id, to_addr, lang, params (JSON
 * text, no secret), secret (sealed, or ""), status, attempts, last_reply,
 * next_attempt_at, sent_at, created_at, bounce_action, bounce_status,
 * bounce_diagnostic, bounced_at}. */
#ifndef FV_STORE_MAIL_H
#define FV_STORE_MAIL_H

#include "store.h"

/* {id, kind, account_id?, principal_id?, to_addr, lang, params, secret,
 * status, next_attempt_at, created_at}. */
int store_mail_insert(store_tx_t *tx, const json_t *msg);
/* One message as its queue job sends it (mail_sender.c): {id, kind,
 * status, to_addr, lang, params, secret, attempts}, or NULL. */
json_t *store_mail_load(store_tx_t *tx, const char *id);
/* Records an attempt of a message not yet sent (the caller holds the
 * lease of its job): status (pending, sent, failed), attempts, last_reply,
 * next_attempt_at, sent_at (0: none); a sent or failed message loses its
 * secret. STORE_NOTFOUND when it was sent already. */
int store_mail_record(store_tx_t *tx, const char *id, const json_t *fields);
/* The messages to an address, newest first (the delivery log; no params):
 * array of {id, kind, status, attempts, last_reply, sent_at, created_at}. */
json_t *store_mail_by_recipient(store_tx_t *tx, const char *to_addr, int limit);

/* One message for a bounce: {id, kind, account_id, principal_id, to_addr,
 * status, bounce_action}, or NULL (unknown, or error). */
json_t *store_mail_get(store_tx_t *tx, const char *id);
/* Records a DSN on message id: action ("failed", "delayed"), status
 * ("5.1.1"), diagnostic (may be ""), the time. A "delayed" DSN does not
 * overwrite a "failed" one already recorded (STORE_NOTFOUND then). */
int store_mail_bounce(store_tx_t *tx, const char *id, const char *action, const char *status,
	const char *diagnostic, int64_t at);
/* Marks person id as having a hard bounce of addr (status, at), only while
 * addr is still the person's address (compared without case):
 * STORE_NOTFOUND otherwise. store_principal_update clears the mark when
 * the address changes. */
int store_principal_mail_bounce(store_tx_t *tx, const char *id, const char *addr,
	const char *status, int64_t at);

#endif
