/* The routes of delegated access to an account (see routes.c for the
 * conventions): consents given by the owner to a partner. Giving and
 * revoking one is the owner's own act (ownership.transfer is the owner's
 * alone; the domain checks it is the owner in person); the owner, the
 * administrators who manage administrators or security, and the partner's
 * staff see them. */
#include "consents.h"
#include "perm.h"
#include "router.h"

#define P(x) PERM_BIT(PERM_##x)

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_consent_create(c, r->account, r->body, out, e);
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_consent_list(c, r->account, out, e);
}

static int h_grant_request(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_grant_request(c, r->account, r->body, out, e);
}

static int h_grant_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_grant_list(c, r->account, out, e);
}

static int h_grant_approve(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_grant_approve(c, r->account, route_param(r->m, "grant_id"), out, e);
}

static int h_grant_revoke(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_grant_revoke(c, r->account, route_param(r->m, "grant_id"), out, e);
}

static int h_revoke(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_consent_revoke(c, r->account, route_param(r->m, "consent_id"), out, e);
}

const struct route routes_consents[] = {
	{ "POST", "/v1/accounts/{id}/consents", "consents.create", P(OWNERSHIP_TRANSFER),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_create },
	{ "GET", "/v1/accounts/{id}/consents", "consents.list",
		P(OWNERSHIP_TRANSFER) | P(ADMINS_MANAGE) | P(SECURITY_MANAGE) | P(PARTNER_ACCOUNTS_READ),
		ROUTE_ACCOUNT | ROUTE_READONLY, 200, h_list },
	{ "DELETE", "/v1/accounts/{id}/consents/{consent_id}", "consents.delete", P(OWNERSHIP_TRANSFER),
		ROUTE_ACCOUNT, 204, h_revoke },
	/* Support access grants: provider staff ask; the owner or an
	 * administrator (security.manage; the domain wants an account member in
	 * person) decides; the account and staff see the list. */
	{ "POST", "/v1/accounts/{id}/access-grants", "access_grants.create", P(PROVIDER_ACCOUNTS_READ),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_grant_request },
	{ "GET", "/v1/accounts/{id}/access-grants", "access_grants.list",
		P(SECURITY_MANAGE) | P(DATA_READ) | P(PROVIDER_ACCOUNTS_READ), ROUTE_ACCOUNT | ROUTE_READONLY,
		200, h_grant_list },
	{ "POST", "/v1/accounts/{id}/access-grants/{grant_id}/approve", "access_grants.approve",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_grant_approve },
	{ "POST", "/v1/accounts/{id}/access-grants/{grant_id}/revoke", "access_grants.revoke",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_grant_revoke },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
