/* The store of single sign-on: an account's identity providers and the
 * short-lived records of sign-ins under way (migration 0023).
 *
 * Conventions, ownership and error codes are those of store.h. Every
 * operation on a provider takes the account id and never answers across
 * accounts. A provider record: {id, account_id, type, name, issuer,
 * client_id, client_secret (sealed), token_auth, scopes, provisioning,
 * role_claim, role_map (JSON text), default_role, status, created_at,
 * updated_at}. */
#ifndef FV_STORE_SSO_H
#define FV_STORE_SSO_H

#include "store.h"

int store_idp_insert(store_tx_t *tx, const json_t *idp);
/* A live (not deleted) provider of account_id, or NULL. */
json_t *store_idp_get(store_tx_t *tx, const char *account_id, const char *id);
int store_idp_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out);
/* The active providers of account_id: [{id, name, type}] (NULL on error). */
json_t *store_idp_active(store_tx_t *tx, const char *account_id);
/* Sets the given keys (name, issuer, client_id, client_secret, token_auth,
 * scopes, provisioning, role_claim, role_map, default_role, status,
 * updated_at). */
int store_idp_update(store_tx_t *tx, const char *account_id, const char *id,
	const json_t *fields);
/* Marks the provider deleted; its flows under way die with it. */
int store_idp_delete(store_tx_t *tx, const char *account_id, const char *id, int64_t now);

/* A flow: {value_hash, kind ("auth" | "handoff"), account_id, idp_id,
 * principal_id?, browser_hash, created_at, expires_at}. Also drops the
 * flows expired before created_at. */
int store_sso_flow_insert(store_tx_t *tx, const json_t *flow);
/* Takes the unused, unexpired flow of kind with value_hash at now: marks
 * it used and returns it (a new reference), or NULL when there is none
 * (unknown, used, expired: the caller cannot tell, and need not). */
json_t *store_sso_flow_take(store_tx_t *tx, const char *kind, const char *value_hash, int64_t now);

/* A SAML provider's own record (migration 0028): {idp_id, account_id,
 * idp_metadata, metadata_url, sp_entity_id, acs_url, sp_cert, sp_key
 * (sealed), email_attribute, allow_sha1 (0 or 1)}. store_idp_get and
 * store_idp_list add sp_entity_id, acs_url, email_attribute,
 * saml_metadata_url and allow_sha1 to a provider's record (null for
 * OIDC). */
int store_saml_insert(store_tx_t *tx, const json_t *saml);
/* The SAML record of a live provider of account_id, or NULL. */
json_t *store_saml_get(store_tx_t *tx, const char *account_id, const char *idp_id);
/* Sets the given keys (idp_metadata, metadata_url, email_attribute:
 * strings; allow_sha1: an integer). */
int store_saml_update(store_tx_t *tx, const char *account_id, const char *idp_id,
	const json_t *fields);
/* Records that assertion_id of idp_id was used, to be remembered until
 * expires_at (ms); drops the ids expired before now. STORE_OK, or
 * STORE_CONFLICT when it was used already (a replay). */
int store_saml_assertion_use(store_tx_t *tx, const char *idp_id, const char *assertion_id,
	int64_t expires_at, int64_t now);

/* E-mail domains of accounts for sign-in routing (migrations 0040, 0047):
 * {id, account_id, domain, token, status ("pending" | "verified" |
 * "unverified"), method ("" | "dns" | "operator"), created_at, verified_at,
 * checked_at, failing_since}. STORE_CONFLICT when
 * the account claims the domain already. */
int store_ssodom_insert(store_tx_t *tx, const json_t *d);
/* A domain of account_id (NULL: of any account, for provider staff), or
 * NULL. */
json_t *store_ssodom_get(store_tx_t *tx, const char *account_id, const char *id);
int store_ssodom_list(store_tx_t *tx, const char *account_id, const char *cursor, int limit,
	store_page_t *out);
/* Marks the domain verified by method at now (checked then, not failing). STORE_CONFLICT when another
 * account holds it verified; STORE_NOTFOUND when there is no such row. */
int store_ssodom_verify(store_tx_t *tx, const char *id, const char *method, int64_t now);
int store_ssodom_delete(store_tx_t *tx, const char *account_id, const char *id);
/* Domains verified by DNS of active accounts whose last check is at or
 * before before (never checked first), at most limit. */
json_t *store_ssodom_due(store_tx_t *tx, int64_t before, int limit);
/* A re-check of a verified domain at now: found > 0, its record is there
 * (failing_since cleared); 0, it is gone (failing_since set unless already
 * set); < 0, the DNS did not answer (checked_at only). STORE_NOTFOUND when
 * the domain is no longer verified. */
int store_ssodom_recheck(store_tx_t *tx, const char *id, int64_t now, int found);
/* A verified domain made 'unverified' (routing by it stops). */
int store_ssodom_unverify(store_tx_t *tx, const char *id, int64_t now);
/* The verified claim of domain (lower case) by an active account, or NULL. */
json_t *store_ssodom_find(store_tx_t *tx, const char *domain);

#endif
