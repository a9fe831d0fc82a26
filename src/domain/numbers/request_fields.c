/* The fields of each kind of request (fraud, pentest, forecast), checked
 * and put in the form requests.c stores (rq_fields, numbers_int.h). */
#include "numbers_int.h"

#include <string.h>

#include "cidr.h"
#include "dom_util.h"
#include "timeutil.h"
#include "validate.h"

#define DAY_MS 86400000LL

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
	int64_t cap = rq_trunk_capacity(c->tx, NULL);
	int64_t from = json_integer_value(json_object_get(f, "starts_at_ms"));
	int64_t to = json_integer_value(json_object_get(f, "ends_at_ms"));
	int64_t others = rq_forecast_load(c->tx, from, to, NULL);
	if (cap < 0 || others < 0)
		return dom_fail(e, "internal", "", "the capacity could not be read");
	int64_t load = others + json_integer_value(peak);
	json_object_set_new(f, "capacity", json_pack("{s:o, s:I, s:b}", "calls",
		cap > 0 ? json_integer(cap) : json_null(), "forecast_calls", (json_int_t)load,
		"exceeded", cap > 0 && load > cap));
	return 0;
}

int rq_fields(dom_ctx_t *c, const char *kind, const json_t *body, json_t *f, int64_t now,
	dom_err_t *e)
{
	return strcmp(kind, "fraud") == 0 ? fraud_fields(body, f, e)
		: strcmp(kind, "pentest") == 0 ? pentest_fields(body, f, now, e)
		: forecast_fields(c, body, f, now, e);
}
