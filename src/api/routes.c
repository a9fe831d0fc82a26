/* The routes of the HTTP API: each maps a request onto one domain operation.
 * Handlers only pick arguments out of the request; validation, rules and
 * audit are the domain's. */
#include <pthread.h>
#include <string.h>

#include "xalloc.h"

#include "records/records.h"
#include "tenancy/tenancy.h"
#include "access/access.h"
#include "router.h"

#define P(x) PERM_BIT(PERM_##x)

/* ---- sessions and the caller ---- */

static int h_login(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_login(c, r->body, out, e);
}

static int h_logout(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_logout(c, out, e);
}

/* A page of the portal signed in by its cookie gets the session's CSRF
 * token again (it keeps it in memory only, and a reload loses it). */
static int h_me(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	int rc = dom_me(c, out, e);
	if (rc == 0 && r->csrf)
		json_object_set_new(*out, "csrf_token", json_string(r->csrf));
	return rc;
}

static int h_me_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_me_update(c, r->body, out, e);
}

static int h_my_sessions(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_my_sessions(c, out, e);
}

static int h_my_session_revoke(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_my_session_revoke(c, route_param(r->m, "session_id"), out, e);
}

/* The token comes in the body; the older form with the token in the path
 * (route_param "token") still works, and the request log redacts it. */
static int h_invitation_accept(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_invitation_accept(c, route_param(r->m, "token"), r->body, out, e);
}

static int h_permissions(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	(void)e;
	*out = perm_table_json(c->lang);
	return 0;
}

static int h_password_change(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_password_change(c, r->body, out, e);
}

/* ---- accounts ---- */

static int h_account_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_account_create(c, r->body, out, e);
}

static int h_account_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_account_list(c, r->cursor, r->limit, out, e);
}

static int h_account_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_account_get(c, r->account, out, e);
}

static int h_account_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_account_update(c, r->account, r->body, out, e);
}

static int h_account_suspend(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_account_set_status(c, r->account, "suspended", out, e);
}

static int h_account_reactivate(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_account_set_status(c, r->account, "active", out, e);
}

static int h_account_close(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_account_close(c, r->account, out, e);
}

static int h_owner_transfer(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_owner_transfer(c, r->account, r->body, out, e);
}

/* ---- members ---- */

static int h_user_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_member_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_user_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_member_create(c, r->account, r->body, out, e);
}

static int h_user_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_member_get(c, r->account, route_param(r->m, "user_id"), out, e);
}

static int h_user_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_member_update(c, r->account, route_param(r->m, "user_id"), r->body, out, e);
}

static int h_user_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_member_delete(c, r->account, route_param(r->m, "user_id"), out, e);
}

static int h_user_export(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_member_export(c, r->account, route_param(r->m, "user_id"), out, e);
}

static int h_export_status(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_member_export_status(c, r->account, route_param(r->m, "export_id"), out, e);
}

static int h_user_export_deliver(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_member_export_deliver(c, r->account, route_param(r->m, "user_id"), r->body, out,
		e);
}

static int h_user_erase(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_member_erase(c, r->account, route_param(r->m, "user_id"), r->body, out, e);
}

/* ---- API keys ---- */

static int h_key_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_apikey_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_key_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_apikey_create(c, r->account, r->body, out, e);
}

static int h_key_revoke(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_apikey_revoke(c, r->account, route_param(r->m, "key_id"), out, e);
}

/* ---- audit ---- */

static int h_audit_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_audit_list(c, r->account, r->query, r->cursor, r->limit, out, e);
}

static int h_audit_export(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_audit_export(c, r->account, out, e);
}

static int h_audit_verify(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_audit_verify(c, out, e);
}

static int h_audit_checkpoints(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_audit_checkpoints(c, r->account, r->cursor, r->limit, out, e);
}

static int h_audit_checkpoint_now(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_audit_checkpoint_now(c, out, e);
}

/* ---- provider and partners ---- */

static int h_staff_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_staff_list(c, r->cursor, r->limit, out, e);
}

static int h_staff_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_staff_create(c, r->body, out, e);
}

static int h_staff_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_staff_get(c, route_param(r->m, "user_id"), out, e);
}

static int h_staff_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_staff_update(c, route_param(r->m, "user_id"), r->body, out, e);
}

static int h_staff_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_staff_delete(c, route_param(r->m, "user_id"), out, e);
}

static int h_partner_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_partner_update(c, route_param(r->m, "partner_id"), r->body, out, e);
}

static int h_partner_staff_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_partner_staff_delete(c, route_param(r->m, "partner_id"), route_param(r->m, "user_id"),
		out, e);
}

static int h_partner_staff_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_partner_staff_update(c, route_param(r->m, "partner_id"), route_param(r->m, "user_id"),
		r->body, out, e);
}

static int h_partner_white_label(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_partner_white_label(c, route_param(r->m, "partner_id"), r->body, out, e);
}

/* The logo is the one part named "logo" of the form. */
static int h_partner_logo_put(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	const mp_part_t *logo = NULL;
	for (int i = 0; r->form && i < r->form->n; i++) {
		const mp_part_t *p = &r->form->parts[i];
		if (strcmp(p->name, "logo") != 0 || logo)
			return dom_fail(e, "validation-failed", p->name,
				"the form has one part, \"logo\", the image");
		logo = p;
	}
	return dom_partner_logo_put(c, route_param(r->m, "partner_id"), logo ? logo->data : NULL,
		logo ? logo->len : 0, out, e);
}

static int h_partner_logo_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	return dom_partner_logo_delete(c, route_param(r->m, "partner_id"), e);
}

static int h_my_logo(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	const char *ctype = NULL;
	if (dom_my_logo(c, &r->raw->data, &r->raw->len, &ctype, e) != 0)
		return -1;
	r->raw->ctype = ctype;
	return 0;
}

static int h_partner_accounts(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_partner_accounts(c, route_param(r->m, "partner_id"), r->query, r->cursor, r->limit, out,
		e);
}

static int h_partner_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_partner_list(c, r->cursor, r->limit, out, e);
}

static int h_partner_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_partner_create(c, r->body, out, e);
}

static int h_partner_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_partner_get(c, route_param(r->m, "partner_id"), out, e);
}

static int h_partner_staff_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_partner_staff_list(c, route_param(r->m, "partner_id"), r->cursor, r->limit, out, e);
}

static int h_partner_staff_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_partner_staff_create(c, route_param(r->m, "partner_id"), r->body, out, e);
}

/* ---- security controls ---- */

static int h_security_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_security_get(c, r->account, out, e);
}

static int h_security_patch(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_security_patch(c, r->account, r->body, out, e);
}

static int h_user_unlock(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_member_unlock(c, r->account, route_param(r->m, "user_id"), out, e);
}

static int h_account_sessions(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_account_sessions(c, r->account, out, e);
}

static int h_account_session_revoke(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_account_session_revoke(c, r->account, route_param(r->m, "session_id"), out, e);
}

static int h_terms_publish(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_terms_publish(c, r->body, out, e);
}

static int h_terms_current(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_terms_current(c, out, e);
}

static int h_terms_accept(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_terms_accept(c, r->body, out, e);
}

static int h_terms_pending(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_terms_pending(c, r->account, out, e);
}

static int h_contacts_confirm(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_contacts_confirm(c, r->account, out, e);
}

static int h_posture(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_posture(c, r->account, out, e);
}

static int h_mfa_begin(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_mfa_begin(c, out, e);
}

static int h_mfa_qr(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	if (dom_mfa_qr(c, &r->raw->data, &r->raw->len, e) != 0)
		return -1;
	r->raw->ctype = "image/png";
	return 0;
}

static int h_mfa_confirm(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_mfa_confirm(c, r->body, out, e);
}

static int h_mfa_remove(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_mfa_remove(c, r->body, out, e);
}

static int h_reset_request(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_reset_request(c, r->body, out, e);
}

static int h_reset_complete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_reset_complete(c, route_param(r->m, "token"), r->body, out, e);
}

/* System routes are answered by the HTTP layer itself (see http.c). */
#define SYSTEM (ROUTE_PUBLIC | ROUTE_SYSTEM | ROUTE_READONLY)

static const struct route routes_core[] = {
	{ "GET", "/healthz", "system.health", 0, SYSTEM, 200, NULL },
	{ "GET", "/readyz", "system.ready", 0, SYSTEM, 200, NULL },
	{ "GET", "/metrics", "system.metrics", 0, SYSTEM, 200, NULL },
	{ "GET", "/v1/openapi.json", "system.openapi", 0, SYSTEM, 200, NULL },

	{ "POST", "/v1/sessions", "sessions.create", 0, ROUTE_PUBLIC | ROUTE_BODY, 201, h_login },
	{ "DELETE", "/v1/sessions/current", "sessions.delete", 0, ROUTE_UNGATED, 204, h_logout },
	{ "GET", "/v1/me", "me.get", 0, ROUTE_UNGATED | ROUTE_READONLY, 200, h_me },
	{ "PATCH", "/v1/me", "me.update", 0, ROUTE_BODY | ROUTE_UNGATED, 200, h_me_update },
	{ "GET", "/v1/me/sessions", "me.sessions.list", 0, 0, 200, h_my_sessions },
	{ "GET", "/v1/me/white-label/logo", "me.white_label.logo", 0, ROUTE_UNGATED | ROUTE_READONLY,
		200, h_my_logo },
	{ "DELETE", "/v1/me/sessions/{session_id}", "me.sessions.delete", 0, 0, 204, h_my_session_revoke },
	{ "POST", "/v1/me/password", "me.password.change", 0, ROUTE_BODY | ROUTE_UNGATED, 204,
		h_password_change },
	{ "POST", "/v1/me/mfa/totp", "me.mfa.begin", 0, ROUTE_UNGATED, 201, h_mfa_begin },
	{ "GET", "/v1/me/mfa/totp/qr.png", "me.mfa.qr", 0, ROUTE_UNGATED, 200, h_mfa_qr },
	{ "POST", "/v1/me/mfa/totp/confirm", "me.mfa.confirm", 0, ROUTE_BODY | ROUTE_UNGATED, 200,
		h_mfa_confirm },
	{ "DELETE", "/v1/me/mfa/totp", "me.mfa.remove", 0, ROUTE_BODY, 204, h_mfa_remove },
	{ "POST", "/v1/me/terms/accept", "me.terms.accept", 0, ROUTE_BODY | ROUTE_UNGATED, 200,
		h_terms_accept },
	{ "GET", "/v1/terms/current", "terms.current", 0, ROUTE_PUBLIC | ROUTE_UNGATED, 200, h_terms_current },
	{ "POST", "/v1/password-resets", "password_resets.create", 0, ROUTE_PUBLIC | ROUTE_BODY, 202,
		h_reset_request },
	{ "POST", "/v1/password-resets/complete", "password_resets.complete", 0,
		ROUTE_PUBLIC | ROUTE_BODY, 204, h_reset_complete },
	{ "POST", "/v1/password-resets/{token}", "password_resets.complete_in_path", 0,
		ROUTE_PUBLIC | ROUTE_BODY, 204, h_reset_complete },
	{ "POST", "/v1/invitations/accept", "invitations.accept", 0, ROUTE_PUBLIC | ROUTE_BODY, 200,
		h_invitation_accept },
	{ "POST", "/v1/invitations/{token}/accept", "invitations.accept_in_path", 0,
		ROUTE_PUBLIC | ROUTE_BODY, 200, h_invitation_accept },
	{ "GET", "/v1/permissions", "permissions.list", 0, ROUTE_READONLY | ROUTE_UNGATED, 200,
		h_permissions },

	{ "POST", "/v1/accounts", "accounts.create", P(PROVIDER_ACCOUNTS_MANAGE) | P(PARTNER_ACCOUNTS_MANAGE),
		ROUTE_BODY | ROUTE_CREATE, 201, h_account_create },
	{ "GET", "/v1/accounts", "accounts.list",
		P(PROVIDER_ACCOUNTS_READ) | P(PARTNER_ACCOUNTS_READ) | P(ACCOUNT_READ), ROUTE_READONLY, 200,
		h_account_list },
	{ "GET", "/v1/accounts/{id}", "accounts.get",
		P(PROVIDER_ACCOUNTS_READ) | P(PARTNER_ACCOUNTS_READ) | P(ACCOUNT_READ), ROUTE_ACCOUNT | ROUTE_READONLY,
		200,
		h_account_get },
	/* Partner admins configure the accounts their partner provisioned
	 * (R01); the currency stays the provider's (the domain checks). */
	{ "PATCH", "/v1/accounts/{id}", "accounts.update",
		P(PROVIDER_ACCOUNTS_MANAGE) | P(SETTINGS_MANAGE) | P(PARTNER_ACCOUNTS_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY, 200, h_account_update },
	{ "POST", "/v1/accounts/{id}/suspend", "accounts.suspend",
		P(PROVIDER_ACCOUNTS_MANAGE) | P(PARTNER_ACCOUNTS_MANAGE),
		ROUTE_ACCOUNT, 200, h_account_suspend },
	{ "POST", "/v1/accounts/{id}/reactivate", "accounts.reactivate",
		P(PROVIDER_ACCOUNTS_MANAGE) | P(PARTNER_ACCOUNTS_MANAGE),
		ROUTE_ACCOUNT, 200, h_account_reactivate },
	{ "POST", "/v1/accounts/{id}/close", "accounts.close", P(PROVIDER_ACCOUNTS_MANAGE),
		ROUTE_ACCOUNT, 200, h_account_close },
	{ "POST", "/v1/accounts/{id}/owner-transfer", "accounts.owner_transfer", P(OWNERSHIP_TRANSFER),
		ROUTE_ACCOUNT | ROUTE_BODY, 200, h_owner_transfer },

	{ "GET", "/v1/accounts/{id}/users", "users.list", P(USERS_MANAGE) | P(ADMINS_MANAGE) | P(DATA_READ),
		ROUTE_ACCOUNT | ROUTE_READONLY, 200, h_user_list },
	{ "POST", "/v1/accounts/{id}/users", "users.create", P(USERS_MANAGE) | P(ADMINS_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_user_create },
	{ "GET", "/v1/accounts/{id}/users/{user_id}", "users.get",
		P(USERS_MANAGE) | P(ADMINS_MANAGE) | P(DATA_READ), ROUTE_ACCOUNT | ROUTE_READONLY, 200,
		h_user_get },
	{ "PATCH", "/v1/accounts/{id}/users/{user_id}", "users.update", P(USERS_MANAGE) | P(ADMINS_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY, 200, h_user_update },
	{ "DELETE", "/v1/accounts/{id}/users/{user_id}", "users.delete", P(USERS_MANAGE) | P(ADMINS_MANAGE),
		ROUTE_ACCOUNT, 204, h_user_delete },

	{ "GET", "/v1/accounts/{id}/users/{user_id}/export", "users.export", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT, 200, h_user_export },
	{ "POST", "/v1/accounts/{id}/users/{user_id}/export", "users.export_deliver",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 202,
		h_user_export_deliver },
	{ "GET", "/v1/accounts/{id}/exports/{export_id}", "users.export_status", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT | ROUTE_READONLY, 200, h_export_status },
	{ "POST", "/v1/accounts/{id}/users/{user_id}/erase", "users.erase", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY, 200, h_user_erase },
	{ "POST", "/v1/accounts/{id}/users/{user_id}/unlock", "users.unlock",
		P(USERS_MANAGE) | P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_user_unlock },
	{ "GET", "/v1/accounts/{id}/security", "security.get",
		P(DATA_READ) | P(SECURITY_MANAGE) | P(CONFIG_READ) | P(PARTNER_CONFIG_READ), ROUTE_ACCOUNT, 200, h_security_get },
	{ "PATCH", "/v1/accounts/{id}/security", "security.update", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY, 200, h_security_patch },
	{ "GET", "/v1/accounts/{id}/sessions", "account_sessions.list", P(SECURITY_MANAGE), ROUTE_ACCOUNT,
		200, h_account_sessions },
	{ "DELETE", "/v1/accounts/{id}/sessions/{session_id}", "account_sessions.delete",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 204, h_account_session_revoke },
	{ "GET", "/v1/accounts/{id}/terms/pending", "terms.pending",
		P(USERS_MANAGE) | P(DATA_READ) | P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_terms_pending },
	{ "POST", "/v1/accounts/{id}/contacts/confirm", "contacts.confirm", P(OWNERSHIP_TRANSFER),
		ROUTE_ACCOUNT, 200, h_contacts_confirm },
	{ "GET", "/v1/accounts/{id}/posture", "posture.get", P(DATA_READ) | P(SECURITY_MANAGE),
		ROUTE_ACCOUNT, 200, h_posture },
	{ "GET", "/v1/accounts/{id}/api-keys", "api_keys.list", P(APIKEYS_OWN) | P(SECURITY_MANAGE),
		ROUTE_ACCOUNT | ROUTE_READONLY, 200, h_key_list },
	{ "POST", "/v1/accounts/{id}/api-keys", "api_keys.create", P(APIKEYS_OWN),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_key_create },
	{ "DELETE", "/v1/accounts/{id}/api-keys/{key_id}", "api_keys.delete",
		P(APIKEYS_OWN) | P(SECURITY_MANAGE), ROUTE_ACCOUNT, 204, h_key_revoke },

	{ "GET", "/v1/accounts/{id}/audit-events", "audit_events.list",
		P(DATA_READ) | P(SECURITY_MANAGE) | P(PROVIDER_AUDIT_READ), ROUTE_ACCOUNT | ROUTE_READONLY, 200,
		h_audit_list },
	{ "GET", "/v1/provider/audit-events", "provider.audit_events.list", P(PROVIDER_AUDIT_READ),
		ROUTE_READONLY, 200,
		h_audit_list },

	{ "GET", "/v1/accounts/{id}/audit/export", "audit_events.export",
		P(DATA_READ) | P(SECURITY_MANAGE) | P(PROVIDER_AUDIT_READ), ROUTE_ACCOUNT | ROUTE_READONLY, 200,
		h_audit_export },
	{ "GET", "/v1/accounts/{id}/audit-checkpoints", "audit_checkpoints.list",
		P(DATA_READ) | P(SECURITY_MANAGE) | P(PROVIDER_AUDIT_READ), ROUTE_ACCOUNT, 200,
		h_audit_checkpoints },
	{ "GET", "/v1/provider/audit/verify", "provider.audit.verify", P(PROVIDER_AUDIT_VERIFY), 0, 200,
		h_audit_verify },
	{ "GET", "/v1/provider/audit/checkpoints", "provider.audit_checkpoints.list",
		P(PROVIDER_AUDIT_VERIFY), 0, 200, h_audit_checkpoints },
	{ "POST", "/v1/provider/audit/checkpoints", "provider.audit_checkpoints.create",
		P(PROVIDER_AUDIT_VERIFY), 0, 200, h_audit_checkpoint_now },
	{ "POST", "/v1/provider/terms", "terms.publish", P(PROVIDER_TERMS_MANAGE), ROUTE_BODY | ROUTE_CREATE,
		201, h_terms_publish },
	{ "GET", "/v1/provider/staff", "staff.list", P(PROVIDER_STAFF_MANAGE), ROUTE_READONLY, 200,
		h_staff_list },
	{ "POST", "/v1/provider/staff", "staff.create", P(PROVIDER_STAFF_MANAGE),
		ROUTE_BODY | ROUTE_CREATE, 201, h_staff_create },
	{ "GET", "/v1/provider/staff/{user_id}", "staff.get", P(PROVIDER_STAFF_MANAGE), ROUTE_READONLY, 200,
		h_staff_get },
	{ "PATCH", "/v1/provider/staff/{user_id}", "staff.update", P(PROVIDER_STAFF_MANAGE), ROUTE_BODY, 200,
		h_staff_update },
	{ "DELETE", "/v1/provider/staff/{user_id}", "staff.delete", P(PROVIDER_STAFF_MANAGE), 0, 204,
		h_staff_delete },
	{ "GET", "/v1/partners", "partners.list", P(PROVIDER_PARTNERS_MANAGE), ROUTE_READONLY, 200,
		h_partner_list },
	{ "POST", "/v1/partners", "partners.create", P(PROVIDER_PARTNERS_MANAGE),
		ROUTE_BODY | ROUTE_CREATE, 201, h_partner_create },
	{ "GET", "/v1/partners/{partner_id}", "partners.get",
		P(PROVIDER_PARTNERS_MANAGE) | P(PARTNER_STAFF_READ), ROUTE_READONLY, 200, h_partner_get },
	{ "PATCH", "/v1/partners/{partner_id}", "partners.update", P(PROVIDER_PARTNERS_MANAGE), ROUTE_BODY,
		200, h_partner_update },
	{ "PATCH", "/v1/partners/{partner_id}/white-label", "partners.white_label.update",
		P(PROVIDER_PARTNERS_MANAGE) | P(PARTNER_STAFF_MANAGE), ROUTE_BODY, 200, h_partner_white_label },
	/* The logo: uploaded by the partner's admins or operators, served to
	 * whoever sees the white label from faxvault's own origin. */
	{ "PUT", "/v1/partners/{partner_id}/white-label/logo", "partners.white_label.logo.update",
		P(PROVIDER_PARTNERS_MANAGE) | P(PARTNER_STAFF_MANAGE), ROUTE_UPLOAD, 200,
		h_partner_logo_put },
	{ "DELETE", "/v1/partners/{partner_id}/white-label/logo", "partners.white_label.logo.delete",
		P(PROVIDER_PARTNERS_MANAGE) | P(PARTNER_STAFF_MANAGE), 0, 204, h_partner_logo_delete },
	{ "GET", "/v1/partners/{partner_id}/staff", "partners.staff.list",
		P(PROVIDER_PARTNERS_MANAGE) | P(PARTNER_STAFF_READ), ROUTE_READONLY, 200,
		h_partner_staff_list },
	{ "POST", "/v1/partners/{partner_id}/staff", "partners.staff.create",
		P(PROVIDER_PARTNERS_MANAGE) | P(PARTNER_STAFF_MANAGE), ROUTE_BODY | ROUTE_CREATE, 201, h_partner_staff_create },
	{ "PATCH", "/v1/partners/{partner_id}/staff/{user_id}", "partners.staff.update",
		P(PROVIDER_PARTNERS_MANAGE) | P(PARTNER_STAFF_MANAGE), ROUTE_BODY, 200, h_partner_staff_update },
	{ "DELETE", "/v1/partners/{partner_id}/staff/{user_id}", "partners.staff.delete",
		P(PROVIDER_PARTNERS_MANAGE) | P(PARTNER_STAFF_MANAGE), 0, 204, h_partner_staff_delete },
	{ "GET", "/v1/partners/{partner_id}/accounts", "partners.accounts.list",
		P(PROVIDER_PARTNERS_MANAGE) | P(PROVIDER_ACCOUNTS_READ) | P(PARTNER_USAGE_READ), ROUTE_READONLY,
		200, h_partner_accounts },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};

/* The tables of the other areas (routes_<area>.c), each ended by a NULL
 * method, joined after the core table once. */
extern const struct route routes_numbers[], routes_faxes[], routes_webhooks[], routes_retention[],
	routes_status[], routes_consents[], routes_safebox[];
extern const struct route routes_billing[];
extern const struct route routes_requests[];
extern const struct route routes_sso[];
extern const struct route routes_faxmail[];
extern const struct route routes_incidents[];
extern const struct route routes_scim[];
extern const struct route routes_closure[];
extern const struct route routes_roles[];

static struct route *all_routes;
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static size_t table_len(const struct route *t)
{
	size_t n = 0;
	while (t[n].method)
		n++;
	return n;
}

static void join_tables(void)
{
	const struct route *parts[] = { routes_core, routes_numbers, routes_faxes, routes_webhooks,
		routes_retention, routes_status, routes_billing, routes_consents,
		routes_requests, routes_safebox, routes_sso,
		routes_faxmail, routes_incidents, routes_scim, routes_closure, routes_roles };
	size_t total = 1;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		total += table_len(parts[i]);
	all_routes = xcalloc(total, sizeof *all_routes);
	size_t at = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		size_t n = table_len(parts[i]);
		memcpy(all_routes + at, parts[i], n * sizeof *all_routes);
		at += n;
	}
}

const struct route *router_routes(void)
{
	pthread_once(&all_once, join_tables);
	return all_routes;
}
