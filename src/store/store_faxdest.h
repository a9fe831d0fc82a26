/* The store's side of the per-destination memory (src/domain/fax/faxdest.h):
 * what last worked for a number over a trunk. */
#ifndef FV_STORE_FAXDEST_H
#define FV_STORE_FAXDEST_H

#include "store.h"

/* {transport, ecm, bit_rate, updated_at} for (trunk_id, to_number), or NULL
 * when none is kept. New reference, the caller frees. */
json_t *store_faxdest_get(store_tx_t *tx, const char *trunk_id, const char *to_number);
/* Keeps what worked (replacing what was kept), and drops every row not
 * updated since older_than (ms). STORE_OK / STORE_ERROR. */
int store_faxdest_put(store_tx_t *tx, const char *trunk_id, const char *to_number,
	const char *transport, int ecm, int bit_rate, int64_t now, int64_t older_than);
/* Forgets (trunk_id, to_number). STORE_OK (also when none was kept) /
 * STORE_ERROR. */
int store_faxdest_forget(store_tx_t *tx, const char *trunk_id, const char *to_number);

#endif
