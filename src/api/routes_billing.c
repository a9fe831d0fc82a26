/* The routes of the billing area (see routes.c for the conventions): an
 * account's plan, balance and ledger; operators set plans and record
 * top-ups, credits and refunds. */
#include <stdio.h>
#include <string.h>

#include "billing/billing.h"
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

static int h_invoice_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_invoice_list(c, r->account, r->cursor, r->limit, out, e);
}

/* The PDF when the client asks for application/pdf (before JSON), in
 * ?lang= or the invoice's language. */
static int h_invoice_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	const char *id = route_param(r->m, "invoice_id");
	const char *pdf = r->accept ? strstr(r->accept, "application/pdf") : NULL;
	const char *js = r->accept ? strstr(r->accept, "application/json") : NULL;
	if (!pdf || (js && js < pdf))
		return dom_invoice_get(c, r->account, id, out, e);
	if (dom_invoice_pdf(c, r->account, id, json_string_value(json_object_get(r->query, "lang")),
		&r->raw->data, &r->raw->len, e) != 0)
		return -1;
	r->raw->ctype = "application/pdf";
	r->raw->disposition = "attachment";
	snprintf(r->raw->filename, sizeof r->raw->filename, "invoice-%s.pdf", id);
	return 0;
}

static int h_invoice_overdue(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_invoice_overdue(c, r->cursor, r->limit, out, e);
}

static int h_invoice_run(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_invoice_run(c, r->body, out, e);
}

static int h_invoice_payment(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_invoice_payment(c, r->account, route_param(r->m, "invoice_id"), r->body, out, e);
}

static int h_payment_webhook(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	payment_hook_t h = { .provider = route_param(r->m, "provider"), .body = r->raw_body,
		.len = r->raw_len, .id = r->webhook_id, .timestamp = r->webhook_ts,
		.signature = r->webhook_sig };
	return dom_payment_webhook(c, &h, r->body, out, e);
}

const struct route routes_billing[] = {
	{ "GET", "/v1/accounts/{id}/plan", "billing.plan.get", P(BILLING_READ) | P(PARTNER_USAGE_READ),
		ROUTE_ACCOUNT, 200,
		h_plan_get },
	{ "GET", "/v1/accounts/{id}/balance", "billing.balance", P(BILLING_READ), ROUTE_ACCOUNT, 200,
		h_balance },
	{ "GET", "/v1/accounts/{id}/ledger", "billing.ledger.list", P(BILLING_READ), ROUTE_ACCOUNT, 200,
		h_ledger },
	/* Operators, and a partner's admins for the partner's own accounts,
	 * within the plan kinds the provider allows that partner. */
	{ "PUT", "/v1/provider/accounts/{id}/plan", "billing.plan.update", P(PROVIDER_ACCOUNTS_MANAGE) |
		P(PARTNER_ACCOUNTS_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY, 200, h_plan_put },
	{ "POST", "/v1/provider/accounts/{id}/credits", "billing.credit", P(PROVIDER_ACCOUNTS_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_credit },
	/* Operators and the partner's staff who see its usage read an
	 * account's invoices too. */
	{ "GET", "/v1/accounts/{id}/invoices", "billing.invoice.list", P(BILLING_READ) |
		P(PROVIDER_ACCOUNTS_MANAGE) | P(PARTNER_USAGE_READ), ROUTE_ACCOUNT | ROUTE_READONLY, 200,
		h_invoice_list },
	{ "GET", "/v1/accounts/{id}/invoices/{invoice_id}", "billing.invoice.get", P(BILLING_READ) |
		P(PROVIDER_ACCOUNTS_MANAGE) | P(PARTNER_USAGE_READ), ROUTE_ACCOUNT | ROUTE_READONLY, 200,
		h_invoice_get },
	{ "GET", "/v1/provider/overdue-invoices", "billing.overdue_invoices.list", P(PROVIDER_ACCOUNTS_MANAGE),
		ROUTE_READONLY, 200, h_invoice_overdue },
	{ "POST", "/v1/provider/invoice-runs", "billing.invoice.run", P(PROVIDER_ACCOUNTS_MANAGE),
		ROUTE_BODY, 200, h_invoice_run },
	{ "POST", "/v1/provider/accounts/{id}/invoices/{invoice_id}/payments", "billing.payment",
		P(PROVIDER_ACCOUNTS_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201,
		h_invoice_payment },
	{ "POST", "/v1/billing/webhooks/{provider}", "billing.webhook", 0, ROUTE_PUBLIC | ROUTE_BODY,
		200, h_payment_webhook },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
