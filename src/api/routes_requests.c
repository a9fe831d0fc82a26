/* The routes of requests to the provider (see routes.c for the conventions
 * and src/domain/numbers/requests.h): an account's fraud reports (any member; the
 * account's partner too), penetration-test requests (security.manage) and
 * traffic forecasts (settings.manage or numbers.manage); the provider's
 * queue, answers and capacity view, and the job queue's depth, failed jobs
 * and their retry (provider.requests.manage). */
#include "operations/operations.h"
#include "access/access.h"
#include "numbers/numbers.h"
#include "router.h"

#include <string.h>

#define P(x) PERM_BIT(PERM_##x)
#define FRAUD (P(ACCOUNT_READ) | P(PARTNER_ACCOUNTS_READ))
#define PENTEST P(SECURITY_MANAGE)
#define FORECAST (P(SETTINGS_MANAGE) | P(NUMBERS_MANAGE))
#define STAFF P(PROVIDER_REQUESTS_MANAGE)

/* The kind of a route's requests, from the collection in its path. */
static const char *kind_of_route(const api_call_t *r)
{
	const char *p = r->m->route->pattern;
	return strstr(p, "/fraud-reports") ? "fraud" : strstr(p, "/pentest-requests") ? "pentest"
											 : "forecast";
}

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_request_create(c, r->account, kind_of_route(r), r->body, out, e);
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_request_list(c, r->account, kind_of_route(r), r->cursor, r->limit, out, e);
}

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_request_get(c, r->account, kind_of_route(r), route_param(r->m, "request_id"), out, e);
}

/* An administrator confirms that what an automatic report found is theirs:
 * the account's outbound faxing resumes (fraud.h). */
static int h_confirm_safe(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_fraud_confirm_safe(c, r->account, route_param(r->m, "request_id"), out, e);
}

static int h_queue(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_request_queue(c, json_string_value(json_object_get(r->query, "kind")),
		json_string_value(json_object_get(r->query, "status")), r->cursor, r->limit, out, e);
}

static int h_staff_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_request_staff_get(c, route_param(r->m, "request_id"), out, e);
}

static int h_answer(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_request_answer(c, route_param(r->m, "request_id"), r->body, out, e);
}

static int h_capacity(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_capacity(c, out, e);
}

static int h_jobs(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_jobs_overview(c, out, e);
}

static int h_job_retry(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_jobs_retry(c, route_param(r->m, "job_id"), out, e);
}

#define ACCOUNT_ROUTES(path, name, perms) \
	{ "POST", "/v1/accounts/{id}/" path, name ".create", perms, \
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_create }, \
	{ "GET", "/v1/accounts/{id}/" path, name ".list", perms, ROUTE_ACCOUNT, 200, h_list }, \
	{ "GET", "/v1/accounts/{id}/" path "/{request_id}", name ".get", perms, ROUTE_ACCOUNT, 200, \
		h_get }

const struct route routes_requests[] = {
	ACCOUNT_ROUTES("fraud-reports", "fraud_reports", FRAUD),
	{ "POST", "/v1/accounts/{id}/fraud-reports/{request_id}/confirm-safe",
		"fraud_reports.confirm_safe", P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_confirm_safe },
	ACCOUNT_ROUTES("pentest-requests", "pentest_requests", PENTEST),
	ACCOUNT_ROUTES("traffic-forecasts", "traffic_forecasts", FORECAST),
	{ "GET", "/v1/provider/requests", "provider.requests.list", STAFF, 0, 200, h_queue },
	{ "GET", "/v1/provider/requests/{request_id}", "provider.requests.get", STAFF, 0, 200,
		h_staff_get },
	{ "POST", "/v1/provider/requests/{request_id}/answer", "provider.requests.answer", STAFF,
		ROUTE_BODY, 200, h_answer },
	{ "GET", "/v1/provider/capacity", "provider.capacity.get", STAFF, 0, 200, h_capacity },
	{ "GET", "/v1/provider/queue", "provider.queue.get", STAFF, 0, 200, h_jobs },
	{ "POST", "/v1/provider/queue/jobs/{job_id}/retry", "provider.queue.retry", STAFF, 0, 200,
		h_job_retry },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
