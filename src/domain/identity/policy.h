/* An account's security settings (issue "customer security controls"):
 * password policy, second factor, session lifetimes, IP allow-list, API rate
 * limit, contacts review. Stored as one JSON document per account; the
 * provider's configuration gives the defaults and the limits an account can
 * only tighten. */
#ifndef FV_POLICY_H
#define FV_POLICY_H

#include <jansson.h>
#include <stdbool.h>

#include "cidr.h"
#include "i18n.h"

#define POLICY_CIDR_MAX 64

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

enum mfa_required { MFA_NONE, MFA_ADMINS, MFA_ALL };
/* How a received fax reaches the member its number routes to by mail:
 * the PDF attached, a notice that asks them to sign in, or no mail. */
enum fax_mail { FAX_MAIL_ATTACHMENT, FAX_MAIL_LINK, FAX_MAIL_NONE, FAX_MAIL_SAFEBOX };

/* The name of m ("attachment", "link", "none", "safebox"). */
const char *policy_fax_mail_name(enum fax_mail m);

typedef struct sec_policy {
	int min_length, max_length;
	bool check_common;
	int history;        /* previous passwords that may not be reused */
	int max_age_days;   /* 0: no expiry */
	int lockout_threshold, lockout_minutes;
	bool require_upper, require_lower, require_digit, require_symbol;
	enum mfa_required mfa;
	int idle_minutes, max_hours;
	int ncidr;
	cidr_t cidr[POLICY_CIDR_MAX];
	int rpm, burst;
	int contacts_review_months;
	enum fax_mail fax_mail; /* received_fax_mail */
	bool sso_required;      /* members sign in through an identity provider only
				   (sso.md): password sign-in is refused but for an
				   owner with a second factor */
	bool fraud_hold;        /* a finding of the fraud detection holds the
				   account's outbound faxing until an administrator
				   confirms (fraud.h); off by default */
	bool grants_auto_config; /* access_grants_auto_config: a support access
				    request for the config.read scope is approved
				    at once (consents.h); off by default */
	bool shared_inbox_safebox; /* with fax_mail FAX_MAIL_SAFEBOX, a fax routed to
				      the shared inbox is delivered as a SafeBox to
				      every active member who may read the inbox
				      (data.read); off by default */
} sec_policy_t;

/* The provider defaults. */
void policy_defaults(const sec_limits_t *lim, sec_policy_t *p);
/* Overlays a stored document (as written by policy_to_json) on the defaults;
 * values outside today's limits are clamped to them. */
void policy_from_json(const sec_limits_t *lim, const json_t *doc, sec_policy_t *p);
/* The resource of GET /v1/accounts/{id}/security (new reference). */
json_t *policy_to_json(const sec_policy_t *p);
/* Applies a PATCH document to p: unknown fields, wrong types, values out of
 * bounds, a policy looser than the provider's, min above max, bad CIDRs are
 * refused with the field path in *field and a sentence naming it in why
 * (English and French). 0, or -1 with p unchanged. */
int policy_patch(const sec_limits_t *lim, sec_policy_t *p, const json_t *patch, char *field,
	size_t fieldlen, i18n_msg_t *why);
/* Checks a new password against the policy (length, common list,
 * composition when enabled, e-mail local part). 0 when acceptable, else -1
 * with the reason in why (naming the policy's limit where one applies).
 * History is checked by the caller (needs hashes). */
int policy_password_problem(const sec_policy_t *p, const char *pw, const char *email,
	i18n_msg_t *why);
/* Whether the address is allowed (an empty list allows every address). */
bool policy_ip_allowed(const sec_policy_t *p, const char *addr);
/* Whether the policy is at least as strict as the NIST-style defaults. */
bool policy_meets_defaults(const sec_policy_t *p, const sec_limits_t *lim);

#endif
