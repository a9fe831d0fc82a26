/* The routes of the billing area (see routes.c for the conventions): an
 * account's plan, balance and ledger; operators set plans and record
 * top-ups, credits and refunds. */
#include "billing.h"
#include "router.h"

#define P(x) PERM_BIT(PERM_##x)

static int h_plan_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_billing_plan_get(c, r->account, out, e);
}

static int h_plan_put(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_billing_plan_put(c, r->account, r->body, out, e);
}

static int h_balance(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_billing_balance(c, r->account, out, e);
}

static int h_credit(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_billing_credit(c, r->account, r->body, out, e);
}

static int h_ledger(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_billing_ledger(c, r->account, r->cursor, r->limit, out, e);
}

const struct route routes_billing[] = {
	{ "GET", "/v1/accounts/{id}/plan", "billing.plan.get", P(BILLING_READ), ROUTE_ACCOUNT, 200,
		h_plan_get },
	{ "GET", "/v1/accounts/{id}/balance", "billing.balance", P(BILLING_READ), ROUTE_ACCOUNT, 200,
		h_balance },
	{ "GET", "/v1/accounts/{id}/ledger", "billing.ledger.list", P(BILLING_READ), ROUTE_ACCOUNT, 200,
		h_ledger },
	{ "PUT", "/v1/provider/accounts/{id}/plan", "billing.plan.update", P(PROVIDER_ACCOUNTS_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY, 200, h_plan_put },
	{ "POST", "/v1/provider/accounts/{id}/credits", "billing.credit", P(PROVIDER_ACCOUNTS_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_credit },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
