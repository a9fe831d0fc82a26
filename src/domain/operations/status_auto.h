/* Automatic component states of the status board (P13): each component
 * follows the service's health checks and fax metrics unless an operator
 * pinned its state (PUT /v1/provider/status/components/{component}).
 *
 *   trunk:<id>  major_outage while its peer does not answer the OPTIONS
 *               keep-alive (trunks.link_status down); degraded while at
 *               least status.failure_min_calls outbound calls ended on it
 *               in the last status.failure_window_minutes and
 *               status.failure_percent of them or more failed.
 *   sending     major_outage when no active trunk answers; degraded when
 *               some do not, or when the failure rate over every trunk is
 *               above the threshold.
 *   receiving   major_outage when no active trunk answers.
 *   mail        degraded while messages wait in the outbox after a failed
 *               attempt (the relay refuses them for now or cannot be
 *               reached), when mail is on.
 *   api         degraded while at least status.failure_min_calls requests
 *               were answered in the last status.failure_window_minutes and
 *               status.failure_percent of them or more were 5xx (this
 *               process's answers: each node judges its own).
 *   portal      major_outage while the portal's index.html cannot be read,
 *               partial_outage while a file its page names (src="/…",
 *               href="/…") cannot; no rule when no portal is served.
 *
 * Recovery clears the state the same way. Every change is written to the
 * component's history (GET /v1/provider/status/components) and audited as
 * status.component.auto by system:status, and logged. */
#ifndef FV_DOMAIN_STATUS_AUTO_H
#define FV_DOMAIN_STATUS_AUTO_H

#include <stdint.h>

#include "domain.h"

#define STATUS_HISTORY_SHOWN 20 /* changes listed per component */

/* The automatic states at now, each change recorded (see above), in one
 * transaction of st; runs at most once per cfg->status_check_ms of the
 * clock (callers may call it more often). Changes recorded, or -1. */
int dom_status_pass(store_t *st, const dom_config_t *cfg, int64_t now);

/* GET /v1/provider/status/components: every component {id, name, state
 * (pinned, else automatic), pinned, automatic: {state, reason, updated_at},
 * history: [{source, state, reason, actor, created_at}] (newest first, at
 * most STATUS_HISTORY_SHOWN)}. */
int dom_status_component_list(dom_ctx_t *c, json_t **out, dom_err_t *e);

#endif
