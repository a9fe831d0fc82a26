/* The job queue: work that must not run in a request (rendering a fax, a
 * GDPR export of a thousand documents) has one home, the jobs table of the
 * store (store_jobs.h), and runs on worker threads of the queue of any
 * process or node sharing that database.
 *
 * - A job is enqueued inside the caller's transaction: it exists if and
 *   only if what caused it committed.
 * - Workers claim a due job (FOR UPDATE SKIP LOCKED on PostgreSQL, under
 *   SQLite's single writer otherwise) with a lease. A lease that passes
 *   (the node died, the process was killed) makes the job claimable by any
 *   node again; the attempt counts.
 * - A run ends done, retried later with backoff (the kind's backoff_ms,
 *   doubling, at most QUEUE_BACKOFF_MAX_MS), or failed for good after
 *   max_attempts or a permanent failure; the kind's failed() hook then
 *   records the outcome (in the transaction that marks the job failed).
 * - Workers are woken by notification, not polling: on this node, a
 *   condition variable signalled once the enqueuing transaction commits;
 *   across nodes, PostgreSQL NOTIFY on channel QUEUE_CHANNEL (sent at
 *   commit) and one LISTEN connection per queue. A slow timer
 *   (fallback_ms) is only a safety net; a job due later (run_after) wakes
 *   its worker at that time.
 * - A kind runs on the queue's shared workers, or on a pool of threads of
 *   its own (queue_kind_t.workers): at most that many of its jobs run at
 *   once in this process, and its long runs (a fax call) never hold up the
 *   other kinds, nor theirs it.
 * - A recurring job (the periodic sweeps, sweep.h) is one row for ever:
 *   the run that ends it queues it again (queue_job_again) in the
 *   transaction that ends it; queue_enqueue_once creates it only when no
 *   queued or running job of that kind and ref exists.
 * - Handlers are registered by kind. A handler that commits work of its
 *   own in several transactions calls queue_job_hold() in each (fencing:
 *   STORE_NOTFOUND when its lease was lost to another node) and records
 *   where it is with queue_job_progress(), so that a run resumed after a
 *   crash repeats nothing committed.
 *
 * Times come from time_now_ms(), which tests shift (no sleeps in tests).
 * Ownership: st and the strings of the kinds are borrowed and must
 * outlive the queue. */
#ifndef FV_QUEUE_H
#define FV_QUEUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

#define QUEUE_ID_MAX 40
#define QUEUE_KINDS_MAX 8
#define QUEUE_WORKERS_MAX 16
#define QUEUE_KIND_WORKERS_MAX 256
#define QUEUE_CHANNEL "fv_jobs"
#define QUEUE_LEASE_DEFAULT_MS (5 * 60000)
#define QUEUE_BACKOFF_DEFAULT_MS 10000
#define QUEUE_BACKOFF_MAX_MS 3600000
#define QUEUE_FALLBACK_DEFAULT_MS 60000
#define QUEUE_ATTEMPTS_DEFAULT 5

typedef struct queue queue_t;

/* A job as its handler sees it (all borrowed for the run). */
typedef struct queue_job {
	queue_t *q;
	store_t *st;
	const char *id, *kind, *account_id; /* account_id "" when none */
	const json_t *payload;              /* an object */
	const json_t *progress;             /* what a previous run recorded, or NULL */
	int attempt;                        /* 1 for the first run */
	int max_attempts;
	struct queue_again *again;          /* private: queue_job_again */
	void *claimed;                      /* what the kind's claim hook set, or NULL:
	                                     * the run's own from then on */
} queue_job_t;

enum queue_outcome {
	QUEUE_DONE,  /* finished */
	QUEUE_RETRY, /* failed this time: again after a backoff, or failed at max_attempts */
	QUEUE_FAIL,  /* failed for good */
	QUEUE_YIELD, /* not finished (the queue stops): again at once, the attempt not counted */
};

/* One run; why (whylen bytes) receives the reason of a failure (recorded
 * as the job's last_error: no secret, no personal data). */
typedef enum queue_outcome (*queue_run_fn)(const queue_job_t *job, void *arg, char *why,
	size_t whylen);
/* The job is given up (why: its last error): records the outcome in tx,
 * which also marks it failed. 0, or -1 (the run is tried again later). */
typedef int (*queue_failed_fn)(store_tx_t *tx, const queue_job_t *job, void *arg,
	const char *why);

/* A kind's own claim, in the write transaction that claims its job (which
 * commits before the run): what the run would claim in a transaction of
 * its own first (a fax for its call) costs no commit of its own. job is
 * the job being claimed, as its run will see it. 0 with *claimed set to
 * what the run finds in job->claimed (NULL: nothing claimed here; the run
 * owns it); -1 on a store error, leaving *claimed NULL: the transaction is
 * rolled back, the job claimed alone, and its run finds job->claimed NULL
 * (it claims for itself). Called only for a job whose run will be called.
 * unclaim frees what claim set when its transaction does not commit. */
typedef int (*queue_claim_fn)(store_tx_t *tx, const queue_job_t *job, void *arg,
	void **claimed);
typedef void (*queue_unclaim_fn)(void *claimed, void *arg);

/* The delay before the next run after attempt number attempt failed (a
 * kind's own schedule); < 0 takes the doubling of backoff_ms. */
typedef int64_t (*queue_backoff_fn)(int attempt);

typedef struct queue_kind {
	const char *kind;
	queue_run_fn run;
	queue_failed_fn failed; /* may be NULL */
	void *arg;
	int64_t lease_ms;   /* 0: the queue's lease (queue.lease_seconds) */
	int64_t backoff_ms; /* 0: QUEUE_BACKOFF_DEFAULT_MS */
	queue_backoff_fn backoff; /* NULL: backoff_ms, doubling */
	int workers; /* > 0: threads of its own run this kind only (at most that many of its
	              * jobs at once here), the shared workers never; 0: the shared workers */
	queue_claim_fn claim;     /* may be NULL */
	queue_unclaim_fn unclaim; /* with claim */
} queue_kind_t;

typedef struct queue_config {
	const char *node;    /* this node's name in leases (the process id is added) */
	int workers;         /* threads (0: 2) */
	int64_t fallback_ms; /* safety-net wake (0: QUEUE_FALLBACK_DEFAULT_MS) */
	int64_t lease_ms;    /* lease of kinds without their own (0: QUEUE_LEASE_DEFAULT_MS) */
} queue_config_t;

/* Enqueues a job of kind (account_id and ref, what it is about, may be
 * NULL: see store_job_by_ref) in tx, due at run_after
 * (0: now), tried at most max_attempts times (0: QUEUE_ATTEMPTS_DEFAULT).
 * Its id into id when not NULL. Workers are woken when tx commits. 0, or
 * -1 (logged). */
int queue_enqueue(store_tx_t *tx, const char *kind, const char *account_id, const char *ref,
	const json_t *payload, int max_attempts, int64_t run_after, char id[QUEUE_ID_MAX]);

/* As queue_enqueue, unless a queued or running job of kind about ref
 * exists (a kind with a unique index on it: the sweeps and the sends,
 * migrations 0066 and 0067):
 * 1 when enqueued, 0 when one exists, -1 (logged). */
int queue_enqueue_once(store_tx_t *tx, const char *kind, const char *account_id,
	const char *ref, const json_t *payload, int64_t run_after);

/* A queue of this process on st (no thread yet). */
queue_t *queue_new(store_t *st, const queue_config_t *cfg);
/* Registers the handler of a kind (before queue_start). 0, or -1 (too
 * many, or twice). */
int queue_register(queue_t *q, const queue_kind_t *kind);
/* Starts the workers, and the listener on PostgreSQL. 0, or -1 with a
 * reason in err. */
int queue_start(queue_t *q, char *err, size_t errlen);
/* Stops the workers (a run in flight ends first; a long one sees
 * queue_job_stopping) and frees q. NULL is a no-op. */
void queue_stop(queue_t *q);
/* Runs at most one due job of the registered kinds in this thread: 1 when
 * one ran, 0 when none was due, -1 on a store error (tests; workers). */
int queue_run_once(queue_t *q);
/* The workers of q waiting for a job now, and how many times a worker's
 * wait was ended by a wake (not by its timeout) since queue_start (tests:
 * an enqueue wakes one worker of the pool that runs its kind). */
void queue_wait_stats(queue_t *q, int *waiting, uint64_t *woken);
/* Ends the leases that earlier processes of this node (killed, crashed)
 * still hold, so that their jobs can be claimed at once by any node rather
 * than when the lease passes; another node's leases are never touched.
 * queue_start does it; a process that runs no workers (queue.workers=0)
 * calls it alone. The number of leases ended, or -1 (they pass as they
 * would have). */
int queue_reclaim(queue_t *q);
/* This node's name in leases. */
const char *queue_node(const queue_t *q);

/* Pushes the lease of job on (now + its kind's lease) in tx: 0, or
 * STORE_NOTFOUND when another node holds it now (stop: its work is not
 * ours to commit), STORE_ERROR. */
int queue_job_hold(store_tx_t *tx, const queue_job_t *job);
/* Records progress (an object) of job in tx, fenced as queue_job_hold. */
int queue_job_progress(store_tx_t *tx, const queue_job_t *job, const json_t *progress);
/* The job ends done in tx, the run's last write transaction (fenced as
 * queue_job_hold), instead of in a transaction of its own after the run:
 * one commit fewer. Once tx has committed the run must end QUEUE_DONE
 * (nothing more is written for it, queue_job_again included); a rollback
 * or a failed commit leaves the job to the run's end as before. 0,
 * STORE_NOTFOUND (the lease is another's), STORE_ERROR. */
int queue_job_done_tx(store_tx_t *tx, const queue_job_t *job);
/* Once this run ends QUEUE_DONE, job is queued again (in the transaction
 * that ends the run), due at at, its attempts from 0, with progress (NULL:
 * none) what its next run sees: a recurring job. Called from the run. */
void queue_job_again(const queue_job_t *job, int64_t at, const json_t *progress);
/* Whether the queue running job is stopping (a long run yields). */
bool queue_job_stopping(const queue_job_t *job);

/* A job as the API shows it: {id, kind, state, attempts, max_attempts,
 * run_after, last_error, progress, created_at, updated_at, finished_at}
 * with RFC 3339 times; NULL when there is none (of account_id when not
 * NULL). */
json_t *queue_job_view(store_tx_t *tx, const char *account_id, const char *id);

/* ---- operators ---- */
/* What a purge records in its own transaction (n jobs deleted, n > 0):
 * 0, or -1 (nothing is deleted). */
typedef int (*queue_purged_fn)(store_tx_t *tx, int n, int64_t before, void *arg);
/* Deletes at most limit finished jobs (done or failed) that ended before
 * before (the retention sweep, led by one node), and records it with
 * purged (NULL: nothing but a log line) in the same transaction: the
 * number, or -1. */
int queue_purge(store_t *st, int64_t before, int limit, queue_purged_fn purged, void *arg);
/* Queues the failed job id again in tx, due now, with one attempt more than
 * it made; workers are woken when tx commits. 0, STORE_NOTFOUND (no failed
 * job of that id), or STORE_ERROR. */
int queue_retry(store_tx_t *tx, const char *id);
/* The queue as an operator sees it: {kinds: [{kind, queued, running, done,
 * failed}], failed: [{id, kind, account_id, ref, attempts, max_attempts,
 * last_error, created_at, finished_at}]} (at most limit failed jobs, the
 * most recent first; RFC 3339 times), or NULL on a store error. */
json_t *queue_overview(store_tx_t *tx, int limit);

/* Appends the queue's series to a /metrics exposition: jobs by kind and
 * state (faxvault_queue_jobs), and runs of this process by outcome. */
void queue_metrics(buf_t *out, store_t *st);

#endif
