/* What the two sign-ins (OpenID Connect in sso_flow.c, SAML in
 * sso_saml.c) share: values for the browser, the refusal, and the end of
 * an accepted sign-in. Private to the SSO modules. */

#ifndef FV_DOMAIN_IDENTITY_INT_H
#define FV_DOMAIN_IDENTITY_INT_H

#include "buf.h"
#include "identity.h"

/* Random bytes of a state, a binding cookie, a handoff; the size of their
 * base64url text. */
#define SSO_RANDOM_BYTES 32
#define SSO_B64_MAX 64
#define SSO_STATE_MAX 128

/* 32 random bytes as base64url. */
void sso_random_b64(char out[SSO_B64_MAX]);
/* HMAC(bind, label ":" state) as base64url: values of a sign-in derived
 * from the browser's binding cookie and the state, never stored. */
void sso_derive(const char *bind, const char *label, const char *state, char out[SSO_B64_MAX]);
/* A value of a query, form or cookie that we issued: base64url, 1..max. */
bool sso_token_ok(const char *s, size_t max);
/* A Set-Cookie value for path /v1/sso/ into dst (256 bytes). */
void sso_cookie_set(char *dst, const char *name, const char *value, int max_age,
	const char *same_site, bool secure);
/* A refused sign-in: audited (sso.signin, failure, reason), kept
 * (c->keep_on_error), logged, answered 401 sso-failed. Returns -1. */
int sso_refuse(dom_ctx_t *c, const char *account_id, const char *idp_id, const char *reason,
	dom_err_t *e);
/* The end of a sign-in whose provider vouched for claims ({email,
 * email_verified, name?, role claim…}): the member found or provisioned,
 * the account's IP allow-list, the handoff stored and the browser sent to
 * the portal with it (w). 0, or -1 (refused: audited). */
int sso_signin_finish(dom_ctx_t *c, const json_t *idp, const char *account_id,
	const char *idp_id, const json_t *claims, bool secure, sso_web_t *w, dom_err_t *e);

/* The SP's private key of a SAML provider, sealed: too long for one
 * sealed secret (VAULT_SECRET_MAX), it is encrypted (XChaCha20-Poly1305,
 * bound to the provider) with a random key that is itself sealed under
 * the account's key (purpose "saml", owner idp_id). New strings the caller
 * frees (the opened one wiped first), or NULL. */
char *sso_key_seal(dom_ctx_t *c, const char *account_id, const char *idp_id, const char *pem);
char *sso_key_open(dom_ctx_t *c, const char *account_id, const char *idp_id, const char *sealed);

/* SAML (sso_saml.c): the start of a sign-in with the provider idp (a
 * record of store_idp_get), called by dom_sso_start. */
int sso_saml_start(dom_ctx_t *c, const json_t *idp, bool secure, sso_web_t *w, dom_err_t *e);

/* The requests faxvault makes to an OpenID Connect provider: its discovery
 * document, its JWKS, and the token exchange. Each URL passes the SSRF
 * guard (ssrf.h) with the sso.allow_cidrs list, and the connection is
 * pinned to the address that was checked; no redirect is followed, and an
 * answer may be at most OIDC_DOC_MAX bytes. Blocking: call it with no
 * transaction held. */
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
