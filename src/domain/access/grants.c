/* Support access grants of provider staff (see consents.h). */
#include <string.h>

#include "access.h"
#include "dom_util.h"
#include "notify/notify.h"
#include "identity/identity.h"
#include "sec.h"
#include "store_consents.h"
#include "timeutil.h"
#include "xalloc.h"

#define GRANT_REASON_MAX 200

perm_set_t dom_grant_scope_perms(const char *scope)
{
	perm_set_t read = PERM_BIT(PERM_ACCOUNT_READ);
	if (!scope)
		return 0;
	/* Reading the configuration (settings, number routing, webhook
	 * subscriptions without their secrets), never the data. */
	if (strcmp(scope, "config.read") == 0)
		return read | PERM_BIT(PERM_CONFIG_READ);
	if (strcmp(scope, "data.read") == 0)
		return read | PERM_BIT(PERM_DATA_READ);
	if (strcmp(scope, "admin") == 0)
		return read | PERM_BIT(PERM_NUMBERS_MANAGE) | PERM_BIT(PERM_USERS_MANAGE) |
			PERM_BIT(PERM_ADMINS_MANAGE) | PERM_BIT(PERM_SECURITY_MANAGE) |
			PERM_BIT(PERM_DATA_READ) | PERM_BIT(PERM_BILLING_READ) |
			PERM_BIT(PERM_SETTINGS_MANAGE);
	return 0;
}

static int64_t rec_int(const json_t *r, const char *key)
{
	const json_t *v = json_object_get(r, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* The API view of a stored grant at now (new reference). */
static json_t *grant_view(const json_t *g, int64_t now)
{
	const char *status = rec_str(g, "status");
	if (strcmp(status, "approved") == 0 && rec_int(g, "expires_at") <= now)
		status = "expired";
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:s, s:o, s:o, s:o, s:o, s:o}", "id",
		rec_str(g, "id"), "account_id", rec_str(g, "account_id"), "staff_id",
		rec_str(g, "staff_id"), "scope", rec_str(g, "scope"), "reason", rec_str(g, "reason"),
		"duration_minutes", (json_int_t)rec_int(g, "duration_min"), "break_glass",
		rec_int(g, "break_glass") != 0, "status", status, "requested_at",
		time_json(json_object_get(g, "requested_at")), "decided_at",
		time_json(json_object_get(g, "decided_at")), "decided_by",
		json_is_string(json_object_get(g, "decided_by")) ? json_string(rec_str(g, "decided_by"))
								 : json_null(),
		"starts_at", time_json(json_object_get(g, "starts_at")), "expires_at",
		time_json(json_object_get(g, "expires_at")));
}

/* Mails the account's owner about grant g (kind MAIL_KIND_GRANT_*). */
static int notify_owner(dom_ctx_t *c, const json_t *a, const json_t *g, const char *kind)
{
	json_t *owner = store_principal_get(c->tx, rec_str(a, "owner_id"));
	json_t *staff = store_principal_get(c->tx, rec_str(g, "staff_id"));
	int rc = 0;
	if (owner) {
		char b[40];
		const json_t *exp = json_object_get(g, "expires_at");
		json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "name",
			rec_str(owner, "name"), "account", rec_str(a, "name"), "staff",
			staff ? rec_str(staff, "name") : "", "grant_id", rec_str(g, "id"), "scope",
			rec_str(g, "scope"), "reason", rec_str(g, "reason"), "minutes",
			(json_int_t)rec_int(g, "duration_min"), "expires_at",
			json_is_integer(exp) ? time_format_rfc3339(json_integer_value(exp), b, sizeof b) : "");
		rc = dom_mail_queue(c, kind, owner, NULL, params, NULL);
		json_decref(params);
	}
	json_decref(staff);
	json_decref(owner);
	return rc;
}

int dom_grant_request(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "scope", "reason", "duration_minutes", "break_glass",
		NULL };
	const char *scope, *reason;
	authz_resource_t res = { .kind = AUTHZ_RES_GRANT, .account_id = rec_str(a, "id") };
	if (authz_resource(c->who, AUTHZ_CREATE, &res, NULL) != AUTHZ_ALLOW)
		return dom_fail(e, "forbidden", "", "access grants are asked for by provider staff in person");
	if (body_only(body, allowed, e) || body_str(body, "scope", true, &scope, e) ||
	    body_str(body, "reason", false, &reason, e))
		return -1;
	if (!dom_grant_scope_perms(scope))
		return dom_fail(e, "validation-failed", "scope", "scope must be config.read, data.read or admin");
	const json_t *bg = json_object_get(body, "break_glass");
	if (bg && !json_is_boolean(bg))
		return dom_fail(e, "validation-failed", "break_glass", "break_glass must be true or false");
	bool glass = json_is_true(bg);
	size_t rlen = reason ? strlen(reason) : 0;
	while (rlen && (reason[rlen - 1] == ' '))
		rlen--;
	if (!reason || rlen == 0 || strlen(reason) > GRANT_REASON_MAX)
		return dom_fail(e, "validation-failed", "reason",
			"a reason (a ticket reference) of 1 to %d characters is required", GRANT_REASON_MAX);
	const json_t *dm = json_object_get(body, "duration_minutes");
	int max = glass ? (c->cfg && c->cfg->break_glass_max_minutes > 0 ? c->cfg->break_glass_max_minutes : 60)
			: (c->cfg && c->cfg->grant_max_hours > 0 ? c->cfg->grant_max_hours : 72) * 60;
	if (!json_is_integer(dm) || json_integer_value(dm) < 1 || json_integer_value(dm) > max)
		return dom_fail(e, "validation-failed", "duration_minutes",
			"duration_minutes must be 1 to %d", max);
	res.restricted = glass;
	if (authz_resource(c->who, AUTHZ_CREATE, &res, NULL) != AUTHZ_ALLOW)
		return dom_fail(e, "forbidden", "break_glass", "break-glass access is for operators");
	int64_t now = time_now_ms(), minutes = json_integer_value(dm);
	/* A configuration read is approved at once where the account chose so
	 * (its security setting access_grants_auto_config); the owner is told
	 * as of a request, and the grant is listed and audited like any. */
	sec_policy_t pol;
	dom_policy(c->tx, c->cfg, rec_str(a, "id"), &pol);
	bool autom = !glass && pol.grants_auto_config && strcmp(scope, "config.read") == 0;
	char *id = sec_new_id("agr");
	json_t *g = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:s, s:I}", "id", id, "account_id",
		rec_str(a, "id"), "staff_id", c->who->person_id, "scope", scope, "reason", reason,
		"duration_min", (json_int_t)minutes, "break_glass", glass ? 1 : 0, "status",
		glass || autom ? "approved" : "requested", "requested_at", (json_int_t)now);
	free(id);
	if (glass || autom) {
		/* In force at once, decided by the operator's own reason, or by
		 * the account's setting. */
		json_object_set_new(g, "decided_at", json_integer(now));
		json_object_set_new(g, "decided_by", json_string(glass ? c->who->person_id
			: "system:auto-approval"));
		json_object_set_new(g, "starts_at", json_integer(now));
		json_object_set_new(g, "expires_at", json_integer(now + minutes * 60000));
	}
	int rc = store_grant_insert(c->tx, g) == STORE_OK ? 0 : -1;
	json_t *d = json_pack("{s:s, s:s, s:I, s:b, s:b}", "scope", scope, "reason", reason,
		"duration_minutes", (json_int_t)minutes, "break_glass", glass, "auto_approved", autom);
	if (rc == 0)
		rc = dom_audit(c, glass ? "access_grant.break_glass" : "access_grant.request",
			rec_str(g, "id"), rec_str(a, "id"), "success", d);
	json_decref(d);
	if (rc == 0)
		rc = notify_owner(c, a, g, glass ? MAIL_KIND_GRANT_BREAK_GLASS
			: autom ? MAIL_KIND_GRANT_AUTO : MAIL_KIND_GRANT_REQUESTED);
	if (rc == 0)
		*out = grant_view(g, now);
	json_decref(g);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the access grant could not be stored");
}

int dom_grant_list(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	json_t *rows = store_grant_list(c->tx, rec_str(a, "id"));
	if (!rows)
		return dom_fail(e, "internal", "", "the access grants could not be read");
	int64_t now = time_now_ms();
	json_t *items = json_array();
	size_t i;
	json_t *g;
	json_array_foreach(rows, i, g)
		json_array_append_new(items, grant_view(g, now));
	json_decref(rows);
	*out = json_pack("{s:o}", "items", items);
	if (dom_audit(c, "access_grant.list", rec_str(a, "id"), rec_str(a, "id"), "success", NULL) == 0)
		return 0;
	json_decref(*out);
	*out = NULL;
	return dom_fail(e, "internal", "", "the read could not be recorded");
}

/* Approves (approve) or ends a grant: the decision of an account member
 * in person, never of staff or a partner acting on the account. */
static int decide(dom_ctx_t *c, const json_t *a, const char *grant_id, bool approve, json_t **out,
	dom_err_t *e)
{
	authz_resource_t res = { .kind = AUTHZ_RES_GRANT, .account_id = rec_str(a, "id") };
	if (authz_resource(c->who, AUTHZ_MANAGE, &res, NULL) != AUTHZ_ALLOW)
		return dom_fail(e, "forbidden", "", "access grants are decided by the account's owner or an "
			"administrator, in person");
	json_t *g = store_grant_get(c->tx, rec_str(a, "id"), grant_id);
	if (!g)
		return dom_fail(e, "not-found", "", "no such access grant");
	int64_t now = time_now_ms();
	const char *status = rec_str(g, "status");
	const char *to = approve ? "approved" : strcmp(status, "requested") == 0 ? "refused" : "revoked";
	int64_t expires = now + rec_int(g, "duration_min") * 60000;
	int rc = STORE_NOTFOUND;
	if ((approve && strcmp(status, "requested") == 0) ||
	    (!approve && (strcmp(status, "requested") == 0 ||
			  (strcmp(status, "approved") == 0 && rec_int(g, "expires_at") > now))))
		rc = store_grant_decide(c->tx, rec_str(a, "id"), grant_id, status, to, now,
			c->who->person_id, expires);
	json_decref(g);
	if (rc == STORE_NOTFOUND)
		return approve ? dom_fail(e, "invalid-state", "", "the access grant is not waiting for approval")
			       : dom_fail(e, "invalid-state", "", "the access grant is not in force");
	g = rc == STORE_OK ? store_grant_get(c->tx, rec_str(a, "id"), grant_id) : NULL;
	rc = g ? dom_audit(c, approve ? "access_grant.approve" : "access_grant.end", grant_id,
		rec_str(a, "id"), "success", NULL) : -1;
	if (rc == 0)
		*out = grant_view(g, now);
	json_decref(g);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the access grant could not be stored");
}

int dom_grant_approve(dom_ctx_t *c, const json_t *a, const char *grant_id, json_t **out,
	dom_err_t *e)
{
	return decide(c, a, grant_id, true, out, e);
}

int dom_grant_revoke(dom_ctx_t *c, const json_t *a, const char *grant_id, json_t **out,
	dom_err_t *e)
{
	return decide(c, a, grant_id, false, out, e);
}
