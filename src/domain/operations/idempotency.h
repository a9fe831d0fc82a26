/* How long an Idempotency-Key is remembered (api.idempotency_hours): the
 * window op_idempotent replays within, and the retention sweep's purge of
 * the answers stored before it. */
#ifndef FV_DOMAIN_IDEMPOTENCY_H
#define FV_DOMAIN_IDEMPOTENCY_H

#include "domain.h"

/* The window when cfg sets none (api.idempotency_hours' default, 24 h). */
#define DOM_IDEM_MS_DEFAULT (24LL * 3600000)

/* The window of cfg (NULL or 0: DOM_IDEM_MS_DEFAULT), in milliseconds. */
int64_t dom_idem_window_ms(const dom_config_t *cfg);
/* Deletes at most limit stored answers older than the window at now, the
 * oldest first, in a transaction of its own: how many, or -1. */
int dom_idem_purge(store_t *st, const dom_config_t *cfg, int64_t now, int limit);

#endif
