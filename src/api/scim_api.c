/* SCIM 2.0 over HTTP (see scim_api.h): authentication by SCIM token, rate
 * limits, the SCIM media type and error schema around the domain's SCIM
 * operations (src/domain/identity/scim.h). */
#include "scim_api.h"

#include <string.h>
#include <strings.h>

#include "log.h"
#include "metrics.h"
#include "numparse.h"
#include "ops.h"
#include "problem.h"
#include "redact.h"
#include "identity/identity.h"
#include "timeutil.h"
#include "xalloc.h"

#define SCIM_PREFIX "/scim/v2"
#define SCIM_CTYPE "application/scim+json"

static const scim_route_t routes[] = {
	{ "GET", "/scim/v2/ServiceProviderConfig" },
	{ "GET", "/scim/v2/ResourceTypes" },
	{ "GET", "/scim/v2/Schemas" },
	{ "GET", "/scim/v2/Users" },
	{ "POST", "/scim/v2/Users" },
	{ "GET", "/scim/v2/Users/{id}" },
	{ "PUT", "/scim/v2/Users/{id}" },
	{ "PATCH", "/scim/v2/Users/{id}" },
	{ "DELETE", "/scim/v2/Users/{id}" },
	{ "GET", "/scim/v2/Groups" },
	{ "POST", "/scim/v2/Groups" },
	{ "GET", "/scim/v2/Groups/{id}" },
	{ "PUT", "/scim/v2/Groups/{id}" },
	{ "PATCH", "/scim/v2/Groups/{id}" },
	{ "DELETE", "/scim/v2/Groups/{id}" },
	{ NULL, NULL },
};

const scim_route_t *scim_api_routes(void)
{
	return routes;
}

bool scim_api_path(const char *path)
{
	size_t n = strlen(SCIM_PREFIX);
	return strncmp(path, SCIM_PREFIX, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Sets the answer's body to j (stolen) as SCIM JSON. */
static void set_body(scim_ans_t *a, int status, json_t *j)
{
	a->status = status;
	if (!j)
		return;
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return;
	a->raw.data = (unsigned char *)s;
	a->raw.len = strlen(s);
	a->raw.ctype = SCIM_CTYPE;
}

/* A SCIM error (RFC 7644 §3.12); scim_type only for 400 and 409. */
static void set_error(scim_ans_t *a, int status, const char *scim_type, const char *detail)
{
	char st[8];
	snprintf(st, sizeof st, "%d", status);
	json_t *j = json_pack("{s:[s], s:s}", "schemas", SCIM_URN_ERROR, "status", st);
	if (scim_type && *scim_type && (status == 400 || status == 409))
		json_object_set_new(j, "scimType", json_string(scim_type));
	if (detail && *detail)
		json_object_set_new(j, "detail", json_string(detail));
	free(a->raw.data);
	a->raw.data = NULL;
	set_body(a, status, j);
}

static bool known_type(const char *t)
{
	static const char *const types[] = { "invalidFilter", "invalidPath", "invalidSyntax",
		"invalidValue", "noTarget", "uniqueness", "mutability", "tooMany", "sensitive",
		"invalidVers", NULL };
	for (int i = 0; types[i]; i++)
		if (strcmp(types[i], t) == 0)
			return true;
	return false;
}

/* A domain error as a SCIM error: validation is a 400 with its scimType
 * (the domain puts it in e->field), a taken address a 409 uniqueness; the
 * rest keeps its problem kind's status. */
static void set_dom_error(scim_ans_t *a, const dom_err_t *e, const char *lang)
{
	const char *kind = e->kind ? e->kind : "internal";
	int status = problem_lookup(kind)->status;
	const char *type = known_type(e->field) ? e->field : NULL;
	if (strcmp(kind, "validation-failed") == 0) {
		status = 400;
		if (!type)
			type = "invalidValue";
	} else if (strcmp(kind, "email-taken") == 0) {
		type = "uniqueness";
	}
	set_error(a, status, type, dom_err_detail(e, lang));
}

static void set_error_text(scim_ans_t *a, int status, const char *type, const char *en,
	const char *lang)
{
	dom_err_t e = { 0 };
	dom_fail_text(&e, "validation-failed", type, en);
	set_error(a, status, type, dom_err_detail(&e, lang));
}

/* Prefixes meta.location of a resource with base. */
static void absolute_location(json_t *res, const char *base)
{
	json_t *meta = json_object_get(res, "meta");
	const char *loc = json_string_value(json_object_get(meta, "location"));
	if (!loc || loc[0] != '/')
		return;
	char *abs = xasprintf("%s%s", base, loc);
	json_object_set_new(meta, "location", json_string(abs));
	free(abs);
}

/* Whether the Host header is a plain host[:port] (it becomes part of
 * answers). */
static bool plain_host(const char *h)
{
	if (!h || !*h || strlen(h) > 255)
		return false;
	for (const char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("-.:[]", *p)))
			return false;
	return true;
}

/* The matched operation: its pattern, and the {id} of the path. */
static const char *match(const scim_req_t *q, char *id, size_t idlen, bool *path_known)
{
	const char *rest = q->path + strlen(SCIM_PREFIX);
	const char *res = NULL;
	id[0] = '\0';
	*path_known = true;
	static const char *const singles[] = { "/ServiceProviderConfig", "/ResourceTypes", "/Schemas",
		NULL };
	for (int i = 0; singles[i]; i++)
		if (strcmp(rest, singles[i]) == 0)
			return strcmp(q->method, "GET") == 0 ? routes[i].pattern : NULL;
	if (strncmp(rest, "/Users", 6) == 0 && (rest[6] == '\0' || rest[6] == '/'))
		res = "Users";
	else if (strncmp(rest, "/Groups", 7) == 0 && (rest[7] == '\0' || rest[7] == '/'))
		res = "Groups";
	if (!res) {
		*path_known = false;
		return NULL;
	}
	bool users = strcmp(res, "Users") == 0;
	const char *tail = rest + 1 + strlen(res);
	if (*tail == '\0' || strcmp(tail, "/") == 0) {
		if (strcmp(q->method, "GET") == 0 || strcmp(q->method, "POST") == 0)
			return users ? "/scim/v2/Users" : "/scim/v2/Groups";
		return NULL;
	}
	tail++;
	size_t n = strlen(tail);
	if (n == 0 || n >= idlen || strchr(tail, '/')) {
		*path_known = false;
		return NULL;
	}
	memcpy(id, tail, n + 1);
	static const char *const item_methods[] = { "GET", "PUT", "PATCH", "DELETE", NULL };
	for (int i = 0; item_methods[i]; i++)
		if (strcmp(q->method, item_methods[i]) == 0)
			return users ? "/scim/v2/Users/{id}" : "/scim/v2/Groups/{id}";
	return NULL;
}

static bool scim_json_type(const char *ct)
{
	if (!ct)
		return false;
	size_t n = strcspn(ct, ";");
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	return (n == strlen(SCIM_CTYPE) && strncasecmp(ct, SCIM_CTYPE, n) == 0) ||
	       (n == 16 && strncasecmp(ct, "application/json", 16) == 0);
}

/* A query argument as a whole number in [lo, hi]; dflt when absent. */
static int query_int(const scim_req_t *q, const char *name, int64_t lo, int64_t hi, int64_t dflt,
	int64_t *out)
{
	const char *s = json_string_value(json_object_get(q->query, name));
	*out = dflt;
	if (!s)
		return 0;
	return parse_i64z(s, lo, hi, out);
}

/* startIndex and count of a list. */
static int list_args(const scim_req_t *q, int64_t *start, int64_t *count, dom_err_t *e)
{
	if (query_int(q, "startIndex", -1000000000, 1000000000, 1, start) != 0 ||
	    query_int(q, "count", -1000000000, 1000000000, SCIM_COUNT_DEFAULT, count) != 0)
		return dom_fail(e, "validation-failed", "invalidValue",
			"startIndex and count are whole numbers");
	return 0;
}

/* Whether excludedAttributes names members (Entra ID asks groups without
 * them). */
static bool members_excluded(const scim_req_t *q)
{
	const char *x = json_string_value(json_object_get(q->query, "excludedAttributes"));
	for (const char *p = x; p && *p;) {
		size_t n = strcspn(p, ",");
		while (n && p[n - 1] == ' ')
			n--;
		while (*p == ' ' && n) {
			p++;
			n--;
		}
		if (n == 7 && strncasecmp(p, "members", 7) == 0)
			return true;
		p += strcspn(p, ",");
		if (*p)
			p++;
	}
	return false;
}

static int run_groups(dom_ctx_t *c, const scim_req_t *q, const char *pattern, const char *id,
	const json_t *body, json_t **out, int *status, dom_err_t *e)
{
	bool no_members = members_excluded(q);
	if (strcmp(pattern, "/scim/v2/Groups") == 0) {
		if (strcmp(q->method, "POST") == 0)
			return dom_scim_group_create(c, body, e);
		int64_t start, count;
		if (list_args(q, &start, &count, e) != 0)
			return -1;
		return dom_scim_group_list(c, json_string_value(json_object_get(q->query, "filter")), start,
			count, no_members, out, e);
	}
	if (strcmp(q->method, "GET") == 0)
		return dom_scim_group_get(c, id, no_members, out, e);
	if (strcmp(q->method, "PUT") == 0)
		return dom_scim_group_replace(c, id, body, q->if_match, out, e);
	if (strcmp(q->method, "PATCH") == 0)
		return dom_scim_group_patch(c, id, body, q->if_match, out, e);
	*status = 204;
	return dom_scim_group_delete(c, id, e);
}

static int run(dom_ctx_t *c, const scim_req_t *q, const char *pattern, const char *id,
	const json_t *body, json_t **out, int *status, dom_err_t *e)
{
	*status = 200;
	if (strcmp(pattern, "/scim/v2/ServiceProviderConfig") == 0) {
		*out = scim_service_provider_config();
		return 0;
	}
	if (strcmp(pattern, "/scim/v2/ResourceTypes") == 0) {
		*out = scim_resource_types();
		return 0;
	}
	if (strcmp(pattern, "/scim/v2/Schemas") == 0) {
		*out = scim_schemas();
		return 0;
	}
	if (strcmp(pattern, "/scim/v2/Users") == 0) {
		if (strcmp(q->method, "POST") == 0) {
			*status = 201;
			return dom_scim_user_create(c, body, out, e);
		}
		int64_t start, count;
		if (list_args(q, &start, &count, e) != 0)
			return -1;
		return dom_scim_user_list(c, json_string_value(json_object_get(q->query, "filter")), start,
			count, out, e);
	}
	if (strncmp(pattern, "/scim/v2/Groups", 15) == 0)
		return run_groups(c, q, pattern, id, body, out, status, e);
	if (strcmp(q->method, "GET") == 0)
		return dom_scim_user_get(c, id, out, e);
	if (strcmp(q->method, "PUT") == 0)
		return dom_scim_user_replace(c, id, body, q->if_match, out, e);
	if (strcmp(q->method, "PATCH") == 0)
		return dom_scim_user_patch(c, id, body, q->if_match, out, e);
	*status = 204;
	*out = NULL;
	return dom_scim_user_delete(c, id, q->if_match, e);
}

/* One SCIM operation, called by the runner (op_call). */
struct scim_call {
	const scim_req_t *q;
	const char *pattern, *id;
	const json_t *body;
	int *status;
};

static int scim_run(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	struct scim_call *sc = arg;
	return run(c, sc->q, sc->pattern, sc->id, sc->body, out, sc->status, e);
}

void scim_api_serve(store_t *st, const dom_config_t *cfg, const scim_req_t *q, scim_ans_t *a)
{
	memset(a, 0, sizeof *a);
	a->route = "/scim/v2";
	const char *lang = q->lang;
	char id[ROUTE_PARAM_LEN];
	bool known;
	const char *pattern = match(q, id, sizeof id, &known);
	if (pattern)
		a->route = pattern;
	if (!pattern) {
		set_error_text(a, known ? 405 : 404, NULL, known ? I18N("this path does not take that method")
			: I18N("no such SCIM resource"), lang);
		return;
	}
	if (q->too_large) {
		set_error_text(a, 413, NULL, I18N("the request body is too large"), lang);
		return;
	}
	/* Through the whole operation runner (ops.h), as HTTP: a SCIM token
	 * acts for its account with users.manage at most, under its
	 * creator's gates (terms, second factor) as an API key, in a bucket
	 * of its own at the account's rate. */
	const op_spec_t spec = { .action = "scim.request", .pattern = pattern,
		.perms = PERM_BIT(PERM_USERS_MANAGE) };
	op_run_t run;
	if (op_begin(&run, st, cfg, &spec, q->peer, q->rid, lang, true) != 0) {
		set_error_text(a, 503, NULL, I18N("the database is not reachable"), lang);
		return;
	}
	dom_err_t *e = &run.e;
	json_t *body = NULL, *out = NULL;
	int status = 200;
	char key[96];
	bool authed = q->authz && strncasecmp(q->authz, "Bearer ", 7) == 0 && strlen(q->authz + 7) <= 256;
	if (!authed || op_authenticate(&run, q->authz + 7, dom_scim_authenticate) != 0) {
		if (!e->kind)
			dom_fail(e, "unauthenticated", "", "use Authorization: Bearer <SCIM token>");
		metrics_auth_failure();
		/* Callers without a valid token share their address's bucket;
		 * a token refused for its address stays its refusal's actor. */
		const principal_t *tried = run.c.who;
		run.c.who = NULL;
		op_limit_key(&run, key, sizeof key);
		op_limit(&run, key, q->anon_rpm, q->anon_burst, &a->rl);
		run.c.who = tried;
		goto fail;
	}
	snprintf(a->principal, sizeof a->principal, "%s", run.who.id);
	op_limit_key(&run, key, sizeof key);
	if (op_limit(&run, key, 0, 0, &a->rl) != 0 || op_gate(&run) != 0 ||
	    op_authorize(&run, NULL) != 0)
		goto fail;
	if (strcmp(q->method, "POST") == 0 || strcmp(q->method, "PUT") == 0 ||
	    strcmp(q->method, "PATCH") == 0) {
		if (!scim_json_type(q->ctype)) {
			dom_fail(e, "unsupported-media-type", "", "send the body as application/scim+json");
			goto fail;
		}
		json_error_t je;
		body = q->len ? json_loadb((const char *)q->body, q->len, JSON_REJECT_DUPLICATES, &je) : NULL;
		if (!json_is_object(body)) {
			dom_fail(e, "validation-failed", "invalidSyntax", "the body must be a JSON object");
			goto fail;
		}
	}
	if (q->query_bad) {
		dom_fail(e, "validation-failed", "invalidValue", "query arguments must be UTF-8");
		goto fail;
	}
	struct scim_call sc = { .q = q, .pattern = pattern, .id = id, .body = body, .status = &status };
	if (op_call(&run, scim_run, &sc, &out) != 0)
		goto fail;
	if (op_commit(&run) != 0) {
		op_end(&run);
		json_decref(out);
		json_decref(body);
		set_error_text(a, 500, NULL, I18N("the change could not be committed"), lang);
		return;
	}
	if (out) {
		char base[300] = "";
		if (plain_host(q->host))
			snprintf(base, sizeof base, "%s://%s", q->secure ? "https" : "http", q->host);
		json_t *list = json_object_get(out, "Resources");
		if (json_is_array(list)) {
			size_t i;
			json_t *r;
			json_array_foreach(list, i, r)
				absolute_location(r, base);
		} else {
			absolute_location(out, base);
			json_t *meta = json_object_get(out, "meta");
			const char *ver = json_string_value(json_object_get(meta, "version"));
			if (ver)
				snprintf(a->etag, sizeof a->etag, "%s", ver);
			const char *loc = json_string_value(json_object_get(meta, "location"));
			if (status == 201 && loc)
				snprintf(a->location, sizeof a->location, "%s", loc);
		}
	}
	json_decref(body);
	op_end(&run);
	set_body(a, status, out);
	return;
fail: {
	/* A refusal goes to the audit log as over HTTP, with the path tried
	 * (a token in it redacted): the token's account's log when the
	 * token is known. */
	char target[256];
	redact_target(q->path, pattern, target, sizeof target);
	op_fail(&run, target);
}
	op_end(&run);
	json_decref(body);
	set_dom_error(a, e, lang);
	if (strcmp(e->kind, "rate-limited") != 0 && a->status >= 500)
		log_event(LOG_ERROR, "scim.failed", "rid=%s kind=%s", q->rid, e->kind);
}
