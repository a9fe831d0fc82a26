/* The routes of security incidents and breach notices (see routes.c for the
 * conventions and src/domain/operations/incidents.h): the provider's incident records
 * (provider.security.manage: operators and the security team) and the
 * notices an account received (security.manage: the owner and the
 * administrators holding it). */
#include "operations/operations.h"
#include "access/access.h"
#include "router.h"

#define STAFF PERM_BIT(PERM_PROVIDER_SECURITY_MANAGE)
#define ACCOUNT PERM_BIT(PERM_SECURITY_MANAGE)

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_incident_create(c, r->body, out, e);
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_incident_list(c, json_string_value(json_object_get(r->query, "status")), r->cursor,
		r->limit, out, e);
}

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_incident_get(c, route_param(r->m, "incident_id"), out, e);
}

static int h_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_incident_update(c, route_param(r->m, "incident_id"), r->body, out, e);
}

static int h_accounts(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_incident_add_accounts(c, route_param(r->m, "incident_id"), r->body, out, e);
}

static int h_notify(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_incident_notify(c, route_param(r->m, "incident_id"), r->body, out, e);
}

static int h_notices(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_breach_notice_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_notice(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_breach_notice_get(c, r->account, route_param(r->m, "notice_id"), out, e);
}

static int h_ack(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_breach_notice_ack(c, r->account, route_param(r->m, "notice_id"), out, e);
}

#define INC "/v1/provider/security-incidents"

const struct route routes_incidents[] = {
	{ "POST", INC, "provider.security_incidents.create", STAFF, ROUTE_BODY | ROUTE_CREATE, 201,
		h_create },
	{ "GET", INC, "provider.security_incidents.list", STAFF, 0, 200, h_list },
	{ "GET", INC "/{incident_id}", "provider.security_incidents.get", STAFF, 0, 200, h_get },
	{ "POST", INC "/{incident_id}/updates", "provider.security_incidents.update", STAFF,
		ROUTE_BODY, 200, h_update },
	{ "POST", INC "/{incident_id}/accounts", "provider.security_incidents.accounts", STAFF,
		ROUTE_BODY, 200, h_accounts },
	{ "POST", INC "/{incident_id}/notices", "provider.security_incidents.notify", STAFF,
		ROUTE_BODY, 200, h_notify },
	{ "GET", "/v1/accounts/{id}/breach-notices", "breach_notices.list", ACCOUNT, ROUTE_ACCOUNT,
		200, h_notices },
	{ "GET", "/v1/accounts/{id}/breach-notices/{notice_id}", "breach_notices.get", ACCOUNT,
		ROUTE_ACCOUNT, 200, h_notice },
	{ "POST", "/v1/accounts/{id}/breach-notices/{notice_id}/acknowledge",
		"breach_notices.acknowledge", ACCOUNT, ROUTE_ACCOUNT, 200, h_ack },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
