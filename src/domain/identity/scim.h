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
#ifndef FV_SCIM_H
#define FV_SCIM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain.h"

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

#endif
