/* Counters for GET /metrics, in the Prometheus text format. Thread-safe. */
#ifndef FV_METRICS_H
#define FV_METRICS_H

#include "libver.h"
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

void metrics_init(void);
/* One finished request: its route pattern (or "unmatched"), method, status
 * and duration. */
void metrics_request(const char *route, const char *method, int status, int64_t ns);
/* The requests answered since start and those answered 5xx (the status
 * board's automatic state of the api component, status_auto.h). */
void metrics_http_totals(int64_t *answers, int64_t *errors);
void metrics_auth_failure(void);
/* A request refused by a rate limit; announced: from the source networks
 * of an approved penetration test (C15). */
void metrics_rate_limited(bool announced);
/* A connection closed because its request took longer than its deadline. */
void metrics_slow_client(void);
/* From now on the slow clients are counted in *counter (memory shared
 * between the service and the HTTP front end, which counts them; the
 * service's exposition reads it). NULL: in this process again. */
void metrics_slow_clients_share(uint64_t *counter);
/* Appends the exposition to out; db_ns is the store's cumulative time. */
void metrics_render(buf_t *out, int64_t db_ns, int64_t in_flight);

/* The libraries listed by faxvault_build_info{...}: borrowed, set once at
 * start before the listener serves (NULL: faxvault's core libraries only). */
void metrics_set_libs(const libvers_t *libs);

/* Another part's series (the fax service's), appended to every exposition
 * by fn(out, ud); set once at start before the listener serves, ud
 * borrowed until metrics_set_extra(NULL, NULL). fn must be thread-safe. */
typedef void metrics_extra_fn(buf_t *out, void *ud);
void metrics_set_extra(metrics_extra_fn *fn, void *ud);

#endif
