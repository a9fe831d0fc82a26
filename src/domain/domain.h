/* The domain layer: every operation on tenants, people, credentials and the
 * audit log, with its validation, its fine-grained authorization rules and its
 * audit event. Handlers parse HTTP and call these; these call the store.
 *
 * Conventions: each operation runs inside the caller's transaction c->tx and
 * returns 0 with *out set (a new reference owned by the caller, or NULL when
 * there is nothing to answer), or -1 with e filled in; the caller then rolls
 * the transaction back, so nothing is half-written. JSON inputs are borrowed.
 */
#ifndef FV_DOMAIN_H
#define FV_DOMAIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "i18n.h"
#include "store.h"

/* Types of the contexts that this header names before it includes their
 * contracts (at its end): access (principal_t), fax (fax_env_t) and identity
 * (sec_policy_t, and sec_limits_t, which dom_config_t holds). */
typedef struct principal principal_t;
typedef struct fax_env fax_env_t;
typedef struct sec_policy sec_policy_t;

/* The provider's defaults, which are also the loosest an account may set. */
typedef struct sec_limits {
	int min_length;        /* floor of password_policy.min_length */
	int lockout_threshold; /* ceiling of password_policy.lockout_threshold */
	int lockout_minutes;   /* floor of password_policy.lockout_minutes */
	int idle_minutes;      /* ceiling of session.idle_timeout_minutes */
	int max_hours;         /* ceiling of session.max_lifetime_hours */
	int rpm, burst;        /* ceiling of rate_limit */
	int contacts_review_months;
} sec_limits_t;

/* The automatic fraud detection's settings (fraud.h, fraud.* settings);
 * zero: the default of each. */
typedef struct fraud_cfg {
	int volume_floor_pages;     /* fewest pages in an hour that may be a finding */
	int volume_factor;          /* ... and how many times the trailing 7-day hourly mean */
	const char *risky_prefixes; /* comma-separated E.164 prefixes the provider watches */
	int sequential_calls;       /* failed calls to numbers in sequence within an hour */
	int new_country_after;      /* faxes an account has sent before a new country counts
				       (-1: the rule is off) */
	int window_hours;           /* a rule raises once per account, key and window */
} fraud_cfg_t;

typedef struct dom_config {
	int session_idle_minutes;
	int session_max_hours;
	int auth_cache_ms;         /* credential cache (auth.credential_cache_ms); 0: none */
	int invitation_days;
	int apikey_max_days;       /* 0: no ceiling on expiry */
	sec_limits_t limits;       /* provider defaults and limits of account settings */
	int source_lock_threshold; /* failed logins from one address before it is locked */
	int source_lock_minutes;
	int reset_minutes;         /* lifetime of a password-reset token */
	const fax_env_t *fax;      /* fax documents, numbers and limits; NULL in tools
				      that serve no fax (then fax operations answer 503) */
	int64_t queue_retention_ms; /* queue.retention_days: finished jobs kept this long */
	int64_t idem_retention_ms;  /* api.idempotency_hours: an Idempotency-Key is
				       remembered this long (0: 24 h) */
	const char *audit_checkpoint_file; /* where checkpoints are appended ("" or NULL: none) */
	bool mail_on;              /* mail.relay is set: notices are queued (mailq.h) */
	int mail_sender_per_hour;  /* fax by e-mail: mails per sender address and hour (0: no limit) */
	int mail_sender_pages_per_day; /* fax by e-mail: pages per sender address and day (0: none) */
	int retention_min_days;    /* bounds of retention policies (0: none) */
	int retention_max_days;
	int consent_max_days;      /* longest consent an owner may give a partner */
	int grant_max_hours;       /* longest support access grant */
	int break_glass_max_minutes; /* longest break-glass grant of an operator */
	int closure_grace_days;    /* a closed account's grace period before it is
				      destroyed (0: CLOSURE_GRACE_DAYS_DEFAULT) */
	int safebox_max_days;      /* ceiling of a SafeBox's expiry (0: SAFEBOX_DAYS_DEFAULT_MAX) */
	int status_check_ms;       /* automatic component states (status_auto.h): how often */
	int status_failure_window_minutes; /* a trunk's failure rate over this window */
	int status_failure_percent;        /* at or above it: degraded */
	int status_failure_min_calls;      /* fewer calls in the window: not judged */
	/* The api component's rule: the requests this process answered since it
	 * started and those answered 5xx (NULL: no rule, e.g. tools). */
	void (*http_totals)(int64_t *answers, int64_t *errors);
	const char *portal_dir;    /* the portal component's rule: its files (NULL: none served) */
	const char *web_url;       /* the service's address as browsers see it (no trailing
				      slash): SSO redirect URIs; NULL: SSO sign-in is off */
	const char *sso_allow;     /* CIDRs an identity provider may resolve to although
				      private (sso.allow_cidrs); NULL: none */
	int sso_domain_recheck_hours; /* a domain verified by DNS is looked up again this
					 often (0: SSO_DOMAIN_RECHECK_HOURS_DEFAULT) */
	int sso_domain_grace_hours;   /* its record gone this long: unverified (0: at the
					 first check that misses it) */
	/* Postpaid invoices (billing.*, docs/billing.md): days from issue to the
	 * due date; days before it of the reminder (0: none); days after it
	 * when sending is suspended (0: never). */
	int invoice_due_days;
	int reminder_before_days;
	int suspend_after_days;
	int test_invoice_crash_at; /* tests only: an invoice run kills the process while
				      writing its Nth invoice (0: never) */
	const char *payment_provider; /* the payment provider of the signed webhook
					 (/v1/billing/webhooks/{provider}); NULL: none */
	const char *payment_secret;   /* its signing secret (whsec_…), NULL: none */
	int payment_tolerance_s;      /* how old a webhook's timestamp may be */
	fraud_cfg_t fraud;         /* automatic fraud detection (fraud.h) */
} dom_config_t;

typedef struct dom_ctx {
	store_t *store;         /* for operations that read outside c->tx */
	store_tx_t *tx;
	const principal_t *who; /* NULL when anonymous or the system */
	const char *actor;      /* when who is NULL: the system actor recorded in
				   the audit log ("cli:USER@HOST"); NULL: anonymous */
	const char *source;     /* peer address */
	const char *request_id;
	const char *lang;       /* "en" or "fr" */
	const dom_config_t *cfg;
	/* Set by an operation that fails but whose side effects must stay (a
	 * failed login's counters and audit event): the caller commits. */
	bool keep_on_error;
} dom_ctx_t;

/* An error of an operation: its problem kind (see api/problem.c for the
 * table of kinds, statuses and titles) and a detail for people, in English
 * (also what the audit log records) and in French (src/common/i18n.h). */
typedef struct dom_err {
	const char *kind;
	char detail[I18N_MSG_MAX];
	char detail_fr[I18N_MSG_MAX];
	char field[64]; /* the offending input field, or "" */
	int64_t retry_after_s; /* > 0: when to try again (a quota's reset), in seconds */
} dom_err_t;

/* The detail of e in lang ("fr": French; anything else: English). */
const char *dom_err_detail(const dom_err_t *e, const char *lang);

/* Ends the request's transaction early (commit) so that slow work outside
 * the database (rendering, encrypting a document) does not hold the write
 * lock; dom_tx_resume() starts the next one, which the HTTP layer commits.
 * Both return 0, or -1 with e set (c->tx is then NULL). */
int dom_tx_pause(dom_ctx_t *c, dom_err_t *e);
int dom_tx_resume(dom_ctx_t *c, dom_err_t *e);

/* Sets e and returns -1: `return dom_fail(e, "not-found", "", "no such user");`
 * The English format is also the key of its French (src/common/i18n_fr.c),
 * formatted from the same arguments: a new format needs its French entry
 * (scripts/i18n-check says which are missing). */
int dom_fail(dom_err_t *e, const char *kind, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same with a message already in both languages. */
int dom_fail_msg(dom_err_t *e, const char *kind, const char *field, const i18n_msg_t *m);
/* The same with a text given by another module (a catalogue key, marked
 * I18N() where it is written), translated by the catalogue. */
int dom_fail_text(dom_err_t *e, const char *kind, const char *field, const char *text);
/* fmt holds one "%s", filled with such a text in each language. */
int dom_fail_sub(dom_err_t *e, const char *kind, const char *field, const char *fmt,
	const char *text);

/* ---- authentication ---- */
/* Resolves a bearer credential (session token or API key secret) at `now`.
 * 0 with *p filled; -1 with e (unauthenticated / account-suspended). Touches
 * last-seen times (at most every 15 s per credential): in tx when it is a
 * write transaction, else through the store's group commit (store_tx_defer). */
int dom_authenticate(store_tx_t *tx, const dom_config_t *cfg, const char *bearer,
	const char *source, int64_t now, principal_t *p, dom_err_t *e);
/* The credential cache of this process: lookups answered from it, and
 * lookups that read the database (tests). */
void dom_auth_cache_stats(unsigned long long *hits, unsigned long long *misses);
/* The security settings in force for an account (defaults when none). */
void dom_policy(store_tx_t *tx, const dom_config_t *cfg, const char *account_id, sec_policy_t *p);
/* Loads the principal_t of a person record (no credential check). */
int dom_principal_from_record(store_tx_t *tx, const json_t *person, principal_t *p);
/* What holds for a credential a person made that is not a session (an API
 * key, a SCIM token), into p loaded from person: the person's gates (terms,
 * second factor), the account's rate limit, and its allowed networks for
 * source (-1 with "ip-not-allowed"). */
int dom_credential_rules(store_tx_t *tx, const dom_config_t *cfg, const json_t *person,
	const char *source, int64_t now, principal_t *p, dom_err_t *e);
/* {email, password, totp?, recovery_code?}: a new session. Ends c->tx and
 * starts another (dom_tx_pause, dom_tx_resume): the password is verified
 * with no transaction or lock held, and the outcome is written in a short
 * transaction of its own. An address locked out for failed logins is
 * refused before any hashing, except for a person who signed in from it in
 * the last 30 days or who has a second factor (see docs/security.md). */
int dom_login(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_logout(dom_ctx_t *c, json_t **out, dom_err_t *e);
int dom_me(dom_ctx_t *c, json_t **out, dom_err_t *e);
/* {name?, lang?: "en"|"fr"}: the person's own display name and language. */
int dom_me_update(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_my_sessions(dom_ctx_t *c, json_t **out, dom_err_t *e);
int dom_my_session_revoke(dom_ctx_t *c, const char *session_id, json_t **out, dom_err_t *e);
/* {current_password, new_password}: checks the current one, sets the new
 * one, and ends every other session of the person. */
int dom_password_change(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
/* {token, password, name?} (token NULL: it is in the body; else from the
 * older path form, and the body has no token): activates the invited person
 * with the password. A failed attempt (unknown token, weak password) uses
 * nothing up and is audited without the token (c->keep_on_error). */
int dom_invitation_accept(dom_ctx_t *c, const char *token, const json_t *body, json_t **out,
	dom_err_t *e);
/* Creates the first provider operator with a random one-time password
 * (*password, caller frees). -1 with e when a provider operator exists. */
int dom_bootstrap(dom_ctx_t *c, const char *email, char **password, dom_err_t *e);

/* ---- accounts ---- */
int dom_account_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_account_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e);
/* account is the record the router already loaded (borrowed). */
int dom_account_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
int dom_account_update(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_account_set_status(dom_ctx_t *c, const json_t *account, const char *status, json_t **out,
	dom_err_t *e);
/* Closes the account: dom_closure_start without a body (closure.h),
 * answering the account as it now is. */
int dom_account_close(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
int dom_owner_transfer(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);

/* ---- account members ---- */
int dom_member_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_member_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_member_get(dom_ctx_t *c, const json_t *account, const char *user_id, json_t **out,
	dom_err_t *e);
int dom_member_update(dom_ctx_t *c, const json_t *account, const char *user_id,
	const json_t *body, json_t **out, dom_err_t *e);
/* Deprovisions: status "deprovisioned", sessions and API keys revoked (C05). */
int dom_member_delete(dom_ctx_t *c, const json_t *account, const char *user_id, json_t **out,
	dom_err_t *e);

/* ---- API keys ---- */
int dom_apikey_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_apikey_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_apikey_revoke(dom_ctx_t *c, const json_t *account, const char *key_id, json_t **out,
	dom_err_t *e);

/* ---- audit ---- */
/* query: {since, until, actor, action} strings, borrowed. account NULL: all. */
int dom_audit_list(dom_ctx_t *c, const json_t *account, const json_t *query, const char *cursor,
	int limit, json_t **out, dom_err_t *e);

/* Verifies the whole chain with this process's audit key and the
 * checkpoints stored in the database: audit_report_json()'s answer. */
int dom_audit_verify(dom_ctx_t *c, json_t **out, dom_err_t *e);
/* The account's audit chain whole, for a third party to verify offline
 * (audit_export_chain), audited audit.export. */
int dom_audit_export(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* Signed checkpoints of the chain's head: those covering an event of
 * account (NULL: all), newest first, with the key that verifies them
 * {public_key, algorithm, items: [{seq, prev_seq, mac, time, signature,
 * message}], next_cursor}; and one made now (published like the periodic
 * ones: database, checkpoint file, log). */
int dom_audit_checkpoints(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_audit_checkpoint_now(dom_ctx_t *c, json_t **out, dom_err_t *e);

/* ---- provider staff and partners ---- */
int dom_staff_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e);
int dom_staff_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_staff_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
/* {name?, role?}; the last active operator keeps the role. */
int dom_staff_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out, dom_err_t *e);
/* Deprovisions a staff member (sessions die); never the last operator. */
int dom_staff_delete(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
int dom_partner_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e);
/* Partner staff manage their own partner's staff only (another partner:
 * not-found), and never remove or demote their partner's last active
 * partner_admin (conflict). */
int dom_partner_staff_delete(dom_ctx_t *c, const char *partner_id, const char *id, json_t **out,
	dom_err_t *e);
/* {name?, role?: partner_admin | partner_support | partner_billing}. */
int dom_partner_staff_update(dom_ctx_t *c, const char *partner_id, const char *id,
	const json_t *body, json_t **out, dom_err_t *e);
int dom_partner_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e);
int dom_partner_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_partner_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
int dom_partner_staff_list(dom_ctx_t *c, const char *partner_id, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
/* {email, name, role?} (role: partner_admin by default). */
int dom_partner_staff_create(dom_ctx_t *c, const char *partner_id, const json_t *body,
	json_t **out, dom_err_t *e);

/* ---- security controls (settings, lockout, sessions, terms, contacts,
 * posture, second factor, password reset) ---- */
int dom_security_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
int dom_security_patch(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_member_unlock(dom_ctx_t *c, const json_t *account, const char *user_id, json_t **out,
	dom_err_t *e);
int dom_account_sessions(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
int dom_account_session_revoke(dom_ctx_t *c, const json_t *account, const char *session_id,
	json_t **out, dom_err_t *e);
int dom_terms_publish(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_terms_current(dom_ctx_t *c, json_t **out, dom_err_t *e);
int dom_terms_accept(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_terms_pending(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* Whether the owner's periodic confirmation of the contacts is overdue. */
bool dom_contacts_overdue(dom_ctx_t *c, const json_t *account);
int dom_contacts_confirm(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
int dom_posture(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* The posture of account counted, not audited (the caller records its
 * read): entries passing, failing and not applicable. 0 / -1. */
int dom_posture_summary(dom_ctx_t *c, const json_t *account, int *pass, int *fail, int *na);
/* Second factor: begin enrolment {secret, otpauth_uri}; the QR code as PNG
 * (*png malloc'd, caller frees); confirm with a first code -> recovery codes;
 * remove (needs a current code). */
int dom_mfa_begin(dom_ctx_t *c, json_t **out, dom_err_t *e);
int dom_mfa_qr(dom_ctx_t *c, unsigned char **png, size_t *len, dom_err_t *e);
int dom_mfa_confirm(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_mfa_remove(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
/* A fresh second-factor check of the calling person before a weighty act
 * (a consent): nothing to do (*checked false) when they have none enrolled;
 * else code must be a current, unused code (*checked true). 0 / -1 with e. */
int dom_mfa_recheck(dom_ctx_t *c, const char *code, bool *checked, dom_err_t *e);
/* Password reset: a request always answers the same (no enumeration); the
 * token is created and stored hashed, and mailed to the person when the
 * service sends mail (mailq.h). dom_reset_create is
 * also what `faxvaultd password-reset` uses to print a token. */
int dom_reset_request(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_reset_create(dom_ctx_t *c, const char *email, char **token, dom_err_t *e);
/* {token, password} (token as for dom_invitation_accept): sets the password
 * and ends every session of the person; a failed attempt is kept the same
 * way. */
int dom_reset_complete(dom_ctx_t *c, const char *token, const json_t *body, json_t **out,
	dom_err_t *e);
/* Sets a new password for person after the policy and history checks. */
int dom_password_set(dom_ctx_t *c, const json_t *person, const char *pw, dom_err_t *e);

/* Records an event in the caller's transaction (thin wrapper of audit_record
 * with the context's actor and source). */
int dom_audit(dom_ctx_t *c, const char *action, const char *target, const char *account_id,
	const char *outcome, const json_t *detail);

/* The contracts the layer's operations use everywhere (src/domain/X/X.h):
 * included last, once the types above are complete, so that each of them
 * can begin with domain.h. */
#include "access/access.h"
#include "audit/audit.h"
#include "fax/fax.h"
#include "identity/identity.h"

#endif
