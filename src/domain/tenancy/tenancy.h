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

/* The provider's limits on a partner's accounts (R01), in PATCH
 * /v1/partners/{id}: allowed_countries (ISO 3166 alpha-2 codes of the
 * numbers they may request), allowed_plans (prepaid, postpaid), features
 * (safebox, fax_by_email, scim); each a list, or null for no limit. Reads
 * those of body into upd in store form (a space-separated string or
 * null). 0, or -1 with e. */
int dom_partner_limits_parse(const json_t *body, json_t *upd, dom_err_t *e);
/* {allowed_countries, allowed_plans, features} of a stored partner, each
 * an array or null (new reference). */
json_t *dom_partner_limits_json(const json_t *partner);
/* Whether the provider's limits on the partner of account_id let it use
 * value: limit "country" (the ISO 3166 code of a number it requests),
 * "plan" (a plan kind) or "feature" (safebox, fax_by_email, scim). An
 * account without a partner, or a partner without that limit: 0. Else -1
 * with e: validation-failed on field for a country or a plan, forbidden
 * for a feature. */
int dom_partner_allows(dom_ctx_t *c, const char *account_id, const char *limit, const char *value,
	const char *field, dom_err_t *e);

/* The white label of partner_id, {display_name, support_email,
 * support_phone, logo_url, logo: the same-origin address of the uploaded
 * logo} (unset: null), or JSON null when the partner
 * has no display name or partner_id is NULL or "" (new reference). */
json_t *dom_white_label_of(store_tx_t *tx, const char *partner_id);
/* PUT /v1/partners/{id}/white-label/logo (multipart, the part "logo"): a
 * PNG or JPEG of at most LOGO_BYTES_MAX bytes, its type read from its
 * header (logo.h), anti-virus checked; stored and served at faxvault's
 * origin. Audited as partner.white_label.logo.update. *out: the partner. */
int dom_partner_logo_put(dom_ctx_t *c, const char *partner_id, const void *data, size_t len,
	json_t **out, dom_err_t *e);
/* DELETE /v1/partners/{id}/white-label/logo; audited. */
int dom_partner_logo_delete(dom_ctx_t *c, const char *partner_id, dom_err_t *e);
/* GET /v1/me/white-label/logo: the logo of the partner whose white label
 * the caller sees (their account's partner, or their own partner for its
 * staff): *data (malloc'd) and its type; 404 when there is none. */
int dom_my_logo(dom_ctx_t *c, unsigned char **data, size_t *len, const char **ctype,
	dom_err_t *e);
/* PATCH /v1/partners/{id}/white-label {display_name?, support_email?,
 * support_phone?, logo_url? (https)}, each null to clear: the operator, or
 * the partner's own admins (another partner: not-found). Audited as
 * partner.white_label.update. *out: the partner. */
int dom_partner_white_label(dom_ctx_t *c, const char *partner_id, const json_t *body, json_t **out,
	dom_err_t *e);

#endif
