/* The routes of the webhooks area (see routes.c for the conventions).
 * Managing subscriptions is settings.manage; reading them and their
 * delivery log is also open to data.read. */
#include "access/access.h"
#include "router.h"
#include "notify/notify.h"

#define P(x) PERM_BIT(PERM_##x)

static const char *wid(const api_call_t *r)
{
	return route_param(r->m, "webhook_id");
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_webhook_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_webhook_create(c, r->account, r->body, out, e);
}

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_webhook_get(c, r->account, wid(r), out, e);
}

static int h_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_webhook_update(c, r->account, wid(r), r->body, out, e);
}

static int h_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_webhook_delete(c, r->account, wid(r), out, e);
}

static int h_rotate(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_webhook_rotate_secret(c, r->account, wid(r), out, e);
}

static int h_test(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_webhook_test(c, r->account, wid(r), out, e);
}

static int h_deliveries(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_webhook_deliveries(c, r->account, wid(r), r->cursor, r->limit, out, e);
}

const struct route routes_webhooks[] = {
	{ "GET", "/v1/accounts/{id}/webhooks", "webhooks.list",
		P(SETTINGS_MANAGE) | P(DATA_READ) | P(CONFIG_READ) | P(PARTNER_CONFIG_READ), ROUTE_ACCOUNT, 200, h_list },
	{ "POST", "/v1/accounts/{id}/webhooks", "webhooks.create", P(SETTINGS_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_create },
	{ "GET", "/v1/accounts/{id}/webhooks/{webhook_id}", "webhooks.get",
		P(SETTINGS_MANAGE) | P(DATA_READ) | P(CONFIG_READ) | P(PARTNER_CONFIG_READ), ROUTE_ACCOUNT, 200, h_get },
	{ "PATCH", "/v1/accounts/{id}/webhooks/{webhook_id}", "webhooks.update", P(SETTINGS_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY, 200, h_update },
	{ "DELETE", "/v1/accounts/{id}/webhooks/{webhook_id}", "webhooks.delete",
		P(SETTINGS_MANAGE), ROUTE_ACCOUNT, 204, h_delete },
	{ "POST", "/v1/accounts/{id}/webhooks/{webhook_id}/rotate-secret", "webhooks.rotate_secret",
		P(SETTINGS_MANAGE), ROUTE_ACCOUNT, 200, h_rotate },
	{ "POST", "/v1/accounts/{id}/webhooks/{webhook_id}/test", "webhooks.test",
		P(SETTINGS_MANAGE), ROUTE_ACCOUNT, 202, h_test },
	{ "GET", "/v1/accounts/{id}/webhooks/{webhook_id}/deliveries", "webhooks.deliveries.list",
		P(SETTINGS_MANAGE) | P(DATA_READ), ROUTE_ACCOUNT, 200, h_deliveries },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
