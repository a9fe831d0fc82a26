/* Provider staff, partner organizations and their staff, and the audit log
 * as read through the API. */
#include <string.h>

#include "dom_util.h"
#include "sec.h"
#include "tenancy.h"
#include "store_partners.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

static int create_person(dom_ctx_t *c, const char *kind, const char *partner_id,
	const json_t *body, const char *role, json_t **out, dom_err_t *e)
{
	char email[EMAIL_MAX + 1];
	const char *name;
	if (body_email(body, "email", email, e) || body_name(body, "name", true, &name, e))
		return -1;
	char *id = person_insert(c, kind, NULL, partner_id, email, name, role, 0, e);
	if (!id)
		return -1;
	json_t *detail = json_pack("{s:s, s:s}", "email", email, "role", role);
	int rc = invited_person_answer(c, id, strcmp(kind, "provider") == 0 ? "staff.create"
		: "partner_staff.create", NULL, detail, out, e);
	json_decref(detail);
	free(id);
	return rc;
}

int dom_staff_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_principal_list(c->tx, "provider", NULL, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "staff could not be read");
	*out = page_json(&pg, person_public);
	return 0;
}

int dom_staff_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "email", "name", "role", NULL };
	const char *role;
	if (body_only(body, allowed, e) || body_str(body, "role", true, &role, e))
		return -1;
	if (!perm_role("provider", role))
		return dom_fail(e, "validation-failed", "role", "role must be operator, support or security");
	return create_person(c, "provider", NULL, body, role, out, e);
}

static json_t *partner_public(const json_t *p)
{
	const json_t *max = json_object_get(p, "max_accounts");
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:O}", "id", rec_str(p, "id"), "name",
		rec_str(p, "name"), "status", rec_str(p, "status"), "created_at",
		time_json(json_object_get(p, "created_at")), "max_accounts",
		json_is_integer(max) ? max : json_null());
	/* The list rows carry neither (store_partner_list). */
	if (json_object_get(p, "display_name")) {
		json_object_update_new(o, dom_partner_limits_json(p));
		json_t *wl = json_object();
		static const char *const keys[] = { "display_name", "support_email", "support_phone",
			"logo_url", NULL };
		for (int i = 0; keys[i]; i++) {
			const json_t *v = json_object_get(p, keys[i]);
			json_object_set_new(wl, keys[i], json_is_string(v) ? json_string(json_string_value(v))
				: json_null());
		}
		json_object_set_new(o, "white_label", wl);
	}
	return o;
}

int dom_partner_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_partner_list(c->tx, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "partners could not be read");
	*out = page_json(&pg, partner_public);
	return 0;
}

int dom_partner_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", NULL };
	const char *name;
	if (body_only(body, allowed, e) || body_name(body, "name", true, &name, e))
		return -1;
	char *id = sec_new_id("prt");
	json_t *p = json_pack("{s:s, s:s, s:s, s:I}", "id", id, "name", name, "status", "active",
		"created_at", (json_int_t)time_now_ms());
	int rc = store_partner_insert(c->tx, p);
	json_t *detail = json_pack("{s:s}", "name", name);
	if (rc == STORE_OK)
		rc = dom_audit(c, "partner.create", id, NULL, "success", detail);
	json_decref(detail);
	if (rc == 0)
		*out = partner_public(p);
	json_decref(p);
	free(id);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the partner could not be stored");
}

/* Partner staff see their own organization only; others do not exist. */
static json_t *partner_visible(dom_ctx_t *c, const char *id)
{
	authz_resource_t r = { .kind = AUTHZ_RES_PARTNER, .partner_id = id };
	if (authz_resource(c->who, AUTHZ_READ, &r, NULL) != AUTHZ_ALLOW)
		return NULL;
	return store_partner_get(c->tx, id);
}

int dom_partner_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *p = partner_visible(c, id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such partner");
	*out = partner_public(p);
	json_decref(p);
	/* The uploaded logo's same-origin address (dom_white_label_of), or null. */
	json_t *wl = json_object_get(*out, "white_label");
	if (json_is_object(wl)) {
		json_t *full = dom_white_label_of(c->tx, id);
		json_object_set(wl, "logo", json_is_object(full) && json_object_get(full, "logo")
			? json_object_get(full, "logo") : json_null());
		json_decref(full);
	}
	return 0;
}

int dom_partner_staff_list(dom_ctx_t *c, const char *partner_id, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	json_t *p = partner_visible(c, partner_id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such partner");
	json_decref(p);
	store_page_t pg;
	if (store_principal_list(c->tx, "partner", partner_id, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "staff could not be read");
	*out = page_json(&pg, person_public);
	return 0;
}

/* Reads body "role": absent, or a partner role of perm.c. */
static int partner_role(const json_t *body, const char **role, dom_err_t *e)
{
	if (body_str(body, "role", false, role, e))
		return -1;
	if (*role && (strncmp(*role, "partner_", 8) != 0 || !perm_role("partner", *role)))
		return dom_fail(e, "validation-failed", "role",
			"role must be partner_admin, partner_support or partner_billing");
	return 0;
}

int dom_partner_staff_create(dom_ctx_t *c, const char *partner_id, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "email", "name", "role", NULL };
	const char *role;
	if (body_only(body, allowed, e) || partner_role(body, &role, e))
		return -1;
	json_t *p = partner_visible(c, partner_id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such partner");
	json_decref(p);
	return create_person(c, "partner", partner_id, body, role ? role : "partner_admin", out, e);
}

/* ---- audit log ---- */

static json_t *event_public(const json_t *ev)
{
	json_t *detail = json_loads(rec_str(ev, "detail"), 0, NULL);
	return json_pack("{s:s, s:I, s:o, s:{s:s, s:s, s:o}, s:s, s:s, s:o, s:s, s:s, s:o, s:s, s:s}",
		"id", rec_str(ev, "id"), "seq", json_integer_value(json_object_get(ev, "seq")),
		"time", time_json(json_object_get(ev, "time")), "actor", "id", rec_str(ev, "actor_id"),
		"type", rec_str(ev, "actor_type"), "on_behalf_of",
		*rec_str(ev, "on_behalf_of") ? json_string(rec_str(ev, "on_behalf_of")) : json_null(),
		"action", rec_str(ev, "action"), "target", rec_str(ev, "target"), "account_id",
		*rec_str(ev, "account_id") ? json_string(rec_str(ev, "account_id")) : json_null(),
		"source", rec_str(ev, "source"), "outcome", rec_str(ev, "outcome"), "detail",
		detail ? detail : json_object(), "hash", rec_str(ev, "hash"), "prev_hash",
		rec_str(ev, "prev_hash"));
}

static int query_time(const json_t *q, const char *key, int64_t *out, dom_err_t *e)
{
	const char *s = json_string_value(json_object_get(q, key));
	*out = 0;
	if (s && time_parse_rfc3339(s, out) != 0)
		return dom_fail(e, "validation-failed", key, "\"%s\" must be an RFC 3339 time", key);
	return 0;
}

/* An event done under a consent or a support access grant, told as the
 * customer reads it: {kind: consent | access_grant, id, by: {id, name},
 * partner: {id, name} | null, text: {en, fr}} ("done by <staff> under
 * consent <id>"); else null (new reference). */
static json_t *delegation_of(store_tx_t *tx, const json_t *ev)
{
	const json_t *d = json_object_get(ev, "detail");
	const char *consent = json_string_value(json_object_get(d, "consent_id"));
	const char *grant = json_string_value(json_object_get(d, "grant_id"));
	const char *actor = json_string_value(json_object_get(json_object_get(ev, "actor"), "id"));
	if ((!consent && !grant) || !actor)
		return json_null();
	json_t *who = store_principal_get(tx, actor);
	json_t *prt = who && *rec_str(who, "partner_id") ? store_partner_get(tx, rec_str(who, "partner_id"))
							   : NULL;
	const char *name = who ? rec_str(who, "name") : actor;
	char *en, *fr;
	if (consent) {
		en = xasprintf("done by %s%s%s%s under consent %s", name, prt ? " (" : "",
			prt ? rec_str(prt, "name") : "", prt ? ")" : "", consent);
		fr = xasprintf("fait par %s%s%s%s au titre du consentement %s", name, prt ? " (" : "",
			prt ? rec_str(prt, "name") : "", prt ? ")" : "", consent);
	} else {
		en = xasprintf("done by %s (provider staff) under access grant %s", name, grant);
		fr = xasprintf("fait par %s (personnel du fournisseur) au titre de l'autorisation d'accès %s",
			name, grant);
	}
	json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:{s:s, s:s}}", "kind",
		consent ? "consent" : "access_grant", "id", consent ? consent : grant, "by", "id", actor,
		"name", name, "partner", prt ? json_pack("{s:s, s:s}", "id", rec_str(prt, "id"), "name",
		rec_str(prt, "name")) : json_null(), "text", "en", en, "fr", fr);
	free(en);
	free(fr);
	json_decref(prt);
	json_decref(who);
	return o;
}

int dom_audit_list(dom_ctx_t *c, const json_t *a, const json_t *q, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	store_audit_filter_t f = { .account_id = a ? rec_str(a, "id") : NULL };
	if (query_time(q, "since", &f.since, e) || query_time(q, "until", &f.until, e))
		return -1;
	f.actor_id = json_string_value(json_object_get(q, "actor"));
	f.action = json_string_value(json_object_get(q, "action"));
	store_page_t pg;
	if (store_audit_list(c->tx, &f, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the audit log could not be read");
	*out = page_json(&pg, event_public);
	/* What was done under a consent or a grant says so, by name. */
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(*out, "items"), i, ev)
		json_object_set_new(ev, "delegation", delegation_of(c->tx, ev));
	/* Reading the log is itself an access to customer data. */
	return dom_audit(c, "audit.read", a ? rec_str(a, "id") : "*", a ? rec_str(a, "id") : NULL,
		"success", NULL);
}

int dom_audit_export(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	const char *acc = rec_str(a, "id");
	*out = audit_export_chain(c->store, c->tx, acc, time_now_ms());
	if (!*out)
		return dom_fail(e, "internal", "", "the audit log could not be read");
	json_t *d = json_pack("{s:I}", "events", (json_int_t)json_array_size(json_object_get(*out,
		"events")));
	int rc = dom_audit(c, "audit.export", acc, acc, "success", d);
	json_decref(d);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the export could not be recorded");
	}
	return 0;
}

/* The checkpoints stored in the database, into a new array (*n of them). */
static audit_checkpoint_t *stored_checkpoints(store_tx_t *tx, size_t *n)
{
	json_t *rows = store_audit_checkpoint_all(tx, NULL);
	size_t cap = json_array_size(rows), i;
	audit_checkpoint_t *cps = xcalloc(cap ? cap : 1, sizeof *cps);
	json_t *row;
	*n = 0;
	json_array_foreach(rows, i, row)
		if (audit_checkpoint_from_row(row, &cps[*n]) == 0)
			(*n)++;
	json_decref(rows);
	return cps;
}

int dom_audit_verify(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	audit_report_t rep;
	audit_verify_opts_t o = { .keys = audit_keys(), .no_key_reason = "this process holds none",
		.cps_stored = true };
	audit_checkpoint_t *cps = stored_checkpoints(c->tx, &o.ncps);
	o.cps = cps;
	int rc = audit_verify(c->store, &o, &rep);
	free(cps);
	if (rc < 0)
		return dom_fail(e, "internal", "", "the audit log could not be read");
	*out = audit_report_json(&rep, rc, c->lang);
	json_t *detail = json_pack("{s:b, s:I}", "ok", rc == 0, "events", (json_int_t)rep.events);
	int arc = dom_audit(c, "audit.verify", "*", NULL, rc == 0 ? "success" : "failure", detail);
	json_decref(detail);
	return arc;
}

static json_t *checkpoint_public(const json_t *row)
{
	audit_checkpoint_t cp;
	return audit_checkpoint_from_row(row, &cp) == 0 ? audit_checkpoint_json(&cp) : json_object();
}

int dom_audit_checkpoints(dom_ctx_t *c, const json_t *a, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_audit_checkpoint_list(c->tx, a ? rec_str(a, "id") : NULL, cursor, limit, &pg) !=
	    STORE_OK)
		return dom_fail(e, "internal", "", "the checkpoints could not be read");
	*out = page_json(&pg, checkpoint_public);
	const audit_keys_t *k = audit_keys();
	char pk[AUDIT_PK_HEX];
	if (k)
		audit_keys_public_hex(k, pk);
	json_object_set_new(*out, "public_key", k ? json_string(pk) : json_null());
	json_object_set_new(*out, "algorithm", json_string("Ed25519"));
	return dom_read_audited(c, "audit_checkpoint.list", a ? rec_str(a, "id") : "*",
		a ? rec_str(a, "id") : NULL, out, e);
}

int dom_audit_checkpoint_now(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	audit_checkpoint_t *cps = NULL;
	size_t n = 0;
	int rc = audit_checkpoint_make(c->tx, time_now_ms(), &cps, &n);
	if (rc < 0)
		return dom_fail(e, audit_keys() ? "internal" : "unavailable", "",
			audit_keys() ? "no checkpoint could be made: see the log (audit.checkpoint_refused)"
				: "this process holds no audit key");
	int64_t head = 0;
	char hh[AUDIT_HASH_HEX];
	if (rc == 1 && store_audit_head(c->tx, &head, hh, NULL) == STORE_OK && head == 0)
		return dom_fail(e, "invalid-state", "", "the audit log is empty");
	/* One checkpoint per chain whose head moved (none when no head did). */
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		audit_checkpoint_announce(&cps[i], c->cfg->audit_checkpoint_file);
		json_array_append_new(list, audit_checkpoint_json(&cps[i]));
	}
	free(cps);
	*out = json_pack("{s:o, s:b}", "checkpoints", list, "new", n > 0);
	json_t *d = json_pack("{s:I, s:b}", "chains", (json_int_t)n, "new", n > 0);
	rc = dom_audit(c, "audit.checkpoint", "*", NULL, "success", d);
	json_decref(d);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the checkpoint could not be recorded");
	}
	return 0;
}

/* ---- staff and partner management ---- */

static json_t *staff_get(dom_ctx_t *c, const char *kind, const char *scope, const char *id)
{
	json_t *p = store_principal_get(c->tx, id);
	if (p && (strcmp(rec_str(p, "kind"), kind) != 0 ||
		    (scope && strcmp(rec_str(p, "partner_id"), scope) != 0))) {
		json_decref(p);
		return NULL;
	}
	return p;
}

/* Marks a person deprovisioned and ends their sessions, in c->tx. */
static int deprovision(dom_ctx_t *c, const json_t *p, const char *action, dom_err_t *e)
{
	if (strcmp(rec_str(p, "status"), "deprovisioned") == 0)
		return 0;
	int64_t now = time_now_ms();
	json_t *upd = json_pack("{s:s, s:n, s:I}", "status", "deprovisioned", "password_hash",
		"updated_at", (json_int_t)now);
	int rc = store_principal_update(c->tx, rec_str(p, "id"), upd);
	json_decref(upd);
	if (rc == STORE_OK)
		rc = store_session_revoke_all(c->tx, rec_str(p, "id"), NULL, now);
	if (rc == STORE_OK)
		rc = dom_audit(c, action, rec_str(p, "id"), NULL, "success", NULL);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the person could not be deprovisioned");
}

static bool last_operator(dom_ctx_t *c, const json_t *p)
{
	return strcmp(rec_str(p, "role"), "operator") == 0 &&
		strcmp(rec_str(p, "status"), "active") == 0 &&
		store_principal_count_role(c->tx, "provider", "operator") <= 1;
}

int dom_staff_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *p = staff_get(c, "provider", NULL, id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such staff member");
	*out = person_public(p);
	json_decref(p);
	return 0;
}

/* Stores a staff member's new name and/or role (NULL: unchanged) and
 * audits action with the old and new values. 0 / -1. */
static int rename_or_rerole(dom_ctx_t *c, const json_t *p, const char *name, const char *role,
	const char *action)
{
	json_t *upd = json_pack("{s:I}", "updated_at", (json_int_t)time_now_ms());
	json_t *detail = json_object();
	if (name) {
		json_object_set_new(upd, "name", json_string(name));
		json_object_set_new(detail, "name", json_pack("{s:s, s:s}", "old", rec_str(p, "name"), "new", name));
	}
	if (role) {
		json_object_set_new(upd, "role", json_string(role));
		json_object_set_new(detail, "role", json_pack("{s:s, s:s}", "old", rec_str(p, "role"), "new", role));
	}
	int rc = store_principal_update(c->tx, rec_str(p, "id"), upd);
	json_decref(upd);
	if (rc == STORE_OK)
		rc = dom_audit(c, action, rec_str(p, "id"), NULL, "success", detail);
	json_decref(detail);
	return rc == 0 ? 0 : -1;
}

int dom_staff_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", "role", NULL };
	const char *name, *role;
	if (body_only(body, allowed, e) || body_name(body, "name", false, &name, e) ||
	    body_str(body, "role", false, &role, e))
		return -1;
	if (role && !perm_role("provider", role))
		return dom_fail(e, "validation-failed", "role", "role must be operator, support or security");
	json_t *p = staff_get(c, "provider", NULL, id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such staff member");
	if (role && strcmp(role, "operator") != 0 && last_operator(c, p)) {
		json_decref(p);
		return dom_fail(e, "conflict", "role", "the last active operator keeps the operator role");
	}
	int rc = rename_or_rerole(c, p, name, role, "staff.update");
	json_decref(p);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the staff member could not be updated");
	return dom_staff_get(c, id, out, e);
}

int dom_staff_delete(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	*out = NULL;
	json_t *p = staff_get(c, "provider", NULL, id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such staff member");
	int rc;
	if (last_operator(c, p))
		rc = dom_fail(e, "conflict", "", "the last active operator cannot be removed");
	else
		rc = deprovision(c, p, "staff.deprovision", e);
	json_decref(p);
	return rc;
}

int dom_partner_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "name", "status", "max_accounts", "allowed_countries",
		"allowed_plans", "features", NULL };
	const char *name, *status;
	if (body_only(body, allowed, e) || body_name(body, "name", false, &name, e) ||
	    body_str(body, "status", false, &status, e))
		return -1;
	/* How many accounts the partner's staff may provision themselves
	 * (R01); null: none. */
	const json_t *max = json_object_get(body, "max_accounts");
	if (max && !json_is_null(max) &&
	    (!json_is_integer(max) || json_integer_value(max) < 0 || json_integer_value(max) > 1000000))
		return dom_fail(e, "validation-failed", "max_accounts",
			"max_accounts must be null or 0 to 1000000");
	if (status && strcmp(status, "active") != 0 && strcmp(status, "suspended") != 0)
		return dom_fail(e, "validation-failed", "status", "status must be active or suspended");
	json_t *p = store_partner_get(c->tx, id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such partner");
	json_t *upd = json_object();
	if (dom_partner_limits_parse(body, upd, e) != 0) {
		json_decref(upd);
		json_decref(p);
		return -1;
	}
	json_t *detail = json_deep_copy(upd);
	if (name) {
		json_object_set_new(upd, "name", json_string(name));
		json_object_set_new(detail, "name", json_pack("{s:s, s:s}", "old", rec_str(p, "name"), "new", name));
	}
	if (max) {
		json_object_set_new(upd, "max_accounts", json_deep_copy(max));
		json_object_set_new(detail, "max_accounts", json_deep_copy(max));
	}
	if (status) {
		json_object_set_new(upd, "status", json_string(status));
		json_object_set_new(detail, "status", json_pack("{s:s, s:s}", "old", rec_str(p, "status"), "new", status));
	}
	int rc = json_object_size(upd) ? store_partner_update(c->tx, id, upd) : STORE_OK;
	json_decref(upd);
	if (rc == STORE_OK)
		rc = dom_audit(c, "partner.update", id, NULL, "success", detail);
	json_decref(detail);
	json_decref(p);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the partner could not be updated");
	return dom_partner_get(c, id, out, e);
}

/* Whether partner staff are about to take away p, the last active admin
 * of their partner: they keep one, or could no longer manage themselves
 * (the provider, who adds partner staff anyway, may). */
static bool last_partner_admin(dom_ctx_t *c, const json_t *p)
{
	return authz_is_partner(c->who) && strcmp(rec_str(p, "role"), "partner_admin") == 0 &&
		strcmp(rec_str(p, "status"), "active") == 0 &&
		store_partner_staff_count_role(c->tx, rec_str(p, "partner_id"), "partner_admin") <= 1;
}

/* The staff member id of partner_id as the caller may see it (partner staff:
 * of their own partner only), or NULL. */
static json_t *partner_staff_visible(dom_ctx_t *c, const char *partner_id, const char *id)
{
	json_t *prt = partner_visible(c, partner_id);
	json_decref(prt);
	return prt ? staff_get(c, "partner", partner_id, id) : NULL;
}

int dom_partner_staff_update(dom_ctx_t *c, const char *partner_id, const char *id,
	const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", "role", NULL };
	const char *name, *role;
	if (body_only(body, allowed, e) || body_name(body, "name", false, &name, e) ||
	    partner_role(body, &role, e))
		return -1;
	json_t *p = partner_staff_visible(c, partner_id, id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such partner staff member");
	if (role && strcmp(role, "partner_admin") != 0 && last_partner_admin(c, p)) {
		json_decref(p);
		return dom_fail(e, "conflict", "role", "the partner's last active admin keeps the role");
	}
	int rc = rename_or_rerole(c, p, name, role, "partner_staff.update");
	json_decref(p);
	json_t *stored = rc == 0 ? store_principal_get(c->tx, id) : NULL;
	if (!stored)
		return dom_fail(e, "internal", "", "the partner staff member could not be updated");
	*out = person_public(stored);
	json_decref(stored);
	return 0;
}

int dom_partner_staff_delete(dom_ctx_t *c, const char *partner_id, const char *id, json_t **out,
	dom_err_t *e)
{
	*out = NULL;
	json_t *p = partner_staff_visible(c, partner_id, id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such partner staff member");
	int rc;
	if (last_partner_admin(c, p))
		rc = dom_fail(e, "conflict", "", "the partner's last active admin cannot be removed");
	else
		rc = deprovision(c, p, "partner_staff.deprovision", e);
	json_decref(p);
	return rc;
}
