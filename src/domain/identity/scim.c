/* SCIM 2.0 provisioning: tokens, the Users resource and the discovery
 * documents (see scim.h). A user's SCIM representation is built from its
 * principal record (userName = e-mail, active = not deprovisioned, the
 * display name) and the SCIM attributes kept beside it (scim_users); a PUT
 * or PATCH is turned into a new representation first (PATCH through
 * scim_patch_apply), then validated and stored as one. */
#include "identity.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "dom_util.h"
#include "tenancy/tenancy.h"
#include "access/access.h"
#include "sec.h"
#include "store_roles.h"
#include "store_scim.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define P(x) PERM_BIT(PERM_##x)

/* The provisioning powers a token may carry. */
#define SCIM_POWERS (P(USERS_MANAGE) | P(ADMINS_MANAGE))

/* ---- tokens ---- */

static json_t *token_public(const json_t *t)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", rec_str(t, "id"), "name",
		rec_str(t, "name"), "prefix", rec_str(t, "prefix"), "creator_id",
		rec_str(t, "creator_id"), "permissions",
		perm_set_to_json(perm_set_from_string(rec_str(t, "permissions"))), "created_at",
		time_json(json_object_get(t, "created_at")), "last_used_at",
		time_json(json_object_get(t, "last_used_at")));
}

int dom_scim_token_create(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "name", NULL };
	const char *name;
	if (body_only(body, allowed, e) || body_name(body, "name", true, &name, e))
		return -1;
	if (dom_partner_allows(c, rec_str(a, "id"), "feature", "scim", "", e) != 0)
		return -1;
	perm_set_t perms = authz_ceiling(c->who, AUTHZ_RES_APIKEY) & SCIM_POWERS;
	if (!authz_holds(c->who, PERM_USERS_MANAGE))
		return dom_fail(e, "permission-not-held", "",
			"a SCIM token provisions people with users.manage, which you do not hold");
	char *id = sec_new_id("sct");
	char *secret = sec_new_token(SCIM_TOKEN_PREFIX);
	char h[SEC_SHA256_HEX];
	sec_token_hash(secret, h);
	char prefix[13];
	snprintf(prefix, sizeof prefix, "%.12s", secret);
	char *ps = perm_set_to_string(perms);
	json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "account_id",
		rec_str(a, "id"), "creator_id", c->who->person_id, "name", name, "prefix", prefix,
		"secret_hash", h, "permissions", ps, "created_at", (json_int_t)time_now_ms());
	free(ps);
	int rc = store_scim_token_insert(c->tx, t);
	json_decref(t);
	json_t *detail = json_pack("{s:s, s:o}", "name", name, "permissions", perm_set_to_json(perms));
	if (rc == STORE_OK)
		rc = dom_audit(c, "scim_token.create", id, rec_str(a, "id"), "success", detail);
	json_decref(detail);
	json_t *stored = rc == 0 ? store_scim_token_get(c->tx, rec_str(a, "id"), id) : NULL;
	if (stored) {
		*out = token_public(stored);
		json_object_set_new(*out, "token", json_string(secret));
	}
	json_decref(stored);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	free(id);
	return stored ? 0 : dom_fail(e, "internal", "", "the SCIM token could not be stored");
}

int dom_scim_token_list(dom_ctx_t *c, const json_t *a, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_scim_token_list(c->tx, rec_str(a, "id"), cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the SCIM tokens could not be read");
	*out = page_json(&pg, token_public);
	return dom_audit(c, "scim_token.list", rec_str(a, "id"), rec_str(a, "id"), "success", NULL);
}

int dom_scim_token_revoke(dom_ctx_t *c, const json_t *a, const char *token_id, json_t **out,
	dom_err_t *e)
{
	*out = NULL;
	if (store_scim_token_revoke(c->tx, rec_str(a, "id"), token_id, time_now_ms()) != STORE_OK)
		return dom_fail(e, "not-found", "", "no such SCIM token");
	return dom_audit(c, "scim_token.revoke", token_id, rec_str(a, "id"), "success", NULL);
}

int dom_scim_authenticate(store_tx_t *tx, const dom_config_t *cfg, const char *bearer,
	const char *source, int64_t now, principal_t *p, dom_err_t *e)
{
	if (strncmp(bearer, SCIM_TOKEN_PREFIX, strlen(SCIM_TOKEN_PREFIX)) != 0)
		return dom_fail(e, "unauthenticated", "", "the SCIM token is not valid");
	char h[SEC_SHA256_HEX];
	sec_token_hash(bearer, h);
	json_t *t = store_scim_token_by_hash(tx, h);
	json_t *person = t ? store_principal_get(tx, rec_str(t, "creator_id")) : NULL;
	json_t *acc = t ? store_account_get(tx, rec_str(t, "account_id"), NULL) : NULL;
	int rc = 0;
	/* The token dies with its creator (C05), and never holds more than
	 * they hold today. */
	if (!t || !person || strcmp(rec_str(person, "status"), "active") != 0 ||
	    strcmp(rec_str(person, "account_id"), rec_str(t, "account_id")) != 0)
		rc = dom_fail(e, "unauthenticated", "", "the SCIM token is not valid");
	else if (!acc || strcmp(rec_str(acc, "status"), "active") != 0)
		rc = dom_fail(e, "account-suspended", "", "the account is suspended or closed");
	if (rc == 0) {
		dom_principal_from_record(tx, person, p);
		p->perms &= perm_set_from_string(rec_str(t, "permissions")) & SCIM_POWERS;
		/* As for an API key: its creator's gates (terms, second
		 * factor), the account's rate limit and allowed networks. */
		if (!authz_holds(p, PERM_USERS_MANAGE))
			rc = dom_fail(e, "unauthenticated", "", "the SCIM token is not valid");
		else
			rc = dom_credential_rules(tx, cfg, person, source, now, p, e);
		snprintf(p->id, sizeof p->id, "scim:%s", rec_str(t, "id"));
		snprintf(p->type, sizeof p->type, "scim");
		snprintf(p->role, sizeof p->role, "scim");
	}
	const json_t *lu = json_object_get(t, "last_used_at");
	if (rc == 0 && (!json_is_integer(lu) || now - json_integer_value(lu) >= 15000))
		store_scim_token_touch(tx, rec_str(t, "id"), now);
	json_decref(acc);
	json_decref(person);
	json_decref(t);
	return rc;
}

/* ---- the User resource ---- */

/* Roles shown as SCIM groups: their id, and displayName. */
static const char *const group_roles[][2] = {
	{ "admin", "Administrators" },
	{ "billing", "Billing" },
	{ "user", "Users" },
};

static const char *group_display(const char *role)
{
	for (size_t i = 0; i < sizeof group_roles / sizeof group_roles[0]; i++)
		if (strcmp(group_roles[i][0], role) == 0)
			return group_roles[i][1];
	return NULL;
}

/* A group: a built-in role (id = the role) or a named custom role of the
 * account (roles.h; id = the role's id, role "custom"). */
typedef struct group {
	const char *role;
	char id[64];
	char display[ROLE_NAME_MAX * 4 + 1];
	perm_set_t perms;
} group_t;

static void group_builtin(group_t *g, size_t i)
{
	g->role = group_roles[i][0];
	snprintf(g->id, sizeof g->id, "%s", group_roles[i][0]);
	snprintf(g->display, sizeof g->display, "%s", group_roles[i][1]);
	g->perms = perm_role("account", g->role);
}

static void group_custom(group_t *g, const json_t *role)
{
	g->role = "custom";
	snprintf(g->id, sizeof g->id, "%s", rec_str(role, "id"));
	snprintf(g->display, sizeof g->display, "%s", rec_str(role, "name"));
	g->perms = role_perms(role);
}

/* Whether the person of a store_scim_users row is in the group. */
static bool group_has(const group_t *g, const json_t *row)
{
	if (strcmp(rec_str(row, "role"), g->role) != 0)
		return false;
	return strcmp(g->role, "custom") != 0 || strcmp(rec_str(row, "role_id"), g->id) == 0;
}

/* Attributes of the User resource stored as given (after checks). */
static const char *const kept_attrs[] = { "name", "displayName", "nickName", "title", "userType",
	"preferredLanguage", "locale", "timezone", "emails", "phoneNumbers", "addresses",
	SCIM_URN_ENTERPRISE, NULL };

static void set_time(json_t *o, const char *key, const json_t *ms)
{
	char t[40];
	if (json_is_integer(ms) && time_format_rfc3339(json_integer_value(ms), t, sizeof t))
		json_object_set_new(o, key, json_string(t));
}

/* The version of a representation (without meta): a weak ETag. */
static void version_of(const json_t *res, char *out, size_t n)
{
	char *s = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS);
	char h[SEC_SHA256_HEX];
	sec_sha256_hex(s ? s : "", s ? strlen(s) : 0, h);
	free(s);
	snprintf(out, n, "W/\"%.16s\"", h);
}

/* The SCIM representation of a row of store_scim_users (new reference). */
static json_t *user_resource(const json_t *row)
{
	json_t *attrs = json_loads(rec_str(row, "attrs"), 0, NULL);
	json_t *r = json_object();
	json_t *schemas = json_pack("[s]", SCIM_URN_USER);
	json_object_set_new(r, "schemas", schemas);
	json_object_set_new(r, "id", json_string(rec_str(row, "id")));
	if (*rec_str(row, "external_id"))
		json_object_set_new(r, "externalId", json_string(rec_str(row, "external_id")));
	json_object_set_new(r, "userName", json_string(rec_str(row, "email")));
	for (int i = 0; kept_attrs[i]; i++) {
		json_t *v = json_object_get(attrs, kept_attrs[i]);
		if (v)
			json_object_set(r, kept_attrs[i], v);
	}
	if (json_object_get(r, SCIM_URN_ENTERPRISE))
		json_array_append_new(schemas, json_string(SCIM_URN_ENTERPRISE));
	json_t *name = json_object_get(r, "name");
	if (!json_is_object(name)) {
		name = json_object();
		json_object_set_new(r, "name", name);
	}
	if (!json_object_get(name, "formatted"))
		json_object_set_new(name, "formatted", json_string(rec_str(row, "name")));
	if (!json_object_get(r, "emails"))
		json_object_set_new(r, "emails", json_pack("[{s:s, s:s, s:b}]", "value",
			rec_str(row, "email"), "type", "work", "primary", 1));
	json_object_set_new(r, "active",
		json_boolean(strcmp(rec_str(row, "status"), "deprovisioned") != 0));
	/* A built-in role, or a named custom role: its group. */
	bool named = *rec_str(row, "role_id") && strcmp(rec_str(row, "role"), "custom") == 0;
	const char *gid = named ? rec_str(row, "role_id") : rec_str(row, "role");
	const char *disp = named ? rec_str(row, "role_name") : group_display(rec_str(row, "role"));
	char ref[96];
	snprintf(ref, sizeof ref, "/scim/v2/Groups/%s", gid);
	json_object_set_new(r, "groups", disp ? json_pack("[{s:s, s:s, s:s}]", "value",
		gid, "display", disp, "$ref", ref) : json_array());
	char ver[40], loc[128];
	version_of(r, ver, sizeof ver);
	snprintf(loc, sizeof loc, "/scim/v2/Users/%s", rec_str(row, "id"));
	json_t *meta = json_pack("{s:s, s:s, s:s}", "resourceType", "User", "location", loc,
		"version", ver);
	set_time(meta, "created", json_object_get(row, "created_at"));
	set_time(meta, "lastModified", json_object_get(row, "updated_at"));
	json_object_set_new(r, "meta", meta);
	json_decref(attrs);
	return r;
}

/* What a representation asks for, checked. */
typedef struct user_in {
	char email[EMAIL_MAX + 1];
	char name[NAME_MAX_BYTES + 1];
	bool active;
	const char *external_id; /* borrowed from the body, or NULL */
	json_t *attrs;           /* owned */
} user_in_t;

static int bad_value(dom_err_t *e, const char *attr)
{
	return dom_fail(e, "validation-failed", "invalidValue", "the attribute %.64s is not valid", attr);
}

/* Copies at most n bytes of s, cut at a UTF-8 boundary. */
static void copy_utf8(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int user_in_parse(const json_t *body, user_in_t *u, dom_err_t *e)
{
	memset(u, 0, sizeof *u);
	if (!json_is_object(body))
		return dom_fail(e, "validation-failed", "invalidSyntax", "the body must be a SCIM resource (a JSON object)");
	const json_t *un = scim_get_ci(body, "userName");
	const char *s = json_string_value(un);
	if (!s || !*s)
		return dom_fail(e, "validation-failed", "invalidValue", "userName (the person's e-mail address) is required");
	size_t n = strlen(s);
	if (n > EMAIL_MAX || !valid_email(s, n))
		return dom_fail(e, "validation-failed", "invalidValue", "userName must be an e-mail address");
	for (size_t i = 0; i <= n; i++)
		u->email[i] = (char)tolower((unsigned char)s[i]);
	const json_t *act = scim_get_ci(body, "active");
	u->active = true;
	if (json_is_boolean(act))
		u->active = json_is_true(act);
	else if (json_is_string(act) && strcasecmp(json_string_value(act), "true") == 0)
		u->active = true;
	else if (json_is_string(act) && strcasecmp(json_string_value(act), "false") == 0)
		u->active = false; /* Entra ID sends "False" */
	else if (act && !json_is_null(act))
		return bad_value(e, "active");
	const json_t *ext = scim_get_ci(body, "externalId");
	if (ext && !json_is_null(ext)) {
		u->external_id = json_string_value(ext);
		if (!u->external_id || strlen(u->external_id) > SCIM_EXTERNAL_ID_MAX ||
		    !valid_utf8(u->external_id, strlen(u->external_id)))
			return bad_value(e, "externalId");
	}
	u->attrs = json_object();
	for (int i = 0; kept_attrs[i]; i++) {
		const json_t *v = scim_get_ci(body, kept_attrs[i]);
		if (!v || json_is_null(v))
			continue;
		bool ok = strcmp(kept_attrs[i], "name") == 0 || strcmp(kept_attrs[i], SCIM_URN_ENTERPRISE) == 0
			? json_is_object(v)
			: strcmp(kept_attrs[i], "emails") == 0 || strcmp(kept_attrs[i], "phoneNumbers") == 0 ||
			  strcmp(kept_attrs[i], "addresses") == 0 ? json_is_array(v) : json_is_string(v);
		if (!ok) {
			json_decref(u->attrs);
			u->attrs = NULL;
			return bad_value(e, kept_attrs[i]);
		}
		json_object_set_new(u->attrs, kept_attrs[i], json_deep_copy(v));
	}
	char *dump = json_dumps(u->attrs, JSON_COMPACT);
	bool big = !dump || strlen(dump) > SCIM_ATTRS_MAX;
	free(dump);
	if (big) {
		json_decref(u->attrs);
		u->attrs = NULL;
		return dom_fail(e, "validation-failed", "invalidValue",
			"the user's attributes take more than %d bytes", SCIM_ATTRS_MAX);
	}
	/* The display name: name.formatted, else given and family names, else
	 * displayName, else the address. */
	const json_t *nm = json_object_get(u->attrs, "name");
	const char *f = json_string_value(scim_get_ci(nm, "formatted"));
	const char *g = json_string_value(scim_get_ci(nm, "givenName"));
	const char *fa = json_string_value(scim_get_ci(nm, "familyName"));
	const char *dn = json_string_value(json_object_get(u->attrs, "displayName"));
	char tmp[2 * NAME_MAX_BYTES + 2];
	if (f && *f)
		copy_utf8(u->name, sizeof u->name, f);
	else if ((g && *g) || (fa && *fa)) {
		snprintf(tmp, sizeof tmp, "%.200s%s%.200s", g ? g : "", g && *g && fa && *fa ? " " : "",
			fa ? fa : "");
		copy_utf8(u->name, sizeof u->name, tmp);
	} else if (dn && *dn)
		copy_utf8(u->name, sizeof u->name, dn);
	else
		copy_utf8(u->name, sizeof u->name, u->email);
	if (!valid_name(u->name, strlen(u->name))) {
		json_decref(u->attrs);
		u->attrs = NULL;
		return bad_value(e, "name");
	}
	return 0;
}

static json_t *account_of(dom_ctx_t *c)
{
	return store_account_get(c->tx, c->who->account_id, NULL);
}

static int audit_scim(dom_ctx_t *c, const char *action, const char *target, json_t *detail)
{
	int rc = dom_audit(c, action, target, c->who->account_id, "success", detail);
	json_decref(detail);
	return rc;
}

/* The SCIM user id of this account, or NULL with e (404). */
static json_t *user_row(dom_ctx_t *c, const char *id, dom_err_t *e)
{
	json_t *row = id ? store_scim_user(c->tx, c->who->account_id, id) : NULL;
	if (!row)
		dom_fail(e, "not-found", "", "no such user");
	return row;
}

/* May this token change the person in row? The owner never; an
 * administrator only with admins.manage. */
static int may_change(dom_ctx_t *c, const json_t *row, dom_err_t *e)
{
	if (strcmp(rec_str(row, "role"), "owner") == 0)
		return dom_fail(e, "owner-protected", "mutability",
			"the account owner is not managed by SCIM");
	authz_resource_t r = { .kind = AUTHZ_RES_MEMBER, .role = rec_str(row, "role"),
		.perms = perm_set_from_string(rec_str(row, "permissions")) };
	/* A SCIM token always holds users.manage: what it may lack is
	 * admins.manage, for an admin-like member. */
	if (authz_resource(c->who, AUTHZ_MANAGE, &r, NULL) != AUTHZ_ALLOW)
		return dom_fail(e, "forbidden", "", "managing this member needs the %s permission",
			"admins.manage");
	return 0;
}

static int check_if_match(const json_t *row, const char *if_match, dom_err_t *e)
{
	if (!if_match || strcmp(if_match, "*") == 0)
		return 0;
	json_t *r = user_resource(row);
	const char *v = rec_str(json_object_get(r, "meta"), "version");
	/* A strong form of the same tag matches too. */
	bool ok = strcmp(if_match, v) == 0 || (strncmp(v, "W/", 2) == 0 && strcmp(if_match, v + 2) == 0);
	json_decref(r);
	return ok ? 0 : dom_fail(e, "precondition-failed", "",
		"the user has changed since that version (If-Match)");
}

static int answer_user(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *row = store_scim_user(c->tx, c->who->account_id, id);
	if (!row)
		return dom_fail(e, "internal", "", "the user could not be read back");
	*out = user_resource(row);
	json_decref(row);
	return 0;
}

int dom_scim_user_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	user_in_t u;
	if (user_in_parse(body, &u, e) != 0)
		return -1;
	json_t *acc = account_of(c);
	char *id = acc ? person_insert(c, "account", c->who->account_id, NULL, u.email, u.name,
		"user", 0, e) : NULL;
	json_decref(acc);
	if (!id) {
		json_decref(u.attrs);
		if (e->kind && strcmp(e->kind, "email-taken") == 0)
			return dom_fail(e, "email-taken", "uniqueness",
				"the e-mail address %s is already in use", u.email);
		return e->kind ? -1 : dom_fail(e, "internal", "", "the record could not be stored");
	}
	int64_t now = time_now_ms();
	/* No password: the person signs in by SSO or after a password reset. */
	json_t *upd = json_pack("{s:s, s:I}", "status", u.active ? "active" : "deprovisioned",
		"updated_at", (json_int_t)now);
	int rc = store_principal_update(c->tx, id, upd);
	json_decref(upd);
	char *attrs = json_dumps(u.attrs, JSON_COMPACT);
	if (rc == STORE_OK)
		rc = store_scim_user_put(c->tx, c->who->account_id, id, u.external_id, attrs, now);
	free(attrs);
	if (rc == STORE_OK)
		rc = audit_scim(c, "scim.user.create", id, json_pack("{s:s, s:s?, s:b, s:s}", "email",
			u.email, "external_id", u.external_id, "active", u.active, "role", "user"));
	json_decref(u.attrs);
	if (rc == 0)
		rc = answer_user(c, id, out, e);
	else
		dom_fail(e, "internal", "", "the user could not be stored");
	free(id);
	return rc;
}

int dom_scim_user_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *row = user_row(c, id, e);
	if (!row)
		return -1;
	*out = user_resource(row);
	json_decref(row);
	if (audit_scim(c, "scim.user.read", id, NULL) != 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the read could not be recorded");
	}
	return 0;
}

/* The resource of group g, its members being the people (not
 * deprovisioned) of rows holding its role; members left out when
 * no_members (Entra ID's excludedAttributes=members). New reference. */
static json_t *group_resource(const group_t *g, const json_t *rows, bool no_members)
{
	json_t *members = json_array();
	size_t i;
	const json_t *row;
	json_array_foreach(rows, i, row) {
		if (!group_has(g, row) || strcmp(rec_str(row, "status"), "deprovisioned") == 0)
			continue;
		char ref[64];
		snprintf(ref, sizeof ref, "/scim/v2/Users/%s", rec_str(row, "id"));
		json_array_append_new(members, json_pack("{s:s, s:s, s:s}", "value", rec_str(row, "id"),
			"display", rec_str(row, "email"), "$ref", ref));
	}
	json_t *r = json_pack("{s:[s], s:s, s:s, s:o}", "schemas", SCIM_URN_GROUP, "id", g->id,
		"displayName", g->display, "members", members);
	char ver[40], loc[96];
	version_of(r, ver, sizeof ver);
	snprintf(loc, sizeof loc, "/scim/v2/Groups/%s", g->id);
	json_object_set_new(r, "meta", json_pack("{s:s, s:s, s:s}", "resourceType", "Group",
		"location", loc, "version", ver));
	if (no_members)
		json_object_del(r, "members");
	return r;
}

/* A list answer (RFC 7644 §3.4.2): the resources of the account's people
 * (groups: one per role when as_groups, members left out when no_members)
 * that filter matches, from start, at most count, as a ListResponse in
 * *out; the read audited as action. The filter may hold personal data: the
 * event says only that there was one, and how many were answered. */
static int list_answer(dom_ctx_t *c, const char *filter, int64_t start, int64_t count,
	bool as_groups, bool no_members, const char *action, json_t **out, dom_err_t *e)
{
	scim_filter_t *f = NULL;
	if (filter) {
		i18n_msg_t m;
		if (scim_filter_parse(filter, strlen(filter), &f, &m) != 0)
			return dom_fail_msg(e, "validation-failed", "invalidFilter", &m);
	}
	json_t *rows = store_scim_users(c->tx, c->who->account_id);
	if (!rows) {
		scim_filter_free(f);
		return dom_fail(e, "internal", "", "users could not be read");
	}
	json_t *all = json_array();
	size_t i;
	json_t *row;
	if (as_groups) {
		group_t g;
		for (i = 0; i < sizeof group_roles / sizeof group_roles[0]; i++) {
			group_builtin(&g, i);
			json_array_append_new(all, group_resource(&g, rows, false));
		}
		/* Then the account's named custom roles, by name. */
		json_t *roles = store_role_all(c->tx, c->who->account_id);
		json_array_foreach(roles, i, row) {
			group_custom(&g, row);
			json_array_append_new(all, group_resource(&g, rows, false));
		}
		json_decref(roles);
	} else {
		json_array_foreach(rows, i, row)
			json_array_append_new(all, user_resource(row));
	}
	json_decref(rows);
	if (start < 1)
		start = 1;
	count = count < 0 ? 0 : count > SCIM_COUNT_MAX ? SCIM_COUNT_MAX : count;
	json_t *items = json_array();
	int64_t total = 0;
	json_array_foreach(all, i, row) {
		if (f && !scim_filter_match(f, row))
			continue;
		total++;
		if (total >= start && (int64_t)json_array_size(items) < count) {
			if (no_members)
				json_object_del(row, "members");
			json_array_append(items, row);
		}
	}
	json_decref(all);
	scim_filter_free(f);
	*out = json_pack("{s:[s], s:I, s:I, s:I, s:o}", "schemas", SCIM_URN_LIST, "totalResults",
		(json_int_t)total, "startIndex", (json_int_t)start, "itemsPerPage",
		(json_int_t)json_array_size(items), "Resources", items);
	if (audit_scim(c, action, c->who->account_id, json_pack("{s:b, s:I}", "filtered",
		    filter != NULL, "count", (json_int_t)json_array_size(items))) != 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the read could not be recorded");
	}
	return 0;
}

int dom_scim_user_list(dom_ctx_t *c, const char *filter, int64_t start, int64_t count,
	json_t **out, dom_err_t *e)
{
	return list_answer(c, filter, start, count, false, false, "scim.user.list", out, e);
}

/* Makes the person in row what u asks for: address, name, active (a
 * deactivation deprovisions at once), SCIM attributes. */
static int user_apply(dom_ctx_t *c, const json_t *row, user_in_t *u, const char *action,
	json_t **out, dom_err_t *e)
{
	const char *id = rec_str(row, "id");
	bool was_active = strcmp(rec_str(row, "status"), "deprovisioned") != 0;
	bool owner = strcmp(rec_str(row, "role"), "owner") == 0;
	bool changes_identity = strcmp(u->email, rec_str(row, "email")) != 0 || u->active != was_active;
	if ((changes_identity || !owner) && may_change(c, row, e) != 0)
		return -1;
	int64_t now = time_now_ms();
	json_t *detail = json_object();
	json_t *upd = json_pack("{s:I}", "updated_at", (json_int_t)now);
	if (strcmp(u->email, rec_str(row, "email")) != 0) {
		json_object_set_new(upd, "email", json_string(u->email));
		json_object_set_new(detail, "email", json_pack("{s:s, s:s}", "old", rec_str(row, "email"),
			"new", u->email));
	}
	if (strcmp(u->name, rec_str(row, "name")) != 0) {
		json_object_set_new(upd, "name", json_string(u->name));
		json_object_set_new(detail, "name", json_true());
	}
	if (u->active && !was_active) {
		/* Back from a deactivation: active again, with no password. */
		json_object_set_new(upd, "status", json_string("active"));
		json_object_set_new(detail, "active", json_true());
	}
	int rc = store_principal_update(c->tx, id, upd);
	json_decref(upd);
	if (rc == STORE_CONFLICT) {
		json_decref(detail);
		return dom_fail(e, "email-taken", "uniqueness", "the e-mail address %s is already in use",
			u->email);
	}
	if (rc == STORE_OK && !u->active && was_active) {
		rc = member_deprovision(c, id, now);
		json_object_set_new(detail, "active", json_false());
	}
	char *attrs = json_dumps(u->attrs, JSON_COMPACT);
	if (rc == STORE_OK)
		rc = store_scim_user_put(c->tx, c->who->account_id, id, u->external_id, attrs, now);
	free(attrs);
	if (rc == STORE_OK && !u->active && was_active)
		rc = audit_scim(c, "scim.user.deactivate", id, NULL);
	else if (rc == STORE_OK && u->active && !was_active)
		rc = audit_scim(c, "scim.user.reactivate", id, NULL);
	if (rc == STORE_OK)
		rc = audit_scim(c, action, id, json_incref(detail));
	json_decref(detail);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the user could not be updated");
	return answer_user(c, id, out, e);
}

int dom_scim_user_replace(dom_ctx_t *c, const char *id, const json_t *body, const char *if_match,
	json_t **out, dom_err_t *e)
{
	json_t *row = user_row(c, id, e);
	if (!row)
		return -1;
	user_in_t u;
	int rc = check_if_match(row, if_match, e);
	if (rc == 0)
		rc = user_in_parse(body, &u, e);
	if (rc == 0) {
		rc = user_apply(c, row, &u, "scim.user.replace", out, e);
		json_decref(u.attrs);
	}
	json_decref(row);
	return rc;
}

int dom_scim_user_patch(dom_ctx_t *c, const char *id, const json_t *body, const char *if_match,
	json_t **out, dom_err_t *e)
{
	json_t *row = user_row(c, id, e);
	if (!row)
		return -1;
	int rc = check_if_match(row, if_match, e);
	if (rc != 0) {
		json_decref(row);
		return -1;
	}
	if (!json_is_object(body)) {
		json_decref(row);
		return dom_fail(e, "validation-failed", "invalidSyntax", "the body must be a PatchOp message");
	}
	const json_t *schemas = scim_get_ci(body, "schemas");
	bool patchop = false;
	size_t i;
	const json_t *s;
	json_array_foreach(schemas, i, s)
		patchop |= json_is_string(s) && strcmp(json_string_value(s), SCIM_URN_PATCH) == 0;
	if (!patchop) {
		json_decref(row);
		return dom_fail(e, "validation-failed", "invalidSyntax",
			"a PATCH body names the schema %s", SCIM_URN_PATCH);
	}
	json_t *res = user_resource(row);
	i18n_msg_t m;
	const char *type = "invalidSyntax";
	if (scim_patch_apply(res, scim_get_ci(body, "Operations"), &m, &type) != 0) {
		json_decref(res);
		json_decref(row);
		return dom_fail_msg(e, "validation-failed", type, &m);
	}
	user_in_t u;
	rc = user_in_parse(res, &u, e);
	if (rc == 0) {
		rc = user_apply(c, row, &u, "scim.user.patch", out, e);
		json_decref(u.attrs);
	}
	json_decref(res); /* after u, which borrows from it */
	json_decref(row);
	return rc;
}

int dom_scim_user_delete(dom_ctx_t *c, const char *id, const char *if_match, dom_err_t *e)
{
	json_t *row = user_row(c, id, e);
	if (!row)
		return -1;
	int rc = check_if_match(row, if_match, e);
	if (rc == 0)
		rc = may_change(c, row, e);
	if (rc != 0) {
		json_decref(row);
		return -1;
	}
	rc = STORE_OK;
	if (strcmp(rec_str(row, "status"), "deprovisioned") != 0)
		rc = member_deprovision(c, id, time_now_ms());
	if (rc == STORE_OK && json_integer_value(json_object_get(row, "scim")))
		rc = store_scim_user_delete(c->tx, c->who->account_id, id);
	if (rc == STORE_OK)
		rc = audit_scim(c, "scim.user.delete", id, json_pack("{s:s}", "email", rec_str(row, "email")));
	json_decref(row);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the user could not be deprovisioned");
}

/* ---- Groups: the account's roles ---- */

/* The group id names: a built-in role or a named custom role of the
 * account. 0, or -1 with e (404). */
static int group_find(dom_ctx_t *c, const char *id, group_t *g, dom_err_t *e)
{
	for (size_t i = 0; id && i < sizeof group_roles / sizeof group_roles[0]; i++)
		if (strcmp(group_roles[i][0], id) == 0) {
			group_builtin(g, i);
			return 0;
		}
	json_t *role = id ? role_find(c, c->who->account_id, id) : NULL;
	if (role) {
		group_custom(g, role);
		json_decref(role);
		return 0;
	}
	return dom_fail(e, "not-found", "", "no such group");
}

int dom_scim_group_list(dom_ctx_t *c, const char *filter, int64_t start, int64_t count,
	bool no_members, json_t **out, dom_err_t *e)
{
	return list_answer(c, filter, start, count, true, no_members, "scim.group.list", out, e);
}

int dom_scim_group_get(dom_ctx_t *c, const char *id, bool no_members, json_t **out, dom_err_t *e)
{
	group_t g;
	if (group_find(c, id, &g, e))
		return -1;
	json_t *rows = store_scim_users(c->tx, c->who->account_id);
	if (!rows)
		return dom_fail(e, "internal", "", "users could not be read");
	*out = group_resource(&g, rows, no_members);
	json_decref(rows);
	if (audit_scim(c, "scim.group.read", g.id, NULL) != 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the read could not be recorded");
	}
	return 0;
}

/* Gives member id the group's role (C04: the owner keeps theirs;
 * administrators, and roles holding admins.manage, need admins.manage;
 * nobody gets permissions the token's creator does not hold). Audited as
 * scim.user.role. */
static int set_role(dom_ctx_t *c, const char *id, const group_t *g, dom_err_t *e)
{
	json_t *row = store_scim_user(c->tx, c->who->account_id, id);
	if (!row || strcmp(rec_str(row, "status"), "deprovisioned") == 0) {
		json_decref(row);
		return dom_fail(e, "validation-failed", "invalidValue", "no such user: %.48s", id);
	}
	int rc = 0;
	if (group_has(g, row))
		goto out;
	if (may_change(c, row, e) != 0) {
		rc = -1;
		goto out;
	}
	perm_set_t p = g->perms;
	json_t *creator = store_principal_get(c->tx, c->who->person_id);
	perm_set_t ceiling = creator ? person_perms(creator) : 0;
	json_decref(creator);
	authz_resource_t r = { .kind = AUTHZ_RES_MEMBER, .role = g->role, .perms = p };
	if (authz_resource(c->who, AUTHZ_MANAGE, &r, NULL) != AUTHZ_ALLOW || (p & ~ceiling)) {
		rc = dom_fail(e, "permission-not-held", "", "the SCIM token cannot give the role %s",
			g->display);
		goto out;
	}
	bool custom = strcmp(g->role, "custom") == 0;
	char *ps = perm_set_to_string(custom ? p : 0);
	json_t *upd = json_pack("{s:s, s:s, s:I}", "role", g->role, "permissions", ps, "updated_at",
		(json_int_t)time_now_ms());
	free(ps);
	if (custom)
		json_object_set_new(upd, "role_id", json_string(g->id));
	rc = store_principal_update(c->tx, id, upd) == STORE_OK ? 0 : -1;
	json_decref(upd);
	const char *old = *rec_str(row, "role_id") ? rec_str(row, "role_id") : rec_str(row, "role");
	if (rc == 0)
		rc = audit_scim(c, "scim.user.role", id, json_pack("{s:s, s:s}", "old", old, "new",
			g->id));
	if (rc != 0)
		dom_fail(e, "internal", "", "the role could not be changed");
out:
	json_decref(row);
	return rc;
}

/* Whether id is among the values of the members array ms. */
static bool in_members(const json_t *ms, const char *id)
{
	size_t i;
	const json_t *m;
	json_array_foreach(ms, i, m)
		if (strcmp(rec_str(m, "value"), id) == 0)
			return true;
	return false;
}

/* Makes the members of the role's group those of want (an array of
 * {value}; NULL: none): the people added take the role; the people taken out go back
 * to the user role (nobody leaves the user group but by joining another). */
static int group_set_members(dom_ctx_t *c, const group_t *g, const json_t *cur, const json_t *want,
	json_t **out, dom_err_t *e)
{
	group_t users;
	group_builtin(&users, 2);
	if (want && !json_is_array(want))
		return dom_fail(e, "validation-failed", "invalidValue", "members must be an array");
	size_t i;
	const json_t *m;
	json_array_foreach(want, i, m)
		if (!json_is_string(scim_get_ci(m, "value")))
			return dom_fail(e, "validation-failed", "invalidValue", "each member is {\"value\": user id}");
	json_t *added = json_array(), *removed = json_array();
	int rc = 0;
	json_array_foreach(want, i, m) {
		const char *id = json_string_value(scim_get_ci(m, "value"));
		if (!in_members(cur, id) && !in_members(added, id)) {
			if ((rc = set_role(c, id, g, e)) != 0)
				break;
			json_array_append_new(added, json_pack("{s:s}", "value", id));
		}
	}
	json_array_foreach(rc == 0 ? cur : NULL, i, m) {
		const char *id = rec_str(m, "value");
		if (in_members(want, id))
			continue;
		if (strcmp(g->role, "user") == 0) {
			rc = dom_fail(e, "validation-failed", "mutability",
				"every member holds a role: add %.48s to another group instead", id);
			break;
		}
		if ((rc = set_role(c, id, &users, e)) != 0)
			break;
		json_array_append_new(removed, json_pack("{s:s}", "value", id));
	}
	if (rc == 0)
		rc = audit_scim(c, "scim.group.update", g->id, json_pack("{s:O, s:O}", "added", added,
			"removed", removed));
	json_decref(added);
	json_decref(removed);
	if (rc != 0)
		return e->kind ? -1 : dom_fail(e, "internal", "", "the group could not be changed");
	json_t *rows = store_scim_users(c->tx, c->who->account_id);
	if (!rows)
		return dom_fail(e, "internal", "", "users could not be read");
	*out = group_resource(g, rows, false);
	json_decref(rows);
	return 0;
}

static int group_check_version(const json_t *g, const char *if_match, dom_err_t *e)
{
	if (!if_match || strcmp(if_match, "*") == 0)
		return 0;
	const char *v = rec_str(json_object_get(g, "meta"), "version");
	bool ok = strcmp(if_match, v) == 0 || strcmp(if_match, v + 2) == 0;
	return ok ? 0 : dom_fail(e, "precondition-failed", "",
		"the group has changed since that version (If-Match)");
}

/* The group as it is, for a change (NULL with e). */
static json_t *group_current(dom_ctx_t *c, const char *id, const char *if_match, group_t *gr,
	dom_err_t *e)
{
	if (group_find(c, id, gr, e))
		return NULL;
	json_t *rows = store_scim_users(c->tx, c->who->account_id);
	if (!rows) {
		dom_fail(e, "internal", "", "users could not be read");
		return NULL;
	}
	json_t *g = group_resource(gr, rows, false);
	json_decref(rows);
	if (group_check_version(g, if_match, e) != 0) {
		json_decref(g);
		return NULL;
	}
	return g;
}

int dom_scim_group_patch(dom_ctx_t *c, const char *id, const json_t *body, const char *if_match,
	json_t **out, dom_err_t *e)
{
	group_t gr;
	json_t *g = group_current(c, id, if_match, &gr, e);
	if (!g)
		return -1;
	bool patchop = false;
	size_t i;
	const json_t *s;
	json_array_foreach(scim_get_ci(body, "schemas"), i, s)
		patchop |= json_is_string(s) && strcmp(json_string_value(s), SCIM_URN_PATCH) == 0;
	if (!patchop) {
		json_decref(g);
		return dom_fail(e, "validation-failed", "invalidSyntax",
			"a PATCH body names the schema %s", SCIM_URN_PATCH);
	}
	json_t *cur = json_deep_copy(json_object_get(g, "members"));
	i18n_msg_t m;
	const char *type = "invalidSyntax";
	int rc = scim_patch_apply(g, scim_get_ci(body, "Operations"), &m, &type);
	if (rc != 0)
		rc = dom_fail_msg(e, "validation-failed", type, &m);
	/* Groups are named by faxvault: a new displayName is not taken. */
	const json_t *want = scim_get_ci(g, "members");
	if (rc == 0)
		rc = group_set_members(c, &gr, cur, want, out, e);
	json_decref(cur);
	json_decref(g);
	return rc;
}

int dom_scim_group_replace(dom_ctx_t *c, const char *id, const json_t *body, const char *if_match,
	json_t **out, dom_err_t *e)
{
	group_t gr;
	json_t *g = group_current(c, id, if_match, &gr, e);
	if (!g)
		return -1;
	int rc = group_set_members(c, &gr, json_object_get(g, "members"),
		scim_get_ci(body, "members"), out, e);
	json_decref(g);
	return rc;
}

int dom_scim_group_create(dom_ctx_t *c, const json_t *body, dom_err_t *e)
{
	const char *name = json_string_value(scim_get_ci(body, "displayName"));
	for (size_t i = 0; name && i < sizeof group_roles / sizeof group_roles[0]; i++)
		if (strcasecmp(name, group_roles[i][0]) == 0 || strcasecmp(name, group_roles[i][1]) == 0)
			return dom_fail(e, "conflict", "uniqueness",
				"the group %s exists: it is one of the account's roles", group_roles[i][1]);
	json_t *role = role_find_by_name(c, c->who->account_id, name);
	if (role) {
		dom_fail(e, "conflict", "uniqueness",
			"the group %s exists: it is one of the account's roles", rec_str(role, "name"));
		json_decref(role);
		return -1;
	}
	return dom_fail(e, "validation-failed", "invalidValue",
		"the groups are the account's roles (Administrators, Billing, Users and its custom roles, "
		"defined with /v1/accounts/{id}/roles): none is created here");
}

int dom_scim_group_delete(dom_ctx_t *c, const char *id, dom_err_t *e)
{
	group_t g;
	if (group_find(c, id, &g, e))
		return -1;
	return dom_fail(e, "forbidden", "", "the account's roles cannot be deleted");
}

/* ---- discovery ---- */

json_t *scim_service_provider_config(void)
{
	return json_pack("{s:[s], s:{s:b}, s:{s:b, s:i}, s:{s:b}, s:{s:b}, s:{s:b, s:i, s:i},"
		" s:{s:b}, s:[{s:s, s:s, s:s, s:b}], s:{s:s}}",
		"schemas", "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
		"patch", "supported", 1,
		"filter", "supported", 1, "maxResults", SCIM_COUNT_MAX,
		"changePassword", "supported", 0,
		"sort", "supported", 0,
		"bulk", "supported", 0, "maxOperations", 0, "maxPayloadSize", 0,
		"etag", "supported", 1,
		"authenticationSchemes", "type", "oauthbearertoken", "name", "Bearer token",
		"description", "A SCIM token of the account (POST /v1/accounts/{id}/scim-tokens)",
		"primary", 1,
		"meta", "resourceType", "ServiceProviderConfig");
}

json_t *scim_resource_types(void)
{
	json_t *user = json_pack("{s:[s], s:s, s:s, s:s, s:s, s:[{s:s, s:b}], s:{s:s, s:s}}",
		"schemas", "urn:ietf:params:scim:schemas:core:2.0:ResourceType", "id", "User", "name",
		"User", "endpoint", "/Users", "schema", SCIM_URN_USER, "schemaExtensions", "schema",
		SCIM_URN_ENTERPRISE, "required", 0, "meta", "resourceType", "ResourceType", "location",
		"/scim/v2/ResourceTypes/User");
	json_t *group = json_pack("{s:[s], s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "schemas",
		"urn:ietf:params:scim:schemas:core:2.0:ResourceType", "id", "Group", "name", "Group",
		"endpoint", "/Groups", "schema", SCIM_URN_GROUP, "meta", "resourceType", "ResourceType",
		"location", "/scim/v2/ResourceTypes/Group");
	return json_pack("{s:[s], s:i, s:i, s:i, s:[o, o]}", "schemas", SCIM_URN_LIST,
		"totalResults", 2, "startIndex", 1, "itemsPerPage", 2, "Resources", user, group);
}

static json_t *attr_def(const char *name, const char *type, bool multi, bool required,
	const char *mutability, const char *uniqueness)
{
	return json_pack("{s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:s}", "name", name, "type", type,
		"multiValued", multi, "required", required, "caseExact", 0, "mutability", mutability,
		"returned", "default", "uniqueness", uniqueness);
}

json_t *scim_schemas(void)
{
	json_t *uattrs = json_pack("[o, o, o, o, o, o, o, o, o, o]",
		attr_def("userName", "string", false, true, "readWrite", "server"),
		attr_def("externalId", "string", false, false, "readWrite", "none"),
		attr_def("name", "complex", false, false, "readWrite", "none"),
		attr_def("displayName", "string", false, false, "readWrite", "none"),
		attr_def("title", "string", false, false, "readWrite", "none"),
		attr_def("preferredLanguage", "string", false, false, "readWrite", "none"),
		attr_def("emails", "complex", true, false, "readWrite", "none"),
		attr_def("phoneNumbers", "complex", true, false, "readWrite", "none"),
		attr_def("active", "boolean", false, false, "readWrite", "none"),
		attr_def("groups", "complex", true, false, "readOnly", "none"));
	json_t *gattrs = json_pack("[o, o]",
		attr_def("displayName", "string", false, true, "readOnly", "server"),
		attr_def("members", "complex", true, false, "readWrite", "none"));
	json_t *user = json_pack("{s:[s], s:s, s:s, s:s, s:o, s:{s:s, s:s}}", "schemas",
		"urn:ietf:params:scim:schemas:core:2.0:Schema", "id", SCIM_URN_USER, "name", "User",
		"description", "A member of the account", "attributes", uattrs, "meta", "resourceType",
		"Schema", "location", "/scim/v2/Schemas/" SCIM_URN_USER);
	json_t *group = json_pack("{s:[s], s:s, s:s, s:s, s:o, s:{s:s, s:s}}", "schemas",
		"urn:ietf:params:scim:schemas:core:2.0:Schema", "id", SCIM_URN_GROUP, "name", "Group",
		"description", "A role of the account", "attributes", gattrs, "meta", "resourceType",
		"Schema", "location", "/scim/v2/Schemas/" SCIM_URN_GROUP);
	return json_pack("{s:[s], s:i, s:i, s:i, s:[o, o]}", "schemas", SCIM_URN_LIST,
		"totalResults", 2, "startIndex", 1, "itemsPerPage", 2, "Resources", user, group);
}
