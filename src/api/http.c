/* The request pipeline (see api.h): one request in (http_io.h), its answer
 * out, whatever carried it (httpd.h in this process, or the HTTP front end). */
#include "api.h"

#include <ctype.h>
#include <sodium.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "disposition.h"
#include "i18n.h"
#include "json_out.h"
#include "log.h"
#include "metrics.h"
#include "numparse.h"
#include "ops.h"
#include "guest.h"
#include "http_io.h"
#include "portal.h"
#include "problem.h"
#include "queue.h"
#include "ratelimit.h"
#include "sockaddr.h"
#include "redact.h"
#include "router.h"
#include "scim_api.h"
#include "identity/identity.h"
#include "sec.h"
#include "timeutil.h"
#include "validate.h"
#include "websession.h"
#include "xalloc.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 200
#define CURSOR_MAX 64
#define REQUEST_ID_MAX 64

struct api {
	store_t *st;
	api_config_t cfg;
	_Atomic int64_t inflight;
	_Atomic int draining;
	/* /metrics: on a listener of its own (metrics.listen), and on the API
	 * listener only to the bearer of metrics_token (metrics.token_file). */
	char *metrics_token;
};

/* One request being answered. */
struct req {
	const http_in_t *in;
	struct {
		const char *data;
		size_t len;
	} body;
	bool too_large;
	size_t ceiling; /* the largest body of the route */
	int64_t t0;
	char rid[REQUEST_ID_MAX + 8];
	/* The answer may leave from the thread that writes the request's
	 * audit event once it is committed (api_serve_then): then its commit detached
	 * (store_detached), with the language a failure would be answered in
	 * and whether the database was seen unavailable before it. */
	bool may_detach;
	store_pending_t *pend;
	const char *lang;
	bool unavailable;
};

/* What a request produced: status, body (owned), content type, and the
 * bits the log line needs. */
struct answer {
	int status;
	char *body;
	const char *ctype;
	const char *route;
	char principal[ID_MAX];
	const char *allow; /* for 405 */
	bool replayed;
	bool limited;      /* rate-limit headers apply */
	rl_result_t rl;
	api_raw_t raw;     /* a non-JSON body, when set */
	bool portal;       /* a file of the web portal (portal.h): its own headers */
	bool guest;        /* a SafeBox guest's page or file (guest.h): its own headers */
	char set_cookie[200]; /* a Set-Cookie value, or "" */
	int64_t retry_after_s; /* > 0: a Retry-After header (a quota's reset) */
	char etag[48];     /* an ETag value, or "" (SCIM) */
	char location[320]; /* a Location value, or "" (SCIM) */
};

static const char *pick_lang(const http_in_t *in)
{
	return http_pick_lang(http_in_header(in, "Accept-Language"));
}

static void peer_address(const http_in_t *in, char *out, size_t n)
{
	snprintf(out, n, "%s", in->peer && *in->peer ? in->peer : "unknown");
}

static void set_json(struct answer *ans, int status, json_t *j, const char *ctype)
{
	ans->status = status;
	ans->body = j ? json_out_compact(j) : NULL;
	ans->ctype = ctype;
	json_decref(j);
}

static void set_problem(struct answer *ans, const char *kind, const char *detail, const char *field,
	const char *rid, const char *lang)
{
	const struct problem_kind *k = problem_lookup(kind);
	set_json(ans, k->status, problem_json(kind, detail, field, rid, lang),
		"application/problem+json");
}

static bool is_json_type(const char *ct)
{
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	size_t n = strlen("application/json");
	return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

struct qargs {
	json_t *obj;
	bool bad;
	size_t max; /* longest value (0: 512 bytes) */
};

/* The query's arguments into q->obj, until one is not UTF-8 or too long
 * (then q->bad). */
static void collect_args(const http_in_t *in, struct qargs *q)
{
	for (size_t i = 0; i < in->nargs; i++) {
		const char *key = in->args[i].name;
		const char *value = in->args[i].value ? in->args[i].value : "";
		if (!valid_utf8(key, strlen(key)) || !valid_utf8(value, strlen(value)) ||
		    strlen(value) > (q->max ? q->max : 512)) {
			q->bad = true;
			return;
		}
		json_object_set_new(q->obj, key, json_string(value));
	}
}

/* Whether the request carries the metrics token (constant time). */
static bool metrics_bearer_ok(const api_t *a, const http_in_t *in)
{
	if (!a->metrics_token)
		return false;
	const char *h = http_in_header(in, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	uint8_t want[SEC_SHA256_LEN], got[SEC_SHA256_LEN];
	sec_sha256(a->metrics_token, strlen(a->metrics_token), want);
	sec_sha256(h + 7, strlen(h + 7), got);
	return sec_equal(want, got, sizeof want);
}

static void render_metrics(api_t *a, struct answer *ans)
{
	buf_t b;
	buf_init(&b, 1 << 20);
	metrics_render(&b, store_db_time_ns(a->st), atomic_load(&a->inflight));
	store_group_stats_t g;
	store_group_stats(a->st, &g);
	buf_printf(&b, "# HELP faxvault_store_groups_total Group commits of reads' writes (audit events, last_seen_at).\n"
		"# TYPE faxvault_store_groups_total counter\n"
		"faxvault_store_groups_total %llu\n"
		"# HELP faxvault_store_group_writes_total Writes those groups held.\n"
		"# TYPE faxvault_store_group_writes_total counter\n"
		"faxvault_store_group_writes_total %llu\n", (unsigned long long)g.groups,
		(unsigned long long)g.writes);
	uint64_t held, longest;
	store_wal_restart_held(a->st, &held, &longest);
	buf_printf(&b, "# HELP faxvault_store_wal_restarts_total Restarts of SQLite's write-ahead log.\n"
		"# TYPE faxvault_store_wal_restarts_total counter\n"
		"faxvault_store_wal_restarts_total %llu\n"
		"# HELP faxvault_store_wal_restart_lock_seconds_total Time the restarts held the writers' lock.\n"
		"# TYPE faxvault_store_wal_restart_lock_seconds_total counter\n"
		"faxvault_store_wal_restart_lock_seconds_total %.6f\n"
		"# HELP faxvault_store_wal_restart_lock_longest_seconds The longest one held it.\n"
		"# TYPE faxvault_store_wal_restart_lock_longest_seconds gauge\n"
		"faxvault_store_wal_restart_lock_longest_seconds %.6f\n",
		(unsigned long long)store_wal_restarts(a->st), (double)held / 1e9, (double)longest / 1e9);
	uint64_t mem, mem_peak;
	store_engine_memory(a->st, &mem, &mem_peak);
	buf_printf(&b, "# HELP faxvault_store_engine_memory_bytes Memory SQLite holds in the service (0 on PostgreSQL).\n"
		"# TYPE faxvault_store_engine_memory_bytes gauge\n"
		"faxvault_store_engine_memory_bytes %llu\n"
		"# HELP faxvault_store_engine_memory_peak_bytes The most it held since the start.\n"
		"# TYPE faxvault_store_engine_memory_peak_bytes gauge\n"
		"faxvault_store_engine_memory_peak_bytes %llu\n",
		(unsigned long long)mem, (unsigned long long)mem_peak);
	queue_metrics(&b, a->st);
	ans->status = 200;
	ans->body = buf_steal(&b);
	ans->ctype = "text/plain; version=0.0.4";
}

static void serve_system(api_t *a, const http_in_t *in, const struct route *r,
	struct answer *ans, const char *rid, const char *lang)
{
	if (strcmp(r->action, "system.health") == 0) {
		set_json(ans, 200, json_pack("{s:s}", "status", "ok"), "application/json");
	} else if (strcmp(r->action, "system.ready") == 0) {
		store_tx_t *tx = atomic_load(&a->draining) ? NULL : store_begin(a->st, false);
		/* A round trip, not only a transaction begun: PostgreSQL's read
		 * transaction sends nothing before its first statement. */
		bool answered = tx && store_ping(tx) == STORE_OK;
		if (tx)
			store_rollback(tx);
		if (!answered) {
			set_problem(ans, "unavailable", "not ready", NULL, rid, lang);
			return;
		}
		/* How uploads meet the scanner: none, or clamd and what happens
		 * while it is unreachable (av.fail_open). */
		const fax_env_t *env = a->cfg.dom.fax;
		bool av_on = env && env->clamd && *env->clamd;
		set_json(ans, 200, json_pack("{s:s, s:i, s:{s:s, s:s}}", "status", "ready",
			"schema_version", store_schema_version(a->st), "antivirus", "scanner",
			av_on ? "clamd" : "none", "when_unreachable", !av_on ? "not_scanned" :
			env->av_fail_open ? "accept" : "refuse"), "application/json");
	} else if (strcmp(r->action, "system.metrics") == 0) {
		/* Not on the API listener unless a token is set, and then only to
		 * its bearer. */
		if (!a->metrics_token)
			set_problem(ans, "not-found", "no such path", NULL, rid, lang);
		else if (!metrics_bearer_ok(a, in))
			set_problem(ans, "unauthenticated", "GET /metrics needs Authorization: Bearer <metrics token>",
				NULL, rid, lang);
		else
			render_metrics(a, ans);
	} else {
		ans->status = 200;
		ans->body = xstrdup(a->cfg.openapi ? a->cfg.openapi : "{}");
		ans->ctype = "application/json";
	}
}

/* Tests only: the daemon's clock follows an offset kept in a file. */
static void follow_test_clock(const char *path)
{
	time_follow_file(path);
}

/* The route as the operation runner sees it. */
static unsigned op_flags_of(const struct route *r, const char *method)
{
	unsigned f = 0;
	if (r->flags & ROUTE_PUBLIC)
		f |= OP_PUBLIC;
	if (r->flags & ROUTE_ACCOUNT)
		f |= OP_ACCOUNT;
	if (r->flags & ROUTE_READONLY)
		f |= OP_READONLY;
	if (r->flags & ROUTE_UNGATED)
		f |= OP_UNGATED;
	if (r->flags & ROUTE_WHILE_CLOSING)
		f |= OP_WHILE_CLOSING;
	if (strcmp(method, "GET") == 0)
		f |= OP_READS;
	return f;
}

/* A route's handler, called by the runner (op_call). */
struct route_call {
	const struct route *r;
	api_call_t *call;
};

static int route_run(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	struct route_call *rc = arg;
	return rc->r->fn(rc->call, c, out, e);
}

/* A SafeBox guest's page (guest.h): outside the API's pipeline, the
 * guest being no principal. */
/* What the pages served outside the pipeline (guests, SCIM) need first:
 * the peer's address, the test clock, and whether the request came over
 * TLS (X-Forwarded-Proto: https from the proxy). */
static bool outside_prelude(api_t *a, const http_in_t *in, char *peer, size_t n)
{
	peer_address(in, peer, n);
	if (a->cfg.clock_file)
		follow_test_clock(a->cfg.clock_file);
	const char *proto = http_in_header(in, "X-Forwarded-Proto");
	return proto && strcasecmp(proto, "https") == 0;
}

static void serve_guest(api_t *a, const http_in_t *in, const char *url,
	const char *method, struct req *rq, struct answer *ans, const char *lang)
{
	char peer[INET6_ADDRSTRLEN + 1];
	bool secure = outside_prelude(a, in, peer, sizeof peer);
	guest_req_t q = { .method = method, .path = url, .lang = lang, .peer = peer, .rid = rq->rid,
		.cookie = http_in_header(in, "Cookie"),
		.ctype = http_in_header(in, "Content-Type"),
		.body = (const unsigned char *)rq->body.data, .len = rq->body.len, .secure = secure };
	if (rq->too_large)
		q.too_large = rq->ceiling;
	guest_ans_t g;
	guest_serve(a->st, &a->cfg.dom, &q, &g);
	ans->status = g.status;
	ans->route = g.route;
	ans->raw = g.raw;
	ans->guest = true;
	snprintf(ans->set_cookie, sizeof ans->set_cookie, "%s", g.set_cookie);
}

/* Drops a non-JSON answer, its redirect and its cookies: what a handler
 * made is not sent when the request fails after all. */
static void raw_drop(api_raw_t *raw)
{
	free(raw->data);
	raw->data = NULL;
	free(raw->location);
	raw->location = NULL;
	raw->set_cookie[0][0] = raw->set_cookie[1][0] = '\0';
}

/* A SCIM request (scim_api.h): outside the /v1 pipeline, with its own
 * credential, media type and errors. */
static void serve_scim(api_t *a, const http_in_t *in, const char *url,
	const char *method, struct req *rq, struct answer *ans, const char *lang)
{
	char peer[INET6_ADDRSTRLEN + 1];
	bool secure = outside_prelude(a, in, peer, sizeof peer);
	struct qargs qa = { .obj = json_object(), .max = SCIM_FILTER_MAX };
	collect_args(in, &qa);
	scim_req_t q = { .method = method, .path = url, .lang = lang, .peer = peer, .rid = rq->rid,
		.authz = http_in_header(in, "Authorization"),
		.ctype = http_in_header(in, "Content-Type"),
		.if_match = http_in_header(in, "If-Match"),
		.host = http_in_header(in, "Host"),
		.secure = secure, .query = qa.obj, .query_bad = qa.bad,
		.body = (const unsigned char *)rq->body.data, .len = rq->body.len,
		.anon_rpm = a->cfg.login_rpm, .anon_burst = a->cfg.login_burst };
	if (rq->too_large)
		q.too_large = rq->ceiling;
	scim_ans_t s;
	scim_api_serve(a->st, &a->cfg.dom, &q, &s);
	json_decref(qa.obj);
	ans->status = s.status;
	ans->route = s.route;
	ans->raw = s.raw;
	ans->limited = true;
	ans->rl = s.rl;
	snprintf(ans->principal, sizeof ans->principal, "%s", s.principal);
	snprintf(ans->etag, sizeof ans->etag, "%s", s.etag);
	snprintf(ans->location, sizeof ans->location, "%s", s.location);
}

/* The pipeline for one complete request. */
static void handle(api_t *a, const http_in_t *in, const char *url, const char *method,
	struct req *rq, struct answer *ans)
{
	/* Accept-Language first; else the person's setting once known; else English. */
	const char *asked = pick_lang(in);
	const char *lang = asked ? asked : "en";
	if (guest_path(url)) {
		serve_guest(a, in, url, method, rq, ans, lang);
		return;
	}
	if (scim_api_path(url)) {
		serve_scim(a, in, url, method, rq, ans, lang);
		return;
	}
	route_match_t m;
	int mr = router_match(method, url, &m);
	if (mr == -1 && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
	    portal_load(a->cfg.portal_dir, url, lang, &ans->raw) == 0) {
		ans->status = 200;
		ans->route = "/portal";
		ans->portal = true;
		return;
	}
	if (mr == -1) {
		set_problem(ans, "not-found", "no such path", NULL, rq->rid, lang);
		return;
	}
	if (mr == -2) {
		i18n_msg_t d;
		i18n_msg_set(&d, "this path does not take %.16s", method);
		set_problem(ans, "method-not-allowed", i18n_msg_get(&d, lang), NULL, rq->rid, lang);
		return;
	}
	const struct route *r = m.route;
	ans->route = r->pattern;
	if (rq->too_large) {
		i18n_msg_t d;
		i18n_msg_set(&d, "this request's body may be at most %zu bytes", rq->ceiling);
		set_problem(ans, "payload-too-large", i18n_msg_get(&d, lang), NULL, rq->rid, lang);
		return;
	}
	if ((r->flags & ROUTE_SYSTEM) && (r->flags & ROUTE_PUBLIC)) {
		serve_system(a, in, r, ans, rq->rid, lang);
		return;
	}
	if (atomic_load(&a->draining)) {
		set_problem(ans, "unavailable", "the server is shutting down", NULL, rq->rid, lang);
		return;
	}
	if (a->cfg.clock_file)
		follow_test_clock(a->cfg.clock_file);

	/* Body. */
	json_t *body = NULL;
	if (r->flags & ROUTE_BODY) {
		const char *ctype = http_in_header(in, "Content-Type");
		if (rq->body.len && !is_json_type(ctype)) {
			i18n_msg_t d;
			i18n_msg_set(&d, "send the body as application/json (it came as %.80s)",
				ctype ? ctype : "-");
			set_problem(ans, "unsupported-media-type", i18n_msg_get(&d, lang), NULL, rq->rid, lang);
			return;
		}
		if (rq->body.len == 0) {
			body = json_object();
		} else {
			json_error_t jerr;
			body = json_loadb(rq->body.data, rq->body.len, JSON_REJECT_DUPLICATES, &jerr);
			if (!body) {
				/* jansson's reason is English in both languages. */
				i18n_msg_t d;
				i18n_msg_set(&d, "%s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
				set_problem(ans, "invalid-json", i18n_msg_get(&d, lang), NULL, rq->rid, lang);
				return;
			}
			if (!json_is_object(body)) {
				json_decref(body);
				set_problem(ans, "invalid-json", "the body must be a JSON object", NULL, rq->rid, lang);
				return;
			}
		}
	}

	/* A form posted by a browser (ROUTE_FORM). */
	char *form_body = NULL;
	if (r->flags & ROUTE_FORM) {
		const char *ctype = http_in_header(in, "Content-Type");
		if (rq->body.len && (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0)) {
			json_decref(body);
			set_problem(ans, "unsupported-media-type",
				"send the body as application/x-www-form-urlencoded", NULL, rq->rid, lang);
			return;
		}
		form_body = xmalloc(rq->body.len + 1);
		if (rq->body.len)
			memcpy(form_body, rq->body.data, rq->body.len);
		form_body[rq->body.len] = '\0';
	}

	/* A multipart/form-data body (documents). */
	/* Parsed once the caller is known to be allowed (below). */
	mp_form_t form = { 0 };

	/* Query. */
	struct qargs q = { .obj = json_object() };
	collect_args(in, &q);
	api_call_t call = { .m = &m, .body = body, .query = q.obj, .limit = LIMIT_DEFAULT, .raw = &ans->raw,
		.form = &form, .form_body = form_body, .form_len = form_body ? rq->body.len : 0,
		.accept = http_in_header(in, "Accept"),
		.cookie = http_in_header(in, "Cookie"),
		.raw_body = (const unsigned char *)(rq->body.data ? rq->body.data : ""),
		.raw_len = rq->body.len,
		.webhook_id = http_in_header(in, "webhook-id"),
		.webhook_ts = http_in_header(in, "webhook-timestamp"),
		.webhook_sig = http_in_header(in, "webhook-signature") };
	{
		const char *proto = http_in_header(in, "X-Forwarded-Proto");
		call.secure = proto && strcasecmp(proto, "https") == 0;
	}
	const char *lim = json_string_value(json_object_get(q.obj, "limit"));
	int64_t lv;
	call.cursor = json_string_value(json_object_get(q.obj, "cursor"));
	if (q.bad || (lim && parse_i64z(lim, 1, LIMIT_MAX, &lv) != 0) ||
	    (call.cursor && strlen(call.cursor) > CURSOR_MAX)) {
		set_problem(ans, "invalid-parameter",
			q.bad ? "query arguments must be UTF-8" : "limit must be 1 to 200; cursor as given by a previous page",
			lim ? "limit" : "cursor", rq->rid, lang);
		goto out;
	}
	if (lim)
		call.limit = (int)lv;

	char peer[INET6_ADDRSTRLEN + 1];
	peer_address(in, peer, sizeof peer);
	/* The operation runner (ops.h) takes it from here: transaction,
	 * caller, limits, gates, authorization, the handler, commit and audit.
	 * What is HTTP's own stays here: where the credential travels (header
	 * or the portal's cookie and its CSRF token), multipart bodies,
	 * Idempotency-Key, the answer. */
	op_spec_t spec = { .action = r->action, .pattern = r->pattern, .perms = r->perms,
		.flags = op_flags_of(r, method) };
	op_run_t run;
	if (op_begin(&run, a->st, &a->cfg.dom, &spec, peer, rq->rid, lang, asked != NULL) != 0) {
		set_problem(ans, run.e.kind, dom_err_detail(&run.e, lang), NULL, rq->rid, lang);
		ans->retry_after_s = run.e.retry_after_s;
		goto out;
	}
	dom_err_t *e = &run.e;
	json_t *result = NULL;

	/* Authentication: Authorization, else the portal's session cookie
	 * (websession.h) on a route that needs a caller. */
	const char *authz = http_in_header(in, "Authorization");
	const char *proto = http_in_header(in, "X-Forwarded-Proto");
	bool secure = a->cfg.secure_cookies || (proto && strcasecmp(proto, "https") == 0);
	char cookie_tok[WEBSESSION_TOKEN_MAX + 1] = "";
	char csrf[WEBSESSION_CSRF_LEN] = "";
	bool want_cookie = false;
	if (!authz && !(r->flags & ROUTE_PUBLIC))
		websession_cookie_token(http_in_header(in, "Cookie"),
			cookie_tok, sizeof cookie_tok);
	if (strcmp(r->action, "sessions.create") == 0 && websession_login_request(body, &want_cookie, e) != 0)
		goto fail;
	/* The session of a single sign-on, for the portal: ?cookie=true. */
	if (strcmp(r->action, "sso.session") == 0)
		want_cookie = json_is_string(json_object_get(q.obj, "cookie")) &&
			strcmp(json_string_value(json_object_get(q.obj, "cookie")), "true") == 0;
	if (cookie_tok[0]) {
		if (op_authenticate(&run, cookie_tok, NULL) != 0) {
			if (run.auth_failed)
				metrics_auth_failure();
			/* A cookie that opens nothing any more is cleared. */
			if (strcmp(e->kind, "unauthenticated") == 0)
				websession_set_cookie(NULL, secure, ans->set_cookie, sizeof ans->set_cookie);
			goto fail;
		}
		call.bearer = cookie_tok;
		websession_csrf(cookie_tok, csrf);
		call.csrf = csrf;
		if (websession_changes_state(method) && !websession_csrf_ok(cookie_tok,
			    http_in_header(in, WEBSESSION_CSRF_HEADER))) {
			dom_fail(e, "csrf", "", "a change made with the portal's session cookie needs the "
				"header X-CSRF-Token with the session's CSRF token");
			goto fail;
		}
	} else if (authz) {
		if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) > 256) {
			dom_fail(e, "unauthenticated", "", "use Authorization: Bearer <token>");
			metrics_auth_failure();
			goto fail;
		}
		if (op_authenticate(&run, authz + 7, NULL) != 0) {
			if (run.auth_failed)
				metrics_auth_failure();
			goto fail;
		}
		call.bearer = authz + 7;
	} else if (!(r->flags & ROUTE_PUBLIC)) {
		dom_fail(e, "unauthenticated", "", "this operation needs Authorization: Bearer <token>");
		goto fail;
	}
	if (run.c.who) {
		lang = run.c.lang;
		snprintf(ans->principal, sizeof ans->principal, "%s", run.who.id);
	}

	/* Rate limits (C14): per API key, per account, per person; callers
	 * without a credential share their address's stricter bucket. */
	{
		char key[96];
		op_limit_key(&run, key, sizeof key);
		ans->limited = true;
		if (op_limit(&run, key, a->cfg.login_rpm, a->cfg.login_burst, &ans->rl) != 0) {
			metrics_rate_limited(run.announced);
			goto fail;
		}
	}

	/* Steps the person must take before anything else, then the one
	 * authorization choke point. */
	if (op_gate(&run) != 0 || op_authorize(&run, route_param(&m, "id")) != 0)
		goto fail;
	call.account = run.account;

	/* A multipart/form-data body (documents), parsed only for a caller
	 * allowed to send it. */
	if (r->flags & ROUTE_UPLOAD) {
		char boundary[80], merr[160];
		const char *ct = http_in_header(in, "Content-Type");
		if (multipart_boundary(ct, boundary, sizeof boundary) != 0) {
			dom_fail(e, "unsupported-media-type", "", "send multipart/form-data with a boundary");
			goto fail;
		}
		if (multipart_parse((const unsigned char *)(rq->body.data ? rq->body.data : ""),
			    rq->body.len, boundary, &form, merr, sizeof merr) != 0) {
			dom_fail_text(e, "invalid-multipart", "", merr);
			goto fail;
		}
	}

	/* Idempotency-Key on creating POSTs: the runner's step, given what
	 * makes this request what it is. */
	const char *ik = http_in_header(in, "Idempotency-Key");
	if (ik && (r->flags & ROUTE_CREATE)) {
		buf_t h;
		buf_init(&h, rq->body.len + 4096 + (size_t)form.n * 512);
		buf_printf(&h, "%s %s\n", method, url);
		if (r->flags & ROUTE_UPLOAD) {
			/* A multipart body differs by its boundary alone from one
			 * send to the next: hash what it carries instead. */
			for (int i = 0; i < form.n; i++) {
				const mp_part_t *p = &form.parts[i];
				buf_printf(&h, "%s\n%s\n%s\n%zu\n", p->name, p->filename, p->ctype, p->len);
				buf_append(&h, p->data, p->len);
			}
		} else {
			buf_append(&h, rq->body.data ? rq->body.data : "", rq->body.len);
		}
		op_replay_t replay;
		int ir = op_idempotent(&run, ik, h.data, h.len, &replay);
		buf_free(&h);
		if (ir < 0)
			goto fail;
		if (ir > 0) {
			ans->status = replay.status;
			ans->body = replay.body;
			ans->ctype = "application/json";
			ans->replayed = true;
			goto done;
		}
	}

	/* The operation. It may end its transaction and start another one
	 * (dom_tx_pause / dom_tx_resume) around slow work such as rendering a
	 * document. */
	struct route_call rc = { .r = r, .call = &call };
	if (op_call(&run, route_run, &rc, &result) != 0)
		goto fail;
	if (want_cookie && result)
		websession_login_answer(result, secure, ans->set_cookie);
	if (cookie_tok[0] && strcmp(r->action, "sessions.delete") == 0)
		websession_set_cookie(NULL, secure, ans->set_cookie, sizeof ans->set_cookie);
	int ok_status = ans->raw.status ? ans->raw.status : r->status;
	if (ans->raw.data) {
		ans->status = ok_status;
		json_decref(result);
	} else {
		set_json(ans, ok_status, ok_status == 204 ? NULL : result, "application/json");
		if (ok_status == 204)
			json_decref(result);
	}
	if (op_idem_save(&run, ans->status, ans->body) != 0) {
		free(ans->body);
		ans->body = NULL;
		goto fail;
	}
	/* A worker that need not wait for the audit event's commit goes on:
	 * the answer leaves once it is durable (api_serve_then). */
	if (rq->may_detach)
		store_detach_next();
	if (op_commit(&run) != 0) {
		free(ans->body);
		ans->body = NULL;
		raw_drop(&ans->raw);
		set_problem(ans, e->kind, dom_err_detail(e, lang), NULL, rq->rid, lang);
		ans->retry_after_s = e->retry_after_s;
	}
	if (rq->may_detach && (rq->pend = store_detached()) != NULL) {
		rq->lang = lang;
		rq->unavailable = store_unavailable_seen();
	}
	goto done;

fail:
	raw_drop(&ans->raw);
	lang = run.c.lang;
	{
		/* The target of a refusal's audit event is what was tried (the
		 * concrete path, credentials redacted); the route goes in its
		 * detail. */
		char target[256];
		redact_target(url, r->pattern, target, sizeof target);
		op_fail(&run, target);
	}
	set_problem(ans, e->kind, dom_err_detail(e, lang), e->field, rq->rid, lang);
	ans->retry_after_s = e->retry_after_s;
	if (strcmp(e->kind, "invalid-credentials") == 0)
		metrics_auth_failure();
done:
	op_end(&run);
out:
	json_decref(q.obj);
	json_decref(body);
	free(form_body);
	multipart_free(&form);
}

/* The portal's pages: revalidated at each use (ETag-less: they are small),
 * and a policy that lets them run only their own files. */
static void portal_headers(http_out_t *o)
{
	http_out_add(o, "Cache-Control", "no-cache");
	http_out_add(o, "Vary", "Accept-Language");
	http_out_add(o, "Content-Security-Policy",
		"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
		"frame-ancestors 'none'");
	http_out_add(o, "Referrer-Policy", "no-referrer");
	http_out_add(o, "X-Frame-Options", "DENY");
}

/* The answer as status, headers and body (taken from ans). */
static void answer_out(struct req *rq, struct answer *ans, http_out_t *o)
{
	size_t len = ans->body ? strlen(ans->body) : 0;
	void *data = ans->body;
	if (ans->raw.data) {
		data = ans->raw.data;
		len = ans->raw.len;
		ans->ctype = ans->raw.ctype;
		ans->raw.data = NULL;
	}
	ans->body = NULL;
	o->status = ans->status;
	o->body = data;
	o->len = len;
	if (len)
		http_out_add(o, "Content-Type", ans->ctype);
	char cd[400];
	if (len && ans->raw.disposition &&
	    disposition_format(ans->raw.disposition, ans->raw.filename, cd, sizeof cd) == 0)
		http_out_add(o, "Content-Disposition", cd);
	http_out_add(o, "X-Request-Id", rq->rid);
	if (ans->guest) {
		/* A guest's page holds the box: kept nowhere, shown in no frame,
		 * no script, and the link's token never sent on as a Referer. */
		http_out_add(o, "Cache-Control", "no-store");
		http_out_add(o, "Content-Security-Policy",
			"default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
		http_out_add(o, "Referrer-Policy", "no-referrer");
		http_out_add(o, "X-Frame-Options", "DENY");
		http_out_add(o, "Vary", "Accept-Language, Cookie");
	} else
	/* Pages made by a route (the status page) get the portal's policy. */
	if (ans->portal || (len && ans->ctype && strncmp(ans->ctype, "text/html", 9) == 0)) {
		portal_headers(o);
	} else {
		http_out_add(o, "Cache-Control", "no-store");
	}
	if (ans->set_cookie[0])
		http_out_add(o, "Set-Cookie", ans->set_cookie);
	http_out_add(o, "X-Content-Type-Options", "nosniff");
	if (ans->raw.location) {
		http_out_add(o, "Location", ans->raw.location);
		free(ans->raw.location);
		ans->raw.location = NULL;
	}
	for (int i = 0; i < 2; i++)
		if (ans->raw.set_cookie[i][0])
			http_out_add(o, "Set-Cookie", ans->raw.set_cookie[i]);
	if (ans->status == 401)
		http_out_add(o, "WWW-Authenticate", "Bearer realm=\"faxvault\"");
	if (ans->replayed)
		http_out_add(o, "Idempotent-Replayed", "true");
	if (ans->etag[0])
		http_out_add(o, "ETag", ans->etag);
	if (ans->location[0])
		http_out_add(o, "Location", ans->location);
	if (ans->limited) {
		char v[24];
		snprintf(v, sizeof v, "%d", ans->rl.limit);
		http_out_add(o, "RateLimit-Limit", v);
		snprintf(v, sizeof v, "%d", ans->rl.remaining);
		http_out_add(o, "RateLimit-Remaining", v);
		snprintf(v, sizeof v, "%d", ans->rl.reset_s);
		http_out_add(o, "RateLimit-Reset", v);
		if (!ans->rl.allowed) {
			snprintf(v, sizeof v, "%d", ans->rl.retry_after);
			http_out_add(o, "Retry-After", v);
		}
	}
	if (ans->retry_after_s > 0 && !(ans->limited && !ans->rl.allowed)) {
		char v[24];
		snprintf(v, sizeof v, "%lld", (long long)ans->retry_after_s);
		http_out_add(o, "Retry-After", v);
	} else if (ans->status == 503 && !(ans->limited && !ans->rl.allowed)) {
		/* Unavailable for now (the database, the shutdown): as the front
		 * end's own 503. */
		http_out_add(o, "Retry-After", "1");
	}
}

static void make_request_id(const http_in_t *in, char *out, size_t n)
{
	http_request_id(http_in_header(in, "X-Request-Id"), out, n);
}

/* A request's metrics and log line. */
static void note_request(api_t *a, const char *url, const char *method, const char *peer,
	int64_t recv_ns, const struct req *rq, const struct answer *ans)
{
	int64_t dur = time_mono_ns() - rq->t0 + (recv_ns > 0 ? recv_ns : 0);
	metrics_request(ans->route, method, ans->status, dur);
	/* Never a credential in the log: tokens in the path are redacted. */
	char rpath[300], qpath[400];
	/* Health probes arrive every few seconds from a supervisor: a
	 * successful one is not news (a failing one is logged). */
	bool probe = strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0;
	if (!(probe && ans->status < 400 && !a->cfg.log_health_probes)) {
		redact_target(url, strcmp(ans->route, "unmatched") != 0 ? ans->route : NULL, rpath,
			sizeof rpath);
		log_event(ans->status >= 500 ? LOG_ERROR : LOG_INFO, "http.request",
			"rid=%s method=%s path=%s route=%s status=%d dur_ms=%.3f peer=%s principal=%s",
			rq->rid, method, log_quote(rpath, qpath, sizeof qpath), ans->route, ans->status,
			(double)dur / 1e6, peer, ans->principal[0] ? ans->principal : "-");
	}
}

/* Answers a complete request (or one refused before its body): metrics,
 * the log line, and the answer. */
static void finish(api_t *a, const http_in_t *in, struct req *rq, struct answer *ans,
	http_out_t *out)
{
	char peer[INET6_ADDRSTRLEN + 1];
	peer_address(in, peer, sizeof peer);
	note_request(a, in->url, in->method, peer, in->recv_ns, rq, ans);
	answer_out(rq, ans, out);
}

/* An answer made, waiting for its request's audit event to be committed
 * (api_serve_then): what answers it then, or its commit's failure, and
 * what its log line needs of the request, which is gone by then. */
struct later {
	api_t *a;
	api_answer_fn done;
	void *arg;
	uint64_t tag;
	struct req rq;        /* its in is gone: not used */
	http_out_t ok;        /* the answer, once committed */
	struct answer fail;   /* the answer without its body: a failure's */
	char *url, *method;
	int64_t recv_ns;
	char peer[INET6_ADDRSTRLEN + 1];
};

/* The answer once the commit ended: the one made, or the one a failed
 * commit gets (what handle answers when op_commit fails). */
static void later_answer(struct later *l, int rc, bool unavailable, http_out_t *out)
{
	if (rc == 0) {
		struct answer ok = { .route = l->fail.route, .status = l->ok.status };
		snprintf(ok.principal, sizeof ok.principal, "%s", l->fail.principal);
		note_request(l->a, l->url, l->method, l->peer, l->recv_ns, &l->rq, &ok);
		*out = l->ok;
		memset(&l->ok, 0, sizeof l->ok);
	} else {
		/* As op_commit's failure: "internal", or "unavailable" when the
		 * database could not take it. */
		dom_err_t e = { 0 };
		const char *lang = l->rq.lang;
		if (unavailable || l->rq.unavailable) {
			dom_fail(&e, "unavailable", "", "the database is not reachable");
			e.retry_after_s = 1;
		} else {
			dom_fail(&e, "internal", "", "the change could not be committed");
		}
		set_problem(&l->fail, e.kind, dom_err_detail(&e, lang), NULL, l->rq.rid, lang);
		l->fail.retry_after_s = e.retry_after_s;
		note_request(l->a, l->url, l->method, l->peer, l->recv_ns, &l->rq, &l->fail);
		memset(out, 0, sizeof *out);
		answer_out(&l->rq, &l->fail, out);
	}
	atomic_fetch_sub(&l->a->inflight, 1);
}

static void later_free(struct later *l)
{
	http_out_free(&l->ok);
	free(l->url);
	free(l->method);
	free(l);
}

/* The end of a detached commit (store_pending_then), in the thread that
 * wrote its group. */
static void later_done(void *arg, int rc, bool unavailable)
{
	struct later *l = arg;
	http_out_t out;
	later_answer(l, rc, unavailable, &out);
	l->done(l->arg, l->tag, &out);
	later_free(l);
}

/* A request whose commit detached: its answer made now and kept, with the
 * one a failure would get, until its group's writer ends it. 1: done will
 * be called; 0: the commit has ended (waited for), out is the answer. */
static int later_start(api_t *a, const http_in_t *in, struct req *rq, struct answer *ans,
	http_out_t *out, api_answer_fn done, void *arg, uint64_t tag)
{
	struct later *l = xcalloc(1, sizeof *l);
	l->a = a;
	l->done = done;
	l->arg = arg;
	l->tag = tag;
	l->rq = *rq;
	l->rq.in = NULL;
	l->rq.pend = NULL;
	l->url = xstrdup(in->url);
	l->method = xstrdup(in->method);
	l->recv_ns = in->recv_ns;
	peer_address(in, l->peer, sizeof l->peer);
	/* A failure's answer keeps what handle keeps when op_commit fails:
	 * everything but the body (raw_drop). */
	l->fail = *ans;
	l->fail.body = NULL;
	l->fail.raw.data = NULL;
	l->fail.raw.location = NULL;
	l->fail.raw.set_cookie[0][0] = l->fail.raw.set_cookie[1][0] = '\0';
	answer_out(rq, ans, &l->ok);
	int rc;
	bool unavailable;
	if (store_pending_then(rq->pend, later_done, l, &rc, &unavailable))
		return 1;
	later_answer(l, rc, unavailable, out);
	later_free(l);
	return 0;
}

/* The metrics listener: GET /metrics and nothing else, to the bearer of
 * the metrics token when one is set. Requests are not logged (a scraper
 * calls every few seconds). */
static void serve_metrics_listener(api_t *a, const http_in_t *in, http_out_t *out)
{
	struct req rq = { .in = in };
	make_request_id(in, rq.rid, sizeof rq.rid);
	struct answer ans = { .route = "/metrics", .ctype = "application/json" };
	if (strcmp(in->url, "/metrics") != 0)
		set_problem(&ans, "not-found", "this listener serves /metrics only", NULL, rq.rid, "en");
	else if (strcmp(in->method, "GET") != 0 && strcmp(in->method, "HEAD") != 0)
		set_problem(&ans, "method-not-allowed", "this listener takes GET /metrics only", NULL, rq.rid, "en");
	else if (a->metrics_token && !metrics_bearer_ok(a, in))
		set_problem(&ans, "unauthenticated", "GET /metrics needs Authorization: Bearer <metrics token>",
			NULL, rq.rid, "en");
	else
		render_metrics(a, &ans);
	answer_out(&rq, &ans, out);
}

size_t api_body_ceiling(const api_config_t *cfg, const char *method, const char *url,
	bool *upload)
{
	/* Upload routes (fax documents) have their own, larger ceiling and
	 * deadline. */
	size_t ceiling = cfg->max_body;
	route_match_t um;
	bool matched = router_match(method, url, &um) == 0;
	*upload = (matched && (um.route->flags & ROUTE_UPLOAD)) || guest_upload(method, url);
	if (*upload && cfg->max_upload > ceiling)
		ceiling = cfg->max_upload;
	return ceiling;
}

void api_serve(api_t *a, const http_in_t *in, http_out_t *out)
{
	api_serve_then(a, in, out, NULL, NULL, 0);
}

int api_serve_then(api_t *a, const http_in_t *in, http_out_t *out, api_answer_fn done, void *arg,
	uint64_t tag)
{
	memset(out, 0, sizeof *out);
	if (in->listener == HTTP_LISTENER_METRICS) {
		serve_metrics_listener(a, in, out);
		return 0;
	}
	atomic_fetch_add(&a->inflight, 1);
	struct req rq = { .in = in, .body = { (const char *)in->body, in->body ? in->len : 0 },
		.too_large = in->too_large, .ceiling = in->ceiling, .t0 = time_mono_ns(),
		.may_detach = done != NULL };
	make_request_id(in, rq.rid, sizeof rq.rid);
	struct answer ans = { .route = "unmatched", .ctype = "application/json" };
	if (in->refused_early) {
		/* Refused at once, from the declared length: not a byte of the
		 * body was read (no 100 Continue is sent), and the connection is
		 * closed after the answer. */
		const char *lang = pick_lang(in);
		route_match_t um;
		if (router_match(in->method, in->url, &um) == 0)
			ans.route = um.route->pattern;
		i18n_msg_t d;
		i18n_msg_set(&d, "this request's body may be at most %zu bytes", in->ceiling);
		set_problem(&ans, "payload-too-large", i18n_msg_get(&d, lang), NULL, rq.rid,
			lang ? lang : "en");
	} else {
		handle(a, in, in->url, in->method, &rq, &ans);
	}
	if (rq.pend)
		return later_start(a, in, &rq, &ans, out, done, arg, tag);
	finish(a, in, &rq, &ans, out);
	atomic_fetch_sub(&a->inflight, 1);
	return 0;
}

/* Reads the metrics token: the first line of path, at least 16 bytes of
 * printable ASCII. 0, or -1 with err. */
static int read_metrics_token(const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "metrics.token_file %s cannot be read", path);
		return -1;
	}
	char line[512] = "";
	bool got = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	size_t n = strlen(line);
	bool ok = got && n >= 16;
	for (size_t i = 0; ok && i < n; i++)
		ok = line[i] > 0x20 && line[i] < 0x7f;
	if (!ok) {
		sodium_memzero(line, sizeof line);
		snprintf(err, errlen, "metrics.token_file %s must hold a token of 16 or more printable "
			"characters on its first line", path);
		return -1;
	}
	*out = xstrdup(line);
	sodium_memzero(line, sizeof line);
	return 0;
}

static void api_free(api_t *a)
{
	if (!a)
		return;
	if (a->metrics_token) {
		sodium_memzero(a->metrics_token, strlen(a->metrics_token));
		free(a->metrics_token);
	}
	free(a);
}

api_t *api_new(const api_config_t *cfg, store_t *st, char *err, size_t errlen)
{
	api_t *a = xcalloc(1, sizeof *a);
	a->cfg = *cfg;
	a->st = st;
	if (cfg->metrics_token_file && *cfg->metrics_token_file &&
	    read_metrics_token(cfg->metrics_token_file, &a->metrics_token, err, errlen) != 0) {
		api_free(a);
		return NULL;
	}
	metrics_init();
	/* Several nodes on one PostgreSQL database: one limit for all. */
	ratelimit_share(st);
	return a;
}

void api_drain(api_t *a)
{
	atomic_store(&a->draining, 1);
}

void api_release(api_t *a)
{
	ratelimit_share(NULL);
	api_free(a);
}
