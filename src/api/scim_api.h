/* SCIM 2.0 (RFC 7644) at /scim/v2 on the API listener, outside the /v1
 * pipeline: its own credential (a SCIM token, Authorization: Bearer fvc_…,
 * which names the account), bodies and answers in application/scim+json,
 * and errors in SCIM's schema ({schemas, status, scimType, detail}), not
 * problem+json. Rate limits apply per token (the account's limit), and per
 * address before authentication.
 *
 *   GET    /scim/v2/ServiceProviderConfig, /ResourceTypes, /Schemas
 *   GET    /scim/v2/Users?filter=…&startIndex=…&count=…
 *   POST   /scim/v2/Users
 *   GET|PUT|PATCH|DELETE /scim/v2/Users/{id}
 *   GET    /scim/v2/Groups (the account's roles), POST (refused: 409 or 400)
 *   GET|PUT|PATCH /scim/v2/Groups/{id} (members), DELETE (refused: 403)
 *
 * See docs/scim.md. scim_api_routes() lists the operations, for the
 * OpenAPI contract test. */
#ifndef FV_API_SCIM_H
#define FV_API_SCIM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "domain.h"
#include "ratelimit.h"
#include "router.h"
#include "store.h"

/* One request, as the HTTP layer read it. Borrowed. */
typedef struct scim_req {
	const char *method, *path, *lang, *peer, *rid;
	const char *authz;    /* the Authorization header, or NULL */
	const char *ctype;    /* the Content-Type header, or NULL */
	const char *if_match; /* the If-Match header, or NULL */
	const char *host;     /* the Host header, or NULL (for absolute locations) */
	bool secure;          /* came over TLS (X-Forwarded-Proto: https) */
	const json_t *query;  /* query arguments as an object of strings */
	bool query_bad;       /* a query argument was not UTF-8 */
	const unsigned char *body;
	size_t len;
	size_t too_large;     /* the body went over this ceiling (0: it did not) */
	int anon_rpm, anon_burst; /* the per-address limit before authentication */
} scim_req_t;

/* The answer: status, body in raw (malloc'd, the HTTP layer frees it), the
 * route pattern for logs and metrics (static), ETag and Location ("" for
 * none), the rate-limit state, and the acting principal's id. */
typedef struct scim_ans {
	int status;
	const char *route;
	api_raw_t raw;
	char etag[48];
	char location[320];
	rl_result_t rl;
	char principal[ID_MAX];
} scim_ans_t;

/* One SCIM operation: method and path pattern. */
typedef struct scim_route {
	const char *method;
	const char *pattern;
} scim_route_t;

/* Whether path is under /scim/v2. */
bool scim_api_path(const char *path);
/* Answers one request, in a transaction of its own on st. */
void scim_api_serve(store_t *st, const dom_config_t *cfg, const scim_req_t *q, scim_ans_t *a);
/* The operations, terminated by an entry with method NULL. */
const scim_route_t *scim_api_routes(void);

#endif
