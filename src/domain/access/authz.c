/* The authorization choke point (see authz.h). */
#include "authz.h"

#include <string.h>

static bool live(int64_t starts_at, int64_t expires_at, int64_t revoked_at, int64_t now)
{
	return starts_at <= now && now < expires_at && !revoked_at;
}

void authz_decide(const principal_t *p, perm_set_t any_of, const authz_target_t *t, int64_t now,
	authz_decision_t *d)
{
	memset(d, 0, sizeof *d);
	if (!p) {
		d->result = AUTHZ_UNAUTHENTICATED;
		return;
	}
	d->perms = p->perms;
	const char *account_id = t ? t->account_id : NULL;
	if (!account_id) {
		d->result = (p->perms & any_of) ? AUTHZ_ALLOW : AUTHZ_FORBIDDEN;
		return;
	}
	/* What a consent or a grant lends, found before the tenant check: a
	 * consent is also what lets the staff of another partner see the
	 * account at all. */
	perm_set_t lent = 0;
	const char *consent = NULL, *grant = NULL;
	if (strcmp(p->kind, "partner") == 0) {
		for (int i = 0; i < t->nconsents; i++) {
			const authz_consent_t *k = &t->consents[i];
			if (k->partner_id && strcmp(k->partner_id, p->partner_id) == 0 &&
			    live(k->starts_at, k->expires_at, k->revoked_at, now) && k->scope) {
				/* The first live consent whose scope serves the
				 * operation names it; the scopes add up. */
				if (!consent || (!(lent & any_of) && (k->scope & any_of)))
					consent = k->id;
				lent |= k->scope;
			}
		}
	} else if (strcmp(p->kind, "provider") == 0 && strcmp(p->type, "user") == 0) {
		for (int i = 0; i < t->ngrants; i++) {
			const authz_grant_t *g = &t->grants[i];
			if (g->approved && g->staff_id && strcmp(g->staff_id, p->person_id) == 0 &&
			    live(g->starts_at, g->expires_at, 0, now) && g->scope) {
				if (!grant || (!(lent & any_of) && (g->scope & any_of)))
					grant = g->id;
				lent |= g->scope;
			}
		}
	}
	bool via_consent = false;
	if (strcmp(p->kind, "account") == 0) {
		/* A member sees its own account only; another account does not exist. */
		if (strcmp(p->account_id, account_id) != 0) {
			d->result = AUTHZ_NOT_FOUND;
			return;
		}
	} else if (strcmp(p->kind, "partner") == 0) {
		bool own = t->partner_id && strcmp(p->partner_id, t->partner_id) == 0;
		if (!own && !consent) {
			d->result = AUTHZ_NOT_FOUND;
			return;
		}
		via_consent = !own; /* the account is reached through the consent */
	}
	/* Partner staff who reach an account through a consent alone hold
	 * nothing of their partner's own powers there but seeing it. */
	perm_set_t own = via_consent ? p->perms & PERM_BIT(PERM_PARTNER_ACCOUNTS_READ) : p->perms;
	d->perms = own;
	if (own & any_of) {
		d->result = AUTHZ_ALLOW;
		d->consent_id = via_consent ? consent : NULL;
		return;
	}
	if (lent & any_of) {
		d->result = AUTHZ_ALLOW;
		d->perms = own | lent;
		d->consent_id = consent;
		d->grant_id = grant;
		return;
	}
	d->result = AUTHZ_FORBIDDEN;
}

enum authz_result authz_check(const principal_t *p, perm_set_t any_of, const char *account_id,
	const char *account_partner_id)
{
	authz_target_t t = { .account_id = account_id, .partner_id = account_partner_id };
	authz_decision_t d;
	authz_decide(p, any_of, &t, 0, &d);
	return d.result;
}
