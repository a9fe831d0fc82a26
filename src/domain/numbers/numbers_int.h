/* Inside numbers.c and the files split from it (trunks.c, trunk_routing.c,
 * ports.c), and requests.c and the files split from it (request_fields.c,
 * capacity.c): what they share. Not for use outside src/domain/numbers; the
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

/* requests.c: the requests' kinds, filing, reading and answering */
/* Request row r as the API shows it: its fields (the internal *_ms copies
 * removed) and its timeline, read in tx. A new reference, owned by the
 * caller. */
json_t *rq_request_json(store_tx_t *tx, const json_t *r);

/* request_fields.c: the fields of each kind of request */
/* Checks body, the fields of a new request of kind (one of fraud, pentest,
 * forecast) filed at now, and adds them to f (borrowed; times also as
 * "<key>_ms" for the store's window queries; a forecast's capacity view at
 * filing time, read in c->tx). 0, or -1 with e (validation-failed, or
 * internal when the capacity could not be read). */
int rq_fields(dom_ctx_t *c, const char *kind, const json_t *body, json_t *f, int64_t now,
	dom_err_t *e);

/* capacity.c: the capacity view (dom_capacity) and what it and a new
 * forecast are set against */
/* The concurrent calls the active trunks carry (0: a trunk without a
 * ceiling makes the capacity unbounded, -1: the trunks could not be read).
 * With trunks_out, also the list of those trunks {id, name, max_calls}, a
 * new reference owned by the caller. */
int64_t rq_trunk_capacity(store_tx_t *tx, json_t **trunks_out);
/* The peak calls of the forecasts (submitted or acknowledged) whose windows
 * overlap [from, to), other than skip_id (NULL: none). -1 on error. */
int64_t rq_forecast_load(store_tx_t *tx, int64_t from, int64_t to, const char *skip_id);

#endif
