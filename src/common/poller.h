/* A poller: one thread that calls a pass function again and again, at once
 * while passes find work (return > 0) and otherwise every poll_ms or when
 * woken, until it is stopped. The outbox senders (webhooks, mail) run on it.
 *
 * Ownership: arg is borrowed and must outlive the poller. */
#ifndef FV_POLLER_H
#define FV_POLLER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct poller poller_t;

/* One pass: the number of items handled (0: nothing due). A long pass
 * checks poller_stopping() between items. */
typedef int (*poller_pass_fn)(poller_t *p, void *arg);

/* Starts the thread. NULL with a reason in err. */
poller_t *poller_start(const char *name, int poll_ms, poller_pass_fn pass, void *arg, char *err,
	size_t errlen);
/* Makes the thread run a pass now rather than at its next poll. */
void poller_wake(poller_t *p);
/* Whether poller_stop() was called (for passes that handle several items). */
bool poller_stopping(poller_t *p);
/* Asks the thread to stop, joins it (the pass in flight ends first) and
 * frees p. NULL is a no-op. */
void poller_stop(poller_t *p);

#endif
