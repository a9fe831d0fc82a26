/* Account members (owner, admins, billing contacts, users, custom roles) and
 * their API keys. The rules of C02 and C04b/c live here: nobody grants a
 * permission they do not hold, only holders of admins.manage touch
 * administrators, and nobody removes or demotes the owner. */
#include <string.h>

#include "dom_util.h"
#include "access/access.h"
#include "sec.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

int member_may_grant(dom_ctx_t *c, const char *role, perm_set_t p, perm_set_t given,
	dom_err_t *e)
{
	authz_resource_t r = { .kind = AUTHZ_RES_MEMBER, .role = role, .perms = p };
	perm_set_t need;
	if (authz_resource(c->who, AUTHZ_MANAGE, &r, &need) != AUTHZ_ALLOW)
		return dom_fail(e, "forbidden", "role", "managing this role needs the %s permission",
			perm_info(need == PERM_BIT(PERM_ADMINS_MANAGE) ? PERM_ADMINS_MANAGE : PERM_USERS_MANAGE)->name);
	perm_set_t ceiling = authz_ceiling(c->who, AUTHZ_RES_MEMBER);
	if (given & ~ceiling) {
		char *missing = perm_set_to_string(given & ~ceiling);
		dom_fail(e, "permission-not-held", "role",
			"you cannot grant permissions you do not hold: %.180s", missing);
		free(missing);
		return -1;
	}
	return 0;
}

/* Checks that the caller may give `role` (with `permissions` or a named
 * role's `custom_role_id` for role "custom") and fills *perms with what the
 * role would hold, *named with the named role given (new reference) or
 * NULL. */
static int may_assign(dom_ctx_t *c, const json_t *a, const json_t *body, const char *role,
	perm_set_t *perms, json_t **named, dom_err_t *e)
{
	*named = NULL;
	if (strcmp(role, "owner") == 0)
		return dom_fail(e, "owner-protected", "role",
			"ownership is only given by the owner, with owner-transfer");
	perm_set_t p = 0;
	const json_t *rid = json_object_get(body, "custom_role_id");
	if (strcmp(role, "custom") == 0 && rid) {
		if (json_object_get(body, "permissions"))
			return dom_fail(e, "validation-failed", "permissions",
				"give either \"permissions\" or \"custom_role_id\", not both");
		*named = json_is_string(rid) ? role_find(c, rec_str(a, "id"), json_string_value(rid)) : NULL;
		if (!*named)
			return dom_fail(e, "validation-failed", "custom_role_id",
				"\"custom_role_id\" names no role of this account");
		p = role_perms(*named);
	} else if (strcmp(role, "custom") == 0) {
		if (custom_perms_parse(json_object_get(body, "permissions"), &p, e))
			return -1;
	} else {
		if (json_object_get(body, "permissions"))
			return dom_fail(e, "validation-failed", "permissions",
				"\"permissions\" is only for role \"custom\"");
		if (rid)
			return dom_fail(e, "validation-failed", "custom_role_id",
				"\"custom_role_id\" is only for role \"custom\"");
		p = perm_role("account", role);
		if (!p)
			return dom_fail(e, "validation-failed", "role",
				"role must be admin, billing, user or custom");
	}
	if (member_may_grant(c, role, p, p, e)) {
		json_decref(*named);
		*named = NULL;
		return -1;
	}
	*perms = p;
	return 0;
}

/* The caller may act on an existing member: the owner is untouchable (except
 * its name), administrators need admins.manage. */
static int may_touch(dom_ctx_t *c, const json_t *target, bool name_only, dom_err_t *e)
{
	if (strcmp(rec_str(target, "role"), "owner") == 0 && !name_only)
		return dom_fail(e, "owner-protected", "", "the owner cannot be removed or demoted; "
			"the owner can transfer ownership first");
	authz_resource_t r = { .kind = AUTHZ_RES_MEMBER, .owner_id = rec_str(target, "id"),
		.role = rec_str(target, "role"), .perms = person_perms(target) };
	perm_set_t need;
	if (authz_resource(c->who, AUTHZ_MANAGE, &r, &need) != AUTHZ_ALLOW)
		return dom_fail(e, "forbidden", "", "managing this member needs the %s permission",
			need == PERM_BIT(PERM_ADMINS_MANAGE) ? "admins.manage" : "users.manage");
	return 0;
}

int dom_member_list(dom_ctx_t *c, const json_t *a, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	store_page_t pg;
	if (store_principal_list(c->tx, "account", rec_str(a, "id"), cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "users could not be read");
	*out = page_json(&pg, person_public);
	return dom_audit(c, "user.list", rec_str(a, "id"), rec_str(a, "id"), "success", NULL);
}

int dom_member_create(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "email", "name", "role", "permissions",
		"custom_role_id", NULL };
	char email[EMAIL_MAX + 1];
	const char *name, *role;
	perm_set_t perms;
	json_t *named = NULL;
	if (body_only(body, allowed, e) || body_email(body, "email", email, e) ||
	    body_name(body, "name", true, &name, e) || body_str(body, "role", true, &role, e) ||
	    may_assign(c, a, body, role, &perms, &named, e))
		return -1;
	char *id = person_insert(c, "account", rec_str(a, "id"), NULL, email, name, role,
		strcmp(role, "custom") == 0 ? perms : 0, e);
	int rc = id ? 0 : -1;
	json_t *detail = json_pack("{s:s, s:s, s:o}", "email", email, "role", role, "permissions",
		perm_set_to_json(perms));
	if (id && named) {
		json_t *upd = json_pack("{s:s}", "role_id", rec_str(named, "id"));
		rc = store_principal_update(c->tx, id, upd) == STORE_OK ? 0
			: dom_fail(e, "internal", "", "the person could not be stored");
		json_decref(upd);
		json_object_set_new(detail, "custom_role_id", json_string(rec_str(named, "id")));
	}
	if (rc == 0)
		rc = invited_person_answer(c, id, "user.create", rec_str(a, "id"), detail, out, e);
	json_decref(detail);
	json_decref(named);
	free(id);
	return rc;
}

int dom_member_get(dom_ctx_t *c, const json_t *a, const char *uid, json_t **out, dom_err_t *e)
{
	json_t *p = store_member_get(c->tx, rec_str(a, "id"), uid);
	if (!p)
		return dom_fail(e, "not-found", "", "no such user");
	*out = person_public(p);
	json_decref(p);
	return dom_audit(c, "user.read", uid, rec_str(a, "id"), "success", NULL);
}

int dom_member_update(dom_ctx_t *c, const json_t *a, const char *uid, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", "role", "permissions", "custom_role_id", NULL };
	const char *name, *role;
	if (body_only(body, allowed, e) || body_name(body, "name", false, &name, e) ||
	    body_str(body, "role", false, &role, e))
		return -1;
	if (!role && json_object_get(body, "permissions"))
		return dom_fail(e, "validation-failed", "permissions",
			"\"permissions\" goes with role \"custom\"");
	if (!role && json_object_get(body, "custom_role_id"))
		return dom_fail(e, "validation-failed", "custom_role_id",
			"\"custom_role_id\" goes with role \"custom\"");
	json_t *t = store_member_get(c->tx, rec_str(a, "id"), uid);
	if (!t)
		return dom_fail(e, "not-found", "", "no such user");
	if (strcmp(rec_str(t, "status"), "deprovisioned") == 0) {
		json_decref(t);
		return dom_fail(e, "conflict", "", "the user was deprovisioned");
	}
	perm_set_t perms = 0;
	json_t *named = NULL;
	if (may_touch(c, t, role == NULL, e) || (role && may_assign(c, a, body, role, &perms, &named, e))) {
		json_decref(t);
		return -1;
	}
	json_t *upd = json_pack("{s:I}", "updated_at", (json_int_t)time_now_ms());
	json_t *detail = json_object();
	if (name) {
		json_object_set_new(upd, "name", json_string(name));
		json_object_set_new(detail, "name", json_pack("{s:s, s:s}", "old", rec_str(t, "name"), "new", name));
	}
	if (role) {
		char *ps = perm_set_to_string(strcmp(role, "custom") == 0 ? perms : 0);
		json_object_set_new(upd, "role", json_string(role));
		json_object_set_new(upd, "permissions", json_string(ps));
		json_object_set_new(upd, "role_id", named ? json_string(rec_str(named, "id")) : json_null());
		if (named || *rec_str(t, "role_id"))
			json_object_set_new(detail, "custom_role_id", json_pack("{s:s?, s:s?}", "old",
				*rec_str(t, "role_id") ? rec_str(t, "role_id") : NULL, "new",
				named ? rec_str(named, "id") : NULL));
		json_object_set_new(detail, "role", json_pack("{s:s, s:s}", "old", rec_str(t, "role"), "new", role));
		json_object_set_new(detail, "permissions", json_pack("{s:o, s:o}", "old",
			perm_set_to_json(person_perms(t)), "new", perm_set_to_json(perms)));
		free(ps);
	}
	int rc = store_principal_update(c->tx, uid, upd);
	json_decref(upd);
	if (rc == STORE_OK)
		rc = dom_audit(c, "user.update", uid, rec_str(a, "id"), "success", detail);
	json_decref(detail);
	json_decref(t);
	json_decref(named);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the user could not be updated");
	json_t *p = store_principal_get(c->tx, uid);
	*out = person_public(p);
	json_decref(p);
	return 0;
}

int dom_member_delete(dom_ctx_t *c, const json_t *a, const char *uid, json_t **out, dom_err_t *e)
{
	*out = NULL;
	json_t *t = store_member_get(c->tx, rec_str(a, "id"), uid);
	if (!t)
		return dom_fail(e, "not-found", "", "no such user");
	if (may_touch(c, t, false, e)) {
		json_decref(t);
		return -1;
	}
	int rc = STORE_OK;
	if (strcmp(rec_str(t, "status"), "deprovisioned") != 0) {
		rc = member_deprovision(c, uid, time_now_ms());
		if (rc == STORE_OK)
			rc = dom_audit(c, "user.deprovision", uid, rec_str(a, "id"), "success", NULL);
	}
	json_decref(t);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the user could not be deprovisioned");
}

int member_deprovision(dom_ctx_t *c, const char *uid, int64_t now)
{
	json_t *upd = json_pack("{s:s, s:n, s:I}", "status", "deprovisioned", "password_hash",
		"updated_at", (json_int_t)now);
	int rc = store_principal_update(c->tx, uid, upd);
	json_decref(upd);
	/* C05: the person's credentials die with them, at once. */
	if (rc == STORE_OK)
		rc = store_session_revoke_all(c->tx, uid, NULL, now);
	if (rc == STORE_OK)
		rc = store_apikey_revoke_by_creator(c->tx, uid, now);
	return rc;
}

/* ---- API keys ---- */

static json_t *apikey_public(const json_t *k)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "id", rec_str(k, "id"),
		"name", rec_str(k, "name"), "prefix", rec_str(k, "prefix"), "creator_id",
		rec_str(k, "creator_id"), "permissions",
		perm_set_to_json(perm_set_from_string(rec_str(k, "permissions"))), "expires_at",
		time_json(json_object_get(k, "expires_at")), "created_at",
		time_json(json_object_get(k, "created_at")), "last_used_at",
		time_json(json_object_get(k, "last_used_at")));
}

int dom_apikey_list(dom_ctx_t *c, const json_t *a, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	authz_resource_t r = { .kind = AUTHZ_RES_APIKEY, .account_id = rec_str(a, "id") };
	bool all = authz_resource(c->who, AUTHZ_READ_ALL, &r, NULL) == AUTHZ_ALLOW;
	store_page_t pg;
	if (store_apikey_list(c->tx, rec_str(a, "id"), all ? NULL : c->who->person_id, cursor, limit,
		    &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "API keys could not be read");
	*out = page_json(&pg, apikey_public);
	return dom_audit(c, "api_key.list", rec_str(a, "id"), rec_str(a, "id"), "success", NULL);
}

int dom_apikey_create(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "name", "permissions", "expires_at", NULL };
	const char *name, *exp_s, *bad = NULL;
	perm_set_t perms;
	if (body_only(body, allowed, e) || body_name(body, "name", true, &name, e) ||
	    body_str(body, "expires_at", false, &exp_s, e))
		return -1;
	if (!json_object_get(body, "permissions"))
		return dom_fail(e, "validation-failed", "permissions", "\"permissions\" is required");
	if (perm_set_from_json(json_object_get(body, "permissions"), &perms, &bad) != 0)
		return bad ? dom_fail(e, "validation-failed", "permissions",
			"\"permissions\" must list known permission names: unknown %.60s", bad)
			: dom_fail(e, "validation-failed", "permissions",
			"\"permissions\" must list known permission names");
	if (perms == 0)
		return dom_fail(e, "validation-failed", "permissions", "a key needs at least one permission");
	perm_set_t held = authz_ceiling(c->who, AUTHZ_RES_APIKEY);
	if (perms & ~held) {
		char *missing = perm_set_to_string(perms & ~held);
		dom_fail(e, "permission-not-held", "permissions",
			"a key cannot hold permissions you do not hold: %.180s", missing);
		free(missing);
		return -1;
	}
	int64_t now = time_now_ms(), exp = 0;
	if (exp_s && (time_parse_rfc3339(exp_s, &exp) != 0 || exp <= now))
		return dom_fail(e, "validation-failed", "expires_at",
			"\"expires_at\" must be an RFC 3339 time in the future");
	if (c->cfg->apikey_max_days > 0) {
		int64_t ceiling = now + (int64_t)c->cfg->apikey_max_days * 86400000;
		if (!exp || exp > ceiling)
			exp = ceiling;
	}
	char *id = sec_new_id("key");
	char *secret = sec_new_token("fvk_");
	char h[SEC_SHA256_HEX];
	sec_token_hash(secret, h);
	char prefix[13];
	snprintf(prefix, sizeof prefix, "%.12s", secret);
	char *ps = perm_set_to_string(perms);
	json_t *k = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "account_id",
		rec_str(a, "id"), "creator_id", c->who->person_id, "name", name, "prefix", prefix,
		"secret_hash", h, "permissions", ps, "created_at", (json_int_t)now);
	if (exp)
		json_object_set_new(k, "expires_at", json_integer(exp));
	free(ps);
	int rc = store_apikey_insert(c->tx, k);
	json_decref(k);
	json_t *detail = json_pack("{s:s, s:o}", "name", name, "permissions", perm_set_to_json(perms));
	if (rc == STORE_OK)
		rc = dom_audit(c, "api_key.create", id, rec_str(a, "id"), "success", detail);
	json_decref(detail);
	json_t *stored = rc == 0 ? store_apikey_get(c->tx, rec_str(a, "id"), id) : NULL;
	if (stored) {
		*out = apikey_public(stored);
		json_object_set_new(*out, "secret", json_string(secret));
	}
	json_decref(stored);
	free(secret);
	free(id);
	return stored ? 0 : dom_fail(e, "internal", "", "the API key could not be stored");
}

int dom_apikey_revoke(dom_ctx_t *c, const json_t *a, const char *key_id, json_t **out,
	dom_err_t *e)
{
	*out = NULL;
	json_t *k = store_apikey_get(c->tx, rec_str(a, "id"), key_id);
	if (!k)
		return dom_fail(e, "not-found", "", "no such API key");
	authz_resource_t r = { .kind = AUTHZ_RES_APIKEY, .account_id = rec_str(a, "id"),
		.owner_id = rec_str(k, "creator_id") };
	enum authz_result ok = authz_resource(c->who, AUTHZ_DELETE, &r, NULL);
	json_decref(k);
	if (ok != AUTHZ_ALLOW)
		return dom_fail(e, "not-found", "", "no such API key");
	if (store_apikey_revoke(c->tx, rec_str(a, "id"), key_id, time_now_ms()) != STORE_OK)
		return dom_fail(e, "not-found", "", "no such API key");
	return dom_audit(c, "api_key.revoke", key_id, rec_str(a, "id"), "success", NULL);
}
