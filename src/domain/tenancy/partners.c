/* Partner self-service: the partner's view of its accounts (see partners.h). */
#include "tenancy.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dom_util.h"
#include "numbers/numbers.h"
#include "fax/fax.h"
#include "store_billing.h"
#include "store_partners.h"
#include "timeutil.h"
#include "validate.h"

/* The first instant of the UTC month of ms. */
static int64_t month_start(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (int64_t)timegm(&tm) * 1000;
}

static int query_time(const json_t *q, const char *key, int64_t *out, dom_err_t *e)
{
	const char *s = json_string_value(json_object_get(q, key));
	if (s && time_parse_rfc3339(s, out) != 0)
		return dom_fail(e, "invalid-parameter", key, "%s must be an RFC 3339 time", key);
	return 0;
}

int dom_partner_window(const json_t *query, int64_t now, int64_t *since, int64_t *until,
	dom_err_t *e)
{
	*until = now;
	*since = month_start(now);
	if (query_time(query, "since", since, e) || query_time(query, "until", until, e))
		return -1;
	/* Up to now, by default: at a month's first millisecond the month so
	 * far is empty, which is no error (nothing of it has been used yet).
	 * A window the caller bounds must hold something. */
	bool until_given = json_object_get(query, "until") != NULL;
	if (*since > *until || (*since == *until && until_given))
		return dom_fail(e, "invalid-parameter", "since", "since must be before until");
	return 0;
}

/* The summary of one account (a page row) over [since, until), or NULL. */
static json_t *summary_of(dom_ctx_t *c, const json_t *a, int64_t since, int64_t until)
{
	const char *id = rec_str(a, "id");
	json_t *usage = store_cdr_totals(c->tx, id, since, until);
	int pass, fail, na;
	if (!usage || dom_posture_summary(c, a, &pass, &fail, &na) != 0) {
		json_decref(usage);
		return NULL;
	}
	const char *cur = rec_str(a, "currency");
	json_object_set_new(usage, "currency", json_string(*cur ? cur
		: fax_env_currency(c->cfg ? c->cfg->fax : NULL)));
	json_t *plan = store_plan_get(c->tx, id);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:{s:i, s:i, s:i}}", "id", id,
		"name", rec_str(a, "name"), "status", rec_str(a, "status"), "regulatory_profile",
		rec_str(a, "regulatory_profile"), "created_at", time_json(json_object_get(a, "created_at")),
		"plan", plan ? json_pack("{s:s, s:O}", "kind", rec_str(plan, "kind"), "included_pages",
			json_object_get(plan, "included_pages")) : json_null(),
		"usage", usage, "posture", "pass", pass, "fail", fail, "not_applicable", na);
	json_decref(plan);
	return o;
}

/* Partner staff reach their own partner only; another does not exist. */
static bool partner_reachable(const dom_ctx_t *c, const char *partner_id)
{
	authz_resource_t r = { .kind = AUTHZ_RES_PARTNER, .partner_id = partner_id };
	return authz_resource(c->who, AUTHZ_READ, &r, NULL) == AUTHZ_ALLOW;
}

int dom_partner_accounts(dom_ctx_t *c, const char *partner_id, const json_t *query,
	const char *cursor, int limit, json_t **out, dom_err_t *e)
{
	*out = NULL;
	/* Partner staff see their own partner only; another does not exist. */
	if (!partner_reachable(c, partner_id))
		return dom_fail(e, "not-found", "", "no such partner");
	json_t *prt = store_partner_get(c->tx, partner_id);
	json_decref(prt);
	if (!prt)
		return dom_fail(e, "not-found", "", "no such partner");
	int64_t since, until;
	if (dom_partner_window(query, time_now_ms(), &since, &until, e) != 0)
		return -1;
	store_page_t pg;
	if (store_account_list(c->tx, partner_id, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "accounts could not be read");
	json_t *items = json_array();
	int rc = 0;
	size_t i;
	json_t *a;
	json_array_foreach(pg.items, i, a) {
		json_t *s = summary_of(c, a, since, until);
		/* The summary is a read of the account: its own log shows it. */
		if (!s || dom_audit(c, "partner.account_summary.read", rec_str(a, "id"), rec_str(a, "id"),
			    "success", NULL) != 0) {
			json_decref(s);
			rc = -1;
			break;
		}
		json_array_append_new(items, s);
	}
	json_t *next = pg.next_cursor ? json_string(pg.next_cursor) : json_null();
	store_page_free(&pg);
	if (rc != 0) {
		json_decref(items);
		json_decref(next);
		return dom_fail(e, "internal", "", "the accounts' summaries could not be read");
	}
	char b1[40], b2[40];
	*out = json_pack("{s:o, s:o, s:s, s:s}", "items", items, "next_cursor", next, "since",
		time_format_rfc3339(since, b1, sizeof b1), "until", time_format_rfc3339(until, b2, sizeof b2));
	json_t *d = json_pack("{s:I}", "accounts", (json_int_t)json_array_size(items));
	rc = dom_audit(c, "partner.accounts.read", partner_id, NULL, "success", d);
	json_decref(d);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the read could not be recorded");
	}
	return 0;
}

/* ---- the provider's limits (R01) and the white label ---- */

static const char *const FEATURES[] = { "safebox", "fax_by_email", "scim", NULL };
static const char *const PLANS[] = { "prepaid", "postpaid", NULL };

/* Whether w is a word of the space-separated list. */
static bool word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *s = list; s && *s;) {
		while (*s == ' ')
			s++;
		size_t k = strcspn(s, " ");
		if (k && k == n && memcmp(s, w, n) == 0)
			return true;
		s += k;
	}
	return false;
}

static bool in_table(const char *const *t, const char *w)
{
	for (int i = 0; t[i]; i++)
		if (strcmp(t[i], w) == 0)
			return true;
	return false;
}

static bool is_feature(const char *w)
{
	return in_table(FEATURES, w);
}

static bool is_plan(const char *w)
{
	return in_table(PLANS, w);
}

static bool is_country(const char *w)
{
	return strlen(w) == 2 && e164_country_by_iso(w) != NULL;
}

/* A space-separated list as an array, or null (new reference). */
static json_t *words_json(const json_t *v)
{
	if (!json_is_string(v))
		return json_null();
	json_t *a = json_array();
	for (const char *s = json_string_value(v); *s;) {
		while (*s == ' ')
			s++;
		size_t k = strcspn(s, " ");
		if (k)
			json_array_append_new(a, json_stringn(s, k));
		s += k;
	}
	return a;
}

/* One limit of body, checked, into upd (see dom_partner_limits_parse). */
static int body_words(const json_t *body, const char *key, json_t *upd, dom_err_t *e)
{
	const json_t *v = json_object_get(body, key);
	if (!v)
		return 0;
	if (json_is_null(v)) {
		json_object_set_new(upd, key, json_null());
		return 0;
	}
	bool (*ok)(const char *) = strcmp(key, "allowed_countries") == 0 ? is_country
		: strcmp(key, "allowed_plans") == 0 ? is_plan : is_feature;
	if (!json_is_array(v) || json_array_size(v) > 300)
		goto bad;
	buf_t b;
	buf_init(&b, 4096);
	size_t i;
	const json_t *w;
	json_array_foreach(v, i, w) {
		if (!json_is_string(w) || !ok(json_string_value(w))) {
			buf_free(&b);
			goto bad;
		}
		if (!word_in(b.data, json_string_value(w)))
			buf_printf(&b, "%s%s", b.len ? " " : "", json_string_value(w));
	}
	json_object_set_new(upd, key, json_string(b.data ? b.data : ""));
	buf_free(&b);
	return 0;
bad:
	if (ok == is_country)
		return dom_fail(e, "validation-failed", key,
			"allowed_countries must be null or a list of ISO 3166 alpha-2 codes of countries we serve");
	if (ok == is_plan)
		return dom_fail(e, "validation-failed", key,
			"allowed_plans must be null or a list of plan kinds (prepaid, postpaid)");
	return dom_fail(e, "validation-failed", key,
		"features must be null or a list of safebox, fax_by_email, scim");
}

int dom_partner_limits_parse(const json_t *body, json_t *upd, dom_err_t *e)
{
	return body_words(body, "allowed_countries", upd, e) || body_words(body, "allowed_plans", upd, e) ||
		body_words(body, "features", upd, e) ? -1 : 0;
}

json_t *dom_partner_limits_json(const json_t *partner)
{
	return json_pack("{s:o, s:o, s:o}", "allowed_countries",
		words_json(json_object_get(partner, "allowed_countries")), "allowed_plans",
		words_json(json_object_get(partner, "allowed_plans")), "features",
		words_json(json_object_get(partner, "features")));
}

int dom_partner_allows(dom_ctx_t *c, const char *account_id, const char *limit, const char *value,
	const char *field, dom_err_t *e)
{
	json_t *a = store_account_get(c->tx, account_id, NULL);
	const char *pid = a ? rec_str(a, "partner_id") : "";
	json_t *p = *pid ? store_partner_get(c->tx, pid) : NULL;
	json_decref(a);
	const char *col = strcmp(limit, "country") == 0 ? "allowed_countries"
		: strcmp(limit, "plan") == 0 ? "allowed_plans" : "features";
	const json_t *v = p ? json_object_get(p, col) : NULL;
	bool ok = !json_is_string(v) || word_in(json_string_value(v), value);
	json_decref(p);
	if (ok)
		return 0;
	if (strcmp(limit, "country") == 0)
		return dom_fail(e, "validation-failed", field, "the account's partner does not offer numbers in %s",
			value);
	if (strcmp(limit, "plan") == 0)
		return dom_fail(e, "validation-failed", field, "the account's partner does not offer the %s plan",
			value);
	return dom_fail(e, "forbidden", field, "the account's partner does not offer %s", value);
}

json_t *dom_white_label_of(store_tx_t *tx, const char *partner_id)
{
	json_t *p = partner_id && *partner_id ? store_partner_get(tx, partner_id) : NULL;
	if (!p || !json_is_string(json_object_get(p, "display_name"))) {
		json_decref(p);
		return json_null();
	}
	json_t *o = json_object();
	static const char *const keys[] = { "display_name", "support_email", "support_phone", "logo_url",
		NULL };
	for (int i = 0; keys[i]; i++) {
		const json_t *v = json_object_get(p, keys[i]);
		json_object_set_new(o, keys[i], json_is_string(v) ? json_copy((json_t *)v) : json_null());
	}
	json_decref(p);
	/* The uploaded logo, at faxvault's own origin (its time in the address,
	 * so that a new one is not taken from a cache). */
	json_t *lg = store_partner_logo_get(tx, partner_id);
	char url[96];
	if (lg)
		snprintf(url, sizeof url, "/v1/me/white-label/logo?v=%lld",
			(long long)json_integer_value(json_object_get(lg, "updated_at")));
	json_object_set_new(o, "logo", lg ? json_string(url) : json_null());
	json_decref(lg);
	return o;
}

/* The partner as the caller may change its white label: partner staff
 * their own only (another is not found). */
static int white_label_partner(dom_ctx_t *c, const char *partner_id, dom_err_t *e)
{
	if (!partner_reachable(c, partner_id))
		return dom_fail(e, "not-found", "", "no such partner");
	json_t *p = store_partner_get(c->tx, partner_id);
	json_decref(p);
	return p ? 0 : dom_fail(e, "not-found", "", "no such partner");
}

int dom_partner_logo_put(dom_ctx_t *c, const char *partner_id, const void *data, size_t len,
	json_t **out, dom_err_t *e)
{
	if (white_label_partner(c, partner_id, e) != 0)
		return -1;
	if (!data || len == 0)
		return dom_fail(e, "validation-failed", "logo", "send the logo as the part \"logo\"");
	if (len > LOGO_BYTES_MAX)
		return dom_fail(e, "payload-too-large", "logo", "the logo may weigh at most %d KiB",
			LOGO_BYTES_MAX / 1024);
	int w, h;
	const char *type = logo_sniff(data, len, &w, &h);
	if (!type)
		return dom_fail(e, "document-unsupported", "logo",
			"the logo must be a PNG or JPEG image of at most %d by %d pixels", LOGO_DIM_MAX,
			LOGO_DIM_MAX);
	if (dom_av_check(c, "", "logo", data, len, e) != 0)
		return -1;
	size_t blen = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(blen);
	if (!b64)
		return dom_fail(e, "internal", "", "the logo could not be stored");
	sodium_bin2base64(b64, blen, data, len, sodium_base64_VARIANT_ORIGINAL);
	int rc = store_partner_logo_put(c->tx, partner_id, type, w, h, b64, time_now_ms());
	free(b64);
	json_t *detail = json_pack("{s:s, s:I, s:i, s:i}", "content_type", type, "bytes",
		(json_int_t)len, "width", w, "height", h);
	if (rc == STORE_OK)
		rc = dom_audit(c, "partner.white_label.logo.update", partner_id, NULL, "success", detail);
	json_decref(detail);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the logo could not be stored");
	return dom_partner_get(c, partner_id, out, e);
}

int dom_partner_logo_delete(dom_ctx_t *c, const char *partner_id, dom_err_t *e)
{
	if (white_label_partner(c, partner_id, e) != 0)
		return -1;
	int rc = store_partner_logo_delete(c->tx, partner_id);
	if (rc == STORE_NOTFOUND)
		return dom_fail(e, "not-found", "", "the partner has no logo");
	if (rc != STORE_OK || dom_audit(c, "partner.white_label.logo.delete", partner_id, NULL,
				      "success", NULL) != 0)
		return dom_fail(e, "internal", "", "the logo could not be removed");
	return 0;
}

int dom_my_logo(dom_ctx_t *c, unsigned char **data, size_t *len, const char **ctype,
	dom_err_t *e)
{
	json_t *acc = c->who->account_id[0] ? store_account_get(c->tx, c->who->account_id, NULL)
		: NULL;
	const char *pid = acc ? rec_str(acc, "partner_id") : c->who->partner_id;
	json_t *wl = pid && *pid ? dom_white_label_of(c->tx, pid) : NULL;
	json_t *lg = json_is_object(wl) && json_is_string(json_object_get(wl, "logo"))
		? store_partner_logo_get(c->tx, pid) : NULL;
	json_decref(acc);
	json_decref(wl);
	if (!lg)
		return dom_fail(e, "not-found", "", "no logo");
	const char *b64 = rec_str(lg, "data");
	size_t max = strlen(b64) / 4 * 3 + 3;
	*data = malloc(max ? max : 1);
	int rc = *data ? sodium_base642bin(*data, max, b64, strlen(b64), NULL, len, NULL,
		sodium_base64_VARIANT_ORIGINAL) : -1;
	/* The stored type is one of two constants (read from the header when
	 * it was uploaded). */
	*ctype = strcmp(rec_str(lg, "content_type"), "image/png") == 0 ? "image/png" : "image/jpeg";
	json_decref(lg);
	if (rc != 0) {
		free(*data);
		*data = NULL;
		return dom_fail(e, "internal", "", "the logo could not be read");
	}
	return 0;
}

/* A support telephone number as people write it: 3 to 32 characters of
 * digits, spaces and + ( ) - . */
static bool phone_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 3 && n <= 32 && strspn(s, "0123456789 +()-.") == n && strpbrk(s, "0123456789");
}

/* An https URL the portal may show as an image: at most 512 printable
 * ASCII characters, none that could leave an attribute. */
static bool logo_ok(const char *s)
{
	size_t n = strlen(s);
	if (n <= 8 || n > 512 || strncmp(s, "https://", 8) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || strchr("\"'<>\\`", s[i]))
			return false;
	return true;
}

int dom_partner_white_label(dom_ctx_t *c, const char *partner_id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "display_name", "support_email", "support_phone",
		"logo_url", NULL };
	if (body_only(body, allowed, e))
		return -1;
	if (!partner_reachable(c, partner_id))
		return dom_fail(e, "not-found", "", "no such partner");
	json_t *upd = json_object();
	for (int i = 0; allowed[i]; i++) {
		const json_t *v = json_object_get(body, allowed[i]);
		if (v && json_is_null(v))
			json_object_set_new(upd, allowed[i], json_null());
	}
	const char *name = NULL, *phone = NULL, *logo = NULL;
	char email[EMAIL_MAX + 1];
	int rc = 0;
	if (json_is_string(json_object_get(body, "display_name")))
		rc = body_name(body, "display_name", true, &name, e);
	if (rc == 0 && json_is_string(json_object_get(body, "support_email")))
		rc = body_email(body, "support_email", email, e);
	if (rc == 0)
		rc = body_str(body, "support_phone", false, &phone, e);
	if (rc == 0 && phone && !phone_ok(phone))
		rc = dom_fail(e, "validation-failed", "support_phone",
			"support_phone must be 3 to 32 characters of digits, spaces and + ( ) - .");
	if (rc == 0)
		rc = body_str(body, "logo_url", false, &logo, e);
	if (rc == 0 && logo && !logo_ok(logo))
		rc = dom_fail(e, "validation-failed", "logo_url",
			"logo_url must be an https URL of at most 512 printable characters without quotes or angle brackets");
	if (rc != 0) {
		json_decref(upd);
		return -1;
	}
	if (name)
		json_object_set_new(upd, "display_name", json_string(name));
	if (json_is_string(json_object_get(body, "support_email")))
		json_object_set_new(upd, "support_email", json_string(email));
	if (phone)
		json_object_set_new(upd, "support_phone", json_string(phone));
	if (logo)
		json_object_set_new(upd, "logo_url", json_string(logo));
	json_t *p = store_partner_get(c->tx, partner_id);
	json_decref(p);
	if (!p) {
		json_decref(upd);
		return dom_fail(e, "not-found", "", "no such partner");
	}
	rc = json_object_size(upd) ? store_partner_update(c->tx, partner_id, upd) : STORE_OK;
	if (rc == STORE_OK)
		rc = dom_audit(c, "partner.white_label.update", partner_id, NULL, "success", upd);
	json_decref(upd);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the partner could not be updated");
	return dom_partner_get(c, partner_id, out, e);
}
