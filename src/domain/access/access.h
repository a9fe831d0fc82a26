/* Who is calling, and the one function that decides what they may do.
 *
 * Every API operation names the permissions it accepts (any of a set) and the
 * account it touches; authz_check() is the only place where that is decided.
 * An account-scoped resource of another tenant answers AUTHZ_NOT_FOUND, so
 * that its existence does not leak. */

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_ACCESS_H
#define FV_DOMAIN_ACCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The permission table: one name per permission, the roles that hold them.
 *
 * This is the single source of truth for who may do what: the API declares the
 * permission of each route from it, GET /v1/permissions lists it, and the
 * authorization-matrix test is generated from it. */
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
#define ID_MAX 48

/* The authenticated caller. Plain data, no ownership. */
typedef struct principal {
	char id[ID_MAX];         /* the acting credential: person id, or API key id */
	char type[16];           /* "user" or "api_key" */
	char person_id[ID_MAX];  /* the person (for an API key, its creator) */
	char kind[12];           /* "provider", "partner", "account" */
	char role[24];
	char account_id[ID_MAX]; /* kind "account" */
	char partner_id[ID_MAX]; /* kind "partner" */
	char session_id[ID_MAX]; /* when authenticated by a session */
	int64_t session_idle_ms; /* that session's idle timeout in force, as its
				    authentication found it (0: not known) */
	perm_set_t perms;        /* effective permissions */
	unsigned gates;          /* PRINCIPAL_GATE_*: what must be done before anything else */
	int rpm, burst;          /* API rate limit of this caller's bucket */
	char lang[4];            /* the person's language setting, or "" */
	/* Set for one request when the caller acts on an account under a
	 * partner consent or a support access grant (authz_decide): the audit
	 * log records it with every event of the request. */
	char consent_id[ID_MAX];
	char grant_id[ID_MAX];
} principal_t;

/* Steps a person must take before using the API (only routes marked as
 * open to gated callers answer until then). */
enum {
	PRINCIPAL_GATE_TERMS = 1 << 0,    /* accept the current terms of service */
	PRINCIPAL_GATE_MFA = 1 << 1,      /* enrol a second factor */
	PRINCIPAL_GATE_PASSWORD = 1 << 2, /* change an expired password */
	PRINCIPAL_GATE_CLOSING = 1 << 3,  /* the owner of a closing account: reads, exports and
					     the closure's cancellation only */
};

enum authz_result {
	AUTHZ_ALLOW,
	AUTHZ_UNAUTHENTICATED, /* 401 */
	AUTHZ_FORBIDDEN,       /* 403 */
	AUTHZ_NOT_FOUND,       /* 404: another tenant's resource */
};

/* Decides whether p may use an operation that accepts any permission of
 * `any_of`. account_id is the account the operation touches (NULL for
 * operations not bound to one); account_partner_id is that account's partner
 * (NULL if none), used to scope partner staff. p NULL means anonymous. */
enum authz_result authz_check(const principal_t *p, perm_set_t any_of, const char *account_id,
	const char *account_partner_id);

/* Delegated access to one account, as stored; times in ms, 0 = not set. */
typedef struct authz_consent {
	const char *id;
	const char *partner_id; /* the partner whose staff it lets act */
	perm_set_t scope;       /* account permissions it lends */
	int64_t starts_at, expires_at, revoked_at;
} authz_consent_t;

typedef struct authz_grant {
	const char *id;
	const char *staff_id; /* the provider staff member it lets act */
	perm_set_t scope;
	bool approved;
	int64_t starts_at, expires_at; /* set when approved */
} authz_grant_t;

/* The account an operation touches, with what may lend its callers
 * permissions on it. All borrowed. */
typedef struct authz_target {
	const char *account_id;         /* NULL: the operation is bound to no account */
	const char *partner_id;         /* the account's partner, or NULL */
	const authz_consent_t *consents; /* the account's consents (any state) */
	int nconsents;
	const authz_grant_t *grants;    /* the account's access grants (any state) */
	int ngrants;
} authz_target_t;

typedef struct authz_decision {
	enum authz_result result;
	perm_set_t perms;       /* the caller's permissions on the target */
	const char *consent_id; /* the consent that lent some of them (borrowed from the target), or NULL */
	const char *grant_id;   /* likewise the access grant */
} authz_decision_t;

/* The one decision, at time now: may p use an operation accepting any of
 * any_of on t? Members act on their own account only (another one: not
 * found); partner staff on the accounts of their partner, and on an account
 * whose owner gave their partner a live consent (started, not expired, not
 * revoked), with the consent's scope added; provider staff on every
 * account, with the scope of their own live approved grant added. A
 * consent or grant lends its scope (and is named in the decision) only when
 * the caller's own permissions do not suffice, or, for a consent, when it
 * is what lets partner staff reach the account. Pure. */
void authz_decide(const principal_t *p, perm_set_t any_of, const authz_target_t *t, int64_t now,
	authz_decision_t *d);

/* ---- inside an account: the resource descriptor ----
 *
 * Past the route's permission (authz_decide), what an operation may do to
 * one thing of an account is decided here too, from a descriptor of that
 * thing; docs/architecture.md has the table. The domain describes, this
 * decides: no permission test is written anywhere else
 * (scripts/authz-check refuses one). */

enum authz_kind {
	AUTHZ_RES_ACCOUNT, /* the account itself */
	AUTHZ_RES_FAX,     /* a fax (its documents, previews, report), a member's data export */
	AUTHZ_RES_SAFEBOX, /* a SafeBox */
	AUTHZ_RES_MEMBER,  /* a member of the account, or a role that members hold */
	AUTHZ_RES_APIKEY,  /* an API key of a member */
	AUTHZ_RES_PARTNER, /* a partner: its record, staff, logo, accounts */
	AUTHZ_RES_REPORT,  /* a fraud report filed on the account */
	AUTHZ_RES_GRANT,   /* a support access grant of the account */
};

enum authz_act {
	AUTHZ_READ,     /* see this one */
	AUTHZ_READ_ALL, /* see every one of the account's, not only one's own */
	AUTHZ_CREATE,   /* make a new one */
	AUTHZ_ADD,      /* add to it (a SafeBox's files and messages) */
	AUTHZ_MANAGE,   /* change it */
	AUTHZ_DELETE,   /* delete, revoke or close it */
	AUTHZ_OWN,      /* what the account's owner alone does, in person */
};

/* One thing of an account, as the decision needs it. All borrowed; what
 * does not apply is NULL, 0 or false. */
typedef struct authz_resource {
	enum authz_kind kind;
	const char *account_id; /* the account it belongs to (NULL: the caller's) */
	const char *owner_id;   /* the person it belongs to: a fax's sender or addressee, a
				   box's owner, a key's creator, the member itself */
	const char *partner_id; /* AUTHZ_RES_PARTNER: the partner */
	const char *role;       /* AUTHZ_RES_MEMBER: the member's or role's role name */
	perm_set_t perms;       /* AUTHZ_RES_MEMBER: its permissions */
	bool participant;       /* AUTHZ_RES_SAFEBOX: the caller takes part in the box */
	bool restricted;        /* AUTHZ_CREATE of AUTHZ_RES_SAFEBOX: the account lets only its
				   administrators (settings.manage) create boxes; of
				   AUTHZ_RES_GRANT: break-glass (operators only) */
} authz_resource_t;

/* May p do act to r? AUTHZ_ALLOW; AUTHZ_FORBIDDEN (p may know the thing
 * exists: the permission it needs, when one would do, in *need if given);
 * AUTHZ_NOT_FOUND (p may not learn that it exists); AUTHZ_UNAUTHENTICATED
 * for no caller. Pure. */
enum authz_result authz_resource(const principal_t *p, enum authz_act act,
	const authz_resource_t *r, perm_set_t *need);

/* "Admin-like", the one definition: the owner's or an administrator's role,
 * or permissions holding admins.manage. Managing such a member or role
 * needs admins.manage (else users.manage); an account's security policy
 * asking a second factor of its administrators means these. */
bool authz_admin_like(const char *role, perm_set_t perms);

/* Whether p holds permission x (NULL p: no). For the checks on one field
 * or one option of an operation, beside its route's permission. */
bool authz_holds(const principal_t *p, enum perm x);

/* The permissions p may give to a thing of kind k: its own; to a member or
 * a role (AUTHZ_RES_MEMBER), partner staff acting under a consent may also
 * give the everyday permissions every member holds. */
perm_set_t authz_ceiling(const principal_t *p, enum authz_kind k);

/* Whether p acts in person (a session), not through an API key or a token. */
bool authz_in_person(const principal_t *p);

/* The kind of p: provider staff, partner staff, an account's member. */
bool authz_is_provider(const principal_t *p);
bool authz_is_partner(const principal_t *p);
bool authz_is_member(const principal_t *p);

/* The partner whose accounts alone p sees (partner staff), or NULL. */
const char *authz_partner_scope(const principal_t *p);

/* Whether p is the owner of its account, in person or through its key
 * (authz_resource's AUTHZ_OWN adds "in person"). */
bool authz_is_owner(const principal_t *p);

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
