/* Test harness for integration tests that drive the real faxvaultd: start it
 * on a free loopback port with a temporary data directory and a bootstrapped
 * operator, speak HTTP to it (libcurl), stop it and remove the directory.
 * Shared by tests/integ/authz_matrix and tests/integ/api_contract. */
#ifndef FV_TEST_HARNESS_H
#define FV_TEST_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct fvd {
	pid_t pid;
	int port;
	char dir[256];      /* temporary directory: data/ and the log file */
	char op_email[128]; /* the bootstrapped operator */
	char op_password[128];
} fvd_t;

/* Bootstraps an operator in a new temporary data directory, then starts
 * `bin` on 127.0.0.1 with any free port (read back from its log), cheap
 * password hashing and the test clock (testing.clock_file, at real time
 * until fvd_advance_clock). 0, or -1 with a message on stderr (everything
 * cleaned). */
int fvd_start(fvd_t *d, const char *bin);
/* Moves the daemon's clock forward by minutes (from the next request on:
 * sessions may then idle out). 0 / -1. */
int fvd_advance_clock(fvd_t *d, int minutes);
/* SIGTERM, wait (then SIGKILL after 10 s), remove the directory. Returns
 * the daemon's exit status (0 on a clean stop), -1 if it had to be killed
 * or died from a signal. */
int fvd_stop(fvd_t *d);

typedef struct http_resp {
	long status;
	char *body;  /* owned; NUL-terminated, "" when empty */
	size_t len;
	char ctype[128];
} http_resp_t;

/* One request to the daemon. token NULL: no Authorization header; body NULL:
 * no body (else sent as application/json). extra_header is one more
 * "Name: value" header or NULL; a Content-Type there (a multipart upload)
 * replaces application/json. 0, or -1 on a transport error. resp must be
 * freed with http_resp_free(). */
int http_call(const fvd_t *d, const char *method, const char *path, const char *token,
	const char *body, const char *extra_header, http_resp_t *resp);
void http_resp_free(http_resp_t *r);
/* The body parsed as JSON (new reference), or NULL. */
json_t *http_json(const http_resp_t *r);
/* Like http_call with a JSON body (borrowed, may be NULL); returns the parsed
 * answer (new reference, NULL if not JSON) and the status in *status. */
json_t *http_jcall(const fvd_t *d, const char *method, const char *path, const char *token,
	const json_t *body, long *status);
/* Releases libcurl's global state; call once at exit. */
void http_cleanup(void);

#endif
