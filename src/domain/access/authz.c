/* The authorization choke point (see authz.h). */
#include "access.h"

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

/* ---- inside an account ---- */

bool authz_admin_like(const char *role, perm_set_t perms)
{
	return (role && (strcmp(role, "owner") == 0 || strcmp(role, "admin") == 0)) ||
		(perms & PERM_BIT(PERM_ADMINS_MANAGE));
}

bool authz_holds(const principal_t *p, enum perm x)
{
	return p && (p->perms & PERM_BIT(x));
}

bool authz_in_person(const principal_t *p)
{
	return p && strcmp(p->type, "user") == 0;
}

bool authz_is_provider(const principal_t *p)
{
	return p && strcmp(p->kind, "provider") == 0;
}

bool authz_is_partner(const principal_t *p)
{
	return p && strcmp(p->kind, "partner") == 0;
}

bool authz_is_member(const principal_t *p)
{
	return p && strcmp(p->kind, "account") == 0 && p->account_id[0];
}

const char *authz_partner_scope(const principal_t *p)
{
	return authz_is_partner(p) ? p->partner_id : NULL;
}

bool authz_is_owner(const principal_t *p)
{
	return authz_is_member(p) && strcmp(p->role, "owner") == 0;
}

perm_set_t authz_ceiling(const principal_t *p, enum authz_kind k)
{
	if (!p)
		return 0;
	/* A partner acting under a consent administers in the owner's stead:
	 * beside the powers lent, it may give the everyday permissions that
	 * every member holds. */
	if (k == AUTHZ_RES_MEMBER && p->consent_id[0])
		return p->perms | perm_everyday();
	return p->perms;
}

/* Allowed when ok; else the refusal given, with the permission that would
 * have done. */
static enum authz_result verdict(bool ok, enum authz_result no, perm_set_t would, perm_set_t *need)
{
	if (need)
		*need = would;
	return ok ? AUTHZ_ALLOW : no;
}

enum authz_result authz_resource(const principal_t *p, enum authz_act act,
	const authz_resource_t *r, perm_set_t *need)
{
	if (need)
		*need = 0;
	if (!p)
		return AUTHZ_UNAUTHENTICATED;
	/* Another account's things do not exist for a member. */
	if (r->account_id && strcmp(p->kind, "account") == 0 && strcmp(p->account_id, r->account_id) != 0)
		return AUTHZ_NOT_FOUND;
	bool mine = r->owner_id && strcmp(r->owner_id, p->person_id) == 0;
	perm_set_t data = PERM_BIT(PERM_DATA_READ);
	switch (r->kind) {
	case AUTHZ_RES_FAX:
		/* Faxes belong to members: all of the account's with data.read,
		 * else those one sent or that are routed to one. */
		if (!authz_is_member(p))
			return AUTHZ_FORBIDDEN;
		if (act == AUTHZ_CREATE) {
			perm_set_t s = PERM_BIT(PERM_FAX_SEND);
			return verdict(p->perms & s, AUTHZ_FORBIDDEN, s, need);
		}
		if (act == AUTHZ_READ_ALL)
			return verdict(p->perms & data, AUTHZ_FORBIDDEN, data, need);
		return verdict(mine || (p->perms & data), AUTHZ_NOT_FOUND, data, need);
	case AUTHZ_RES_SAFEBOX: {
		/* Its owner does everything; a participant reads and adds;
		 * data.read reads and deletes any box of the account. */
		if (!authz_is_member(p))
			return AUTHZ_FORBIDDEN;
		bool reader = p->perms & data;
		/* Seen but not one's to change: forbidden; not seen: not found. */
		enum authz_result no = mine || r->participant || reader ? AUTHZ_FORBIDDEN : AUTHZ_NOT_FOUND;
		switch (act) {
		case AUTHZ_CREATE: {
			perm_set_t s = PERM_BIT(PERM_SETTINGS_MANAGE);
			return verdict(!r->restricted || (p->perms & s), AUTHZ_FORBIDDEN, s, need);
		}
		case AUTHZ_READ_ALL:
			return verdict(reader, AUTHZ_FORBIDDEN, data, need);
		case AUTHZ_READ:
			return verdict(mine || r->participant || reader, AUTHZ_NOT_FOUND, 0, need);
		case AUTHZ_ADD:
			return verdict(mine || r->participant, no, 0, need);
		case AUTHZ_DELETE:
			return verdict(mine || reader, no, 0, need);
		default:
			return verdict(mine, no, 0, need);
		}
	}
	case AUTHZ_RES_MEMBER: {
		/* An admin-like member or role is managed with admins.manage,
		 * any other with users.manage. */
		perm_set_t n = authz_admin_like(r->role, r->perms) ? PERM_BIT(PERM_ADMINS_MANAGE)
			: PERM_BIT(PERM_USERS_MANAGE);
		return verdict(p->perms & n, AUTHZ_FORBIDDEN, n, need);
	}
	case AUTHZ_RES_APIKEY: {
		/* One's own keys; every key of the account with security.manage
		 * (another's key does not exist without it). */
		perm_set_t s = PERM_BIT(PERM_SECURITY_MANAGE);
		if (act == AUTHZ_READ_ALL)
			return verdict(p->perms & s, AUTHZ_FORBIDDEN, s, need);
		return verdict(mine || (p->perms & s), AUTHZ_NOT_FOUND, s, need);
	}
	case AUTHZ_RES_REPORT: {
		/* Staff see every report; a member without security.manage the
		 * reports it filed. */
		perm_set_t s = PERM_BIT(PERM_SECURITY_MANAGE);
		return verdict(strcmp(p->kind, "account") != 0 || (p->perms & s), AUTHZ_FORBIDDEN, s, need);
	}
	case AUTHZ_RES_PARTNER:
		/* Partner staff see their own partner only; another does not exist. */
		return verdict(!authz_is_partner(p) || (r->partner_id &&
			strcmp(p->partner_id, r->partner_id) == 0), AUTHZ_NOT_FOUND, 0, need);
	case AUTHZ_RES_GRANT:
		/* Asked for by provider staff in person (break-glass: operators);
		 * decided by the account's members in person. */
		if (act == AUTHZ_CREATE)
			return verdict(authz_is_provider(p) && authz_in_person(p) &&
				(!r->restricted || strcmp(p->role, "operator") == 0), AUTHZ_FORBIDDEN, 0, need);
		return verdict(strcmp(p->kind, "account") == 0 && authz_in_person(p), AUTHZ_FORBIDDEN,
			0, need);
	case AUTHZ_RES_ACCOUNT:
		if (act == AUTHZ_DELETE) {
			/* Closed by its owner in person, or by provider staff who
			 * manage accounts. */
			perm_set_t m = PERM_BIT(PERM_PROVIDER_ACCOUNTS_MANAGE);
			return verdict((authz_is_owner(p) && authz_in_person(p)) ||
				(authz_is_provider(p) && (p->perms & m)), AUTHZ_FORBIDDEN, m, need);
		}
		if (act == AUTHZ_OWN)
			return verdict(authz_is_owner(p) && authz_in_person(p), AUTHZ_FORBIDDEN, 0, need);
		return AUTHZ_ALLOW;
	}
	return AUTHZ_FORBIDDEN;
}
