/* The routes of account closure (see routes.c for the conventions). The
 * owner in person or provider staff who manage accounts close an account
 * and cancel its closure (checked by the domain: closure.h); the closure's
 * state and certificate are open to whoever reads the account. */
#include "tenancy/tenancy.h"
#include "access/access.h"
#include "router.h"

#define P(x) PERM_BIT(PERM_##x)

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_closure_get(c, r->account, out, e);
}

static int h_start(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_closure_start(c, r->account, r->body, out, e);
}

static int h_cancel(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_closure_cancel(c, r->account, out, e);
}

const struct route routes_closure[] = {
	{ "GET", "/v1/accounts/{id}/closure", "accounts.closure.get",
		P(PROVIDER_ACCOUNTS_READ) | P(PARTNER_ACCOUNTS_READ) | P(ACCOUNT_READ), ROUTE_ACCOUNT, 200,
		h_get },
	{ "POST", "/v1/accounts/{id}/closure", "accounts.closure.start",
		P(PROVIDER_ACCOUNTS_MANAGE) | P(OWNERSHIP_TRANSFER),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE | ROUTE_WHILE_CLOSING, 201, h_start },
	{ "DELETE", "/v1/accounts/{id}/closure", "accounts.closure.cancel",
		P(PROVIDER_ACCOUNTS_MANAGE) | P(OWNERSHIP_TRANSFER), ROUTE_ACCOUNT | ROUTE_WHILE_CLOSING,
		200, h_cancel },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
