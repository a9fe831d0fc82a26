/* The store of security incidents and breach notices (see
 * src/domain/operations/incidents.h).
 *
 * Records are JSON objects keyed by column name (new references, owned by
 * the caller): an incident {id, title, description, severity, status,
 * personal_data, detected_at, alerts, created_by, created_at, updated_at,
 * closed_at}; an event {id, incident_id, kind, status, message, created_by,
 * created_at}; an affected account {incident_id, account_id, account_name,
 * reason, added_at, notice_id, notified_at, acknowledged_at,
 * acknowledged_by}; a notice {id, incident_id, account_id, text_en, text_fr,
 * sent_by, sent_at} (joined with its incident's title, severity and
 * detected_at, and its account row's notified/acknowledged times, when read
 * by account). Conventions and error codes are those of store.h. */
#ifndef FV_STORE_INCIDENTS_H
#define FV_STORE_INCIDENTS_H

#include <stdint.h>

#include "store.h"

int store_incident_insert(store_tx_t *tx, const json_t *inc);
json_t *store_incident_get(store_tx_t *tx, const char *id);
/* Sets status and updated_at; closed_at when closed is non-zero. */
int store_incident_set_status(store_tx_t *tx, const char *id, const char *status, int64_t now,
	int64_t closed);
int store_incident_set_alerts(store_tx_t *tx, const char *id, const char *alerts);
/* A page of incidents, newest first; status filters when not NULL. */
int store_incident_page(store_tx_t *tx, const char *status, const char *cursor, int limit,
	store_page_t *out);
/* Incidents not closed whose personal data may be disclosed, oldest first
 * (at most limit): the clocks' sweep. */
json_t *store_incident_clocks_due(store_tx_t *tx, int limit);

int store_incident_event_insert(store_tx_t *tx, const json_t *ev);
json_t *store_incident_events(store_tx_t *tx, const char *incident_id);

/* The accounts whose calls went through trunk_id between from and to
 * (milliseconds; a call that started before to and ended, or is still
 * going, after from): array of {account_id}, or NULL on error. */
json_t *store_incident_trunk_accounts(store_tx_t *tx, const char *trunk_id, int64_t from,
	int64_t to);
/* Every account that is not closed: array of {account_id}. */
json_t *store_incident_all_accounts(store_tx_t *tx);
/* Adds account_id to the incident (STORE_CONFLICT when it is there). */
int store_incident_account_add(store_tx_t *tx, const char *incident_id, const char *account_id,
	const char *reason, int64_t now);
json_t *store_incident_accounts(store_tx_t *tx, const char *incident_id);
int store_incident_account_notified(store_tx_t *tx, const char *incident_id,
	const char *account_id, const char *notice_id, int64_t now);

/* Who is told of an incident: the active members of account_id holding
 * role owner or admin, or (account_id NULL) the provider's active operators
 * and security staff: array of {id, kind, account_id, email, name, role,
 * lang}, or NULL on error. */
json_t *store_incident_recipients(store_tx_t *tx, const char *account_id);

int store_breach_notice_insert(store_tx_t *tx, const json_t *n);
/* The notice id of account_id (with its incident's and account row's
 * fields), or NULL. */
json_t *store_breach_notice_get(store_tx_t *tx, const char *account_id, const char *id);
/* The account's notices, newest first. */
int store_breach_notice_page(store_tx_t *tx, const char *account_id, const char *cursor,
	int limit, store_page_t *out);
/* Records the first acknowledgement; STORE_NOTFOUND when it was acknowledged
 * before. */
int store_breach_notice_ack(store_tx_t *tx, const char *incident_id, const char *account_id,
	const char *by, int64_t now);

#endif
