/* Security incidents (P03) and breach notices (P14).
 *
 * An operator or the security team (provider.security.manage) records an
 * incident: title, description, severity (low, medium, high, critical),
 * when it was detected, and whether personal data may have been disclosed.
 * Its life is open -> investigating -> contained -> closed (any step
 * forward; closed is final), each step and note a timeline event.
 *
 * The affected accounts are found by query ({trunk_id, from, to}: every
 * account with a call through that trunk in the window), listed
 * ({account_ids}) or all ({all: true}), at creation or as the investigation
 * goes on. When personal data may be disclosed two clocks run from the
 * detection: `gdpr_72h` (72 hours: the customers, controllers under GDPR,
 * must be able to tell their authority within 72 hours of awareness) and
 * `hipaa_60d` (60 days: a business associate's outer limit under HIPAA).
 * A clock is met when every affected account has its notice; the service's
 * periodic pass raises an alert once when a clock nears its end (24 hours,
 * 7 days) and once when it is overdue: a timeline event, an audit event by
 * `system:incidents`, a warning in the log and a mail to the provider's
 * operators and security staff.
 *
 * A notice (text in English and in French, both required) goes to every
 * affected account not yet notified: kept as written, an account
 * notification, a mail to the account's owner and administrators in their
 * language, an event of the account's audit log. The account's owner and
 * administrators holding security.manage read their notices and acknowledge
 * them; the acknowledgement shows on the incident.
 *
 * Operations follow domain.h: they run in c->tx and return 0 with *out set
 * (new reference), or -1 with e filled in. */
#ifndef FV_DOMAIN_INCIDENTS_H
#define FV_DOMAIN_INCIDENTS_H

#include <stdint.h>

#include "domain.h"

#define INCIDENT_TEXT_MAX 8000  /* characters of a description, note or notice */
#define INCIDENT_TITLE_MAX 200
#define INCIDENT_ACCOUNTS_MAX 500 /* account ids listed in one request */

/* POST /v1/provider/security-incidents {title, description, severity,
 * detected_at?, personal_data, affected?}. */
int dom_incident_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
/* GET /v1/provider/security-incidents?status=. */
int dom_incident_list(dom_ctx_t *c, const char *status, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_incident_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
/* POST …/{id}/updates {message, status?}. */
int dom_incident_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e);
/* POST …/{id}/accounts {affected}: adds the accounts the selector finds. */
int dom_incident_add_accounts(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e);
/* POST …/{id}/notices {text_en, text_fr}: notifies every affected account
 * not notified yet (409 invalid-state when there is none). */
int dom_incident_notify(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e);

/* GET /v1/accounts/{id}/breach-notices[/{notice_id}], and
 * POST …/{notice_id}/acknowledge (409 invalid-state the second time). */
int dom_breach_notice_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_breach_notice_get(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
int dom_breach_notice_ack(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);

/* The clocks' alerts due at now, raised once each (see above), in one
 * transaction of st. Alerts raised, or -1 on error. */
int dom_incident_sweep(store_t *st, const dom_config_t *cfg, int64_t now, int limit);

#endif
