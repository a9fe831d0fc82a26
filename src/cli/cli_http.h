/* The HTTP side of `faxvault`: one request with libcurl, the mapping from
 * HTTP status to exit code, and the rendering of problem+json errors. */
#ifndef FV_CLI_HTTP_H
#define FV_CLI_HTTP_H

#include <stddef.h>

#include "buf.h"

/* Largest response body we accept. */
#define CLI_HTTP_BODY_MAX (32u * 1024 * 1024)
#define CLI_HTTP_CONNECT_TIMEOUT_S 10L
#define CLI_HTTP_TIMEOUT_S 120L
/* Longest Idempotency-Key and bearer token we send. */
#define CLI_HTTP_IDEM_MAX 200
#define CLI_HTTP_TOKEN_MAX 1024

struct cli_http_resp {
	long status;       /* HTTP status; 0 when no answer arrived */
	buf_t body;        /* response body, NUL-terminated when non-empty */
	char request_id[96]; /* X-Request-Id of the answer, or "" */
	char content_type[96]; /* Content-Type of the answer (lower case, no parameters), or "" */
	long retry_after;    /* Retry-After in seconds, or -1 when absent or not a number */
	long ratelimit_reset; /* RateLimit-Reset in seconds, or -1 */
};

/* One part of a multipart/form-data body: a text field (value) or a file
 * streamed from disk (file). Strings borrowed. */
struct cli_http_part {
	const char *name;     /* the form field's name */
	const char *value;    /* text of a field; NULL for a file part */
	const char *file;     /* path of a file to upload; NULL for a text field */
	const char *type;     /* media type of a file part; NULL: application/octet-stream */
};

/* Longest multipart body: parts a request may carry. */
#define CLI_HTTP_PARTS_MAX 256

/* One request. All strings borrowed; the optional ones may be NULL. */
struct cli_http_req {
	const char *base_url;        /* "http://127.0.0.1:8080" */
	const char *method;          /* "GET", "POST", … */
	const char *path;            /* "/v1/…", query included, already encoded */
	const char *json_body;       /* sent as application/json */
	const struct cli_http_part *parts; /* sent as multipart/form-data when
					      nparts > 0 (instead of json_body) */
	size_t nparts;
	const char *token;           /* Authorization: Bearer */
	const char *lang;            /* Accept-Language */
	const char *idempotency_key; /* Idempotency-Key */
	const char *accept;          /* Accept; NULL: JSON and problem+json */
	long timeout_s;              /* whole request; 0: CLI_HTTP_TIMEOUT_S */
};

/* Sends req. Redirects are not followed (they would carry the token
 * elsewhere); only http and https are spoken. File parts are read while
 * sending, with the file's base name as the part's filename. On an answer returns 0 with
 * resp filled (release it with cli_http_resp_free()). On a transport
 * failure returns -1 with a message in err. resp is initialised in both
 * cases. */
int cli_http_request(const struct cli_http_req *req, struct cli_http_resp *resp, buf_t *err);

/* 1 when url sends credentials in clear text to another machine: plain
 * http:// to a host other than localhost, 127.0.0.0/8 or [::1]. 0 else. */
int cli_http_url_insecure(const char *url);

/* Checks a header value given by the user: no control characters, at most
 * max bytes. 0 / -1. */
int cli_http_header_ok(const char *value, size_t max);

/* The seconds of a Retry-After or RateLimit-Reset header value v[0..n):
 * a decimal number of seconds (at most a day), else -1 (HTTP dates are
 * not interpreted). */
long cli_http_seconds(const char *v, size_t n);

/* Releases resp's body. NULL is a no-op. */
void cli_http_resp_free(struct cli_http_resp *resp);

/* Percent-encodes s for a path segment or query value; owned by the caller. */
char *cli_http_escape(const char *s);

/* Builds a path from fmt, where every %s is replaced by the matching
 * argument percent-encoded (so an id can never add a path segment or a
 * query). Only %s and %% are understood. Owned by the caller. */
char *cli_http_path(const char *fmt, ...);

/* Appends "?key=value" or "&key=value" (value percent-encoded) to path;
 * nothing when value is NULL or empty. */
void cli_http_query_add(buf_t *path, const char *key, const char *value);

/* The exit code for an HTTP status (enum cli_exit); 2xx gives 0, 0 (no
 * answer) gives the server/network code. */
int cli_http_exit_code(long status);

/* Writes the error line for a non-2xx answer into out:
 *   "error: <title>: <detail> (<type>)\n"
 * (parts that are missing are left out), then "request id: <id>\n" when the
 * problem or request_id names one. Falls back to the HTTP status and the
 * start of the body when it is not problem+json. Control characters from
 * the server are replaced so they cannot drive the terminal. */
void cli_http_problem_format(long status, const char *body, size_t n,
	const char *request_id, buf_t *out);

#endif
