/* The routes of the numbers area: trunks and the number inventory
 * (provider), the numbers and port-in requests of an account, and its
 * notifications (see routes.c for the conventions). */
#include <string.h>

#include "numbers/numbers.h"
#include "access/access.h"
#include "router.h"

#define P(x) PERM_BIT(PERM_##x)

/* ---- provider: trunks and inventory ---- */

static int h_trunk_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_trunk_list(c, r->cursor, r->limit, out, e);
}

static int h_trunk_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_trunk_create(c, r->body, out, e);
}

static int h_trunk_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_trunk_get(c, route_param(r->m, "trunk_id"), out, e);
}

static int h_trunk_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_trunk_update(c, route_param(r->m, "trunk_id"), r->body, out, e);
}

static int h_numbers_import(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_numbers_import(c, r->body, out, e);
}

static int h_numbers_inventory(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_numbers_inventory(c, r->query, r->cursor, r->limit, out, e);
}

/* ---- numbers of an account ---- */

static int h_number_request(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_number_request(c, r->account, r->body, out, e);
}

static int h_number_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_number_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_number_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_number_get(c, r->account, route_param(r->m, "number"), out, e);
}

static int h_number_route(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_number_route(c, r->account, route_param(r->m, "number"), r->body, out, e);
}

static int h_number_release(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_number_release(c, r->account, route_param(r->m, "number"), out, e);
}

/* ---- port-in requests ---- */

/* The fields of the upload as an object of strings ("numbers" an array of
 * every part so named) and the letter of authorization. */
static int port_form(const mp_form_t *f, json_t *fields, const mp_part_t **loa, dom_err_t *e)
{
	json_t *nums = json_array();
	json_object_set_new(fields, "numbers", nums);
	*loa = NULL;
	for (int i = 0; i < f->n; i++) {
		const mp_part_t *p = &f->parts[i];
		if (strcmp(p->name, "loa") == 0) {
			if (*loa)
				return dom_fail(e, "validation-failed", "loa", "send one letter of authorization");
			*loa = p;
			continue;
		}
		json_t *v = json_stringn((const char *)p->data, p->len);
		if (!v)
			return dom_fail(e, "validation-failed", p->name, "\"%s\" must be UTF-8 text", p->name);
		if (strcmp(p->name, "numbers") == 0) {
			json_array_append_new(nums, v);
		} else if (strcmp(p->name, "losing_carrier") == 0 ||
			strcmp(p->name, "account_number_at_carrier") == 0) {
			json_object_set_new(fields, p->name, v);
		} else {
			json_decref(v);
			return dom_fail(e, "validation-failed", p->name, "unknown field \"%s\"", p->name);
		}
	}
	return 0;
}

static int h_port_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	json_t *fields = json_object();
	const mp_part_t *loa;
	int rc = port_form(r->form, fields, &loa, e);
	if (rc == 0)
		rc = dom_port_create(c, r->account, fields, loa ? loa->data : NULL, loa ? loa->len : 0,
			out, e);
	json_decref(fields);
	return rc;
}

static int h_port_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_port_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_port_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_port_get(c, r->account, route_param(r->m, "port_id"), out, e);
}

static int h_port_queue(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_port_queue(c, json_string_value(json_object_get(r->query, "status")), r->cursor,
		r->limit, out, e);
}

static int h_port_status(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_port_set_status(c, route_param(r->m, "port_id"), r->body, out, e);
}

static int h_notification_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_notification_list(c, r->account, r->cursor, r->limit, out, e);
}

#define TEL P(PROVIDER_TELEPHONY_MANAGE)
#define ACC ROUTE_ACCOUNT

const struct route routes_numbers[] = {
	{ "GET", "/v1/provider/trunks", "trunks.list", TEL, 0, 200, h_trunk_list },
	{ "POST", "/v1/provider/trunks", "trunks.create", TEL, ROUTE_BODY | ROUTE_CREATE, 201,
		h_trunk_create },
	{ "GET", "/v1/provider/trunks/{trunk_id}", "trunks.get", TEL, 0, 200, h_trunk_get },
	{ "PATCH", "/v1/provider/trunks/{trunk_id}", "trunks.update", TEL, ROUTE_BODY, 200,
		h_trunk_update },
	{ "POST", "/v1/provider/numbers", "numbers.import", TEL, ROUTE_BODY | ROUTE_CREATE, 201,
		h_numbers_import },
	{ "GET", "/v1/provider/numbers", "provider.numbers.list", TEL, 0, 200,
		h_numbers_inventory },
	{ "GET", "/v1/provider/port-requests", "provider.port_requests.list", TEL, 0, 200,
		h_port_queue },
	{ "POST", "/v1/provider/port-requests/{port_id}/status", "port_requests.status", TEL,
		ROUTE_BODY, 200, h_port_status },

	{ "GET", "/v1/accounts/{id}/numbers", "numbers.list",
		P(NUMBERS_MANAGE) | P(DATA_READ) | P(ACCOUNT_READ) | P(CONFIG_READ) | P(PARTNER_CONFIG_READ), ACC, 200,
		h_number_list },
	{ "POST", "/v1/accounts/{id}/numbers", "numbers.request", P(NUMBERS_MANAGE),
		ACC | ROUTE_BODY | ROUTE_CREATE, 201, h_number_request },
	{ "GET", "/v1/accounts/{id}/numbers/{number}", "numbers.get",
		P(NUMBERS_MANAGE) | P(DATA_READ) | P(ACCOUNT_READ) | P(CONFIG_READ) | P(PARTNER_CONFIG_READ), ACC, 200,
		h_number_get },
	{ "PATCH", "/v1/accounts/{id}/numbers/{number}", "numbers.route", P(NUMBERS_MANAGE),
		ACC | ROUTE_BODY, 200, h_number_route },
	{ "DELETE", "/v1/accounts/{id}/numbers/{number}", "numbers.release", P(NUMBERS_MANAGE), ACC,
		204, h_number_release },
	{ "POST", "/v1/accounts/{id}/port-requests", "port_requests.create", P(NUMBERS_MANAGE),
		ACC | ROUTE_UPLOAD | ROUTE_CREATE, 201, h_port_create },
	{ "GET", "/v1/accounts/{id}/port-requests", "port_requests.list",
		P(NUMBERS_MANAGE) | P(DATA_READ), ACC, 200, h_port_list },
	{ "GET", "/v1/accounts/{id}/port-requests/{port_id}", "port_requests.get",
		P(NUMBERS_MANAGE) | P(DATA_READ), ACC, 200, h_port_get },
	{ "GET", "/v1/accounts/{id}/notifications", "notifications.list", P(ACCOUNT_READ),
		ACC, 200, h_notification_list },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
