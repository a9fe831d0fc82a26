/* The authorization choke point (see authz.h). */
#include "authz.h"

#include <string.h>

enum authz_result authz_check(const principal_t *p, perm_set_t any_of, const char *account_id,
	const char *account_partner_id)
{
	if (!p)
		return AUTHZ_UNAUTHENTICATED;
	bool holds = (p->perms & any_of) != 0;
	if (!account_id)
		return holds ? AUTHZ_ALLOW : AUTHZ_FORBIDDEN;
	if (strcmp(p->kind, "account") == 0) {
		/* A member sees its own account only; another account does not exist. */
		if (strcmp(p->account_id, account_id) != 0)
			return AUTHZ_NOT_FOUND;
		return holds ? AUTHZ_ALLOW : AUTHZ_FORBIDDEN;
	}
	if (strcmp(p->kind, "partner") == 0) {
		if (!account_partner_id || strcmp(p->partner_id, account_partner_id) != 0)
			return AUTHZ_NOT_FOUND;
		return holds ? AUTHZ_ALLOW : AUTHZ_FORBIDDEN;
	}
	/* Provider staff act on every account, within their permissions. */
	return holds ? AUTHZ_ALLOW : AUTHZ_FORBIDDEN;
}
