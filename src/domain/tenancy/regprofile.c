/* Regulatory profiles that act (see regprofile.h). */
#include "tenancy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_util.h"
#include "store_retention.h"
#include "timeutil.h"

/* The rules of each profile, with where they come from (docs/security.md
 * says the same). Retention of faxes themselves is left to the customer
 * under hipaa and hds: medical-record periods bind the care provider's
 * record, not a transmission service. */
static const reg_profile_t profiles[] = {
	/* HIPAA keeps required documentation six years: 45 CFR
	 * 164.316(b)(2)(i) and 164.530(j)(2). */
	{ .name = "hipaa", .audit_min_days = 2190 },
	/* HDS names no period for access traces; the CNIL recommends six
	 * months to a year for access logs (deliberation 2021-122): a year. */
	{ .name = "hds", .audit_min_days = 365 },
	/* GDPR art. 5(1)(e), storage limitation: no data kept without a
	 * period; ten years is the longest common statutory period for
	 * business records (French Code de commerce L123-22). */
	{ .name = "gdpr", .retention_max_days = 3650, .retention_default_days = 365 },
};

/* Where each profile's second factor, idle timeout and link-only mail
 * come from. */
static const char *common_source(const char *name)
{
	if (strcmp(name, "hipaa") == 0)
		return "45 CFR 164.312(a)(2)(iii), 164.312(d), 164.312(e)(1)";
	if (strcmp(name, "hds") == 0)
		return "HDS certification (ISO/IEC 27001 access control), PGSSI-S";
	return "GDPR art. 25 and 32";
}

static const char *const day_keys[] = { "inbound_fax_days", "outbound_fax_days", "safebox_days" };

const reg_profile_t *regprofile_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof profiles / sizeof profiles[0]; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

static void change(json_t *changes, const char *setting, json_t *old, json_t *new)
{
	if (changes)
		json_array_append_new(changes, json_pack("{s:s, s:o, s:o}", "setting", setting, "old",
			old, "new", new));
	else {
		json_decref(old);
		json_decref(new);
	}
}

void regprofile_tighten(const reg_profile_t *rp, sec_policy_t *p, json_t *changes)
{
	if (!rp)
		return;
	if (p->mfa == MFA_NONE) {
		change(changes, "mfa.required_for", json_string("none"), json_string("admins"));
		p->mfa = MFA_ADMINS;
	}
	if (p->idle_minutes > REGPROFILE_IDLE_MAX) {
		change(changes, "session.idle_timeout_minutes", json_integer(p->idle_minutes),
			json_integer(REGPROFILE_IDLE_MAX));
		p->idle_minutes = REGPROFILE_IDLE_MAX;
	}
	if (p->fax_mail == FAX_MAIL_ATTACHMENT) {
		change(changes, "received_fax_mail", json_string("attachment"), json_string("link"));
		p->fax_mail = FAX_MAIL_LINK;
	}
}

int regprofile_check_policy(const reg_profile_t *rp, const sec_policy_t *p, char *field,
	size_t fieldlen, i18n_msg_t *why)
{
	if (!rp)
		return 0;
	if (p->mfa == MFA_NONE) {
		snprintf(field, fieldlen, "mfa.required_for");
		i18n_msg_set(why, "the %s profile requires a second factor for administrators: "
			"mfa.required_for must be admins or all", rp->name);
		return -1;
	}
	if (p->idle_minutes > REGPROFILE_IDLE_MAX) {
		snprintf(field, fieldlen, "session.idle_timeout_minutes");
		i18n_msg_set(why, "the %s profile allows sessions at most %d minutes idle: "
			"session.idle_timeout_minutes must be %d or less", rp->name, REGPROFILE_IDLE_MAX,
			REGPROFILE_IDLE_MAX);
		return -1;
	}
	if (p->fax_mail == FAX_MAIL_ATTACHMENT) {
		snprintf(field, fieldlen, "received_fax_mail");
		i18n_msg_set(why, "the %s profile mails received faxes as a link that needs a sign-in: "
			"received_fax_mail must be link, safebox or none", rp->name);
		return -1;
	}
	return 0;
}

int regprofile_check_days(const reg_profile_t *rp, const char *key, long long days,
	i18n_msg_t *why)
{
	if (!rp || rp->retention_max_days <= 0)
		return 0;
	if (days < 0) {
		i18n_msg_set(why, "the %s profile keeps no data without a period: %s cannot be null "
			"(keep); at most %d days", rp->name, key, rp->retention_max_days);
		return -1;
	}
	if (days > rp->retention_max_days) {
		i18n_msg_set(why, "the %s profile keeps data at most %d days: %s must be %d or less",
			rp->name, rp->retention_max_days, key, rp->retention_max_days);
		return -1;
	}
	return 0;
}

static void effect(json_t *a, bool fr, const char *setting, const char *en_rule,
	const char *fr_rule, const char *source)
{
	json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "setting", setting, "rule",
		fr ? fr_rule : en_rule, "source", source));
}

json_t *regprofile_effects(const reg_profile_t *rp, const char *lang)
{
	json_t *a = json_array();
	if (!rp)
		return a;
	bool fr = i18n_is_fr(lang);
	const char *src = common_source(rp->name);
	effect(a, fr, "mfa.required_for", "Administrators need a second factor (admins or all).",
		"Les administrateurs doivent avoir un second facteur (admins ou all).", src);
	effect(a, fr, "session.idle_timeout_minutes", "Sessions end after at most 15 minutes idle.",
		"Les sessions prennent fin après au plus 15 minutes d'inactivité.", src);
	effect(a, fr, "received_fax_mail",
		"Received faxes are mailed as a link that needs a sign-in, never attached.",
		"Les fax reçus sont envoyés par courriel sous forme de lien demandant une connexion, "
		"jamais en pièce jointe.", src);
	char en[256], frs[256];
	if (rp->audit_min_days > 0) {
		int years = rp->audit_min_days / 365;
		snprintf(en, sizeof en, "Audit events are kept at least %d year%s (faxvault deletes "
			"none).", years, years == 1 ? "" : "s");
		snprintf(frs, sizeof frs, "Les événements d'audit sont gardés au moins %d an%s "
			"(faxvault n'en supprime aucun).", years, years == 1 ? "" : "s");
		effect(a, fr, "audit", en, frs, strcmp(rp->name, "hipaa") == 0
			? "45 CFR 164.316(b)(2)(i), 164.530(j)(2)" : "CNIL deliberation 2021-122");
	}
	if (rp->retention_max_days > 0) {
		snprintf(en, sizeof en, "Faxes and SafeBoxes are kept at most %d days, never without a "
			"period (%d days where none was chosen).", rp->retention_max_days,
			rp->retention_default_days);
		snprintf(frs, sizeof frs, "Les fax et les SafeBox sont gardés au plus %d jours, jamais "
			"sans durée (%d jours là où aucune n'était choisie).", rp->retention_max_days,
			rp->retention_default_days);
		effect(a, fr, "retention", en, frs, "GDPR art. 5(1)(e)");
	}
	return a;
}

/* Gives each period of the retention policy still "keep" the profile's
 * default, and clamps longer ones to its ceiling. */
static int apply_retention(dom_ctx_t *c, const reg_profile_t *rp, const char *account_id,
	json_t *changes, dom_err_t *e)
{
	if (rp->retention_max_days <= 0)
		return 0;
	json_t *before = store_retention_get(c->tx, account_id);
	json_t *p = before ? json_deep_copy(before) : json_pack("{s:s, s:i}", "account_id",
		account_id, "legal_hold", 0);
	bool changed = false;
	for (size_t i = 0; i < sizeof day_keys / sizeof day_keys[0]; i++) {
		const json_t *v = json_object_get(p, day_keys[i]);
		json_int_t d = v ? json_integer_value(v) : -1;
		json_int_t nd = d < 0 ? rp->retention_default_days
			: d > rp->retention_max_days ? rp->retention_max_days : d;
		if (nd == d)
			continue;
		change(changes, day_keys[i], d < 0 ? json_null() : json_integer(d), json_integer(nd));
		json_object_set_new(p, day_keys[i], json_integer(nd));
		changed = true;
	}
	int rc = 0;
	if (changed) {
		json_object_set_new(p, "updated_at", json_integer(time_now_ms()));
		if (store_retention_put(c->tx, p) != STORE_OK)
			rc = dom_fail(e, "internal", "", "the retention policy could not be saved");
	}
	json_decref(before);
	json_decref(p);
	return rc;
}

int dom_regprofile_apply(dom_ctx_t *c, const char *account_id, const char *name,
	json_t **changes, dom_err_t *e)
{
	*changes = json_array();
	const reg_profile_t *rp = regprofile_find(name);
	if (!rp)
		return 0;
	sec_policy_t pol;
	dom_policy(c->tx, c->cfg, account_id, &pol);
	size_t before = json_array_size(*changes);
	regprofile_tighten(rp, &pol, *changes);
	if (json_array_size(*changes) > before) {
		json_t *doc = policy_to_json(&pol);
		char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(doc);
		int rc = s ? store_settings_put(c->tx, account_id, s, time_now_ms()) : STORE_ERROR;
		free(s);
		if (rc != STORE_OK) {
			json_decref(*changes);
			*changes = NULL;
			return dom_fail(e, "internal", "", "the settings could not be stored");
		}
	}
	if (apply_retention(c, rp, account_id, *changes, e) != 0) {
		json_decref(*changes);
		*changes = NULL;
		return -1;
	}
	return 0;
}
