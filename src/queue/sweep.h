/* The periodic sweeps on the job queue (queue.h): the status board's pass,
 * the retention sweep, the billing pass, the sign-in domains' re-check, the
 * audit checkpoint.
 *
 * - Each sweep is one recurring job of kind SWEEP_KIND whose ref (and
 *   payload's "sweep") is its name. Its run makes one pass and, in the
 *   transaction that ends it, queues the job again at now + the delay the
 *   pass returned (queue_job_again): the sweep's period, or 0 at once when
 *   a batch was full.
 * - At start each node enqueues the job of every sweep it knows that has
 *   none queued or running (queue_enqueue_once, against a unique index): one
 *   job per sweep exists among all the nodes of a database, so a sweep runs
 *   on one node at a time, whichever claims it; a node that dies holding
 *   one leaves it to the others once its lease passes (at once when the
 *   same node starts again: queue_reclaim).
 * - Passes run on SWEEP_WORKERS threads of the kind's own (a silent DNS in
 *   one pass holds up no render, webhook or mail), on the service's clock
 *   (the test clock moves them).
 * - A node that does not know a sweep it claimed (another version) puts it
 *   back for SWEEP_UNKNOWN_MS, for a node that does.
 *
 * Ownership: the names and args are borrowed and must outlive the queue. */
#ifndef FV_SWEEP_H
#define FV_SWEEP_H

#include <stdint.h>

#include "buf.h"
#include "queue.h"
#include "store.h"

#define SWEEP_KIND "sweep"
#define SWEEPS_MAX 8
#define SWEEP_WORKERS 2
#define SWEEP_LEASE_MS (10 * 60000)
#define SWEEP_UNKNOWN_MS 60000

/* One pass of a sweep at now (the service's clock): the delay before its
 * next pass in ms (0: at once). job: for queue_job_hold in a long pass. */
typedef int64_t (*sweep_pass_fn)(void *arg, const queue_job_t *job, int64_t now);

typedef struct sweeps sweeps_t;

sweeps_t *sweeps_new(void);
/* Adds the sweep name, whose first pass, when no node has its job yet, is
 * due first_ms after now. 0, or -1 (too many, or twice). */
int sweeps_add(sweeps_t *sw, const char *name, sweep_pass_fn pass, void *arg, int64_t first_ms);
/* Registers the kind on q (before queue_start) and enqueues the job of each
 * sweep added that has none. 0, or -1 with a reason in err. */
int sweeps_register(sweeps_t *sw, queue_t *q, store_t *st, char *err, size_t errlen);
/* Passes of sweep name this process ran (0 when unknown). */
unsigned long long sweeps_passes(const sweeps_t *sw, const char *name);
/* faxvault_sweep_passes_total{sweep} of every sweep added. */
void sweeps_metrics(buf_t *out, const sweeps_t *sw);
/* NULL is a no-op; after queue_stop. */
void sweeps_free(sweeps_t *sw);

#endif
