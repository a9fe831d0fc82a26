/* The guests' pages of SafeBoxes, served at /g/ on the API listener:
 * plain HTML (no script), in English or French by Accept-Language.
 *
 *   GET  /g/TOKEN                  the box for a verified guest, else the
 *                                  page that asks for a one-time code
 *   POST /g/TOKEN/code             mails a code to the guest's address
 *   POST /g/TOKEN/verify           code=NNNNNN: sets the guest session cookie
 *   POST /g/TOKEN/messages         message=…: a reply
 *   POST /g/TOKEN/files            multipart, one part "file": an upload
 *   GET  /g/TOKEN/files/FILE_ID    a download (attachment)
 *
 * TOKEN is the participant's link token (a secret: the request log shows
 * the route pattern's {token} redacted). The session is a cookie
 * (fv_guest, HttpOnly, SameSite=Strict, Path=/g/, Secure when the request
 * came over TLS) that opens the box of its participant only. See
 * docs/safebox.md. */
#ifndef FV_API_GUEST_H
#define FV_API_GUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"
#include "router.h"
#include "store.h"

#define GUEST_COOKIE "fv_guest"

/* One request, as the HTTP layer read it. Borrowed. */
typedef struct guest_req {
	const char *method, *path, *lang, *peer, *rid;
	const char *cookie; /* the Cookie header, or NULL */
	const char *ctype;  /* the Content-Type header, or NULL */
	const unsigned char *body;
	size_t len;
	bool secure; /* came over TLS (X-Forwarded-Proto: https from the proxy) */
	size_t too_large; /* the body went over this ceiling (0: it did not) */
} guest_req_t;

/* The answer: status, the page or file in raw (data malloc'd, the HTTP
 * layer frees it), the route pattern for logs and metrics (static), and a
 * Set-Cookie value ("" for none). */
typedef struct guest_ans {
	int status;
	const char *route;
	api_raw_t raw;
	char set_cookie[200];
} guest_ans_t;

/* Whether path is under /g/. */
bool guest_path(const char *path);
/* Whether the request is an upload (takes the upload ceiling). */
bool guest_upload(const char *method, const char *path);
/* Answers one request, in transactions of its own on st. */
void guest_serve(store_t *st, const dom_config_t *cfg, const guest_req_t *q, guest_ans_t *a);

/* Pure, fuzzed (fuzz/api/fuzz_guest_form.c). The value of field name in an
 * application/x-www-form-urlencoded body (len bytes), decoded ('+' and
 * %XX), into out (at most outlen - 1 bytes, NUL-terminated). 0; -1 when
 * absent, malformed (bad escape), holding a NUL or too long. */
int guest_form_value(const char *body, size_t len, const char *name, char *out, size_t outlen);
/* The value of cookie name in a Cookie header into out (at most outlen - 1
 * bytes). 0; -1 when absent or too long. */
int guest_cookie_value(const char *header, const char *name, char *out, size_t outlen);

#endif
