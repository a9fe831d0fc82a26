/* The job queue as the provider's operators see it (docs/architecture.md,
 * "The job queue"): its depth by kind and state and the failed jobs, and a
 * failed job queued again. Operations of domain.h (provider.requests.manage
 * on the routes), audited. */
#ifndef FV_DOMAIN_JOBS_H
#define FV_DOMAIN_JOBS_H

#include "domain.h"

/* Failed jobs listed at most (the most recent first). */
#define DOM_JOBS_FAILED_MAX 100

/* {kinds: [{kind, queued, running, done, failed}], failed: [{id, kind,
 * account_id, ref, attempts, max_attempts, last_error, created_at,
 * finished_at}]}; audited as queue.read. */
int dom_jobs_overview(dom_ctx_t *c, json_t **out, dom_err_t *e);
/* Queues failed job id again for one more attempt, due now: the job's view
 * (queue_job_view); audited as queue.retry on the job's account. 404
 * not-found when no failed job has that id. */
int dom_jobs_retry(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);

/* The record of a purge of n finished jobs that ended before before (the
 * retention sweep's queue_purge hook, in its transaction tx): the audit
 * event queue.purged of system:queue in the provider's chain, with the
 * count and the cut-off. 0 / -1. */
int dom_jobs_purged(store_tx_t *tx, int n, int64_t before, void *arg);

#endif
