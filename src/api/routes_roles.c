/* The routes of an account's named custom roles (see routes.c for the
 * conventions, roles.h for the operations): read with what reads the
 * members, managed with users.manage (admins.manage for a role that holds
 * it, checked by the domain). */
#include "access/access.h"
#include "router.h"

#define P(x) PERM_BIT(PERM_##x)

static const char *role_id(const api_call_t *r)
{
	return route_param(r->m, "role_id");
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_role_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_role_create(c, r->account, r->body, out, e);
}

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_role_get(c, r->account, role_id(r), out, e);
}

static int h_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_role_update(c, r->account, role_id(r), r->body, out, e);
}

static int h_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_role_delete(c, r->account, role_id(r),
		json_string_value(json_object_get(r->query, "reassign")), out, e);
}

const struct route routes_roles[] = {
	{ "GET", "/v1/accounts/{id}/roles", "roles.list",
		P(USERS_MANAGE) | P(ADMINS_MANAGE) | P(DATA_READ), ROUTE_ACCOUNT | ROUTE_READONLY, 200,
		h_list },
	{ "POST", "/v1/accounts/{id}/roles", "roles.create", P(USERS_MANAGE) | P(ADMINS_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_create },
	{ "GET", "/v1/accounts/{id}/roles/{role_id}", "roles.get",
		P(USERS_MANAGE) | P(ADMINS_MANAGE) | P(DATA_READ), ROUTE_ACCOUNT | ROUTE_READONLY, 200,
		h_get },
	{ "PATCH", "/v1/accounts/{id}/roles/{role_id}", "roles.update",
		P(USERS_MANAGE) | P(ADMINS_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY, 200, h_update },
	{ "DELETE", "/v1/accounts/{id}/roles/{role_id}", "roles.delete",
		P(USERS_MANAGE) | P(ADMINS_MANAGE), ROUTE_ACCOUNT, 204, h_delete },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
