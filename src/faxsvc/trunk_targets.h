/* Trunk targets: where each trunk's peer resolves to (RFC 3263, resolve.h)
 * and how each target last answered, as this node saw it. The keep-alive
 * (trunk_health.c) probes every target and the outbound calls (faxsvc.c)
 * mark the target they tried; both go through here. A trunk's targets and
 * the reason its last lookup failed are written to its row (targets,
 * resolve_error, resolved_at: what GET /v1/provider/trunks/{id} shows)
 * when they changed.
 *
 * Process-wide and thread-safe (one table, locked); lookups block on the
 * DNS outside the lock: call from the workers or the keep-alive thread,
 * never from an engine's SIP or media thread. st is borrowed per call. */
#ifndef FV_FAXSVC_TRUNK_TARGETS_H
#define FV_FAXSVC_TRUNK_TARGETS_H

#include "resolve.h"
#include "store.h"

#include <jansson.h>

/* What the line engine can dial: UDP, TCP and TLS, over IPv4 and IPv6.
 * Each trunk narrows the transports to its own (trunk_transports). */
#define TRUNK_TARGET_TRANSPORTS (RESOLVE_UDP | RESOLVE_TCP | RESOLVE_TLS)
#define TRUNK_TARGET_FAMILIES (RESOLVE_V4 | RESOLVE_V6)

/* The transports trunk (as the fax service reads it: sip_transport and
 * sip_transports) may be dialled over, as a RESOLVE_* mask, and in
 * *primary its sip_transport (the transport of a literal, HOST:PORT or
 * address-only peer). NAPTR and SRV choose among the mask for a peer given
 * as a host name alone. */
int trunk_transports(const json_t *trunk, int *primary);

/* The SIPTRANS_* a target is dialled over. */
int trunk_target_siptrans(const resolve_target_t *t);

/* How long a call waits for any answer (even 100 Trying) from one target
 * before it goes on to the next one; the last target gets timer B (32 s). */
#define TRUNK_TARGET_TIMEOUT_MS 8000

/* Resolves trunk_id's peer (through the resolver's cache) into a, over
 * the trunk's transports (trunk_transports of trunk), in the order to
 * try: the answer's order, targets seen down moved after the others.
 * Records the targets (or the failure) in the trunk's row when they
 * changed. 0, or a RESOLVE_ERR_* with a person-readable reason in why (the
 * peer's host name, no secret). */
int trunk_targets_resolve(store_t *st, const char *trunk_id, const char *peer, const json_t *trunk,
	resolve_answer_t *a, char *why, size_t whylen);

/* Marks target t of trunk_id up (1) or down (0) and records the change. */
void trunk_targets_mark(store_t *st, const char *trunk_id, const resolve_target_t *t, int up);

/* "ADDR:PORT" or "[ADDR]:PORT" of t into out. */
void trunk_target_hostport(const resolve_target_t *t, char *out, size_t cap);

#endif
