/* Retention (C09): how long an account keeps its faxes, legal holds that
 * stop deletion, and the sweep that deletes what a policy made due.
 * See docs/fax-service.md ("Retention and legal holds").
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
#ifndef FV_DOMAIN_RETENTION_H
#define FV_DOMAIN_RETENTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain.h"
#include "faxenv.h"
#include "store.h"

/* Days a policy may name: 1 to RETENTION_DAYS_MAX (100 years). */
#define RETENTION_DAYS_MAX 36500
/* Characters of a legal hold's reason. */
#define RETENTION_REASON_MAX 200

/* Whether fax record f is held: by a hold on the fax or on its account. */
bool dom_retention_held(store_tx_t *tx, const json_t *f);

/* GET /v1/accounts/{id}/retention: {account_id, inbound_fax_days,
 * outbound_fax_days, safebox_days (null: keep), legal_hold: {held, reason},
 * bounds: {min_days, max_days}, updated_at}. */
int dom_retention_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* PATCH: any of the three numbers of days (an integer, or null for keep),
 * legal_hold (boolean) and legal_hold_reason (required to set a hold);
 * within the provider's bounds (retention.min_days, retention.max_days). */
int dom_retention_update(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* PUT (body {reason}) or DELETE (body NULL) of the hold on one fax of the
 * account: the fax as GET /v1/faxes/{id} shows it. */
int dom_fax_hold(dom_ctx_t *c, const json_t *account, const char *fax_id, const json_t *body,
	json_t **out, dom_err_t *e);

/* One pass of the sweep at now: deletes up to limit due faxes and up to
 * limit due SafeBoxes (each in its own transaction, audited as
 * fax.retention_delete or safebox.retention_delete by system:retention
 * with the rule that made it due). The number deleted, or -1 when the store
 * failed. Idempotent: a fax deleted twice is not found the second time. */
int dom_retention_sweep(store_t *st, const fax_env_t *env, int64_t now, int limit);

#endif
