/* The store of the job queue (src/queue/queue.h): the jobs table of
 * migration 0054.
 *
 * Conventions, ownership and error codes are those of store.h. A job
 * record: {id, kind, account_id, ref (what it is about, or NULL), payload (JSON text), state (queued,
 * running, done, failed), attempts, max_attempts, run_after, lease_node,
 * lease_until, last_error, progress (JSON text or NULL), created_at,
 * updated_at, finished_at}. Every change of a job a node runs is fenced by
 * its lease: it applies only while lease_node is that node and the job is
 * running (STORE_NOTFOUND otherwise: another node took it over). */
#ifndef FV_STORE_JOBS_H
#define FV_STORE_JOBS_H

#include "store.h"

/* {id, kind, account_id?, ref?, payload, max_attempts, run_after, created_at};
 * the job is queued. */
int store_job_insert(store_tx_t *tx, const json_t *job);
/* As store_job_insert, unless a queued or running job of the same kind and
 * ref exists (kinds with a unique index on it, migration 0066): 1 when
 * inserted, 0 when one exists, -1 on error. */
int store_job_insert_once(store_tx_t *tx, const json_t *job);
/* Claims the first job of kind due at now (queued with run_after <= now,
 * or running with its lease passed), leasing it to node until now +
 * lease_ms and counting the attempt. The job as it is now (attempts
 * counted), or NULL (none due, or an error, logged). On PostgreSQL the row
 * is locked as it is read and rows other claims hold are skipped. */
json_t *store_job_claim(store_tx_t *tx, const char *kind, int64_t now, const char *node,
	int64_t lease_ms);
/* The nodes that hold a lease on a running job at now: [{lease_node}]
 * (each once), NULL on error. */
json_t *store_job_lease_nodes(store_tx_t *tx, int64_t now);
/* Ends now the leases node holds on running jobs (they are claimable at
 * once, their attempt counted as a lease that passed): the number, or -1. */
int store_job_release(store_tx_t *tx, const char *node, int64_t now);
/* A run of a job is named by its node and its attempt number (the job's
 * attempts when it was claimed): each of the three below changes the job
 * only while that run holds its lease (STORE_NOTFOUND otherwise), so a
 * run whose lease was taken as passed, by another node or by another
 * worker of the same process, can no longer write. */
/* Pushes the lease of a job node runs on to until. */
int store_job_hold(store_tx_t *tx, const char *id, const char *node, int attempt,
	int64_t until);
/* Records progress (JSON text) of a job node runs. */
int store_job_progress(store_tx_t *tx, const char *id, const char *node, int attempt,
	const char *progress, int64_t now);
/* Ends the run of a job node runs: state "done" or "failed" (finished at
 * now), or "queued" again to run at run_after; last_error NULL keeps none.
 * uncount: the attempt is given back (the run yielded, e.g. at a stop). */
int store_job_end(store_tx_t *tx, const char *id, const char *node, int attempt,
	const char *state, int64_t run_after, const char *last_error, bool uncount, int64_t now);
/* Ends the run of a recurring job node runs by queueing it again, due at
 * run_after, its attempts back to 0, its last error cleared, progress
 * (JSON text, or NULL) recorded. */
int store_job_again(store_tx_t *tx, const char *id, const char *node, int attempt,
	int64_t run_after, const char *progress, int64_t now);
/* A job, of account_id when not NULL; NULL when there is none. */
json_t *store_job_get(store_tx_t *tx, const char *account_id, const char *id);
/* The earliest time a queued or running job of kind becomes claimable
 * (its run_after, or its lease's end), or INT64_MAX when none; -1 on
 * error. A time at or before now: store_job_claim would find one (the
 * queue's look, read without taking the write lock). */
int64_t store_job_next_due(store_tx_t *tx, const char *kind);
/* The same for kinds[0..n) into next[0..n), in one query (n up to 8):
 * 0, or -1 on error (a kind not of [a-z0-9_]). */
int store_job_next_due_n(store_tx_t *tx, const char *const *kinds, int n, int64_t *next);
/* The newest job of kind about ref, or NULL. */
json_t *store_job_by_ref(store_tx_t *tx, const char *kind, const char *ref);
/* [{kind, state, n}] over every job (new reference), NULL on error. */
json_t *store_job_counts(store_tx_t *tx);
/* Deletes at most limit finished jobs (done or failed) that ended before
 * before, the oldest first: the number deleted, or -1. */
int store_job_purge(store_tx_t *tx, int64_t before, int limit);
/* The failed jobs, the most recent first: [{id, kind, account_id, ref,
 * attempts, max_attempts, last_error, created_at, finished_at}], NULL on
 * error. */
json_t *store_job_failed(store_tx_t *tx, int limit);
/* A failed job queued again, due at now, with one attempt more than it
 * made; STORE_NOTFOUND when there is no failed job id. */
int store_job_retry(store_tx_t *tx, const char *id, int64_t now);

#endif
