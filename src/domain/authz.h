/* Who is calling, and the one function that decides what they may do.
 *
 * Every API operation names the permissions it accepts (any of a set) and the
 * account it touches; authz_check() is the only place where that is decided.
 * An account-scoped resource of another tenant answers AUTHZ_NOT_FOUND, so
 * that its existence does not leak. */
#ifndef FV_AUTHZ_H
#define FV_AUTHZ_H

#include <stdbool.h>

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
} principal_t;

/* Steps a person must take before using the API (only routes marked as
 * open to gated callers answer until then). */
enum {
	PRINCIPAL_GATE_TERMS = 1 << 0,    /* accept the current terms of service */
	PRINCIPAL_GATE_MFA = 1 << 1,      /* enrol a second factor */
	PRINCIPAL_GATE_PASSWORD = 1 << 2, /* change an expired password */
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

#endif
