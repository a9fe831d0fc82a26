/* The number inventory and the numbers of an account (P12, C04a), the
 * routing answers about them (which account an inbound number belongs to,
 * which caller id an outbound fax shows), an account's notifications, and
 * the helpers the files of src/domain/numbers share (numbers_int.h).
 * Trunks are in trunks.c (the provider's API) and trunk_routing.c (what
 * the fax service asks of them); port-in requests in ports.c. */
#include "numbers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_util.h"
#include "numbers_int.h"
#include "tenancy/tenancy.h"
#include "sec.h"
#include "store_numbers.h"
#include "timeutil.h"

#define IMPORT_MAX 10000
#define AREA_MAX 6
#define QUARANTINE_DEFAULT_DAYS 30

/* ---- shared by the files of src/domain/numbers ---- */

const fax_env_t *nb_env_of(const dom_ctx_t *c)
{
	return c->cfg ? c->cfg->fax : NULL;
}

/* Audits a change whose store result is rc (detail is consumed): 0, or -1
 * with e when the store or the audit failed. */
int nb_audited(dom_ctx_t *c, int rc, const char *action, const char *target,
	const char *account_id, json_t *detail, dom_err_t *e)
{
	if (rc == STORE_OK)
		rc = dom_audit(c, action, target, account_id, "success", detail);
	json_decref(detail);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the change (%s) could not be stored", action);
}

int nb_one_of(const char *s, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

json_t *nb_time_or_null(const json_t *rec, const char *key)
{
	return time_json(json_object_get(rec, key));
}

/* A new inventory row for number on trunk_id. */
json_t *nb_inventory_row(const char *number, const char *trunk_id, int64_t now)
{
	const e164_country_t *cty = e164_country_of(number);
	return json_pack("{s:s, s:s, s:s, s:s, s:I}", "number", number, "trunk_id", trunk_id,
		"country", cty ? cty->iso : "", "status", "available", "created_at", (json_int_t)now);
}

/* ---- pure rules ---- */

size_t numbers_prefix_match(const json_t *prefixes, const char *to)
{
	size_t best = 0, i;
	const json_t *p;
	json_array_foreach(prefixes, i, p) {
		const char *s = json_string_value(p);
		size_t n = s ? strlen(s) : 0;
		if (n > best && strncmp(to, s, n) == 0)
			best = n;
	}
	return best;
}

int64_t numbers_quarantine_until(int64_t released_at, int days)
{
	return released_at + (int64_t)(days < 0 ? 0 : days) * 86400000;
}

int numbers_pickable(const char *status, int64_t quarantine_until, int64_t now)
{
	if (strcmp(status, "available") == 0)
		return 1;
	return strcmp(status, "quarantined") == 0 && quarantine_until <= now;
}

static int quarantine_days(const dom_ctx_t *c)
{
	return c->cfg && c->cfg->fax ? c->cfg->fax->number_quarantine_days : QUARANTINE_DEFAULT_DAYS;
}

/* "+"-led number from a path segment: the HTTP layer may hand it decoded
 * ("+33…"), still encoded ("%2B33…"), or with the "+" taken for a space. */
static int path_number(const char *s, char out[E164_MAX + 1])
{
	if (!s)
		return -1;
	const char *digits = NULL;
	if (s[0] == '+' || s[0] == ' ')
		digits = s + 1;
	else if (s[0] == '%' && s[1] == '2' && (s[2] == 'B' || s[2] == 'b'))
		digits = s + 3;
	if (!digits || strlen(digits) > E164_MAX - 1)
		return -1;
	snprintf(out, E164_MAX + 1, "+%s", digits);
	return e164_valid(out) ? 0 : -1;
}

/* ---- routing ---- */

json_t *dom_number_inbound(store_tx_t *tx, const char *number)
{
	if (!e164_valid(number))
		return NULL;
	json_t *n = store_number_get(tx, number);
	json_t *out = NULL;
	/* A closed account (closing, destroyed) receives nothing. */
	json_t *acc = n && *rec_str(n, "account_id") ? store_account_get(tx, rec_str(n, "account_id"),
		NULL) : NULL;
	bool closed = acc && strcmp(rec_str(acc, "status"), "closed") == 0;
	json_decref(acc);
	if (n && !closed && strcmp(rec_str(n, "status"), "assigned") == 0 && *rec_str(n, "account_id")) {
		/* A fax for someone who has left lands in the shared inbox. */
		const char *user = rec_str(n, "route_user_id");
		json_t *m = *user ? store_member_get(tx, rec_str(n, "account_id"), user) : NULL;
		if (!m || strcmp(rec_str(m, "status"), "active") != 0)
			user = "";
		out = json_pack("{s:s, s:s, s:s, s:s}", "number", number, "account_id",
			rec_str(n, "account_id"), "route_to", *user ? user : "shared", "trunk_id",
			rec_str(n, "trunk_id"));
		json_decref(m);
	}
	json_decref(n);
	return out;
}

void dom_caller_id(store_tx_t *tx, const char *account_id, const char *user_id, char out[32])
{
	out[0] = '\0';
	json_t *all = store_number_all(tx, account_id);
	const json_t *mine = NULL, *shared = NULL;
	size_t i;
	json_t *n;
	json_array_foreach(all, i, n) {
		const char *u = rec_str(n, "route_user_id");
		if (!mine && user_id && *u && strcmp(u, user_id) == 0)
			mine = n;
		if (!shared && !*u)
			shared = n;
	}
	const json_t *pick = mine ? mine : shared ? shared : json_array_get(all, 0);
	if (pick)
		snprintf(out, 32, "%s", rec_str(pick, "number"));
	json_decref(all);
}

/* ---- inventory ---- */

static json_t *route_to_json(const json_t *n)
{
	const char *u = rec_str(n, "route_user_id");
	return json_string(*u ? u : "shared");
}

/* An account's view of one of its numbers. */
static json_t *number_public(const json_t *n)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "number", rec_str(n, "number"), "country",
		rec_str(n, "country"), "trunk", rec_str(n, "trunk_id"), "status", rec_str(n, "status"),
		"route_to", route_to_json(n), "assigned_at", nb_time_or_null(n, "assigned_at"));
}

/* The provider's view: where the number is, whoever holds it. A quarantine
 * that has ended shows as available (it is taken back lazily, when picked). */
static json_t *inventory_public(const json_t *n)
{
	const char *status = rec_str(n, "status");
	int64_t until = json_integer_value(json_object_get(n, "quarantine_until"));
	if (strcmp(status, "quarantined") == 0 && numbers_pickable(status, until, time_now_ms()))
		status = "available";
	const char *acc = rec_str(n, "account_id");
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "number",
		rec_str(n, "number"), "country", rec_str(n, "country"), "trunk", rec_str(n, "trunk_id"),
		"status", status, "account_id", *acc ? json_string(acc) : json_null(), "route_to",
		*acc ? route_to_json(n) : json_null(), "assigned_at", nb_time_or_null(n, "assigned_at"),
		"released_at", nb_time_or_null(n, "released_at"), "quarantine_until",
		nb_time_or_null(n, "quarantine_until"), "created_at", nb_time_or_null(n, "created_at"));
}

int dom_numbers_import(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "trunk", "numbers", NULL };
	const char *trunk_id;
	if (body_only(body, allowed, e) || body_str(body, "trunk", true, &trunk_id, e))
		return -1;
	json_t *t = store_trunk_get(c->tx, trunk_id);
	if (!t)
		return dom_fail(e, "validation-failed", "trunk", "no such trunk: %s", trunk_id);
	json_decref(t);
	const json_t *nums = json_object_get(body, "numbers");
	if (!json_is_array(nums) || json_array_size(nums) == 0 || json_array_size(nums) > IMPORT_MAX)
		return dom_fail(e, "validation-failed", "numbers",
			"\"numbers\" must be an array of 1 to 10000 E.164 numbers");
	size_t i;
	const json_t *v;
	json_array_foreach(nums, i, v) {
		if (!json_is_string(v) || !e164_valid(json_string_value(v)))
			return dom_fail(e, "validation-failed", "numbers",
				"item %zu is not an E.164 number (\"+\" then 8 to 15 digits, the first not 0)", i);
	}
	int64_t now = time_now_ms();
	json_t *skipped = json_array();
	int imported = 0;
	json_array_foreach(nums, i, v) {
		const char *num = json_string_value(v);
		json_t *row = nb_inventory_row(num, trunk_id, now);
		int rc = store_number_insert(c->tx, row);
		json_decref(row);
		if (rc == STORE_CONFLICT) {
			json_array_append_new(skipped, json_pack("{s:s, s:s}", "number", num, "reason",
				"duplicate"));
		} else if (rc != STORE_OK) {
			json_decref(skipped);
			return dom_fail(e, "internal", "", "the numbers could not be stored");
		} else {
			imported++;
		}
	}
	if (nb_audited(c, STORE_OK, "numbers.import", trunk_id, NULL, json_pack("{s:s, s:i, s:I}",
		    "trunk", trunk_id, "imported", imported, "skipped",
		    (json_int_t)json_array_size(skipped)), e)) {
		json_decref(skipped);
		return -1;
	}
	*out = json_pack("{s:s, s:i, s:o}", "trunk", trunk_id, "imported", imported, "skipped",
		skipped);
	return 0;
}

int dom_numbers_inventory(dom_ctx_t *c, const json_t *q, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	static const char *const statuses[] = { "available", "assigned", "quarantined", "porting",
		NULL };
	const char *status = json_string_value(json_object_get(q, "status"));
	if (status && !nb_one_of(status, statuses))
		return dom_fail(e, "invalid-parameter", "status",
			"status must be available, assigned, quarantined or porting");
	store_page_t pg;
	if (store_number_inventory(c->tx, status, json_string_value(json_object_get(q, "trunk")),
		    json_string_value(json_object_get(q, "account")), time_now_ms(), cursor, limit,
		    &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the inventory could not be read");
	*out = page_json(&pg, inventory_public);
	return 0;
}

/* ---- the numbers of an account ---- */

/* route_to of body as a member id (out: NULL for the shared inbox). */
static int route_target(dom_ctx_t *c, const json_t *account, const json_t *body, bool required,
	const char **out, dom_err_t *e)
{
	const char *r;
	*out = NULL;
	if (body_str(body, "route_to", required, &r, e))
		return -1;
	if (!r || strcmp(r, "shared") == 0)
		return 0;
	json_t *m = store_member_get(c->tx, rec_str(account, "id"), r);
	int ok = m && strcmp(rec_str(m, "status"), "active") == 0;
	json_decref(m);
	if (!ok)
		return dom_fail(e, "validation-failed", "route_to",
			"\"route_to\" must be \"shared\" or an active member of the account");
	*out = r;
	return 0;
}

int dom_number_request(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "country", "area_code", "route_to", NULL };
	const char *iso, *area, *user;
	if (body_only(body, allowed, e) || body_str(body, "country", true, &iso, e) ||
		body_str(body, "area_code", false, &area, e) ||
		route_target(c, account, body, false, &user, e))
		return -1;
	const e164_country_t *cty = e164_country_by_iso(iso);
	if (!cty)
		return dom_fail(e, "validation-failed", "country",
			"\"country\" must be an ISO 3166 alpha-2 code of a country we serve");
	if (dom_partner_allows(c, rec_str(account, "id"), "country", cty->iso, "country", e) != 0)
		return -1;
	size_t alen = area ? strlen(area) : 0;
	if (area && (alen == 0 || alen > AREA_MAX || strspn(area, "0123456789") != alen))
		return dom_fail(e, "validation-failed", "area_code",
			"\"area_code\" must be 1 to 6 digits (after the country calling code)");
	char prefix[E164_MAX + 1];
	snprintf(prefix, sizeof prefix, "+%s%s", cty->cc, area ? area : "");
	int64_t now = time_now_ms();
	json_t *n = store_number_pick(c->tx, cty->iso, prefix, now);
	if (!n)
		return area ? dom_fail(e, "numbers-exhausted", "country",
			"no number is available in %s with area code %s", cty->iso, area)
			: dom_fail(e, "numbers-exhausted", "country", "no number is available in %s", cty->iso);
	const char *acc = rec_str(account, "id");
	char number[E164_MAX + 1];
	snprintf(number, sizeof number, "%s", rec_str(n, "number"));
	json_decref(n);
	int rc = store_number_assign(c->tx, number, acc, user, NULL, now);
	if (nb_audited(c, rc, "number.assign", number, acc, json_pack("{s:s, s:s, s:s}", "country",
		    cty->iso, "area_code", area ? area : "", "route_to", user ? user : "shared"), e))
		return -1;
	return dom_number_get(c, account, number, out, e);
}

int dom_number_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_number_list(c->tx, rec_str(account, "id"), cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "numbers could not be read");
	*out = page_json(&pg, number_public);
	return dom_read_audited(c, "number.list", rec_str(account, "id"), rec_str(account, "id"), out, e);
}

/* The account's number named by a path segment (into number), or NULL with
 * e set. */
static json_t *account_number(dom_ctx_t *c, const json_t *account, const char *raw,
	char number[E164_MAX + 1], dom_err_t *e)
{
	json_t *n = NULL;
	if (path_number(raw, number) == 0)
		n = store_number_of_account(c->tx, rec_str(account, "id"), number);
	if (!n)
		dom_fail(e, "not-found", "", "the account has no such number");
	return n;
}

/* Whether the account holds that number: 0, or -1 with e (not-found). */
static int own_number(dom_ctx_t *c, const json_t *account, const char *raw,
	char number[E164_MAX + 1], dom_err_t *e)
{
	json_t *n = account_number(c, account, raw, number, e);
	json_decref(n);
	return n ? 0 : -1;
}

int dom_number_get(dom_ctx_t *c, const json_t *account, const char *raw, json_t **out,
	dom_err_t *e)
{
	char number[E164_MAX + 1];
	json_t *n = account_number(c, account, raw, number, e);
	if (!n)
		return -1;
	*out = number_public(n);
	json_decref(n);
	return dom_read_audited(c, "number.read", number, rec_str(account, "id"), out, e);
}

int dom_number_route(dom_ctx_t *c, const json_t *account, const char *raw, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "route_to", NULL };
	char number[E164_MAX + 1];
	const char *user;
	if (body_only(body, allowed, e) || own_number(c, account, raw, number, e) ||
		route_target(c, account, body, true, &user, e))
		return -1;
	const char *acc = rec_str(account, "id");
	int rc = store_number_route(c->tx, acc, number, user);
	if (nb_audited(c, rc, "number.route", number, acc, json_pack("{s:s}", "route_to",
		    user ? user : "shared"), e))
		return -1;
	return dom_number_get(c, account, number, out, e);
}

int dom_number_release(dom_ctx_t *c, const json_t *account, const char *raw, json_t **out,
	dom_err_t *e)
{
	char number[E164_MAX + 1];
	if (own_number(c, account, raw, number, e))
		return -1;
	const char *acc = rec_str(account, "id");
	int64_t now = time_now_ms();
	int days = quarantine_days(c);
	int rc = store_number_release(c->tx, acc, number, now, numbers_quarantine_until(now, days));
	*out = NULL;
	return nb_audited(c, rc, "number.release", number, acc, json_pack("{s:i}", "quarantine_days",
		days), e);
}

/* ---- notifications ---- */

static json_t *notification_public(const json_t *n)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:o}", "id",
		rec_str(n, "id"), "account_id", rec_str(n, "account_id"), "kind", rec_str(n, "kind"),
		"target", rec_str(n, "target"), "subject", "en", rec_str(n, "subject_en"), "fr",
		rec_str(n, "subject_fr"), "body", "en", rec_str(n, "body_en"), "fr",
		rec_str(n, "body_fr"), "created_at", nb_time_or_null(n, "created_at"));
}

int dom_notify(dom_ctx_t *c, const char *account_id, const char *kind, const char *target,
	const char *subj_en, const char *subj_fr, const char *body_en, const char *body_fr)
{
	char *nid = sec_new_id("ntf");
	json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", nid,
		"account_id", account_id, "kind", kind, "target", target, "subject_en", subj_en,
		"subject_fr", subj_fr, "body_en", body_en, "body_fr", body_fr, "created_at",
		(json_int_t)time_now_ms());
	int rc = store_notification_insert(c->tx, n);
	json_decref(n);
	free(nid);
	return rc;
}

int dom_notification_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_notification_list(c->tx, rec_str(account, "id"), cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "notifications could not be read");
	*out = page_json(&pg, notification_public);
	return dom_read_audited(c, "notification.list", rec_str(account, "id"), rec_str(account, "id"),
		out, e);
}
