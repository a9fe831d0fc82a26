/* Trunk health: an OPTIONS keep-alive to every active trunk's peer
 * (src/line/keepalive.c) every interval, on a poller thread of its own. A
 * trunk is up as soon as its peer answers (any final response but 503 and
 * 408), down after TRUNK_HEALTH_MISSES rounds without an answer (or at once
 * when the peer's host refuses the datagram: ICMP port unreachable). Each
 * change is written to the trunk's row (link_status, what the API answers
 * as the trunk's status and what the failover order reads) and logged;
 * /metrics shows faxvault_trunk_up{trunk} as this node saw it.
 *
 * Ownership: st and env are borrowed and must outlive the monitor. */
#ifndef FV_FAXSVC_TRUNK_HEALTH_H
#define FV_FAXSVC_TRUNK_HEALTH_H

#include "buf.h"
#include "fax/fax.h"
#include "linecall.h"
#include "sipconn.h"
#include "store.h"

#define TRUNK_HEALTH_MISSES 2      /* rounds without an answer before down */
#define TRUNK_HEALTH_PROBE_MS 2000 /* how long one round waits for answers */

typedef struct trunk_health trunk_health_t;

/* Starts probing every interval_ms (the first round at once). line
 * (borrowed): where the OPTIONS are sent and their answers parsed (the SIP
 * front end, or this process); a round it cannot run (the front end being
 * restarted) changes nothing. tls (copied; its strings must outlive h): the
 * CA file and client certificate of probes over TLS. NULL with a reason in
 * err. */
trunk_health_t *trunk_health_start(store_t *st, const fax_env_t *env, linecall_t *line, int interval_ms,
	const sipconn_tls_t *tls, char *err, size_t errlen);
/* Stops the thread (a round in flight ends first) and frees h. NULL: no-op. */
void trunk_health_stop(trunk_health_t *h);
/* Appends faxvault_trunk_up{trunk} (1 up, 0 down; trunks not probed yet
 * are left out). h may be NULL: the HELP and TYPE lines only. */
void trunk_health_metrics(trunk_health_t *h, buf_t *out);

#endif
