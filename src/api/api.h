/* The HTTP API service: the request pipeline in front of the router. The
 * HTTP front end process runs libmicrohttpd (httpd.h) and hands each
 * request over (src/daemon/http_front.h), which api_serve answers.
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
	int threads;             /* workers answering requests (src/daemon/http_front.c) */
	size_t max_body;         /* request body ceiling, bytes */
	size_t max_upload;       /* body ceiling of upload routes (fax documents), bytes */
	const char *openapi;     /* the OpenAPI document served at /v1/openapi.json (borrowed) */
	int login_rpm, login_burst; /* rate limit of unauthenticated calls per source address */
	const char *clock_file;  /* tests only: a file holding a clock offset in ms, or NULL */
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

/* The pipeline, for the HTTP front end's requests: reads the metrics
 * token. NULL with a reason in err. The store is borrowed and must outlive
 * the api. Release with api_release. */
api_t *api_new(const api_config_t *cfg, store_t *st, char *err, size_t errlen);
/* Answers one request (http_io.h): out is initialised here and owned by
 * the caller (http_out_free). Thread-safe. */
struct http_in;
struct http_out;
void api_serve(api_t *a, const struct http_in *in, struct http_out *out);
/* The same for a caller that need not wait for the commit of the
 * request's audit event to go on (the service's workers): when the
 * request's end is a read transaction whose writes wait behind a group
 * that has been written for over a millisecond (store_pending_then), the
 * answer is made and kept, 1 is answered at once, and done(arg, tag,
 * answer) runs in the thread that writes those writes once they are
 * committed (or with the answer a failed commit gets); done owns the
 * answer. 0: out is the answer now, as api_serve's. */
typedef void (*api_answer_fn)(void *arg, uint64_t tag, struct http_out *out);
int api_serve_then(api_t *a, const struct http_in *in, struct http_out *out, api_answer_fn done,
	void *arg, uint64_t tag);
/* The largest body of a request to method url: max_upload for upload
 * routes (then *upload is true), else max_body. Pure. */
size_t api_body_ceiling(const api_config_t *cfg, const char *method, const char *url,
	bool *upload);
/* From now on, requests that need the database are answered 503 (a stop
 * is draining the listeners). */
void api_drain(api_t *a);
/* Frees an api made by api_new (after its transport stopped). NULL: no-op. */
void api_release(api_t *a);

#endif
