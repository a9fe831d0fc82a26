/* SQL of the billing area (see store_billing.h), in the subset both backends accept. */
#include <stdint.h>
#include <stdio.h>

#include "store_billing.h"

#include "store_int.h"

static int64_t sum_of(json_t *row, int *ok)
{
	*ok = row != NULL;
	int64_t v = row ? (int64_t)json_integer_value(json_object_get(row, "s")) : 0;
	json_decref(row);
	return v;
}

json_t *store_plan_get(store_tx_t *tx, const char *account_id)
{
	return sq_one(tx, "SELECT account_id, kind, included_pages, low_balance_minor, updated_at,"
		" quota_account_day, quota_account_month, quota_user_day, quota_user_month,"
		" invoice_lang FROM billing_plans WHERE account_id=?", "s", account_id);
}

int64_t store_ledger_reserved(store_tx_t *tx, const char *account_id, const char *currency,
	const char *except_fax_id, int *ok)
{
	return sum_of(sq_one(tx, "SELECT COALESCE(SUM((estimated_cost / page_count) *"
		" CASE WHEN page_count > pages_confirmed THEN page_count - pages_confirmed ELSE 0 END),"
		" 0) AS s FROM faxes WHERE account_id=?"
		" AND currency=? AND direction='outbound' AND status IN ('rendering', 'queued', 'sending')"
		" AND page_count > 0 AND id != COALESCE(?, '')", "sss", account_id, currency,
		except_fax_id), ok);
}

int store_plan_put(store_tx_t *tx, const json_t *p)
{
	return sq_exec(tx, false, "INSERT INTO billing_plans (account_id, kind, included_pages,"
		" low_balance_minor, updated_at, quota_account_day, quota_account_month, quota_user_day,"
		" quota_user_month, invoice_lang) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (account_id) DO UPDATE"
		" SET kind=excluded.kind, included_pages=excluded.included_pages,"
		" low_balance_minor=excluded.low_balance_minor, updated_at=excluded.updated_at,"
		" quota_account_day=excluded.quota_account_day,"
		" quota_account_month=excluded.quota_account_month,"
		" quota_user_day=excluded.quota_user_day, quota_user_month=excluded.quota_user_month,"
		" invoice_lang=excluded.invoice_lang",
		"jjjjjjjjjj", json_object_get(p, "account_id"), json_object_get(p, "kind"),
		json_object_get(p, "included_pages"), json_object_get(p, "low_balance_minor"),
		json_object_get(p, "updated_at"), json_object_get(p, "quota_account_day"),
		json_object_get(p, "quota_account_month"), json_object_get(p, "quota_user_day"),
		json_object_get(p, "quota_user_month"), json_object_get(p, "invoice_lang"));
}

int64_t store_pages_sent(store_tx_t *tx, const char *account_id, const char *user_id,
	int64_t since, int *ok)
{
	return sum_of(sq_one(tx, "SELECT COALESCE(SUM(page_count), 0) AS s FROM faxes"
		" WHERE account_id=? AND direction='outbound' AND created_at >= ?"
		" AND (? IS NULL OR user_id=?)", "siss", account_id, since, user_id, user_id), ok);
}

int store_quota_notice_claim(store_tx_t *tx, const char *account_id, const char *scope,
	const char *period, int64_t period_start, int level, int64_t now)
{
	return sq_exec(tx, true, "INSERT INTO quota_notices (account_id, scope, period,"
		" period_start, level, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", "sssiii", account_id,
		scope, period, period_start, (int64_t)level, now);
}

static const char *const txn_cols[] = { "id", "account_id", "kind", "amount_minor", "currency",
	"reason", "cdr_id", "actor", "created_at", NULL };

int store_ledger_append(store_tx_t *tx, const json_t *txn, int64_t delta, const char *counter_book)
{
	int rc = sq_insert(tx, "ledger_txns", txn_cols, txn);
	if (rc != STORE_OK)
		return rc;
	char book[96];
	snprintf(book, sizeof book, "account:%s", json_string_value(json_object_get(txn, "account_id")));
	const char *cur = json_string_value(json_object_get(txn, "currency"));
	const char *id = json_string_value(json_object_get(txn, "id"));
	rc = sq_exec(tx, false, "INSERT INTO ledger_postings (txn_seq, book, amount_minor, currency)"
		" SELECT seq, ?, ?, ? FROM ledger_txns WHERE id=?", "siss", book, delta, cur, id);
	if (rc == STORE_OK)
		rc = sq_exec(tx, false, "INSERT INTO ledger_postings (txn_seq, book, amount_minor,"
			" currency) SELECT seq, ?, ?, ? FROM ledger_txns WHERE id=?", "siss", counter_book,
			-delta, cur, id);
	return rc;
}

int64_t store_ledger_book_sum(store_tx_t *tx, const char *book, const char *currency, int *ok)
{
	return sum_of(sq_one(tx, "SELECT COALESCE(SUM(amount_minor), 0) AS s FROM ledger_postings"
		" WHERE book=? AND currency=?", "ss", book, currency), ok);
}

int64_t store_ledger_total(store_tx_t *tx, const char *currency, int *ok)
{
	return sum_of(sq_one(tx, "SELECT COALESCE(SUM(amount_minor), 0) AS s FROM ledger_postings"
		" WHERE currency=?", "s", currency), ok);
}

int store_ledger_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT t.seq AS _k, t.id, t.account_id, t.kind,"
		" t.amount_minor, t.currency, t.reason, t.cdr_id, t.actor, t.created_at, p.amount_minor"
		" AS delta FROM ledger_txns t JOIN ledger_postings p ON p.txn_seq=t.seq AND"
		" p.book='account:' || t.account_id WHERE t.account_id=? AND t.seq < ?"
		" ORDER BY t.seq DESC LIMIT ?", "sin", account_id, sq_cursor(cursor, INT64_MAX),
		limit + 1), limit, out);
}

json_t *store_ledger_unbilled(store_tx_t *tx, const char *account_id)
{
	return sq_rows(tx, "SELECT a.id, a.cost, f.currency, a.ended_at FROM fax_attempts a"
		" JOIN faxes f ON f.id=a.fax_id WHERE a.account_id=? AND a.cost > 0"
		" AND a.result != 'in_progress' AND NOT EXISTS (SELECT 1 FROM ledger_txns t"
		" WHERE t.cdr_id=a.id) ORDER BY a.started_at, a.id", "s", account_id);
}
