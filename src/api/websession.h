/* The portal's browser session: a cookie holding a session token, and the
 * CSRF token that every state-changing request authenticated by that cookie
 * must carry.
 *
 * Sign-in from a browser is POST /v1/sessions with "cookie": true: the
 * answer sets the cookie fv_session (HttpOnly, SameSite=Strict, Path=/,
 * Secure over TLS) instead of returning the token, and gives csrf_token.
 * The API then takes the cookie as an alternative to Authorization: Bearer
 * (the header wins when both are sent); a request other than GET, HEAD or
 * OPTIONS authenticated by the cookie must send the header X-CSRF-Token
 * equal to the session's CSRF token, or is refused 403 csrf. The CSRF token
 * is an HMAC of the session token (so nothing more is stored and a copy of
 * the database cannot make one); GET /v1/me gives it again to a page that
 * was reloaded. See docs/portal.md. */
#ifndef FV_API_WEBSESSION_H
#define FV_API_WEBSESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain.h"

#define WEBSESSION_COOKIE "fv_session"
#define WEBSESSION_CSRF_HEADER "X-CSRF-Token"
/* "fvc_" + 64 hex digits + NUL. */
#define WEBSESSION_CSRF_LEN 69
/* The longest cookie value taken (a session token is 47 characters). */
#define WEBSESSION_TOKEN_MAX 128
/* Room for a Set-Cookie value this module makes. */
#define WEBSESSION_SET_COOKIE_MAX 200

/* Pure, fuzzed (fuzz/api/fuzz_websession.c). The session token the Cookie
 * header carries in fv_session, into out (outlen bytes). 0; -1 when the
 * header is NULL, has no such cookie, or its value is empty, too long or
 * not a session token's characters. */
int websession_cookie_token(const char *cookie_header, char *out, size_t outlen);

/* The CSRF token of a session token, into out. */
void websession_csrf(const char *token, char out[WEBSESSION_CSRF_LEN]);

/* Whether method changes state: anything but GET, HEAD and OPTIONS. */
bool websession_changes_state(const char *method);

/* Whether header (may be NULL) is the CSRF token of token (constant time). */
bool websession_csrf_ok(const char *token, const char *header);

/* The Set-Cookie value that sets the cookie to token (a cookie of the
 * browser's session: no Max-Age; the server's idle timeout and lifetime
 * decide), or that clears it (token NULL). Secure when secure. */
void websession_set_cookie(const char *token, bool secure, char *out, size_t outlen);

/* Before POST /v1/sessions: takes "cookie" out of body (the domain knows
 * nothing of it). *want is true when it was true. 0; -1 with e when it is
 * not a boolean. */
int websession_login_request(json_t *body, bool *want, dom_err_t *e);

/* After a successful POST /v1/sessions that asked for the cookie: moves the
 * token out of result into a Set-Cookie value (set_cookie,
 * WEBSESSION_SET_COOKIE_MAX bytes) and puts csrf_token in its place. */
void websession_login_answer(json_t *result, bool secure, char *set_cookie);

#endif
