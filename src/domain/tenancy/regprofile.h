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
#ifndef FV_DOMAIN_REGPROFILE_H
#define FV_DOMAIN_REGPROFILE_H

#include <jansson.h>

#include "domain.h"
#include "i18n.h"
#include "policy.h"

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

#endif
