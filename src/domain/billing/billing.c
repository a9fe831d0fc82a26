/* Billing plans and the double-entry ledger (see billing.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "billing.h"
#include "dom_util.h"
#include "fax/fax.h"
#include "sec.h"
#include "notify/notify.h"
#include "money.h"
#include "tenancy/tenancy.h"
#include "store_billing.h"
#include "timeutil.h"
#include "xalloc.h"

#define AMOUNT_MAX 1000000000000LL /* minor units of one transaction */
#define PAGES_MAX 100000000LL
#define REASON_MAX 200

static const audit_ctx_t billing_actor = { .who = NULL, .actor = "system:billing",
	.source = "", .request_id = "" };

const char *billing_currency(const dom_config_t *cfg, const json_t *account, char out[4])
{
	const char *cur = rec_str(account, "currency");
	if (!*cur)
		cur = cfg && cfg->fax && cfg->fax->currency && *cfg->fax->currency
			? cfg->fax->currency : "EUR";
	snprintf(out, 4, "%s", cur);
	return out;
}

static const char *account_currency(dom_ctx_t *c, const json_t *account, char out[4])
{
	return billing_currency(c->cfg, account, out);
}

/* The actor recorded on a transaction: the person or key, else the system. */
static const char *actor_of(const dom_ctx_t *c)
{
	if (c->who)
		return c->who->id;
	return c->actor ? c->actor : "system:billing";
}

/* Posts the account's pending charges in tx; *charged: their total in
 * currency. 0 or -1. */
static int post_charges(store_tx_t *tx, const char *account_id, const char *currency,
	int64_t *charged)
{
	*charged = 0;
	json_t *rows = store_ledger_unbilled(tx, account_id);
	if (!rows)
		return -1;
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
		if (!t || store_ledger_append(tx, t, -cost, "provider:revenue") != STORE_OK)
			rc = -1;
		json_decref(t);
		total += cost;
		if (strcmp(rec_str(r, "currency"), currency) == 0)
			*charged += cost;
	}
	size_t n = json_array_size(rows);
	json_decref(rows);
	if (rc == 0 && n > 0)
		rc = fax_audit(tx, &billing_actor, "billing.charge", account_id, account_id, "success",
			json_pack("{s:I, s:I}", "cdrs", (json_int_t)n, "total_minor", (json_int_t)total));
	return rc;
}

static int64_t book_balance(store_tx_t *tx, const char *account_id, const char *currency, int *ok)
{
	char book[96];
	snprintf(book, sizeof book, "account:%s", account_id);
	return store_ledger_book_sum(tx, book, currency, ok);
}

/* Whether a member receives the account's billing notices: the billing
 * contacts (role billing) and the owner, who answers for payment. */
static bool billing_contact(const json_t *m)
{
	const char *role = rec_str(m, "role");
	return strcmp(rec_str(m, "status"), "active") == 0 &&
		(strcmp(role, "billing") == 0 || strcmp(role, "owner") == 0);
}

/* Mails kind with params (borrowed; each recipient's name added) to the
 * person user_id when not NULL (if active), else to each billing contact of
 * the account, through the outbox in tx. The number of recipients, or -1. */
static int mail_contacts(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *user_id, const char *kind, json_t *params)
{
	json_t *members = user_id ? json_pack("[o?]", store_principal_get(tx, user_id))
		: store_members_all(tx, account_id);
	if (!members)
		return -1;
	int rc = 0, sent = 0;
	size_t i;
	json_t *m;
	json_array_foreach(members, i, m) {
		if (user_id ? strcmp(rec_str(m, "status"), "active") != 0 : !billing_contact(m))
			continue;
		json_object_set_new(params, "name", json_string(rec_str(m, "name")));
		if (mail_queue_tx(tx, env, env && env->mail_on, kind, m, "en", params, NULL) != 0)
			rc = -1;
		sent++;
	}
	json_decref(members);
	return rc == 0 ? sent : -1;
}

/* The name of the account (into out), "" when unknown. */
static const char *account_name(store_tx_t *tx, const char *account_id, char *out, size_t n)
{
	json_t *acc = store_account_get(tx, account_id, NULL);
	snprintf(out, n, "%s", acc ? rec_str(acc, "name") : "");
	json_decref(acc);
	return out;
}

/* One notice of kind (a MAIL_KIND_BILLING_* template) mailed to each billing
 * contact through the outbox, in the transaction that saw the balance
 * cross, and audited as billing.notice. 0 or -1. */
static int notice(store_tx_t *tx, const fax_env_t *env, const char *account_id, const char *kind,
	int64_t balance, int64_t low, const char *currency)
{
	char bal_s[48], low_s[48], name[256];
	money_decimal(balance, currency, bal_s, sizeof bal_s);
	money_decimal(low, currency, low_s, sizeof low_s);
	size_t len = strlen(bal_s);
	snprintf(bal_s + len, sizeof bal_s - len, " %s", currency);
	len = strlen(low_s);
	snprintf(low_s + len, sizeof low_s - len, " %s", currency);
	json_t *params = json_pack("{s:s, s:s, s:s}", "account",
		account_name(tx, account_id, name, sizeof name), "balance", bal_s, "threshold", low_s);
	int sent = params ? mail_contacts(tx, env, account_id, NULL, kind, params) : -1;
	json_decref(params);
	if (sent < 0)
		return -1;
	return fax_audit(tx, &billing_actor, "billing.notice", account_id, account_id, "success",
		json_pack("{s:s, s:I, s:I, s:s, s:i, s:b}", "kind", kind, "balance_minor",
			(json_int_t)balance, "threshold_minor", (json_int_t)low, "currency", currency,
			"contacts", sent, "mailed", env && env->mail_on));
}

/* The notices of a prepaid account whose balance fell from before to after:
 * at zero when it reached zero or less, else at the low-balance threshold
 * when it reached it. Each fires when the balance crosses its level, so
 * once until the balance rises above it again. 0 or -1. */
static int notices(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *currency, int64_t before, int64_t after)
{
	if (after >= before)
		return 0;
	json_t *p = store_plan_get(tx, account_id);
	bool prepaid = p && strcmp(rec_str(p, "kind"), "prepaid") == 0;
	int64_t low = p ? (int64_t)json_integer_value(json_object_get(p, "low_balance_minor")) : 0;
	json_decref(p);
	if (!prepaid)
		return 0;
	if (before > 0 && after <= 0)
		return notice(tx, env, account_id, MAIL_KIND_BILLING_EXHAUSTED, after, low, currency);
	if (before > low && after <= low)
		return notice(tx, env, account_id, MAIL_KIND_BILLING_LOW, after, low, currency);
	return 0;
}

/* Charges posted, then the balance and its notices. 0 or -1. */
static int settle(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *currency, int64_t *balance)
{
	int ok;
	int64_t charged = 0;
	if (post_charges(tx, account_id, currency, &charged) != 0)
		return -1;
	*balance = book_balance(tx, account_id, currency, &ok);
	if (!ok || notices(tx, env, account_id, currency, *balance + charged, *balance) != 0)
		return -1;
	return 0;
}

int billing_settle(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *currency)
{
	int64_t balance;
	return settle(tx, env, account_id, currency, &balance);
}

/* The balance of the account's book in its currency (4 bytes), charges
 * posted first. 0 or -1 with e. */
static int balance_of(dom_ctx_t *c, const json_t *account, int64_t *balance, char currency[4],
	dom_err_t *e)
{
	account_currency(c, account, currency);
	if (settle(c->tx, c->cfg ? c->cfg->fax : NULL, rec_str(account, "id"), currency,
	    balance) != 0)
		return dom_fail(e, "internal", "", "the balance could not be read");
	return 0;
}

/* Whether a prepaid account can pay price on top of what its other open
 * faxes (except except_fax_id) may still cost: 0 it can (or it is not
 * prepaid), 1 it cannot, -1 error. */
static int credit_check(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *currency, int64_t price, const char *except_fax_id, int64_t *balance,
	int64_t *available)
{
	*balance = *available = 0;
	json_t *p = store_plan_get(tx, account_id);
	bool prepaid = p && strcmp(rec_str(p, "kind"), "prepaid") == 0;
	json_decref(p);
	if (!prepaid)
		return 0;
	int ok;
	if (settle(tx, env, account_id, currency, balance) != 0)
		return -1;
	int64_t reserved = store_ledger_reserved(tx, account_id, currency, except_fax_id, &ok);
	if (!ok)
		return -1;
	*available = *balance - reserved;
	return price > *available ? 1 : 0;
}

/* The quotas of a plan: its column, the period, and whether it counts
 * one user's pages (else the account's). */
static const struct quota {
	const char *col;
	const char *period;
	bool user;
} quotas[] = {
	{ "quota_account_day", "day", false },
	{ "quota_account_month", "month", false },
	{ "quota_user_day", "day", true },
	{ "quota_user_month", "month", true },
};
#define NQUOTAS (sizeof quotas / sizeof quotas[0])

/* The start of now's UTC day or calendar month (next: of the following
 * one), in ms. */
static int64_t period_start(const char *period, int64_t now, bool next)
{
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (strcmp(period, "month") == 0) {
		tm.tm_mday = 1;
		if (next)
			tm.tm_mon++;
	} else if (next) {
		tm.tm_mday++;
	}
	return (int64_t)timegm(&tm) * 1000;
}

/* The notice of level (80 or 100) of quota q, mailed once per period (to
 * the user for a user's quota, else to the billing contacts) and audited as
 * quota.notice. 0 or -1. */
static int quota_notice(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *user_id, const struct quota *q, int level, int64_t used, int64_t limit,
	int64_t now)
{
	const char *scope = q->user ? user_id : "account";
	int64_t start = period_start(q->period, now, false);
	int rc = store_quota_notice_claim(tx, account_id, scope, q->period, start, level, now);
	if (level == 100 && (rc == STORE_OK || rc == STORE_NOTFOUND))
		store_quota_notice_claim(tx, account_id, scope, q->period, start, 80, now);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK)
		return -1;
	char resets[40], name[256];
	bool day = strcmp(q->period, "day") == 0;
	json_t *params = json_pack("{s:s, s:I, s:I, s:i, s:s, s:s, s:s, s:s, s:s}", "account",
		account_name(tx, account_id, name, sizeof name), "used", (json_int_t)used, "limit",
		(json_int_t)limit, "percent", level, "period_en", day ? "today" : "this month",
		"period_fr", day ? "aujourd'hui" : "ce mois-ci", "scope_en",
		q->user ? "by you" : "by the whole account", "scope_fr",
		q->user ? "pour vous" : "pour tout le compte", "resets_at",
		time_format_rfc3339(period_start(q->period, now, true), resets, sizeof resets));
	int sent = params ? mail_contacts(tx, env, account_id, q->user ? user_id : NULL,
		MAIL_KIND_QUOTA, params) : -1;
	json_decref(params);
	if (sent < 0)
		return -1;
	return fax_audit(tx, &billing_actor, "quota.notice", scope, account_id, "success",
		json_pack("{s:s, s:s, s:i, s:I, s:I, s:i}", "quota", q->col, "scope", scope, "level",
			level, "used", (json_int_t)used, "limit", (json_int_t)limit, "recipients", sent));
}

/* The 429 quota-exceeded refusal of quota i (limit, used, pages more). */
static void quota_refusal(dom_err_t *e, size_t i, int64_t limit, int64_t used, int64_t pages,
	int64_t now)
{
	char resets[40];
	time_format_rfc3339(period_start(quotas[i].period, now, true), resets, sizeof resets);
	long long l = (long long)limit, u = (long long)used, n = (long long)pages;
	if (i == 0)
		dom_fail(e, "quota-exceeded", "", "the account may send %lld pages a day; %lld are"
			" sent today and these faxes have %lld more; the quota resets at %s", l, u, n,
			resets);
	else if (i == 1)
		dom_fail(e, "quota-exceeded", "", "the account may send %lld pages a month; %lld"
			" are sent this month and these faxes have %lld more; the quota resets at %s",
			l, u, n, resets);
	else if (i == 2)
		dom_fail(e, "quota-exceeded", "", "you may send %lld pages a day; %lld are sent"
			" today and these faxes have %lld more; the quota resets at %s", l, u, n,
			resets);
	else
		dom_fail(e, "quota-exceeded", "", "you may send %lld pages a month; %lld are sent"
			" this month and these faxes have %lld more; the quota resets at %s", l, u, n,
			resets);
	/* Retry-After: the seconds until the period that frees pages. */
	e->retry_after_s = (period_start(quotas[i].period, now, true) - now + 999) / 1000;
}

/* The quotas of the account's plan against pages more from user_id: 0 they
 * fit (the 80 % and 100 % notices sent), 1 one is exceeded (e: 429
 * quota-exceeded, its 100 % notice sent, audited), -1 error (e set). */
static int quota_check(dom_ctx_t *c, const char *account_id, const char *user_id,
	int64_t pages, dom_err_t *e)
{
	json_t *p = store_plan_get(c->tx, account_id);
	if (!p)
		return 0;
	const fax_env_t *env = c->cfg ? c->cfg->fax : NULL;
	int64_t now = time_now_ms(), used[NQUOTAS] = { 0 }, limit[NQUOTAS];
	int rc = 0;
	for (size_t i = 0; i < NQUOTAS && rc == 0; i++) {
		limit[i] = (int64_t)json_integer_value(json_object_get(p, quotas[i].col));
		if (limit[i] <= 0)
			continue;
		int ok;
		used[i] = store_pages_sent(c->tx, account_id, quotas[i].user ? user_id : NULL,
			period_start(quotas[i].period, now, false), &ok);
		if (!ok) {
			rc = dom_fail(e, "internal", "", "the quotas could not be read");
			break;
		}
		if (used[i] + pages <= limit[i])
			continue;
		if (quota_notice(c->tx, env, account_id, user_id, &quotas[i], 100, used[i], limit[i],
			now) != 0) {
			rc = dom_fail(e, "internal", "", "the notices could not be queued");
			break;
		}
		fax_audit_c(c, "fax.submit", account_id, account_id, "failure",
			json_pack("{s:s, s:s, s:I, s:I, s:I}", "reason", "quota-exceeded", "quota",
				quotas[i].col, "limit", (json_int_t)limit[i], "used", (json_int_t)used[i],
				"pages", (json_int_t)pages));
		quota_refusal(e, i, limit[i], used[i], pages, now);
		rc = 1;
	}
	for (size_t i = 0; i < NQUOTAS && rc == 0; i++) {
		if (limit[i] <= 0)
			continue;
		int64_t after = used[i] + pages;
		int level = after >= limit[i] ? 100 : after * 10 >= limit[i] * 8 ? 80 : 0;
		if (level && quota_notice(c->tx, env, account_id, user_id, &quotas[i], level, after,
			limit[i], now) != 0)
			rc = dom_fail(e, "internal", "", "the notices could not be queued");
	}
	json_decref(p);
	return rc;
}

/* The 402 insufficient-credit refusal: the price, the balance and what of
 * it is not held for faxes already queued. */
static void credit_refusal(dom_err_t *e, int64_t price, int64_t bal, int64_t avail,
	const char *currency)
{
	char price_s[32], bal_s[32], avail_s[32];
	dom_fail(e, "insufficient-credit", "", "the fax costs %s %s; the prepaid balance is %s %s,"
		" of which %s %s is not held for faxes already queued",
		money_decimal(price, currency, price_s, sizeof price_s), currency,
		money_decimal(bal, currency, bal_s, sizeof bal_s), currency,
		money_decimal(avail, currency, avail_s, sizeof avail_s), currency);
}

int billing_submit_check(dom_ctx_t *c, const char *account_id, const char *user_id,
	const char *currency, int64_t pages, int64_t price, dom_err_t *e)
{
	int q = quota_check(c, account_id, user_id, pages, e);
	if (q != 0)
		return q;
	int64_t bal, avail;
	const fax_env_t *env = c->cfg ? c->cfg->fax : NULL;
	int rc = credit_check(c->tx, env, account_id, currency, price, NULL, &bal, &avail);
	if (rc < 0) {
		dom_fail(e, "internal", "", "the balance could not be read");
		return -1;
	}
	if (rc == 0)
		return 0;
	fax_audit_c(c, "fax.submit", account_id, account_id, "failure",
		json_pack("{s:s, s:I, s:I, s:I, s:s}", "reason", "insufficient-credit", "price_minor",
			(json_int_t)price, "balance_minor", (json_int_t)bal, "available_minor",
			(json_int_t)avail, "currency", currency));
	credit_refusal(e, price, bal, avail, currency);
	return 1;
}

int billing_quote(dom_ctx_t *c, const char *account_id, const char *user_id,
	const char *currency, int64_t pages, int64_t price, json_t *out, dom_err_t *refusal)
{
	json_t *p = store_plan_get(c->tx, account_id);
	json_object_set_new(out, "plan", json_string(p ? rec_str(p, "kind") : "postpaid"));
	int64_t now = time_now_ms();
	for (size_t i = 0; p && i < NQUOTAS; i++) {
		int64_t limit = (int64_t)json_integer_value(json_object_get(p, quotas[i].col));
		if (limit <= 0)
			continue;
		int ok;
		int64_t used = store_pages_sent(c->tx, account_id, quotas[i].user ? user_id : NULL,
			period_start(quotas[i].period, now, false), &ok);
		if (!ok) {
			json_decref(p);
			return -1;
		}
		if (used + pages > limit) {
			quota_refusal(refusal, i, limit, used, pages, now);
			json_decref(p);
			return 1;
		}
	}
	json_decref(p);
	int64_t bal, avail;
	const fax_env_t *env = c->cfg ? c->cfg->fax : NULL;
	int rc = credit_check(c->tx, env, account_id, currency, price, NULL, &bal, &avail);
	if (rc < 0)
		return -1;
	if (strcmp(json_string_value(json_object_get(out, "plan")), "prepaid") == 0) {
		json_object_set_new(out, "balance_minor", json_integer(bal));
		json_object_set_new(out, "available_minor", json_integer(avail));
	}
	if (rc == 1)
		credit_refusal(refusal, price, bal, avail, currency);
	return rc;
}

int billing_dial_check(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *currency, int64_t price, const char *fax_id)
{
	int64_t bal, avail;
	int rc = credit_check(tx, env, account_id, currency, price, fax_id, &bal, &avail);
	if (rc == 1 && fax_audit(tx, &billing_actor, "billing.dial_refused", fax_id, account_id,
		"failure", json_pack("{s:I, s:I, s:I, s:s}", "price_minor", (json_int_t)price,
			"balance_minor", (json_int_t)bal, "available_minor", (json_int_t)avail, "currency",
			currency)) != 0)
		return -1;
	return rc;
}

/* The plan of an account, the default (postpaid, nothing included) when it
 * has none. New reference, NULL on error. */
static json_t *plan_of(dom_ctx_t *c, const json_t *account)
{
	json_t *p = store_plan_get(c->tx, rec_str(account, "id"));
	if (!p)
		p = json_pack("{s:s, s:s, s:i, s:i, s:s, s:n}", "account_id", rec_str(account, "id"),
			"kind", "postpaid", "included_pages", 0, "low_balance_minor", 0, "invoice_lang",
			"en", "updated_at");
	return p;
}

static json_t *plan_json(dom_ctx_t *c, const json_t *account, const json_t *p)
{
	char cur[4];
	json_t *o = json_pack("{s:s, s:s, s:O, s:O, s:s, s:o}", "account_id", rec_str(account, "id"),
		"kind", rec_str(p, "kind"), "included_pages", json_object_get(p, "included_pages"),
		"low_balance_minor", json_object_get(p, "low_balance_minor"), "currency",
		account_currency(c, account, cur), "updated_at", time_json(json_object_get(p, "updated_at")));
	for (size_t i = 0; o && i < NQUOTAS; i++)
		json_object_set_new(o, quotas[i].col,
			json_integer(json_integer_value(json_object_get(p, quotas[i].col))));
	if (o)
		json_object_set_new(o, "invoice_lang",
			json_string(*rec_str(p, "invoice_lang") ? rec_str(p, "invoice_lang") : "en"));
	return o;
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
	static const char *const allowed[] = { "kind", "included_pages", "low_balance_minor",
		"quota_account_day", "quota_account_month", "quota_user_day", "quota_user_month",
		"invoice_lang", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	const char *kind = NULL;
	if (body_str(body, "kind", true, &kind, e) != 0)
		return -1;
	if (strcmp(kind, "prepaid") != 0 && strcmp(kind, "postpaid") != 0)
		return dom_fail(e, "validation-failed", "kind", "kind must be prepaid or postpaid");
	const char *ilang = NULL;
	if (body_str(body, "invoice_lang", false, &ilang, e) != 0)
		return -1;
	if (ilang && strcmp(ilang, "en") != 0 && strcmp(ilang, "fr") != 0)
		return dom_fail(e, "validation-failed", "invoice_lang", "invoice_lang must be en or fr");
	if (dom_partner_allows(c, rec_str(account, "id"), "plan", kind, "kind", e) != 0)
		return -1;
	json_t *old = plan_of(c, account);
	char lang[3];
	snprintf(lang, sizeof lang, "%s", ilang ? ilang : *rec_str(old, "invoice_lang")
		? rec_str(old, "invoice_lang") : "en");
	int64_t pages = (int64_t)json_integer_value(json_object_get(old, "included_pages"));
	int64_t low = (int64_t)json_integer_value(json_object_get(old, "low_balance_minor"));
	int64_t q[NQUOTAS];
	for (size_t i = 0; i < NQUOTAS; i++)
		q[i] = (int64_t)json_integer_value(json_object_get(old, quotas[i].col));
	json_decref(old);
	if (body_int(body, "included_pages", 0, PAGES_MAX, false, &pages, e) != 0 ||
	    body_int(body, "low_balance_minor", 0, AMOUNT_MAX, false, &low, e) != 0)
		return -1;
	for (size_t i = 0; i < NQUOTAS; i++)
		if (body_int(body, quotas[i].col, 0, PAGES_MAX, false, &q[i], e) != 0)
			return -1;
	json_t *p = json_pack("{s:s, s:s, s:I, s:I, s:I}", "account_id", rec_str(account, "id"),
		"kind", kind, "included_pages", (json_int_t)pages, "low_balance_minor", (json_int_t)low,
		"updated_at", (json_int_t)time_now_ms());
	for (size_t i = 0; p && i < NQUOTAS; i++)
		json_object_set_new(p, quotas[i].col, json_integer(q[i]));
	if (p)
		json_object_set_new(p, "invoice_lang", json_string(lang));
	int rc = p ? store_plan_put(c->tx, p) : STORE_ERROR;
	if (rc == STORE_OK) {
		json_t *d = json_deep_copy(p);
		json_object_del(d, "account_id");
		json_object_del(d, "updated_at");
		rc = fax_audit_c(c, "billing.plan.update", rec_str(account, "id"), rec_str(account, "id"),
			"success", d);
	}
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
	if (balance_of(c, account, &bal, cur, e) != 0)
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
	if (balance_of(c, account, &bal, cur, e) != 0)
		return -1;
	int64_t delta = strcmp(kind, "refund") == 0 ? -amount : amount;
	char amount_s[32], bal_s[32];
	if (delta < 0 && bal + delta < 0)
		return dom_fail(e, "invalid-state", "amount_minor",
			"a refund of %s %s cannot exceed the balance of %s %s",
			money_decimal(amount, cur, amount_s, sizeof amount_s), cur,
			money_decimal(bal, cur, bal_s, sizeof bal_s), cur);
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
	if (notices(c->tx, c->cfg ? c->cfg->fax : NULL, aid, cur, bal, bal + delta) != 0) {
		json_decref(t);
		return dom_fail(e, "internal", "", "the notices could not be queued");
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
	int64_t bal;
	char cur[4];
	if (balance_of(c, account, &bal, cur, e) != 0)
		return -1;
	store_page_t pg;
	if (store_ledger_list(c->tx, aid, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the ledger could not be read");
	*out = page_json(&pg, txn_json);
	return dom_read_audited(c, "billing.ledger.read", aid, aid, out, e);
}
