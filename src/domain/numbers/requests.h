/* Requests from a customer to the provider, and the provider's answers:
 *   fraud     a report of fraudulent use or suspicious activity (C17; a
 *             partner reports for its accounts, R04): open -> investigating
 *             -> resolved | dismissed;
 *   pentest   a penetration-test authorization request (C15): scope (hosts,
 *             paths), source networks, window, contact: requested ->
 *             approved | refused; approved -> revoked;
 *   forecast  a traffic-forecast notice (C16): window, pages per day, peak
 *             concurrent calls, set against the trunks' capacity when filed
 *             (P05): submitted -> acknowledged | declined.
 * Operators and the security team (provider.requests.manage) see the queue
 * and answer; each answer is a timeline event, an event of the account's
 * audit log and a notification of the account (EN/FR). See
 * docs/provider-duties.md.
 *
 * Operations follow domain.h: they run in c->tx and return 0 with *out set
 * (new reference), or -1 with e filled in. kind is "fraud", "pentest" or
 * "forecast"; account is the account record of the route (borrowed). */
#ifndef FV_DOMAIN_REQUESTS_H
#define FV_DOMAIN_REQUESTS_H

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"

#define REQUEST_TEXT_MAX 4000   /* characters of a description or an answer */
#define REQUEST_SUMMARY_MAX 200 /* characters of a summary */
#define REQUEST_LIST_MAX 50     /* items of a list field (numbers, hosts, sources) */
#define PENTEST_WINDOW_DAYS 31  /* longest penetration-test window */
#define FORECAST_WINDOW_DAYS 366

/* POST /v1/accounts/{id}/{fraud-reports|pentest-requests|traffic-forecasts}. */
int dom_request_create(dom_ctx_t *c, const json_t *account, const char *kind,
	const json_t *body, json_t **out, dom_err_t *e);
/* GET of the account's requests of kind. Members without security.manage
 * (fraud) see only the reports they filed. */
int dom_request_list(dom_ctx_t *c, const json_t *account, const char *kind, const char *cursor,
	int limit, json_t **out, dom_err_t *e);
int dom_request_get(dom_ctx_t *c, const json_t *account, const char *kind, const char *id,
	json_t **out, dom_err_t *e);

/* GET /v1/provider/requests?kind=&status=: the provider's queue. */
int dom_request_queue(dom_ctx_t *c, const char *kind, const char *status, const char *cursor,
	int limit, json_t **out, dom_err_t *e);
int dom_request_staff_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
/* POST /v1/provider/requests/{id}/answer {status, message}: a step of the
 * request's life (409 invalid-state when the kind or the current status
 * does not allow it; refusing, dismissing and declining need a message). */
int dom_request_answer(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e);
/* GET /v1/provider/capacity: trunks and their concurrent-call ceilings,
 * against the traffic forecasts still to come (P05). */
int dom_capacity(dom_ctx_t *c, json_t **out, dom_err_t *e);
/* Inbound calls in progress on this node, as the fax service counts them
 * at its carrier listener: {trunk_id: n} and {account_id: n} (new
 * references, never NULL). */
typedef void dom_inbound_calls_fn(void *ud, json_t **by_trunk, json_t **by_account);
/* Where dom_capacity reads them (the daemon sets it once the fax service
 * runs, and clears it before stopping it). fn NULL: none counted. */
void dom_capacity_set_inbound(dom_inbound_calls_fn *fn, void *ud);

#endif
