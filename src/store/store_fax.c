/* SQL of the faxes area (see store_fax.h), in the subset both backends accept. */
#include "store_fax.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xalloc.h"

static int count_of(json_t *row)
{
	int n = row ? (int)json_integer_value(json_object_get(row, "n")) : -1;
	json_decref(row);
	return n;
}

/* ---- account keys and documents ---- */

json_t *store_account_key_get(store_tx_t *tx, const char *account_id)
{
	return sq_one(tx, "SELECT account_id, wrapped_key, created_at FROM account_keys"
		" WHERE account_id=?", "s", account_id);
}

int store_account_key_insert(store_tx_t *tx, const char *account_id, const char *wrapped_hex,
	int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO account_keys (account_id, wrapped_key, created_at)"
		" VALUES (?,?,?)", "ssi", account_id, wrapped_hex, now);
}

static const char *const doc_cols[] = { "id", "account_id", "kind", "size", "pages",
	"wrapped_key", "created_at", NULL };

int store_doc_insert(store_tx_t *tx, const json_t *doc)
{
	return sq_insert(tx, "documents", doc_cols, doc);
}

json_t *store_doc_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT id, account_id, kind, size, pages, wrapped_key, created_at"
		" FROM documents WHERE id=? AND account_id=?", "ss", id, account_id);
}

int store_doc_set_pages(store_tx_t *tx, const char *id, int pages)
{
	return sq_exec(tx, true, "UPDATE documents SET pages=? WHERE id=?", "ns", pages, id);
}

int store_doc_delete(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_exec(tx, true, "DELETE FROM documents WHERE id=? AND account_id=?", "ss", id,
		account_id);
}

int store_doc_exists(store_tx_t *tx, const char *id)
{
	return count_of(sq_one(tx, "SELECT count(*) AS n FROM documents WHERE id=?", "s", id));
}

json_t *store_doc_sample(store_tx_t *tx, int limit)
{
	return sq_rows(tx, "SELECT id, account_id FROM documents ORDER BY random() LIMIT ?", "n", limit);
}

int64_t store_doc_count(store_tx_t *tx)
{
	return count_of(sq_one(tx, "SELECT count(*) AS n FROM documents", ""));
}

/* ---- submissions ---- */

static const char *const sub_cols[] = { "id", "account_id", "user_id", "originals", "options",
	"created_at", NULL };

int store_submission_insert(store_tx_t *tx, const json_t *sub)
{
	return sq_insert(tx, "submissions", sub_cols, sub);
}

int store_submission_delete(store_tx_t *tx, const char *id)
{
	return sq_exec(tx, false, "DELETE FROM submissions WHERE id=?", "s", id);
}

json_t *store_submissions_all(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT id, account_id, user_id, originals, options, created_at"
		" FROM submissions ORDER BY created_at", "");
}

json_t *store_submission_get(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT id, account_id, user_id, originals, options, created_at"
		" FROM submissions WHERE id=?", "s", id);
}

/* ---- faxes ---- */

#define FAX_COLS "id, account_id, user_id, direction, status, from_number, to_number, trunk_id," \
	" doc_id, submission_id, page_count, pages_confirmed, resolution, header_text," \
	" cover_subject, send_at, retries, retry_delay_seconds, attempts_made, next_attempt_at," \
	" next_ecm, next_max_rate, failure_class, failure_reason, estimated_cost, cost, currency," \
	" resent_from, created_at, updated_at, completed_at, legal_hold_reason"

static const char *const fax_cols[] = { "id", "account_id", "user_id", "direction", "status",
	"from_number", "to_number", "trunk_id", "doc_id", "submission_id", "page_count",
	"pages_confirmed", "resolution", "header_text", "cover_subject", "send_at", "retries",
	"retry_delay_seconds", "attempts_made", "next_attempt_at", "next_ecm", "next_max_rate",
	"failure_class", "failure_reason", "estimated_cost", "cost", "currency", "resent_from",
	"created_at", "updated_at", "completed_at", "source", NULL };
static const char *const fax_upd[] = { "status", "doc_id", "page_count", "pages_confirmed",
	"attempts_made", "next_attempt_at", "next_ecm", "next_max_rate", "failure_class",
	"failure_reason", "estimated_cost", "cost", "trunk_id", "from_number", "submission_id",
	"updated_at", "completed_at", NULL };

int store_fax_insert(store_tx_t *tx, const json_t *fax)
{
	return sq_insert(tx, "faxes", fax_cols, fax);
}

json_t *store_fax_get(store_tx_t *tx, const char *account_id, const char *id)
{
	if (account_id)
		return sq_one(tx, "SELECT " FAX_COLS " FROM faxes WHERE id=? AND account_id=?"
			" AND deleted_at IS NULL", "ss",
			id, account_id);
	return sq_one(tx, "SELECT " FAX_COLS " FROM faxes WHERE id=? AND deleted_at IS NULL", "s",
		id);
}

int store_fax_cancelled_n(store_tx_t *tx, const char (*ids)[64], int n, int *cancelled)
{
	/* The renewer asks this for every call it runs, each fax.poll_ms: a
	 * query a fax was 40 a fax in bench/fax-e2e. One statement text, the
	 * slots of a short last chunk bound to "" (no fax has that id). */
	_Static_assert(STORE_FAX_CANCELLED_CHUNK == 8, "the statement below has 8 slots");
	for (int i = 0; i < n; i++)
		cancelled[i] = 0;
	for (int at = 0; at < n; at += STORE_FAX_CANCELLED_CHUNK) {
		const char *v[STORE_FAX_CANCELLED_CHUNK];
		for (int k = 0; k < STORE_FAX_CANCELLED_CHUNK; k++)
			v[k] = at + k < n ? ids[at + k] : "";
		json_t *r = sq_rows(tx, "SELECT id FROM faxes WHERE id IN (?, ?, ?, ?, ?, ?, ?, ?)"
			" AND status='cancelled' AND deleted_at IS NULL", "ssssssss", v[0], v[1], v[2],
			v[3], v[4], v[5], v[6], v[7]);
		if (!r)
			return -1;
		size_t j;
		json_t *row;
		json_array_foreach(r, j, row) {
			const char *id = json_string_value(json_object_get(row, "id"));
			for (int k = at; id && k < n && k < at + STORE_FAX_CANCELLED_CHUNK; k++)
				if (strcmp(ids[k], id) == 0)
					cancelled[k] = 1;
		}
		json_decref(r);
	}
	return 0;
}

int store_fax_update(store_tx_t *tx, const char *id, const json_t *fields)
{
	return sq_update(tx, "faxes", fax_upd, id, fields, NULL);
}

int store_fax_update_if(store_tx_t *tx, const char *id, const char *status, const json_t *fields)
{
	/* The condition is one of our fixed status names, never input. */
	static const char *const ok[] = { "queued", "rendering", "sending", NULL };
	for (int i = 0; ok[i]; i++)
		if (strcmp(ok[i], status) == 0) {
			char extra[40];
			snprintf(extra, sizeof extra, "status='%s'", ok[i]);
			return sq_update(tx, "faxes", fax_upd, id, fields, extra);
		}
	return STORE_ERROR;
}

int store_fax_list(store_tx_t *tx, const store_fax_filter_t *f, const char *cursor, int limit,
	store_page_t *out)
{
	/* The text is a LIKE pattern with ! escaping its % _ and ! (lower() and
	 * LIKE behave alike on both engines for ASCII). */
	char *pat = NULL, *dig = NULL;
	if (f->text) {
		size_t n = strlen(f->text), k = 0;
		pat = xmalloc(2 * n + 3);
		pat[k++] = '%';
		for (size_t i = 0; i < n; i++) {
			if (f->text[i] == '%' || f->text[i] == '_' || f->text[i] == '!')
				pat[k++] = '!';
			pat[k++] = f->text[i];
		}
		pat[k++] = '%';
		pat[k] = '\0';
	}
	if (f->digits)
		dig = xasprintf("%%%s%%", f->digits);
	int rc = sq_page_finish(sq_rows(tx,
		"SELECT f.rowid AS _k, " FAX_COLS " FROM faxes f WHERE f.rowid < ? AND f.account_id=?"
		" AND f.deleted_at IS NULL AND (? IS NULL OR f.direction=?) AND (? IS NULL OR f.status=?)"
		" AND (? IS NULL OR f.user_id=?)"
		" AND (? IS NULL OR lower(f.id) LIKE ? ESCAPE '!'"
		" OR lower(coalesce(f.cover_subject, '')) LIKE ? ESCAPE '!'"
		" OR f.to_number LIKE ? OR f.from_number LIKE ?)"
		" AND (? = 0 OR f.created_at >= ?) AND (? = 0 OR f.created_at <= ?)"
		" ORDER BY f.rowid DESC LIMIT ?", "issssssssssssiiiin", sq_cursor(cursor, INT64_MAX),
		f->account_id, f->direction, f->direction, f->status, f->status, f->user_id,
		f->user_id, pat, pat, pat, dig, dig, f->since, f->since, f->until, f->until, limit + 1),
		limit, out);
	free(pat);
	free(dig);
	return rc;
}

json_t *store_fax_due(store_tx_t *tx, int64_t now, int limit)
{
	/* An account whose outbound faxing is held (fraud.h), or suspended for
	 * an unpaid invoice (invoices.h), dials nothing. */
#define FAX_DUE "SELECT " FAX_COLS " FROM faxes WHERE status='queued'" \
		" AND direction='outbound' AND next_attempt_at <= ?" \
		" AND account_id NOT IN (SELECT account_id FROM fraud_holds)" \
		" AND account_id NOT IN (SELECT account_id FROM billing_holds)" \
		" ORDER BY next_attempt_at, rowid LIMIT ?"
	/* On PostgreSQL the rows are locked as they are read, and a row another
	 * node's claim holds is skipped, not waited for: two claims never take
	 * the same fax, whatever else serialises them. */
	if (store_tx_store(tx)->row_locks)
		return sq_rows(tx, FAX_DUE " FOR UPDATE OF faxes SKIP LOCKED", "in", now, limit);
	return sq_rows(tx, FAX_DUE, "in", now, limit);
#undef FAX_DUE
}

json_t *store_fax_due_one(store_tx_t *tx, const char *id, int64_t now)
{
	return sq_one(tx, "SELECT " FAX_COLS " FROM faxes WHERE id=? AND status='queued'"
		" AND direction='outbound' AND next_attempt_at <= ?"
		" AND account_id NOT IN (SELECT account_id FROM fraud_holds)"
		" AND account_id NOT IN (SELECT account_id FROM billing_holds)", "si", id, now);
}

json_t *store_fax_without_send_job(store_tx_t *tx, const char *kind, int limit)
{
	/* The kind in the text, not bound (sq_kind_ok). */
	if (!sq_kind_ok(kind))
		return NULL;
	char sql[400];
	snprintf(sql, sizeof sql, "SELECT id, account_id, next_attempt_at FROM faxes f"
		" WHERE direction='outbound' AND status IN ('queued', 'sending')"
		" AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind='%s' AND j.ref=f.id"
		" AND j.state IN ('queued', 'running')) ORDER BY next_attempt_at LIMIT ?", kind);
	return sq_rows(tx, sql, "n", limit);
}

int store_fax_count_sending(store_tx_t *tx, const char *account_id, const char *trunk_id)
{
	return count_of(sq_one(tx, "SELECT count(*) AS n FROM faxes WHERE status='sending'"
		" AND (? IS NULL OR account_id=?) AND (? IS NULL OR trunk_id=?)", "ssss", account_id,
		account_id, trunk_id, trunk_id));
}

json_t *store_fax_count_open(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT status, count(*) AS n FROM faxes WHERE direction='outbound'"
		" AND status IN ('rendering','queued','sending') GROUP BY status", "");
}

json_t *store_fax_live_calls(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT account_id, trunk_id, count(*) AS n FROM faxes"
		" WHERE status='sending' AND direction='outbound' GROUP BY account_id, trunk_id", "");
}

json_t *store_fax_queue_groups(store_tx_t *tx, int64_t now, int limit)
{
	return sq_rows(tx, "SELECT account_id, to_number, CASE WHEN attempts_made > 0 THEN 'retrying'"
		" WHEN next_attempt_at > ? THEN 'scheduled' ELSE 'queued' END AS qclass, count(*) AS n"
		" FROM faxes WHERE status='queued' AND direction='outbound'"
		" GROUP BY account_id, to_number, qclass ORDER BY account_id, to_number LIMIT ?", "in",
		now, limit);
}

int store_fax_delete_submission(store_tx_t *tx, const char *submission_id)
{
	int rc = sq_exec(tx, false, "DELETE FROM fax_pages WHERE fax_id IN (SELECT id FROM faxes"
		" WHERE submission_id=? AND status='rendering')", "s", submission_id);
	if (rc == STORE_OK)
		rc = sq_exec(tx, false, "DELETE FROM faxes WHERE submission_id=? AND status='rendering'",
			"s", submission_id);
	return rc;
}

int store_fax_mark_deleted(store_tx_t *tx, const char *account_id, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE faxes SET deleted_at=?, doc_id=NULL, header_text=NULL,"
		" cover_subject=NULL, updated_at=? WHERE id=? AND account_id=? AND deleted_at IS NULL",
		"iiss", now, now, id, account_id);
}

int store_fax_doc_users(store_tx_t *tx, const char *doc_id)
{
	return count_of(sq_one(tx, "SELECT count(*) AS n FROM faxes WHERE doc_id=?"
		" AND deleted_at IS NULL", "s", doc_id));
}

json_t *store_fax_by_doc(store_tx_t *tx, const char *doc_id)
{
	return sq_rows(tx, "SELECT " FAX_COLS " FROM faxes WHERE doc_id=? AND deleted_at IS NULL"
		" ORDER BY rowid", "s", doc_id);
}

int store_fax_doc_replace(store_tx_t *tx, const char *doc_id, const char *new_doc_id,
	int64_t now)
{
	return sq_exec(tx, false, "UPDATE faxes SET doc_id=?, updated_at=? WHERE doc_id=?"
		" AND deleted_at IS NULL", "sis", new_doc_id, now, doc_id);
}

json_t *store_fax_by_submission(store_tx_t *tx, const char *submission_id)
{
	return sq_rows(tx, "SELECT " FAX_COLS " FROM faxes WHERE submission_id=? ORDER BY rowid",
		"s", submission_id);
}

/* ---- pages ---- */

int store_fax_pages_init(store_tx_t *tx, const char *fax_id, int n, const char *status)
{
	for (int p = 1; p <= n; p++) {
		int rc = sq_exec(tx, false, "INSERT INTO fax_pages (fax_id, page, status)"
			" VALUES (?,?,?) ON CONFLICT (fax_id, page) DO UPDATE SET status=excluded.status", "sns", fax_id, p, status);
		if (rc != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

int store_fax_page_set(store_tx_t *tx, const char *fax_id, int page, const char *status)
{
	return sq_exec(tx, true, "UPDATE fax_pages SET status=? WHERE fax_id=? AND page=?", "ssn",
		status, fax_id, page);
}

int store_fax_pages_move(store_tx_t *tx, const char *fax_id, const char *from, const char *to)
{
	return sq_exec(tx, false, "UPDATE fax_pages SET status=? WHERE fax_id=? AND status=?", "sss",
		to, fax_id, from);
}

json_t *store_fax_pages(store_tx_t *tx, const char *fax_id)
{
	return sq_rows(tx, "SELECT page, status FROM fax_pages WHERE fax_id=? ORDER BY page", "s",
		fax_id);
}

int store_fax_pages_count(store_tx_t *tx, const char *fax_id, const char *status)
{
	return count_of(sq_one(tx, "SELECT count(*) AS n FROM fax_pages WHERE fax_id=? AND status=?",
		"ss", fax_id, status));
}

/* ---- attempts ---- */

#define ATTEMPT_COLS "id, fax_id, account_id, user_id, attempt, direction, from_number," \
	" to_number, trunk_id, node, result, started_at, answered_at, ended_at, duration_ms," \
	" pages_sent, pages_confirmed, first_page, transport, bit_rate, ecm, remote_ident," \
	" t30_code, t30_text, failure_class, cost, sip_status, failover_to"

static const char *const attempt_cols[] = { "id", "fax_id", "account_id", "user_id", "attempt",
	"direction", "from_number", "to_number", "trunk_id", "node", "result", "started_at",
	"answered_at", "ended_at", "duration_ms", "pages_sent", "pages_confirmed", "first_page",
	"transport", "bit_rate", "ecm", "remote_ident", "t30_code", "t30_text", "failure_class",
	"cost", "sip_status", "lease_until", NULL };
static const char *const attempt_upd[] = { "result", "answered_at", "ended_at", "duration_ms",
	"pages_sent", "pages_confirmed", "transport", "bit_rate", "ecm", "remote_ident", "t30_code",
	"t30_text", "failure_class", "cost", "sip_status", "failover_to", NULL };

int store_attempt_insert(store_tx_t *tx, const json_t *attempt)
{
	return sq_insert(tx, "fax_attempts", attempt_cols, attempt);
}

int store_attempt_update(store_tx_t *tx, const char *id, const json_t *fields)
{
	return sq_update(tx, "fax_attempts", attempt_upd, id, fields, NULL);
}

json_t *store_attempt_get(store_tx_t *tx, const char *id)
{
	return sq_one(tx, "SELECT " ATTEMPT_COLS " FROM fax_attempts WHERE id=?", "s", id);
}

json_t *store_attempts_of(store_tx_t *tx, const char *fax_id)
{
	return sq_rows(tx, "SELECT " ATTEMPT_COLS " FROM fax_attempts WHERE fax_id=?"
		" ORDER BY attempt", "s", fax_id);
}

json_t *store_attempts_open(store_tx_t *tx, const char *node, int64_t stale_before)
{
	return sq_rows(tx, "SELECT " ATTEMPT_COLS " FROM fax_attempts WHERE result='in_progress'"
		" AND (node=? OR started_at < ?) ORDER BY started_at", "si", node ? node : "",
		stale_before);
}

json_t *store_attempts_live(store_tx_t *tx, const char *fax_id)
{
	return sq_rows(tx, "SELECT " ATTEMPT_COLS ", lease_until FROM fax_attempts WHERE fax_id=?"
		" AND result='in_progress' ORDER BY started_at", "s", fax_id);
}

json_t *store_attempts_expired(store_tx_t *tx, const char *node, int64_t now)
{
	return sq_rows(tx, "SELECT " ATTEMPT_COLS " FROM fax_attempts WHERE result='in_progress'"
		" AND lease_until IS NOT NULL AND lease_until < ? AND node <> ? ORDER BY started_at",
		"is", now, node ? node : "");
}

int store_attempt_renew(store_tx_t *tx, const char *id, int64_t until)
{
	return sq_exec(tx, true, "UPDATE fax_attempts SET lease_until=? WHERE id=?"
		" AND result='in_progress' AND lease_until IS NOT NULL", "is", until, id);
}

int store_attempt_leased(store_tx_t *tx, const char *id)
{
	json_t *r = sq_one(tx, "SELECT result FROM fax_attempts WHERE id=?", "s", id);
	if (!r)
		return -1;
	json_t *v = json_object_get(r, "result");
	int live = json_is_string(v) && strcmp(json_string_value(v), "in_progress") == 0;
	json_decref(r);
	return live;
}

int store_cdr_list(store_tx_t *tx, const store_cdr_filter_t *f, const char *cursor, int limit,
	store_page_t *out)
{
	int all = limit <= 0;
	json_t *rows = sq_rows(tx,
		"SELECT rowid AS _k, " ATTEMPT_COLS " FROM fax_attempts WHERE rowid < ?"
		" AND account_id=? AND result <> 'in_progress'"
		" AND (? = 0 OR started_at >= ?) AND (? = 0 OR started_at < ?)"
		" AND (? IS NULL OR direction=?) AND (? IS NULL OR result=?)"
		" ORDER BY rowid DESC LIMIT ?", "isiiiissssn", all ? INT64_MAX : sq_cursor(cursor, INT64_MAX),
		f->account_id, f->since, f->since, f->until, f->until, f->direction, f->direction,
		f->result, f->result, all ? INT_MAX : limit + 1);
	if (all) {
		if (!rows)
			return STORE_ERROR;
		size_t i;
		json_t *it;
		json_array_foreach(rows, i, it)
			json_object_del(it, "_k");
		out->items = rows;
		out->next_cursor = NULL;
		return STORE_OK;
	}
	return sq_page_finish(rows, limit, out);
}

/* ---- rates ---- */

json_t *store_rates_list(store_tx_t *tx, const char *currency)
{
	return sq_rows(tx, "SELECT prefix, price_per_page, currency FROM rates WHERE currency=?"
		" ORDER BY prefix", "s", currency);
}

int store_rates_replace(store_tx_t *tx, const json_t *rates, const char *currency)
{
	int rc = sq_exec(tx, false, "DELETE FROM rates WHERE currency=?", "s", currency);
	size_t i;
	json_t *r;
	json_array_foreach(rates, i, r) {
		if (rc != STORE_OK)
			break;
		rc = sq_exec(tx, false, "INSERT INTO rates (prefix, price_per_page, currency)"
			" VALUES (?,?,?)", "sjs", json_string_value(json_object_get(r, "prefix")),
			json_object_get(r, "price_per_page"), currency);
	}
	return rc;
}

json_t *store_rate_for(store_tx_t *tx, const char *number, const char *currency)
{
	return sq_one(tx, "SELECT prefix, price_per_page, currency FROM rates"
		" WHERE currency=? AND substr(?, 1, length(prefix)) = prefix"
		" ORDER BY length(prefix) DESC LIMIT 1", "ss", currency, number);
}
