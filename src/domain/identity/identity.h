/* Single sign-on (issue 17, docs/sso.md): an account's identity providers
 * (OpenID Connect and SAML 2.0) managed with
 * security.manage, and the browser's sign-in through one of them:
 *
 *   GET  /v1/sso/{account_id}/{idp_id}/start  302 to the provider, with a
 *        binding cookie (fv_sso_b) and a state kept hashed, single use
 *   GET  /v1/sso/callback?code&state          checks everything, then 302
 *        to the portal with a one-time handoff cookie (fv_sso)
 *   POST /v1/sso/session                      the handoff cookie for a
 *        session like POST /v1/sessions gives
 *
 * The operations follow domain.h's conventions. Secrets (client_secret,
 * codes, state, nonce, the PKCE verifier, the handoff value) reach no log,
 * no URL of ours and no error message. */
#ifndef FV_DOMAIN_SSO_H
#define FV_DOMAIN_SSO_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"

/* Cookie names, and the longest value of each. */
#define SSO_BIND_COOKIE "fv_sso_b"
#define SSO_HANDOFF_COOKIE "fv_sso"
#define SSO_COOKIE_VALUE_MAX 64
/* Lifetime of a sign-in under way, and of a handoff. */
#define SSO_FLOW_SECONDS 600
#define SSO_HANDOFF_SECONDS 120

/* ---- identity providers (security.manage) ---- */
/* {type: "oidc", issuer, client_id, client_secret, name?, token_auth?,
 * scopes?, provisioning?, role_claim?, role_map?, default_role?}. */
int dom_idp_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_idp_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_idp_get(dom_ctx_t *c, const json_t *account, const char *id, json_t **out, dom_err_t *e);
/* The fields of create but type, and status ("active" | "disabled"). */
int dom_idp_update(dom_ctx_t *c, const json_t *account, const char *id, const json_t *body,
	json_t **out, dom_err_t *e);
int dom_idp_delete(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);

/* What a browser step answers besides JSON: where to go (a new string the
 * caller frees, NULL for none) and up to two Set-Cookie values ("": none). */
typedef struct sso_web {
	char *location;
	char cookie[2][256];
} sso_web_t;

/* The sign-in's start: the provider's discovery document is fetched (no
 * transaction held), a state stored hashed, and the browser sent to the
 * authorization endpoint with PKCE S256 and a nonce. secure: the request
 * came over TLS (the cookie gets Secure). */
int dom_sso_start(dom_ctx_t *c, const char *account_id, const char *idp_id, bool secure,
	sso_web_t *w, dom_err_t *e);
/* The callback: query {code, state, error?} and the Cookie header (may be
 * NULL). Every refusal is audited (sso.signin, failure, with its reason)
 * and kept (c->keep_on_error). */
int dom_sso_callback(dom_ctx_t *c, const json_t *query, const char *cookie, bool secure,
	sso_web_t *w, dom_err_t *e);
/* The handoff cookie for a session: the answer of dom_login. */
int dom_sso_session(dom_ctx_t *c, const char *cookie, bool secure, sso_web_t *w, json_t **out,
	dom_err_t *e);

/* SAML 2.0 (docs/sso.md). The SP metadata of a SAML provider: a new XML
 * text the caller frees (its entity id is its own URL). */
int dom_saml_metadata(dom_ctx_t *c, const char *account_id, const char *idp_id, char **xml,
	dom_err_t *e);
/* The assertion consumer service (HTTP-POST binding): the form's
 * SAMLResponse (base64) and RelayState (either may be NULL) and the
 * binding cookie's value. Checks everything (saml.h), the replay cache,
 * the sign-in under way and the browser; then ends like the OIDC callback
 * (302 to the portal with the handoff cookie). Every refusal is audited
 * and kept, as the callback's. */
int dom_saml_acs(dom_ctx_t *c, const char *account_id, const char *idp_id,
	const char *saml_response, const char *relay_state, const char *bind, bool secure,
	sso_web_t *w, dom_err_t *e);

/* Frees what w holds. */
void sso_web_free(sso_web_t *w);

/* For a browser sent back to the portal after a refused step
 * (/?sso_error=WORD): the word that says why, in buf (n bytes), or NULL
 * when e is no refusal of the sign-in. An "sso-failed" refusal gives its
 * reason (a fixed word of the code: wrong_audience, not_a_member…), a
 * provider that cannot be reached "idp_unavailable", an unknown account or
 * provider "unknown_provider". Never a token or a value of the request. */
const char *sso_refusal_word(const dom_err_t *e, char *buf, size_t n);

/* ---- Sign-in routing by e-mail domain (sso_domains.c, docs/sso.md) ---- */

#define SSO_DOMAIN_MAX 253
/* The TXT record that proves a domain: its name is this prefix and the
 * domain, its value this prefix and the claim's token. */
#define SSO_DOMAIN_TXT_LABEL "_faxvault-challenge."
#define SSO_DOMAIN_TXT_PREFIX "faxvault-domain-verification="

/* Pure (fuzzed by fuzz/domain/fuzz_sso_domain.c). A domain name of len
 * bytes, lower-cased into out: two labels or more of letters, digits and
 * inner hyphens, at most 63 bytes each, SSO_DOMAIN_MAX in all, no final
 * dot. 0, or -1. */
int sso_domain_normalize(const char *in, size_t len, char out[SSO_DOMAIN_MAX + 1]);
/* The TXT record data rdata (len bytes: length-prefixed strings, joined as
 * RFC 7208 3.3 joins them) equals want exactly. A truncated string is not
 * a match. */
bool sso_txt_matches(const unsigned char *rdata, size_t len, const char *want);

/* An account's domains (security.manage): claimed with {domain}, 201 with
 * the TXT record to publish; listed; deleted; verified by the TXT record
 * (422 validation-failed when it is not found, audited; 409 conflict when
 * another account holds the domain verified). */
int dom_ssodom_create(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_ssodom_list(dom_ctx_t *c, const json_t *a, const char *cursor, int limit, json_t **out,
	dom_err_t *e);
int dom_ssodom_delete(dom_ctx_t *c, const json_t *a, const char *id, json_t **out, dom_err_t *e);
int dom_ssodom_verify(dom_ctx_t *c, const json_t *a, const char *id, json_t **out, dom_err_t *e);
/* Provider staff verify a claim without DNS (the customer proved it some
 * other way): any account's domain by its id. */
int dom_ssodom_operator_verify(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
/* The re-check of verified domains (docs/sso.md, "Sign-in domains"): every
 * domain verified by its DNS record (provider staff's verifications are
 * not looked up) of an active account, last checked
 * sso_domain_recheck_hours ago or more, is looked up again, at most limit
 * per call, outside any transaction. Found: checked. Gone (no such name, no
 * TXT record, or none with the token): the first miss is audited
 * (sso_domain.recheck, failure, by system:sso) and mailed to the account's
 * owner, administrators and security contacts (MAIL_KIND_SSO_DOMAIN_FAILING,
 * each in their language); a miss sso_domain_grace_hours or more after the
 * first makes the domain "unverified" (sso_domain.unverify, mailed as
 * MAIL_KIND_SSO_DOMAIN_UNVERIFIED): discover stops routing by it until it
 * is verified again. Found again within the grace: audited
 * (sso_domain.recheck, success). The DNS not answering changes nothing but
 * the check's time. The domains looked at, or -1. */
#define SSO_DOMAIN_RECHECK_HOURS_DEFAULT 24
int dom_ssodom_recheck_pass(store_t *st, const dom_config_t *cfg, int64_t now, int limit);

/* Public: where a person signs in. query holds "email" (routed by its
 * verified domain) or "account" (an account id, typed on the sign-in
 * page). 200 {account_id, providers: [{id, name, type, start_url}]} or 404
 * not-found: no active account with an active provider. */
int dom_sso_discover(dom_ctx_t *c, const json_t *query, json_t **out, dom_err_t *e);

#endif
