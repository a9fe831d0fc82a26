/* Partner self-service (R01, R02): what a partner's staff see of the
 * accounts their partner provisioned.
 *
 * The partner's view of its accounts carries usage, call totals, the plan
 * and a posture summary (how many posture checks pass and fail) per
 * account: counts, never fax content, SafeBoxes or audit payloads. Partner
 * roles and staff management live with the other staff operations
 * (domain.h, provider.c). Operations follow the conventions of domain.h. */
#ifndef FV_DOMAIN_PARTNERS_H
#define FV_DOMAIN_PARTNERS_H

#include <jansson.h>

#include "domain.h"

/* GET /v1/partners/{partner_id}/accounts?since=&until= (RFC 3339; by
 * default the current UTC month up to now): a page of {id, name, status,
 * regulatory_profile, created_at, plan: {kind, included_pages} | null,
 * usage: {calls, outbound, inbound, ok, pages, duration_ms, cost,
 * currency}, posture: {pass, fail, not_applicable}}, with since and until.
 * Partner staff see their own partner only (another: not-found). Each
 * account's summary read is recorded in that account's audit log. */
int dom_partner_accounts(dom_ctx_t *c, const char *partner_id, const json_t *query,
	const char *cursor, int limit, json_t **out, dom_err_t *e);

#endif
