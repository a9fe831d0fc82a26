/* Consents of account owners to partners (see consents.h). */
#include "access.h"

#include <string.h>

#include "fax/fax.h"
#include "buf.h"
#include "dom_util.h"
#include "log.h"
#include "notify/notify.h"
#include "render.h"
#include "sec.h"
#include "store_consents.h"
#include "timeutil.h"
#include "xalloc.h"

#define DAY_MS 86400000LL

/* The text an owner agrees to, by version: one version now. {partner},
 * {scope} and {expires_at} are the consent's. */
static const char CONSENT_TEXT_EN[] =
	"I am the owner of this account. I give the staff of the partner {partner} the following "
	"administrative powers on the account: {scope}, until {expires_at} (UTC). I answer for what "
	"they do under this consent. Every action they take under it is recorded in the account's "
	"audit log with this consent's identifier, and I can revoke it at any time.";
static const char CONSENT_TEXT_FR[] =
	"Je suis le propriétaire de ce compte. J'accorde au personnel du partenaire {partner} les "
	"pouvoirs d'administration suivants sur le compte : {scope}, jusqu'au {expires_at} (UTC). Je "
	"réponds de ce qu'il fait au titre de ce consentement. Chacune de ses actions à ce titre est "
	"inscrite au journal d'audit du compte avec l'identifiant de ce consentement, et je peux le "
	"révoquer à tout moment.";

/* The seven administrator powers: what a consent may lend. */
static perm_set_t seven(void)
{
	return PERM_BIT(PERM_NUMBERS_MANAGE) | PERM_BIT(PERM_USERS_MANAGE) |
		PERM_BIT(PERM_ADMINS_MANAGE) | PERM_BIT(PERM_SECURITY_MANAGE) | PERM_BIT(PERM_DATA_READ) |
		PERM_BIT(PERM_BILLING_READ) | PERM_BIT(PERM_SETTINGS_MANAGE);
}

static int64_t rec_int(const json_t *r, const char *key)
{
	const json_t *v = json_object_get(r, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* Replaces {partner}, {scope} and {expires_at} in a consent text (new string). */
static char *text_fill(const char *tpl, const char *partner, const char *scope, const char *expires)
{
	buf_t b;
	buf_init(&b, 8192);
	for (const char *s = tpl; *s;) {
		static const char *const keys[] = { "{partner}", "{scope}", "{expires_at}" };
		const char *vals[] = { partner, scope, expires };
		bool done = false;
		for (size_t i = 0; i < 3 && !done; i++)
			if (strncmp(s, keys[i], strlen(keys[i])) == 0) {
				buf_puts(&b, vals[i]);
				s += strlen(keys[i]);
				done = true;
			}
		if (!done)
			buf_append(&b, s++, 1);
	}
	return buf_steal(&b);
}

static const char *consent_status(const json_t *k, int64_t now)
{
	if (json_is_integer(json_object_get(k, "revoked_at")))
		return "revoked";
	const char *review = rec_str(k, "review");
	if (strcmp(review, "pending_review") == 0 || strcmp(review, "rejected") == 0)
		return review;
	if (rec_int(k, "expires_at") <= now)
		return "expired";
	if (rec_int(k, "starts_at") > now)
		return "pending";
	return "live";
}

/* The API view of a stored consent (new reference). */
static json_t *consent_view(const json_t *k, int64_t now)
{
	perm_set_t scope = perm_set_from_string(rec_str(k, "scope"));
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:s}",
		"id", rec_str(k, "id"), "account_id", rec_str(k, "account_id"), "partner_id",
		rec_str(k, "partner_id"), "scope",
		rec_int(k, "full_scope") ? json_string("full") : perm_set_to_json(scope), "permissions",
		perm_set_to_json(scope), "starts_at", time_json(json_object_get(k, "starts_at")),
		"expires_at", time_json(json_object_get(k, "expires_at")), "signer_id",
		rec_str(k, "signer_id"), "text_version", rec_str(k, "text_version"), "method",
		rec_str(k, "method"), "mfa_checked", rec_int(k, "mfa_checked") != 0, "created_at",
		time_json(json_object_get(k, "created_at")), "revoked_at",
		time_json(json_object_get(k, "revoked_at")), "first_used_at",
		time_json(json_object_get(k, "first_used_at")), "status", consent_status(k, now));
	/* A letter's review: who decided, when and why. */
	if (*rec_str(k, "review"))
		json_object_set_new(o, "review", json_pack("{s:s, s:o, s:o, s:o}", "status",
			rec_str(k, "review"), "reviewed_by", *rec_str(k, "reviewed_by")
			? json_string(rec_str(k, "reviewed_by")) : json_null(), "reviewed_at",
			time_json(json_object_get(k, "reviewed_at")), "reason", *rec_str(k, "review_reason")
			? json_string(rec_str(k, "review_reason")) : json_null()));
	else
		json_object_set_new(o, "review", json_null());
	/* The texts agreed to, as kept with the consent (null for consents
	 * given before they were kept: text_version names them). */
	json_object_set_new(o, "text", *rec_str(k, "text_en") ? json_pack("{s:s, s:s}", "en",
		rec_str(k, "text_en"), "fr", rec_str(k, "text_fr")) : json_null());
	return o;
}

/* Mails the owner of account_id about consent k (kind: one of the consent
 * mails), with actor (who used it) or reason (why a letter was rejected)
 * when not NULL. 0 / -1. */
static int notify_owner_why(store_tx_t *tx, const dom_config_t *cfg, const char *account_id,
	const json_t *k, const char *kind, const char *actor, const char *reason)
{
	json_t *a = store_account_get(tx, account_id, NULL);
	json_t *owner = a ? store_principal_get(tx, rec_str(a, "owner_id")) : NULL;
	json_t *prt = store_partner_get(tx, rec_str(k, "partner_id"));
	int rc = 0;
	if (owner) {
		char *scope = rec_int(k, "full_scope") ? xstrdup("full") : xstrdup(rec_str(k, "scope"));
		char b1[40], b2[40];
		json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
			rec_str(owner, "name"), "account", rec_str(a, "name"), "partner",
			prt ? rec_str(prt, "name") : rec_str(k, "partner_id"), "consent_id", rec_str(k, "id"),
			"scope", scope, "starts_at", time_format_rfc3339(rec_int(k, "starts_at"), b1, sizeof b1),
			"expires_at", time_format_rfc3339(rec_int(k, "expires_at"), b2, sizeof b2), "actor",
			actor ? actor : "");
		if (reason)
			json_object_set_new(params, "reason", json_string(reason));
		rc = mail_queue_tx(tx, cfg->fax, cfg->mail_on, kind, owner, NULL, params, NULL);
		json_decref(params);
		free(scope);
	}
	json_decref(prt);
	json_decref(owner);
	json_decref(a);
	return rc;
}

static int notify_owner(store_tx_t *tx, const dom_config_t *cfg, const char *account_id,
	const json_t *k, const char *kind, const char *actor)
{
	return notify_owner_why(tx, cfg, account_id, k, kind, actor, NULL);
}

static bool is_owner_in_person(const dom_ctx_t *c)
{
	authz_resource_t r = { .kind = AUTHZ_RES_ACCOUNT };
	return authz_resource(c->who, AUTHZ_OWN, &r, NULL) == AUTHZ_ALLOW;
}

/* Reads body "scope": "full" or an array of the seven powers. */
static int parse_scope(const json_t *body, perm_set_t *scope, bool *full, dom_err_t *e)
{
	const json_t *s = json_object_get(body, "scope");
	*full = false;
	if (json_is_string(s) && strcmp(json_string_value(s), "full") == 0) {
		*full = true;
		*scope = seven();
		return 0;
	}
	const char *bad = NULL;
	perm_set_t p = 0;
	if (!s || perm_set_from_json(s, &p, &bad) != 0 || p == 0 || (p & ~seven()))
		return dom_fail(e, "validation-failed", "scope",
			"\"scope\" must be \"full\" or a list of administrator permissions (numbers.manage, "
			"users.manage, admins.manage, security.manage, data.read, billing.read, "
			"settings.manage)");
	*scope = p;
	return 0;
}

static int body_time(const json_t *body, const char *key, bool required, int64_t *ms, dom_err_t *e)
{
	const char *s;
	if (body_str(body, key, required, &s, e))
		return -1;
	if (!s)
		return 0;
	if (time_parse_rfc3339(s, ms) != 0)
		return dom_fail(e, "validation-failed", key, "%s must be an RFC 3339 time", key);
	return 0;
}

/* A consent asked for, checked (consent_check). */
struct consent_req {
	const char *partner_id;
	perm_set_t scope;
	bool full;
	int64_t now, starts, expires;
};

/* Checks body's partner_id, scope, expires_at, starts_at? and
 * text_version? (other keys are the caller's to refuse) into q. */
static int consent_check(dom_ctx_t *c, const json_t *body, struct consent_req *q, dom_err_t *e)
{
	const char *version;
	memset(q, 0, sizeof *q);
	q->now = q->starts = time_now_ms();
	if (body_str(body, "partner_id", true, &q->partner_id, e) ||
	    parse_scope(body, &q->scope, &q->full, e) ||
	    body_time(body, "expires_at", true, &q->expires, e) ||
	    body_time(body, "starts_at", false, &q->starts, e) ||
	    body_str(body, "text_version", false, &version, e))
		return -1;
	if (version && strcmp(version, CONSENT_TEXT_VERSION) != 0)
		return dom_fail(e, "validation-failed", "text_version",
			"the current consent text is version %s", CONSENT_TEXT_VERSION);
	if (q->starts < q->now)
		q->starts = q->now;
	int max_days = c->cfg && c->cfg->consent_max_days > 0 ? c->cfg->consent_max_days : 365;
	if (q->expires <= q->starts)
		return dom_fail(e, "validation-failed", "expires_at", "expires_at must be after the start");
	if (q->expires > q->now + (int64_t)max_days * DAY_MS)
		return dom_fail(e, "validation-failed", "expires_at",
			"a consent lasts at most %d days", max_days);
	json_t *prt = store_partner_get(c->tx, q->partner_id);
	bool active = prt && strcmp(rec_str(prt, "status"), "active") == 0;
	json_decref(prt);
	if (!active)
		return dom_fail(e, "validation-failed", "partner_id", "no such active partner");
	return 0;
}

/* Sets text_en and text_fr of consent record k (partner_id, scope,
 * full_scope, expires_at): the texts the owner agrees to, kept with it. */
static void consent_texts(dom_ctx_t *c, json_t *k)
{
	json_t *p = store_partner_get(c->tx, rec_str(k, "partner_id"));
	const char *scope_txt = rec_int(k, "full_scope") ? "full" : rec_str(k, "scope");
	char exp[40];
	time_format_rfc3339(rec_int(k, "expires_at"), exp, sizeof exp);
	char *en = text_fill(CONSENT_TEXT_EN, rec_str(p, "name"), scope_txt, exp);
	char *fr = text_fill(CONSENT_TEXT_FR, rec_str(p, "name"), scope_txt, exp);
	json_object_set_new(k, "text_en", json_string(en));
	json_object_set_new(k, "text_fr", json_string(fr));
	free(en);
	free(fr);
	json_decref(p);
}

/* Stores the consent q of account a given by method ("in-session", with
 * mfa; or "letter", with the letter's document, waiting for review),
 * audits consent.create and, when it lends at once, mails the owner. */
static int consent_store(dom_ctx_t *c, const json_t *a, const struct consent_req *q,
	const char *method, bool mfa, const char *letter_doc, json_t **out, dom_err_t *e)
{
	char *id = sec_new_id("cns");
	char *names = perm_set_to_string(q->scope);
	json_t *k = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:s, s:s, s:i, s:I}", "id", id,
		"account_id", rec_str(a, "id"), "partner_id", q->partner_id, "scope", names, "full_scope",
		q->full ? 1 : 0, "starts_at", (json_int_t)q->starts, "expires_at", (json_int_t)q->expires,
		"signer_id", c->who->person_id, "text_version", CONSENT_TEXT_VERSION, "method", method,
		"mfa_checked", mfa ? 1 : 0, "created_at", (json_int_t)q->now);
	if (letter_doc) {
		json_object_set_new(k, "review", json_string("pending_review"));
		json_object_set_new(k, "letter_doc", json_string(letter_doc));
	}
	free(names);
	free(id);
	consent_texts(c, k);
	int rc = store_consent_insert(c->tx, k);
	json_t *stored = rc == STORE_OK ? store_consent_get(c->tx, rec_str(a, "id"), rec_str(k, "id")) : NULL;
	json_decref(k);
	if (!stored)
		return dom_fail(e, "internal", "", "the consent could not be stored");
	*out = consent_view(stored, q->now);
	json_t *d = json_pack("{s:s, s:O, s:O, s:O, s:s, s:s, s:b}", "partner_id", q->partner_id, "scope",
		json_object_get(*out, "scope"), "starts_at", json_object_get(*out, "starts_at"),
		"expires_at", json_object_get(*out, "expires_at"), "text_version", CONSENT_TEXT_VERSION,
		"method", method, "mfa_checked", mfa);
	if (letter_doc)
		json_object_set_new(d, "review", json_string("pending_review"));
	rc = dom_audit(c, "consent.create", rec_str(stored, "id"), rec_str(a, "id"), "success", d);
	json_decref(d);
	/* A letter lends nothing before its review: the owner hears of the
	 * start once an operator approved it. */
	if (rc == 0 && !letter_doc)
		rc = notify_owner(c->tx, c->cfg, rec_str(a, "id"), stored, MAIL_KIND_CONSENT_STARTED, NULL);
	json_decref(stored);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the consent could not be recorded");
	}
	return 0;
}

int dom_consent_create(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "partner_id", "scope", "expires_at", "starts_at",
		"text_version", "mfa_code", NULL };
	const char *code;
	if (!is_owner_in_person(c))
		return dom_fail(e, "owner-only", "", "only the account owner, in person, gives a consent");
	struct consent_req q;
	bool mfa = false;
	if (body_only(body, allowed, e) || consent_check(c, body, &q, e) ||
	    body_str(body, "mfa_code", false, &code, e))
		return -1;
	if (dom_mfa_recheck(c, code, &mfa, e))
		return -1;
	return consent_store(c, a, &q, "in-session", mfa, NULL, out, e);
}

int dom_consent_letter(dom_ctx_t *c, const json_t *a, const json_t *fields, const void *letter,
	size_t len, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "partner_id", "scope", "expires_at", "starts_at",
		"text_version", NULL };
	if (!is_owner_in_person(c))
		return dom_fail(e, "owner-only", "", "only the account owner, in person, gives a consent");
	if (body_only(fields, allowed, e))
		return -1;
	/* The form's scope is "full" or a JSON array of permission names. */
	json_t *body = json_deep_copy(fields);
	const char *sc = json_string_value(json_object_get(fields, "scope"));
	if (sc && strcmp(sc, "full") != 0) {
		json_t *arr = json_loads(sc, JSON_REJECT_DUPLICATES, NULL);
		json_object_set_new(body, "scope", arr ? arr : json_null());
	}
	/* q borrows from body until the consent is stored. */
	struct consent_req q;
	const char *acc = rec_str(a, "id");
	char doc_id[DOC_ID_MAX];
	int rc = consent_check(c, body, &q, e);
	if (rc == 0 && !letter)
		rc = dom_fail(e, "validation-failed", "letter",
			"the signed letter (file part \"letter\", a PDF) is required");
	if (rc == 0)
		rc = dom_av_check(c, acc, "letter", letter, len, e);
	if (rc == 0 && render_sniff(letter, len) != RENDER_TYPE_PDF)
		rc = dom_fail(e, "document-unsupported", "letter", "the signed letter must be a PDF");
	if (rc == 0)
		rc = dom_doc_put(c, acc, "consent_letter", letter, len, doc_id, e);
	if (rc == 0)
		rc = consent_store(c, a, &q, "letter", false, doc_id, out, e);
	json_decref(body);
	return rc == 0 ? 0 : -1;
}

/* The API views of stored consents, now; rows released (new array). */
static json_t *consents_view(json_t *rows)
{
	int64_t now = time_now_ms();
	json_t *items = json_array();
	size_t i;
	json_t *k;
	json_array_foreach(rows, i, k)
		json_array_append_new(items, consent_view(k, now));
	json_decref(rows);
	return items;
}

int dom_consent_list(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	const char *partner = authz_partner_scope(c->who);
	json_t *rows = store_consent_list(c->tx, rec_str(a, "id"), partner);
	if (!rows)
		return dom_fail(e, "internal", "", "the consents could not be read");
	json_t *items = consents_view(rows);
	*out = json_pack("{s:o, s:s}", "items", items, "text_version", CONSENT_TEXT_VERSION);
	if (dom_audit(c, "consent.list", rec_str(a, "id"), rec_str(a, "id"), "success", NULL) == 0)
		return 0;
	json_decref(*out);
	*out = NULL;
	return dom_fail(e, "internal", "", "the read could not be recorded");
}

int dom_consent_revoke(dom_ctx_t *c, const json_t *a, const char *consent_id, json_t **out,
	dom_err_t *e)
{
	*out = NULL;
	if (!is_owner_in_person(c))
		return dom_fail(e, "owner-only", "", "only the account owner, in person, revokes a consent");
	int64_t now = time_now_ms();
	int rc = store_consent_revoke(c->tx, rec_str(a, "id"), consent_id, now, c->who->person_id);
	if (rc == STORE_NOTFOUND)
		return dom_fail(e, "not-found", "", "no such consent in force");
	json_t *k = rc == STORE_OK ? store_consent_get(c->tx, rec_str(a, "id"), consent_id) : NULL;
	if (!k)
		return dom_fail(e, "internal", "", "the consent could not be revoked");
	rc = dom_audit(c, "consent.revoke", consent_id, rec_str(a, "id"), "success", NULL);
	/* The end is noticed now, not by the sweep. */
	if (rc == 0 && store_consent_end_noted(c->tx, consent_id, now) == STORE_OK)
		rc = notify_owner(c->tx, c->cfg, rec_str(a, "id"), k, MAIL_KIND_CONSENT_ENDED, NULL);
	json_decref(k);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the consent could not be revoked");
}

int dom_consent_used(dom_ctx_t *c, const json_t *a, const char *consent_id, dom_err_t *e)
{
	int rc = store_consent_first_use(c->tx, consent_id, time_now_ms());
	if (rc == STORE_NOTFOUND)
		return 0; /* used before */
	json_t *k = rc == STORE_OK ? store_consent_get(c->tx, rec_str(a, "id"), consent_id) : NULL;
	json_t *who = k ? store_principal_get(c->tx, c->who->person_id) : NULL;
	rc = k ? 0 : -1;
	if (rc == 0)
		rc = dom_audit(c, "consent.first_use", consent_id, rec_str(a, "id"), "success", NULL);
	if (rc == 0) {
		char actor[200];
		snprintf(actor, sizeof actor, "%s <%s>", who ? rec_str(who, "name") : "",
			who ? rec_str(who, "email") : "");
		rc = notify_owner(c->tx, c->cfg, rec_str(a, "id"), k, MAIL_KIND_CONSENT_USED, actor);
	}
	json_decref(who);
	json_decref(k);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the use of the consent could not be recorded");
}

int dom_consent_sweep(store_t *st, const dom_config_t *cfg, int64_t now, int limit)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *rows = store_consent_ended(tx, now, limit);
	int n = 0, rc = rows ? 0 : -1;
	size_t i;
	json_t *k;
	audit_ctx_t actx = { .actor = "system:consents", .source = "" };
	json_array_foreach(rows, i, k) {
		if (rc != 0)
			break;
		if (store_consent_end_noted(tx, rec_str(k, "id"), now) != STORE_OK)
			continue;
		rc = audit_record(tx, &actx, "consent.expire", rec_str(k, "id"), rec_str(k, "account_id"),
			"success", NULL);
		if (rc == 0)
			rc = notify_owner(tx, cfg, rec_str(k, "account_id"), k, MAIL_KIND_CONSENT_ENDED, NULL);
		n++;
	}
	json_decref(rows);
	if (rc == 0 && store_commit(tx) == STORE_OK)
		return n;
	if (rc != 0)
		store_rollback(tx);
	log_event(LOG_ERROR, "consent.sweep_failed", "consents=%d", n);
	return -1;
}

/* ---- the provider's review of signed letters ---- */

#define REVIEW_REASON_MAX 500

int dom_consent_review_list(dom_ctx_t *c, const json_t *query, json_t **out, dom_err_t *e)
{
	const char *review = json_string_value(json_object_get(query, "review"));
	if (!review)
		review = "pending_review";
	if (strcmp(review, "pending_review") != 0 && strcmp(review, "approved") != 0 &&
	    strcmp(review, "rejected") != 0)
		return dom_fail(e, "invalid-parameter", "review",
			"review must be pending_review, approved or rejected");
	json_t *rows = store_consent_review_list(c->tx, review, 500);
	if (!rows)
		return dom_fail(e, "internal", "", "the consents could not be read");
	json_t *items = consents_view(rows);
	*out = json_pack("{s:o}", "items", items);
	return dom_read_audited(c, "consent.review_list", review, NULL, out, e);
}

/* The consent id waiting for or having had a letter's review, or NULL
 * with e (not-found). */
static json_t *letter_consent(dom_ctx_t *c, const char *id, dom_err_t *e)
{
	json_t *k = store_consent_find(c->tx, id);
	if (!k || !*rec_str(k, "letter_doc")) {
		json_decref(k);
		dom_fail(e, "not-found", "", "no such consent given by letter");
		return NULL;
	}
	return k;
}

int dom_consent_letter_get(dom_ctx_t *c, const char *consent_id, unsigned char **data, size_t *len,
	dom_err_t *e)
{
	*data = NULL;
	*len = 0;
	json_t *k = letter_consent(c, consent_id, e);
	if (!k)
		return -1;
	const char *acc = rec_str(k, "account_id");
	char dir[512] = "", *path = NULL;
	int rc = c->cfg->fax && dom_workdir_new(c->cfg->fax, dir, sizeof dir) == 0 ? 0
		: dom_fail(e, "internal", "", "the letter could not be read");
	if (rc == 0) {
		path = xasprintf("%s/letter.pdf", dir);
		rc = dom_doc_get_file(c, acc, rec_str(k, "letter_doc"), path, e);
	}
	buf_t b;
	buf_init(&b, 64u << 20);
	if (rc == 0 && buf_read_file(&b, path) != 0)
		rc = dom_fail(e, "internal", "", "the letter could not be read");
	/* The operator's read of the letter is in the account's own log. */
	if (rc == 0 && dom_audit(c, "consent.letter.read", consent_id, acc, "success", NULL) != 0)
		rc = dom_fail(e, "internal", "", "the read could not be recorded");
	if (rc == 0) {
		*len = b.len;
		*data = (unsigned char *)buf_steal(&b);
	} else {
		buf_free(&b);
	}
	dom_workdir_wipe(dir);
	free(path);
	json_decref(k);
	return rc;
}

int dom_consent_review(dom_ctx_t *c, const char *consent_id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "decision", "reason", NULL };
	const char *decision, *reason;
	if (body_only(body, allowed, e) || body_str(body, "decision", true, &decision, e) ||
	    body_text(body, true, "reason", REVIEW_REASON_MAX, &reason, e))
		return -1;
	bool approve = strcmp(decision, "approve") == 0;
	if (!approve && strcmp(decision, "reject") != 0)
		return dom_fail(e, "validation-failed", "decision", "decision must be approve or reject");
	json_t *k = letter_consent(c, consent_id, e);
	if (!k)
		return -1;
	int64_t now = time_now_ms();
	char acc[64];
	snprintf(acc, sizeof acc, "%s", rec_str(k, "account_id"));
	int rc = 0;
	if (strcmp(rec_str(k, "review"), "pending_review") != 0)
		rc = dom_fail(e, "invalid-state", "", "the consent's letter was reviewed already");
	else if (approve && (json_is_integer(json_object_get(k, "revoked_at")) ||
			 rec_int(k, "expires_at") <= now))
		rc = dom_fail(e, "invalid-state", "", "the consent has ended: it cannot be approved");
	if (rc == 0 && store_consent_review(c->tx, consent_id, approve ? "approved" : "rejected",
			   c->who->person_id, now, reason) != STORE_OK)
		rc = dom_fail(e, "invalid-state", "", "the consent's letter was reviewed already");
	json_decref(k);
	k = rc == 0 ? store_consent_find(c->tx, consent_id) : NULL;
	if (rc == 0) {
		json_t *d = json_pack("{s:s, s:s}", "decision", decision, "reason", reason);
		rc = dom_audit(c, "consent.review", consent_id, acc, "success", d);
		json_decref(d);
		/* Approved: the consent lends its scope from now (or its start),
		 * and the owner hears of it as of any consent that starts. */
		if (rc == 0 && approve)
			rc = notify_owner(c->tx, c->cfg, acc, k, MAIL_KIND_CONSENT_STARTED, NULL);
		/* Rejected: the owner learns why, once (the review is decided once). */
		else if (rc == 0)
			rc = notify_owner_why(c->tx, c->cfg, acc, k, MAIL_KIND_CONSENT_REJECTED, NULL,
				reason);
		if (rc == 0)
			*out = consent_view(k, now);
		else
			dom_fail(e, "internal", "", "the review could not be recorded");
	}
	json_decref(k);
	return rc;
}

/* ---- what a request weighs (authz_decide) ---- */

int dom_access_load(store_tx_t *tx, const principal_t *p, const json_t *account, int64_t now,
	dom_access_t *a, authz_target_t *t)
{
	memset(a, 0, sizeof *a);
	memset(t, 0, sizeof *t);
	t->account_id = rec_str(account, "id");
	const char *pp = rec_str(account, "partner_id");
	t->partner_id = *pp ? pp : NULL;
	if (!p)
		return 0;
	if (strcmp(p->kind, "partner") == 0) {
		a->rows[0] = store_consent_live(tx, t->account_id, p->partner_id, now);
		if (!a->rows[0])
			return -1;
		size_t i;
		json_t *k;
		json_array_foreach(a->rows[0], i, k) {
			if (t->nconsents >= DOM_ACCESS_MAX)
				break;
			authz_consent_t *x = &a->consents[t->nconsents++];
			x->id = rec_str(k, "id");
			x->partner_id = rec_str(k, "partner_id");
			x->scope = perm_set_from_string(rec_str(k, "scope")) & seven();
			x->starts_at = rec_int(k, "starts_at");
			x->expires_at = rec_int(k, "expires_at");
			x->revoked_at = rec_int(k, "revoked_at");
		}
		t->consents = a->consents;
	} else if (strcmp(p->kind, "provider") == 0 && strcmp(p->type, "user") == 0) {
		a->rows[1] = store_grant_live(tx, t->account_id, p->person_id, now);
		if (!a->rows[1])
			return -1;
		size_t i;
		json_t *g;
		json_array_foreach(a->rows[1], i, g) {
			if (t->ngrants >= DOM_ACCESS_MAX)
				break;
			authz_grant_t *x = &a->grants[t->ngrants++];
			x->id = rec_str(g, "id");
			x->staff_id = rec_str(g, "staff_id");
			x->scope = dom_grant_scope_perms(rec_str(g, "scope"));
			x->approved = strcmp(rec_str(g, "status"), "approved") == 0;
			x->starts_at = rec_int(g, "starts_at");
			x->expires_at = rec_int(g, "expires_at");
		}
		t->grants = a->grants;
	}
	return 0;
}

void dom_access_free(dom_access_t *a)
{
	json_decref(a->rows[0]);
	json_decref(a->rows[1]);
	a->rows[0] = a->rows[1] = NULL;
}
