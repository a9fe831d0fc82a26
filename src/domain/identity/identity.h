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

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_IDENTITY_H
#define FV_DOMAIN_IDENTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "i18n.h"

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

/* OpenID Connect, the parts that judge what a provider sends: its
 * discovery document and its ID tokens (signature against its JWKS with
 * cjose, alg allow-list, iss, aud, azp, exp, iat, nonce). Pure: no I/O, no
 * globals; fuzzed by fuzz/sso/fuzz_oidc_token.c. The fetching is
 * oidc_fetch.h's. */
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

/* An account's security settings (issue "customer security controls"):
 * password policy, second factor, session lifetimes, IP allow-list, API rate
 * limit, contacts review. Stored as one JSON document per account; the
 * provider's configuration gives the defaults and the limits an account can
 * only tighten. */
#define POLICY_CIDR_MAX 64

enum mfa_required { MFA_NONE, MFA_ADMINS, MFA_ALL };
/* How a received fax reaches the member its number routes to by mail:
 * the PDF attached, a notice that asks them to sign in, or no mail. */
enum fax_mail { FAX_MAIL_ATTACHMENT, FAX_MAIL_LINK, FAX_MAIL_NONE, FAX_MAIL_SAFEBOX };

/* The name of m ("attachment", "link", "none", "safebox"). */
const char *policy_fax_mail_name(enum fax_mail m);

typedef struct sec_policy {
	int min_length, max_length;
	bool check_common;
	int history;        /* previous passwords that may not be reused */
	int max_age_days;   /* 0: no expiry */
	int lockout_threshold, lockout_minutes;
	bool require_upper, require_lower, require_digit, require_symbol;
	enum mfa_required mfa;
	int idle_minutes, max_hours;
	int ncidr;
	cidr_t cidr[POLICY_CIDR_MAX];
	int rpm, burst;
	int contacts_review_months;
	enum fax_mail fax_mail; /* received_fax_mail */
	bool sso_required;      /* members sign in through an identity provider only
				   (sso.md): password sign-in is refused but for an
				   owner with a second factor */
	bool fraud_hold;        /* a finding of the fraud detection holds the
				   account's outbound faxing until an administrator
				   confirms (fraud.h); off by default */
	bool grants_auto_config; /* access_grants_auto_config: a support access
				    request for the config.read scope is approved
				    at once (consents.h); off by default */
	bool shared_inbox_safebox; /* with fax_mail FAX_MAIL_SAFEBOX, a fax routed to
				      the shared inbox is delivered as a SafeBox to
				      every active member who may read the inbox
				      (data.read); off by default */
} sec_policy_t;

/* The provider defaults. */
void policy_defaults(const sec_limits_t *lim, sec_policy_t *p);
/* Overlays a stored document (as written by policy_to_json) on the defaults;
 * values outside today's limits are clamped to them. */
void policy_from_json(const sec_limits_t *lim, const json_t *doc, sec_policy_t *p);
/* The resource of GET /v1/accounts/{id}/security (new reference). */
json_t *policy_to_json(const sec_policy_t *p);
/* Applies a PATCH document to p: unknown fields, wrong types, values out of
 * bounds, a policy looser than the provider's, min above max, bad CIDRs are
 * refused with the field path in *field and a sentence naming it in why
 * (English and French). 0, or -1 with p unchanged. */
int policy_patch(const sec_limits_t *lim, sec_policy_t *p, const json_t *patch, char *field,
	size_t fieldlen, i18n_msg_t *why);
/* Checks a new password against the policy (length, common list,
 * composition when enabled, e-mail local part). 0 when acceptable, else -1
 * with the reason in why (naming the policy's limit where one applies).
 * History is checked by the caller (needs hashes). */
int policy_password_problem(const sec_policy_t *p, const char *pw, const char *email,
	i18n_msg_t *why);
/* Whether the address is allowed (an empty list allows every address). */
bool policy_ip_allowed(const sec_policy_t *p, const char *addr);
/* Whether the policy is at least as strict as the NIST-style defaults. */
bool policy_meets_defaults(const sec_policy_t *p, const sec_limits_t *lim);

/* The list of common and breached passwords that new passwords are checked
 * against (NIST SP 800-63B 5.1.1.2). Loaded once at start, read-only after. */
/* Loads one entry per line from path (lower-cased), on top of a small
 * built-in list of the most common passwords. Returns the number of entries,
 * or -1 when path cannot be read (the built-in list stays in force). */
long pwlist_load(const char *path);
/* Entries loaded. */
size_t pwlist_size(void);
/* Whether pw is, or is only a light variation of, a listed password: case,
 * digits or symbols appended, common letter-for-digit substitutions, or a
 * run of one character or of consecutive characters. */
bool pwlist_is_common(const char *pw);
void pwlist_free(void);

/* SAML 2.0, the service provider's side (issue 17, docs/sso.md), with
 * Lasso: the SP's key pair and metadata, an identity provider's metadata,
 * the AuthnRequest (HTTP-Redirect binding, signed) and the judgement of a
 * Response posted to the assertion consumer service (HTTP-POST binding).
 * Lasso parses the messages and checks every XML signature and decrypts
 * encrypted assertions; this module adds what faxvault requires on top:
 * a signature (on the response or on the assertion), none made with
 * SHA-1 unless allowed, exactly one
 * assertion, the issuer, audience, Recipient/Destination, NotBefore and
 * NotOnOrAfter with skew, and InResponseTo of our request.
 *
 * Pure: no I/O, no store; fuzzed by fuzz/domain/fuzz_saml_response.c.
 * Thread-safe once saml_init() has run (each call builds its own Lasso
 * objects). Every "why" is a static snake_case word for the audit log,
 * never a secret and never text of the message. */
/* Ceilings of what an identity provider may send. */
#define SAML_METADATA_MAX 262144
#define SAML_RESPONSE_MAX 262144   /* the base64 SAMLResponse */
#define SAML_ID_MAX 256
#define SAML_SKEW_SECONDS 120
/* The longest an assertion id is kept in the replay cache. */
#define SAML_REPLAY_MAX_SECONDS 86400

/* Initialises Lasso once (later calls do nothing); Lasso's own log lines
 * are dropped (they may quote the messages). 0, or -1 when it failed. */
int saml_init(void);

/* A new RSA 2048 key pair for the SP: the private key (PKCS#8 PEM) and a
 * self-signed certificate (PEM, ten years, subject CN=cn). Both new strings
 * the caller frees; 0, or -1 with nothing allocated. */
int saml_keypair_new(const char *cn, char **key_pem, char **cert_pem);

/* The service provider, for one identity provider. */
typedef struct saml_sp {
	const char *entity_id; /* PUBLIC_URL/v1/sso/ACCOUNT/IDP/saml/metadata */
	const char *acs_url;   /* PUBLIC_URL/v1/sso/ACCOUNT/IDP/saml/acs */
	const char *key_pem;   /* the private key (NULL: metadata only) */
	const char *cert_pem;
	/* The attribute holding the e-mail address; "" or NULL: the NameID,
	 * which must then be of format emailAddress. */
	const char *email_attribute;
	/* Accept responses signed with SHA-1 (RSA-SHA1, or SHA-1 digests);
	 * false: refused as "sha1_signature". */
	bool allow_sha1;
} saml_sp_t;

/* The SP's metadata (a new string the caller frees), or NULL. */
char *saml_sp_metadata(const saml_sp_t *sp);

/* Reads an identity provider's metadata (len bytes): it must describe one
 * IdP with a SingleSignOnService of the HTTP-Redirect binding and a
 * signing key. Its entityID into entity_id (cap bytes). 0, or -1 with
 * *why. */
int saml_idp_metadata_read(const char *xml, size_t len, char *entity_id, size_t cap,
	const char **why);

/* The URL of the IdP's single sign-on service carrying a signed
 * AuthnRequest of id request_id (an NCName) and relay_state. *url is a new
 * string the caller frees. 0, or -1 with *why. */
int saml_authn_request(const saml_sp_t *sp, const char *idp_xml, const char *request_id,
	const char *relay_state, char **url, const char **why);

/* What a response must show. */
typedef struct saml_expect {
	const char *request_id; /* the ID of our AuthnRequest */
	int64_t now_s;          /* the service's clock, seconds since the epoch */
} saml_expect_t;

/* What an accepted response says. */
typedef struct saml_result {
	char assertion_id[SAML_ID_MAX + 1];
	int64_t not_on_or_after_s; /* until when the assertion id must be remembered */
	/* {email, email_verified: true, name?, ATTRIBUTE: [values…]…}: the
	 * e-mail from the configured attribute or the NameID, every attribute
	 * by its Name (and its FriendlyName) with its text values. New
	 * reference. */
	json_t *claims;
} saml_result_t;

/* Judges the base64 SAMLResponse b64 (len bytes) posted for sp by the
 * identity provider of idp_xml. 0 with *r filled (the caller releases
 * r->claims), or -1 with *why and r->claims NULL. */
int saml_response_check(const saml_sp_t *sp, const char *idp_xml, const char *b64, size_t len,
	const saml_expect_t *x, saml_result_t *r, const char **why);

/* SCIM 2.0 provisioning (RFC 7643, RFC 7644; issue 17, C05): the account's
 * SCIM tokens, and the Users and Groups an identity provider (Entra ID,
 * Okta, Keycloak) manages with them.
 *
 * A SCIM token belongs to one account and is shown once (stored hashed,
 * like an API key). It acts with the provisioning powers its creator held
 * when it was made and still holds (users.manage, and admins.manage to
 * touch administrators); it dies with its creator. Its principal has type
 * "scim" and id "scim:<token id>", the actor of every event it causes.
 *
 * The SCIM operations take c->who as that principal, the account being
 * c->who->account_id; they answer SCIM resources (new references) or fail
 * with e: e->field then holds the SCIM error's scimType when one applies
 * ("invalidFilter", "invalidPath", "invalidSyntax", "invalidValue",
 * "noTarget", "uniqueness", "mutability"). Deactivating a user
 * (active=false) or deleting it deprovisions the person in the same
 * transaction: sessions and API keys die (member_deprovision). */
#define SCIM_TOKEN_PREFIX "fvc_"
#define SCIM_COUNT_DEFAULT 100
#define SCIM_COUNT_MAX 200      /* maxResults of a list */
#define SCIM_ATTRS_MAX 16384    /* bytes of a user's stored SCIM attributes */
#define SCIM_EXTERNAL_ID_MAX 256

#define SCIM_URN_USER "urn:ietf:params:scim:schemas:core:2.0:User"
#define SCIM_URN_GROUP "urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCIM_URN_ENTERPRISE "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define SCIM_URN_LIST "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define SCIM_URN_PATCH "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define SCIM_URN_ERROR "urn:ietf:params:scim:api:messages:2.0:Error"

/* ---- tokens, through the API (/v1/accounts/{id}/scim-tokens) ---- */
/* {name}: {id, name, prefix, permissions, creator_id, created_at,
 * last_used_at, token}; the token is in no other answer. */
int dom_scim_token_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_scim_token_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_scim_token_revoke(dom_ctx_t *c, const json_t *account, const char *token_id,
	json_t **out, dom_err_t *e);

/* Resolves a SCIM bearer token at now into *p (the account's rate limit
 * and address allow-list apply: p->rpm, p->burst; "ip-not-allowed").
 * 0, or -1 with e (unauthenticated, account-suspended, ip-not-allowed).
 * Touches the token's last use (needs a write transaction). */
int dom_scim_authenticate(store_tx_t *tx, const dom_config_t *cfg, const char *bearer,
	const char *source, int64_t now, principal_t *p, dom_err_t *e);

/* ---- Users ---- */
int dom_scim_user_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
int dom_scim_user_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e);
/* A ListResponse: filter (NULL: none), startIndex (1-based) and count. */
int dom_scim_user_list(dom_ctx_t *c, const char *filter, int64_t start, int64_t count,
	json_t **out, dom_err_t *e);
/* PUT and PATCH; if_match (NULL: none) must be "*" or the user's version,
 * else e is "precondition-failed". */
int dom_scim_user_replace(dom_ctx_t *c, const char *id, const json_t *body, const char *if_match,
	json_t **out, dom_err_t *e);
int dom_scim_user_patch(dom_ctx_t *c, const char *id, const json_t *body, const char *if_match,
	json_t **out, dom_err_t *e);
int dom_scim_user_delete(dom_ctx_t *c, const char *id, const char *if_match, dom_err_t *e);

/* ---- Groups: one per role (admin, billing, user; custom roles are in
 * none), members = the people holding it ---- */
int dom_scim_group_list(dom_ctx_t *c, const char *filter, int64_t start, int64_t count,
	bool no_members, json_t **out, dom_err_t *e);
int dom_scim_group_get(dom_ctx_t *c, const char *id, bool no_members, json_t **out,
	dom_err_t *e);
/* Members added take the group's role; members taken out go back to the
 * user role (leaving the user group is refused: join another). */
int dom_scim_group_patch(dom_ctx_t *c, const char *id, const json_t *body, const char *if_match,
	json_t **out, dom_err_t *e);
int dom_scim_group_replace(dom_ctx_t *c, const char *id, const json_t *body, const char *if_match,
	json_t **out, dom_err_t *e);
/* Always -1: the roles exist (409 uniqueness for a role's name) and no
 * other group is made; roles are not deleted. */
int dom_scim_group_create(dom_ctx_t *c, const json_t *body, dom_err_t *e);
int dom_scim_group_delete(dom_ctx_t *c, const char *id, dom_err_t *e);

/* ---- discovery (RFC 7644 §4) ---- */
json_t *scim_service_provider_config(void);
json_t *scim_resource_types(void);
json_t *scim_schemas(void);

/* SCIM 2.0 filters, attribute paths and PATCH operations (RFC 7644
 * §3.4.2.2 and §3.5.2), as pure functions on JSON resources: no I/O, no
 * globals (fuzzed by fuzz/domain/fuzz_scim_filter.c).
 *
 * Filters: `attrPath op value`, `attrPath pr`, `and`, `or`, `not (…)`,
 * parentheses, value paths `emails[type eq "work"]`, and the form Entra ID
 * sends, `emails[type eq "work"].value eq "…"`. Operators and keywords are
 * case-insensitive, and so are attribute names and string comparisons (no
 * attribute faxvault serves is caseExact). An attribute path may carry its
 * schema URN (`urn:ietf:params:scim:schemas:core:2.0:User:userName`); the
 * core schemas' URNs are dropped, an extension's names the object of the
 * resource holding the attribute. */
#define SCIM_FILTER_MAX 1024   /* bytes of a filter or path */
#define SCIM_FILTER_NODES 64   /* comparisons and operators in one filter */
#define SCIM_FILTER_DEPTH 12   /* nesting of parentheses, not and brackets */
#define SCIM_NAME_MAX 64       /* an attribute's or sub-attribute's name */
#define SCIM_URN_MAX 96        /* a schema URN */
#define SCIM_PATCH_OPS_MAX 64  /* operations in one PATCH request */

typedef struct scim_filter scim_filter_t;

/* An attribute path: [urn:] name [. sub]. urn is "" for a core schema. */
typedef struct scim_attr {
	char urn[SCIM_URN_MAX + 1];
	char name[SCIM_NAME_MAX + 1];
	char sub[SCIM_NAME_MAX + 1];
} scim_attr_t;

/* A PATCH path: attr, and for a value path the filter on the elements of
 * the multi-valued attribute (owned, NULL when none); attr.sub is then the
 * sub-attribute after the brackets ("" for none). */
typedef struct scim_path {
	scim_attr_t attr;
	scim_filter_t *filter;
} scim_path_t;

/* Parses len bytes of s. 0 with *out (owned: scim_filter_free); -1 with the
 * reason in err (English and French, for the SCIM error's detail). */
int scim_filter_parse(const char *s, size_t len, scim_filter_t **out, i18n_msg_t *err);
/* Whether resource (a JSON object) matches f. */
bool scim_filter_match(const scim_filter_t *f, const json_t *resource);
/* When f is `name eq "string"` alone (any case), points *name and *value at
 * its parts (borrowed from f) and answers true. */
bool scim_filter_simple_eq(const scim_filter_t *f, const char **name, const char **value);
void scim_filter_free(scim_filter_t *f);

/* Parses a PATCH path. 0 with *p filled (scim_path_free releases it); -1
 * with err. */
int scim_path_parse(const char *s, size_t len, scim_path_t *p, i18n_msg_t *err);
void scim_path_free(scim_path_t *p);

/* Applies the Operations array of a PATCH request (RFC 7644 §3.5.2) to
 * resource, in place: op add, replace or remove (any case), with or
 * without path; without a path the value is an object whose keys are
 * attribute paths. 0; -1 with err and *scim_type ("invalidSyntax",
 * "invalidPath", "noTarget", "invalidValue"), resource then partly
 * changed (the caller drops it). Attributes a resource may not change
 * (id, meta, schemas) are the caller's to restore. */
int scim_patch_apply(json_t *resource, const json_t *operations, i18n_msg_t *err,
	const char **scim_type);

/* The member of obj whose name equals key in any case (borrowed), or NULL. */
json_t *scim_get_ci(const json_t *obj, const char *key);

/* Secrets sealed at rest (docs/vault.md, "Small secrets at rest"): the
 * domain's side of vault_secret_seal / vault_secret_open. It picks each
 * secret's scope (the account of a webhook or of a member; the provider for
 * trunk passwords and for provider and partner staff), takes the account's
 * wrapped key from the store (made on first use), and at start seals the
 * values an older version stored in clear. Nothing here logs a secret.
 *
 * Purposes: "totp" (owner: the person), "webhook" (the webhook), "trunk"
 * (the trunk). Opened secrets are new strings: wipe them with
 * vault_secret_free(). */
/* The scope of a person's TOTP seed: the account id of an account's member,
 * NULL (the provider's) for provider and partner staff. Borrowed from
 * person. */
const char *secret_totp_scope(const json_t *person);

/* plain sealed for owner_id and purpose in the scope of account_id (NULL:
 * the provider), the account's key made on first use through tx (a write
 * transaction). A new string (free()), or NULL when there is no master key
 * (tools) or the key cannot be had (logged). */
char *secret_seal_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *plain);
/* The clear text of a sealed value, or NULL when it does not open (logged
 * as secret.unopened, with the purpose and owner only). */
char *secret_open_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *sealed);
/* The same for a caller that has the account's wrapped key as stored (hex;
 * ignored for the provider's scope), without a transaction. */
char *secret_open_row(const fax_env_t *env, const char *account_id, const char *wrapped_hex,
	const char *purpose, const char *owner_id, const char *sealed);

/* Texts longer than one sealed secret (VAULT_SECRET_MAX; a private key in
 * PEM): encrypted (XChaCha20-Poly1305, bound to owner_id) with a random key
 * that is itself sealed as above (purpose, owner_id, scope); stored as
 * "SEALED.BOX", where SEALED is a sealed secret of its own (a master key
 * rotation rewraps that part: secret_long_split). New strings the caller
 * frees (an opened one wiped first: vault_secret_free does not know its
 * length), or NULL (logged when the key does not open). */
char *secret_seal_long_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *plain);
char *secret_open_long_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *sealed);
char *secret_open_long_row(const fax_env_t *env, const char *account_id, const char *wrapped_hex,
	const char *purpose, const char *owner_id, const char *sealed);

/* The request's versions (c->tx, c->cfg->fax). */
char *dom_secret_seal(dom_ctx_t *c, const char *account_id, const char *purpose,
	const char *owner_id, const char *plain);
char *dom_secret_open(dom_ctx_t *c, const char *account_id, const char *purpose,
	const char *owner_id, const char *sealed);

/* The person's TOTP key (their seed, opened and decoded) into key (cap
 * bytes): its length, or -1 when there is none or it does not open. */
int dom_totp_key(dom_ctx_t *c, const json_t *person, uint8_t *key, size_t cap);

/* At start, before any request: seals every secret an older version stored
 * in clear (each in its scope, in one transaction), then has the store
 * overwrite the superseded values (store_checkpoint). The number sealed
 * (logged as secrets.sealed when not 0), or -1 (nothing changed). */
int dom_secrets_seal_all(store_t *st, const fax_env_t *env);

#endif
