/* Per-destination memory (issue 12, "adaptive per-destination fallback"):
 * what last worked for a number over a trunk (T.38 or G.711, ECM, the rate
 * the call trained at) is the first choice of the next fax's first call
 * there, so a carrier path that refuses T.38 is not offered it again on
 * every fax, and a line that only trains at 9600 bit/s starts there.
 *
 * Kept per (trunk, number) in the store (fax_destinations), learned when a
 * call confirms a page, forgotten when a call made with it fails after a
 * fax answered (so a path that changed is tried afresh), and dropped after
 * FAXDEST_KEEP_MS without use. Only a fax's first call takes it: retries
 * follow the retry policy's own fallbacks (retry.c), and a failover starts
 * from the next trunk's own transport. */
#ifndef FV_DOMAIN_FAXDEST_H
#define FV_DOMAIN_FAXDEST_H

#include <stdint.h>

#include "fax.h"
#include "result.h"
#include "store.h"

#define FAXDEST_KEEP_MS (90LL * 24 * 3600 * 1000)

/* At the claim of j's first call (j->attempt 1, j->trunk set, t38/ecm/
 * max_rate as the trunk and the fax say): applies what is kept for
 * (trunk, j->to), if anything younger than FAXDEST_KEEP_MS: G.711 from the
 * start on a t38_first trunk when G.711 is what worked, its ECM, and 9600
 * when it trained below 14400. Sets j->remembered to 1 when it applied.
 * 0, or -1 on a store error (j untouched). */
int dom_faxdest_choose(store_tx_t *tx, fax_job_t *j, int64_t now);

/* At the end of j's call, in the transaction that records it: keeps what
 * worked when a page was confirmed; forgets it when a fax answered and no
 * page went through; leaves it for calls nobody answered (busy, no
 * answer, network). 0 / -1 on a store error. */
int dom_faxdest_learn(store_tx_t *tx, const fax_job_t *j, const fax_result_t *r, int64_t now);

#endif
