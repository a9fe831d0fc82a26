/* The status board (P13): the state of each component of the service,
 * incidents with their timeline of updates, and scheduled maintenance
 * windows; published without authentication as HTML (EN/FR), JSON and an
 * Atom feed, managed by provider staff holding provider.status.manage.
 * See docs/provider-duties.md.
 *
 * Components: api, portal, sending, receiving, mail, and trunk:<id> for each
 * trunk. States, from best to worst: operational, maintenance, degraded,
 * partial_outage, major_outage. A component's state is the worst of the one
 * an operator set, the impact of every open incident naming it, and
 * "maintenance" while a window naming it is in progress (at the clock's now).
 *
 * Operations follow domain.h: they run in c->tx and return 0 with *out set
 * (new reference), or -1 with e filled in. Operator actions are audited
 * (status.incident.create, status.incident.update, status.component.set). */
#ifndef FV_DOMAIN_STATUS_H
#define FV_DOMAIN_STATUS_H

#include <stddef.h>

#include "domain.h"

#define STATUS_TITLE_MAX 200   /* characters of a title */
#define STATUS_MESSAGE_MAX 4000 /* characters of an update's message */
#define STATUS_BOARD_DAYS 7     /* closed incidents stay on the board this long */

/* GET /status.json: {updated_at, overall, components: [{id, name, state}],
 * incidents: [...], maintenance: [...]}, titles and messages in c->lang. */
int dom_status_board(dom_ctx_t *c, json_t **out, dom_err_t *e);
/* GET /status and /status.atom: the same board as an HTML page (no script)
 * in c->lang, or an Atom feed (RFC 4287) with one entry per incident or
 * window. *data is malloc'd (caller frees). */
int dom_status_html(dom_ctx_t *c, unsigned char **data, size_t *len, dom_err_t *e);
int dom_status_atom(dom_ctx_t *c, unsigned char **data, size_t *len, dom_err_t *e);

/* POST /v1/provider/incidents {kind?: incident|maintenance, title_en,
 * title_fr, impact, components, status?, message_en, message_fr, starts_at,
 * ends_at (maintenance only, both required)}: the record with its first
 * update. */
int dom_status_incident_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
/* POST /v1/provider/incidents/{id}/updates {status, message_en,
 * message_fr}: adds to the timeline; resolved/completed closes it (409
 * invalid-state once closed). */
int dom_status_incident_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_status_incident_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
int dom_status_incident_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out,
	dom_err_t *e);
/* PUT /v1/provider/status/components/{component} {state}. */
int dom_status_component_set(dom_ctx_t *c, const char *component, const json_t *body,
	json_t **out, dom_err_t *e);

#endif
