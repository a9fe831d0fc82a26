/* Inside numbers.c and the files split from it (trunks.c, trunk_routing.c,
 * ports.c): what they share. Not for use outside src/domain/numbers; the
 * folder's contract is numbers.h. */

#ifndef FV_DOMAIN_NUMBERS_INT_H
#define FV_DOMAIN_NUMBERS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "numbers.h"

/* The built-in trunk whose numbers the service answers itself. */
#define LOOPBACK "loopback"

/* numbers.c */
/* The fax settings of c's configuration, or NULL. */
const fax_env_t *nb_env_of(const dom_ctx_t *c);
/* Audits a change whose store result is rc (detail is consumed): 0, or -1
 * with e when the store or the audit failed. */
int nb_audited(dom_ctx_t *c, int rc, const char *action, const char *target,
	const char *account_id, json_t *detail, dom_err_t *e);
/* Whether s is one of the NULL-terminated words. */
int nb_one_of(const char *s, const char *const *words);
/* The time of rec's key as the API shows it (null when unset): a new reference. */
json_t *nb_time_or_null(const json_t *rec, const char *key);
/* A new inventory row for number on trunk_id. */
json_t *nb_inventory_row(const char *number, const char *trunk_id, int64_t now);

/* trunk_routing.c */
/* The loopback trunk's peer: the service's own listener ("" when none). */
const char *nb_loopback_peer(const fax_env_t *env);
/* The SIP transport of trunk row t: udp, tcp or tls. */
const char *nb_trunk_sip_transport(const json_t *t);
/* A JSON array stored as text in column col of t, or a new empty array. */
json_t *nb_json_array_col(const json_t *t, const char *col);
/* Adds inbound_cidrs, called_number, inbound_rewrite, inbound_auth and
 * tls_peer_name of row t to out. */
void nb_trunk_inbound_fields(const json_t *t, json_t *out);
/* The newest seen_at of a trunk's trunk_node_states rows. */
int64_t nb_node_rows_newest(const json_t *rows);
/* Whether node row r still counts: seen within the staleness window of newest. */
bool nb_node_row_counts(const json_t *r, int64_t newest);

#endif
