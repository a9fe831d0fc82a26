/* The webhook sender: the handler of the queue's jobs of kind WEBHOOK_JOB
 * (dom_webhook_emit enqueues one per delivery, in the transaction of its
 * event), posting each delivery signed as the Standard Webhooks
 * specification says, and recording each attempt on the delivery (its
 * log): delivered on a 2xx, otherwise retried on the schedule of
 * webhook_backoff_ms() and failed after WEBHOOK_MAX_ATTEMPTS.
 *
 * Any node sharing the database may run a delivery's job: the queue leases
 * it to one node at a time (queue.h), and the attempt is recorded in a
 * transaction that still holds that lease. Each attempt resolves the URL's
 * host again, checks every address (ssrf.h, with env->webhook_allow) and
 * pins the connection to the checked address, so a DNS answer that changes
 * cannot move it; redirects are not followed.
 *
 * Ownership: st and env are borrowed and must outlive the queue. */
#ifndef FV_WEBHOOK_SENDER_H
#define FV_WEBHOOK_SENDER_H

#include <stddef.h>

#include "fax/fax.h"
#include "queue.h"
#include "store.h"

typedef struct webhook_sender webhook_sender_t;

/* Registers the kind WEBHOOK_JOB on q (before queue_start); timeout_ms
 * caps one delivery (connect and answer). NULL with a reason in err. */
webhook_sender_t *webhook_sender_register(queue_t *q, store_t *st, const fax_env_t *env,
	int timeout_ms, char *err, size_t errlen);
/* Frees w, once q is stopped. NULL is a no-op. */
void webhook_sender_free(webhook_sender_t *w);

#endif
