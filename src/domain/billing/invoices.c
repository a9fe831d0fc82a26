/* Postpaid invoices: the run, the reads, the PDF (see invoices.h). */
#include "billing.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dom_util.h"
#include "fax/fax.h"
#include "log.h"
#include "money.h"
#include "numparse.h"
#include "textpdf.h"
#include "sec.h"
#include "store_billing.h"
#include "store_invoices.h"
#include "timeutil.h"
#include "notify/notify.h"
#include "xalloc.h"

#define ISSUER "provider"
#define DAY_MS 86400000LL
#define LINES_MAX 64 /* distinct prices on one invoice */

int64_t invoice_month_start(int64_t t)
{
	time_t s = (time_t)(t / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (int64_t)timegm(&tm) * 1000;
}

int64_t invoice_month_next(int64_t month_start)
{
	time_t s = (time_t)(month_start / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	tm.tm_mon++;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (int64_t)timegm(&tm) * 1000;
}

/* "YYYY-MM" of a month start into out. */
static const char *month_label(int64_t month_start, char out[16])
{
	time_t s = (time_t)(month_start / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(out, 16, "%04d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
	return out;
}

/* ---- the run ---- */

/* What one invoice bills in one currency. */
struct bill {
	char currency[4];
	int64_t pages, subtotal, included_pages, included;
	int nlines;
	struct { int64_t unit, pages, amount; } line[LINES_MAX];
	json_t *seqs; /* the ledger charges it bills */
};

static struct bill *bill_for(struct bill *bills, int *n, const char *currency)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(bills[i].currency, currency) == 0)
			return &bills[i];
	if (*n == 4)
		return NULL;
	struct bill *b = &bills[(*n)++];
	memset(b, 0, sizeof *b);
	snprintf(b->currency, sizeof b->currency, "%s", currency);
	b->seqs = json_array();
	return b;
}

/* Adds one charge of pages at amount to b: on the line of its page price. */
static int bill_add(struct bill *b, int64_t pages, int64_t amount)
{
	int64_t unit = pages > 0 ? amount / pages : amount;
	int i = 0;
	while (i < b->nlines && b->line[i].unit != unit)
		i++;
	if (i == b->nlines) {
		if (b->nlines == LINES_MAX)
			return -1;
		b->nlines++;
		b->line[i].unit = unit;
	}
	b->line[i].pages += pages;
	b->line[i].amount += amount;
	b->pages += pages;
	b->subtotal += amount;
	return 0;
}

/* Writes the invoice of b for the account in tx: its number, the invoice,
 * its lines, the charges it bills, the credit of the included pages in the
 * ledger, the audit event. *crash counts the invoices of the run for the
 * test hook. STORE_OK, STORE_CONFLICT (it exists), or an error. */
static int write_invoice(store_tx_t *tx, const dom_config_t *cfg, const json_t *account,
	const char *lang, int64_t start, int64_t end, struct bill *b, const char *actor,
	int *crash)
{
	const char *aid = rec_str(account, "id");
	int64_t now = time_now_ms();
	int64_t number = store_invoice_next_number(tx, ISSUER);
	if (number < 0)
		return STORE_ERROR;
	int64_t total = b->subtotal - b->included;
	int due_days = cfg->invoice_due_days > 0 ? cfg->invoice_due_days : 30;
	char *id = sec_new_id("inv");
	json_t *inv = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I,"
		" s:I, s:s, s:I, s:I}", "id", id, "issuer", ISSUER, "number", (json_int_t)number,
		"account_id", aid, "period_start", (json_int_t)start, "period_end", (json_int_t)end,
		"currency", b->currency, "lang", lang, "pages", (json_int_t)b->pages, "included_pages",
		(json_int_t)b->included_pages, "subtotal_minor", (json_int_t)b->subtotal,
		"included_minor", (json_int_t)b->included, "total_minor", (json_int_t)total,
		"paid_minor", (json_int_t)0, "status", total > 0 ? "issued" : "paid", "issued_at",
		(json_int_t)now, "due_at", (json_int_t)(now + due_days * DAY_MS));
	int rc = inv ? store_invoice_insert(tx, inv) : STORE_ERROR;
	if (rc == STORE_OK && total <= 0)
		rc = store_invoice_update(tx, id, json_pack("{s:I}", "paid_at", (json_int_t)now)) ==
			STORE_OK ? STORE_OK : STORE_ERROR;
	int pos = 1;
	for (int i = 0; rc == STORE_OK && i < b->nlines; i++) {
		json_t *l = json_pack("{s:s, s:i, s:s, s:I, s:I, s:I}", "invoice_id", id, "position",
			pos++, "kind", "pages", "pages", (json_int_t)b->line[i].pages, "unit_minor",
			(json_int_t)b->line[i].unit, "amount_minor", (json_int_t)b->line[i].amount);
		rc = l ? store_invoice_line_insert(tx, l) : STORE_ERROR;
		json_decref(l);
	}
	if (rc == STORE_OK && b->included_pages > 0) {
		json_t *l = json_pack("{s:s, s:i, s:s, s:I, s:I, s:I}", "invoice_id", id, "position",
			pos++, "kind", "included", "pages", (json_int_t)b->included_pages, "unit_minor",
			(json_int_t)0, "amount_minor", (json_int_t)-b->included);
		rc = l ? store_invoice_line_insert(tx, l) : STORE_ERROR;
		json_decref(l);
	}
	/* The test hook: killed here, the invoice is half written and must
	 * vanish with its transaction. */
	if (cfg->test_invoice_crash_at > 0 && ++*crash == cfg->test_invoice_crash_at) {
		log_event(LOG_WARN, "billing.invoice_crash_test", "invoice=%s number=%lld", id,
			(long long)number);
		raise(SIGKILL);
	}
	size_t i;
	json_t *s;
	json_array_foreach(b->seqs, i, s) {
		if (rc != STORE_OK)
			break;
		rc = store_invoice_charge_add(tx, id, (int64_t)json_integer_value(s));
	}
	if (rc == STORE_OK && b->included > 0) {
		char *tid = sec_new_id("ltx"), reason[96];
		snprintf(reason, sizeof reason, "included pages, invoice %lld", (long long)number);
		json_t *t = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "id", tid,
			"account_id", aid, "kind", "credit", "amount_minor", (json_int_t)b->included,
			"currency", b->currency, "reason", reason, "actor", actor, "created_at",
			(json_int_t)now);
		free(tid);
		rc = t ? store_ledger_append(tx, t, b->included, "provider:credits") : STORE_ERROR;
		json_decref(t);
	}
	/* Mailed to the billing contacts in this transaction: the mail exists
	 * if and only if the invoice does. */
	int mailed = rc == STORE_OK ? invoice_mail_issued(tx, cfg, inv) : 0;
	if (mailed < 0)
		rc = STORE_ERROR;
	if (rc == STORE_OK) {
		audit_ctx_t who = { .who = NULL, .actor = actor, .source = "", .request_id = "" };
		char month[16];
		rc = fax_audit(tx, &who, "billing.invoice.issue", id, aid, "success",
			json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:i, s:b}", "number", (json_int_t)number,
				"period", month_label(start, month), "currency", b->currency, "pages",
				(json_int_t)b->pages, "included_pages", (json_int_t)b->included_pages,
				"total_minor", (json_int_t)total, "contacts", mailed, "mailed",
				cfg->mail_on)) == 0 ? STORE_OK : STORE_ERROR;
	}
	if (rc == STORE_OK)
		log_event(LOG_INFO, "billing.invoice_issued", "invoice=%s account=%s number=%lld"
			" currency=%s total_minor=%lld", id, aid, (long long)number, b->currency,
			(long long)total);
	json_decref(inv);
	free(id);
	return rc;
}

/* Invoices one account for the month in a transaction of its own: 1 when
 * invoices were written, 0 when there was nothing to bill (or it is
 * billed already), -1 on error. */
static int invoice_account(store_t *st, const dom_config_t *cfg, const char *account_id,
	int64_t start, int64_t end, const char *actor, int *crash, int *issued)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *account = store_account_get(tx, account_id, NULL);
	json_t *plan = store_plan_get(tx, account_id);
	json_t *rows = NULL;
	struct bill bills[4];
	int nbills = 0, rc = 0, written = 0;
	char cur[4];
	if (!account || (plan && strcmp(rec_str(plan, "kind"), "prepaid") == 0))
		goto out;
	billing_currency(cfg, account, cur);
	if (billing_settle(tx, cfg->fax, account_id, cur) != 0) {
		rc = -1;
		goto out;
	}
	rows = store_invoice_unbilled(tx, account_id, start, end);
	if (!rows) {
		rc = -1;
		goto out;
	}
	/* Included pages: the month's first pages, in the order of the calls. */
	int64_t free_left = plan ? (int64_t)json_integer_value(json_object_get(plan,
		"included_pages")) : 0;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		struct bill *b = bill_for(bills, &nbills, rec_str(r, "currency"));
		int64_t pages = (int64_t)json_integer_value(json_object_get(r, "pages"));
		int64_t amount = (int64_t)json_integer_value(json_object_get(r, "amount_minor"));
		if (!b || bill_add(b, pages, amount) != 0) {
			rc = -1;
			goto out;
		}
		json_array_append(b->seqs, json_object_get(r, "seq"));
		if (free_left > 0 && pages > 0) {
			int64_t n = pages < free_left ? pages : free_left;
			free_left -= n;
			b->included_pages += n;
			b->included += n == pages ? amount : n * (amount / pages);
		}
	}
	const char *lang = plan && *rec_str(plan, "invoice_lang") ? rec_str(plan, "invoice_lang")
		: "en";
	for (int k = 0; k < nbills && rc == 0; k++) {
		int w = write_invoice(tx, cfg, account, lang, start, end, &bills[k], actor, crash);
		if (w == STORE_CONFLICT) {
			/* Invoiced by a run that committed first: nothing of ours stays. */
			written = 0;
			break;
		}
		if (w != STORE_OK)
			rc = -1;
		else
			written++;
	}
out:
	for (int k = 0; k < nbills; k++)
		json_decref(bills[k].seqs);
	json_decref(rows);
	json_decref(plan);
	json_decref(account);
	if (rc == 0 && written > 0 && store_commit(tx) == STORE_OK) {
		*issued += written;
		return 1;
	}
	store_rollback(tx);
	if (rc != 0)
		log_event(LOG_ERROR, "billing.invoice_failed", "account=%s", account_id);
	return rc;
}

int invoice_run(store_t *st, const dom_config_t *cfg, int64_t month_start, const char *actor,
	int *issued)
{
	*issued = 0;
	int64_t end = invoice_month_next(month_start);
	store_tx_t *tx = store_begin(st, false);
	json_t *accounts = tx ? store_invoice_candidates(tx, month_start, end) : NULL;
	if (tx)
		store_rollback(tx);
	if (!accounts)
		return -1;
	int rc = 0, crash = 0;
	size_t i;
	json_t *a;
	json_array_foreach(accounts, i, a)
		if (invoice_account(st, cfg, rec_str(a, "account_id"), month_start, end, actor, &crash,
			issued) < 0)
			rc = -1;
	size_t n = json_array_size(accounts);
	json_decref(accounts);
	char month[16];
	log_event(LOG_INFO, "billing.invoice_run", "period=%s accounts=%zu issued=%d%s",
		month_label(month_start, month), n, *issued, rc ? " errors=yes" : "");
	return rc;
}

/* The start of the oldest finished month with a charge no invoice bills
 * yet (of an account that is not prepaid), at most CATCH_UP_MONTHS before
 * month; month itself when there is none. */
#define CATCH_UP_MONTHS 36
static int64_t oldest_unbilled_month(store_t *st, int64_t month)
{
	store_tx_t *tx = store_begin(st, false);
	json_t *r = tx ? store_invoice_oldest_unbilled(tx) : NULL;
	if (tx)
		store_rollback(tx);
	const json_t *t = json_object_get(r, "ended_at");
	int64_t from = json_is_integer(t) ? invoice_month_start((int64_t)json_integer_value(t))
		: month;
	json_decref(r);
	int64_t floor = month;
	for (int i = 0; i < CATCH_UP_MONTHS; i++)
		floor = invoice_month_start(floor - 1);
	return from < floor ? floor : from;
}

int invoice_pass(store_t *st, const dom_config_t *cfg, int64_t now, int64_t *last_month)
{
	int64_t month = invoice_month_start(now);
	int done = 0;
	if (*last_month != month) {
		/* Every finished month with something not invoiced yet, oldest
		 * first: the month that just ended, and those missed while the
		 * service was down (each run issues only what is missing). */
		int64_t m = oldest_unbilled_month(st, month);
		int64_t prev = invoice_month_start(month - 1);
		if (m > prev)
			m = prev;
		int err = 0;
		for (; m < month; m = invoice_month_next(m)) {
			int issued = 0;
			if (invoice_run(st, cfg, m, "system:billing", &issued) != 0)
				err = 1;
			done += issued;
		}
		if (!err)
			*last_month = month;
	}
	/* Then the reminders, the overdue invoices and the suspensions. */
	int d = invoice_dunning_pass(st, cfg, now);
	return done + (d > 0 ? d : 0);
}

/* ---- the API ---- */

int dom_invoice_run(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "period", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	const char *period = NULL;
	if (body_str(body, "period", true, &period, e) != 0)
		return -1;
	int64_t y, m;
	if (strlen(period) != 7 || period[4] != '-' || parse_i64z(period + 5, 1, 12, &m) != 0) {
		return dom_fail(e, "validation-failed", "period", "period must be a month, YYYY-MM");
	}
	char year[5];
	memcpy(year, period, 4);
	year[4] = '\0';
	if (parse_i64z(year, 2000, 9999, &y) != 0)
		return dom_fail(e, "validation-failed", "period", "period must be a month, YYYY-MM");
	struct tm tm = { .tm_year = (int)y - 1900, .tm_mon = (int)m - 1, .tm_mday = 1 };
	int64_t start = (int64_t)timegm(&tm) * 1000;
	if (invoice_month_next(start) > time_now_ms())
		return dom_fail(e, "invalid-state", "period", "the month %s has not ended yet", period);
	const char *actor = dom_actor_id(c);
	char who[128];
	snprintf(who, sizeof who, "%s", actor);
	if (dom_tx_pause(c, e) != 0)
		return -1;
	int issued = 0;
	int rc = invoice_run(c->store, c->cfg, start, who, &issued);
	if (dom_tx_resume(c, e) != 0)
		return -1;
	if (fax_audit_c(c, "billing.invoice.run", period, NULL, rc == 0 ? "success" : "failure",
		json_pack("{s:s, s:i}", "period", period, "issued", issued)) != 0)
		return dom_fail(e, "internal", "", "the run could not be audited");
	if (rc != 0)
		return dom_fail(e, "internal", "", "some invoices of %s could not be written (%d were)",
			period, issued);
	*out = json_pack("{s:s, s:i}", "period", period, "issued", issued);
	return 0;
}

static const char *status_of(const json_t *inv)
{
	return rec_str(inv, "status");
}

static json_t *money_json(int64_t minor)
{
	return json_integer(minor);
}

static json_t *invoice_json(const json_t *inv)
{
	char month[16];
	json_t *o = json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:O, s:O, s:o, s:o, s:o, s:o, s:o,"
		" s:s, s:o, s:o, s:o}", "id", rec_str(inv, "id"), "number",
		json_object_get(inv, "number"), "account_id", rec_str(inv, "account_id"), "period",
		month_label((int64_t)json_integer_value(json_object_get(inv, "period_start")), month),
		"currency", rec_str(inv, "currency"), "lang", rec_str(inv, "lang"), "pages",
		json_object_get(inv, "pages"), "included_pages", json_object_get(inv, "included_pages"),
		"subtotal_minor", money_json((int64_t)json_integer_value(json_object_get(inv,
			"subtotal_minor"))),
		"included_minor", money_json((int64_t)json_integer_value(json_object_get(inv,
			"included_minor"))),
		"total_minor", money_json((int64_t)json_integer_value(json_object_get(inv,
			"total_minor"))),
		"paid_minor", money_json((int64_t)json_integer_value(json_object_get(inv, "paid_minor"))),
		"due_minor", money_json((int64_t)json_integer_value(json_object_get(inv, "total_minor")) -
			(int64_t)json_integer_value(json_object_get(inv, "paid_minor"))),
		"status", status_of(inv), "issued_at", time_json(json_object_get(inv, "issued_at")),
		"due_at", time_json(json_object_get(inv, "due_at")), "paid_at",
		time_json(json_object_get(inv, "paid_at")));
	return o;
}

int dom_invoice_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	const char *aid = rec_str(account, "id");
	store_page_t pg;
	if (store_invoice_list(c->tx, aid, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the invoices could not be read");
	*out = page_json(&pg, invoice_json);
	return dom_read_audited(c, "billing.invoice.list", aid, aid, out, e);
}

static json_t *overdue_json(const json_t *inv)
{
	json_t *o = invoice_json(inv);
	json_object_set_new(o, "suspended_at", time_json(json_object_get(inv, "suspended_at")));
	return o;
}

int dom_invoice_overdue(dom_ctx_t *c, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	store_page_t pg;
	if (store_invoice_list_overdue(c->tx, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the invoices could not be read");
	*out = page_json(&pg, overdue_json);
	return dom_read_audited(c, "billing.overdue_invoices.list", "provider", NULL, out, e);
}

/* The invoice with its lines and payments (new reference), NULL with e. */
static json_t *invoice_full(store_tx_t *tx, const char *account_id, const char *invoice_id,
	dom_err_t *e)
{
	json_t *inv = store_invoice_get(tx, account_id, invoice_id);
	if (!inv) {
		dom_fail(e, "not-found", "", "no such invoice");
		return NULL;
	}
	json_t *lines = store_invoice_lines(tx, invoice_id);
	json_t *pays = store_invoice_payments(tx, invoice_id);
	if (!lines || !pays) {
		json_decref(inv);
		json_decref(lines);
		json_decref(pays);
		dom_fail(e, "internal", "", "the invoice could not be read");
		return NULL;
	}
	json_object_set_new(inv, "_lines", lines);
	json_object_set_new(inv, "_payments", pays);
	return inv;
}

static json_t *full_json(const json_t *inv)
{
	json_t *o = invoice_json(inv);
	json_t *lines = json_array(), *pays = json_array();
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(inv, "_lines"), i, l)
		json_array_append_new(lines, json_pack("{s:s, s:O, s:O, s:O}", "kind",
			rec_str(l, "kind"), "pages", json_object_get(l, "pages"), "unit_minor",
			json_object_get(l, "unit_minor"), "amount_minor", json_object_get(l, "amount_minor")));
	json_array_foreach(json_object_get(inv, "_payments"), i, l)
		json_array_append_new(pays, json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:o}", "id",
			rec_str(l, "id"), "amount_minor", json_object_get(l, "amount_minor"), "currency",
			rec_str(l, "currency"), "reference", rec_str(l, "reference"), "source",
			rec_str(l, "source"), "ledger_transaction", rec_str(l, "ledger_txn"), "created_at",
			time_json(json_object_get(l, "created_at"))));
	json_object_set_new(o, "lines", lines);
	json_object_set_new(o, "payments", pays);
	return o;
}

int dom_invoice_get(dom_ctx_t *c, const json_t *account, const char *invoice_id, json_t **out,
	dom_err_t *e)
{
	const char *aid = rec_str(account, "id");
	json_t *inv = invoice_full(c->tx, aid, invoice_id, e);
	if (!inv)
		return -1;
	*out = full_json(inv);
	json_decref(inv);
	return dom_read_audited(c, "billing.invoice.read", invoice_id, aid, out, e);
}

/* ---- payments ---- */

#define REFERENCE_MAX 200
#define AMOUNT_MAX 1000000000000LL

/* Records a payment of amount in currency on inv (a record) in tx by who
 * (source "operator" or "webhook:NAME"): the ledger, the payment, the
 * invoice's paid amount and status, the audit event.
 * *out {payment, invoice}. 0, or -1 with e. */
static int payment_apply(store_tx_t *tx, const dom_config_t *cfg, const audit_ctx_t *who,
	const char *actor, const json_t *inv, int64_t amount, const char *currency,
	const char *reference, const char *source, json_t **out, dom_err_t *e)
{
	const char *iid = rec_str(inv, "id"), *aid = rec_str(inv, "account_id");
	long long number = (long long)json_integer_value(json_object_get(inv, "number"));
	int64_t total = (int64_t)json_integer_value(json_object_get(inv, "total_minor"));
	int64_t paid = (int64_t)json_integer_value(json_object_get(inv, "paid_minor"));
	const char *cur = rec_str(inv, "currency");
	char a[32], b[32];
	if (strcmp(rec_str(inv, "status"), "paid") == 0)
		return dom_fail(e, "invalid-state", "", "invoice %lld is paid already", number);
	if (currency && strcmp(currency, cur) != 0)
		return dom_fail(e, "validation-failed", "currency", "invoice %lld is in %s, not %s",
			number, cur, currency);
	if (amount > total - paid)
		return dom_fail(e, "invalid-state", "amount_minor",
			"a payment of %s %s exceeds the %s %s due on invoice %lld",
			money_decimal(amount, cur, a, sizeof a), cur,
			money_decimal(total - paid, cur, b, sizeof b), cur, number);
	int64_t now = time_now_ms();
	char *tid = sec_new_id("ltx"), *pid = sec_new_id("pay"), reason[REFERENCE_MAX + 64];
	snprintf(reason, sizeof reason, "payment of invoice %lld: %s", number, reference);
	json_t *t = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "id", tid, "account_id",
		aid, "kind", "topup", "amount_minor", (json_int_t)amount, "currency", cur, "reason",
		reason, "actor", actor, "created_at", (json_int_t)now);
	json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:I}", "id", pid,
		"invoice_id", iid, "account_id", aid, "amount_minor", (json_int_t)amount, "currency",
		cur, "reference", reference, "source", source, "ledger_txn", tid, "created_at",
		(json_int_t)now);
	bool full = paid + amount == total;
	json_t *upd = full ? json_pack("{s:I, s:s, s:I}", "paid_minor", (json_int_t)(paid + amount),
		"status", "paid", "paid_at", (json_int_t)now)
		: json_pack("{s:I}", "paid_minor", (json_int_t)(paid + amount));
	int rc = t && p && upd ? store_ledger_append(tx, t, amount, "provider:cash") : STORE_ERROR;
	if (rc == STORE_OK)
		rc = store_invoice_payment_insert(tx, p);
	if (rc == STORE_OK)
		rc = store_invoice_update(tx, iid, upd);
	if (rc == STORE_OK)
		rc = fax_audit(tx, who, "billing.payment", iid, aid, "success",
			json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:b}", "number", (json_int_t)number,
				"payment", pid, "amount_minor", (json_int_t)amount, "currency", cur,
				"reference", reference, "source", source, "paid", full)) == 0
			? STORE_OK : STORE_ERROR;
	/* Paid: the suspension of sending it caused ends. */
	if (rc == STORE_OK && full && invoice_hold_after_payment(tx, cfg, who, inv) != 0)
		rc = STORE_ERROR;
	free(tid);
	free(pid);
	json_decref(t);
	json_decref(upd);
	if (rc != STORE_OK) {
		json_decref(p);
		return dom_fail(e, "internal", "", "the payment could not be recorded");
	}
	json_t *after = store_invoice_get(tx, aid, iid);
	json_object_del(p, "account_id");
	json_object_del(p, "invoice_id");
	json_object_set_new(p, "ledger_transaction", json_string(rec_str(p, "ledger_txn")));
	json_object_del(p, "ledger_txn");
	json_object_set_new(p, "created_at", time_json(json_object_get(p, "created_at")));
	*out = json_pack("{s:o, s:o}", "payment", p, "invoice", after ? invoice_json(after)
		: json_null());
	json_decref(after);
	return 0;
}

/* A one-line reference of 1 to REFERENCE_MAX bytes. */
static int check_reference(const char *ref, dom_err_t *e)
{
	size_t n = strlen(ref);
	if (n == 0 || n > REFERENCE_MAX)
		return dom_fail(e, "validation-failed", "reference", "reference must be 1 to %d characters",
			REFERENCE_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ref[i] < 0x20 || ref[i] == 0x7f)
			return dom_fail(e, "validation-failed", "reference",
				"reference must be one line of text");
	return 0;
}

int dom_invoice_payment(dom_ctx_t *c, const json_t *account, const char *invoice_id,
	const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "amount_minor", "reference", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	const char *ref = NULL;
	const json_t *amt = json_object_get(body, "amount_minor");
	if (!json_is_integer(amt) || json_integer_value(amt) < 1 ||
	    json_integer_value(amt) > AMOUNT_MAX)
		return dom_fail(e, "validation-failed", "amount_minor",
			"amount_minor must be an integer from 1 to %lld", AMOUNT_MAX);
	if (body_str(body, "reference", true, &ref, e) != 0 || check_reference(ref, e) != 0)
		return -1;
	json_t *inv = store_invoice_get(c->tx, rec_str(account, "id"), invoice_id);
	if (!inv)
		return dom_fail(e, "not-found", "", "no such invoice");
	audit_ctx_t who = { .who = c->who, .actor = c->actor, .source = c->source,
		.request_id = c->request_id };
	int rc = payment_apply(c->tx, c->cfg, &who, dom_actor_id(c), inv,
		(int64_t)json_integer_value(amt), NULL, ref, "operator", out, e);
	json_decref(inv);
	return rc;
}

int dom_payment_webhook(dom_ctx_t *c, const payment_hook_t *h, const json_t *body,
	json_t **out, dom_err_t *e)
{
	const dom_config_t *cfg = c->cfg;
	if (!cfg->payment_provider || !cfg->payment_secret ||
	    strcmp(h->provider, cfg->payment_provider) != 0)
		return dom_fail(e, "not-found", "", "no such payment provider");
	int64_t ts;
	if (!h->id || !h->timestamp || !h->signature || !*h->id || strlen(h->id) > 128)
		return dom_fail(e, "invalid-signature", "", "the webhook-id, webhook-timestamp and"
			" webhook-signature headers are required");
	if (parse_i64z(h->timestamp, 0, INT64_MAX / 1000, &ts) != 0)
		return dom_fail(e, "invalid-signature", "", "webhook-timestamp must be seconds since"
			" 1970");
	char want[WEBHOOK_SIG_MAX];
	char *text = xmalloc(h->len + 1);
	memcpy(text, h->body, h->len);
	text[h->len] = '\0';
	int sr = webhook_sign(cfg->payment_secret, h->id, ts, text, h->len, want);
	free(text);
	if (sr != 0 || !webhook_signature_matches(h->signature, strlen(h->signature), want)) {
		log_event(LOG_WARN, "billing.webhook_refused", "provider=%s reason=signature",
			h->provider);
		return dom_fail(e, "invalid-signature", "", "the webhook's signature does not match");
	}
	int64_t now = time_now_ms() / 1000, tol = cfg->payment_tolerance_s > 0
		? cfg->payment_tolerance_s : 300;
	if (ts < now - tol || ts > now + tol) {
		log_event(LOG_WARN, "billing.webhook_refused", "provider=%s reason=timestamp",
			h->provider);
		return dom_fail(e, "invalid-signature", "", "the webhook's timestamp is more than %lld"
			" seconds away from the service's clock", (long long)tol);
	}
	int rc = store_webhook_event_claim(c->tx, h->provider, h->id, now * 1000);
	if (rc == STORE_CONFLICT) {
		log_event(LOG_WARN, "billing.webhook_refused", "provider=%s reason=replay",
			h->provider);
		return dom_fail(e, "webhook-replayed", "", "an event with this webhook-id was recorded before; it is not recorded twice");
	}
	if (rc != STORE_OK)
		return dom_fail(e, "internal", "", "the event could not be recorded");
	const char *type = json_string_value(json_object_get(body, "type"));
	if (!type || strcmp(type, "payment.succeeded") != 0) {
		*out = json_pack("{s:s, s:s}", "event", h->id, "status", "ignored");
		return 0;
	}
	const json_t *d = json_object_get(body, "data");
	const char *iid = json_string_value(json_object_get(d, "invoice_id"));
	const char *cur = json_string_value(json_object_get(d, "currency"));
	const char *ref = json_string_value(json_object_get(d, "reference"));
	const json_t *amt = json_object_get(d, "amount_minor");
	if (!iid || !cur || !ref || !json_is_integer(amt) || json_integer_value(amt) < 1 ||
	    json_integer_value(amt) > AMOUNT_MAX)
		return dom_fail(e, "validation-failed", "data", "a payment.succeeded event needs data"
			" {invoice_id, amount_minor, currency, reference}");
	if (check_reference(ref, e) != 0)
		return -1;
	json_t *inv = store_invoice_get(c->tx, NULL, iid);
	if (!inv)
		return dom_fail(e, "not-found", "", "no such invoice");
	char actor[64], source[64];
	snprintf(actor, sizeof actor, "webhook:%s", h->provider);
	snprintf(source, sizeof source, "webhook:%s", h->provider);
	audit_ctx_t who = { .who = NULL, .actor = actor, .source = c->source,
		.request_id = c->request_id };
	json_t *res = NULL;
	rc = payment_apply(c->tx, cfg, &who, actor, inv, (int64_t)json_integer_value(amt), cur, ref,
		source, &res, e);
	json_decref(inv);
	if (rc != 0)
		return -1;
	json_decref(res);
	*out = json_pack("{s:s, s:s}", "event", h->id, "status", "recorded");
	return 0;
}

/* ---- the PDF ---- */

/* The labels of the document, English then French. */
enum lbl { L_TITLE, L_NUMBER, L_ACCOUNT, L_PERIOD, L_ISSUED, L_DUE, L_DESC, L_PAGES, L_UNIT,
	L_AMOUNT, L_LINE_PAGES, L_LINE_INCLUDED, L_SUBTOTAL, L_INCLUDED, L_TOTAL, L_PAID, L_LEFT,
	L_STATUS, L_ISSUED_S, L_OVERDUE_S, L_PAID_S, L_CURRENCY, L_NOTE, L_COUNT };
static const char *const labels[L_COUNT][2] = {
	[L_TITLE] = { "Invoice", "Facture" },
	[L_NUMBER] = { "Invoice number", "Numéro de facture" },
	[L_ACCOUNT] = { "Account", "Compte" },
	[L_PERIOD] = { "Period", "Période" },
	[L_ISSUED] = { "Date of issue", "Date d'émission" },
	[L_DUE] = { "Due date", "Date d'échéance" },
	[L_DESC] = { "Description", "Désignation" },
	[L_PAGES] = { "Pages", "Pages" },
	[L_UNIT] = { "Price per page", "Prix par page" },
	[L_AMOUNT] = { "Amount", "Montant" },
	[L_LINE_PAGES] = { "Fax pages sent", "Pages de fax envoyées" },
	[L_LINE_INCLUDED] = { "Pages included in the plan", "Pages incluses dans la formule" },
	[L_SUBTOTAL] = { "Subtotal", "Sous-total" },
	[L_INCLUDED] = { "Included pages", "Pages incluses" },
	[L_TOTAL] = { "Total", "Total" },
	[L_PAID] = { "Paid", "Payé" },
	[L_LEFT] = { "Amount due", "Reste à payer" },
	[L_STATUS] = { "Status", "Statut" },
	[L_ISSUED_S] = { "issued", "émise" },
	[L_OVERDUE_S] = { "overdue", "en retard" },
	[L_PAID_S] = { "paid", "payée" },
	[L_CURRENCY] = { "Amounts in", "Montants en" },
	[L_NOTE] = { "Fax pages of the calls that ended in the period, as recorded in the call"
		" detail records.", "Pages de fax des appels terminés pendant la période, d'après"
		" les relevés d'appels." },
};

/* An amount with the currency's digits, a decimal comma in French. */
static const char *amount_s(int64_t minor, const char *currency, bool fr, char *out, size_t n)
{
	money_decimal(minor, currency, out, n);
	if (fr)
		for (char *p = out; *p; p++)
			if (*p == '.')
				*p = ',';
	return out;
}

/* A date: 2026-12-01 in English, 01/12/2026 in French. */
static const char *date_s(int64_t ms, bool fr, char *out, size_t n)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	if (fr)
		snprintf(out, n, "%02d/%02d/%04d", tm.tm_mday % 100, (tm.tm_mon + 1) % 100, (tm.tm_year + 1900) % 10000);
	else
		snprintf(out, n, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
	return out;
}

unsigned char *invoice_render_pdf(const json_t *inv, const char *name, const char *lang,
	size_t *len)
{
	int L = lang && strcmp(lang, "fr") == 0 ? 1 : 0;
	bool fr = L == 1;
	const char *cur = rec_str(inv, "currency");
	char a[48], b[48], t[256];
	textpdf_t *w = textpdf_new();
	double y = 780;
	snprintf(t, sizeof t, "%s %s %lld", labels[L_TITLE][L], fr ? "n°" : "no.",
		(long long)json_integer_value(json_object_get(inv, "number")));
	textpdf_text(w, 50, y, TEXTPDF_BOLD, 20, t);
	y -= 40;
	struct { enum lbl l; const char *v; } head[6];
	char num[32], period[128], issued[32], due[32];
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(inv, "number")));
	int64_t ps = (int64_t)json_integer_value(json_object_get(inv, "period_start"));
	int64_t pe = (int64_t)json_integer_value(json_object_get(inv, "period_end"));
	snprintf(period, sizeof period, "%s %s %s", date_s(ps, fr, a, sizeof a), fr ? "au" : "to",
		date_s(pe - DAY_MS, fr, b, sizeof b));
	date_s((int64_t)json_integer_value(json_object_get(inv, "issued_at")), fr, issued, sizeof issued);
	date_s((int64_t)json_integer_value(json_object_get(inv, "due_at")), fr, due, sizeof due);
	const char *st = rec_str(inv, "status");
	head[0].l = L_NUMBER, head[0].v = num;
	head[1].l = L_ACCOUNT, head[1].v = name;
	head[2].l = L_PERIOD, head[2].v = period;
	head[3].l = L_ISSUED, head[3].v = issued;
	head[4].l = L_DUE, head[4].v = due;
	head[5].l = L_STATUS, head[5].v = labels[strcmp(st, "paid") == 0 ? L_PAID_S
		: strcmp(st, "overdue") == 0 ? L_OVERDUE_S : L_ISSUED_S][L];
	for (int i = 0; i < 6; i++, y -= 16) {
		snprintf(t, sizeof t, "%s%s:", labels[head[i].l][L], fr ? "\xC2\xA0" : "");
		textpdf_text(w, 50, y, TEXTPDF_BOLD, 10, t);
		textpdf_text(w, 170, y, TEXTPDF_REGULAR, 10, head[i].v);
	}
	y -= 10;
	snprintf(t, sizeof t, "%s %s", labels[L_CURRENCY][L], cur);
	textpdf_text(w, 50, y, TEXTPDF_REGULAR, 9, t);
	y -= 24;
	textpdf_text(w, 50, y, TEXTPDF_BOLD, 10, labels[L_DESC][L]);
	textpdf_text(w, 290, y, TEXTPDF_BOLD, 10, labels[L_PAGES][L]);
	textpdf_text(w, 360, y, TEXTPDF_BOLD, 10, labels[L_UNIT][L]);
	textpdf_text(w, 480, y, TEXTPDF_BOLD, 10, labels[L_AMOUNT][L]);
	y -= 18;
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(inv, "_lines"), i, l) {
		if (y < 120) {
			textpdf_page(w);
			y = 780;
		}
		bool incl = strcmp(rec_str(l, "kind"), "included") == 0;
		textpdf_text(w, 50, y, TEXTPDF_REGULAR, 10, labels[incl ? L_LINE_INCLUDED : L_LINE_PAGES][L]);
		snprintf(t, sizeof t, "%lld", (long long)json_integer_value(json_object_get(l, "pages")));
		textpdf_text_right(w, 340, y, 10, t);
		if (!incl)
			textpdf_text_right(w, 450, y, 10, amount_s((int64_t)json_integer_value(
				json_object_get(l, "unit_minor")), cur, fr, a, sizeof a));
		textpdf_text_right(w, 545, y, 10, amount_s((int64_t)json_integer_value(
			json_object_get(l, "amount_minor")), cur, fr, a, sizeof a));
		y -= 16;
	}
	y -= 10;
	int64_t total = (int64_t)json_integer_value(json_object_get(inv, "total_minor"));
	int64_t paid = (int64_t)json_integer_value(json_object_get(inv, "paid_minor"));
	struct { enum lbl l; int64_t v; } sums[] = {
		{ L_SUBTOTAL, (int64_t)json_integer_value(json_object_get(inv, "subtotal_minor")) },
		{ L_INCLUDED, -(int64_t)json_integer_value(json_object_get(inv, "included_minor")) },
		{ L_TOTAL, total }, { L_PAID, paid }, { L_LEFT, total - paid },
	};
	for (size_t k = 0; k < sizeof sums / sizeof sums[0]; k++, y -= 16) {
		snprintf(t, sizeof t, "%s%s:", labels[sums[k].l][L], fr ? "\xC2\xA0" : "");
		textpdf_text(w, 330, y, sums[k].l == L_TOTAL || sums[k].l == L_LEFT ? TEXTPDF_BOLD
			: TEXTPDF_REGULAR, 10, t);
		snprintf(t, sizeof t, "%s %s", amount_s(sums[k].v, cur, fr, a, sizeof a), cur);
		textpdf_text_right(w, 545, y, 10, t);
	}
	y -= 20;
	textpdf_text(w, 50, y, TEXTPDF_REGULAR, 8, labels[L_NOTE][L]);
	snprintf(t, sizeof t, "%s %s", labels[L_TITLE][L], num);
	unsigned char *pdf = textpdf_finish(w, t, len);
	textpdf_free(w);
	return pdf;
}

static const char *account_name_of(store_tx_t *tx, const char *account_id, char *out, size_t n)
{
	json_t *acc = store_account_get(tx, account_id, NULL);
	snprintf(out, n, "%s", acc ? rec_str(acc, "name") : account_id);
	json_decref(acc);
	return out;
}

int dom_invoice_pdf(dom_ctx_t *c, const json_t *account, const char *invoice_id,
	const char *lang, unsigned char **pdf, size_t *len, dom_err_t *e)
{
	const char *aid = rec_str(account, "id");
	json_t *inv = invoice_full(c->tx, aid, invoice_id, e);
	if (!inv)
		return -1;
	char l[3];
	snprintf(l, sizeof l, "%s", lang && (strcmp(lang, "en") == 0 || strcmp(lang, "fr") == 0)
		? lang : strcmp(rec_str(inv, "lang"), "fr") == 0 ? "fr" : "en");
	lang = l;
	*pdf = invoice_render_pdf(inv, rec_str(account, "name"), lang, len);
	json_decref(inv);
	if (!*pdf)
		return dom_fail(e, "internal", "", "the invoice could not be made into a PDF");
	json_t *ev = json_pack("{s:s, s:s}", "format", "pdf", "lang", lang);
	int rc = dom_audit(c, "billing.invoice.read", invoice_id, aid, "success", ev);
	json_decref(ev);
	if (rc != 0) {
		free(*pdf);
		*pdf = NULL;
		return dom_fail(e, "internal", "", "the read could not be recorded");
	}
	return 0;
}

int invoice_pdf_for_mail(store_t *st, const char *account_id, const char *invoice_id,
	unsigned char **pdf, size_t *len)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	dom_err_t e = { 0 };
	json_t *inv = invoice_full(tx, account_id, invoice_id, &e);
	char name[256];
	account_name_of(tx, account_id, name, sizeof name);
	store_rollback(tx);
	if (!inv)
		return strcmp(e.kind, "not-found") == 0 ? 1 : -1;
	*pdf = invoice_render_pdf(inv, name, rec_str(inv, "lang"), len);
	json_decref(inv);
	return *pdf ? 0 : -1;
}
