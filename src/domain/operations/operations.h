/* Automatic fraud detection over live data (C17, R04) and penetration tests
 * announced to the provider (C15). See docs/security.md, "Fraud detection".
 *
 * The fax service's periodic pass (dom_fraud_pass) looks at the traffic of
 * the last hour and at the sign-ins and API-key uses since its last look,
 * with these rules:
 *   volume          an account's outbound pages in the last hour above
 *                   fraud.volume_factor times its trailing 7-day hourly mean,
 *                   and at least fraud.volume_floor_pages;
 *   prefix          a fax to a number of the provider's watched prefixes
 *                   (fraud.risky_prefixes, high-cost or unusual ranges);
 *   country         the first fax of an account to a country calling code,
 *                   once it has sent fraud.new_country_after faxes;
 *   sequential      fraud.sequential_calls failed calls or more within the
 *                   hour to numbers in sequence (gaps of at most 2);
 *   signin_address  a member signs in from an address never used before
 *                   within 24 hours after their lockout;
 *   apikey_address  an API key used from an address other than the ones it
 *                   was used from before.
 * A finding is raised once per account, rule and key (the key holds the
 * finding window, fraud.window_hours, where the rule has one): a fraud
 * report created by `system:fraud` with the evidence, a notification of
 * the account, a mail (EN/FR) to the account's owner and administrators and
 * to the provider's operators and security staff. When the account's
 * security setting fraud_hold is on, the finding also holds its outbound
 * faxing: submissions are refused (403 outbound-held) and queued faxes are
 * not dialled until an administrator confirms the activity safe
 * (dom_fraud_confirm_safe). Receiving never stops.
 *
 * Traffic from the source networks of an approved penetration test of the
 * account, within its window, is announced: it raises no report, no mail
 * and no hold; the finding is kept and audited as fraud.announced. */

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_OPERATIONS_H
#define FV_DOMAIN_OPERATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAUD_ACTOR "system:fraud"
#define FRAUD_ID_MAX 64

/* The pass at now, in one transaction of st: findings raised (announced
 * ones included), or -1 on error (nothing kept). */
int dom_fraud_pass(store_t *st, const dom_config_t *cfg, int64_t now);

/* Whether the account's outbound faxing is held; the fraud report that
 * held it is copied into report (FRAUD_ID_MAX bytes) when not NULL. */
bool dom_fraud_held(store_tx_t *tx, const char *account_id, char *report);
/* The refusal of a submission of a held account: -1 with e set (403
 * outbound-held), or 0 when the account is not held. */
int dom_fraud_check_outbound(dom_ctx_t *c, const char *account_id, dom_err_t *e);

/* POST /v1/accounts/{id}/fraud-reports/{request_id}/confirm-safe: an
 * administrator (security.manage) confirms that the activity an automatic
 * report found is theirs; the hold of the account's outbound faxing ends
 * (409 invalid-state when the report is not an automatic one or the
 * account is not held). */
int dom_fraud_confirm_safe(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);

/* The approved penetration-test request whose window holds `at` and whose
 * source networks hold address, of account_id (NULL: of any account): true
 * with its id copied into out (FRAUD_ID_MAX bytes, may be NULL). */
bool dom_announced(store_tx_t *tx, const char *account_id, const char *address, int64_t at,
	char *out);

/* ---- the rules' arithmetic (pure, unit-tested) ---- */

/* Whether last_hour pages are a volume finding against trailing_pages of
 * the 168 hours before, with floor and factor. */
bool fraud_volume_exceeds(int64_t last_hour, int64_t trailing_pages, int floor, int factor);
/* The longest run of numbers in sequence (same length, each at most 2 above
 * the one before, duplicates ignored) among n E.164 numbers. */
int fraud_sequential_run(const char *const *numbers, size_t n);
/* The first prefix of the comma-separated list that number starts with,
 * copied into out (outlen bytes): true, else false. */
bool fraud_prefix_match(const char *list, const char *number, char *out, size_t outlen);

/* How long an Idempotency-Key is remembered (api.idempotency_hours): the
 * window op_idempotent replays within, and the retention sweep's purge of
 * the answers stored before it. */
/* The window when cfg sets none (api.idempotency_hours' default, 24 h). */
#define DOM_IDEM_MS_DEFAULT (24LL * 3600000)

/* The window of cfg (NULL or 0: DOM_IDEM_MS_DEFAULT), in milliseconds. */
int64_t dom_idem_window_ms(const dom_config_t *cfg);
/* Deletes at most limit stored answers older than the window at now, the
 * oldest first, in a transaction of its own: how many, or -1. */
int dom_idem_purge(store_t *st, const dom_config_t *cfg, int64_t now, int limit);

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

/* The job queue as the provider's operators see it (docs/architecture.md,
 * "The job queue"): its depth by kind and state and the failed jobs, and a
 * failed job queued again. Operations of domain.h (provider.requests.manage
 * on the routes), audited. */
/* Failed jobs listed at most (the most recent first). */
#define DOM_JOBS_FAILED_MAX 100

/* {kinds: [{kind, queued, running, done, failed}], failed: [{id, kind,
 * account_id, ref, attempts, max_attempts, last_error, created_at,
 * finished_at}]}; audited as queue.read. */
int dom_jobs_overview(dom_ctx_t *c, json_t **out, dom_err_t *e);
/* Queues failed job id again for one more attempt, due now: the job's view
 * (queue_job_view); audited as queue.retry on the job's account. 404
 * not-found when no failed job has that id. */
int dom_jobs_retry(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);

/* The record of a purge of n finished jobs that ended before before (the
 * retention sweep's queue_purge hook, in its transaction tx): the audit
 * event queue.purged of system:queue in the provider's chain, with the
 * count and the cut-off. 0 / -1. */
int dom_jobs_purged(store_tx_t *tx, int n, int64_t before, void *arg);

/* The status board (P13): the state of each component of the service,
 * incidents with their timeline of updates, and scheduled maintenance
 * windows; published without authentication as HTML (EN/FR), JSON and an
 * Atom feed, managed by provider staff holding provider.status.manage.
 * See docs/provider-duties.md.
 *
 * Components: api, portal, sending, receiving, mail, and trunk:<id> for each
 * trunk. States, from best to worst: operational, maintenance, degraded,
 * partial_outage, major_outage. A component's state is the worst of the one
 * an operator set, the impact of every open incident naming it, and
 * "maintenance" while a window naming it is in progress (at the clock's now).
 *
 * Operations follow domain.h: they run in c->tx and return 0 with *out set
 * (new reference), or -1 with e filled in. Operator actions are audited
 * (status.incident.create, status.incident.update, status.component.set). */
#define STATUS_TITLE_MAX 200   /* characters of a title */
#define STATUS_MESSAGE_MAX 4000 /* characters of an update's message */
#define STATUS_BOARD_DAYS 7     /* closed incidents stay on the board this long */

/* GET /status.json: {updated_at, overall, components: [{id, name, state}],
 * incidents: [...], maintenance: [...]}, titles and messages in c->lang. */
int dom_status_board(dom_ctx_t *c, json_t **out, dom_err_t *e);
/* GET /status and /status.atom: the same board as an HTML page (no script)
 * in c->lang, or an Atom feed (RFC 4287) with one entry per incident or
 * window. *data is malloc'd (caller frees). */
int dom_status_html(dom_ctx_t *c, unsigned char **data, size_t *len, dom_err_t *e);
int dom_status_atom(dom_ctx_t *c, unsigned char **data, size_t *len, dom_err_t *e);

/* POST /v1/provider/incidents {kind?: incident|maintenance, title_en,
 * title_fr, impact, components, status?, message_en, message_fr, starts_at,
 * ends_at (maintenance only, both required)}: the record with its first
 * update. */
int dom_status_incident_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
/* POST /v1/provider/incidents/{id}/updates {status, message_en,
 * message_fr}: adds to the timeline; resolved/completed closes it (409
 * invalid-state once closed). */
int dom_status_incident_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_status_incident_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
int dom_status_incident_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out,
	dom_err_t *e);
/* PUT /v1/provider/status/components/{component} {state}. */
int dom_status_component_set(dom_ctx_t *c, const char *component, const json_t *body,
	json_t **out, dom_err_t *e);

/* Automatic component states of the status board (P13): each component
 * follows the service's health checks and fax metrics unless an operator
 * pinned its state (PUT /v1/provider/status/components/{component}).
 *
 *   trunk:<id>  major_outage while its peer does not answer the OPTIONS
 *               keep-alive (trunks.link_status down); degraded while at
 *               least status.failure_min_calls outbound calls ended on it
 *               in the last status.failure_window_minutes and
 *               status.failure_percent of them or more failed.
 *   sending     major_outage when no active trunk answers; degraded when
 *               some do not, or when the failure rate over every trunk is
 *               above the threshold.
 *   receiving   major_outage when no active trunk answers.
 *   mail        degraded while messages wait in the outbox after a failed
 *               attempt (the relay refuses them for now or cannot be
 *               reached), when mail is on.
 *   api         degraded while at least status.failure_min_calls requests
 *               were answered in the last status.failure_window_minutes and
 *               status.failure_percent of them or more were 5xx (this
 *               process's answers: each node judges its own).
 *   portal      major_outage while the portal's index.html cannot be read,
 *               partial_outage while a file its page names (src="/…",
 *               href="/…") cannot; no rule when no portal is served.
 *
 * Recovery clears the state the same way. Every change is written to the
 * component's history (GET /v1/provider/status/components) and audited as
 * status.component.auto by system:status, and logged. */
#define STATUS_HISTORY_SHOWN 20 /* changes listed per component */

/* The automatic states at now, each change recorded (see above), in one
 * transaction of st; runs at most once per cfg->status_check_ms of the
 * clock (callers may call it more often). Changes recorded, or -1. */
int dom_status_pass(store_t *st, const dom_config_t *cfg, int64_t now);

/* GET /v1/provider/status/components: every component {id, name, state
 * (pinned, else automatic), pinned, automatic: {state, reason, updated_at},
 * history: [{source, state, reason, actor, created_at}] (newest first, at
 * most STATUS_HISTORY_SHOWN)}. */
int dom_status_component_list(dom_ctx_t *c, json_t **out, dom_err_t *e);

/* Mail subscriptions to the status board (P13). An account's owner and
 * administrators (settings.manage or security.manage) subscribe contact
 * addresses to chosen components, and any active member subscribes their
 * own address (…/status-subscriptions/me; it stops while the member is
 * not active); each subscriber then gets, in their language (en, fr):
 *   - a confirmation when subscribed (status_subscribed),
 *   - one mail per incident or maintenance update naming one of their
 *     components, queued in the update's transaction (status_update),
 *   - a reminder 24 hours and 1 hour before a maintenance window naming one
 *     of them starts (status_reminder; a lead is skipped when the window
 *     was announced inside it; of several leads due at once each is
 *     mailed, a late one saying the time actually left), from the
 *     service's periodic pass.
 * Every mail carries the subscription's unsubscribe token (a link to the
 * portal's page with the token in the fragment, and the token itself): an
 * unguessable secret, kept as its hash for the look-up and sealed under the
 * account's key for the mails, never answered by the API; it works once
 * (POST /v1/status-subscriptions/unsubscribe, no credential), as the
 * subscription then goes.
 *
 * Operations follow domain.h: they run in c->tx and return 0 with *out set
 * (new reference), or -1 with e filled in. Audited in the account's log:
 * status_subscription.create, .delete, .unsubscribe, .list, .read. */
#define STATUS_SUBS_MAX 100 /* subscriptions of one account */

/* GET /v1/accounts/{id}/status-subscriptions: {items: [{id, email, name,
 * lang, components, user_id (a member's own, else null), created_at}]}. */
int dom_status_sub_list(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* POST …/status-subscriptions {email, name?, lang?, components}: the
 * subscription (409 conflict when the address is subscribed already). */
int dom_status_sub_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* POST …/status-subscriptions/me {lang?, components}: the calling member's
 * own subscription, to their address and by default in their language (403
 * forbidden for a caller who is not an active member, 409 conflict when
 * subscribed already). GET …/me answers it (404 not-found when none),
 * DELETE …/me removes it. */
int dom_status_sub_self_create(dom_ctx_t *c, const json_t *account, const json_t *body,
	json_t **out, dom_err_t *e);
int dom_status_sub_self_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
int dom_status_sub_self_delete(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* DELETE …/status-subscriptions/{subscription_id}. */
int dom_status_sub_delete(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
/* POST /v1/status-subscriptions/unsubscribe {token}: {email, components}
 * (404 not-found for a token unknown or used). */
int dom_status_unsubscribe(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);

/* Mails the newest update of incident incident_id to the subscribers of
 * its components (status.c, in the update's transaction). 0 / -1. */
int status_subs_notify(dom_ctx_t *c, const char *incident_id);
/* Mails the reminders due at now (status_auto.c's pass, in c->tx).
 * Windows whose reminders changed (to commit), or -1. */
int status_subs_remind(dom_ctx_t *c, int64_t now);

#endif
