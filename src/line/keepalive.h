/* OPTIONS keep-alive toward SIP peers (RFC 3261 §11): is a trunk's peer
 * there? One probe sends an OPTIONS over UDP to each peer at once and
 * waits, retransmitting (timer E: 500 ms doubling to 4 s), until every
 * peer answered with a final response or the deadline passed.
 *
 * Blocking (it waits up to timeout_ms): call it from a thread of its own,
 * never from an engine's SIP or media thread. Thread-safe; no global state. */
#ifndef FV_LINE_KEEPALIVE_H
#define FV_LINE_KEEPALIVE_H

#include <stddef.h>

#include "sipconn.h"

#define KEEPALIVE_PEERS_MAX 64

typedef struct keepalive_probe {
	const char *peer;   /* "IP:PORT", "[IPv6]:PORT" or "HOST:PORT" (borrowed) */
	int transport;      /* SIPTRANS_UDP (0), _TCP or _TLS: over TCP/TLS the OPTIONS goes on a
			       connection of its own (sipconn.h), after the UDP probes, each
			       within timeout_ms; a connection or a certificate refused is -1 */
	const sipconn_tls_t *tls; /* TLS: CA, client certificate, the name to check (may be NULL) */
	int status;         /* out: the final SIP status answered; 0 no answer in
			       time; -1 the peer cannot be reached (unresolvable,
			       ICMP unreachable) */
} keepalive_probe_t;

/* Probes p[0..n) (n at most KEEPALIVE_PEERS_MAX; the rest get -1) within
 * timeout_ms. from_user names us in From ("faxvault" when NULL). 0, or -1
 * when no socket could be made at all (every status then -1). */
int keepalive_probe(keepalive_probe_t *p, size_t n, const char *from_user, int timeout_ms);

/* Whether a probe's answer means the peer is up: any final response but
 * 503 (the peer says it is out of service) and 408 (a proxy found nobody
 * behind it). 1 up, 0 down. */
int keepalive_status_up(int status);

#endif
