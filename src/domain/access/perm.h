/* The permission table: one name per permission, the roles that hold them.
 *
 * This is the single source of truth for who may do what: the API declares the
 * permission of each route from it, GET /v1/permissions lists it, and the
 * authorization-matrix test is generated from it. */
#ifndef FV_PERM_H
#define FV_PERM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum perm {
	/* account scope: the seven administrator powers (C04a-g) */
	PERM_NUMBERS_MANAGE,
	PERM_USERS_MANAGE,
	PERM_ADMINS_MANAGE,
	PERM_SECURITY_MANAGE,
	PERM_DATA_READ,
	PERM_BILLING_READ,
	PERM_SETTINGS_MANAGE,
	/* account scope: everyday use */
	PERM_FAX_SEND,
	PERM_FAX_READ_OWN,
	PERM_ACCOUNT_READ,
	PERM_APIKEYS_OWN,
	PERM_OWNERSHIP_TRANSFER,
	PERM_SAFEBOX_USE,
	PERM_CONFIG_READ,
	/* provider scope */
	PERM_PROVIDER_ACCOUNTS_MANAGE,
	PERM_PROVIDER_ACCOUNTS_READ,
	PERM_PROVIDER_STAFF_MANAGE,
	PERM_PROVIDER_PARTNERS_MANAGE,
	PERM_PROVIDER_AUDIT_READ,
	PERM_PROVIDER_AUDIT_VERIFY,
	PERM_PROVIDER_TERMS_MANAGE,
	PERM_PROVIDER_TELEPHONY_MANAGE,
	PERM_PROVIDER_STATUS_MANAGE,
	PERM_PROVIDER_REQUESTS_MANAGE,
	PERM_PROVIDER_SECURITY_MANAGE,
	/* partner scope */
	PERM_PARTNER_ACCOUNTS_READ,
	PERM_PARTNER_STAFF_READ,
	PERM_PARTNER_ACCOUNTS_MANAGE,
	PERM_PARTNER_STAFF_MANAGE,
	PERM_PARTNER_CONFIG_READ,
	PERM_PARTNER_USAGE_READ,
	PERM_COUNT
};

typedef uint64_t perm_set_t;
#define PERM_BIT(p) ((perm_set_t)1 << (p))

struct perm_info {
	const char *name;   /* e.g. "numbers.manage" */
	const char *scope;  /* "account", "provider", "partner" */
	const char *ref;    /* responsibility ID of docs/responsibilities.md, or "" */
	const char *desc_en;
	const char *desc_fr;
};

/* Entry for p (0 <= p < PERM_COUNT). */
const struct perm_info *perm_info(enum perm p);
/* Permission by name, or -1. */
int perm_by_name(const char *name);
/* Permissions of a built-in role of a principal kind ("account": owner, admin,
 * billing, user; "provider": operator, support, security; "partner":
 * partner_admin, partner_support, partner_billing); 0 when the role is
 * unknown for that kind. */
perm_set_t perm_role(const char *kind, const char *role);
/* The everyday permissions every account member holds: those of the
 * built-in role "user". */
perm_set_t perm_everyday(void);
/* Every permission whose scope is "account". */
perm_set_t perm_account_scope(void);
/* A JSON array of names (new reference). */
json_t *perm_set_to_json(perm_set_t s);
/* Space-separated names into a new string (caller frees). */
char *perm_set_to_string(perm_set_t s);
/* Parses a space-separated list; unknown names are ignored. */
perm_set_t perm_set_from_string(const char *s);
/* Parses a JSON array of names. -1 when it is not an array of known names;
 * the offending name (borrowed) in *bad when given. */
int perm_set_from_json(const json_t *arr, perm_set_t *out, const char **bad);
/* The whole table with role memberships, for GET /v1/permissions (new ref). */
json_t *perm_table_json(const char *lang);

#endif
