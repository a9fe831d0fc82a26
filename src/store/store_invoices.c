/* SQL of postpaid invoices (see store_invoices.h), in the subset both
 * backends accept. */
#include <stdint.h>
#include <string.h>

#include "store_invoices.h"

#include "store_int.h"

json_t *store_invoice_candidates(store_tx_t *tx, int64_t start, int64_t end)
{
	return sq_rows(tx, "SELECT DISTINCT a.account_id FROM fax_attempts a WHERE a.cost > 0"
		" AND a.result != 'in_progress' AND a.ended_at >= ? AND a.ended_at < ?"
		" AND NOT EXISTS (SELECT 1 FROM billing_plans p WHERE p.account_id=a.account_id"
		" AND p.kind='prepaid') ORDER BY a.account_id", "ii", start, end);
}

json_t *store_invoice_unbilled(store_tx_t *tx, const char *account_id, int64_t start,
	int64_t end)
{
	return sq_rows(tx, "SELECT t.seq, t.amount_minor, t.currency, a.pages_confirmed AS pages,"
		" a.ended_at FROM ledger_txns t JOIN fax_attempts a ON a.id=t.cdr_id"
		" WHERE t.account_id=? AND t.kind='charge' AND a.ended_at >= ? AND a.ended_at < ?"
		" AND NOT EXISTS (SELECT 1 FROM invoice_charges c WHERE c.txn_seq=t.seq)"
		" ORDER BY a.ended_at, t.seq", "sii", account_id, start, end);
}

int64_t store_invoice_next_number(store_tx_t *tx, const char *issuer)
{
	if (sq_exec(tx, false, "INSERT INTO invoice_counters (issuer, last_number) VALUES (?, 0)"
		" ON CONFLICT DO NOTHING", "s", issuer) != STORE_OK ||
	    sq_exec(tx, true, "UPDATE invoice_counters SET last_number = last_number + 1"
		" WHERE issuer=?", "s", issuer) != STORE_OK)
		return -1;
	json_t *r = sq_one(tx, "SELECT last_number FROM invoice_counters WHERE issuer=?", "s", issuer);
	int64_t n = r ? (int64_t)json_integer_value(json_object_get(r, "last_number")) : -1;
	json_decref(r);
	return n;
}

static const char *const inv_cols[] = { "id", "issuer", "number", "account_id", "period_start",
	"period_end", "currency", "lang", "pages", "included_pages", "subtotal_minor",
	"included_minor", "total_minor", "paid_minor", "status", "issued_at", "due_at", NULL };

int store_invoice_insert(store_tx_t *tx, const json_t *inv)
{
	return sq_insert(tx, "invoices", inv_cols, inv);
}

static const char *const line_cols[] = { "invoice_id", "position", "kind", "pages", "unit_minor",
	"amount_minor", NULL };

int store_invoice_line_insert(store_tx_t *tx, const json_t *line)
{
	return sq_insert(tx, "invoice_lines", line_cols, line);
}

int store_invoice_charge_add(store_tx_t *tx, const char *invoice_id, int64_t seq)
{
	return sq_exec(tx, false, "INSERT INTO invoice_charges (txn_seq, invoice_id) VALUES (?, ?)",
		"is", seq, invoice_id);
}

#define INV_SELECT "SELECT id, issuer, number, account_id, period_start, period_end, currency," \
	" lang, pages, included_pages, subtotal_minor, included_minor, total_minor, paid_minor," \
	" status, issued_at, due_at, paid_at, reminded_before_at, reminded_after_at FROM invoices"

json_t *store_invoice_get(store_tx_t *tx, const char *account_id, const char *invoice_id)
{
	return sq_one(tx, INV_SELECT " WHERE id=? AND (? IS NULL OR account_id=?)", "sss",
		invoice_id, account_id, account_id);
}

json_t *store_invoice_lines(store_tx_t *tx, const char *invoice_id)
{
	return sq_rows(tx, "SELECT position, kind, pages, unit_minor, amount_minor FROM"
		" invoice_lines WHERE invoice_id=? ORDER BY position", "s", invoice_id);
}

json_t *store_invoice_payments(store_tx_t *tx, const char *invoice_id)
{
	return sq_rows(tx, "SELECT id, amount_minor, currency, reference, source, ledger_txn,"
		" created_at FROM invoice_payments WHERE invoice_id=? ORDER BY created_at, id", "s",
		invoice_id);
}

int store_invoice_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT number AS _k, id, issuer, number, account_id,"
		" period_start, period_end, currency, lang, pages, included_pages, subtotal_minor,"
		" included_minor, total_minor, paid_minor, status, issued_at, due_at, paid_at,"
		" reminded_before_at, reminded_after_at FROM invoices WHERE account_id=? AND number < ?"
		" ORDER BY number DESC LIMIT ?", "sin", account_id, sq_cursor(cursor, INT64_MAX),
		limit + 1), limit, out);
}

int store_invoice_update(store_tx_t *tx, const char *invoice_id, const json_t *fields)
{
	static const char *const allowed[] = { "status", "paid_minor", "paid_at",
		"reminded_before_at", "reminded_after_at", NULL };
	return sq_update(tx, "invoices", allowed, invoice_id, fields, NULL);
}

static const char *const pay_cols[] = { "id", "invoice_id", "account_id", "amount_minor",
	"currency", "reference", "source", "ledger_txn", "created_at", NULL };

int store_invoice_payment_insert(store_tx_t *tx, const json_t *payment)
{
	return sq_insert(tx, "invoice_payments", pay_cols, payment);
}

int store_webhook_event_claim(store_tx_t *tx, const char *provider, const char *event_id,
	int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO payment_webhook_events (provider, event_id,"
		" received_at) VALUES (?, ?, ?)", "ssi", provider, event_id, now);
}

json_t *store_invoice_oldest_unbilled(store_tx_t *tx)
{
	/* The CDRs, not the ledger: a call's charge is posted when the account's
	 * billing is next used, which may be the invoice run itself. */
	return sq_one(tx, "SELECT min(a.ended_at) AS ended_at FROM fax_attempts a WHERE a.cost > 0"
		" AND a.result != 'in_progress' AND a.ended_at IS NOT NULL"
		" AND NOT EXISTS (SELECT 1 FROM billing_plans p WHERE p.account_id=a.account_id"
		" AND p.kind='prepaid') AND NOT EXISTS (SELECT 1 FROM ledger_txns t JOIN"
		" invoice_charges c ON c.txn_seq=t.seq WHERE t.cdr_id=a.id)", "");
}

json_t *store_invoice_to_remind(store_tx_t *tx, int64_t now, int64_t horizon)
{
	return sq_rows(tx, INV_SELECT " WHERE status='issued' AND reminded_before_at IS NULL"
		" AND due_at > ? AND due_at <= ? ORDER BY due_at, id", "ii", now, horizon);
}

json_t *store_invoice_past_due(store_tx_t *tx, int64_t now)
{
	return sq_rows(tx, INV_SELECT " WHERE status='issued' AND due_at <= ? ORDER BY due_at, id",
		"i", now);
}

json_t *store_invoice_to_suspend(store_tx_t *tx, int64_t due_before, const char *account_id)
{
	return sq_rows(tx, INV_SELECT " WHERE status='overdue' AND due_at <= ?"
		" AND (? IS NULL OR account_id=?) AND NOT EXISTS (SELECT 1 FROM billing_holds h"
		" WHERE h.account_id=invoices.account_id)"
		" ORDER BY due_at, id", "iss", due_before, account_id, account_id);
}

int store_invoice_claim(store_tx_t *tx, const char *invoice_id, const char *column,
	const char *from_status, const char *to_status, int64_t now)
{
	/* column is one of two constants of the callers. */
	if (strcmp(column, "reminded_before_at") == 0)
		return sq_exec(tx, true, "UPDATE invoices SET reminded_before_at=? WHERE id=?"
			" AND status=? AND reminded_before_at IS NULL", "iss", now, invoice_id,
			from_status);
	return sq_exec(tx, true, "UPDATE invoices SET reminded_after_at=?, status=? WHERE id=?"
		" AND status=? AND reminded_after_at IS NULL", "isss", now, to_status, invoice_id,
		from_status);
}

int store_invoice_list_overdue(store_tx_t *tx, const char *cursor, int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT i.number AS _k, i.id, i.issuer, i.number,"
		" i.account_id, i.period_start, i.period_end, i.currency, i.lang, i.pages,"
		" i.included_pages, i.subtotal_minor, i.included_minor, i.total_minor, i.paid_minor,"
		" i.status, i.issued_at, i.due_at, i.paid_at, i.reminded_before_at,"
		" i.reminded_after_at, h.since AS suspended_at FROM invoices i LEFT JOIN billing_holds h"
		" ON h.account_id=i.account_id WHERE i.status='overdue' AND i.number < ?"
		" ORDER BY i.number DESC LIMIT ?", "in", sq_cursor(cursor, INT64_MAX), limit + 1),
		limit, out);
}

json_t *store_billing_hold_get(store_tx_t *tx, const char *account_id)
{
	return sq_one(tx, "SELECT account_id, invoice_id, since FROM billing_holds"
		" WHERE account_id=?", "s", account_id);
}

int store_billing_hold_put(store_tx_t *tx, const char *account_id, const char *invoice_id,
	int64_t since)
{
	return sq_exec(tx, true, "INSERT INTO billing_holds (account_id, invoice_id, since)"
		" SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM billing_holds WHERE account_id=?)",
		"ssis", account_id, invoice_id, since, account_id);
}

int store_billing_hold_delete(store_tx_t *tx, const char *account_id)
{
	return sq_exec(tx, true, "DELETE FROM billing_holds WHERE account_id=?", "s", account_id);
}
