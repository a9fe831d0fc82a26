/* The webhook sender: one thread that drains the outbox of deliveries
 * (dom_webhook_emit writes it), posting each one signed as the Standard
 * Webhooks specification says, and records the result: delivered on a 2xx,
 * otherwise retried on the schedule of webhook_backoff_ms() and failed after
 * WEBHOOK_MAX_ATTEMPTS.
 *
 * Several nodes may run one each on a shared database: a delivery is claimed
 * in a write transaction with a lease naming the node, so no two send it at
 * once. Each attempt resolves the URL's host again, checks every address
 * (ssrf.h, with env->webhook_allow) and pins the connection to the checked
 * address, so a DNS answer that changes cannot move it; redirects are not
 * followed.
 *
 * Ownership: st and env are borrowed and must outlive the sender. */
#ifndef FV_WEBHOOK_SENDER_H
#define FV_WEBHOOK_SENDER_H

#include <stddef.h>

#include "faxenv.h"
#include "store.h"

typedef struct webhook_sender webhook_sender_t;

/* Starts the thread; timeout_ms caps one delivery (connect and answer).
 * NULL with a reason in err. */
webhook_sender_t *webhook_sender_start(store_t *st, const fax_env_t *env, int timeout_ms,
	char *err, size_t errlen);
/* Makes the thread look for due deliveries now rather than at its next poll. */
void webhook_sender_wake(webhook_sender_t *w);
/* Stops and joins the thread (a delivery in flight ends first, within the
 * timeout) and frees w. NULL is a no-op. */
void webhook_sender_stop(webhook_sender_t *w);

#endif
