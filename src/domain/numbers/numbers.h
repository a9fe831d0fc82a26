/* Trunks, the number inventory, number requests and port-in requests
 * (P12, C04a), and the routing questions the fax service asks about them:
 * which account an inbound number belongs to, which trunk carries a call,
 * which caller id an outbound fax shows.
 *
 * The dom_* operations follow the conventions of domain.h (c->tx, 0 with
 * *out a new reference, or -1 with e). The routing functions run in any
 * transaction of the caller and never write. */

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_NUMBERS_H
#define FV_DOMAIN_NUMBERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* E.164 telephone numbers and the table of countries the service can
 * assign numbers in. Pure functions over untrusted input (fuzzed by
 * fuzz/domain/e164). */
#define E164_MAX 16 /* "+" and at most 15 digits */

/* 1 when s is a valid E.164 number (+ and 8..15 digits, first digit not 0). */
int e164_valid(const char *s);

/* Copies the E.164 number in s[0..len) into out (E164_MAX + 1 bytes),
 * dropping the separators people write (spaces, '-', '.', '(', ')') and
 * surrounding blanks. 0, or -1 when what remains is not valid E.164. */
int e164_normalize(const char *s, size_t len, char out[E164_MAX + 1]);

typedef struct e164_country {
	const char *iso;  /* ISO 3166 alpha-2 */
	const char *cc;   /* country calling code, digits */
	const char *name; /* English name */
} e164_country_t;

/* The country of an ISO 3166 alpha-2 code (case-insensitive; "UK" is taken
 * for GB), or NULL when the table does not have it. */
const e164_country_t *e164_country_by_iso(const char *iso);
/* The country of a valid E.164 number: its calling code and, in the North
 * American plan (+1), its area code; NULL when the table has none. */
const e164_country_t *e164_country_of(const char *number);
/* 1 when the number belongs to country and, when area is non-empty, its
 * digits after the calling code start with area. */
int e164_in_area(const char *number, const e164_country_t *country, const char *area);
/* ---- routing (used by the fax service) ---- */

/* The assignment of an inbound number: {number, account_id, route_to ("shared"|"usr_..."), trunk_id}
 * (new reference) or NULL when the number is not assigned to an account. A number routed to a
 * member who is no longer active answers "shared". */
json_t *dom_number_inbound(store_tx_t *tx, const char *number);
/* The trunk that carries a call to `to` (E.164): the loopback trunk when `to` is a number of its
 * inventory (whatever its status), else the active trunk with the longest matching prefix.
 * A new reference {id, name, peer, username, password, transport, max_calls, status}, with the
 * password (for the caller's SIP digest) and with peer filled for loopback; with tls_cert and
 * tls_key (PEM, the key opened) when the trunk has a client certificate, and tls_peer_name (the
 * name the carrier's certificate must hold, null for the peer's host); NULL when no route. */
json_t *dom_trunk_for(store_tx_t *tx, const fax_env_t *env, const char *to);
/* Every trunk that may carry a call to `to`, in the order to try them
 * (failover): the loopback trunk alone for a number of its inventory; else
 * the active trunks with a matching prefix, those the keep-alive saw down
 * last, then the longest prefix first, then by creation. A new array of
 * objects as dom_trunk_for answers them (passwords included), or NULL when
 * no trunk matches. dom_trunk_for answers its first element. */
json_t *dom_trunks_for(store_tx_t *tx, const fax_env_t *env, const char *to);
/* The active trunks with a peer, for the keep-alive: a new array of {id,
 * peer ("IP:PORT"; loopback's own listener), link_status, sip_transport,
 * sip_transports, and tls_cert/tls_key/tls_peer_name as dom_trunk_for}; NULL when the
 * store fails. */
json_t *dom_trunks_probe(store_tx_t *tx, const fax_env_t *env);
/* Records what the keep-alive saw: links is {trunk_id: "up"|"down"|
 * "unknown"}; a trunk whose status changed gets it with link_changed_at
 * now, in one write transaction. How many changed, or -1. */
int dom_trunk_links_record(store_t *st, const json_t *links, int64_t now);
/* The same for column "link_status" or "registration" ({trunk_id:
 * "registered"|"failed"|"none"}); link_changed_at only moves with the link. */
int dom_trunk_states_record(store_t *st, const char *column, const json_t *states, int64_t now);
/* Several nodes on one database: this process is node (its fax.node_id,
 * borrowed; NULL: none, as in tools). The records above are then this
 * node's view (trunk_node_states), and the trunk's link_status and
 * registration are decided over the nodes that reported lately: a link is
 * down only when every node that probes it sees it down (trunk_routing.c).
 * dom_trunks_for orders the trunks by this node's own view. */
void dom_trunks_node(const char *node);
/* At the node's stop: removes its view and decides again. How many rows
 * were removed, or -1. */
int dom_trunk_node_forget(store_t *st, int64_t now);
/* Records where trunk_id's peer resolved to and how each target answered
 * (targets: the JSON array text of docs/fax-service.md, NULL when the lookup
 * failed; error: why, NULL or "" when it worked). Written with resolved_at
 * now only when either changed. 1 written, 0 unchanged or no such trunk,
 * -1 when the store failed. */
int dom_trunk_targets_record(store_t *st, const char *trunk_id, const char *targets, const char *error, int64_t now);
/* The active trunks that register with their carrier (register true, a
 * username): a new array of objects as dom_trunk_for answers them
 * (password included) with their last "registration"; NULL when the store
 * fails. */
json_t *dom_trunks_register(store_tx_t *tx, const fax_env_t *env);
/* The active trunks (loopback aside) that may send calls in, as a new array
 * of {id, name, peer, max_calls, username ("" when none), inbound_cidrs:
 * ["CIDR"...], called_number ("request_uri"|"to"|"header:NAME"),
 * inbound_rewrite: [{match, replace}...], inbound_auth
 * ("source"|"source_and_digest"|"digest"), tls_peer_name (null when none)},
 * by creation; NULL when the store fails. No secret. */
json_t *dom_trunks_inbound(store_tx_t *tx);
/* The password of trunk_id, opened for checking a carrier's digest
 * credentials: owned by the caller, freed with vault_secret_free(); NULL
 * when the trunk has none or it does not open. */
char *dom_trunk_inbound_password(store_tx_t *tx, const fax_env_t *env, const char *trunk_id);
/* The caller id for a fax sent by user_id of account_id: a number of the account routed to that
 * user, else one routed to "shared", else any of the account's; "" when it has none. */
void dom_caller_id(store_tx_t *tx, const char *account_id, const char *user_id, char out[32]);

/* ---- pure rules (unit-tested) ---- */

/* The prefix of `prefixes` (JSON array of "+digits") that matches `to`, as
 * its length in characters; 0 when none matches. */
size_t numbers_prefix_match(const json_t *prefixes, const char *to);
/* When a number released at `released_at` (ms) may be assigned again. */
int64_t numbers_quarantine_until(int64_t released_at, int days);
/* Whether a number of status `status` with `quarantine_until` may be picked at `now`. */
int numbers_pickable(const char *status, int64_t quarantine_until, int64_t now);

/* ---- trunks (provider, provider.telephony.manage) ---- */
int dom_trunk_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e);
int dom_trunk_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_trunk_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
int dom_trunk_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out, dom_err_t *e);

/* ---- inventory (provider) ---- */
/* {trunk, numbers: [...]} -> {trunk, imported, skipped: [{number, reason}]}. */
int dom_numbers_import(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
/* query: {status, trunk, account} strings, borrowed. */
int dom_numbers_inventory(dom_ctx_t *c, const json_t *query, const char *cursor, int limit,
	json_t **out, dom_err_t *e);

/* ---- numbers of an account (numbers.manage; listing also data.read, account.read) ---- */
/* {country, area_code?, route_to?} -> the assigned number; numbers-exhausted when none. */
int dom_number_request(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_number_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_number_get(dom_ctx_t *c, const json_t *account, const char *number, json_t **out,
	dom_err_t *e);
/* {route_to: "shared" | a member's id}. */
int dom_number_route(dom_ctx_t *c, const json_t *account, const char *number, const json_t *body,
	json_t **out, dom_err_t *e);
/* Releases the number into quarantine. */
int dom_number_release(dom_ctx_t *c, const json_t *account, const char *number, json_t **out,
	dom_err_t *e);

/* ---- port-in requests ---- */
/* fields {numbers: [strings, each one number or comma-separated ones],
 * losing_carrier, account_number_at_carrier?} (the form fields of the
 * upload), loa/loa_len the signed letter of authorization (a PDF; NULL when
 * the form had none). Borrowed. */
int dom_port_create(dom_ctx_t *c, const json_t *account, const json_t *fields, const void *loa,
	size_t loa_len, json_t **out, dom_err_t *e);
int dom_port_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_port_get(dom_ctx_t *c, const json_t *account, const char *id, json_t **out, dom_err_t *e);
/* Every account's requests, optionally of one status (provider). */
int dom_port_queue(dom_ctx_t *c, const char *status, const char *cursor, int limit, json_t **out,
	dom_err_t *e);
/* {status: in_progress|completed|rejected, reason?, trunk?} (provider). */
int dom_port_set_status(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e);

/* ---- notifications of an account ---- */
/* Records a notification of account_id (kind, the target it is about, subject
 * and body in English and French; all borrowed) in c->tx. A store code. */
int dom_notify(dom_ctx_t *c, const char *account_id, const char *kind, const char *target,
	const char *subj_en, const char *subj_fr, const char *body_en, const char *body_fr);
int dom_notification_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);

/* Requests from a customer to the provider, and the provider's answers:
 *   fraud     a report of fraudulent use or suspicious activity (C17; a
 *             partner reports for its accounts, R04): open -> investigating
 *             -> resolved | dismissed;
 *   pentest   a penetration-test authorization request (C15): scope (hosts,
 *             paths), source networks, window, contact: requested ->
 *             approved | refused; approved -> revoked;
 *   forecast  a traffic-forecast notice (C16): window, pages per day, peak
 *             concurrent calls, set against the trunks' capacity when filed
 *             (P05): submitted -> acknowledged | declined.
 * Operators and the security team (provider.requests.manage) see the queue
 * and answer; each answer is a timeline event, an event of the account's
 * audit log and a notification of the account (EN/FR). See
 * docs/provider-duties.md.
 *
 * Operations follow domain.h: they run in c->tx and return 0 with *out set
 * (new reference), or -1 with e filled in. kind is "fraud", "pentest" or
 * "forecast"; account is the account record of the route (borrowed). */
#define REQUEST_TEXT_MAX 4000   /* characters of a description or an answer */
#define REQUEST_SUMMARY_MAX 200 /* characters of a summary */
#define REQUEST_LIST_MAX 50     /* items of a list field (numbers, hosts, sources) */
#define PENTEST_WINDOW_DAYS 31  /* longest penetration-test window */
#define FORECAST_WINDOW_DAYS 366

/* POST /v1/accounts/{id}/{fraud-reports|pentest-requests|traffic-forecasts}. */
int dom_request_create(dom_ctx_t *c, const json_t *account, const char *kind,
	const json_t *body, json_t **out, dom_err_t *e);
/* GET of the account's requests of kind. Members without security.manage
 * (fraud) see only the reports they filed. */
int dom_request_list(dom_ctx_t *c, const json_t *account, const char *kind, const char *cursor,
	int limit, json_t **out, dom_err_t *e);
int dom_request_get(dom_ctx_t *c, const json_t *account, const char *kind, const char *id,
	json_t **out, dom_err_t *e);

/* GET /v1/provider/requests?kind=&status=: the provider's queue. */
int dom_request_queue(dom_ctx_t *c, const char *kind, const char *status, const char *cursor,
	int limit, json_t **out, dom_err_t *e);
int dom_request_staff_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
/* POST /v1/provider/requests/{id}/answer {status, message}: a step of the
 * request's life (409 invalid-state when the kind or the current status
 * does not allow it; refusing, dismissing and declining need a message). */
int dom_request_answer(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e);
/* GET /v1/provider/capacity: trunks and their concurrent-call ceilings,
 * against the traffic forecasts still to come (P05). */
int dom_capacity(dom_ctx_t *c, json_t **out, dom_err_t *e);
/* Inbound calls in progress on this node, as the fax service counts them
 * at its carrier listener: {trunk_id: n} and {account_id: n} (new
 * references, never NULL). */
typedef void dom_inbound_calls_fn(void *ud, json_t **by_trunk, json_t **by_account);
/* Where dom_capacity reads them (the daemon sets it once the fax service
 * runs, and clears it before stopping it). fn NULL: none counted. */
void dom_capacity_set_inbound(dom_inbound_calls_fn *fn, void *ud);

#endif
