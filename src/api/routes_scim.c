/* The routes of an account's SCIM tokens (see routes.c for the conventions
 * and src/domain/identity/scim.h): creating, listing and revoking them needs
 * security.manage, since a token is a credential of the account. SCIM
 * itself (/scim/v2) is served outside this table (scim_api.h). */
#include "access/access.h"
#include "router.h"
#include "identity/identity.h"

#define P(x) PERM_BIT(PERM_##x)

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_scim_token_create(c, r->account, r->body, out, e);
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_scim_token_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_revoke(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_scim_token_revoke(c, r->account, route_param(r->m, "token_id"), out, e);
}

const struct route routes_scim[] = {
	{ "GET", "/v1/accounts/{id}/scim-tokens", "scim_tokens.list", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT, 200, h_list },
	{ "POST", "/v1/accounts/{id}/scim-tokens", "scim_tokens.create", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_create },
	{ "DELETE", "/v1/accounts/{id}/scim-tokens/{token_id}", "scim_tokens.delete",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 204, h_revoke },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
