/* Requests from customers to the provider and their answers (see
 * requests.h). */
#include "numbers.h"

#include <pthread.h>
#include <string.h>

#include "cidr.h"
#include "dom_util.h"
#include "notify/notify.h"
#include "sec.h"
#include "fax/fax.h"
#include "store_fax.h"
#include "store_numbers.h"
#include "store_requests.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define DAY_MS 86400000LL

/* The life of each kind: the first status, and which status may follow
 * which (from, to; "" ends a list). Closing statuses end the request. */
struct step {
	const char *from, *to;
	bool needs_message, closes;
};

struct kind_info {
	const char *kind, *first, *action;
	const char *en, *fr;           /* its name, for a subject */
	const char *noun_en, *noun_fr; /* the same within a sentence */
	const struct step *steps;
};

static const struct step fraud_steps[] = {
	{ "open", "investigating", false, false },
	{ "open", "resolved", false, true },
	{ "open", "dismissed", true, true },
	{ "investigating", "resolved", false, true },
	{ "investigating", "dismissed", true, true },
	{ NULL, NULL, false, false },
};
static const struct step pentest_steps[] = {
	{ "requested", "approved", false, false },
	{ "requested", "refused", true, true },
	{ "approved", "revoked", true, true },
	{ NULL, NULL, false, false },
};
static const struct step forecast_steps[] = {
	{ "submitted", "acknowledged", false, true },
	{ "submitted", "declined", true, true },
	{ NULL, NULL, false, false },
};

static const struct kind_info kinds[] = {
	{ "fraud", "open", "request.fraud", "Fraud report", "Signalement de fraude", "fraud report",
		"signalement de fraude", fraud_steps },
	{ "pentest", "requested", "request.pentest", "Penetration-test request",
		"Demande de test d'intrusion", "penetration-test request", "demande de test d'intrusion",
		pentest_steps },
	{ "forecast", "submitted", "request.forecast", "Traffic forecast", "Prévision de trafic",
		"traffic forecast", "prévision de trafic", forecast_steps },
};

static const struct kind_info *kind_of(const char *kind)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return NULL;
}

static const struct step *step_of(const struct kind_info *k, const char *from, const char *to)
{
	for (const struct step *s = k->steps; s->from; s++)
		if (strcmp(s->from, from) == 0 && strcmp(s->to, to) == 0)
			return s;
	return NULL;
}

/* The person who files a request (for an API key, its creator). */
static const char *requester(const dom_ctx_t *c)
{
	return c->who ? c->who->person_id : dom_actor_id(c);
}

/* ---- fields of each kind ---- */

/* An RFC 3339 time of body: its milliseconds in *ms, also stored in fields
 * as "<key>_ms" for the store's window queries. Absent and not required: 0. */
static int take_time(const json_t *body, const char *key, bool required, json_t *fields,
	int64_t *ms, dom_err_t *e)
{
	const char *s;
	*ms = 0;
	if (body_str(body, key, required, &s, e) != 0)
		return -1;
	if (!s)
		return 0;
	if (time_parse_rfc3339(s, ms) != 0)
		return dom_fail(e, "validation-failed", key, "\"%s\" must be an RFC 3339 time", key);
	char t[40], k[40];
	json_object_set_new(fields, key, json_string(time_format_rfc3339(*ms, t, sizeof t)));
	snprintf(k, sizeof k, "%s_ms", key);
	json_object_set_new(fields, k, json_integer(*ms));
	return 0;
}

/* The lists a request may hold: what each item must be. */
enum list_kind { L_NUMBERS, L_USERS, L_HOSTS, L_PATHS, L_SOURCES };

/* The problem of a list that is not 1 to REQUEST_LIST_MAX items (item 0) or
 * of its item-th item. Returns -1. */
static int list_fail(dom_err_t *e, enum list_kind k, const char *key, size_t item)
{
	const int max = REQUEST_LIST_MAX;
	switch (k) {
	case L_NUMBERS:
		return item ? dom_fail(e, "validation-failed", key, "item %zu of \"%s\" is not an E.164 "
				"number", item, key)
			    : dom_fail(e, "validation-failed", key, "\"%s\" must be a list of 1 to %d "
				"E.164 numbers", key, max);
	case L_USERS:
		return item ? dom_fail(e, "validation-failed", key, "item %zu of \"%s\" is not a member "
				"id or an e-mail address", item, key)
			    : dom_fail(e, "validation-failed", key, "\"%s\" must be a list of 1 to %d "
				"member ids or e-mail addresses", key, max);
	case L_HOSTS:
		return item ? dom_fail(e, "validation-failed", key, "item %zu of \"%s\" is not a host "
				"name or an address", item, key)
			    : dom_fail(e, "validation-failed", key, "\"%s\" must be a list of 1 to %d "
				"host names or addresses", key, max);
	case L_PATHS:
		return item ? dom_fail(e, "validation-failed", key, "item %zu of \"%s\" is not a URL "
				"path (\"/...\")", item, key)
			    : dom_fail(e, "validation-failed", key, "\"%s\" must be a list of 1 to %d URL "
				"paths", key, max);
	case L_SOURCES:
	default:
		return item ? dom_fail(e, "validation-failed", key, "item %zu of \"%s\" is not an "
				"address or a network in CIDR notation (host bits clear)", item, key)
			    : dom_fail(e, "validation-failed", key, "\"%s\" must be a list of 1 to %d "
				"addresses or networks", key, max);
	}
}

static bool ok_number(const char *s, char out[64]);
static bool ok_user(const char *s, char out[64]);
static bool ok_host(const char *s, char out[64]);
static bool ok_path(const char *s, char out[64]);
static bool ok_cidr(const char *s, char out[64]);

/* A list of 1 to REQUEST_LIST_MAX strings of kind k, each checked and
 * copied in canonical form into fields. Absent and not required: 0. */
static int take_list(const json_t *body, const char *key, bool required, json_t *fields,
	enum list_kind k, dom_err_t *e)
{
	static bool (*const ok[])(const char *, char[64]) = { ok_number, ok_user, ok_host, ok_path,
		ok_cidr };
	const json_t *v = json_object_get(body, key);
	if (!v) {
		if (required)
			return dom_fail(e, "validation-failed", key, "\"%s\" is required", key);
		return 0;
	}
	size_t n = json_is_array(v) ? json_array_size(v) : 0;
	if (n == 0 || n > REQUEST_LIST_MAX)
		return list_fail(e, k, key, 0);
	json_t *out = json_array();
	size_t i;
	const json_t *item;
	json_array_foreach(v, i, item) {
		char canon[64];
		const char *s = json_string_value(item);
		if (!s || !ok[k](s, canon)) {
			json_decref(out);
			return list_fail(e, k, key, i + 1);
		}
		json_array_append_new(out, json_string(canon));
	}
	json_object_set_new(fields, key, out);
	return 0;
}

static bool ok_number(const char *s, char out[64])
{
	if (!e164_valid(s))
		return false;
	snprintf(out, 64, "%s", s);
	return true;
}

/* A member id or an e-mail address: letters, digits and "@._+-". */
static bool ok_user(const char *s, char out[64])
{
	size_t n = strlen(s);
	if (n == 0 || n >= 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("@._+-", *p)))
			return false;
	snprintf(out, 64, "%s", s);
	return true;
}

static bool ok_cidr(const char *s, char out[64])
{
	cidr_t net;
	const char *why;
	if (cidr_parse(s, &net, &why) != 0)
		return false;
	cidr_format(&net, out, 64);
	return true;
}

/* A host name (RFC 1123 labels) or an address literal. */
static bool ok_host(const char *s, char out[64])
{
	int fam;
	uint8_t a[16];
	size_t n = strlen(s);
	if (n == 0 || n >= 64)
		return false;
	if (cidr_addr_parse(s, &fam, a) != 0) {
		size_t label = 0;
		for (const char *p = s; *p; p++) {
			bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				(*p >= '0' && *p <= '9');
			if (*p == '.') {
				if (label == 0)
					return false;
				label = 0;
			} else if (alnum || (*p == '-' && label > 0)) {
				label++;
			} else {
				return false;
			}
		}
		if (label == 0 || s[n - 1] == '-')
			return false;
	}
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	return true;
}

/* A URL path: "/" then printable ASCII without spaces, quotes or angles. */
static bool ok_path(const char *s, char out[64])
{
	size_t n = strlen(s);
	if (n == 0 || n >= 64 || s[0] != '/')
		return false;
	for (const char *p = s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"<>\\", *p))
			return false;
	snprintf(out, 64, "%s", s);
	return true;
}

static int take_text(const json_t *body, const char *key, bool required, size_t max,
	json_t *fields, dom_err_t *e)
{
	const char *s;
	if (body_text(body, required, key, max, &s, e) != 0)
		return -1;
	if (s)
		json_object_set_new(fields, key, json_string(s));
	return 0;
}

static int fraud_fields(const json_t *body, json_t *f, dom_err_t *e)
{
	static const char *const allowed[] = { "summary", "description", "occurred_at", "numbers",
		"users", NULL };
	int64_t at;
	if (body_only(body, allowed, e) != 0 ||
	    take_text(body, "summary", true, REQUEST_SUMMARY_MAX, f, e) != 0 ||
	    take_text(body, "description", true, REQUEST_TEXT_MAX, f, e) != 0 ||
	    take_time(body, "occurred_at", false, f, &at, e) != 0 ||
	    take_list(body, "numbers", false, f, L_NUMBERS, e) != 0 ||
	    take_list(body, "users", false, f, L_USERS, e) != 0)
		return -1;
	return 0;
}

/* A window: starts_at before ends_at, ending in the future, at most
 * max_days long. */
static int take_window(const json_t *body, json_t *f, int max_days, int64_t now, dom_err_t *e)
{
	int64_t from, to;
	if (take_time(body, "starts_at", true, f, &from, e) != 0 ||
	    take_time(body, "ends_at", true, f, &to, e) != 0)
		return -1;
	if (to <= from)
		return dom_fail(e, "validation-failed", "ends_at", "\"ends_at\" must be after \"starts_at\"");
	if (to <= now)
		return dom_fail(e, "validation-failed", "ends_at", "\"ends_at\" must be in the future");
	if (to - from > (int64_t)max_days * DAY_MS)
		return dom_fail(e, "validation-failed", "ends_at", "the window may be at most %d days long",
			max_days);
	return 0;
}

static int pentest_fields(const json_t *body, json_t *f, int64_t now, dom_err_t *e)
{
	static const char *const allowed[] = { "hosts", "paths", "sources", "starts_at", "ends_at",
		"contact", "description", NULL };
	static const char *const contact_keys[] = { "name", "email", "phone", NULL };
	if (body_only(body, allowed, e) != 0 ||
	    take_list(body, "hosts", true, f, L_HOSTS, e) != 0 ||
	    take_list(body, "paths", false, f, L_PATHS, e) != 0 ||
	    take_list(body, "sources", true, f, L_SOURCES, e) != 0 ||
	    take_window(body, f, PENTEST_WINDOW_DAYS, now, e) != 0 ||
	    take_text(body, "description", false, REQUEST_TEXT_MAX, f, e) != 0)
		return -1;
	const json_t *ct = json_object_get(body, "contact");
	if (!json_is_object(ct))
		return dom_fail(e, "validation-failed", "contact",
			"\"contact\" must be an object {name, email, phone?}");
	char email[EMAIL_MAX + 1];
	const char *name, *phone;
	if (body_only(ct, contact_keys, e) != 0 || body_name(ct, "name", true, &name, e) != 0 ||
	    body_email(ct, "email", email, e) != 0 || body_name(ct, "phone", false, &phone, e) != 0)
		return -1;
	json_t *c = json_pack("{s:s, s:s}", "name", name, "email", email);
	if (phone)
		json_object_set_new(c, "phone", json_string(phone));
	json_object_set_new(f, "contact", c);
	return 0;
}

/* The concurrent calls the active trunks carry (0: a trunk without a
 * ceiling makes the capacity unbounded, -1: the trunks could not be read). */
static int64_t trunk_capacity(store_tx_t *tx, json_t **trunks_out)
{
	json_t *trunks = store_trunk_list(tx);
	if (!trunks)
		return -1;
	int64_t total = 0;
	bool unbounded = false;
	json_t *list = json_array();
	size_t i;
	json_t *t;
	json_array_foreach(trunks, i, t) {
		if (strcmp(rec_str(t, "status"), "active") != 0)
			continue;
		json_int_t m = json_integer_value(json_object_get(t, "max_calls"));
		if (m <= 0)
			unbounded = true;
		else
			total += m;
		json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "id", rec_str(t, "id"), "name",
			rec_str(t, "name"), "max_calls", m > 0 ? json_integer(m) : json_null()));
	}
	json_decref(trunks);
	if (trunks_out)
		*trunks_out = list;
	else
		json_decref(list);
	return unbounded ? 0 : total;
}

/* The peak calls of the forecasts (submitted or acknowledged) whose windows
 * overlap [from, to), other than skip_id. -1 on error. */
static int64_t forecast_load(store_tx_t *tx, int64_t from, int64_t to, const char *skip_id)
{
	static const char *const live[] = { "submitted", "acknowledged" };
	int64_t sum = 0;
	for (size_t k = 0; k < 2; k++) {
		json_t *rows = store_request_overlapping(tx, "forecast", live[k], from, to);
		if (!rows)
			return -1;
		size_t i;
		json_t *r;
		json_array_foreach(rows, i, r) {
			if (skip_id && strcmp(rec_str(r, "id"), skip_id) == 0)
				continue;
			json_t *f = json_loads(rec_str(r, "fields"), 0, NULL);
			sum += json_integer_value(json_object_get(f, "peak_calls"));
			json_decref(f);
		}
		json_decref(rows);
	}
	return sum;
}

static int forecast_fields(dom_ctx_t *c, const json_t *body, json_t *f, int64_t now, dom_err_t *e)
{
	static const char *const allowed[] = { "starts_at", "ends_at", "pages_per_day", "peak_calls",
		"note", NULL };
	if (body_only(body, allowed, e) != 0 ||
	    take_window(body, f, FORECAST_WINDOW_DAYS, now, e) != 0 ||
	    take_text(body, "note", false, REQUEST_TEXT_MAX, f, e) != 0)
		return -1;
	const json_t *pages = json_object_get(body, "pages_per_day"), *peak = json_object_get(body,
		"peak_calls");
	if (!json_is_integer(pages) || json_integer_value(pages) < 0 ||
	    json_integer_value(pages) > 100000000)
		return dom_fail(e, "validation-failed", "pages_per_day",
			"\"pages_per_day\" must be a whole number from 0 to 100000000");
	if (!json_is_integer(peak) || json_integer_value(peak) < 1 || json_integer_value(peak) > 100000)
		return dom_fail(e, "validation-failed", "peak_calls",
			"\"peak_calls\" must be a whole number from 1 to 100000");
	json_object_set(f, "pages_per_day", (json_t *)pages);
	json_object_set(f, "peak_calls", (json_t *)peak);
	/* The capacity view at filing time: this forecast with the others it
	 * overlaps, against the active trunks' ceilings. */
	int64_t cap = trunk_capacity(c->tx, NULL);
	int64_t from = json_integer_value(json_object_get(f, "starts_at_ms"));
	int64_t to = json_integer_value(json_object_get(f, "ends_at_ms"));
	int64_t others = forecast_load(c->tx, from, to, NULL);
	if (cap < 0 || others < 0)
		return dom_fail(e, "internal", "", "the capacity could not be read");
	int64_t load = others + json_integer_value(peak);
	json_object_set_new(f, "capacity", json_pack("{s:o, s:I, s:b}", "calls",
		cap > 0 ? json_integer(cap) : json_null(), "forecast_calls", (json_int_t)load,
		"exceeded", cap > 0 && load > cap));
	return 0;
}

/* ---- records to JSON ---- */

static json_t *event_json(const json_t *ev)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "status", rec_str(ev, "status"), "message",
		rec_str(ev, "message"), "by", rec_str(ev, "created_by"), "at",
		time_json(json_object_get(ev, "created_at")));
}

/* A request with its fields (the internal *_ms copies removed) and its
 * timeline (new reference). */
static json_t *request_json(store_tx_t *tx, const json_t *r)
{
	json_t *f = json_loads(rec_str(r, "fields"), 0, NULL);
	if (!json_is_object(f)) {
		json_decref(f);
		f = json_object();
	}
	json_object_del(f, "starts_at_ms");
	json_object_del(f, "ends_at_ms");
	json_object_del(f, "occurred_at_ms");
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", rec_str(r, "id"),
		"account_id", rec_str(r, "account_id"), "kind", rec_str(r, "kind"), "status",
		rec_str(r, "status"), "created_by", rec_str(r, "created_by"), "created_at",
		time_json(json_object_get(r, "created_at")), "updated_at",
		time_json(json_object_get(r, "updated_at")), "closed_at",
		time_json(json_object_get(r, "closed_at")));
	json_object_update(o, f);
	json_decref(f);
	json_t *evs = store_request_events(tx, rec_str(r, "id"));
	json_t *tl = json_array();
	size_t i;
	json_t *ev;
	json_array_foreach(evs, i, ev)
		json_array_append_new(tl, event_json(ev));
	json_decref(evs);
	json_object_set_new(o, "timeline", tl);
	return o;
}

static int event_add(dom_ctx_t *c, const char *request_id, const char *status, const char *msg,
	int64_t now)
{
	char *id = sec_new_id("rqe");
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "request_id", request_id,
		"status", status, "message", msg ? msg : "", "created_by", dom_actor_id(c), "created_at",
		(json_int_t)now);
	int rc = store_request_event_insert(c->tx, ev);
	json_decref(ev);
	free(id);
	return rc;
}

/* ---- the account's side ---- */

int dom_request_create(dom_ctx_t *c, const json_t *account, const char *kind,
	const json_t *body, json_t **out, dom_err_t *e)
{
	const struct kind_info *k = kind_of(kind);
	if (!k)
		return dom_fail(e, "not-found", "", "no such kind of request");
	int64_t now = time_now_ms();
	json_t *f = json_object();
	int rc = strcmp(kind, "fraud") == 0 ? fraud_fields(body, f, e)
		: strcmp(kind, "pentest") == 0 ? pentest_fields(body, f, now, e)
		: forecast_fields(c, body, f, now, e);
	if (rc != 0) {
		json_decref(f);
		return -1;
	}
	char *fields = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(f);
	char *id = sec_new_id("rq");
	const char *acct = rec_str(account, "id");
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "account_id", acct,
		"kind", kind, "status", k->first, "fields", fields, "created_by", requester(c),
		"created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	free(fields);
	char action[48];
	snprintf(action, sizeof action, "%s.create", k->action);
	json_t *detail = json_pack("{s:s}", "kind", kind);
	if (store_request_insert(c->tx, r) != STORE_OK || event_add(c, id, k->first, "", now) != STORE_OK ||
	    dom_audit(c, action, id, acct, "success", detail) != STORE_OK)
		rc = dom_fail(e, "internal", "", "the request could not be recorded");
	json_decref(detail);
	if (rc == 0)
		*out = request_json(c->tx, r);
	json_decref(r);
	free(id);
	return rc;
}

/* Whether the caller sees every request of kind in the account, or only
 * the reports they filed (members without security.manage, for fraud). */
static bool sees_all(const dom_ctx_t *c, const char *kind)
{
	if (!c->who || strcmp(kind, "fraud") != 0)
		return true;
	authz_resource_t r = { .kind = AUTHZ_RES_REPORT };
	return authz_resource(c->who, AUTHZ_READ_ALL, &r, NULL) == AUTHZ_ALLOW;
}

static char *read_action(const char *kind, const char *what)
{
	const struct kind_info *k = kind_of(kind);
	return xasprintf("%s.%s", k ? k->action : "request", what);
}

int dom_request_list(dom_ctx_t *c, const json_t *account, const char *kind, const char *cursor,
	int limit, json_t **out, dom_err_t *e)
{
	const char *acct = rec_str(account, "id");
	store_page_t pg;
	if (store_request_page(c->tx, acct, kind, NULL, sees_all(c, kind) ? NULL : requester(c), cursor,
		    limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the requests could not be read");
	json_t *items = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(pg.items, i, r)
		json_array_append_new(items, request_json(c->tx, r));
	json_decref(pg.items);
	*out = json_pack("{s:o, s:o}", "items", items, "next_cursor",
		pg.next_cursor ? json_string(pg.next_cursor) : json_null());
	free(pg.next_cursor);
	char *action = read_action(kind, "list");
	int rc = dom_read_audited(c, action, acct, acct, out, e);
	free(action);
	return rc;
}

/* The request id of the account and kind, readable by the caller; NULL
 * with e set (404) otherwise. */
static json_t *request_load(dom_ctx_t *c, const char *account_id, const char *kind, const char *id,
	dom_err_t *e)
{
	json_t *r = store_request_get(c->tx, id, account_id);
	if (r && (strcmp(rec_str(r, "kind"), kind) == 0) &&
	    (sees_all(c, kind) || strcmp(rec_str(r, "created_by"), requester(c)) == 0))
		return r;
	json_decref(r);
	dom_fail(e, "not-found", "", "no such request");
	return NULL;
}

int dom_request_get(dom_ctx_t *c, const json_t *account, const char *kind, const char *id,
	json_t **out, dom_err_t *e)
{
	const char *acct = rec_str(account, "id");
	json_t *r = request_load(c, acct, kind, id, e);
	if (!r)
		return -1;
	*out = request_json(c->tx, r);
	json_decref(r);
	char *action = read_action(kind, "read");
	int rc = dom_read_audited(c, action, id, acct, out, e);
	free(action);
	return rc;
}

/* ---- the provider's side ---- */

int dom_request_queue(dom_ctx_t *c, const char *kind, const char *status, const char *cursor,
	int limit, json_t **out, dom_err_t *e)
{
	if (kind && *kind && !kind_of(kind))
		return dom_fail(e, "validation-failed", "kind", "kind is fraud, pentest or forecast");
	store_page_t pg;
	if (store_request_page(c->tx, NULL, kind && *kind ? kind : NULL,
		    status && *status ? status : NULL, NULL, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the requests could not be read");
	json_t *items = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(pg.items, i, r)
		json_array_append_new(items, request_json(c->tx, r));
	json_decref(pg.items);
	*out = json_pack("{s:o, s:o}", "items", items, "next_cursor",
		pg.next_cursor ? json_string(pg.next_cursor) : json_null());
	free(pg.next_cursor);
	json_t *filter = json_pack("{s:s?, s:s?}", "kind", kind && *kind ? kind : NULL, "status",
		status && *status ? status : NULL);
	int rc = dom_read_audited_filter(c, "request.queue", "requests", NULL, filter, out, e);
	json_decref(filter);
	return rc;
}

int dom_request_staff_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *r = store_request_get(c->tx, id, NULL);
	if (!r)
		return dom_fail(e, "not-found", "", "no such request");
	*out = request_json(c->tx, r);
	char *action = read_action(rec_str(r, "kind"), "read");
	int rc = dom_read_audited(c, action, id, rec_str(r, "account_id"), out, e);
	free(action);
	json_decref(r);
	return rc;
}

/* The account's notification of an answer, in both languages. */
static int answer_notify(dom_ctx_t *c, const struct kind_info *k, const json_t *r,
	const char *status, const char *msg)
{
	const char *id = rec_str(r, "id");
	char *subj_en = xasprintf("%s %s: %s", k->en, id, status);
	char *subj_fr = xasprintf("%s %s : %s", k->fr, id, status);
	char *body_en = xasprintf("The provider set your %s %s to \"%s\".%s%s", k->noun_en, id,
		status, *msg ? " Message: " : "", msg);
	char *body_fr = xasprintf("Le fournisseur a passé votre %s %s à l'état « %s ».%s%s",
		k->noun_fr, id, status, *msg ? " Message : " : "", msg);
	int rc = dom_notify(c, rec_str(r, "account_id"), "provider_request.status", id, subj_en,
		subj_fr, body_en, body_fr);
	free(subj_en);
	free(subj_fr);
	free(body_en);
	free(body_fr);
	/* The person who filed it is mailed each answer, in their language
	 * (C17); a report of the automatic detection has no such person. */
	json_t *who = rc == STORE_OK ? store_principal_get(c->tx, rec_str(r, "created_by")) : NULL;
	if (who && strcmp(rec_str(who, "status"), "active") == 0) {
		char *m_en = *msg ? xasprintf("Message: %s", msg) : xstrdup("");
		char *m_fr = *msg ? xasprintf("Message : %s", msg) : xstrdup("");
		json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
			rec_str(who, "name"), "request_id", id, "status", status, "what_en", k->en, "what_fr",
			k->fr, "noun_en", k->noun_en, "noun_fr", k->noun_fr, "message_en", m_en, "message_fr",
			m_fr);
		if (dom_mail_queue(c, MAIL_KIND_REQUEST_ANSWER, who, NULL, params, NULL) != 0)
			rc = STORE_ERROR;
		json_decref(params);
		free(m_en);
		free(m_fr);
	}
	json_decref(who);
	return rc;
}

int dom_request_answer(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "status", "message", NULL };
	const char *status, *msg;
	if (body_only(body, allowed, e) != 0 || body_str(body, "status", true, &status, e) != 0 ||
	    body_text(body, false, "message", REQUEST_TEXT_MAX, &msg, e) != 0)
		return -1;
	json_t *r = store_request_get(c->tx, id, NULL);
	if (!r)
		return dom_fail(e, "not-found", "", "no such request");
	const struct kind_info *k = kind_of(rec_str(r, "kind"));
	const struct step *s = k ? step_of(k, rec_str(r, "status"), status) : NULL;
	int rc = 0;
	int64_t now = time_now_ms();
	if (!s)
		rc = dom_fail(e, "invalid-state", "status", "a %s that is %s cannot become %s",
			rec_str(r, "kind"), rec_str(r, "status"), status);
	else if (s->needs_message && !msg)
		rc = dom_fail(e, "validation-failed", "message", "say why in \"message\"");
	if (rc == 0 && strcmp(status, "approved") == 0) {
		json_t *f = json_loads(rec_str(r, "fields"), 0, NULL);
		if (json_integer_value(json_object_get(f, "ends_at_ms")) <= now)
			rc = dom_fail(e, "invalid-state", "status", "the window of this request has ended");
		json_decref(f);
	}
	if (rc == 0) {
		char action[48];
		snprintf(action, sizeof action, "%s.answer", k->action);
		json_t *detail = json_pack("{s:s, s:s}", "from", rec_str(r, "status"), "to", status);
		if (store_request_set_status(c->tx, id, status, now, s->closes ? now : 0) != STORE_OK ||
		    event_add(c, id, status, msg, now) != STORE_OK ||
		    answer_notify(c, k, r, status, msg ? msg : "") != STORE_OK ||
		    dom_audit(c, action, id, rec_str(r, "account_id"), "success", detail) != STORE_OK)
			rc = dom_fail(e, "internal", "", "the answer could not be recorded");
		json_decref(detail);
	}
	json_decref(r);
	if (rc != 0)
		return rc;
	r = store_request_get(c->tx, id, NULL);
	*out = r ? request_json(c->tx, r) : json_object();
	json_decref(r);
	return 0;
}

/* Queued faxes the capacity view reads at most, grouped by account,
 * destination and class (queue_truncated past it). */
#define CAPACITY_QUEUE_ROWS 5000

static json_t *queue_zero(void)
{
	return json_pack("{s:i, s:i, s:i}", "queued", 0, "scheduled", 0, "retrying", 0);
}

/* Adds n to the integer member key of o. */
static void count_add(json_t *o, const char *key, json_int_t n)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + n));
}

/* The row of account id in accs (made on first use: its name, no calls, its
 * ceiling, an empty queue); borrowed. */
static json_t *account_row(dom_ctx_t *c, json_t *accs, const char *id, int max_calls)
{
	json_t *a = json_object_get(accs, id);
	if (a)
		return a;
	json_t *acc = store_account_get(c->tx, id, NULL);
	a = json_pack("{s:s, s:s, s:i, s:i, s:i, s:o}", "id", id, "name", acc ? rec_str(acc, "name") : "",
		"calls", 0, "inbound_calls", 0, "max_calls", max_calls, "queue", queue_zero());
	json_decref(acc);
	json_object_set_new(accs, id, a);
	return a;
}

/* The trunk a queued fax to `to` would take first (dom_trunks_for), cached
 * in routes: its id, or "" when none can reach it. Borrowed. */
static const char *route_of(dom_ctx_t *c, json_t *routes, const char *to)
{
	json_t *r = json_object_get(routes, to);
	if (!r) {
		json_t *cands = c->cfg->fax ? dom_trunks_for(c->tx, c->cfg->fax, to) : NULL;
		r = json_string(rec_str(json_array_get(cands, 0), "id"));
		json_decref(cands);
		json_object_set_new(routes, to, r);
	}
	return json_string_value(r);
}

static pthread_mutex_t inbound_mu = PTHREAD_MUTEX_INITIALIZER;
static dom_inbound_calls_fn *inbound_fn;
static void *inbound_ud;

void dom_capacity_set_inbound(dom_inbound_calls_fn *fn, void *ud)
{
	pthread_mutex_lock(&inbound_mu);
	inbound_fn = fn;
	inbound_ud = ud;
	pthread_mutex_unlock(&inbound_mu);
}

/* Adds this node's inbound calls in progress (inbound_calls) to the trunk
 * rows of byt, to the account rows (made as needed) and to the totals. */
static void capacity_inbound(dom_ctx_t *c, json_t *byt, json_t *accs, int acc_max, json_t *tot)
{
	json_t *bt = NULL, *ba = NULL;
	pthread_mutex_lock(&inbound_mu);
	if (inbound_fn)
		inbound_fn(inbound_ud, &bt, &ba);
	pthread_mutex_unlock(&inbound_mu);
	const char *id;
	json_t *n;
	json_object_foreach(bt, id, n) {
		json_t *t = json_object_get(byt, id);
		if (t)
			count_add(t, "inbound_calls", json_integer_value(n));
		count_add(tot, "inbound_calls", json_integer_value(n));
	}
	json_object_foreach(ba, id, n)
		count_add(account_row(c, accs, id, acc_max), "inbound_calls", json_integer_value(n));
	json_decref(bt);
	json_decref(ba);
}

/* Live calls and queue depth (P05): sets calls and queue on each trunk row
 * of trunks, and answers the accounts with calls or queued faxes (new
 * array), the totals and whether the queue was cut. 0 / -1. */
static int capacity_load(dom_ctx_t *c, json_t *trunks, int64_t now, json_t **accounts,
	json_t **totals)
{
	json_t *live = store_fax_live_calls(c->tx);
	json_t *queue = live ? store_fax_queue_groups(c->tx, now, CAPACITY_QUEUE_ROWS + 1) : NULL;
	if (!queue) {
		json_decref(live);
		return -1;
	}
	const fax_env_t *env = c->cfg->fax;
	int acc_max = env && env->account_max_calls > 0 ? env->account_max_calls : FAX_ACCOUNT_MAX_CALLS;
	json_t *byt = json_object(), *accs = json_object(), *routes = json_object();
	json_t *tot = json_pack("{s:i, s:i, s:o, s:i, s:b}", "calls", 0, "inbound_calls", 0, "queue",
		queue_zero(), "unrouted", 0, "queue_truncated", json_array_size(queue) > CAPACITY_QUEUE_ROWS);
	size_t i;
	json_t *r;
	json_array_foreach(trunks, i, r) {
		json_object_set_new(r, "calls", json_integer(0));
		json_object_set_new(r, "inbound_calls", json_integer(0));
		json_object_set_new(r, "queue", queue_zero());
		json_object_set(byt, rec_str(r, "id"), r);
	}
	json_array_foreach(live, i, r) {
		json_int_t n = json_integer_value(json_object_get(r, "n"));
		count_add(account_row(c, accs, rec_str(r, "account_id"), acc_max), "calls", n);
		json_t *t = json_object_get(byt, rec_str(r, "trunk_id"));
		if (t)
			count_add(t, "calls", n);
		count_add(tot, "calls", n);
	}
	json_array_foreach(queue, i, r) {
		if (i == CAPACITY_QUEUE_ROWS)
			break;
		json_int_t n = json_integer_value(json_object_get(r, "n"));
		const char *cls = rec_str(r, "qclass");
		json_t *a = account_row(c, accs, rec_str(r, "account_id"), acc_max);
		count_add(json_object_get(a, "queue"), cls, n);
		count_add(json_object_get(tot, "queue"), cls, n);
		json_t *t = json_object_get(byt, route_of(c, routes, rec_str(r, "to_number")));
		if (t)
			count_add(json_object_get(t, "queue"), cls, n);
		else
			count_add(tot, "unrouted", n);
	}
	capacity_inbound(c, byt, accs, acc_max, tot);
	json_t *arr = json_array();
	const char *k;
	json_t *a;
	json_object_foreach(accs, k, a) {
		json_int_t calls = json_integer_value(json_object_get(a, "calls"));
		json_object_set_new(a, "at_limit", json_boolean(calls >= acc_max));
		json_array_append(arr, a);
	}
	json_array_foreach(trunks, i, r) {
		const json_t *m = json_object_get(r, "max_calls");
		json_object_set_new(r, "at_limit", json_boolean(json_is_integer(m) &&
			json_integer_value(json_object_get(r, "calls")) >= json_integer_value(m)));
	}
	json_decref(byt);
	json_decref(accs);
	json_decref(routes);
	json_decref(live);
	json_decref(queue);
	*accounts = arr;
	*totals = tot;
	return 0;
}

int dom_capacity(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	json_t *trunks = NULL;
	int64_t cap = trunk_capacity(c->tx, &trunks);
	if (cap < 0)
		return dom_fail(e, "internal", "", "the capacity could not be read");
	int64_t now = time_now_ms();
	store_page_t pg;
	if (store_request_page(c->tx, NULL, "forecast", NULL, NULL, NULL, 200, &pg) != STORE_OK) {
		json_decref(trunks);
		return dom_fail(e, "internal", "", "the capacity could not be read");
	}
	json_t *fc = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(pg.items, i, r) {
		const char *st = rec_str(r, "status");
		json_t *f = json_loads(rec_str(r, "fields"), 0, NULL);
		int64_t from = json_integer_value(json_object_get(f, "starts_at_ms"));
		int64_t to = json_integer_value(json_object_get(f, "ends_at_ms"));
		json_decref(f);
		if (to <= now || (strcmp(st, "submitted") != 0 && strcmp(st, "acknowledged") != 0))
			continue;
		int64_t load = forecast_load(c->tx, from, to, NULL);
		json_t *o = request_json(c->tx, r);
		json_object_set_new(o, "overlapping_calls", json_integer(load));
		json_object_set_new(o, "exceeds_capacity", json_boolean(cap > 0 && load > cap));
		json_array_append_new(fc, o);
	}
	json_decref(pg.items);
	free(pg.next_cursor);
	json_t *accounts = NULL, *totals = NULL;
	if (capacity_load(c, trunks, now, &accounts, &totals) != 0) {
		json_decref(trunks);
		json_decref(fc);
		return dom_fail(e, "internal", "", "the capacity could not be read");
	}
	*out = json_pack("{s:o, s:o, s:o, s:o}", "trunks", trunks, "capacity_calls",
		cap > 0 ? json_integer(cap) : json_null(), "forecasts", fc, "accounts", accounts);
	json_object_update(*out, totals);
	json_decref(totals);
	return dom_read_audited(c, "request.capacity.read", "capacity", NULL, out, e);
}
