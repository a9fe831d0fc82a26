/* The HTTP listeners (libmicrohttpd): the only code that calls MHD_. They
 * receive a request (headers, query, client address, the body up to the
 * route's ceiling), hand it to a callback as an http_in_t (http_io.h)
 * and write back the http_out_t it fills, at once (serve) or later
 * (submit, httpd_complete). The HTTP front end (src/daemon/role_http.c)
 * passes each request on to the service, whose pipeline answers it.
 *
 * Here too: the slow-client reaper (a request's headers and body must
 * arrive within its deadline), the early refusal of a Content-Length over
 * the ceiling, and the drain at stop. */
#ifndef FV_HTTPD_H
#define FV_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_io.h"

/* Answers one request; called from the listener's threads, concurrently. */
typedef void httpd_serve_fn(void *arg, const http_in_t *in, http_out_t *out);
/* A request whose answer comes later (httpd_complete). */
typedef struct httpd_pending httpd_pending_t;
/* Takes one request to answer later: in is valid only during the call;
 * httpd_complete(p, ...) must be called exactly once, from any thread,
 * possibly before this returns. Meanwhile the connection is suspended and
 * the listener's thread serves others. */
typedef void httpd_submit_fn(void *arg, const http_in_t *in, httpd_pending_t *p);
/* The largest body of method url, and whether it is an upload route (its
 * own deadline). Pure, thread-safe. */
typedef size_t httpd_ceiling_fn(void *arg, const char *method, const char *url, bool *upload);

typedef struct httpd_config {
	const char *listen;        /* "ADDR:PORT" (port 0: a free one) */
	int listen_fd;             /* > 0: a socket already listening there, served instead
				      of binding (taken: closed at stop or on failure) */
	const char *metrics_listen; /* "ADDR:PORT" of the /metrics listener, or NULL/"" */
	int metrics_listen_fd;     /* > 0: its socket, as listen_fd */
	int threads;               /* threads of the API listener: each runs its own
				      libmicrohttpd daemon on the one listening socket */
	int connection_timeout;    /* seconds of inactivity before a connection is closed */
	int request_deadline;      /* seconds a request's headers and body may take */
	int upload_deadline;       /* the same for upload routes */
	httpd_serve_fn *serve;     /* the metrics listener's, and the API's without submit */
	httpd_submit_fn *submit;   /* the API listener's, when set (answers come later) */
	httpd_ceiling_fn *ceiling;
	void *arg;                 /* for serve and ceiling (borrowed) */
	/* A connection cut for its slowness (metrics_slow_client), or NULL. */
	void (*slow_client)(void);
	/* An API request's answer handed to libmicrohttpd, ns after the
	 * request's headers arrived (metrics_front_whole), or NULL. */
	void (*answered)(int64_t ns);
	/* A descriptor the API listener's threads watch beside their
	 * connections (the front end's channel to the service), when watch
	 * is set: while watch_fd is readable, one of the threads calls
	 * watch(arg) between libmicrohttpd's rounds, so that the answers it
	 * gives (httpd_complete) resume their connections with no other
	 * thread woken when the connection is that thread's. watch returns
	 * false once watch_fd is at its end (watched no more). watch_fd is
	 * borrowed. */
	int watch_fd;
	bool (*watch)(void *arg);
} httpd_config_t;

typedef struct httpd httpd_t;

/* Starts the listeners. NULL with a reason in err (the handed sockets are
 * then closed). */
httpd_t *httpd_start(const httpd_config_t *cfg, char *err, size_t errlen);
/* The ports bound (0: no metrics listener). */
int httpd_port(const httpd_t *h);
int httpd_metrics_port(const httpd_t *h);
/* The answer of a submitted request: out's contents are taken (out is
 * empty after); p is not to be used after. */
void httpd_complete(httpd_pending_t *p, http_out_t *out);
/* Stops accepting and waits up to timeout_ms for the requests in flight
 * (whose answers still go out). */
void httpd_drain(httpd_t *h, int timeout_ms);
/* Drains (httpd_drain, unless done), then stops and frees h. Every
 * submitted request must have been completed. NULL is a no-op. */
void httpd_stop(httpd_t *h, int timeout_ms);

#endif
