/* The routes of the status board (see routes.c for the conventions): the
 * public page, JSON and Atom feed, open to anyone (no credential needed, a
 * person with a step pending included), and the operators' incidents,
 * maintenance windows and component states (provider.status.manage); and
 * who the board and the breach notices reach: an account's mail
 * subscriptions (settings.manage or security.manage; the unsubscribe token
 * alone, without a credential) and its security contacts
 * (security.manage). */
#include "access/access.h"
#include "router.h"
#include "operations/operations.h"
#include "tenancy/tenancy.h"

#define P(x) PERM_BIT(PERM_##x)
#define BOARD (ROUTE_PUBLIC | ROUTE_READONLY | ROUTE_UNGATED)

static int h_page(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	if (dom_status_html(c, &r->raw->data, &r->raw->len, e) != 0)
		return -1;
	r->raw->ctype = "text/html; charset=utf-8";
	return 0;
}

static int h_atom(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	if (dom_status_atom(c, &r->raw->data, &r->raw->len, e) != 0)
		return -1;
	r->raw->ctype = "application/atom+xml; charset=utf-8";
	return 0;
}

static int h_board(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_status_board(c, out, e);
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_incident_list(c, r->cursor, r->limit, out, e);
}

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_incident_create(c, r->body, out, e);
}

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_incident_get(c, route_param(r->m, "incident_id"), out, e);
}

static int h_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_incident_update(c, route_param(r->m, "incident_id"), r->body, out, e);
}

static int h_components(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_status_component_list(c, out, e);
}

static int h_component(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_component_set(c, route_param(r->m, "component"), r->body, out, e);
}

static int h_subs(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_sub_list(c, r->account, out, e);
}

static int h_sub_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_sub_create(c, r->account, r->body, out, e);
}

static int h_sub_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_sub_delete(c, r->account, route_param(r->m, "subscription_id"), out, e);
}

static int h_unsubscribe(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_unsubscribe(c, r->body, out, e);
}

static int h_contacts(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_seccontact_list(c, r->account, out, e);
}

static int h_me_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_sub_self_create(c, r->account, r->body, out, e);
}

static int h_me_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_sub_self_get(c, r->account, out, e);
}

static int h_me_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_status_sub_self_delete(c, r->account, out, e);
}

static int h_contact_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_seccontact_create(c, r->account, r->body, out, e);
}

static int h_contact_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_seccontact_delete(c, r->account, route_param(r->m, "contact_id"), out, e);
}

#define SUBS (P(SETTINGS_MANAGE) | P(SECURITY_MANAGE))
#define SUBS_PATH "/v1/accounts/{id}/status-subscriptions"
#define CONTACTS_PATH "/v1/accounts/{id}/security-contacts"

const struct route routes_status[] = {
	{ "GET", "/status", "status.page", 0, BOARD, 200, h_page },
	{ "GET", "/status.json", "status.board", 0, BOARD, 200, h_board },
	{ "GET", "/status.atom", "status.feed", 0, BOARD, 200, h_atom },
	{ "GET", "/v1/provider/incidents", "provider.incidents.list", P(PROVIDER_STATUS_MANAGE), 0, 200,
		h_list },
	{ "POST", "/v1/provider/incidents", "provider.incidents.create", P(PROVIDER_STATUS_MANAGE),
		ROUTE_BODY | ROUTE_CREATE, 201, h_create },
	{ "GET", "/v1/provider/incidents/{incident_id}", "provider.incidents.get",
		P(PROVIDER_STATUS_MANAGE), 0, 200, h_get },
	{ "POST", "/v1/provider/incidents/{incident_id}/updates", "provider.incidents.update",
		P(PROVIDER_STATUS_MANAGE), ROUTE_BODY, 200, h_update },
	{ "GET", "/v1/provider/status/components", "provider.status.components",
		P(PROVIDER_STATUS_MANAGE), 0, 200, h_components },
	{ "PUT", "/v1/provider/status/components/{component}", "provider.status.component_set",
		P(PROVIDER_STATUS_MANAGE), ROUTE_BODY, 200, h_component },
	{ "GET", SUBS_PATH, "status_subscriptions.list", SUBS, ROUTE_ACCOUNT, 200, h_subs },
	{ "POST", SUBS_PATH, "status_subscriptions.create", SUBS,
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_sub_create },
	/* A member's own subscription (before {subscription_id}: the first match wins). */
	{ "GET", SUBS_PATH "/me", "status_subscriptions.me.get", P(ACCOUNT_READ), ROUTE_ACCOUNT, 200,
		h_me_get },
	{ "POST", SUBS_PATH "/me", "status_subscriptions.me.create", P(ACCOUNT_READ),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_me_create },
	{ "DELETE", SUBS_PATH "/me", "status_subscriptions.me.delete", P(ACCOUNT_READ),
		ROUTE_ACCOUNT, 204, h_me_delete },
	{ "DELETE", SUBS_PATH "/{subscription_id}", "status_subscriptions.delete", SUBS,
		ROUTE_ACCOUNT, 204, h_sub_delete },
	{ "POST", "/v1/status-subscriptions/unsubscribe", "status_subscriptions.unsubscribe", 0,
		ROUTE_PUBLIC | ROUTE_BODY, 200, h_unsubscribe },
	{ "GET", CONTACTS_PATH, "security_contacts.list", P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200,
		h_contacts },
	{ "POST", CONTACTS_PATH, "security_contacts.create", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_contact_create },
	{ "DELETE", CONTACTS_PATH "/{contact_id}", "security_contacts.delete", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT, 204, h_contact_delete },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
