/* The routes of single sign-on (see routes.c for the conventions, sso.h
 * for the operations). Identity providers are managed with
 * security.manage. */
#include "perm.h"
#include "router.h"
#include "sso.h"

#define P(x) PERM_BIT(PERM_##x)

static const char *idp_id(const api_call_t *r)
{
	return route_param(r->m, "idp_id");
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_idp_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_idp_create(c, r->account, r->body, out, e);
}

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_idp_get(c, r->account, idp_id(r), out, e);
}

static int h_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_idp_update(c, r->account, idp_id(r), r->body, out, e);
}

static int h_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_idp_delete(c, r->account, idp_id(r), out, e);
}

const struct route routes_sso[] = {
	{ "GET", "/v1/accounts/{id}/identity-providers", "identity_providers.list",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_list },
	{ "POST", "/v1/accounts/{id}/identity-providers", "identity_providers.create",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_create },
	{ "GET", "/v1/accounts/{id}/identity-providers/{idp_id}", "identity_providers.get",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_get },
	{ "PATCH", "/v1/accounts/{id}/identity-providers/{idp_id}", "identity_providers.update",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY, 200, h_update },
	{ "DELETE", "/v1/accounts/{id}/identity-providers/{idp_id}", "identity_providers.delete",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 204, h_delete },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
