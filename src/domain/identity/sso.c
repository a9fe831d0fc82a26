/* Single sign-on: identity providers and the OpenID Connect sign-in (see
 * sso.h and docs/sso.md). */
#include "identity.h"
#include "identity_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dom_util.h"
#include "log.h"
#include "access/access.h"
#include "sec.h"
#include "notify/notify.h"
#include "store_sso.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define IDP_NAME_MAX 100
#define IDP_FIELD_MAX 512
#define IDP_SCOPES_MAX 256
#define IDP_ROLE_MAP_MAX 32

void sso_web_free(sso_web_t *w)
{
	free(w->location);
	w->location = NULL;
}

/* ---- identity providers ---- */

static json_t *idp_public(const json_t *p)
{
	json_t *map = json_loads(rec_str(p, "role_map"), 0, NULL);
	if (strcmp(rec_str(p, "type"), "saml") == 0)
		return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o,"
			" s:b, s:{s:s, s:s, s:s}}",
			"id", rec_str(p, "id"), "type", "saml", "name", rec_str(p, "name"),
			"idp_entity_id", rec_str(p, "issuer"), "metadata_url",
			rec_str(p, "saml_metadata_url"), "email_attribute", rec_str(p, "email_attribute"),
			"provisioning", rec_str(p, "provisioning"), "role_attribute",
			rec_str(p, "role_claim"), "role_map",
			json_is_object(map) ? map : (json_decref(map), json_object()), "default_role",
			rec_str(p, "default_role"), "status", rec_str(p, "status"), "created_at",
			time_json(json_object_get(p, "created_at")), "updated_at",
			time_json(json_object_get(p, "updated_at")), "allow_sha1",
			json_integer_value(json_object_get(p, "allow_sha1")) != 0, "sp", "entity_id",
			rec_str(p, "sp_entity_id"), "acs_url", rec_str(p, "acs_url"), "metadata_url",
			rec_str(p, "sp_entity_id"));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o}",
		"id", rec_str(p, "id"), "type", rec_str(p, "type"), "name", rec_str(p, "name"),
		"issuer", rec_str(p, "issuer"), "client_id", rec_str(p, "client_id"),
		"client_secret_set", *rec_str(p, "client_secret") != '\0', "token_auth",
		rec_str(p, "token_auth"), "scopes", rec_str(p, "scopes"), "provisioning",
		rec_str(p, "provisioning"), "role_claim", rec_str(p, "role_claim"), "role_map",
		json_is_object(map) ? map : (json_decref(map), json_object()), "default_role",
		rec_str(p, "default_role"), "status", rec_str(p, "status"), "created_at",
		time_json(json_object_get(p, "created_at")), "updated_at",
		time_json(json_object_get(p, "updated_at")));
}

/* A printable single-line text of 1..max bytes. */
static int idp_text(const json_t *body, const char *key, bool required, size_t max,
	const char **out, dom_err_t *e)
{
	if (body_str(body, key, required, out, e))
		return -1;
	if (!*out)
		return 0;
	size_t n = strlen(*out);
	bool ok = n > 0 && n <= max;
	for (size_t i = 0; ok && i < n; i++)
		ok = (unsigned char)(*out)[i] >= 0x20 && (*out)[i] != 0x7f;
	if (!ok)
		return dom_fail(e, "validation-failed", key,
			"\"%s\" must be 1 to %zu printable characters on one line", key, max);
	return 0;
}

/* A role that a sign-in may give in account a: admin, billing or user
 * (never the owner's), or the id of one of the account's named custom roles
 * whose permissions the caller may give (roles.h). */
static bool role_assignable(dom_ctx_t *c, const json_t *a, const char *role)
{
	if (!role || strcmp(role, "owner") == 0)
		return false;
	if (perm_role("account", role) != 0)
		return true;
	json_t *r = role_find(c, rec_str(a, "id"), role);
	if (!r)
		return false;
	perm_set_t p = role_perms(r);
	dom_err_t e2 = { 0 };
	bool ok = member_may_grant(c, "custom", p, p, &e2) == 0;
	json_decref(r);
	return ok;
}

/* Checks the fields that create and update share; the role map as a
 * compact JSON text in *map_txt (caller frees) when given. */
static int idp_fields(dom_ctx_t *c, const json_t *a, const json_t *body, bool create,
	char **map_txt, dom_err_t *e)
{
	const char *issuer, *client_id, *secret, *name, *auth, *scopes, *prov, *claim, *role;
	*map_txt = NULL;
	if (idp_text(body, "issuer", create, OIDC_URL_MAX, &issuer, e) ||
	    idp_text(body, "client_id", create, IDP_FIELD_MAX, &client_id, e) ||
	    idp_text(body, "client_secret", create, IDP_FIELD_MAX, &secret, e) ||
	    idp_text(body, "name", false, IDP_NAME_MAX, &name, e) ||
	    idp_text(body, "token_auth", false, 32, &auth, e) ||
	    idp_text(body, "scopes", false, IDP_SCOPES_MAX, &scopes, e) ||
	    idp_text(body, "provisioning", false, 16, &prov, e) ||
	    body_str(body, "role_claim", false, &claim, e) ||
	    idp_text(body, "default_role", false, 32, &role, e))
		return -1;
	if (issuer) {
		ssrf_url_t u;
		const char *why;
		if (ssrf_url_parse(issuer, strlen(issuer), &u, &why) != 0)
			return dom_fail_sub(e, "validation-failed", "issuer", "\"issuer\" is not valid: %s", why);
	}
	if (auth && strcmp(auth, "client_secret_basic") != 0 && strcmp(auth, "client_secret_post") != 0)
		return dom_fail(e, "validation-failed", "token_auth",
			"\"token_auth\" is client_secret_basic or client_secret_post");
	if (scopes && !strstr(scopes, "openid"))
		return dom_fail(e, "validation-failed", "scopes", "\"scopes\" must include openid");
	if (prov && strcmp(prov, "invited") != 0 && strcmp(prov, "jit") != 0)
		return dom_fail(e, "validation-failed", "provisioning",
			"\"provisioning\" is invited or jit");
	if (claim && strlen(claim) > 64)
		return dom_fail(e, "validation-failed", "role_claim",
			"\"role_claim\" is at most 64 characters");
	if (role && !role_assignable(c, a, role))
		return dom_fail(e, "validation-failed", "default_role",
			"\"default_role\" is admin, billing, user or the id of a custom role of the "
			"account that you may give");
	const json_t *map = json_object_get(body, "role_map");
	if (map) {
		if (!json_is_object(map) || json_object_size(map) > IDP_ROLE_MAP_MAX)
			return dom_fail(e, "validation-failed", "role_map",
				"\"role_map\" maps at most 32 claim values to roles");
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)map, k, v) {
			if (strlen(k) == 0 || strlen(k) > 256 || !role_assignable(c, a, json_string_value(v)))
				return dom_fail(e, "validation-failed", "role_map",
					"\"role_map\" maps claim values to admin, billing, user or the id of a "
					"custom role of the account that you may give");
		}
		*map_txt = json_dumps(map, JSON_COMPACT | JSON_SORT_KEYS);
	}
	return 0;
}

/* ---- SAML providers ---- */

/* The IdP's metadata of body (metadata_xml, or metadata_url fetched with
 * no transaction held) as a new string, its URL in *url ("" inline) and
 * its entity id; NULL with e set. */
static char *saml_metadata_of(dom_ctx_t *c, const json_t *body, const char **url,
	char entity[OIDC_URL_MAX + 1], dom_err_t *e)
{
	const char *xml;
	if (body_str(body, "metadata_xml", false, &xml, e) ||
	    idp_text(body, "metadata_url", false, OIDC_URL_MAX, url, e))
		return NULL;
	if (!xml == !*url) {
		dom_fail(e, "validation-failed", "metadata_xml",
			"give the identity provider's metadata as metadata_xml or metadata_url (one of them)");
		return NULL;
	}
	char *doc = NULL;
	const char *why = NULL;
	if (*url) {
		ssrf_url_t u;
		if (ssrf_url_parse(*url, strlen(*url), &u, &why) != 0) {
			dom_fail_sub(e, "validation-failed", "metadata_url", "\"metadata_url\" is not valid: %s", why);
			return NULL;
		}
		if (dom_tx_pause(c, e) != 0)
			return NULL;
		buf_t b;
		buf_init(&b, SAML_METADATA_MAX);
		long st;
		oidc_req_t r = { .url = *url, .allow = c->cfg->sso_allow, .timeout_ms = 10000 };
		int rc = oidc_fetch(&r, &b, &st, &why);
		if (dom_tx_resume(c, e) != 0) {
			buf_free(&b);
			return NULL;
		}
		if (rc != 0) {
			buf_free(&b);
			log_event(LOG_WARN, "sso.saml_metadata_unreachable", "reason=%s", why);
			dom_fail(e, "idp-unavailable", "metadata_url",
				"the identity provider's metadata cannot be fetched: try again later");
			return NULL;
		}
		doc = buf_steal(&b);
		if (!doc)
			doc = xstrdup("");
	} else {
		*url = "";
		doc = xstrdup(xml);
	}
	if (saml_idp_metadata_read(doc, strlen(doc), entity, OIDC_URL_MAX + 1, &why) != 0) {
		free(doc);
		dom_fail(e, "validation-failed", *url[0] ? "metadata_url" : "metadata_xml",
			"the identity provider's metadata cannot be used (%s)", why);
		return NULL;
	}
	return doc;
}

/* allow_sha1 of body: -1 absent, 0 or 1; -2 with e set when not a boolean. */
static int saml_sha1_of(const json_t *body, dom_err_t *e)
{
	const json_t *v = json_object_get(body, "allow_sha1");
	if (!v)
		return -1;
	if (!json_is_boolean(v)) {
		dom_fail(e, "validation-failed", "allow_sha1", "%s must be true or false", "allow_sha1");
		return -2;
	}
	return json_is_true(v) ? 1 : 0;
}

static int saml_create(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "type", "name", "metadata_xml", "metadata_url",
		"email_attribute", "role_attribute", "role_map", "default_role", "provisioning",
		"allow_sha1", NULL };
	const char *email_attr, *role_attr, *url;
	char *map_txt = NULL;
	char entity[OIDC_URL_MAX + 1];
	if (body_only(body, allowed, e) ||
	    idp_text(body, "email_attribute", false, IDP_NAME_MAX * 2, &email_attr, e) ||
	    idp_text(body, "role_attribute", false, IDP_NAME_MAX * 2, &role_attr, e) ||
	    idp_fields(c, a, body, false, &map_txt, e))
		return -1;
	int sha1 = saml_sha1_of(body, e);
	if (sha1 == -2) {
		free(map_txt);
		return -1;
	}
	char *doc = saml_metadata_of(c, body, &url, entity, e);
	if (!doc) {
		free(map_txt);
		return -1;
	}
	const char *acc = rec_str(a, "id");
	const char *name = json_string_value(json_object_get(body, "name"));
	char *id = sec_new_id("idp");
	char *cn = xasprintf("faxvault SP %s", id);
	char *key = NULL, *cert = NULL;
	char *sealed = saml_keypair_new(cn, &key, &cert) == 0
		? sso_key_seal(c, acc, id, key) : NULL;
	free(cn);
	if (key) {
		sodium_memzero(key, strlen(key));
		free(key);
	}
	const char *web = c->cfg->web_url ? c->cfg->web_url : "";
	char *sp_entity = xasprintf("%s/v1/sso/%s/%s/saml/metadata", web, acc, id);
	char *acs = xasprintf("%s/v1/sso/%s/%s/saml/acs", web, acc, id);
	int64_t now = time_now_ms();
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
		"id", id, "account_id", acc, "type", "saml", "name", name ? name : entity, "issuer",
		entity, "client_id", "", "client_secret", "", "scopes", "", "role_map",
		map_txt ? map_txt : "{}", "role_claim", role_attr ? role_attr : "", "status", "active",
		"created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	const char *opt[][2] = { { "provisioning", "invited" }, { "default_role", "user" } };
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
		const char *v = json_string_value(json_object_get(body, opt[i][0]));
		json_object_set_new(rec, opt[i][0], json_string(v ? v : opt[i][1]));
	}
	json_t *srec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:I}", "idp_id", id,
		"account_id", acc, "idp_metadata", doc, "metadata_url", url, "sp_entity_id", sp_entity,
		"acs_url", acs, "sp_cert", cert ? cert : "", "sp_key", sealed, "email_attribute",
		email_attr ? email_attr : "", "allow_sha1", (json_int_t)(sha1 == 1));
	int rc = sealed && cert && srec ? store_idp_insert(c->tx, rec) : STORE_ERROR;
	if (rc == STORE_OK)
		rc = store_saml_insert(c->tx, srec);
	json_t *detail = json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", "saml", "idp_entity_id",
		entity, "provisioning", rec_str(rec, "provisioning"), "metadata_url", url, "allow_sha1",
		sha1 == 1);
	if (rc == STORE_OK)
		rc = dom_audit(c, "idp.create", id, acc, "success", detail);
	json_decref(detail);
	json_decref(rec);
	json_decref(srec);
	free(sealed);
	free(cert);
	free(doc);
	free(map_txt);
	free(sp_entity);
	free(acs);
	json_t *row = rc == 0 ? store_idp_get(c->tx, acc, id) : NULL;
	free(id);
	if (!row)
		return dom_fail(e, "internal", "", "the identity provider could not be stored");
	*out = idp_public(row);
	json_decref(row);
	return 0;
}

/* PATCH of a SAML provider: name, provisioning, role_attribute, role_map,
 * default_role, status, email_attribute, allow_sha1, and new metadata
 * (metadata_xml or metadata_url: the IdP rotated its keys). */
static int saml_update(dom_ctx_t *c, const json_t *a, const char *id, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", "provisioning", "role_attribute", "role_map",
		"default_role", "status", "email_attribute", "metadata_xml", "metadata_url", "allow_sha1",
		NULL };
	static const char *const plain[] = { "name", "provisioning", "default_role", "status", NULL };
	const char *status, *email_attr, *role_attr, *url = NULL;
	char *map_txt = NULL;
	char entity[OIDC_URL_MAX + 1];
	if (body_only(body, allowed, e) || body_str(body, "status", false, &status, e) ||
	    idp_text(body, "email_attribute", false, IDP_NAME_MAX * 2, &email_attr, e) ||
	    body_str(body, "role_attribute", false, &role_attr, e))
		return -1;
	if (status && strcmp(status, "active") != 0 && strcmp(status, "disabled") != 0)
		return dom_fail(e, "validation-failed", "status", "\"status\" is \"active\" or \"disabled\"");
	if (role_attr && strlen(role_attr) > IDP_NAME_MAX * 2)
		return dom_fail(e, "validation-failed", "role_attribute",
			"\"role_attribute\" is at most 200 characters");
	int sha1 = saml_sha1_of(body, e);
	if (sha1 == -2 || idp_fields(c, a, body, false, &map_txt, e))
		return -1;
	const char *acc = rec_str(a, "id");
	char *doc = NULL;
	if (json_object_get(body, "metadata_xml") || json_object_get(body, "metadata_url")) {
		doc = saml_metadata_of(c, body, &url, entity, e);
		if (!doc) {
			free(map_txt);
			return -1;
		}
	}
	json_t *f = json_pack("{s:I}", "updated_at", (json_int_t)time_now_ms());
	json_t *sf = json_object();
	json_t *detail = json_object();
	for (int i = 0; plain[i]; i++) {
		const json_t *v = json_object_get(body, plain[i]);
		if (v) {
			json_object_set(f, plain[i], (json_t *)v);
			json_object_set(detail, plain[i], (json_t *)v);
		}
	}
	if (role_attr) {
		json_object_set_new(f, "role_claim", json_string(role_attr));
		json_object_set_new(detail, "role_attribute", json_string(role_attr));
	}
	if (map_txt)
		json_object_set_new(f, "role_map", json_string(map_txt));
	if (email_attr) {
		json_object_set_new(sf, "email_attribute", json_string(email_attr));
		json_object_set_new(detail, "email_attribute", json_string(email_attr));
	}
	if (sha1 >= 0) {
		json_object_set_new(sf, "allow_sha1", json_integer(sha1));
		json_object_set_new(detail, "allow_sha1", json_boolean(sha1));
	}
	if (doc) {
		json_object_set_new(f, "issuer", json_string(entity));
		json_object_set_new(sf, "idp_metadata", json_string(doc));
		json_object_set_new(sf, "metadata_url", json_string(url));
		json_object_set_new(detail, "idp_entity_id", json_string(entity));
		json_object_set_new(detail, "metadata", json_string("changed"));
	}
	free(map_txt);
	free(doc);
	int rc = store_idp_update(c->tx, acc, id, f);
	if (rc == STORE_OK && json_object_size(sf))
		rc = store_saml_update(c->tx, acc, id, sf);
	if (rc == STORE_OK)
		rc = dom_audit(c, "idp.update", id, acc, "success", detail);
	json_decref(f);
	json_decref(sf);
	json_decref(detail);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the identity provider could not be updated");
	return dom_idp_get(c, a, id, out, e);
}

int dom_idp_create(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "type", "name", "issuer", "client_id",
		"client_secret", "token_auth", "scopes", "provisioning", "role_claim", "role_map",
		"default_role", "metadata_xml", "metadata_url", NULL };
	const char *type;
	if (body_str(body, "type", true, &type, e))
		return -1;
	if (strcmp(type, "saml") == 0)
		return saml_create(c, a, body, out, e);
	if (strcmp(type, "oidc") != 0)
		return dom_fail(e, "validation-failed", "type", "\"type\" is oidc or saml");
	char *map_txt = NULL;
	if (body_only(body, allowed, e) || json_object_get(body, "metadata_xml") ||
	    json_object_get(body, "metadata_url")) {
		if (!e->kind)
			dom_fail(e, "validation-failed", "metadata_xml",
				"metadata_xml and metadata_url belong to SAML providers");
		return -1;
	}
	if (idp_fields(c, a, body, true, &map_txt, e))
		return -1;
	const char *issuer = json_string_value(json_object_get(body, "issuer"));
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *secret = json_string_value(json_object_get(body, "client_secret"));
	const char *opt[][2] = { { "token_auth", "client_secret_basic" },
		{ "scopes", "openid email profile" }, { "provisioning", "invited" },
		{ "role_claim", "" }, { "default_role", "user" } };
	int64_t now = time_now_ms();
	char *id = sec_new_id("idp");
	char *sealed = dom_secret_seal(c, rec_str(a, "id"), "idp", id, secret);
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:I, s:I}", "id", id,
		"account_id", rec_str(a, "id"), "type", "oidc", "name", name ? name : issuer, "issuer",
		issuer, "client_id", json_string_value(json_object_get(body, "client_id")),
		"client_secret", sealed, "role_map", map_txt ? map_txt : "{}", "status", "active",
		"created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
		const char *v = json_string_value(json_object_get(body, opt[i][0]));
		json_object_set_new(rec, opt[i][0], json_string(v ? v : opt[i][1]));
	}
	int rc = sealed ? store_idp_insert(c->tx, rec) : STORE_ERROR;
	json_t *detail = json_pack("{s:s, s:s, s:s}", "type", "oidc", "issuer", issuer,
		"provisioning", rec_str(rec, "provisioning"));
	if (rc == STORE_OK)
		rc = dom_audit(c, "idp.create", id, rec_str(a, "id"), "success", detail);
	json_decref(detail);
	json_decref(rec);
	free(sealed);
	free(map_txt);
	json_t *row = rc == 0 ? store_idp_get(c->tx, rec_str(a, "id"), id) : NULL;
	free(id);
	if (!row)
		return dom_fail(e, "internal", "", "the identity provider could not be stored");
	*out = idp_public(row);
	json_decref(row);
	return 0;
}

int dom_idp_list(dom_ctx_t *c, const json_t *a, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	store_page_t pg;
	if (store_idp_list(c->tx, rec_str(a, "id"), cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "identity providers could not be read");
	*out = page_json(&pg, idp_public);
	return dom_read_audited(c, "idp.list", rec_str(a, "id"), rec_str(a, "id"), out, e);
}

int dom_idp_get(dom_ctx_t *c, const json_t *a, const char *id, json_t **out, dom_err_t *e)
{
	json_t *p = store_idp_get(c->tx, rec_str(a, "id"), id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such identity provider");
	*out = idp_public(p);
	json_decref(p);
	return dom_read_audited(c, "idp.read", id, rec_str(a, "id"), out, e);
}

int dom_idp_update(dom_ctx_t *c, const json_t *a, const char *id, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", "issuer", "client_id", "client_secret",
		"token_auth", "scopes", "provisioning", "role_claim", "role_map", "default_role",
		"status", NULL };
	static const char *const plain[] = { "name", "issuer", "client_id", "token_auth", "scopes",
		"provisioning", "role_claim", "default_role", "status", NULL };
	const char *status;
	char *map_txt = NULL;
	json_t *cur = store_idp_get(c->tx, rec_str(a, "id"), id);
	bool saml = cur && strcmp(rec_str(cur, "type"), "saml") == 0;
	json_decref(cur);
	if (saml)
		return saml_update(c, a, id, body, out, e);
	if (body_only(body, allowed, e) || body_str(body, "status", false, &status, e))
		return -1;
	if (status && strcmp(status, "active") != 0 && strcmp(status, "disabled") != 0)
		return dom_fail(e, "validation-failed", "status", "\"status\" is \"active\" or \"disabled\"");
	if (idp_fields(c, a, body, false, &map_txt, e))
		return -1;
	json_t *p = store_idp_get(c->tx, rec_str(a, "id"), id);
	if (!p) {
		free(map_txt);
		return dom_fail(e, "not-found", "", "no such identity provider");
	}
	json_decref(p);
	json_t *f = json_pack("{s:I}", "updated_at", (json_int_t)time_now_ms());
	json_t *detail = json_object();
	for (int i = 0; plain[i]; i++) {
		const json_t *v = json_object_get(body, plain[i]);
		if (v) {
			json_object_set(f, plain[i], (json_t *)v);
			json_object_set(detail, plain[i], (json_t *)v);
		}
	}
	if (map_txt)
		json_object_set_new(f, "role_map", json_string(map_txt));
	free(map_txt);
	int rc = STORE_OK;
	const char *secret = json_string_value(json_object_get(body, "client_secret"));
	if (secret) {
		char *sealed = dom_secret_seal(c, rec_str(a, "id"), "idp", id, secret);
		if (sealed)
			json_object_set_new(f, "client_secret", json_string(sealed));
		else
			rc = STORE_ERROR;
		free(sealed);
		json_object_set_new(detail, "client_secret", json_string("changed"));
	}
	if (rc == STORE_OK)
		rc = store_idp_update(c->tx, rec_str(a, "id"), id, f);
	json_decref(f);
	if (rc == STORE_OK)
		rc = dom_audit(c, "idp.update", id, rec_str(a, "id"), "success", detail);
	json_decref(detail);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the identity provider could not be updated");
	return dom_idp_get(c, a, id, out, e);
}

int dom_idp_delete(dom_ctx_t *c, const json_t *a, const char *id, json_t **out, dom_err_t *e)
{
	*out = NULL;
	int rc = store_idp_delete(c->tx, rec_str(a, "id"), id, time_now_ms());
	if (rc == STORE_NOTFOUND)
		return dom_fail(e, "not-found", "", "no such identity provider");
	if (rc == STORE_OK)
		rc = dom_audit(c, "idp.delete", id, rec_str(a, "id"), "success", NULL);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the identity provider could not be deleted");
}
