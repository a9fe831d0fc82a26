/* Named custom roles of an account ("Front desk", "Auditor"): a name, a
 * description and a set of account permissions, defined once and given to
 * many members (docs/identity.md, "Custom roles"). A member holding one has
 * role "custom" and custom_role {id, name}; changing the role's permissions
 * changes every holder's from their next request, audited once on the role
 * with the number of holders.
 *
 * The rules are those of members (members.c): managing a role that holds
 * admins.manage needs admins.manage, any other users.manage; nobody gives
 * a permission they do not hold; ownership.transfer is never in a role. */
#ifndef FV_ROLES_H
#define FV_ROLES_H

#include "domain.h"

/* Longest name and description of a role, in characters. */
#define ROLE_NAME_MAX 64
#define ROLE_DESCRIPTION_MAX 500

int dom_role_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
/* {name, description?, permissions: [names]} -> 201 the role; 409
 * role-name-taken when the account has a role of that name (any case). */
int dom_role_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_role_get(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
/* Any of name, description, permissions. */
int dom_role_update(dom_ctx_t *c, const json_t *account, const char *id, const json_t *body,
	json_t **out, dom_err_t *e);
/* 409 role-in-use while members hold it, unless reassign is "user": they
 * become users first. */
int dom_role_delete(dom_ctx_t *c, const json_t *account, const char *id, const char *reassign,
	json_t **out, dom_err_t *e);

/* ---- for members, SCIM and sign-in mapping (private to src/domain) ---- */

/* The account's role with this id, or NULL (new reference). */
json_t *role_find(dom_ctx_t *c, const char *account_id, const char *id);
/* The account's role named name (any case), or NULL (new reference). */
json_t *role_find_by_name(dom_ctx_t *c, const char *account_id, const char *name);
/* The permissions of a role record. */
perm_set_t role_perms(const json_t *role);
/* A custom permission set from a JSON array: known names, account scope,
 * at least one, never ownership.transfer. 0, or -1 with e. */
int custom_perms_parse(const json_t *arr, perm_set_t *out, dom_err_t *e);
/* The caller may manage a role holding `perms` (admins.manage when
 * admin-like, else users.manage; `role` is the built-in role's name or
 * "custom") and give `given` (a part of perms): it holds those, beside the
 * everyday permissions when acting under a consent. 0, or -1 with e
 * (forbidden, permission-not-held). */
int member_may_grant(dom_ctx_t *c, const char *role, perm_set_t perms, perm_set_t given,
	dom_err_t *e);

#endif
