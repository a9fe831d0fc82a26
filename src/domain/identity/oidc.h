/* OpenID Connect, the parts that judge what a provider sends: its
 * discovery document and its ID tokens (signature against its JWKS with
 * cjose, alg allow-list, iss, aud, azp, exp, iat, nonce). Pure: no I/O, no
 * globals; fuzzed by fuzz/sso/fuzz_oidc_token.c. The fetching is
 * oidc_fetch.h's. */
#ifndef FV_OIDC_H
#define FV_OIDC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ceilings of what a provider may send. */
#define OIDC_TOKEN_MAX 16384   /* an ID token (compact JWS) */
#define OIDC_DOC_MAX 262144    /* a discovery document, a JWKS, a token answer */
#define OIDC_URL_MAX 2048
/* Clock skew allowed on exp and iat, and the oldest iat accepted. */
#define OIDC_SKEW_SECONDS 120
#define OIDC_IAT_MAX_AGE_SECONDS 600

typedef struct oidc_meta {
	char authorization_endpoint[OIDC_URL_MAX + 1];
	char token_endpoint[OIDC_URL_MAX + 1];
	char jwks_uri[OIDC_URL_MAX + 1];
	/* RFC 9207: the provider puts "iss" in its authorization responses
	 * (authorization_response_iss_parameter_supported is true). */
	bool iss_parameter_supported;
} oidc_meta_t;

/* Reads a discovery document (len bytes of JSON) published for issuer:
 * its "issuer" must equal issuer exactly, and the three endpoints be
 * absolute http(s) URLs. 0, or -1 with a static reason in *why. */
int oidc_discovery_parse(const char *doc, size_t len, const char *issuer, oidc_meta_t *m,
	const char **why);

/* RFC 9207: judges the "iss" parameter of an authorization response (iss,
 * NULL when absent) for the provider of issuer, described by m. A present
 * iss must equal issuer exactly (whether or not the provider advertises
 * it); an absent one is refused when the provider advertises it. 0, or -1
 * with "iss_mismatch" or "iss_missing" in *why. */
int oidc_response_iss_check(const oidc_meta_t *m, const char *issuer, const char *iss,
	const char **why);

/* What an ID token must show. */
typedef struct oidc_expect {
	const char *issuer;
	const char *client_id;
	const char *nonce;
	int64_t now_s;  /* the service's clock, seconds since the epoch */
} oidc_expect_t;

enum {
	OIDC_OK = 0,
	OIDC_REFUSED = -1,     /* *why says why */
	OIDC_UNKNOWN_KID = -2, /* no key of the JWKS has the token's kid: refetch it once */
};

/* Checks the ID token tok (len bytes) against the provider's JWKS (a JSON
 * text of jwks_len bytes) and x. OIDC_OK with *claims (new reference); else
 * OIDC_REFUSED or OIDC_UNKNOWN_KID with a static reason (a stable
 * snake_case word, for the audit log) in *why. Only RS256 and ES256 are
 * accepted, each with a key of its own type. */
int oidc_id_token_check(const char *tok, size_t len, const char *jwks, size_t jwks_len,
	const oidc_expect_t *x, json_t **claims, const char **why);

/* base64url without padding of n bytes into out (at least 4 * n / 3 + 2
 * bytes). */
void oidc_b64url(const uint8_t *in, size_t n, char *out, size_t outlen);

#endif
