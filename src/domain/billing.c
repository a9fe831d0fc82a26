/* Billing plans and the double-entry ledger (see billing.h). */
#include <stdio.h>
#include <string.h>

#include "billing.h"
#include "dom_util.h"
#include "faxes.h"
#include "sec.h"
#include "store_billing.h"
#include "timeutil.h"
#include "xalloc.h"

#define AMOUNT_MAX 1000000000000LL /* minor units of one transaction */
#define PAGES_MAX 100000000LL
#define REASON_MAX 200

static const audit_ctx_t billing_actor = { .who = NULL, .actor = "system:billing",
	.source = "", .request_id = "" };

static const char *account_currency(dom_ctx_t *c, const json_t *account, char out[4])
{
	const char *cur = rec_str(account, "currency");
	if (!*cur)
		cur = c->cfg && c->cfg->fax && c->cfg->fax->currency && *c->cfg->fax->currency
			? c->cfg->fax->currency : "EUR";
	snprintf(out, 4, "%s", cur);
	return out;
}

/* The actor recorded on a transaction: the person or key, else the system. */
static const char *actor_of(const dom_ctx_t *c)
{
	if (c->who)
		return c->who->id;
	return c->actor ? c->actor : "system:billing";
}

int billing_post_charges(dom_ctx_t *c, const char *account_id, dom_err_t *e)
{
	json_t *rows = store_ledger_unbilled(c->tx, account_id);
	if (!rows)
		return dom_fail(e, "internal", "", "the charges could not be read");
	int64_t now = time_now_ms();
	int64_t total = 0;
	int rc = 0;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		int64_t cost = (int64_t)json_integer_value(json_object_get(r, "cost"));
		char *id = sec_new_id("ltx");
		json_t *t = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "id", id, "account_id",
			account_id, "kind", "charge", "amount_minor", (json_int_t)cost, "currency",
			rec_str(r, "currency"), "cdr_id", rec_str(r, "id"), "actor", "system:billing",
			"created_at", (json_int_t)now);
		free(id);
		if (!t || store_ledger_append(c->tx, t, -cost, "provider:revenue") != STORE_OK)
			rc = -1;
		json_decref(t);
		total += cost;
	}
	size_t n = json_array_size(rows);
	json_decref(rows);
	if (rc == 0 && n > 0)
		rc = fax_audit(c->tx, &billing_actor, "billing.charge", account_id, account_id, "success",
			json_pack("{s:I, s:I}", "cdrs", (json_int_t)n, "total_minor", (json_int_t)total));
	if (rc != 0)
		return dom_fail(e, "internal", "", "the charges could not be posted");
	return 0;
}

int billing_balance_of(dom_ctx_t *c, const json_t *account, int64_t *balance, char currency[4],
	dom_err_t *e)
{
	const char *id = rec_str(account, "id");
	if (billing_post_charges(c, id, e) != 0)
		return -1;
	account_currency(c, account, currency);
	char book[96];
	snprintf(book, sizeof book, "account:%s", id);
	int ok;
	*balance = store_ledger_book_sum(c->tx, book, currency, &ok);
	if (!ok)
		return dom_fail(e, "internal", "", "the balance could not be read");
	return 0;
}

/* The plan of an account, the default (postpaid, nothing included) when it
 * has none. New reference, NULL on error. */
static json_t *plan_of(dom_ctx_t *c, const json_t *account)
{
	json_t *p = store_plan_get(c->tx, rec_str(account, "id"));
	if (!p)
		p = json_pack("{s:s, s:s, s:i, s:i, s:n}", "account_id", rec_str(account, "id"), "kind",
			"postpaid", "included_pages", 0, "low_balance_minor", 0, "updated_at");
	return p;
}

static json_t *plan_json(dom_ctx_t *c, const json_t *account, const json_t *p)
{
	char cur[4];
	return json_pack("{s:s, s:s, s:O, s:O, s:s, s:o}", "account_id", rec_str(account, "id"),
		"kind", rec_str(p, "kind"), "included_pages", json_object_get(p, "included_pages"),
		"low_balance_minor", json_object_get(p, "low_balance_minor"), "currency",
		account_currency(c, account, cur), "updated_at", time_json(json_object_get(p, "updated_at")));
}

int dom_billing_plan_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e)
{
	json_t *p = plan_of(c, account);
	*out = plan_json(c, account, p);
	json_decref(p);
	return dom_read_audited(c, "billing.plan.read", rec_str(account, "id"), rec_str(account, "id"),
		out, e);
}

/* An integer member in [min, max]; absent: *v unchanged. */
static int body_int(const json_t *body, const char *key, int64_t min, int64_t max, bool required,
	int64_t *v, dom_err_t *e)
{
	const json_t *j = json_object_get(body, key);
	if (!j) {
		if (required)
			return dom_fail(e, "validation-failed", key, "\"%s\" is required", key);
		return 0;
	}
	if (!json_is_integer(j) || json_integer_value(j) < min || json_integer_value(j) > max)
		return dom_fail(e, "validation-failed", key, "\"%s\" must be an integer from %lld to %lld",
			key, (long long)min, (long long)max);
	*v = (int64_t)json_integer_value(j);
	return 0;
}

int dom_billing_plan_put(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "kind", "included_pages", "low_balance_minor", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	const char *kind = NULL;
	if (body_str(body, "kind", true, &kind, e) != 0)
		return -1;
	if (strcmp(kind, "prepaid") != 0 && strcmp(kind, "postpaid") != 0)
		return dom_fail(e, "validation-failed", "kind", "kind must be prepaid or postpaid");
	json_t *old = plan_of(c, account);
	int64_t pages = (int64_t)json_integer_value(json_object_get(old, "included_pages"));
	int64_t low = (int64_t)json_integer_value(json_object_get(old, "low_balance_minor"));
	json_decref(old);
	if (body_int(body, "included_pages", 0, PAGES_MAX, false, &pages, e) != 0 ||
	    body_int(body, "low_balance_minor", 0, AMOUNT_MAX, false, &low, e) != 0)
		return -1;
	json_t *p = json_pack("{s:s, s:s, s:I, s:I, s:I}", "account_id", rec_str(account, "id"),
		"kind", kind, "included_pages", (json_int_t)pages, "low_balance_minor", (json_int_t)low,
		"updated_at", (json_int_t)time_now_ms());
	int rc = store_plan_put(c->tx, p);
	if (rc == STORE_OK)
		rc = fax_audit_c(c, "billing.plan.update", rec_str(account, "id"), rec_str(account, "id"),
			"success", json_pack("{s:s, s:I, s:I}", "kind", kind, "included_pages",
				(json_int_t)pages, "low_balance_minor", (json_int_t)low));
	if (rc != 0) {
		json_decref(p);
		return dom_fail(e, "internal", "", "the plan could not be stored");
	}
	*out = plan_json(c, account, p);
	json_decref(p);
	return 0;
}

int dom_billing_balance(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e)
{
	int64_t bal;
	char cur[4];
	if (billing_balance_of(c, account, &bal, cur, e) != 0)
		return -1;
	json_t *p = plan_of(c, account);
	int64_t low = (int64_t)json_integer_value(json_object_get(p, "low_balance_minor"));
	*out = json_pack("{s:s, s:s, s:I, s:s, s:I, s:b}", "account_id", rec_str(account, "id"),
		"currency", cur, "balance_minor", (json_int_t)bal, "kind", rec_str(p, "kind"),
		"low_balance_minor", (json_int_t)low, "low",
		strcmp(rec_str(p, "kind"), "prepaid") == 0 && bal <= low);
	json_decref(p);
	return dom_read_audited(c, "billing.balance.read", rec_str(account, "id"),
		rec_str(account, "id"), out, e);
}

static json_t *txn_json(const json_t *t)
{
	json_t *o = json_pack("{s:s, s:s, s:O, s:O, s:s, s:o, s:o, s:s, s:o}", "id", rec_str(t, "id"),
		"kind", rec_str(t, "kind"), "amount_minor", json_object_get(t, "amount_minor"),
		"delta_minor", json_object_get(t, "delta"), "currency", rec_str(t, "currency"),
		"reason", *rec_str(t, "reason") ? json_string(rec_str(t, "reason")) : json_null(),
		"cdr_id", *rec_str(t, "cdr_id") ? json_string(rec_str(t, "cdr_id")) : json_null(),
		"actor", rec_str(t, "actor"), "created_at", time_json(json_object_get(t, "created_at")));
	return o;
}

int dom_billing_credit(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "amount_minor", "reason", "kind", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	int64_t amount = 0;
	const char *reason = NULL, *kind = NULL;
	if (body_int(body, "amount_minor", 1, AMOUNT_MAX, true, &amount, e) != 0 ||
	    body_str(body, "reason", true, &reason, e) != 0 || body_str(body, "kind", false, &kind, e) != 0)
		return -1;
	size_t rlen = strlen(reason);
	if (rlen == 0 || rlen > REASON_MAX)
		return dom_fail(e, "validation-failed", "reason", "reason must be 1 to %d characters",
			REASON_MAX);
	for (size_t i = 0; i < rlen; i++)
		if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f)
			return dom_fail(e, "validation-failed", "reason", "reason must be one line of text");
	if (!kind)
		kind = "topup";
	const char *counter = strcmp(kind, "topup") == 0 || strcmp(kind, "refund") == 0
		? "provider:cash" : strcmp(kind, "credit") == 0 ? "provider:credits" : NULL;
	if (!counter)
		return dom_fail(e, "validation-failed", "kind", "kind must be topup, credit or refund");
	int64_t bal;
	char cur[4];
	if (billing_balance_of(c, account, &bal, cur, e) != 0)
		return -1;
	int64_t delta = strcmp(kind, "refund") == 0 ? -amount : amount;
	if (delta < 0 && bal + delta < 0)
		return dom_fail(e, "invalid-state", "amount_minor",
			"a refund of %lld cannot exceed the balance of %lld %s", (long long)amount,
			(long long)bal, cur);
	const char *aid = rec_str(account, "id");
	char *id = sec_new_id("ltx");
	json_t *t = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "id", id, "account_id", aid,
		"kind", kind, "amount_minor", (json_int_t)amount, "currency", cur, "reason", reason,
		"actor", actor_of(c), "created_at", (json_int_t)time_now_ms());
	free(id);
	int rc = t ? store_ledger_append(c->tx, t, delta, counter) : STORE_ERROR;
	if (rc == STORE_OK)
		rc = fax_audit_c(c, "billing.credit", aid, aid, "success",
			json_pack("{s:s, s:s, s:I, s:s, s:s}", "transaction", rec_str(t, "id"), "kind", kind,
				"amount_minor", (json_int_t)amount, "currency", cur, "reason", reason));
	if (rc != 0) {
		json_decref(t);
		return dom_fail(e, "internal", "", "the transaction could not be recorded");
	}
	json_object_set_new(t, "delta", json_integer(delta));
	*out = json_pack("{s:o, s:I, s:s}", "transaction", txn_json(t), "balance_minor",
		(json_int_t)(bal + delta), "currency", cur);
	json_decref(t);
	return 0;
}

int dom_billing_ledger(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	const char *aid = rec_str(account, "id");
	if (billing_post_charges(c, aid, e) != 0)
		return -1;
	store_page_t pg;
	if (store_ledger_list(c->tx, aid, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the ledger could not be read");
	*out = page_json(&pg, txn_json);
	return dom_read_audited(c, "billing.ledger.read", aid, aid, out, e);
}
