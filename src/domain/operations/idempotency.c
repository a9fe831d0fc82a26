/* The expiry of Idempotency-Key answers (see idempotency.h). */
#include "operations.h"

#include "log.h"

int64_t dom_idem_window_ms(const dom_config_t *cfg)
{
	return cfg && cfg->idem_retention_ms > 0 ? cfg->idem_retention_ms : DOM_IDEM_MS_DEFAULT;
}

int dom_idem_purge(store_t *st, const dom_config_t *cfg, int64_t now, int limit)
{
	store_tx_t *tx = store_begin(st, true);
	int n = tx ? store_idem_purge(tx, now - dom_idem_window_ms(cfg), limit) : -1;
	if (tx && (n < 0 || store_commit(tx) != STORE_OK)) {
		if (n < 0)
			store_rollback(tx);
		n = -1;
	}
	if (n != 0)
		log_event(n < 0 ? LOG_ERROR : LOG_INFO, "api.idempotency_purged", "keys=%d", n);
	return n;
}
