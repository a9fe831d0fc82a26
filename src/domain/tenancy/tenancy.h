/* Partner self-service (R01, R02): what a partner's staff see of the
 * accounts their partner provisioned.
 *
 * The partner's view of its accounts carries usage, call totals, the plan
 * and a posture summary (how many posture checks pass and fail) per
 * account: counts, never fax content, SafeBoxes or audit payloads. Partner
 * roles and staff management live with the other staff operations
 * (domain.h, provider.c). Operations follow the conventions of domain.h. */

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_TENANCY_H
#define FV_DOMAIN_TENANCY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "i18n.h"
#include "identity/identity.h"

/* The window of dom_partner_accounts at now (ms): since and until from the
 * query (RFC 3339), by default the start of now's UTC month and now. An
 * empty default window (now is a month's first millisecond) is valid; a
 * since after until, or equal to a given until, is invalid-parameter, as is
 * a time that is not RFC 3339. */
int dom_partner_window(const json_t *query, int64_t now, int64_t *since, int64_t *until,
	dom_err_t *e);

/* GET /v1/partners/{partner_id}/accounts?since=&until= (RFC 3339; by
 * default the current UTC month up to now): a page of {id, name, status,
 * regulatory_profile, created_at, plan: {kind, included_pages} | null,
 * usage: {calls, outbound, inbound, ok, pages, duration_ms, cost,
 * currency}, posture: {pass, fail, not_applicable}}, with since and until.
 * Partner staff see their own partner only (another: not-found). Each
 * account's summary read is recorded in that account's audit log. */
int dom_partner_accounts(dom_ctx_t *c, const char *partner_id, const json_t *query,
	const char *cursor, int limit, json_t **out, dom_err_t *e);

/* The provider's limits on a partner's accounts (R01), in PATCH
 * /v1/partners/{id}: allowed_countries (ISO 3166 alpha-2 codes of the
 * numbers they may request), allowed_plans (prepaid, postpaid), features
 * (safebox, fax_by_email, scim); each a list, or null for no limit. Reads
 * those of body into upd in store form (a space-separated string or
 * null). 0, or -1 with e. */
int dom_partner_limits_parse(const json_t *body, json_t *upd, dom_err_t *e);
/* {allowed_countries, allowed_plans, features} of a stored partner, each
 * an array or null (new reference). */
json_t *dom_partner_limits_json(const json_t *partner);
/* Whether the provider's limits on the partner of account_id let it use
 * value: limit "country" (the ISO 3166 code of a number it requests),
 * "plan" (a plan kind) or "feature" (safebox, fax_by_email, scim). An
 * account without a partner, or a partner without that limit: 0. Else -1
 * with e: validation-failed on field for a country or a plan, forbidden
 * for a feature. */
int dom_partner_allows(dom_ctx_t *c, const char *account_id, const char *limit, const char *value,
	const char *field, dom_err_t *e);

/* The white label of partner_id, {display_name, support_email,
 * support_phone, logo_url, logo: the same-origin address of the uploaded
 * logo} (unset: null), or JSON null when the partner
 * has no display name or partner_id is NULL or "" (new reference). */
json_t *dom_white_label_of(store_tx_t *tx, const char *partner_id);
/* PUT /v1/partners/{id}/white-label/logo (multipart, the part "logo"): a
 * PNG or JPEG of at most LOGO_BYTES_MAX bytes, its type read from its
 * header (logo.h), anti-virus checked; stored and served at faxvault's
 * origin. Audited as partner.white_label.logo.update. *out: the partner. */
int dom_partner_logo_put(dom_ctx_t *c, const char *partner_id, const void *data, size_t len,
	json_t **out, dom_err_t *e);
/* DELETE /v1/partners/{id}/white-label/logo; audited. */
int dom_partner_logo_delete(dom_ctx_t *c, const char *partner_id, dom_err_t *e);
/* GET /v1/me/white-label/logo: the logo of the partner whose white label
 * the caller sees (their account's partner, or their own partner for its
 * staff): *data (malloc'd) and its type; 404 when there is none. */
int dom_my_logo(dom_ctx_t *c, unsigned char **data, size_t *len, const char **ctype,
	dom_err_t *e);
/* PATCH /v1/partners/{id}/white-label {display_name?, support_email?,
 * support_phone?, logo_url? (https)}, each null to clear: the operator, or
 * the partner's own admins (another partner: not-found). Audited as
 * partner.white_label.update. *out: the partner. */
int dom_partner_white_label(dom_ctx_t *c, const char *partner_id, const json_t *body, json_t **out,
	dom_err_t *e);

/* Account closure (P10): the owner (in person, second factor re-checked)
 * or an operator closes an account; it is `closing` for a grace period
 * (dom_config_t.closure_grace_days, accounts.closure_grace_days), during
 * which sending, receiving and signing in stop, except that the owner and
 * operators may still read, export and cancel; at its end the fax
 * service's periodic pass destroys the account by crypto-shredding (its
 * key and every document key deleted, then the blobs), deletes its
 * content, secrets, sessions and API keys, quarantines its numbers and
 * deprovisions its members. The account row stays as `destroyed` with a
 * deletion certificate, recorded in the audit chain as account.destroy and
 * mailed to the owner. A legal hold (on the account, a fax or a SafeBox)
 * stops the destruction until it is lifted. See docs/operations.md
 * ("Closing an account").
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
/* Grace period when the provider sets none. */
#define CLOSURE_GRACE_DAYS_DEFAULT 30
/* Characters of a closure's reason. */
#define CLOSURE_REASON_MAX 200

/* GET /v1/accounts/{id}/closure: {account_id, state ("none", "closing",
 * "cancelled", "destroyed"), requested_at, requested_by, destroy_at,
 * reason, cancelled_at, destroyed_at, held (a legal hold stops the
 * destruction), certificate (the deletion certificate once destroyed, else
 * null)}. Audited as account.closure.read. */
int dom_closure_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* POST /v1/accounts/{id}/closure {reason?, mfa_code?}: by the owner in
 * person (a current second-factor code when they have one) or provider
 * staff with provider.accounts.manage. Answers as dom_closure_get.
 * Audited as account.closure.start; the owner is mailed. */
int dom_closure_start(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* DELETE /v1/accounts/{id}/closure: cancels a closure in its grace period
 * (the same people); the account gets its status back. Audited as
 * account.closure.cancel. */
int dom_closure_cancel(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);

/* The status an API answer shows for account record a: its stored status,
 * except that a closed account shows "closing" or "destroyed" as its
 * closure says. Static storage. */
const char *dom_closure_status(store_tx_t *tx, const json_t *a);
/* Whether account_id is closing (in its grace period). */
bool dom_closure_closing(store_tx_t *tx, const char *account_id);

/* One pass at now: destroys up to limit accounts whose grace period has
 * ended (each in its own transaction, by system:closure), skipping those
 * under a legal hold. The number destroyed, or -1 when the store failed. */
int dom_closure_sweep(store_t *st, const dom_config_t *cfg, int64_t now, int limit);

/* The header of an image a partner uploads as its logo (pure: no I/O). */
#define LOGO_BYTES_MAX (256 * 1024) /* the most a logo may weigh */
#define LOGO_DIM_MAX 4096           /* the widest and tallest a logo may be */

/* The type of the image in p[0..n) read from its header, never from a
 * name or a declared type: "image/png" (the signature, then IHDR first
 * with its width and height) or "image/jpeg" (SOI, then markers up to a
 * start-of-frame with its dimensions), with *w and *h set; NULL for
 * anything else, a header cut short, or a side of 0 or over LOGO_DIM_MAX. */
const char *logo_sniff(const unsigned char *p, size_t n, int *w, int *h);

/* Regulatory profiles that act (C12, C13): what declaring hipaa, hds or
 * gdpr on an account turns on, the floors it keeps on every later change of
 * the security settings and the retention policy, and the list of its
 * effects shown in the posture and to the provider.
 * See docs/security.md ("Regulatory profiles").
 *
 * Every profile requires a second factor for administrators, an idle
 * timeout of at most REGPROFILE_IDLE_MAX minutes and received faxes mailed
 * as a link that needs a sign-in (never attached); each adds its own
 * retention rules (the table in regprofile.c, with its sources). */
/* Longest idle timeout, in minutes, under any profile. */
#define REGPROFILE_IDLE_MAX 15

typedef struct reg_profile {
	const char *name;
	int audit_min_days;  /* audit events kept at least this long (0: no rule) */
	int retention_max_days; /* ceiling of the three retention periods; "keep"
				   refused (0: no ceiling) */
	int retention_default_days; /* set where the account keeps forever when the
				       profile is declared (0: none) */
} reg_profile_t;

/* The profile called name, or NULL for "none" and unknown names. Static. */
const reg_profile_t *regprofile_find(const char *name);

/* Tightens p to the profile's floors. Each setting changed is appended to
 * changes (borrowed; may be NULL) as {setting, old, new}. */
void regprofile_tighten(const reg_profile_t *rp, sec_policy_t *p, json_t *changes);

/* 0 when p meets the profile's floors; else -1 with the setting's path in
 * field and a sentence naming the floor in why (English and French). */
int regprofile_check_policy(const reg_profile_t *rp, const sec_policy_t *p, char *field,
	size_t fieldlen, i18n_msg_t *why);

/* 0 when a retention period of days for key ("inbound_fax_days",
 * "outbound_fax_days", "safebox_days"; days < 0: keep) fits the profile;
 * else -1 with why. */
int regprofile_check_days(const reg_profile_t *rp, const char *key, long long days,
	i18n_msg_t *why);

/* What the profile turns on, for people: an array of {setting, rule,
 * source} in lang ("fr" or English), new reference; an empty array for
 * NULL. */
json_t *regprofile_effects(const reg_profile_t *rp, const char *lang);

/* Applies the profile called name to the account in c->tx: tightens its
 * stored security settings and, for a profile with a retention ceiling,
 * gives each period still "keep" the profile's default. *changes (new
 * reference) lists what changed ({setting, old, new}). 0, or -1 with e. */
int dom_regprofile_apply(dom_ctx_t *c, const char *account_id, const char *name,
	json_t **changes, dom_err_t *e);

/* An account's security contacts (P14): the people, besides its owner and
 * administrators, whom breach notices (incidents.h, dom_incident_notify)
 * also reach, each in their language. The owner and administrators holding
 * security.manage list, add and remove them; each change is audited in the
 * account's log (security_contact.create, security_contact.delete), a list
 * as security_contact.list.
 *
 * Operations follow domain.h: they run in c->tx and return 0 with *out set
 * (new reference), or -1 with e filled in. */
#define SECCONTACTS_MAX 10 /* contacts of one account */

/* GET /v1/accounts/{id}/security-contacts: {items: [{id, name, email,
 * phone (E.164 or null), lang, created_at}]}. */
int dom_seccontact_list(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* POST …/security-contacts {name, email, phone?, lang? (en, fr; default
 * en)}: the contact (409 conflict for an address already named, 422
 * validation-failed past SECCONTACTS_MAX). */
int dom_seccontact_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* DELETE …/security-contacts/{contact_id}. */
int dom_seccontact_delete(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);

/* Appends to people (an array of person records) the security contacts of
 * account_id whose address is not already among them, as records {id,
 * account_id, email, name, lang} that dom_mail_queue takes. 0, or -1 when
 * they could not be read. */
int seccontact_recipients(store_tx_t *tx, const char *account_id, json_t *people);

#endif
