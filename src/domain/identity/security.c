/* Customer security controls: the account's security settings, password
 * setting with policy and history, lockout release, sessions of an account,
 * terms of service, contacts review, password reset, and the posture
 * checklist that turns the customer's responsibilities into live checks. */
#include <stdio.h>
#include <string.h>

#include "dom_util.h"
#include "fax/fax.h"
#include "store_sso.h"
#include "identity.h"
#include "tenancy/tenancy.h"
#include "notify/notify.h"
#include "sec.h"
#include "store_consents.h"
#include "store_incidents.h"
#include "store_requests.h"
#include "store_retention.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define DAY_MS 86400000LL
/* A member who has not logged in for this long is reported by the C05 check. */
#define INACTIVE_DAYS 90

/* ---- passwords ---- */

int dom_password_set(dom_ctx_t *c, const json_t *person, const char *pw, dom_err_t *e)
{
	sec_policy_t pol;
	dom_policy(c->tx, c->cfg, strcmp(rec_str(person, "kind"), "account") == 0
		? rec_str(person, "account_id") : NULL, &pol);
	i18n_msg_t why;
	if (policy_password_problem(&pol, pw, rec_str(person, "email"), &why) != 0)
		return dom_fail_msg(e, "weak-password", "password", &why);
	const char *cur = json_string_value(json_object_get(person, "password_hash"));
	if (pol.history > 0) {
		json_t *old = store_pwhistory_recent(c->tx, rec_str(person, "id"), pol.history - (cur ? 1 : 0));
		bool reused = cur && sec_pwhash_verify(cur, pw);
		size_t i;
		json_t *h;
		json_array_foreach(old, i, h)
			reused = reused || sec_pwhash_verify(json_string_value(h), pw);
		json_decref(old);
		if (reused)
			return dom_fail(e, "weak-password", "password",
				"the password was used recently; the policy forbids the last %d", pol.history);
	}
	char ph[SEC_PWHASH_MAX];
	if (sec_pwhash(pw, ph) != 0)
		return dom_fail(e, "internal", "", "the password could not be hashed");
	int64_t now = time_now_ms();
	if (cur && store_pwhistory_add(c->tx, rec_str(person, "id"), cur, now) != STORE_OK)
		return dom_fail(e, "internal", "", "the password history could not be stored");
	json_t *upd = json_pack("{s:s, s:I, s:I, s:i, s:n}", "password_hash", ph, "password_changed_at",
		(json_int_t)now, "updated_at", (json_int_t)now, "failed_logins", 0, "locked_until");
	int rc = store_principal_update(c->tx, rec_str(person, "id"), upd);
	json_decref(upd);
	return rc == STORE_OK ? 0 : dom_fail(e, "internal", "", "the password could not be stored");
}

/* ---- settings ---- */

int dom_security_get(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	(void)e;
	sec_policy_t pol;
	dom_policy(c->tx, c->cfg, rec_str(a, "id"), &pol);
	*out = policy_to_json(&pol);
	json_t *row = store_settings_get(c->tx, rec_str(a, "id"));
	json_object_set_new(*out, "updated_at", time_json(row ? json_object_get(row, "updated_at") : NULL));
	json_decref(row);
	return dom_audit(c, "security.read", rec_str(a, "id"), rec_str(a, "id"), "success", NULL);
}

int dom_security_patch(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	sec_policy_t pol;
	dom_policy(c->tx, c->cfg, rec_str(a, "id"), &pol);
	json_t *before = policy_to_json(&pol);
	char field[96] = "";
	i18n_msg_t why;
	/* A document read with GET can be sent back as it is: its read-only
	 * updated_at is ignored. */
	json_t *patch = json_deep_copy(body);
	json_object_del(patch, "updated_at");
	int prc = policy_patch(&c->cfg->limits, &pol, patch, field, sizeof field, &why);
	json_decref(patch);
	if (prc != 0) {
		json_decref(before);
		return dom_fail_msg(e, "validation-failed", field, &why);
	}
	/* The account's regulatory profile keeps its floors. */
	if (regprofile_check_policy(regprofile_find(rec_str(a, "regulatory_profile")), &pol, field,
		sizeof field, &why) != 0) {
		json_decref(before);
		return dom_fail_msg(e, "regulatory-floor", field, &why);
	}
	/* Nobody locks themselves out with the allow-list. */
	if (c->source && !policy_ip_allowed(&pol, c->source)) {
		json_decref(before);
		return dom_fail(e, "validation-failed", "ip_allowlist",
			"the allow-list would exclude your own address (%.60s)", c->source);
	}
	json_t *after = policy_to_json(&pol);
	char *doc = json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = store_settings_put(c->tx, rec_str(a, "id"), doc, time_now_ms());
	free(doc);
	json_t *detail = json_pack("{s:o, s:O}", "old", before, "new", after);
	if (rc == STORE_OK)
		rc = dom_audit(c, "security.update", rec_str(a, "id"), rec_str(a, "id"), "success", detail);
	json_decref(detail);
	if (rc != 0) {
		json_decref(after);
		return dom_fail(e, "internal", "", "the settings could not be stored");
	}
	json_object_set_new(after, "updated_at", time_json(NULL));
	char b[40];
	json_object_set_new(after, "updated_at", json_string(time_format_rfc3339(time_now_ms(), b, sizeof b)));
	*out = after;
	return 0;
}

int dom_member_unlock(dom_ctx_t *c, const json_t *a, const char *uid, json_t **out, dom_err_t *e)
{
	json_t *t = store_member_get(c->tx, rec_str(a, "id"), uid);
	if (!t)
		return dom_fail(e, "not-found", "", "no such user");
	json_t *upd = json_pack("{s:i, s:n}", "failed_logins", 0, "locked_until");
	int rc = store_principal_update(c->tx, uid, upd);
	json_decref(upd);
	if (rc == STORE_OK)
		rc = dom_audit(c, "user.unlock", uid, rec_str(a, "id"), "success", NULL);
	if (rc != 0) {
		json_decref(t);
		return dom_fail(e, "internal", "", "the user could not be unlocked");
	}
	json_t *p = store_principal_get(c->tx, uid);
	*out = person_public(p);
	json_decref(p);
	json_decref(t);
	return 0;
}

/* ---- sessions of an account ---- */

int dom_account_sessions(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	json_t *rows = store_account_sessions(c->tx, rec_str(a, "id"), time_now_ms());
	if (!rows)
		return dom_fail(e, "internal", "", "sessions could not be read");
	json_t *items = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id",
			rec_str(r, "id"), "user_id", rec_str(r, "principal_id"), "email", rec_str(r, "email"),
			"source", rec_str(r, "source"), "created_at", time_json(json_object_get(r, "created_at")),
			"last_seen_at", time_json(json_object_get(r, "last_seen_at")), "expires_at",
			time_json(json_object_get(r, "expires_at"))));
	json_decref(rows);
	*out = json_pack("{s:o, s:n}", "items", items, "next_cursor");
	return dom_audit(c, "session.list", rec_str(a, "id"), rec_str(a, "id"), "success", NULL);
}

int dom_account_session_revoke(dom_ctx_t *c, const json_t *a, const char *sid, json_t **out,
	dom_err_t *e)
{
	*out = NULL;
	if (store_account_session_revoke(c->tx, rec_str(a, "id"), sid, time_now_ms()) != STORE_OK)
		return dom_fail(e, "not-found", "", "no such session in this account");
	return dom_audit(c, "session.revoke", sid, rec_str(a, "id"), "success", NULL);
}

/* ---- terms of service (C06) ---- */

static json_t *terms_view(const json_t *t, const char *lang)
{
	int fr = lang && strcmp(lang, "fr") == 0;
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "version", rec_str(t, "version"), "text",
		rec_str(t, fr ? "text_fr" : "text_en"), "text_en", rec_str(t, "text_en"), "text_fr",
		rec_str(t, "text_fr"), "published_at", time_json(json_object_get(t, "published_at")));
}

int dom_terms_publish(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "version", "text_en", "text_fr", NULL };
	const char *v, *en, *fr;
	if (body_only(body, allowed, e) || body_str(body, "version", true, &v, e) ||
	    body_str(body, "text_en", true, &en, e) || body_str(body, "text_fr", true, &fr, e))
		return -1;
	if (!valid_name(v, strlen(v)) || strlen(v) > 40)
		return dom_fail(e, "validation-failed", "version", "version must be 1 to 40 characters");
	if (!*en || !*fr || strlen(en) > 200000 || strlen(fr) > 200000)
		return dom_fail(e, "validation-failed", !*en ? "text_en" : "text_fr",
			"both texts are required (at most 200000 bytes each)");
	int64_t now = time_now_ms();
	int rc = store_terms_insert(c->tx, v, en, fr, c->who->person_id, now);
	if (rc == STORE_CONFLICT)
		return dom_fail(e, "conflict", "version", "version %s was published already", v);
	json_t *d = json_pack("{s:s}", "version", v);
	if (rc == STORE_OK)
		rc = dom_audit(c, "terms.publish", v, NULL, "success", d);
	json_decref(d);
	/* Every member is told, in the same transaction, that the new terms
	 * wait for them. */
	json_t *people = rc == 0 ? store_members_active_everywhere(c->tx) : NULL;
	size_t i;
	json_t *person;
	json_array_foreach(people, i, person) {
		json_t *mp = json_pack("{s:s, s:s}", "name", rec_str(person, "name"), "version", v);
		if (dom_mail_queue(c, MAIL_KIND_TERMS, person, NULL, mp, NULL) != 0)
			rc = -1;
		json_decref(mp);
	}
	json_decref(people);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the terms could not be stored");
	json_t *t = store_terms_current(c->tx);
	*out = terms_view(t, c->lang);
	json_decref(t);
	return 0;
}

int dom_terms_current(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	json_t *t = store_terms_current(c->tx);
	if (!t)
		return dom_fail(e, "not-found", "", "no terms of service have been published");
	*out = terms_view(t, c->lang);
	if (c->who)
		json_object_set_new(*out, "accepted",
			json_boolean(store_terms_accepted(c->tx, c->who->person_id, rec_str(t, "version"))));
	json_decref(t);
	return 0;
}

int dom_terms_accept(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "version", NULL };
	const char *v;
	if (body_only(body, allowed, e) || body_str(body, "version", true, &v, e))
		return -1;
	if (!authz_in_person(c->who))
		return dom_fail(e, "forbidden", "", "terms are accepted by a person, not an API key");
	json_t *t = store_terms_current(c->tx);
	if (!t) 
		return dom_fail(e, "not-found", "", "no terms of service have been published");
	bool current = strcmp(rec_str(t, "version"), v) == 0;
	json_decref(t);
	if (!current)
		return dom_fail(e, "validation-failed", "version", "only the current version can be accepted");
	int64_t now = time_now_ms();
	int rc = store_terms_accept(c->tx, c->who->person_id, v, c->source ? c->source : "", now);
	json_t *d = json_pack("{s:s}", "version", v);
	if (rc == STORE_OK)
		rc = dom_audit(c, "terms.accept", v, c->who->account_id, "success", d);
	json_decref(d);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the acceptance could not be stored");
	char b[40];
	*out = json_pack("{s:s, s:s, s:s}", "version", v, "accepted_at",
		time_format_rfc3339(now, b, sizeof b), "source", c->source ? c->source : "");
	return 0;
}

int dom_terms_pending(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	json_t *t = store_terms_current(c->tx);
	json_t *items = t ? store_terms_pending(c->tx, rec_str(a, "id"), rec_str(t, "version")) : json_array();
	if (!items) {
		json_decref(t);
		return dom_fail(e, "internal", "", "acceptances could not be read");
	}
	*out = json_pack("{s:o, s:o, s:n}", "version", t ? json_string(rec_str(t, "version")) : json_null(),
		"items", items, "next_cursor");
	json_decref(t);
	return dom_audit(c, "terms.pending", rec_str(a, "id"), rec_str(a, "id"), "success", NULL);
}

/* ---- contacts kept current (C01) ---- */

/* When the owner last confirmed the contacts (or the account's creation). */
static int64_t contacts_reference(store_tx_t *tx, const json_t *a)
{
	json_t *row = store_settings_get(tx, rec_str(a, "id"));
	const json_t *at = row ? json_object_get(row, "contacts_confirmed_at") : NULL;
	int64_t ref = json_is_integer(at) ? json_integer_value(at)
		: json_integer_value(json_object_get(a, "created_at"));
	json_decref(row);
	return ref;
}

int dom_contacts_review_sweep(store_t *st, const dom_config_t *cfg, int64_t now, int limit)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	/* The shortest review period is a month: no account confirmed since
	 * can be due. */
	json_t *rows = store_accounts_for_contacts_review(tx, now - 30 * DAY_MS, limit);
	int n = 0, rc = rows ? 0 : -1;
	size_t i;
	json_t *a;
	static const audit_ctx_t mailer = { .who = NULL, .actor = "system:mail", .source = "",
		.request_id = "" };
	json_array_foreach(rows, i, a) {
		if (rc != 0)
			break;
		const char *acc = rec_str(a, "id");
		const json_t *at = json_object_get(a, "contacts_confirmed_at");
		int64_t ref = json_is_integer(at) ? json_integer_value(at)
			: json_integer_value(json_object_get(a, "created_at"));
		sec_policy_t pol;
		dom_policy(tx, cfg, acc, &pol);
		int64_t due = ref + (int64_t)pol.contacts_review_months * 30 * DAY_MS;
		if (now < due || store_audit_since(tx, acc, "contacts.review_reminded", ref))
			continue;
		json_t *acc_row = store_account_get(tx, acc, NULL);
		char when[40];
		json_t *people = store_incident_recipients(tx, acc);
		size_t k;
		json_t *person;
		json_array_foreach(people, k, person) {
			json_t *mp = json_pack("{s:s, s:s, s:s}", "name", rec_str(person, "name"), "account",
				acc_row ? rec_str(acc_row, "name") : acc, "due_at",
				time_format_rfc3339(due, when, sizeof when));
			if (rc == 0 && mail_queue_tx(tx, cfg->fax, cfg->mail_on, MAIL_KIND_CONTACTS_REVIEW,
					person, NULL, mp, NULL) != 0)
				rc = -1;
			json_decref(mp);
		}
		json_decref(people);
		json_decref(acc_row);
		json_t *d = json_pack("{s:s}", "due_at", when);
		if (rc == 0 && audit_record(tx, &mailer, "contacts.review_reminded", acc, acc, "success",
				d) != STORE_OK)
			rc = -1;
		json_decref(d);
		n++;
	}
	json_decref(rows);
	if (rc == 0 && store_commit(tx) == STORE_OK)
		return n;
	if (rc != 0)
		store_rollback(tx);
	return -1;
}

bool dom_contacts_overdue(dom_ctx_t *c, const json_t *a)
{
	sec_policy_t pol;
	dom_policy(c->tx, c->cfg, rec_str(a, "id"), &pol);
	return time_now_ms() >= contacts_reference(c->tx, a) + (int64_t)pol.contacts_review_months * 30 * DAY_MS;
}

int dom_contacts_confirm(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	authz_resource_t r = { .kind = AUTHZ_RES_ACCOUNT, .account_id = rec_str(a, "id") };
	if (authz_resource(c->who, AUTHZ_OWN, &r, NULL) != AUTHZ_ALLOW)
		return dom_fail(e, "owner-only", "", "only the account owner confirms the contacts");
	int64_t now = time_now_ms();
	int rc = store_contacts_confirm(c->tx, rec_str(a, "id"), now);
	if (rc == STORE_OK)
		rc = dom_audit(c, "contacts.confirm", rec_str(a, "id"), rec_str(a, "id"), "success", NULL);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the confirmation could not be stored");
	sec_policy_t pol;
	dom_policy(c->tx, c->cfg, rec_str(a, "id"), &pol);
	char b1[40], b2[40];
	*out = json_pack("{s:s, s:s}", "confirmed_at", time_format_rfc3339(now, b1, sizeof b1),
		"next_review_due", time_format_rfc3339(now + (int64_t)pol.contacts_review_months * 30 * DAY_MS,
			b2, sizeof b2));
	return 0;
}

/* ---- password reset ---- */

int dom_reset_create(dom_ctx_t *c, const char *email, char **token, dom_err_t *e)
{
	json_t *p = store_principal_by_email(c->tx, email);
	if (!p || strcmp(rec_str(p, "status"), "active") != 0) {
		json_decref(p);
		return dom_fail(e, "not-found", "", "no active person with this address");
	}
	char *tok = sec_new_token("fvr_");
	char h[SEC_SHA256_HEX];
	sec_token_hash(tok, h);
	int rc = store_reset_insert(c->tx, h, rec_str(p, "id"),
		time_now_ms() + (int64_t)c->cfg->reset_minutes * 60000);
	principal_t who;
	dom_principal_from_record(c->tx, p, &who);
	if (rc == STORE_OK)
		rc = dom_audit(c, "password_reset.create", who.id, who.account_id, "success", NULL);
	if (rc == 0) {
		char b[40];
		json_t *params = json_pack("{s:s, s:s}", "name", rec_str(p, "name"), "expires_at",
			time_format_rfc3339(time_now_ms() + (int64_t)c->cfg->reset_minutes * 60000, b,
				sizeof b));
		rc = dom_mail_queue(c, MAIL_KIND_RESET, p, c->lang, params, tok);
		json_decref(params);
	}
	json_decref(p);
	if (rc != 0) {
		free(tok);
		return dom_fail(e, "internal", "", "the reset could not be stored");
	}
	*token = tok;
	return 0;
}

int dom_reset_request(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "email", NULL };
	char email[EMAIL_MAX + 1];
	if (body_only(body, allowed, e) || body_email(body, "email", email, e))
		return -1;
	char *tok = NULL;
	dom_err_t ignored;
	/* Same answer whether the address is known or not; the token goes by
	 * e-mail when the service sends mail (mail.relay; operators can also
	 * issue one with `faxvaultd password-reset`). */
	dom_reset_create(c, email, &tok, &ignored);
	free(tok);
	*out = json_pack("{s:s}", "status", "accepted");
	return 0;
}

int dom_reset_complete(dom_ctx_t *c, const char *token, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const in_path[] = { "password", NULL };
	static const char *const in_body[] = { "token", "password", NULL };
	const char *pw;
	*out = NULL;
	if (body_only(body, token ? in_path : in_body, e) ||
	    (!token && body_str(body, "token", true, &token, e)) ||
	    body_str(body, "password", true, &pw, e))
		return -1;
	json_t *p = person_by_token(c, store_reset_find, token, "active");
	if (!p) {
		dom_fail(e, "reset-invalid", "", "a reset token works once, for %d minutes: "
			"ask for a new one (POST /v1/password-resets)", c->cfg->reset_minutes);
		return token_attempt_failed(c, "password_reset.complete", NULL, "unknown_token");
	}
	int rc = dom_password_set(c, p, pw, e);
	if (rc != 0 && strcmp(e->kind, "weak-password") == 0)
		token_attempt_failed(c, "password_reset.complete", p, "weak_password");
	if (rc == 0) {
		principal_t who;
		dom_principal_from_record(c->tx, p, &who);
		const principal_t *prev = c->who;
		c->who = &who;
		if (token_use(c, store_reset_take, token) != 0 ||
		    store_session_revoke_all(c->tx, who.id, NULL, time_now_ms()) != STORE_OK ||
		    dom_audit(c, "password_reset.complete", who.id, who.account_id, "success", NULL) != 0)
			rc = dom_fail(e, "internal", "", "the password could not be reset");
		c->who = prev;
	}
	json_decref(p);
	return rc;
}

/* ---- posture (C01-C18) ---- */

struct posture_text {
	const char *id, *title_en, *title_fr;
};

static const struct posture_text titles[] = {
	{ "C01", "Owner and billing contacts are kept current", "Le propriétaire et les contacts de facturation sont à jour" },
	{ "C02", "The account has an active owner", "Le compte a un propriétaire actif" },
	{ "C03", "A billing contact receives billing information", "Un contact de facturation reçoit les informations de facturation" },
	{ "C04", "Administrator rights go to the right people", "Les droits d'administrateur vont aux bonnes personnes" },
	{ "C05", "Only people who use the service have access", "Seules les personnes qui utilisent le service y ont accès" },
	{ "C06", "Users accepted the terms of service", "Les utilisateurs ont accepté les conditions d'utilisation" },
	{ "C07", "Administrators protect their credentials with a second factor", "Les administrateurs protègent leurs identifiants par un second facteur" },
	{ "C08", "The password policy is appropriate", "La politique de mots de passe est appropriée" },
	{ "C09", "Retention policies are chosen", "Les durées de conservation sont choisies" },
	{ "C10", "Fax-by-email senders are verified", "Les expéditeurs de fax par courriel sont vérifiés" },
	{ "C11", "Security settings were reviewed", "Les paramètres de sécurité ont été revus" },
	{ "C12", "Settings match the declared regulation", "Les paramètres correspondent à la réglementation déclarée" },
	{ "C13", "Sectorial regulation is declared to the provider", "La réglementation sectorielle est déclarée au fournisseur" },
	{ "C14", "API use stays within limits", "L'utilisation de l'API reste dans les limites" },
	{ "C15", "Penetration tests are authorized", "Les tests d'intrusion sont autorisés" },
	{ "C16", "Traffic changes are announced", "Les changements de trafic sont annoncés" },
	{ "C17", "Fraud and suspicious activity are reported", "Les fraudes et activités suspectes sont signalées" },
	{ "C18", "A partner's full administration rests on consent", "L'administration complète par un partenaire repose sur un consentement" },
};

static void entry(json_t *items, const char *lang, int idx, const char *status, const char *en,
	const char *fr)
{
	int f = lang && strcmp(lang, "fr") == 0;
	json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s}", "id", titles[idx].id, "status",
		status, "title", f ? titles[idx].title_fr : titles[idx].title_en, "detail", f ? fr : en));
}

/* How many of the account's requests of kind there are (at most 500
 * looked at), and how many are in status one or two (either may be NULL). */
static int requests_count(dom_ctx_t *c, const char *account_id, const char *kind,
	const char *one, const char *two, int *in_status)
{
	store_page_t pg = { 0 };
	*in_status = 0;
	if (store_request_page(c->tx, account_id, kind, NULL, NULL, NULL, 500, &pg) != STORE_OK)
		return 0;
	int n = (int)json_array_size(pg.items);
	size_t k;
	json_t *it;
	json_array_foreach(pg.items, k, it) {
		const char *st = rec_str(it, "status");
		if ((one && strcmp(st, one) == 0) || (two && strcmp(st, two) == 0))
			(*in_status)++;
	}
	store_page_free(&pg);
	return n;
}

/* C15, C16 and C17 observe the account's requests to the provider and its
 * fraud settings. */
static void requests_entries(dom_ctx_t *c, json_t *items, const char *lang,
	const char *account_id, bool fraud_hold)
{
	char en[320], fr[320];
	int approved, acked, open;
	int pentests = requests_count(c, account_id, "pentest", "approved", NULL, &approved);
	if (approved) {
		snprintf(en, sizeof en, "%d penetration test(s) approved by the provider, of %d asked for; test only within an approved window.",
			approved, pentests);
		snprintf(fr, sizeof fr, "%d test(s) d'intrusion approuvé(s) par le fournisseur, sur %d demandé(s) ; ne testez que dans une fenêtre approuvée.",
			approved, pentests);
	} else {
		snprintf(en, sizeof en, "No penetration test is approved (%d asked for): ask the provider before testing the service.", pentests);
		snprintf(fr, sizeof fr, "Aucun test d'intrusion n'est approuvé (%d demandé(s)) : demandez au fournisseur avant de tester le service.", pentests);
	}
	entry(items, lang, 14, approved ? "pass" : "not_applicable", en, fr);
	int forecasts = requests_count(c, account_id, "forecast", "acknowledged", NULL, &acked);
	if (forecasts) {
		snprintf(en, sizeof en, "%d traffic forecast(s) announced, %d acknowledged by the provider.", forecasts, acked);
		snprintf(fr, sizeof fr, "%d prévision(s) de trafic annoncée(s), %d prise(s) en compte par le fournisseur.", forecasts, acked);
	} else {
		snprintf(en, sizeof en, "No traffic change is announced: file a traffic forecast before a large increase.");
		snprintf(fr, sizeof fr, "Aucun changement de trafic n'est annoncé : déposez une prévision de trafic avant une forte hausse.");
	}
	entry(items, lang, 15, forecasts ? "pass" : "not_applicable", en, fr);
	int reports = requests_count(c, account_id, "fraud", "open", "investigating", &open);
	snprintf(en, sizeof en, "%d fraud report(s), %d open; automatic detection watches the account and a finding %s outbound faxing.",
		reports, open, fraud_hold ? "holds" : "does not hold");
	snprintf(fr, sizeof fr, "%d signalement(s) de fraude, %d ouvert(s) ; la détection automatique surveille le compte et une alerte %s l'envoi de télécopies.",
		reports, open, fraud_hold ? "suspend" : "ne suspend pas");
	entry(items, lang, 16, "pass", en, fr);
}

/* C18: a partner's administration of the account rests on live consents. */
static void consent_entry(dom_ctx_t *c, json_t *items, const char *lang, const json_t *a)
{
	const char *partner = rec_str(a, "partner_id");
	if (!*partner) {
		entry(items, lang, 17, "not_applicable", "No partner is involved.", "Aucun partenaire n'est concerné.");
		return;
	}
	json_t *live = store_consent_live(c->tx, rec_str(a, "id"), partner, time_now_ms());
	int n = (int)json_array_size(live);
	json_decref(live);
	char en[320], fr[320];
	snprintf(en, sizeof en, "The account was sold by a partner; %d live consent(s) of the owner give it administration powers (without one it sees configuration and usage only).", n);
	snprintf(fr, sizeof fr, "Le compte a été vendu par un partenaire ; %d consentement(s) en cours du propriétaire lui donnent des pouvoirs d'administration (sans consentement, il ne voit que la configuration et l'usage).", n);
	entry(items, lang, 17, "pass", en, fr);
}

/* C09: a retention policy was chosen (PATCH /v1/accounts/{id}/retention),
 * and what it keeps. */
static void retention_entry(dom_ctx_t *c, json_t *items, const char *lang, const char *account_id)
{
	json_t *p = store_retention_get(c->tx, account_id);
	if (!p) {
		entry(items, lang, 8, "fail",
			"No retention period was chosen: faxes are kept until the account is closed. Choose one "
			"(or choose to keep them) in the retention settings.",
			"Aucune durée de conservation n'a été choisie : les fax sont gardés jusqu'à la fermeture "
			"du compte. Choisissez-en une (ou choisissez de les garder) dans les paramètres de "
			"conservation.");
		return;
	}
	char en[320], fr[360], in_en[32] = "kept", out_en[32] = "kept", in_fr[32] = "gardés",
		out_fr[32] = "gardés";
	const json_t *in = json_object_get(p, "inbound_fax_days"), *out = json_object_get(p,
		"outbound_fax_days");
	if (in) {
		long long n = (long long)json_integer_value(in);
		snprintf(in_en, sizeof in_en, "%lld day%s", n, n == 1 ? "" : "s");
		snprintf(in_fr, sizeof in_fr, "%lld jour%s", n, n == 1 ? "" : "s");
	}
	if (out) {
		long long n = (long long)json_integer_value(out);
		snprintf(out_en, sizeof out_en, "%lld day%s", n, n == 1 ? "" : "s");
		snprintf(out_fr, sizeof out_fr, "%lld jour%s", n, n == 1 ? "" : "s");
	}
	bool held = json_integer_value(json_object_get(p, "legal_hold")) != 0;
	snprintf(en, sizeof en, "Received faxes: %s; sent faxes: %s.%s", in_en, out_en,
		held ? " A legal hold stops every deletion." : "");
	snprintf(fr, sizeof fr, "Fax reçus : %s ; fax envoyés : %s.%s", in_fr, out_fr,
		held ? " Une conservation légale suspend toute suppression." : "");
	entry(items, lang, 8, "pass", en, fr);
	json_decref(p);
}

/* C10: fax by e-mail is off, or its mail must come from the account's own
 * servers (allowed_servers) or pass SPF for the sender's domain. */
static void faxmail_entry(dom_ctx_t *c, json_t *items, const char *lang, const char *account_id)
{
	json_t *s = faxmail_settings_of(c->tx, account_id);
	bool on = json_is_true(json_object_get(s, "enabled"));
	size_t nsrv = json_array_size(json_object_get(s, "allowed_servers"));
	size_t nsnd = json_array_size(json_object_get(s, "allowed_senders"));
	bool spf = strcmp(rec_str(s, "spf"), "require") == 0;
	bool dkim = strcmp(rec_str(s, "dkim"), "require") == 0;
	json_decref(s);
	if (!on) {
		entry(items, lang, 9, "not_applicable", "Fax by email is off for this account.",
			"Le fax par courriel est désactivé pour ce compte.");
		return;
	}
	char en[320], fr[360];
	snprintf(en, sizeof en, "Fax by email is on: %zu allowed server range(s), %zu allowed "
		"sender(s) or domain(s) (none: every member), SPF %s, DKIM %s.%s", nsrv, nsnd,
		spf ? "required" : "ignored", dkim ? "required" : "ignored", nsrv || spf ? "" :
		" Anyone can forge a member's address: allow only your mail servers, or require SPF.");
	snprintf(fr, sizeof fr, "Le fax par courriel est activé : %zu plage(s) de serveurs "
		"autorisée(s), %zu expéditeur(s) ou domaine(s) autorisé(s) (aucun : tous les membres), "
		"SPF %s, DKIM %s.%s", nsrv, nsnd, spf ? "exigé" : "ignoré", dkim ? "exigé" : "ignoré",
		nsrv || spf ? "" : " N'importe qui peut usurper l'adresse d'un membre : n'autorisez que "
		"vos serveurs de courriel, ou exigez SPF.");
	entry(items, lang, 9, nsrv || spf ? "pass" : "fail", en, fr);
}

static bool adminish(const json_t *m)
{
	return authz_admin_like(rec_str(m, "role"), person_perms(m));
}

/* The posture entries of account a, in c->lang (new array), or NULL when
 * the members cannot be read. */
static json_t *posture_items(dom_ctx_t *c, const json_t *a)
{
	const char *lang = c->lang;
	int64_t now = time_now_ms();
	json_t *members = store_members_all(c->tx, rec_str(a, "id"));
	if (!members)
		return NULL;
	sec_policy_t pol;
	dom_policy(c->tx, c->cfg, rec_str(a, "id"), &pol);
	int owners_active = 0, billing_active = 0, admins = 0, admins_no_mfa = 0, inactive = 0,
	    active = 0, stale_invites = 0;
	size_t i;
	json_t *m;
	json_array_foreach(members, i, m) {
		const char *st = rec_str(m, "status");
		bool is_active = strcmp(st, "active") == 0;
		if (strcmp(st, "invited") == 0 &&
		    now - json_integer_value(json_object_get(m, "created_at")) > (int64_t)c->cfg->invitation_days * DAY_MS)
			stale_invites++;
		if (!is_active)
			continue;
		active++;
		owners_active += strcmp(rec_str(m, "role"), "owner") == 0;
		billing_active += strcmp(rec_str(m, "role"), "billing") == 0;
		if (adminish(m)) {
			admins++;
			admins_no_mfa += !json_is_integer(json_object_get(m, "totp_confirmed_at"));
		}
		const json_t *ll = json_object_get(m, "last_login_at");
		int64_t seen = json_is_integer(ll) ? json_integer_value(ll) : json_integer_value(json_object_get(m, "updated_at"));
		inactive += now - seen > INACTIVE_DAYS * DAY_MS;
	}
	json_t *items = json_array();
	char en[1024], fr[1024];

	int64_t ref = contacts_reference(c->tx, a);
	int64_t due = ref + (int64_t)pol.contacts_review_months * 30 * DAY_MS;
	char when[40];
	time_format_rfc3339(due, when, sizeof when);
	snprintf(en, sizeof en, now < due ? "Next review due %.10s." : "Review overdue since %.10s: the owner must confirm the contacts.", when);
	snprintf(fr, sizeof fr, now < due ? "Prochaine révision le %.10s." : "Révision en retard depuis le %.10s : le propriétaire doit confirmer les contacts.", when);
	entry(items, lang, 0, now < due ? "pass" : "fail", en, fr);

	entry(items, lang, 1, owners_active == 1 ? "pass" : "fail",
		owners_active == 1 ? "The owner has accepted the invitation." : "The owner has not accepted the invitation yet.",
		owners_active == 1 ? "Le propriétaire a accepté l'invitation." : "Le propriétaire n'a pas encore accepté l'invitation.");

	snprintf(en, sizeof en, "%d active billing contact(s).", billing_active);
	snprintf(fr, sizeof fr, "%d contact(s) de facturation actif(s).", billing_active);
	entry(items, lang, 2, billing_active > 0 ? "pass" : "fail", en, fr);

	snprintf(en, sizeof en, "%d person(s) hold administrator rights; whether they should is the account's judgement.", admins);
	snprintf(fr, sizeof fr, "%d personne(s) détiennent des droits d'administrateur ; le compte juge si elles le doivent.", admins);
	entry(items, lang, 3, "not_applicable", en, fr);

	snprintf(en, sizeof en, "%d active member(s) have not logged in for %d days; %d invitation(s) expired unused.", inactive, INACTIVE_DAYS, stale_invites);
	snprintf(fr, sizeof fr, "%d membre(s) actif(s) sans connexion depuis %d jours ; %d invitation(s) expirée(s) sans suite.", inactive, INACTIVE_DAYS, stale_invites);
	entry(items, lang, 4, inactive == 0 && stale_invites == 0 ? "pass" : "fail", en, fr);

	json_t *t = store_terms_current(c->tx);
	if (!t) {
		entry(items, lang, 5, "not_applicable", "The provider has not published terms of service.",
			"Le fournisseur n'a pas publié de conditions d'utilisation.");
	} else {
		json_t *pend = store_terms_pending(c->tx, rec_str(a, "id"), rec_str(t, "version"));
		size_t np = json_array_size(pend);
		snprintf(en, sizeof en, "%zu active member(s) have not accepted version %s.", np, rec_str(t, "version"));
		snprintf(fr, sizeof fr, "%zu membre(s) actif(s) n'ont pas accepté la version %s.", np, rec_str(t, "version"));
		entry(items, lang, 5, np == 0 ? "pass" : "fail", en, fr);
		json_decref(pend);
	}
	json_decref(t);

	/* Single sign-on: with it required and a provider active, members'
	 * credentials are the provider's (its second factor), and a password
	 * opens nothing but an owner's who has faxvault's second factor. */
	json_t *idps = store_idp_active(c->tx, rec_str(a, "id"));
	int nidp = (int)json_array_size(idps);
	json_decref(idps);
	bool sso_on = pol.sso_required && nidp > 0;
	if (sso_on) {
		snprintf(en, sizeof en, "Members sign in through the account's identity provider, whose second factor applies; %d of %d administrator(s) also have faxvault's.", admins - admins_no_mfa, admins);
		snprintf(fr, sizeof fr, "Les membres se connectent par le fournisseur d'identité du compte, dont le second facteur s'applique ; %d administrateur(s) sur %d ont aussi celui de faxvault.", admins - admins_no_mfa, admins);
	} else {
		snprintf(en, sizeof en, "%d of %d administrator(s) have no second factor.", admins_no_mfa, admins);
		snprintf(fr, sizeof fr, "%d administrateur(s) sur %d n'ont pas de second facteur.", admins_no_mfa, admins);
	}
	entry(items, lang, 6, sso_on || admins_no_mfa == 0 ? "pass" : "fail", en, fr);

	bool pw_ok = policy_meets_defaults(&pol, &c->cfg->limits);
	if (sso_on) {
		entry(items, lang, 7, "pass",
			"Single sign-on is required: members sign in through the account's identity provider.",
			"L'authentification unique est exigée : les membres se connectent par le fournisseur d'identité du compte.");
	} else if (pol.sso_required) {
		entry(items, lang, 7, "fail",
			"Single sign-on is required but no identity provider is active: members cannot sign in.",
			"L'authentification unique est exigée mais aucun fournisseur d'identité n'est actif : les membres ne peuvent pas se connecter.");
	} else {
		snprintf(en, sizeof en, "%s %d identity provider(s) active; single sign-on is not required.",
			pw_ok ? "The password policy meets the NIST SP 800-63B defaults." : "The password policy is weaker than the defaults.", nidp);
		snprintf(fr, sizeof fr, "%s %d fournisseur(s) d'identité actif(s) ; l'authentification unique n'est pas exigée.",
			pw_ok ? "La politique de mots de passe respecte les valeurs NIST SP 800-63B." : "La politique de mots de passe est plus faible que les valeurs par défaut.", nidp);
		entry(items, lang, 7, pw_ok ? "pass" : "fail", en, fr);
	}
	retention_entry(c, items, lang, rec_str(a, "id"));
	faxmail_entry(c, items, lang, rec_str(a, "id"));

	json_t *row = store_settings_get(c->tx, rec_str(a, "id"));
	bool reviewed = row && json_is_integer(json_object_get(row, "updated_at")) &&
		strcmp(rec_str(row, "security"), "{}") != 0;
	json_decref(row);
	entry(items, lang, 10, reviewed ? "pass" : "fail",
		reviewed ? "The account's security settings have been set." : "The security settings are still the provider's defaults: review them.",
		reviewed ? "Les paramètres de sécurité du compte ont été définis." : "Les paramètres de sécurité sont encore ceux par défaut : revoyez-les.");

	const char *prof = rec_str(a, "regulatory_profile");
	if (strcmp(prof, "none") == 0) {
		entry(items, lang, 11, "not_applicable", "No regulation is declared.", "Aucune réglementation n'est déclarée.");
		entry(items, lang, 12, "not_applicable", "No sectorial regulation is declared.", "Aucune réglementation sectorielle n'est déclarée.");
	} else {
		/* The profile's settings are applied when it is declared and kept
		 * by every change since; the entry says what it turned on, and
		 * fails only for settings stored before (should none remain). */
		const reg_profile_t *rp = regprofile_find(prof);
		char field[96] = "";
		i18n_msg_t why;
		bool fits = regprofile_check_policy(rp, &pol, field, sizeof field, &why) == 0;
		json_t *eff = regprofile_effects(rp, lang);
		char list_en[640] = "", list_fr[640] = "";
		size_t k;
		json_t *it;
		json_array_foreach(eff, k, it) {
			size_t n = strlen(list_en);
			snprintf(list_en + n, sizeof list_en - n, " %s", rec_str(it, "rule"));
			n = strlen(list_fr);
			snprintf(list_fr + n, sizeof list_fr - n, " %s", rec_str(it, "rule"));
		}
		if (fits) {
			snprintf(en, sizeof en, "The %s profile is applied:%s", prof, list_en);
			snprintf(fr, sizeof fr, "Le profil %s est appliqué :%s", prof, list_fr);
		} else {
			snprintf(en, sizeof en, "For %s, change %s: %s", prof, field, why.en);
			snprintf(fr, sizeof fr, "Pour %s, modifiez %s : %s", prof, field, why.fr);
		}
		entry(items, lang, 11, fits ? "pass" : "fail", en, fr);
		json_object_set_new(json_array_get(items, json_array_size(items) - 1), "effects", eff);
		snprintf(en, sizeof en, "Declared to the provider: %s, with the settings above.", prof);
		snprintf(fr, sizeof fr, "Déclarée au fournisseur : %s, avec les paramètres ci-dessus.", prof);
		entry(items, lang, 12, "pass", en, fr);
	}
	snprintf(en, sizeof en, "The service enforces %d requests per minute (burst %d).", pol.rpm, pol.burst);
	snprintf(fr, sizeof fr, "Le service applique %d requêtes par minute (rafale %d).", pol.rpm, pol.burst);
	entry(items, lang, 13, "not_applicable", en, fr);
	requests_entries(c, items, lang, rec_str(a, "id"), pol.fraud_hold);
	consent_entry(c, items, lang, a);
	json_decref(members);
	return items;
}

int dom_posture(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	json_t *items = posture_items(c, a);
	if (!items)
		return dom_fail(e, "internal", "", "members could not be read");
	*out = json_pack("{s:s, s:o}", "account_id", rec_str(a, "id"), "items", items);
	return dom_audit(c, "posture.read", rec_str(a, "id"), rec_str(a, "id"), "success", NULL);
}

int dom_posture_summary(dom_ctx_t *c, const json_t *a, int *pass, int *fail, int *na)
{
	*pass = *fail = *na = 0;
	json_t *items = posture_items(c, a);
	if (!items)
		return -1;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const char *st = rec_str(it, "status");
		if (strcmp(st, "pass") == 0)
			(*pass)++;
		else if (strcmp(st, "fail") == 0)
			(*fail)++;
		else
			(*na)++;
	}
	json_decref(items);
	return 0;
}
