/* A request and its answer as the pipeline sees them, whatever carried them:
 * libmicrohttpd in this process (httpd.h) or the HTTP front end's messages
 * (http_wire.h). The pipeline (api.h, api_serve) reads an http_in_t and
 * fills an http_out_t; nothing in it knows the transport.
 *
 * Ownership: an http_in_t's strings and body are borrowed from whoever
 * built it; an http_out_t owns its headers and body (http_out_free). */
#ifndef FV_HTTP_IO_H
#define FV_HTTP_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which listener a request came in on. */
enum http_listener {
	HTTP_LISTENER_API = 0,     /* http.listen: the API, the portal, guests, SCIM */
	HTTP_LISTENER_METRICS = 1, /* metrics.listen: GET /metrics only */
};

typedef struct http_kv {
	const char *name;
	const char *value;
} http_kv_t;

typedef struct http_in {
	const char *method;
	const char *url;           /* the path, as the server decoded it, without the query */
	const char *peer;          /* the client's address (numeric), or "unknown" */
	const http_kv_t *headers;  /* in their order; names as sent */
	size_t nheaders;
	const http_kv_t *args;     /* the query's arguments, decoded ("" for a bare key) */
	size_t nargs;
	const uint8_t *body;       /* NULL when len is 0 */
	size_t len;
	size_t ceiling;            /* the largest body this route takes (api_body_ceiling) */
	bool too_large;            /* the body passed the ceiling and was dropped */
	bool refused_early;        /* Content-Length passed it: answered before the body */
	int64_t recv_ns;           /* how long receiving took before the pipeline ran */
	int listener;              /* enum http_listener */
} http_in_t;

typedef struct http_out {
	int status;
	http_kv_t *headers;        /* owned (names and values) */
	size_t nheaders, cap;
	uint8_t *body;             /* owned (malloc), NULL when len is 0 */
	size_t len;
	bool has_fd;               /* the body is instead the first len bytes of body_fd */
	int body_fd;               /* owned when has_fd (a memfd from the service) */
} http_out_t;

/* The value of the first header named name (ASCII case-insensitive), or
 * NULL: what MHD_lookup_connection_value answers. */
const char *http_in_header(const http_in_t *in, const char *name);
/* The language of Accept-Language (al, or NULL): the first of "fr…" or
 * "en…" in its order ("q=0" excludes one), "en" when neither, NULL without
 * the header. */
const char *http_pick_lang(const char *al);
/* A request's id into out: X-Request-Id (h, or NULL) when it is 1 to
 * HTTP_REQUEST_ID_MAX of [A-Za-z0-9-_.:], else a new one. */
#define HTTP_REQUEST_ID_MAX 64
void http_request_id(const char *h, char *out, size_t n);
/* Appends a header (both copied). */
void http_out_add(http_out_t *o, const char *name, const char *value);
/* Releases the headers and body; o is empty after. NULL is a no-op. */
void http_out_free(http_out_t *o);

#endif
