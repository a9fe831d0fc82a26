/* Delegated access to a customer account (R03, C18, P06, P11).
 *
 * Consents: the owner of an account lets the staff of one partner hold some
 * or all of the seven administrator powers on it for a while. Support access
 * grants: a provider staff member asks for one scope on one account, with a
 * reason, and the owner or an administrator approves. Neither is decided
 * here: authz_decide() (authz.h) weighs them, from what dom_access_load()
 * reads afresh for each request, so that a revocation or an expiry holds
 * from the next request on.
 *
 * Operations follow the conventions of domain.h; the account record is the
 * one the router loaded (borrowed). See docs/security.md ("Partners and
 * support access"). */
#ifndef FV_DOMAIN_CONSENTS_H
#define FV_DOMAIN_CONSENTS_H

#include <jansson.h>
#include <stdint.h>

#include "access.h"
#include "domain.h"

/* The version of the consent text an owner agrees to (EN/FR below). */
#define CONSENT_TEXT_VERSION "consent-2026-12"
/* Most live consents or grants one request weighs. */
#define DOM_ACCESS_MAX 16

/* POST /v1/accounts/{id}/consents, by the owner in person:
 * {partner_id, scope: "full" | [permission…] (of the seven powers),
 * expires_at, starts_at?, text_version?, mfa_code? (required when the owner
 * has a second factor)}. The end is at most consent_max_days ahead. The
 * owner is mailed. *out: the consent, with the texts agreed to. */
int dom_consent_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* POST /v1/accounts/{id}/consents/letter (multipart), by the owner in
 * person: fields as above (scope "full" or a JSON array) and the signed
 * letter (a PDF, scanned, stored encrypted as a document of the account).
 * The consent waits for an operator's review (status pending_review) and
 * lends nothing until approved. */
int dom_consent_letter(dom_ctx_t *c, const json_t *account, const json_t *fields,
	const void *letter, size_t len, json_t **out, dom_err_t *e);
/* GET /v1/provider/consents?review=pending_review|approved|rejected: the
 * consents given by letter in that state (default pending_review), oldest
 * first, of every account: {items}. */
int dom_consent_review_list(dom_ctx_t *c, const json_t *query, json_t **out, dom_err_t *e);
/* GET /v1/provider/consents/{consent_id}/letter: the letter's PDF (*data
 * owned by the caller); the read is audited in the account's log. */
int dom_consent_letter_get(dom_ctx_t *c, const char *consent_id, unsigned char **data, size_t *len,
	dom_err_t *e);
/* POST /v1/provider/consents/{consent_id}/review {decision: approve |
 * reject, reason}: decided once (invalid-state after); an ended consent is
 * not approved. Audited in the account's log as consent.review; approving
 * mails the owner as a consent that starts. *out: the consent. */
int dom_consent_review(dom_ctx_t *c, const char *consent_id, const json_t *body, json_t **out,
	dom_err_t *e);
/* GET: {items: [consent…]} (partner staff see their partner's only). */
int dom_consent_list(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* DELETE …/{consent_id}, by the owner: revoked now; the owner is mailed.
 * not-found when there is no such consent or it was revoked already. */
int dom_consent_revoke(dom_ctx_t *c, const json_t *account, const char *consent_id, json_t **out,
	dom_err_t *e);
/* The first use of a consent (the HTTP layer calls it when a decision rests
 * on one): recorded, audited and mailed to the owner once. 0 / -1 (the
 * request then fails: nothing is done under a consent unrecorded). */
int dom_consent_used(dom_ctx_t *c, const json_t *account, const char *consent_id, dom_err_t *e);
/* Mails the owners of consents that ended (expired or revoked) and were not
 * noticed yet, in transactions of its own: the number noticed, or -1. */
int dom_consent_sweep(store_t *st, const dom_config_t *cfg, int64_t now, int limit);

/* ---- support access grants (grants.c) ---- */

/* The permissions a grant scope lends: "config.read" account.read and
 * config.read (the account's settings, security and retention settings,
 * number routing, webhook subscriptions without secrets, notices),
 * "data.read" account.read and data.read, "admin" the seven administrator
 * powers and account.read. 0 for an unknown scope. */
perm_set_t dom_grant_scope_perms(const char *scope);
/* POST /v1/accounts/{id}/access-grants, by a provider staff member in
 * person: {scope, reason, duration_minutes, break_glass?}. A request waits
 * for the owner's or an administrator's approval (the owner is mailed);
 * break-glass (operators only, reason mandatory, at most
 * access.break_glass_max_minutes) is in force at once and the owner is
 * mailed at once. Durations are capped by access.grant_max_hours. */
int dom_grant_request(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* GET: the access-transparency list, past and present: {items}. */
int dom_grant_list(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* POST …/{grant_id}/approve, by an account member in person (the owner or
 * an administrator): in force from now for its duration. */
int dom_grant_approve(dom_ctx_t *c, const json_t *account, const char *grant_id, json_t **out,
	dom_err_t *e);
/* POST …/{grant_id}/revoke, likewise: a request is refused, an approved
 * grant ends now. */
int dom_grant_revoke(dom_ctx_t *c, const json_t *account, const char *grant_id, json_t **out,
	dom_err_t *e);

/* What may lend p permissions on account at now, read from the store:
 * fills t (which points into a) for authz_decide(). 0 / -1. */
typedef struct dom_access {
	json_t *rows[2]; /* consents, grants: what the entries borrow from */
	authz_consent_t consents[DOM_ACCESS_MAX];
	authz_grant_t grants[DOM_ACCESS_MAX];
} dom_access_t;
int dom_access_load(store_tx_t *tx, const principal_t *p, const json_t *account, int64_t now,
	dom_access_t *a, authz_target_t *t);
/* Releases what dom_access_load() read (a zeroed one too). */
void dom_access_free(dom_access_t *a);

#endif
