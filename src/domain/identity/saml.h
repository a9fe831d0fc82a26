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
#ifndef FV_SAML_H
#define FV_SAML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
