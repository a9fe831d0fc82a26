/* The requests faxvault makes to an OpenID Connect provider: its discovery
 * document, its JWKS, and the token exchange. Each URL passes the SSRF
 * guard (ssrf.h) with the sso.allow_cidrs list, and the connection is
 * pinned to the address that was checked; no redirect is followed, and an
 * answer may be at most OIDC_DOC_MAX bytes. Blocking: call it with no
 * transaction held. */
#ifndef FV_OIDC_FETCH_H
#define FV_OIDC_FETCH_H

#include "buf.h"

typedef struct oidc_req {
	const char *url;
	const char *allow;     /* CIDRs allowed despite being private (NULL: none) */
	const char *form;      /* an application/x-www-form-urlencoded body: POST; NULL: GET */
	const char *user;      /* HTTP Basic credentials (client_secret_basic), or NULL */
	const char *password;
	long timeout_ms;
} oidc_req_t;

/* Performs r; the answer's body in out (buf_init'ed by the caller with a
 * ceiling), its status in *status. 0 when a 2xx answer came; -1 with a
 * static reason in *why (never a secret) otherwise. */
int oidc_fetch(const oidc_req_t *r, buf_t *out, long *status, const char **why);

/* s form-urlencoded (RFC 6749 appendix B) appended to out. 0 / -1. */
int oidc_form_put(buf_t *out, const char *s);

#endif
