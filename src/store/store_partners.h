/* The store's side of partner self-service (R01, R02): partner staff by
 * role, and the totals the partner's view of its accounts shows. Every
 * query names its partner or account. */
#ifndef FV_STORE_PARTNERS_H
#define FV_STORE_PARTNERS_H

#include <stdint.h>

#include "store.h"

/* Active staff of partner_id holding role; -1 on error. */
int store_partner_staff_count_role(store_tx_t *tx, const char *partner_id, const char *role);

/* Call totals of account_id over the finished attempts started in
 * [since, until): {calls, outbound, inbound, ok, pages, duration_ms, cost}
 * (new reference), or NULL on error. */
json_t *store_cdr_totals(store_tx_t *tx, const char *account_id, int64_t since, int64_t until);

/* The partner's logo (0046): {partner_id, content_type, width, height,
 * data (base64), updated_at} (new reference), NULL when none. */
json_t *store_partner_logo_get(store_tx_t *tx, const char *partner_id);
/* Sets or replaces it. STORE_OK or an error. */
int store_partner_logo_put(store_tx_t *tx, const char *partner_id, const char *content_type,
	int width, int height, const char *data_b64, int64_t now);
/* Removes it: STORE_OK, STORE_NOTFOUND when there was none. */
int store_partner_logo_delete(store_tx_t *tx, const char *partner_id);

#endif
