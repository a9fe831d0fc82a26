/* SQL of the job queue (see store_jobs.h), in the subset both backends
 * accept. */
#include "store_jobs.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"

static const char *const job_cols[] = { "id", "kind", "account_id", "ref", "payload", "max_attempts",
	"run_after", "created_at", "updated_at", NULL };

int store_job_insert(store_tx_t *tx, const json_t *job)
{
	json_t *j = json_deep_copy(job);
	json_object_set(j, "updated_at", json_object_get(job, "created_at"));
	int rc = sq_insert(tx, "jobs", job_cols, j);
	json_decref(j);
	return rc;
}

int store_job_insert_once(store_tx_t *tx, const json_t *job)
{
	const json_t *acc = json_object_get(job, "account_id"), *ref = json_object_get(job, "ref");
	if (sq_exec(tx, false, "INSERT INTO jobs (id, kind, account_id, ref, payload, max_attempts,"
		    " run_after, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
		    " ON CONFLICT DO NOTHING", "sssssiiii",
		    json_string_value(json_object_get(job, "id")),
		    json_string_value(json_object_get(job, "kind")), json_string_value(acc),
		    json_string_value(ref), json_string_value(json_object_get(job, "payload")),
		    (int64_t)json_integer_value(json_object_get(job, "max_attempts")),
		    (int64_t)json_integer_value(json_object_get(job, "run_after")),
		    (int64_t)json_integer_value(json_object_get(job, "created_at")),
		    (int64_t)json_integer_value(json_object_get(job, "created_at"))) != STORE_OK)
		return -1;
	return sq_changes(tx) > 0 ? 1 : 0;
}

#define JOB_COLS "id, kind, account_id, ref, payload, state, attempts, max_attempts, run_after," \
	" lease_node, lease_until, last_error, progress, created_at, updated_at, finished_at"

/* A job's kind is written into the text of the queries on jobs, not
 * bound: SQLite weighs a bound kind against the partial indexes on kind
 * (jobs_sweep_once, jobs_send_once) with the value it is given, so every
 * new binding made it prepare the statement again (a parse and plan at
 * every claim and every worker's look). A kind is the code's own name;
 * one of other characters is refused (false). */
bool sq_kind_ok(const char *kind)
{
	size_t n = kind ? strlen(kind) : 0;
	if (n == 0 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((kind[i] >= 'a' && kind[i] <= 'z') || (kind[i] >= '0' && kind[i] <= '9') ||
			    kind[i] == '_'))
			return false;
	return true;
}

json_t *store_job_claim(store_tx_t *tx, const char *kind, int64_t now, const char *node,
	int64_t lease_ms)
{
	if (!sq_kind_ok(kind))
		return NULL;
	char sql[600];
	snprintf(sql, sizeof sql, "SELECT " JOB_COLS " FROM jobs WHERE kind='%s' AND ((state='queued'"
		" AND run_after <= ?) OR (state='running' AND lease_until <= ?))"
		" ORDER BY run_after, created_at LIMIT 1%s", kind,
		store_tx_store(tx)->row_locks ? " FOR UPDATE SKIP LOCKED" : "");
	json_t *row = sq_one(tx, sql, "ii", now, now);
	if (!row)
		return NULL;
	const char *id = json_string_value(json_object_get(row, "id"));
	if (sq_exec(tx, true, "UPDATE jobs SET state='running', attempts=attempts+1, lease_node=?,"
		    " lease_until=?, updated_at=? WHERE id=?", "siis", node, now + lease_ms, now,
		    id) != STORE_OK) {
		json_decref(row);
		return NULL;
	}
	json_object_set_new(row, "attempts",
		json_integer(json_integer_value(json_object_get(row, "attempts")) + 1));
	json_object_set_new(row, "state", json_string("running"));
	json_object_set_new(row, "lease_node", json_string(node));
	json_object_set_new(row, "lease_until", json_integer(now + lease_ms));
	return row;
}

json_t *store_job_lease_nodes(store_tx_t *tx, int64_t now)
{
	return sq_rows(tx, "SELECT DISTINCT lease_node FROM jobs WHERE state='running'"
		" AND lease_node IS NOT NULL AND lease_until > ? ORDER BY lease_node", "i", now);
}

int store_job_release(store_tx_t *tx, const char *node, int64_t now)
{
	if (sq_exec(tx, false, "UPDATE jobs SET lease_until=? WHERE state='running'"
		    " AND lease_node=? AND lease_until > ?", "isi", now, node, now) != STORE_OK)
		return -1;
	return sq_changes(tx);
}

/* A run is the one that holds the job's lease when its node and its
 * attempt number are the job's: another run of the same process (its lease
 * taken as passed) has another attempt number. */
int store_job_hold(store_tx_t *tx, const char *id, const char *node, int attempt,
	int64_t until)
{
	return sq_exec(tx, true, "UPDATE jobs SET lease_until=? WHERE id=? AND lease_node=?"
		" AND attempts=? AND state='running'", "issi", until, id, node, (int64_t)attempt);
}

int store_job_progress(store_tx_t *tx, const char *id, const char *node, int attempt,
	const char *progress, int64_t now)
{
	return sq_exec(tx, true, "UPDATE jobs SET progress=?, updated_at=? WHERE id=?"
		" AND lease_node=? AND attempts=? AND state='running'", "sissi", progress, now, id,
		node, (int64_t)attempt);
}

int store_job_end(store_tx_t *tx, const char *id, const char *node, int attempt,
	const char *state, int64_t run_after, const char *last_error, bool uncount, int64_t now)
{
	json_t *fin = strcmp(state, "queued") != 0 ? json_integer(now) : json_null();
	int rc = sq_exec(tx, true, "UPDATE jobs SET state=?, run_after=?, last_error=coalesce(?,"
		" last_error), attempts=attempts-?, lease_node=NULL, lease_until=NULL, updated_at=?,"
		" finished_at=? WHERE id=? AND lease_node=? AND attempts=? AND state='running'",
		"sisiijssi", state, run_after, last_error, (int64_t)(uncount ? 1 : 0), now, fin, id,
		node, (int64_t)attempt);
	json_decref(fin);
	return rc;
}

int store_job_again(store_tx_t *tx, const char *id, const char *node, int attempt,
	int64_t run_after, const char *progress, int64_t now)
{
	return sq_exec(tx, true, "UPDATE jobs SET state='queued', run_after=?, attempts=0,"
		" last_error=NULL, progress=?, lease_node=NULL, lease_until=NULL, updated_at=?,"
		" finished_at=NULL WHERE id=? AND lease_node=? AND attempts=? AND state='running'",
		"isissi", run_after, progress, now, id, node, (int64_t)attempt);
}

json_t *store_job_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " JOB_COLS " FROM jobs WHERE id=? AND (? IS NULL OR account_id=?)",
		"sss", id, account_id, account_id);
}

int store_job_next_due_n(store_tx_t *tx, const char *const *kinds, int n, int64_t *next)
{
	/* One statement for the kinds of a pool (written in, as in
	 * store_job_claim): one query per look, one cached statement per
	 * pool. */
	char sql[900];
	int len = snprintf(sql, sizeof sql, "SELECT kind, min(CASE WHEN state='queued' THEN"
		" run_after ELSE lease_until END) AS t FROM jobs WHERE state IN ('queued', 'running')"
		" AND kind IN (");
	for (int i = 0; i < n; i++) {
		next[i] = INT64_MAX;
		if (!sq_kind_ok(kinds[i]) || len < 0 || (size_t)len >= sizeof sql)
			return -1;
		len += snprintf(sql + len, sizeof sql - (size_t)len, "%s'%s'", i ? ", " : "", kinds[i]);
	}
	if (n == 0 || len < 0 || (size_t)len + 16 >= sizeof sql)
		return n == 0 ? 0 : -1;
	snprintf(sql + len, sizeof sql - (size_t)len, ") GROUP BY kind");
	json_t *rows = sq_rows(tx, sql, "");
	if (!rows)
		return -1;
	size_t k;
	json_t *r;
	json_array_foreach(rows, k, r) {
		const char *kind = json_string_value(json_object_get(r, "kind"));
		json_t *t = json_object_get(r, "t");
		for (int i = 0; kind && json_is_integer(t) && i < n; i++)
			if (strcmp(kinds[i], kind) == 0)
				next[i] = (int64_t)json_integer_value(t);
	}
	json_decref(rows);
	return 0;
}

int64_t store_job_next_due(store_tx_t *tx, const char *kind)
{
	if (!sq_kind_ok(kind))
		return -1;
	char sql[300];
	snprintf(sql, sizeof sql, "SELECT min(CASE WHEN state='queued' THEN run_after ELSE lease_until"
		" END) AS t FROM jobs WHERE kind='%s' AND state IN ('queued', 'running')", kind);
	json_t *r = sq_one(tx, sql, "");
	if (!r)
		return -1;
	json_t *t = json_object_get(r, "t");
	int64_t v = json_is_integer(t) ? (int64_t)json_integer_value(t) : INT64_MAX;
	json_decref(r);
	return v;
}

json_t *store_job_by_ref(store_tx_t *tx, const char *kind, const char *ref)
{
	if (!sq_kind_ok(kind))
		return NULL;
	char sql[400];
	snprintf(sql, sizeof sql, "SELECT " JOB_COLS " FROM jobs WHERE kind='%s' AND ref=?"
		" ORDER BY created_at DESC LIMIT 1", kind);
	return sq_one(tx, sql, "s", ref);
}

json_t *store_job_counts(store_tx_t *tx)
{
	return sq_rows(tx, "SELECT kind, state, count(*) AS n FROM jobs GROUP BY kind, state"
		" ORDER BY kind, state", "");
}

int store_job_purge(store_tx_t *tx, int64_t before, int limit)
{
	if (sq_exec(tx, false, "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs"
		    " WHERE state IN ('done', 'failed') AND finished_at < ? ORDER BY finished_at"
		    " LIMIT ?)", "in", before, limit) != STORE_OK)
		return -1;
	return sq_changes(tx);
}

json_t *store_job_failed(store_tx_t *tx, int limit)
{
	return sq_rows(tx, "SELECT id, kind, account_id, ref, attempts, max_attempts, last_error,"
		" created_at, finished_at FROM jobs WHERE state = 'failed'"
		" ORDER BY finished_at DESC, id LIMIT ?", "n", limit);
}

int store_job_retry(store_tx_t *tx, const char *id, int64_t now)
{
	return sq_exec(tx, true, "UPDATE jobs SET state='queued', max_attempts=attempts + 1,"
		" run_after=?, lease_node=NULL, lease_until=NULL, finished_at=NULL, updated_at=?"
		" WHERE id=? AND state='failed'", "iis", now, now, id);
}
