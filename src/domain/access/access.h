/* Who is calling, and the one function that decides what they may do.
 *
 * Every API operation names the permissions it accepts (any of a set) and the
 * account it touches; authz_check() is the only place where that is decided.
 * An account-scoped resource of another tenant answers AUTHZ_NOT_FOUND, so
 * that its existence does not leak. */
#ifndef FV_AUTHZ_H
#define FV_AUTHZ_H

#include <stdbool.h>
#include <stdint.h>

#include "perm.h"

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

#endif
