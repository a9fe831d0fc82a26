/* OpenAPI coverage test: the document docs/openapi.json and the server's
 * route table describe the same API, and the daemon serves that document.
 *
 * Checks, for every route of router_routes(): the path and method are in the
 * document, operationId equals the route's action, x-permissions names
 * exactly the route's permissions, public routes (and only they) have
 * `security: []`, path parameters, request body (ROUTE_BODY: JSON; ROUTE_UPLOAD:
 * multipart/form-data; ROUTE_FORM: a form, with 415), success status,
 * Idempotency-Key (ROUTE_CREATE), and the denial responses (401, 403, 404)
 * the pipeline can give are documented; every problem type named in the
 * document is a kind of problem.c with the status it is documented under.
 * The pipeline's security controls (issue 5), on every route but the system
 * ones (served before them): 429 `rate-limited` with Retry-After, the
 * RateLimit-* headers on the success answer (public routes too: their
 * per-address bucket), 403 `ip-not-allowed` and `account-suspended`, 401
 * `unauthenticated` (on a public route, for a credential sent but not
 * valid); the three gate 403s (`terms-not-accepted`,
 * `mfa-enrolment-required`, `password-expired`) on every route without
 * ROUTE_UNGATED and on none with it. System routes document none of these.
 * And the other way round: every operation of the document is a route.
 * Finally starts faxvaultd and compares GET /v1/openapi.json with the file.
 *
 * Usage: api_contract OPENAPI_JSON FAXVAULTD */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "access/access.h"
#include "problem.h"
#include "router.h"
#include "scim_api.h"

static int failures;
static int checks;

#define CHECK(cond, ...)                                                                          \
	do {                                                                                      \
		checks++;                                                                         \
		if (!(cond)) {                                                                    \
			failures++;                                                               \
			printf("FAIL: ");                                                         \
			printf(__VA_ARGS__);                                                      \
			printf("\n");                                                             \
		}                                                                                 \
	} while (0)

static const json_t *doc;

/* A JSON string's value, or "" (borrowed). */
static const char *sv(const json_t *j)
{
	const char *s = json_string_value(j);
	return s ? s : "";
}

/* Follows a local "$ref" ("#/components/..."), borrowed; the node itself
 * when it is not a reference; NULL when the reference is dangling. */
static const json_t *deref(const json_t *node)
{
	for (int hops = 0; hops < 8; hops++) {
		const char *r = json_string_value(json_object_get(node, "$ref"));
		if (!r)
			return node;
		if (strncmp(r, "#/", 2) != 0)
			return NULL;
		const json_t *cur = doc;
		char seg[256];
		const char *p = r + 2;
		while (*p && cur) {
			size_t n = strcspn(p, "/");
			if (n >= sizeof seg)
				return NULL;
			memcpy(seg, p, n);
			seg[n] = '\0';
			cur = json_object_get(cur, seg);
			p += n + (p[n] == '/');
		}
		node = cur;
	}
	return NULL;
}

static void lower(const char *s, char *out, size_t n)
{
	size_t i = 0;
	for (; s[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

static const json_t *doc_operation(const char *method, const char *pattern)
{
	char m[16];
	lower(method, m, sizeof m);
	return json_object_get(json_object_get(json_object_get(doc, "paths"), pattern), m);
}

/* The parameter of op with that name and location, or NULL. */
static const json_t *find_param(const json_t *op, const char *in, const char *name)
{
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(op, "parameters"), i, p) {
		const json_t *d = deref(p);
		if (d && strcmp(sv(json_object_get(d, "in")), in) == 0 &&
		    strcasecmp(sv(json_object_get(d, "name")), name) == 0)
			return d;
	}
	return NULL;
}

static void check_permissions(const struct route *r, const json_t *op)
{
	const json_t *xp = json_object_get(op, "x-permissions");
	CHECK(json_is_array(xp), "%s %s: x-permissions missing or not an array", r->method, r->pattern);
	perm_set_t got = 0;
	size_t i;
	const json_t *v;
	json_array_foreach(xp, i, v) {
		int p = perm_by_name(json_string_value(v));
		CHECK(p >= 0, "%s %s: x-permissions names an unknown permission \"%s\"", r->method,
			r->pattern, json_is_string(v) ? json_string_value(v) : "(not a string)");
		if (p >= 0) {
			CHECK(!(got & PERM_BIT(p)), "%s %s: x-permissions repeats %s", r->method, r->pattern,
				perm_info((enum perm)p)->name);
			got |= PERM_BIT(p);
		}
	}
	char *want_s = perm_set_to_string(r->perms), *got_s = perm_set_to_string(got);
	CHECK(got == r->perms, "%s %s: x-permissions is [%s], the route accepts [%s]", r->method,
		r->pattern, got_s, want_s);
	free(want_s);
	free(got_s);
}

static void check_security(const struct route *r, const json_t *op)
{
	const json_t *sec = json_object_get(op, "security");
	bool open = json_is_array(sec) && json_array_size(sec) == 0;
	if (r->flags & ROUTE_PUBLIC)
		CHECK(open, "%s %s: public route without `security: []`", r->method, r->pattern);
	else
		CHECK(!open && (sec || json_array_size(json_object_get(doc, "security")) > 0),
			"%s %s: authenticated route documented as public", r->method, r->pattern);
}

static void check_params(const struct route *r, const json_t *op)
{
	for (const char *p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{')) {
		char name[64];
		size_t n = strcspn(p + 1, "}");
		snprintf(name, sizeof name, "%.*s", (int)n, p + 1);
		const json_t *d = find_param(op, "path", name);
		CHECK(d && json_is_true(json_object_get(d, "required")),
			"%s %s: path parameter {%s} not documented (or not required)", r->method, r->pattern, name);
	}
	/* No path parameter that is not in the pattern. */
	size_t i;
	const json_t *pp;
	json_array_foreach(json_object_get(op, "parameters"), i, pp) {
		const json_t *d = deref(pp);
		CHECK(d != NULL, "%s %s: dangling parameter $ref", r->method, r->pattern);
		if (!d || strcmp(sv(json_object_get(d, "in")), "path") != 0)
			continue;
		char brace[80];
		snprintf(brace, sizeof brace, "{%s}", sv(json_object_get(d, "name")));
		CHECK(strstr(r->pattern, brace) != NULL, "%s %s: documents path parameter %s not in the path",
			r->method, r->pattern, brace);
	}
	if (r->flags & ROUTE_CREATE)
		CHECK(find_param(op, "header", "Idempotency-Key"),
			"%s %s: creating route without the Idempotency-Key header", r->method, r->pattern);
	/* Lists answered whole in one page take no limit/cursor (an
	 * account's consents and access grants: the newest 500; its status
	 * subscriptions and security contacts: at most 100 and 10). */
	static const char *const unpaged[] = { "permissions.list", "me.sessions.list",
		"account_sessions.list", "consents.list", "access_grants.list", "provider.consents.list",
		"status_subscriptions.list", "security_contacts.list", NULL };
	bool paged = strstr(r->action, ".list") != NULL;
	for (int u = 0; unpaged[u]; u++)
		paged = paged && strcmp(r->action, unpaged[u]) != 0;
	if (paged)
		CHECK(find_param(op, "query", "limit") && find_param(op, "query", "cursor"),
			"%s %s: list without limit/cursor parameters", r->method, r->pattern);
	else
		CHECK(!find_param(op, "query", "limit") && !find_param(op, "query", "cursor"),
			"%s %s: limit/cursor documented on a route that does not page", r->method, r->pattern);
}

static bool has_status(const json_t *op, int status)
{
	char s[8];
	snprintf(s, sizeof s, "%d", status);
	return deref(json_object_get(json_object_get(op, "responses"), s)) != NULL;
}

/* The response of op for status (dereferenced), or NULL. */
static const json_t *response(const json_t *op, int status)
{
	char s[8];
	snprintf(s, sizeof s, "%d", status);
	return deref(json_object_get(json_object_get(op, "responses"), s));
}

/* Whether op's response for status names the problem kind. */
static bool has_kind(const json_t *op, int status, const char *kind)
{
	const json_t *schema = json_object_get(json_object_get(json_object_get(response(op, status),
		"content"), "application/problem+json"), "schema");
	char want[96];
	snprintf(want, sizeof want, "%s%s", PROBLEM_TYPE_PREFIX, kind);
	size_t i, k;
	const json_t *part, *t;
	json_array_foreach(json_object_get(schema, "allOf"), i, part) {
		json_array_foreach(json_object_get(json_object_get(json_object_get(part, "properties"),
					   "type"), "enum"), k, t)
			if (strcmp(sv(t), want) == 0)
				return true;
	}
	return false;
}

/* Whether op's response for status documents the header. */
static bool has_header(const json_t *op, int status, const char *name)
{
	const json_t *h = json_object_get(json_object_get(response(op, status), "headers"), name);
	return h && deref(h);
}

/* Rate limits, the IP allow-list and the gates: applied by the pipeline to
 * every route but the system ones. */
static void check_controls(const struct route *r, const json_t *op)
{
	static const char *const rl[] = { "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
		NULL };
	static const char *const gates[] = { "terms-not-accepted", "mfa-enrolment-required",
		"password-expired", NULL };
	if (r->flags & ROUTE_SYSTEM) {
		CHECK(!has_status(op, 429) && !has_header(op, r->status, "RateLimit-Limit"),
			"%s %s: a system route documents rate limiting (it is served before)", r->method,
			r->pattern);
		return;
	}
	CHECK(has_kind(op, 429, "rate-limited") && has_header(op, 429, "Retry-After"),
		"%s %s: 429 rate-limited with Retry-After not documented%s", r->method, r->pattern,
		r->flags & ROUTE_PUBLIC ? " (public: the per-address limit)" : "");
	for (int i = 0; rl[i]; i++) {
		CHECK(has_header(op, r->status, rl[i]), "%s %s: header %s not documented on %d",
			r->method, r->pattern, rl[i], r->status);
		CHECK(has_header(op, 429, rl[i]), "%s %s: header %s not documented on 429", r->method,
			r->pattern, rl[i]);
	}
	CHECK(has_kind(op, 401, "unauthenticated"), "%s %s: 401 unauthenticated not documented%s",
		r->method, r->pattern, r->flags & ROUTE_PUBLIC ? " (a credential sent but not valid)" : "");
	CHECK(has_kind(op, 403, "ip-not-allowed") && has_kind(op, 403, "account-suspended"),
		"%s %s: 403 ip-not-allowed / account-suspended not documented", r->method, r->pattern);
	for (int i = 0; gates[i]; i++) {
		if (r->flags & ROUTE_UNGATED)
			CHECK(!has_kind(op, 403, gates[i]), "%s %s: ungated route documents the gate 403 %s",
				r->method, r->pattern, gates[i]);
		else
			CHECK(has_kind(op, 403, gates[i]), "%s %s: gate 403 %s not documented", r->method,
				r->pattern, gates[i]);
	}
}

static void check_responses(const struct route *r, const json_t *op)
{
	const json_t *rb = json_object_get(op, "requestBody");
	if (r->flags & ROUTE_BODY) {
		const json_t *schema = json_object_get(json_object_get(json_object_get(rb, "content"),
			"application/json"), "schema");
		CHECK(schema && deref(schema), "%s %s: JSON request body not documented", r->method, r->pattern);
	} else if (r->flags & ROUTE_UPLOAD) {
		const json_t *schema = json_object_get(json_object_get(json_object_get(rb, "content"),
			"multipart/form-data"), "schema");
		CHECK(schema && deref(schema), "%s %s: multipart/form-data request body not documented",
			r->method, r->pattern);
		CHECK(has_status(op, 400) && has_status(op, 413) && has_status(op, 415),
			"%s %s: upload errors (400, 413, 415) not documented", r->method, r->pattern);
	} else if (r->flags & ROUTE_FORM) {
		const json_t *schema = json_object_get(json_object_get(json_object_get(rb, "content"),
			"application/x-www-form-urlencoded"), "schema");
		CHECK(schema && deref(schema), "%s %s: form request body not documented", r->method,
			r->pattern);
		CHECK(has_status(op, 415), "%s %s: 415 (not a form) not documented", r->method, r->pattern);
	} else {
		CHECK(rb == NULL, "%s %s: documents a request body the route does not take", r->method,
			r->pattern);
	}
	CHECK(has_status(op, r->status), "%s %s: success status %d not documented", r->method, r->pattern,
		r->status);
	if (r->flags & ROUTE_SYSTEM)
		return;
	if (!(r->flags & ROUTE_PUBLIC))
		CHECK(has_status(op, 401), "%s %s: 401 not documented", r->method, r->pattern);
	if (r->perms)
		CHECK(has_status(op, 403), "%s %s: 403 not documented", r->method, r->pattern);
	if (r->flags & ROUTE_ACCOUNT)
		CHECK(has_status(op, 404), "%s %s: 404 not documented", r->method, r->pattern);
	if (r->flags & ROUTE_BODY)
		CHECK(has_status(op, 400) && has_status(op, 415) && has_status(op, 422),
			"%s %s: body errors (400, 415, 422) not documented", r->method, r->pattern);
}

/* Every problem type an error response names is a kind with that status. */
static void check_problem_types(const char *where, const char *status, const json_t *resp)
{
	const json_t *schema = json_object_get(json_object_get(json_object_get(resp, "content"),
		"application/problem+json"), "schema");
	if (!schema)
		return;
	size_t i, k;
	const json_t *part, *t;
	json_array_foreach(json_object_get(schema, "allOf"), i, part) {
		json_array_foreach(json_object_get(json_object_get(json_object_get(part, "properties"),
					   "type"), "enum"), k, t) {
			const char *type = sv(t);
			const char *kind = strncmp(type, PROBLEM_TYPE_PREFIX, strlen(PROBLEM_TYPE_PREFIX)) == 0
				? type + strlen(PROBLEM_TYPE_PREFIX) : "";
			const struct problem_kind *pk = problem_lookup(kind);
			CHECK(strcmp(pk->kind, kind) == 0, "%s: unknown problem type %s", where, type);
			CHECK(pk->status == atoi(status), "%s: problem %s has status %d, documented under %s",
				where, kind, pk->status, status);
		}
	}
}

static void check_route(const struct route *r)
{
	const json_t *op = doc_operation(r->method, r->pattern);
	CHECK(op != NULL, "route %s %s (%s) is not in the document", r->method, r->pattern, r->action);
	if (!op)
		return;
	const char *opid = json_string_value(json_object_get(op, "operationId"));
	CHECK(opid && strcmp(opid, r->action) == 0, "%s %s: operationId is \"%s\", the action is \"%s\"",
		r->method, r->pattern, opid ? opid : "(none)", r->action);
	CHECK(json_array_size(json_object_get(op, "tags")) > 0, "%s %s: no tag", r->method, r->pattern);
	check_permissions(r, op);
	check_security(r, op);
	check_params(r, op);
	check_responses(r, op);
	check_controls(r, op);
}

static const struct route *route_of(const char *method, const char *pattern)
{
	for (const struct route *r = router_routes(); r->method; r++)
		if (strcasecmp(r->method, method) == 0 && strcmp(r->pattern, pattern) == 0)
			return r;
	return NULL;
}

/* A SCIM operation (/scim/v2, outside the route table: scim_api.h) of the
 * document: one the SCIM service serves, marked x-scim, behind the SCIM
 * token, answering application/scim+json with errors in SCIM's schema. */
static void check_scim_operation(const char *method, const char *path, const json_t *op)
{
	bool served = false;
	for (const scim_route_t *s = scim_api_routes(); s->method; s++)
		served |= strcasecmp(s->method, method) == 0 && strcmp(s->pattern, path) == 0;
	CHECK(served, "document operation %s %s is not served by the SCIM service", method, path);
	CHECK(json_is_true(json_object_get(op, "x-scim")), "%s %s: x-scim missing", method, path);
	const json_t *sec = json_array_get(json_object_get(op, "security"), 0);
	CHECK(json_object_get(sec, "scimToken") != NULL, "%s %s: security is not scimToken", method, path);
	CHECK(has_status(op, 401), "%s %s: 401 not documented", method, path);
	const char *st;
	const json_t *resp;
	json_object_foreach((json_t *)json_object_get(op, "responses"), st, resp) {
		const json_t *content = json_object_get(resp, "content");
		if (!content)
			continue;
		CHECK(json_object_get(content, "application/scim+json") != NULL && json_object_size(content) == 1,
			"%s %s response %s: not application/scim+json", method, path, st);
		if (atoi(st) >= 400)
			CHECK(strcmp(sv(json_object_get(json_object_get(json_object_get(content,
				"application/scim+json"), "schema"), "$ref")), "#/components/schemas/ScimError") == 0,
				"%s %s response %s: not a ScimError", method, path, st);
	}
}

/* Every operation the SCIM service serves is documented. */
static void check_scim_routes(void)
{
	for (const scim_route_t *s = scim_api_routes(); s->method; s++) {
		char m[8];
		size_t i;
		for (i = 0; s->method[i] && i < sizeof m - 1; i++)
			m[i] = (char)tolower((unsigned char)s->method[i]);
		m[i] = '\0';
		CHECK(json_object_get(json_object_get(json_object_get(doc, "paths"), s->pattern), m) != NULL,
			"SCIM operation %s %s is not in the document", s->method, s->pattern);
	}
}

/* The document's side: every operation is a route; operationIds unique;
 * problem types real. */
static void check_document(void)
{
	static const char *const methods[] = { "get", "put", "post", "delete", "options", "head",
		"patch", "trace", NULL };
	json_t *seen = json_object();
	const char *path;
	const json_t *item;
	json_object_foreach((json_t *)json_object_get(doc, "paths"), path, item) {
		const char *key;
		const json_t *op;
		json_object_foreach((json_t *)item, key, op) {
			bool is_method = false;
			for (int i = 0; methods[i]; i++)
				is_method |= strcmp(methods[i], key) == 0;
			if (!is_method)
				continue;
			if (scim_api_path(path))
				check_scim_operation(key, path, op);
			else
				CHECK(route_of(key, path) != NULL, "document operation %s %s is not a route", key, path);
			const char *opid = sv(json_object_get(op, "operationId"));
			CHECK(!json_object_get(seen, opid), "operationId %s used twice", opid);
			json_object_set_new(seen, opid, json_true());
			const char *st;
			const json_t *resp;
			json_object_foreach((json_t *)json_object_get(op, "responses"), st, resp) {
				char where[300];
				snprintf(where, sizeof where, "%s %s response %s", key, path, st);
				const json_t *d = deref(resp);
				CHECK(d != NULL, "%s: dangling $ref", where);
				if (d)
					check_problem_types(where, st, d);
			}
		}
	}
	json_decref(seen);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	size_t r;
	while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(b, cap *= 2);
			if (!nb) {
				free(b);
				b = NULL;
			}
			b = nb;
		}
	}
	fclose(f);
	*len = n;
	return b;
}

static void check_served(const char *bin, const char *file, size_t flen)
{
	fvd_t d;
	CHECK(fvd_start(&d, bin) == 0, "faxvaultd did not start");
	if (!d.port)
		return;
	http_resp_t r;
	int rc = http_call(&d, "GET", "/v1/openapi.json", NULL, NULL, NULL, &r);
	CHECK(rc == 0 && r.status == 200, "GET /v1/openapi.json: status %ld", rc == 0 ? r.status : -1L);
	if (rc == 0) {
		CHECK(strncmp(r.ctype, "application/json", 16) == 0, "GET /v1/openapi.json: Content-Type %s",
			r.ctype);
		CHECK(r.len == flen && memcmp(r.body, file, flen) == 0,
			"GET /v1/openapi.json differs from the file (%zu bytes served, %zu in the file): "
			"rebuild the daemon", r.len, flen);
		http_resp_free(&r);
	}
	CHECK(fvd_stop(&d) == 0, "faxvaultd did not stop cleanly");
	http_cleanup();
}

/* The schema PermissionName lists exactly the permissions of the table. */
static void check_permission_names(void)
{
	const json_t *e = json_object_get(json_object_get(json_object_get(json_object_get(doc,
		"components"), "schemas"), "PermissionName"), "enum");
	CHECK(json_is_array(e), "components.schemas.PermissionName.enum missing");
	for (int p = 0; p < PERM_COUNT; p++) {
		const char *name = perm_info((enum perm)p)->name;
		bool found = false;
		size_t i;
		const json_t *v;
		json_array_foreach(e, i, v)
			found = found || strcmp(sv(v), name) == 0;
		CHECK(found, "PermissionName does not list %s", name);
	}
	size_t i;
	const json_t *v;
	json_array_foreach(e, i, v)
		CHECK(perm_by_name(sv(v)) >= 0, "PermissionName lists %s, which is no permission", sv(v));
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s OPENAPI_JSON FAXVAULTD\n", argv[0]);
		return 2;
	}
	size_t flen = 0;
	char *file = read_file(argv[1], &flen);
	json_error_t err;
	json_t *root = file ? json_loadb(file, flen, JSON_REJECT_DUPLICATES, &err) : NULL;
	if (!root) {
		printf("FAIL: %s: %s\n", argv[1], file ? err.text : "cannot read");
		free(file);
		return 1;
	}
	doc = root;
	CHECK(strcmp(sv(json_object_get(doc, "openapi")), "3.1.0") == 0,
		"openapi is not \"3.1.0\"");
	const json_t *bearer = json_object_get(json_object_get(json_object_get(doc, "components"),
		"securitySchemes"), "bearer");
	CHECK(bearer && strcmp(sv(json_object_get(bearer, "scheme")), "bearer") == 0,
		"components.securitySchemes.bearer (http bearer) missing");
	check_permission_names();
	int nroutes = 0;
	for (const struct route *r = router_routes(); r->method; r++, nroutes++)
		check_route(r);
	check_document();
	check_scim_routes();
	check_served(argv[2], file, flen);
	json_decref(root);
	free(file);
	printf("%d routes, %d checks, %d failed\n", nroutes, checks, failures);
	return failures ? 1 : 0;
}
