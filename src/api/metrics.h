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

/* The bounds of the latency histograms, in seconds (1 ms to 5 s). */
#define METRICS_BUCKETS 12
/* What the HTTP front end counts, in memory it shares with the service (a
 * memfd the service makes and the front end maps; the front end adds, the
 * service's exposition reads, with atomic operations): the connections cut
 * for their slowness, and the histogram of its requests' whole way, from
 * the request received (its headers) to the answer handed back to
 * libmicrohttpd: the wait in the service's queue for a worker and the
 * answer's way back included, which the request histogram does not see.
 * The service trusts none of it: counters it only prints. */
typedef struct metrics_front {
	uint64_t slow_clients;
	uint64_t whole[METRICS_BUCKETS + 1]; /* by bucket: the last one past 5 s */
	uint64_t whole_sum_ns;
} metrics_front_t;
/* From now on the front end's counters are in *shared (see above): the
 * front end adds to them there, the service's exposition reads them. NULL:
 * in this process again (the slow clients only). */
void metrics_front_share(metrics_front_t *shared);
/* The front end: one API request's whole way took ns. */
void metrics_front_whole(int64_t ns);
/* The service: one request waited ns in its queue for a worker. */
void metrics_service_queue(int64_t ns);
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
