/* The store of the status board (P13): component states set by operators,
 * incidents and maintenance windows, and their timeline of updates (see
 * src/domain/operations/status.h). Records are JSON objects keyed by column name (new
 * references, owned by the caller); an incident's components column is a
 * JSON text (an array of component ids). */
#ifndef FV_STORE_STATUS_H
#define FV_STORE_STATUS_H

#include <stdint.h>

#include "store.h"

/* Every component state set by an operator: array of {id, state,
 * updated_at}, or NULL on error. */
json_t *store_status_components(store_tx_t *tx);
/* Sets (or replaces) the state of component id. */
int store_status_component_set(store_tx_t *tx, const char *id, const char *state, int64_t now);

/* Inserts an incident {id, kind, title_en, title_fr, impact, components,
 * status, starts_at?, ends_at?, created_by, created_at, updated_at}. */
int store_status_incident_insert(store_tx_t *tx, const json_t *inc);
json_t *store_status_incident_get(store_tx_t *tx, const char *id);
/* Sets status, updated_at and closed_at (NULL: open) of an incident. */
int store_status_incident_set(store_tx_t *tx, const char *id, const char *status, int64_t now,
	int64_t closed_at);
/* Page of incidents, newest first. */
int store_status_incident_page(store_tx_t *tx, const char *cursor, int limit, store_page_t *out);
/* The incidents the public board shows at now: every open one, every
 * maintenance window not completed, and those closed since `since`; newest
 * first, at most limit. */
json_t *store_status_incident_board(store_tx_t *tx, int64_t since, int limit);

/* Inserts an update {id, incident_id, status, body_en, body_fr, created_by,
 * created_at}. */
int store_status_update_insert(store_tx_t *tx, const json_t *upd);
/* The updates of an incident, oldest first (array, or NULL on error). */
json_t *store_status_updates(store_tx_t *tx, const char *incident_id);

/* ---- automatic states (status_auto.h) ---- */

/* Every automatic state: array of {id, state, reason, updated_at}. */
json_t *store_status_auto_all(store_tx_t *tx);
/* Sets (or replaces) the automatic state of component id. */
int store_status_auto_set(store_tx_t *tx, const char *id, const char *state, const char *reason,
	int64_t now);
/* Removes an operator's pin of component id (STORE_NOTFOUND: none). */
int store_status_component_unset(store_tx_t *tx, const char *id);
/* Inserts a history row {id, component, source, state, reason, actor,
 * created_at}. */
int store_status_history_insert(store_tx_t *tx, const json_t *row);
/* The last limit changes of component id, newest first. */
json_t *store_status_history(store_tx_t *tx, const char *id, int limit);
/* Outbound calls that ended since `since`, per trunk: array of {trunk_id,
 * total, failed} (results ok, partial and failed count; interrupted calls
 * do not). */
json_t *store_status_trunk_calls(store_tx_t *tx, int64_t since);
/* Messages of the outbox still pending after at least one failed attempt
 * (the relay refused them for now or could not be reached); -1 on error. */
int64_t store_status_mail_waiting(store_tx_t *tx);

/* ---- subscriptions and reminders (status_subs.h) ---- */

/* Inserts a subscription {id, account_id, user_id?, email, name, lang,
 * components, token_hash, token_sealed, created_by, created_at}. */
int store_status_sub_insert(store_tx_t *tx, const json_t *sub);
/* The subscriptions of an account (account_id non-NULL) or of every
 * account (NULL), oldest first; each with its token_sealed. */
json_t *store_status_subs(store_tx_t *tx, const char *account_id);
/* Deletes subscription id of account_id (STORE_NOTFOUND: none). */
int store_status_sub_delete(store_tx_t *tx, const char *account_id, const char *id);
/* The subscription whose token hashes to hash, or NULL. */
json_t *store_status_sub_by_token(store_tx_t *tx, const char *hash);
/* Open maintenance windows still to start after now (newest window first
 * not needed: by starts_at), with their reminders column. */
json_t *store_status_windows_ahead(store_tx_t *tx, int64_t now);
/* Sets the reminders already sent of an incident. */
int store_status_set_reminders(store_tx_t *tx, const char *id, const char *reminders);

/* ---- security contacts (seccontacts.h) ---- */

/* Inserts {id, account_id, name, email, phone, lang, created_by, created_at}. */
int store_seccontact_insert(store_tx_t *tx, const json_t *c);
/* The contacts of an account, oldest first. */
json_t *store_seccontacts(store_tx_t *tx, const char *account_id);
int store_seccontact_delete(store_tx_t *tx, const char *account_id, const char *id);

/* The installation's random feed name (32 hex digits, caller frees), or NULL. */
char *store_status_feed_id(store_tx_t *tx);

#endif
