/* The HTTP API service: the request pipeline in front of the router, served
 * by libmicrohttpd in this process (api_start) or by the HTTP front end
 * (api_new, api_serve; src/daemon/http_front.h).
 *
 * Request path: limits → route → authentication → authorization (one call to
 * authz_check) → Idempotency-Key → domain operation in one transaction →
 * JSON or problem+json. */
#ifndef FV_API_H
#define FV_API_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"
#include "store.h"

typedef struct api_config {
	const char *listen;      /* "ADDR:PORT"; port 0 picks a free one */
	int listen_fd;           /* > 0: a socket already listening on listen (the daemon's
				    probe_listen), served instead of binding; ownership passes
				    to api_start whether it succeeds or not */
	int threads;             /* worker threads */
	size_t max_body;         /* request body ceiling, bytes */
	size_t max_upload;       /* body ceiling of upload routes (fax documents), bytes */
	int connection_timeout;  /* seconds of inactivity before a connection is closed */
	int request_deadline;    /* seconds a request's headers and body may take in all */
	int upload_deadline;     /* the same for upload routes */
	const char *openapi;     /* the OpenAPI document served at /v1/openapi.json (borrowed) */
	int login_rpm, login_burst; /* rate limit of unauthenticated calls per source address */
	const char *clock_file;  /* tests only: a file holding a clock offset in ms, or NULL */
	const char *metrics_listen;     /* "ADDR:PORT" of a listener serving /metrics only, or NULL/"" */
	int metrics_listen_fd;          /* > 0: that listener's socket, as listen_fd */
	const char *metrics_token_file; /* a bearer token for /metrics (then also served on the
					   API listener), or NULL/"" */
	const char *portal_dir;  /* the web portal's assets (portal.h), or NULL: none served */
	int log_health_probes;   /* 1: log /healthz and /readyz requests that succeed */
	bool secure_cookies;     /* the service is reached over https (sso.public_url, else
				    mail.web_url): cookies are Secure even without
				    X-Forwarded-Proto: https */
	dom_config_t dom;
} api_config_t;

typedef struct api api_t;

/* The pipeline alone, for a transport of the caller's (the HTTP front
 * end's messages): reads the metrics token. NULL with a reason in err. The
 * store is borrowed and must outlive the api; cfg's listen fields are not
 * used. Release with api_release. */
api_t *api_new(const api_config_t *cfg, store_t *st, char *err, size_t errlen);
/* Answers one request (http_io.h): out is initialised here and owned by
 * the caller (http_out_free). Thread-safe. */
struct http_in;
struct http_out;
void api_serve(api_t *a, const struct http_in *in, struct http_out *out);
/* The largest body of a request to method url: max_upload for upload
 * routes (then *upload is true), else max_body. Pure. */
size_t api_body_ceiling(const api_config_t *cfg, const char *method, const char *url,
	bool *upload);
/* From now on, requests that need the database are answered 503 (a stop
 * is draining the listeners). */
void api_drain(api_t *a);
/* Frees an api made by api_new (after its transport stopped). NULL: no-op. */
void api_release(api_t *a);

/* The pipeline and its listeners (libmicrohttpd, httpd.h) in this process:
 * starts listening. NULL with a reason in err. The store is borrowed and
 * must outlive the api. */
api_t *api_start(const api_config_t *cfg, store_t *st, char *err, size_t errlen);
/* The port actually bound. */
int api_port(const api_t *a);
/* The port of the metrics listener, 0 without one. */
int api_metrics_port(const api_t *a);
/* Stops accepting, waits up to timeout_ms for requests in flight, stops. */
void api_stop(api_t *a, int timeout_ms);

#endif
