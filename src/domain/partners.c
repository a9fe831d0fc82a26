/* Partner self-service: the partner's view of its accounts (see partners.h). */
#include "partners.h"

#include <string.h>
#include <time.h>

#include "dom_util.h"
#include "faxenv.h"
#include "store_billing.h"
#include "store_partners.h"
#include "timeutil.h"

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

int dom_partner_accounts(dom_ctx_t *c, const char *partner_id, const json_t *query,
	const char *cursor, int limit, json_t **out, dom_err_t *e)
{
	*out = NULL;
	/* Partner staff see their own partner only; another does not exist. */
	if (strcmp(c->who->kind, "partner") == 0 && strcmp(c->who->partner_id, partner_id) != 0)
		return dom_fail(e, "not-found", "", "no such partner");
	json_t *prt = store_partner_get(c->tx, partner_id);
	json_decref(prt);
	if (!prt)
		return dom_fail(e, "not-found", "", "no such partner");
	int64_t until = time_now_ms(), since = month_start(until);
	if (query_time(query, "since", &since, e) || query_time(query, "until", &until, e))
		return -1;
	if (since >= until)
		return dom_fail(e, "invalid-parameter", "since", "since must be before until");
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
