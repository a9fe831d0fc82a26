/* Unit tests of src/domain: permission table, the authorization function,
 * the audit chain, validation, and credential rules (expiry, key scoping). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "temp_store.h"

#include "audit/audit.h"
#include "access/access.h"
#include "domain.h"
#include "sec.h"
#include "tenancy/tenancy.h"
#include "timeutil.h"
#include "validate.h"

#define B PERM_BIT

static void test_roles(void **state)
{
	(void)state;
	perm_set_t seven = B(PERM_NUMBERS_MANAGE) | B(PERM_USERS_MANAGE) | B(PERM_ADMINS_MANAGE) |
		B(PERM_SECURITY_MANAGE) | B(PERM_DATA_READ) | B(PERM_BILLING_READ) | B(PERM_SETTINGS_MANAGE);
	assert_true((perm_role("account", "admin") & seven) == seven);
	assert_true((perm_role("account", "owner") & perm_role("account", "admin")) == perm_role("account", "admin"));
	assert_true(perm_role("account", "owner") & B(PERM_OWNERSHIP_TRANSFER));
	assert_false(perm_role("account", "admin") & B(PERM_OWNERSHIP_TRANSFER));
	assert_true(perm_role("account", "billing") & B(PERM_BILLING_READ));
	assert_false(perm_role("account", "billing") & (seven & ~B(PERM_BILLING_READ)));
	assert_true(perm_role("account", "user") & B(PERM_FAX_SEND));
	assert_true(perm_role("account", "user") & B(PERM_FAX_READ_OWN));
	assert_false(perm_role("account", "user") & seven);
	assert_int_equal(perm_role("account", "operator"), 0);
	assert_int_equal(perm_role("provider", "admin"), 0);
	assert_false(perm_role("provider", "operator") & perm_account_scope());
	assert_false(perm_role("provider", "security") & B(PERM_PROVIDER_ACCOUNTS_MANAGE));
}

static void test_perm_names(void **state)
{
	(void)state;
	for (int p = 0; p < PERM_COUNT; p++) {
		assert_non_null(perm_info(p)->name);
		assert_int_equal(perm_by_name(perm_info(p)->name), p);
		assert_true(strlen(perm_info(p)->desc_en) > 0 && strlen(perm_info(p)->desc_fr) > 0);
		for (int q = p + 1; q < PERM_COUNT; q++)
			assert_string_not_equal(perm_info(p)->name, perm_info(q)->name);
	}
	char *s = perm_set_to_string(B(PERM_DATA_READ) | B(PERM_FAX_SEND));
	assert_string_equal(s, "data.read fax.send");
	assert_true(perm_set_from_string(s) == (B(PERM_DATA_READ) | B(PERM_FAX_SEND)));
	free(s);
	json_t *ok = json_pack("[s,s]", "users.manage", "billing.read");
	perm_set_t out;
	assert_int_equal(perm_set_from_json(ok, &out, NULL), 0);
	assert_true(out == (B(PERM_USERS_MANAGE) | B(PERM_BILLING_READ)));
	json_t *bad = json_pack("[s,s]", "users.manage", "root");
	const char *which = NULL;
	assert_int_equal(perm_set_from_json(bad, &out, &which), -1);
	assert_string_equal(which, "root");
	json_decref(ok);
	json_decref(bad);
	json_t *notarr = json_string("users.manage");
	assert_int_equal(perm_set_from_json(notarr, &out, NULL), -1);
	json_decref(notarr);
}

static principal_t member(const char *acc, const char *role)
{
	principal_t p = { 0 };
	strcpy(p.kind, "account");
	strcpy(p.account_id, acc);
	strcpy(p.role, role);
	p.perms = perm_role("account", role);
	return p;
}

static void test_authz(void **state)
{
	(void)state;
	principal_t admin = member("acc_a", "admin"), user = member("acc_a", "user");
	principal_t partner = { .kind = "partner", .partner_id = "prt_1",
		.perms = perm_role("partner", "partner_admin") };
	principal_t op = { .kind = "provider", .perms = perm_role("provider", "operator") };
	const struct {
		const principal_t *p;
		perm_set_t need;
		const char *acc, *acc_partner;
		enum authz_result want;
	} cases[] = {
		{ NULL, B(PERM_DATA_READ), "acc_a", NULL, AUTHZ_UNAUTHENTICATED },
		{ &admin, B(PERM_USERS_MANAGE), "acc_a", NULL, AUTHZ_ALLOW },
		{ &admin, B(PERM_USERS_MANAGE), "acc_b", NULL, AUTHZ_NOT_FOUND },
		{ &admin, B(PERM_OWNERSHIP_TRANSFER), "acc_a", NULL, AUTHZ_FORBIDDEN },
		{ &user, B(PERM_USERS_MANAGE), "acc_a", NULL, AUTHZ_FORBIDDEN },
		{ &user, B(PERM_USERS_MANAGE), "acc_b", NULL, AUTHZ_NOT_FOUND },
		{ &user, B(PERM_USERS_MANAGE) | B(PERM_FAX_SEND), "acc_a", NULL, AUTHZ_ALLOW },
		{ &partner, B(PERM_PARTNER_ACCOUNTS_READ), "acc_a", "prt_1", AUTHZ_ALLOW },
		{ &partner, B(PERM_PARTNER_ACCOUNTS_READ), "acc_a", "prt_2", AUTHZ_NOT_FOUND },
		{ &partner, B(PERM_PARTNER_ACCOUNTS_READ), "acc_a", NULL, AUTHZ_NOT_FOUND },
		{ &partner, B(PERM_DATA_READ), "acc_a", "prt_1", AUTHZ_FORBIDDEN },
		{ &op, B(PERM_PROVIDER_ACCOUNTS_MANAGE), "acc_a", NULL, AUTHZ_ALLOW },
		{ &op, B(PERM_DATA_READ), "acc_a", NULL, AUTHZ_FORBIDDEN },
		{ &op, B(PERM_PROVIDER_STAFF_MANAGE), NULL, NULL, AUTHZ_ALLOW },
		{ &admin, B(PERM_PROVIDER_STAFF_MANAGE), NULL, NULL, AUTHZ_FORBIDDEN },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum authz_result got = authz_check(cases[i].p, cases[i].need, cases[i].acc, cases[i].acc_partner);
		if (got != cases[i].want)
			fail_msg("case %zu: got %d want %d", i, got, cases[i].want);
	}
}

/* A principal p of kind, role, in account/partner, acting as person
 * (type "user", or "api_key"), with perms (0: the role's). */
static principal_t who(const char *kind, const char *role, const char *acc, const char *prt,
	const char *person, const char *type, perm_set_t perms)
{
	principal_t p = { 0 };
	snprintf(p.kind, sizeof p.kind, "%s", kind);
	snprintf(p.role, sizeof p.role, "%s", role);
	snprintf(p.account_id, sizeof p.account_id, "%s", acc ? acc : "");
	snprintf(p.partner_id, sizeof p.partner_id, "%s", prt ? prt : "");
	snprintf(p.person_id, sizeof p.person_id, "%s", person);
	snprintf(p.type, sizeof p.type, "%s", type);
	p.perms = perms ? perms : perm_role(kind, role);
	return p;
}

/* authz_resource(): the decision table inside an account (docs/
 * architecture.md, "Who decides what"), row by row. */
static void test_authz_resource(void **state)
{
	(void)state;
	principal_t owner = who("account", "owner", "acc_a", NULL, "usr_o", "user", 0);
	principal_t owner_key = who("account", "owner", "acc_a", NULL, "usr_o", "api_key", B(PERM_FAX_SEND));
	principal_t admin = who("account", "admin", "acc_a", NULL, "usr_ad", "user", 0);
	principal_t user = who("account", "user", "acc_a", NULL, "usr_u", "user", 0);
	principal_t user2 = who("account", "user", "acc_a", NULL, "usr_u2", "user", 0);
	principal_t billing = who("account", "billing", "acc_a", NULL, "usr_b", "user", 0);
	principal_t other = who("account", "admin", "acc_b", NULL, "usr_x", "user", 0);
	principal_t usermgr = who("account", "custom", "acc_a", NULL, "usr_m", "user",
		B(PERM_USERS_MANAGE) | B(PERM_ACCOUNT_READ));
	principal_t prt1 = who("partner", "partner_admin", NULL, "prt_1", "usr_p1", "user", 0);
	principal_t prt2 = who("partner", "partner_admin", NULL, "prt_2", "usr_p2", "user", 0);
	principal_t op = who("provider", "operator", NULL, NULL, "usr_op", "user", 0);
	principal_t op_key = who("provider", "operator", NULL, NULL, "usr_op", "api_key", 0);
	principal_t sup = who("provider", "support", NULL, NULL, "usr_s", "user", 0);
#define A AUTHZ_ALLOW
#define F AUTHZ_FORBIDDEN
#define N AUTHZ_NOT_FOUND
#define U AUTHZ_UNAUTHENTICATED
	const authz_resource_t fax_u = { .kind = AUTHZ_RES_FAX, .account_id = "acc_a", .owner_id = "usr_u" };
	const authz_resource_t fax_any = { .kind = AUTHZ_RES_FAX };
	const authz_resource_t box_u = { .kind = AUTHZ_RES_SAFEBOX, .owner_id = "usr_u" };
	const authz_resource_t box_u_with = { .kind = AUTHZ_RES_SAFEBOX, .owner_id = "usr_u",
		.participant = true };
	const authz_resource_t box_admins_only = { .kind = AUTHZ_RES_SAFEBOX, .restricted = true };
	const authz_resource_t m_user = { .kind = AUTHZ_RES_MEMBER, .role = "user",
		.perms = perm_role("account", "user") };
	const authz_resource_t m_admin = { .kind = AUTHZ_RES_MEMBER, .role = "admin" };
	const authz_resource_t m_custom_adm = { .kind = AUTHZ_RES_MEMBER, .role = "custom",
		.perms = B(PERM_ADMINS_MANAGE) };
	const authz_resource_t key_u = { .kind = AUTHZ_RES_APIKEY, .account_id = "acc_a", .owner_id = "usr_u" };
	const authz_resource_t report = { .kind = AUTHZ_RES_REPORT };
	const authz_resource_t prt_1 = { .kind = AUTHZ_RES_PARTNER, .partner_id = "prt_1" };
	const authz_resource_t grant = { .kind = AUTHZ_RES_GRANT, .account_id = "acc_a" };
	const authz_resource_t glass = { .kind = AUTHZ_RES_GRANT, .restricted = true };
	const authz_resource_t acc_a = { .kind = AUTHZ_RES_ACCOUNT, .account_id = "acc_a" };
	const struct {
		const principal_t *p;
		enum authz_act act;
		const authz_resource_t *r;
		enum authz_result want;
		perm_set_t need; /* checked when not 0 */
	} cases[] = {
		{ NULL, AUTHZ_READ, &fax_u, U, 0 },
		/* faxes: the sender, or data.read; members only; another account's: none */
		{ &user, AUTHZ_READ, &fax_u, A, 0 },
		{ &user2, AUTHZ_READ, &fax_u, N, B(PERM_DATA_READ) },
		{ &billing, AUTHZ_READ, &fax_u, N, 0 },
		{ &admin, AUTHZ_READ, &fax_u, A, 0 },
		{ &other, AUTHZ_READ, &fax_u, N, 0 },
		{ &op, AUTHZ_READ, &fax_u, F, 0 },
		{ &prt1, AUTHZ_READ, &fax_any, F, 0 },
		{ &user, AUTHZ_READ_ALL, &fax_any, F, B(PERM_DATA_READ) },
		{ &admin, AUTHZ_READ_ALL, &fax_any, A, 0 },
		{ &user, AUTHZ_CREATE, &fax_any, A, 0 },
		{ &billing, AUTHZ_CREATE, &fax_any, F, B(PERM_FAX_SEND) },
		/* SafeBoxes: the owner all; a participant reads and adds; data.read reads and
		 * deletes; seen but not one's: forbidden; unseen: not found */
		{ &user, AUTHZ_MANAGE, &box_u, A, 0 },
		{ &user, AUTHZ_DELETE, &box_u, A, 0 },
		{ &user2, AUTHZ_READ, &box_u, N, 0 },
		{ &user2, AUTHZ_ADD, &box_u, N, 0 },
		{ &user2, AUTHZ_READ, &box_u_with, A, 0 },
		{ &user2, AUTHZ_ADD, &box_u_with, A, 0 },
		{ &user2, AUTHZ_MANAGE, &box_u_with, F, 0 },
		{ &user2, AUTHZ_DELETE, &box_u_with, F, 0 },
		{ &admin, AUTHZ_READ, &box_u, A, 0 },
		{ &admin, AUTHZ_DELETE, &box_u, A, 0 },
		{ &admin, AUTHZ_ADD, &box_u, F, 0 },
		{ &admin, AUTHZ_MANAGE, &box_u, F, 0 },
		{ &user, AUTHZ_READ_ALL, &box_u, F, 0 },
		{ &user, AUTHZ_CREATE, &box_admins_only, F, B(PERM_SETTINGS_MANAGE) },
		{ &admin, AUTHZ_CREATE, &box_admins_only, A, 0 },
		{ &user, AUTHZ_CREATE, &box_u, A, 0 },
		{ &sup, AUTHZ_READ, &box_u, F, 0 },
		/* members and roles: admin-like ones need admins.manage, others users.manage */
		{ &usermgr, AUTHZ_MANAGE, &m_user, A, 0 },
		{ &usermgr, AUTHZ_MANAGE, &m_admin, F, B(PERM_ADMINS_MANAGE) },
		{ &usermgr, AUTHZ_MANAGE, &m_custom_adm, F, B(PERM_ADMINS_MANAGE) },
		{ &admin, AUTHZ_MANAGE, &m_admin, A, 0 },
		{ &user, AUTHZ_MANAGE, &m_user, F, B(PERM_USERS_MANAGE) },
		/* API keys: one's own; another's with security.manage, else none */
		{ &user, AUTHZ_DELETE, &key_u, A, 0 },
		{ &user2, AUTHZ_DELETE, &key_u, N, B(PERM_SECURITY_MANAGE) },
		{ &admin, AUTHZ_DELETE, &key_u, A, 0 },
		{ &other, AUTHZ_DELETE, &key_u, N, 0 },
		{ &user, AUTHZ_READ_ALL, &key_u, F, B(PERM_SECURITY_MANAGE) },
		{ &admin, AUTHZ_READ_ALL, &key_u, A, 0 },
		/* fraud reports: staff all, members with security.manage all */
		{ &user, AUTHZ_READ_ALL, &report, F, 0 },
		{ &admin, AUTHZ_READ_ALL, &report, A, 0 },
		{ &sup, AUTHZ_READ_ALL, &report, A, 0 },
		/* partners: partner staff their own only */
		{ &prt1, AUTHZ_READ, &prt_1, A, 0 },
		{ &prt2, AUTHZ_READ, &prt_1, N, 0 },
		{ &op, AUTHZ_MANAGE, &prt_1, A, 0 },
		/* support grants: asked by provider staff in person, break-glass by operators,
		 * decided by members in person */
		{ &sup, AUTHZ_CREATE, &grant, A, 0 },
		{ &op_key, AUTHZ_CREATE, &grant, F, 0 },
		{ &admin, AUTHZ_CREATE, &grant, F, 0 },
		{ &sup, AUTHZ_CREATE, &glass, F, 0 },
		{ &op, AUTHZ_CREATE, &glass, A, 0 },
		{ &admin, AUTHZ_MANAGE, &grant, A, 0 },
		{ &owner_key, AUTHZ_MANAGE, &grant, F, 0 },
		{ &sup, AUTHZ_MANAGE, &grant, F, 0 },
		/* the account: its owner in person; closed also by provider account managers */
		{ &owner, AUTHZ_OWN, &acc_a, A, 0 },
		{ &owner_key, AUTHZ_OWN, &acc_a, F, 0 },
		{ &admin, AUTHZ_OWN, &acc_a, F, 0 },
		{ &other, AUTHZ_OWN, &acc_a, N, 0 },
		{ &owner, AUTHZ_DELETE, &acc_a, A, 0 },
		{ &op, AUTHZ_DELETE, &acc_a, A, 0 },
		{ &sup, AUTHZ_DELETE, &acc_a, F, B(PERM_PROVIDER_ACCOUNTS_MANAGE) },
		{ &prt1, AUTHZ_DELETE, &acc_a, F, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		perm_set_t need = 0;
		enum authz_result got = authz_resource(cases[i].p, cases[i].act, cases[i].r, &need);
		if (got != cases[i].want)
			fail_msg("case %zu: got %d want %d", i, got, cases[i].want);
		if (cases[i].need && need != cases[i].need)
			fail_msg("case %zu: needs %llx, want %llx", i, (unsigned long long)need,
				(unsigned long long)cases[i].need);
	}
	/* Admin-like, the one definition, and the ceilings. */
	assert_true(authz_admin_like("owner", 0));
	assert_true(authz_admin_like("admin", 0));
	assert_true(authz_admin_like("custom", B(PERM_ADMINS_MANAGE)));
	assert_false(authz_admin_like("custom", B(PERM_USERS_MANAGE)));
	assert_false(authz_admin_like("billing", perm_role("account", "billing")));
	assert_false(authz_admin_like(NULL, 0));
	principal_t lent = prt1;
	lent.perms = B(PERM_USERS_MANAGE);
	snprintf(lent.consent_id, sizeof lent.consent_id, "cns_1");
	assert_true(authz_ceiling(&lent, AUTHZ_RES_MEMBER) == (B(PERM_USERS_MANAGE) | perm_everyday()));
	assert_true(authz_ceiling(&lent, AUTHZ_RES_APIKEY) == B(PERM_USERS_MANAGE));
	assert_true(authz_ceiling(&admin, AUTHZ_RES_MEMBER) == admin.perms);
	assert_string_equal(authz_partner_scope(&prt1), "prt_1");
	assert_null(authz_partner_scope(&op));
	assert_true(authz_in_person(&owner) && !authz_in_person(&owner_key));
#undef A
#undef F
#undef N
#undef U
}

/* Consents in authz_decide(), at times chosen by the test (the injected
 * clock): live, not yet started, expired, revoked; scope narrower than the
 * operation; the wrong partner. */
static void test_authz_consents(void **state)
{
	(void)state;
	principal_t p1 = { .kind = "partner", .type = "user", .partner_id = "prt_1",
		.perms = perm_role("partner", "partner_admin") };
	principal_t p3 = p1;
	strcpy(p3.partner_id, "prt_3");
	const int64_t T = 1000000;
	authz_consent_t k[] = {
		{ "cns_live", "prt_1", B(PERM_USERS_MANAGE), T - 10, T + 10, 0 },
		{ "cns_later", "prt_1", B(PERM_ADMINS_MANAGE), T + 5, T + 100, 0 },
		{ "cns_revoked", "prt_1", B(PERM_SECURITY_MANAGE), T - 10, T + 100, T - 1 },
		{ "cns_p3", "prt_3", B(PERM_DATA_READ), T - 10, T + 10, 0 },
	};
	authz_target_t own = { .account_id = "acc_a", .partner_id = "prt_1", .consents = k,
		.nconsents = 4 };
	authz_target_t none = { .account_id = "acc_a", .partner_id = "prt_1" };
	const struct {
		const principal_t *p;
		const authz_target_t *t;
		perm_set_t need;
		int64_t now;
		enum authz_result want;
		const char *consent;
	} cases[] = {
		{ &p1, &own, B(PERM_USERS_MANAGE), T, AUTHZ_ALLOW, "cns_live" },
		{ &p1, &none, B(PERM_USERS_MANAGE), T, AUTHZ_FORBIDDEN, NULL },     /* no consent */
		{ &p1, &own, B(PERM_USERS_MANAGE), T + 10, AUTHZ_FORBIDDEN, NULL }, /* expired at its end */
		{ &p1, &own, B(PERM_USERS_MANAGE), T - 11, AUTHZ_FORBIDDEN, NULL }, /* before its start */
		{ &p1, &own, B(PERM_ADMINS_MANAGE), T, AUTHZ_FORBIDDEN, NULL },     /* not started yet */
		{ &p1, &own, B(PERM_ADMINS_MANAGE), T + 50, AUTHZ_ALLOW, "cns_later" },
		{ &p1, &own, B(PERM_SECURITY_MANAGE), T, AUTHZ_FORBIDDEN, NULL },   /* revoked */
		{ &p1, &own, B(PERM_DATA_READ), T, AUTHZ_FORBIDDEN, NULL },         /* narrower scope */
		{ &p1, &own, B(PERM_PARTNER_ACCOUNTS_READ), T, AUTHZ_ALLOW, NULL }, /* its own right */
		/* The staff of partner 3 reach A only through their consent. */
		{ &p3, &own, B(PERM_DATA_READ), T, AUTHZ_ALLOW, "cns_p3" },
		{ &p3, &own, B(PERM_PARTNER_ACCOUNTS_READ), T, AUTHZ_ALLOW, "cns_p3" },
		{ &p3, &own, B(PERM_USERS_MANAGE), T, AUTHZ_FORBIDDEN, NULL },      /* partner 1's consent */
		{ &p3, &own, B(PERM_DATA_READ), T + 10, AUTHZ_NOT_FOUND, NULL },    /* expired: not seen */
		{ &p3, &none, B(PERM_PARTNER_ACCOUNTS_READ), T, AUTHZ_NOT_FOUND, NULL },
		/* A consent never lends a partner's own powers where it did not
		 * provision the account. */
		{ &p1, &own, B(PERM_PARTNER_ACCOUNTS_MANAGE), T, AUTHZ_ALLOW, NULL },
		{ &p3, &own, B(PERM_PARTNER_ACCOUNTS_MANAGE), T, AUTHZ_FORBIDDEN, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		authz_decision_t d;
		authz_decide(cases[i].p, cases[i].need, cases[i].t, cases[i].now, &d);
		if (d.result != cases[i].want)
			fail_msg("case %zu: got %d want %d", i, d.result, cases[i].want);
		const char *want = cases[i].consent;
		if (d.result == AUTHZ_ALLOW && ((want == NULL) != (d.consent_id == NULL) ||
						(want && strcmp(want, d.consent_id) != 0)))
			fail_msg("case %zu: consent %s want %s", i, d.consent_id ? d.consent_id : "none",
				want ? want : "none");
		if (d.result == AUTHZ_ALLOW && want && !(d.perms & cases[i].need))
			fail_msg("case %zu: the lent scope is not in the decision's permissions", i);
	}
}

static void test_validate(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool ok;
	} emails[] = {
		{ "a@b.example", true }, { "first.last+tag@sub.example.org", true },
		{ "élodie@exemple.fr", true }, { "a@b", false }, { "@b.example", false },
		{ "a@", false }, { "a b@c.example", false }, { "a@@c.example", false },
		{ "a@b..example", false }, { ".a@b.example", false }, { "a.@b.example", false },
		{ "a..b@c.example", false }, { "a@-b.example", false }, { "a@b-.example", false },
		{ "a\"b@c.example", false }, { "a@b.example.", false },
	};
	for (size_t i = 0; i < sizeof emails / sizeof emails[0]; i++)
		if (valid_email(emails[i].s, strlen(emails[i].s)) != emails[i].ok)
			fail_msg("email %s", emails[i].s);
	assert_true(valid_utf8("h\xc3\xa9", 3));
	assert_false(valid_utf8("\xc0\xaf", 2));       /* overlong */
	assert_false(valid_utf8("\xed\xa0\x80", 3));   /* surrogate */
	assert_false(valid_utf8("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(valid_utf8("\xe2\x82", 2));       /* truncated */
	assert_true(valid_name("Zoë", strlen("Zoë")));
	assert_false(valid_name("   ", 3));
	assert_false(valid_name("a\nb", 3));
	assert_false(valid_name("", 0));
	assert_non_null(password_problem("short"));
	assert_null(password_problem("long enough passphrase"));
}

static void test_audit_canonical(void **state)
{
	(void)state;
	json_t *ev = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"seq", (json_int_t)7, "id", "evt_x", "time", (json_int_t)1000, "actor_id", "usr_a",
		"actor_type", "user", "on_behalf_of", "", "action", "user.read", "target", "usr_b",
		"account_id", "acc_1", "source", "127.0.0.1", "outcome", "success", "detail", "{}");
	buf_t b;
	buf_init(&b, 4096);
	assert_int_equal(audit_canonical(ev, &b), 0);
	/* Golden: changing this encoding breaks every stored chain. */
	assert_string_equal(b.data, "1:7,5:evt_x,4:1000,5:usr_a,4:user,0:,9:user.read,5:usr_b,"
				    "5:acc_1,9:127.0.0.1,7:success,2:{},");
	char h1[AUDIT_HASH_HEX], h2[AUDIT_HASH_HEX];
	audit_hash("0000", ev, h1);
	json_object_set_new(ev, "target", json_string("usr_c"));
	audit_hash("0000", ev, h2);
	assert_string_not_equal(h1, h2);
	/* Netstrings keep field boundaries: moving a byte across fields changes the hash. */
	json_object_set_new(ev, "target", json_string("usr_b"));
	json_object_set_new(ev, "account_id", json_string("acc_1"));
	audit_hash("0000", ev, h2);
	assert_string_equal(h1, h2);
	json_object_set_new(ev, "target", json_string("usr_"));
	json_object_set_new(ev, "account_id", json_string("bacc_1"));
	audit_hash("0000", ev, h2);
	assert_string_not_equal(h1, h2);
	buf_free(&b);
	json_decref(ev);
}

static void test_audit_chain(void **state)
{
	(void)state;
	char path[512];
	store_t *st = temp_store(path, sizeof path);
	principal_t who = member("acc_1", "admin");
	strcpy(who.id, "usr_1");
	strcpy(who.type, "user");
	audit_ctx_t ctx = { .who = &who, .source = "127.0.0.1" };
	for (int i = 0; i < 5; i++) {
		store_tx_t *tx = store_begin(st, true);
		assert_int_equal(audit_record(tx, &ctx, "user.read", "usr_2", "acc_1", "success", NULL), 0);
		assert_int_equal(store_commit(tx), 0);
	}
	audit_report_t r;
	assert_int_equal(audit_verify(st, NULL, &r), 0);
	assert_int_equal(r.events, 5);
	drop_store(st, path);
}

/* The partner window of the query {since, until} (NULL: absent) at now is
 * refused as invalid-parameter on since. */
static void bad_window(const char *since, const char *until, int64_t now)
{
	json_t *q = json_object();
	if (since)
		json_object_set_new(q, "since", json_string(since));
	if (until)
		json_object_set_new(q, "until", json_string(until));
	int64_t s, u;
	dom_err_t e = { 0 };
	assert_int_equal(dom_partner_window(q, now, &s, &u, &e), -1);
	assert_string_equal(e.kind, "invalid-parameter");
	assert_string_equal(e.field, "since");
	json_decref(q);
}

/* A partner's accounts summary defaults to the current UTC month up to now;
 * at the month's very first millisecond that window is empty, and valid
 * (it once answered 400 invalid-parameter there). The clock is injected:
 * the window is computed at a given instant. */
static void test_partner_window(void **state)
{
	(void)state;
	const int64_t jan = 1798761600000; /* 2027-01-01T00:00:00.000Z */
	const int64_t dec = 1796083200000; /* 2026-12-01T00:00:00.000Z */
	json_t *none = json_object();
	int64_t since = -1, until = -1;
	dom_err_t e = { 0 };
	assert_int_equal(dom_partner_window(none, jan, &since, &until, &e), 0);
	assert_true(since == jan && until == jan);
	assert_int_equal(dom_partner_window(NULL, jan, &since, &until, &e), 0);
	assert_true(since == jan && until == jan);
	assert_int_equal(dom_partner_window(none, jan + 1, &since, &until, &e), 0);
	assert_true(since == jan && until == jan + 1);
	/* The month's last millisecond is still December's. */
	assert_int_equal(dom_partner_window(none, jan - 1, &since, &until, &e), 0);
	assert_true(since == dec && until == jan - 1);
	json_decref(none);
	/* A window the caller bounds must hold something. */
	bad_window("2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z", jan + 5000);
	bad_window(NULL, "2027-01-01T00:00:00Z", jan);
	bad_window("2027-01-01T00:00:01Z", NULL, jan);
	bad_window("yesterday", NULL, jan);
	json_t *q = json_pack("{s:s}", "since", "2026-12-15T00:00:00Z");
	assert_int_equal(dom_partner_window(q, jan, &since, &until, &e), 0);
	assert_true(since == dec + 14LL * 86400000 && until == jan);
	json_decref(q);
}

static void test_session_expiry(void **state)
{
	(void)state;
	char path[512];
	store_t *st = temp_store(path, sizeof path);
	sec_init();
	sec_pwhash_set_cost(1, 8192);
	dom_config_t cfg = { .session_idle_minutes = 30, .session_max_hours = 12, .invitation_days = 7,
		.limits = { 12, 10, 15, 30, 12, 600, 120, 12 }, .source_lock_threshold = 50,
		.source_lock_minutes = 15, .reset_minutes = 60 };
	store_tx_t *tx = store_begin(st, true);
	principal_t op = { .kind = "provider", .type = "user", .perms = perm_role("provider", "operator") };
	dom_ctx_t c = { .store = st, .tx = tx, .who = &op, .source = "t", .lang = "en", .cfg = &cfg };
	dom_err_t e = { 0 };
	json_t *body = json_pack("{s:s, s:{s:s, s:s}}", "name", "Acme", "owner", "email", "o@acme.example",
		"name", "O");
	json_t *acc = NULL;
	assert_int_equal(dom_account_create(&c, body, &acc, &e), 0);
	json_t *accept = json_pack("{s:s}", "password", "a long password");
	json_t *out = NULL;
	assert_int_equal(dom_invitation_accept(&c, json_string_value(json_object_get(
		json_object_get(acc, "owner_invitation"), "token")), accept, &out, &e), 0);
	json_decref(out);
	json_t *login = json_pack("{s:s, s:s}", "email", "o@acme.example", "password", "a long password");
	assert_int_equal(dom_login(&c, login, &out, &e), 0);
	tx = c.tx; /* the login verifies outside any transaction, then starts another */
	char *tok = strdup(json_string_value(json_object_get(out, "token")));
	json_decref(out);
	principal_t p;
	int64_t now = time_now_ms();
	assert_int_equal(dom_authenticate(tx, &cfg, tok, "127.0.0.1", now + 29 * 60000, &p, &e), 0);
	assert_string_equal(p.role, "owner");
	/* Idle: 30 minutes after the last use (touched just now) it expires. */
	assert_int_equal(dom_authenticate(tx, &cfg, tok, "127.0.0.1", now + 29 * 60000 + 31 * 60000, &p, &e), -1);
	assert_string_equal(e.kind, "unauthenticated");
	/* Absolute: even in steady use, 12 hours is the end. */
	int64_t t = now;
	for (int i = 0; i < 25; i++) {
		t += 29 * 60000;
		if (dom_authenticate(tx, &cfg, tok, "127.0.0.1", t, &p, &e) != 0)
			break;
	}
	assert_true(t - now <= 12 * 3600000 + 29 * 60000);
	assert_int_equal(dom_authenticate(tx, &cfg, tok, "127.0.0.1", now + 12 * 3600000, &p, &e), -1);
	assert_int_equal(dom_authenticate(tx, &cfg, "fvs_unknown", "127.0.0.1", now, &p, &e), -1);
	assert_int_equal(dom_authenticate(tx, &cfg, "garbage", "127.0.0.1", now, &p, &e), -1);
	free(tok);
	json_decref(login);
	json_decref(accept);
	json_decref(body);
	json_decref(acc);
	store_rollback(tx);
	drop_store(st, path);
}

/* GET /v1/me's session.idle_timeout_seconds for the session token tok at
 * now, in a read transaction of its own as a request has. */
static json_int_t me_idle_seconds(store_t *st, const dom_config_t *cfg, const char *tok,
	int64_t now)
{
	principal_t p;
	dom_err_t e = { 0 };
	json_t *out = NULL;
	store_tx_t *tx = store_begin(st, false);
	assert_int_equal(dom_authenticate(tx, cfg, tok, "127.0.0.1", now, &p, &e), 0);
	dom_ctx_t c = { .store = st, .tx = tx, .who = &p, .source = "t", .lang = "en", .cfg = cfg };
	assert_int_equal(dom_me(&c, &out, &e), 0);
	json_int_t s = json_integer_value(json_object_get(json_object_get(out, "session"),
		"idle_timeout_seconds"));
	json_decref(out);
	store_rollback(tx);
	return s;
}

/* The credential cache: a second lookup is answered from it, and a
 * revocation, a deprovisioning or a role change committed by anyone (the
 * database's generation moved) is refused or seen at the next lookup. */
static void test_credential_cache(void **state)
{
	(void)state;
	char path[512];
	store_t *st = temp_store(path, sizeof path);
	sec_init();
	sec_pwhash_set_cost(1, 8192);
	dom_config_t cfg = { .session_idle_minutes = 30, .session_max_hours = 12, .invitation_days = 7,
		.limits = { 12, 10, 15, 30, 12, 600, 120, 12 }, .source_lock_threshold = 50,
		.source_lock_minutes = 15, .reset_minutes = 60, .auth_cache_ms = 60000 };
	store_tx_t *tx = store_begin(st, true);
	principal_t op = { .kind = "provider", .type = "user", .perms = perm_role("provider", "operator") };
	dom_ctx_t c = { .store = st, .tx = tx, .who = &op, .source = "t", .lang = "en", .cfg = &cfg };
	dom_err_t e = { 0 };
	json_t *body = json_pack("{s:s, s:{s:s, s:s}}", "name", "Acme", "owner", "email", "o@acme.example",
		"name", "O");
	json_t *acc = NULL, *out = NULL;
	assert_int_equal(dom_account_create(&c, body, &acc, &e), 0);
	json_t *accept = json_pack("{s:s}", "password", "a long password");
	assert_int_equal(dom_invitation_accept(&c, json_string_value(json_object_get(
		json_object_get(acc, "owner_invitation"), "token")), accept, &out, &e), 0);
	json_decref(out);
	json_t *login = json_pack("{s:s, s:s}", "email", "o@acme.example", "password", "a long password");
	char *tok[2];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dom_login(&c, login, &out, &e), 0);
		tok[i] = strdup(json_string_value(json_object_get(out, "token")));
		json_decref(out);
	}
	assert_int_equal(store_commit(c.tx), 0);
	principal_t p;
	int64_t now = time_now_ms();
	unsigned long long h0, m0, h1, m1;
	dom_auth_cache_stats(&h0, &m0);
	tx = store_begin(st, false);
	assert_int_equal(dom_authenticate(tx, &cfg, tok[0], "127.0.0.1", now, &p, &e), 0);
	assert_int_equal(dom_authenticate(tx, &cfg, tok[0], "127.0.0.1", now + 1000, &p, &e), 0);
	assert_string_equal(p.role, "owner");
	char sid[ID_MAX], pid[ID_MAX];
	snprintf(sid, sizeof sid, "%s", p.session_id);
	snprintf(pid, sizeof pid, "%s", p.person_id);
	assert_int_equal(dom_authenticate(tx, &cfg, tok[1], "127.0.0.1", now, &p, &e), 0);
	store_rollback(tx);
	dom_auth_cache_stats(&h1, &m1);
	assert_int_equal(h1 - h0, 1);
	assert_int_equal(m1 - m0, 2);
	/* The first session revoked (a logout): refused at once. */
	tx = store_begin(st, true);
	assert_int_equal(store_session_revoke(tx, pid, sid, now), STORE_OK);
	assert_int_equal(store_commit(tx), 0);
	tx = store_begin(st, false);
	assert_int_equal(dom_authenticate(tx, &cfg, tok[0], "127.0.0.1", now + 3000, &p, &e), -1);
	assert_string_equal(e.kind, "unauthenticated");
	/* The other one still works; its role changed is seen at once. */
	assert_int_equal(dom_authenticate(tx, &cfg, tok[1], "127.0.0.1", now + 3000, &p, &e), 0);
	assert_string_equal(p.role, "owner");
	store_rollback(tx);
	tx = store_begin(st, true);
	json_t *f = json_pack("{s:s}", "role", "admin");
	assert_int_equal(store_principal_update(tx, p.person_id, f), STORE_OK);
	json_decref(f);
	assert_int_equal(store_commit(tx), 0);
	tx = store_begin(st, false);
	assert_int_equal(dom_authenticate(tx, &cfg, tok[1], "127.0.0.1", now + 4000, &p, &e), 0);
	assert_string_equal(p.role, "admin");
	store_rollback(tx);
	/* GET /v1/me tells the session's idle timeout in force, as the
	 * (cached) authentication found it: the account's own rule, changed,
	 * is seen by the next request. */
	assert_int_equal(me_idle_seconds(st, &cfg, tok[1], now + 4100), 1800);
	tx = store_begin(st, true);
	assert_int_equal(store_settings_put(tx, p.account_id,
		"{\"session\":{\"idle_timeout_minutes\":10}}", now), STORE_OK);
	assert_int_equal(store_commit(tx), 0);
	assert_int_equal(me_idle_seconds(st, &cfg, tok[1], now + 4200), 600);
	/* Deprovisioned: refused at once. */
	tx = store_begin(st, true);
	f = json_pack("{s:s}", "status", "deprovisioned");
	assert_int_equal(store_principal_update(tx, p.person_id, f), STORE_OK);
	json_decref(f);
	assert_int_equal(store_commit(tx), 0);
	tx = store_begin(st, false);
	assert_int_equal(dom_authenticate(tx, &cfg, tok[1], "127.0.0.1", now + 5000, &p, &e), -1);
	store_rollback(tx);
	free(tok[0]);
	free(tok[1]);
	json_decref(login);
	json_decref(accept);
	json_decref(body);
	json_decref(acc);
	drop_store(st, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_perm_names),
		cmocka_unit_test(test_authz),
		cmocka_unit_test(test_authz_consents),
		cmocka_unit_test(test_authz_resource),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_audit_canonical),
		cmocka_unit_test(test_audit_chain),
		cmocka_unit_test(test_session_expiry),
		cmocka_unit_test(test_partner_window),
		cmocka_unit_test(test_credential_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
