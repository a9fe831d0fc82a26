/* What follows an invoice (see invoices.h): its mail to the billing
 * contacts, the reminder before its due date, the overdue notice, the
 * suspension of sending and its end on payment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dom_util.h"
#include "fax/fax.h"
#include "billing.h"
#include "log.h"
#include "notify/notify.h"
#include "money.h"
#include "store_invoices.h"
#include "timeutil.h"

#define DAY_MS 86400000LL

static const audit_ctx_t billing_actor = { .who = NULL, .actor = "system:billing",
	.source = "", .request_id = "" };

/* An amount with its currency, a decimal comma in French. */
static void amount_txt(int64_t minor, const char *currency, bool fr, char *out, size_t n)
{
	char a[48];
	money_decimal(minor, currency, a, sizeof a);
	if (fr)
		for (char *p = a; *p; p++)
			if (*p == '.')
				*p = ',';
	snprintf(out, n, "%s %s", a, currency);
}

/* A date: 2026-12-01 in English, 01/12/2026 in French. */
static void date_txt(int64_t ms, bool fr, char *out, size_t n)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	int y = (tm.tm_year + 1900) % 10000, m = (tm.tm_mon + 1) % 100, d = tm.tm_mday % 100;
	if (fr)
		snprintf(out, n, "%02d/%02d/%04d", d, m, y);
	else
		snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

static int64_t inv_int(const json_t *inv, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(inv, k));
}

/* The parameters of a mail about inv (a record): account, account_id,
 * invoice_id, number, period, total, left, due_at, and the non-payment
 * policy in both languages. New reference. */
static json_t *inv_params(store_tx_t *tx, const dom_config_t *cfg, const json_t *inv)
{
	bool fr = strcmp(rec_str(inv, "lang"), "fr") == 0;
	const char *cur = rec_str(inv, "currency");
	char total[64], left[64], due[32], period[16], susp_en[32], susp_fr[32];
	amount_txt(inv_int(inv, "total_minor"), cur, fr, total, sizeof total);
	amount_txt(inv_int(inv, "total_minor") - inv_int(inv, "paid_minor"), cur, fr, left,
		sizeof left);
	date_txt(inv_int(inv, "due_at"), fr, due, sizeof due);
	time_t ps = (time_t)(inv_int(inv, "period_start") / 1000);
	struct tm tm;
	gmtime_r(&ps, &tm);
	snprintf(period, sizeof period, "%04d-%02d", (tm.tm_year + 1900) % 10000,
		(tm.tm_mon + 1) % 100);
	json_t *acc = store_account_get(tx, rec_str(inv, "account_id"), NULL);
	char policy_en[256], policy_fr[256];
	int days = cfg->suspend_after_days;
	if (days > 0) {
		int64_t at = inv_int(inv, "due_at") + days * DAY_MS;
		date_txt(at, false, susp_en, sizeof susp_en);
		date_txt(at, true, susp_fr, sizeof susp_fr);
		snprintf(policy_en, sizeof policy_en, "If it is still unpaid on %s, the account's "
			"sending of faxes will be suspended until it is paid.", susp_en);
		snprintf(policy_fr, sizeof policy_fr, "Si elle est encore impayée le %s, l'envoi de "
			"fax du compte sera suspendu jusqu'à son paiement.", susp_fr);
	} else {
		snprintf(policy_en, sizeof policy_en, "Please pay it as soon as you can.");
		snprintf(policy_fr, sizeof policy_fr, "Merci de la régler dès que possible.");
	}
	json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "account",
		acc ? rec_str(acc, "name") : rec_str(inv, "account_id"), "account_id",
		rec_str(inv, "account_id"), "invoice_id", rec_str(inv, "id"), "number",
		(json_int_t)inv_int(inv, "number"), "period", period, "total", total, "left", left,
		"due_at", due, "policy_en", policy_en, "policy_fr", policy_fr);
	json_decref(acc);
	return p;
}

/* Mails kind about inv to the account's billing contacts (active members
 * with the billing role), or its owner when it has none, through the outbox
 * in tx, in the invoice's language. How many recipients, or -1. */
static int mail_invoice(store_tx_t *tx, const dom_config_t *cfg, const json_t *inv,
	const char *kind)
{
	json_t *members = store_members_all(tx, rec_str(inv, "account_id"));
	json_t *params = members ? inv_params(tx, cfg, inv) : NULL;
	if (!params) {
		json_decref(members);
		return -1;
	}
	int sent = 0, rc = 0;
	for (int pass = 0; pass < 2 && sent == 0 && rc == 0; pass++) {
		const char *role = pass == 0 ? "billing" : "owner";
		size_t i;
		json_t *m;
		json_array_foreach(members, i, m) {
			if (strcmp(rec_str(m, "status"), "active") != 0 ||
			    strcmp(rec_str(m, "role"), role) != 0)
				continue;
			/* The invoice's language, not the member's. */
			json_t *to = json_deep_copy(m);
			json_object_del(to, "lang");
			json_object_set_new(params, "name", json_string(rec_str(m, "name")));
			if (!to || mail_queue_tx(tx, cfg->fax, cfg->mail_on, kind, to,
				rec_str(inv, "lang"), params, NULL) != 0)
				rc = -1;
			json_decref(to);
			sent++;
		}
	}
	json_decref(params);
	json_decref(members);
	return rc == 0 ? sent : -1;
}

int invoice_mail_issued(store_tx_t *tx, const dom_config_t *cfg, const json_t *inv)
{
	return mail_invoice(tx, cfg, inv, MAIL_KIND_INVOICE_ISSUED);
}

/* One step of the non-payment policy on invoice (id) in its own
 * transaction. */
enum step { STEP_REMIND, STEP_OVERDUE, STEP_SUSPEND };

static int step(store_t *st, const dom_config_t *cfg, const char *invoice_id, enum step s,
	int64_t now)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *inv = store_invoice_get(tx, NULL, invoice_id);
	int rc = inv ? STORE_OK : STORE_NOTFOUND;
	const char *action = s == STEP_REMIND ? "billing.invoice.reminder"
		: s == STEP_OVERDUE ? "billing.invoice.overdue" : "billing.suspend";
	const char *kind = s == STEP_REMIND ? MAIL_KIND_INVOICE_REMINDER
		: s == STEP_OVERDUE ? MAIL_KIND_INVOICE_OVERDUE : MAIL_KIND_BILLING_SUSPENDED;
	const char *aid = inv ? rec_str(inv, "account_id") : "";
	/* Each step once: the claim changes a row only the first time. */
	if (rc == STORE_OK && s == STEP_REMIND)
		rc = store_invoice_claim(tx, invoice_id, "reminded_before_at", "issued", NULL, now);
	else if (rc == STORE_OK && s == STEP_OVERDUE)
		rc = store_invoice_claim(tx, invoice_id, "reminded_after_at", "issued", "overdue", now);
	else if (rc == STORE_OK)
		rc = strcmp(rec_str(inv, "status"), "overdue") == 0
			? store_billing_hold_put(tx, aid, invoice_id, now) : STORE_NOTFOUND;
	if (rc == STORE_OK && s == STEP_OVERDUE)
		json_object_set_new(inv, "status", json_string("overdue"));
	int sent = rc == STORE_OK ? mail_invoice(tx, cfg, inv, kind) : 0;
	if (sent < 0)
		rc = STORE_ERROR;
	if (rc == STORE_OK)
		rc = fax_audit(tx, &billing_actor, action, invoice_id, aid, "success",
			json_pack("{s:I, s:I, s:I, s:i, s:b}", "number", (json_int_t)inv_int(inv, "number"),
				"due_at", (json_int_t)inv_int(inv, "due_at"), "left_minor",
				(json_int_t)(inv_int(inv, "total_minor") - inv_int(inv, "paid_minor")),
				"contacts", sent, "mailed", cfg->mail_on)) == 0 ? STORE_OK : STORE_ERROR;
	if (rc == STORE_OK && store_commit(tx) == STORE_OK) {
		log_event(LOG_INFO, s == STEP_SUSPEND ? "billing.suspended" : "billing.invoice_step",
			"invoice=%s account=%s step=%s", invoice_id, aid, action);
		json_decref(inv);
		return 1;
	}
	if (tx)
		store_rollback(tx);
	json_decref(inv);
	if (rc == STORE_NOTFOUND)
		return 0; /* done by another pass, or nothing to do */
	log_event(LOG_ERROR, "billing.step_failed", "invoice=%s step=%s", invoice_id, action);
	return -1;
}

/* Runs step s on the ids of rows (borrowed). How many were done. */
static int steps(store_t *st, const dom_config_t *cfg, const json_t *rows, enum step s,
	int64_t now)
{
	int n = 0;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		if (step(st, cfg, rec_str(r, "id"), s, now) > 0)
			n++;
	return n;
}

int invoice_dunning_pass(store_t *st, const dom_config_t *cfg, int64_t now)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	int before = cfg->reminder_before_days, after = cfg->suspend_after_days;
	json_t *remind = before > 0 ? store_invoice_to_remind(tx, now, now + before * DAY_MS)
		: json_array();
	json_t *late = store_invoice_past_due(tx, now);
	store_rollback(tx);
	int n = 0;
	if (remind)
		n += steps(st, cfg, remind, STEP_REMIND, now);
	if (late)
		n += steps(st, cfg, late, STEP_OVERDUE, now);
	json_decref(remind);
	json_decref(late);
	if (after > 0) {
		tx = store_begin(st, false);
		json_t *susp = tx ? store_invoice_to_suspend(tx, now - after * DAY_MS, NULL) : NULL;
		if (tx)
			store_rollback(tx);
		if (susp)
			n += steps(st, cfg, susp, STEP_SUSPEND, now);
		json_decref(susp);
	}
	return n;
}

int invoice_hold_after_payment(store_tx_t *tx, const dom_config_t *cfg,
	const audit_ctx_t *who, const json_t *inv)
{
	const char *aid = rec_str(inv, "account_id"), *iid = rec_str(inv, "id");
	json_t *hold = store_billing_hold_get(tx, aid);
	if (!hold || strcmp(rec_str(hold, "invoice_id"), iid) != 0) {
		json_decref(hold);
		return 0;
	}
	json_decref(hold);
	if (store_billing_hold_delete(tx, aid) != STORE_OK)
		return -1;
	/* Another invoice of the account past the grace period keeps it held. */
	int64_t now = time_now_ms();
	int days = cfg ? cfg->suspend_after_days : 0;
	json_t *other = days > 0 ? store_invoice_to_suspend(tx, now - days * DAY_MS, aid) : json_array();
	if (!other)
		return -1;
	json_t *next = NULL;
	size_t i;
	json_t *r;
	json_array_foreach(other, i, r)
		if (strcmp(rec_str(r, "id"), iid) != 0 && !next)
			next = r;
	int rc = 0;
	if (next) {
		rc = store_billing_hold_put(tx, aid, rec_str(next, "id"), now) == STORE_OK ? 0 : -1;
		if (rc == 0)
			rc = fax_audit(tx, who, "billing.suspend", rec_str(next, "id"), aid, "success",
				json_pack("{s:I, s:s, s:s}", "number", (json_int_t)inv_int(next, "number"),
					"paid_invoice", iid, "reason", "another invoice is unpaid"));
		json_decref(other);
		return rc;
	}
	json_decref(other);
	json_t *paid = rc == 0 ? json_deep_copy(inv) : NULL;
	if (paid)
		json_object_set_new(paid, "paid_minor", json_integer(inv_int(inv, "total_minor")));
	int sent = paid && cfg ? mail_invoice(tx, cfg, paid, MAIL_KIND_BILLING_REACTIVATED) : 0;
	json_decref(paid);
	if (rc == 0 && sent < 0)
		rc = -1;
	if (rc == 0)
		rc = fax_audit(tx, who, "billing.reactivate", iid, aid, "success",
			json_pack("{s:I, s:i, s:b}", "number", (json_int_t)inv_int(inv, "number"),
				"contacts", sent, "mailed", cfg && cfg->mail_on));
	if (rc == 0)
		log_event(LOG_INFO, "billing.reactivated", "account=%s invoice=%s", aid, iid);
	return rc;
}

int dom_invoice_check_outbound(dom_ctx_t *c, const char *account_id, dom_err_t *e)
{
	json_t *hold = store_billing_hold_get(c->tx, account_id);
	if (!hold)
		return 0;
	json_t *inv = store_invoice_get(c->tx, account_id, rec_str(hold, "invoice_id"));
	char left[64] = "", due[32] = "";
	if (inv) {
		amount_txt(inv_int(inv, "total_minor") - inv_int(inv, "paid_minor"),
			rec_str(inv, "currency"), false, left, sizeof left);
		date_txt(inv_int(inv, "due_at"), false, due, sizeof due);
	}
	int rc = dom_fail(e, "account-suspended-nonpayment", "", "sending faxes is suspended: "
		"invoice %lld, due on %s, is unpaid (%s); sending resumes once it is paid. Receiving "
		"faxes and reading them go on", inv ? (long long)inv_int(inv, "number") : 0LL, due,
		left);
	json_decref(inv);
	json_decref(hold);
	return rc;
}
