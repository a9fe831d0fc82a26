/* The routes of retention and legal holds (see routes.c for the
 * conventions). Deleting data on a schedule and holding it against deletion
 * are security.manage; reading the policy is also open to data.read. */
#include "access/access.h"
#include "records/records.h"
#include "router.h"

#define P(x) PERM_BIT(PERM_##x)

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_retention_get(c, r->account, out, e);
}

static int h_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_retention_update(c, r->account, r->body, out, e);
}

static int h_hold(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_fax_hold(c, r->account, route_param(r->m, "fax_id"), r->body, out, e);
}

static int h_unhold(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_fax_hold(c, r->account, route_param(r->m, "fax_id"), NULL, out, e);
}

const struct route routes_retention[] = {
	{ "GET", "/v1/accounts/{id}/retention", "retention.get",
		P(SECURITY_MANAGE) | P(DATA_READ) | P(CONFIG_READ) | P(PARTNER_CONFIG_READ), ROUTE_ACCOUNT, 200, h_get },
	/* A legal hold may still be set on a closing account: it stops the
	 * destruction (closure.h). */
	{ "PATCH", "/v1/accounts/{id}/retention", "retention.update", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_WHILE_CLOSING, 200, h_update },
	{ "PUT", "/v1/accounts/{id}/faxes/{fax_id}/legal-hold", "faxes.legal_hold.set",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY, 200, h_hold },
	{ "DELETE", "/v1/accounts/{id}/faxes/{fax_id}/legal-hold", "faxes.legal_hold.lift",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_unhold },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
