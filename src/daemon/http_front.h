/* The service's side of the HTTP front end (`faxvaultd --role http`, see
 * role.h and http_wire.h): starts it from a fresh image with the listening
 * sockets bound at start (child.h: restarted when it dies), takes each
 * request it hands over, has the pipeline answer it (api_serve, in a pool
 * of http.threads workers, each free one reading the channel itself; while
 * every worker is busy without starting a request, the monitor thread
 * reads it, answers /healthz and queues the rest) and sends back the
 * answer. A front end that sends a
 * malformed message is killed (and restarted).
 * Ownership: api, ac, argv and exe are borrowed (argv copied at start); api
 * and ac must outlive the front. */
#ifndef FV_HTTP_FRONT_H
#define FV_HTTP_FRONT_H

#include <stdbool.h>
#include <sys/types.h>

#include "api.h"

typedef struct http_front http_front_t;

/* Starts the front end serving listen_fd and metrics_fd (-1: no metrics
 * listener); both taken (closed at stop). test_stray: each answer is sent
 * twice, then with an id never given (testing.http_stray_answers). NULL
 * with err when it cannot be started at all. */
http_front_t *http_front_start(const char *exe, char *const argv[], int listen_fd, int metrics_fd,
	api_t *api, const api_config_t *ac, bool test_stray, char *err, size_t errlen);
/* Stops it: SIGTERM (it stops accepting and ends the requests in flight,
 * which still get their answers), then waits for the answers in flight;
 * frees f. NULL is a no-op. */
void http_front_stop(http_front_t *f);
/* The front end's pid (0 while it is down) and its restarts so far. */
pid_t http_front_pid(http_front_t *f);
unsigned http_front_restarts(http_front_t *f);

#endif
