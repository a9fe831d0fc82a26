/* Named custom roles of an account (see roles.h). */
#include "access.h"

#include <string.h>

#include "dom_util.h"
#include "sec.h"
#include "store_roles.h"
#include "timeutil.h"
#include "xalloc.h"

/* The unique key of a name: ASCII letters in lower case. */
static void name_key(const char *name, char out[ROLE_NAME_MAX * 4 + 1])
{
	size_t i = 0;
	for (; name[i] && i < ROLE_NAME_MAX * 4; i++)
		out[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	out[i] = '\0';
}

perm_set_t role_perms(const json_t *role)
{
	return perm_set_from_string(rec_str(role, "permissions")) & perm_account_scope();
}

static json_t *role_public(const json_t *r)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:o, s:o}", "id", rec_str(r, "id"), "name",
		rec_str(r, "name"), "description", rec_str(r, "description"), "permissions",
		perm_set_to_json(role_perms(r)), "holders",
		json_integer_value(json_object_get(r, "holders")), "created_at",
		time_json(json_object_get(r, "created_at")), "updated_at",
		time_json(json_object_get(r, "updated_at")));
}

json_t *role_find(dom_ctx_t *c, const char *account_id, const char *id)
{
	return id ? store_role_get(c->tx, account_id, id) : NULL;
}

json_t *role_find_by_name(dom_ctx_t *c, const char *account_id, const char *name)
{
	if (!name || strlen(name) > ROLE_NAME_MAX * 4)
		return NULL;
	char key[ROLE_NAME_MAX * 4 + 1];
	name_key(name, key);
	return store_role_by_key(c->tx, account_id, key);
}

int custom_perms_parse(const json_t *arr, perm_set_t *out, dom_err_t *e)
{
	const char *bad = NULL;
	perm_set_t p = 0;
	if (perm_set_from_json(arr, &p, &bad) != 0)
		return bad ? dom_fail(e, "validation-failed", "permissions",
			"\"permissions\" must list known permission names: unknown %.60s", bad)
			: dom_fail(e, "validation-failed", "permissions",
			"\"permissions\" must list known permission names");
	if (p == 0 || (p & ~perm_account_scope()) || (p & PERM_BIT(PERM_OWNERSHIP_TRANSFER)))
		return dom_fail(e, "validation-failed", "permissions",
			"a custom role holds one or more account permissions, never ownership.transfer");
	*out = p;
	return 0;
}

/* The role of the account, or NULL with e (404). */
static json_t *role_of(dom_ctx_t *c, const json_t *a, const char *id, dom_err_t *e)
{
	json_t *r = role_find(c, rec_str(a, "id"), id);
	if (!r)
		dom_fail(e, "not-found", "", "no such role");
	return r;
}

int dom_role_list(dom_ctx_t *c, const json_t *a, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	store_page_t pg;
	if (store_role_list(c->tx, rec_str(a, "id"), cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the roles could not be read");
	*out = page_json(&pg, role_public);
	return dom_audit(c, "role.list", rec_str(a, "id"), rec_str(a, "id"), "success", NULL);
}

int dom_role_get(dom_ctx_t *c, const json_t *a, const char *id, json_t **out, dom_err_t *e)
{
	json_t *r = role_of(c, a, id, e);
	if (!r)
		return -1;
	*out = role_public(r);
	json_decref(r);
	return dom_audit(c, "role.read", id, rec_str(a, "id"), "success", NULL);
}

/* name and description of body (either may be absent unless required). */
static int role_texts(const json_t *body, bool required, const char **name, const char **desc,
	dom_err_t *e)
{
	const json_t *d = json_object_get(body, "description");
	if (body_text(body, required, "name", ROLE_NAME_MAX, name, e))
		return -1;
	/* "" clears the description. */
	if (json_is_string(d) && json_string_length(d) == 0)
		*desc = "";
	else if (body_text(body, false, "description", ROLE_DESCRIPTION_MAX, desc, e))
		return -1;
	if (*name && strchr(*name, '\n'))
		return dom_fail(e, "validation-failed", "name", "a role's name is one line");
	return 0;
}

static int name_taken(const char *name, dom_err_t *e)
{
	return dom_fail(e, "role-name-taken", "name", "the account has a role named %.64s already",
		name);
}

int dom_role_create(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "name", "description", "permissions", NULL };
	const char *name, *desc;
	perm_set_t p;
	if (body_only(body, allowed, e) || role_texts(body, true, &name, &desc, e) ||
	    custom_perms_parse(json_object_get(body, "permissions"), &p, e) ||
	    member_may_grant(c, "custom", p, p, e))
		return -1;
	char key[ROLE_NAME_MAX * 4 + 1];
	name_key(name, key);
	char *id = sec_new_id("rol");
	char *ps = perm_set_to_string(p);
	int64_t now = time_now_ms();
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "account_id",
		rec_str(a, "id"), "name", name, "name_key", key, "description", desc ? desc : "",
		"permissions", ps, "created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	int rc = store_role_insert(c->tx, rec);
	json_decref(rec);
	free(ps);
	if (rc == STORE_CONFLICT) {
		free(id);
		return name_taken(name, e);
	}
	json_t *detail = json_pack("{s:s, s:o}", "name", name, "permissions", perm_set_to_json(p));
	if (rc == STORE_OK)
		rc = dom_audit(c, "role.create", id, rec_str(a, "id"), "success", detail);
	json_decref(detail);
	json_t *r = rc == 0 ? store_role_get(c->tx, rec_str(a, "id"), id) : NULL;
	free(id);
	if (!r)
		return dom_fail(e, "internal", "", "the role could not be stored");
	*out = role_public(r);
	json_decref(r);
	return 0;
}

int dom_role_update(dom_ctx_t *c, const json_t *a, const char *id, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", "description", "permissions", NULL };
	const char *name, *desc;
	if (body_only(body, allowed, e) || role_texts(body, false, &name, &desc, e))
		return -1;
	json_t *r = role_of(c, a, id, e);
	if (!r)
		return -1;
	perm_set_t old = role_perms(r), p = old;
	int rc = -1;
	if (json_object_get(body, "permissions") &&
	    custom_perms_parse(json_object_get(body, "permissions"), &p, e))
		goto out;
	/* Touching an admin-like role needs admins.manage, before and after;
	 * what is added must be held. */
	if (member_may_grant(c, "custom", old, 0, e) || member_may_grant(c, "custom", p, p & ~old, e))
		goto out;
	int64_t now = time_now_ms();
	json_t *upd = json_pack("{s:I}", "updated_at", (json_int_t)now);
	json_t *detail = json_object();
	if (name && strcmp(name, rec_str(r, "name")) != 0) {
		char key[ROLE_NAME_MAX * 4 + 1];
		name_key(name, key);
		json_object_set_new(upd, "name", json_string(name));
		json_object_set_new(upd, "name_key", json_string(key));
		json_object_set_new(detail, "name", json_pack("{s:s, s:s}", "old", rec_str(r, "name"),
			"new", name));
	}
	if (desc) {
		json_object_set_new(upd, "description", json_string(desc));
		json_object_set_new(detail, "description", json_true());
	}
	char *ps = perm_set_to_string(p);
	if (p != old) {
		json_object_set_new(upd, "permissions", json_string(ps));
		json_object_set_new(detail, "permissions", json_pack("{s:o, s:o}", "old",
			perm_set_to_json(old), "new", perm_set_to_json(p)));
		/* Once, on the role: how many people it changed. */
		json_object_set_new(detail, "holders", json_integer(json_integer_value(
			json_object_get(r, "holders"))));
	}
	rc = store_role_update(c->tx, rec_str(a, "id"), id, upd);
	if (rc == STORE_CONFLICT) {
		name_taken(name, e);
	} else {
		if (rc == STORE_OK && p != old)
			rc = store_role_holders_set_perms(c->tx, id, ps, now);
		if (rc == STORE_OK)
			rc = dom_audit(c, "role.update", id, rec_str(a, "id"), "success", detail);
		json_t *n = rc == 0 ? store_role_get(c->tx, rec_str(a, "id"), id) : NULL;
		if (n) {
			*out = role_public(n);
			json_decref(n);
		} else {
			rc = dom_fail(e, "internal", "", "the role could not be updated");
		}
	}
	free(ps);
	json_decref(upd);
	json_decref(detail);
out:
	json_decref(r);
	return rc == 0 ? 0 : -1;
}

int dom_role_delete(dom_ctx_t *c, const json_t *a, const char *id, const char *reassign,
	json_t **out, dom_err_t *e)
{
	*out = NULL;
	if (reassign && strcmp(reassign, "user") != 0)
		return dom_fail(e, "invalid-parameter", "reassign",
			"\"reassign\" can only be \"user\"");
	json_t *r = role_of(c, a, id, e);
	if (!r)
		return -1;
	json_int_t holders = json_integer_value(json_object_get(r, "holders"));
	int rc = -1;
	if (member_may_grant(c, "custom", role_perms(r), 0, e))
		goto out;
	if (holders > 0 && !reassign) {
		dom_fail(e, "role-in-use", "", "%lld members hold the role: give them another role, "
			"or delete it with the parameter reassign=user", (long long)holders);
		goto out;
	}
	json_t *detail = json_pack("{s:s, s:I}", "name", rec_str(r, "name"), "holders", holders);
	if (holders > 0)
		json_object_set_new(detail, "reassigned_to", json_string("user"));
	rc = store_role_holders_release(c->tx, id, time_now_ms());
	if (rc == STORE_OK)
		rc = store_role_delete(c->tx, rec_str(a, "id"), id);
	if (rc == STORE_OK)
		rc = dom_audit(c, "role.delete", id, rec_str(a, "id"), "success", detail);
	json_decref(detail);
	if (rc != 0)
		rc = dom_fail(e, "internal", "", "the role could not be deleted");
out:
	json_decref(r);
	return rc;
}
