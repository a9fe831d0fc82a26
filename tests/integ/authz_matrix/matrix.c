/* The authorization matrix: every route of router_routes() called by every
 * kind of principal against the real faxvaultd, each outcome asserted.
 *
 * The expectation of a cell is computed here from the route table (the
 * route's permissions, ROUTE_PUBLIC, ROUTE_ACCOUNT, ROUTE_UNGATED) and the
 * role table (perm_role()), with the rules of the specification written out
 * in expect() independently of authz_check(): a person who has not accepted
 * the current terms gets 403 `terms-not-accepted` first, except on the
 * ungated routes; anonymous callers get 401; a member of another account, or
 * partner staff of another partner, gets 404 on an account's routes (no
 * existence leak), unless the account's owner gave their partner a consent
 * (the delegate column: a third partner's staff, lent CONSENT_PERMS on A,
 * reach A and hold those there too); a caller without any of the route's
 * permissions gets 403;
 * everyone else is let through and gets the route's success status (or the
 * one the fixture names, e.g. 422 for a harmless invalid body). A golden copy
 * of the route policy (POLICY below) makes a changed route permission or
 * gate exemption fail here too, until it is reviewed.
 *
 * Cells with destructive effects get fresh targets (a new member to
 * deprovision or unlock, a new key to revoke, a new session to log out or to
 * revoke as an account's session, a new account to close), a suspended
 * account is reactivated at once, and ownership and passwords are never
 * actually changed, so that the order of the cells does not matter.
 *
 * The security controls (issue 5) are kept out of the way. Terms of service
 * are published in set-up and every person accepts them but one, the gated
 * user of A, whose column is 403 `terms-not-accepted` on every route except
 * the system ones and those marked ROUTE_UNGATED (which it calls like any
 * user, never accepting the terms: it sends a stale version). The one cell
 * that publishes a new version (the operator's) is followed at once by every
 * other person accepting it. Second factors are never confirmed (enrolments
 * are begun, a wrong code is confirmed, removal finds none); the security
 * settings PATCH sets a value the settings have already (no lock-out, no
 * lower rate limit); password resets use an unknown address and an unknown
 * token. Confirming the contacts is the owner's in person: no other principal
 * holds ownership.transfer, so the owner's cell is the one that succeeds.
 *
 * After the grid, resources() checks the decisions on one thing inside an
 * account (authz_resource: another member's API key, an admin-like member,
 * another partner), and lifecycles() what fixed consents cannot: a
 * revocation holding from the next request, a consent's scope narrower than
 * the action, break-glass without a reason, a support grant expired on the
 * test clock.
 *
 * Usage: authz_matrix FAXVAULTD */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "access/access.h"
#include "router.h"

/* Cells known to be wrong in the server, to be fixed there: a cell listed
 * here is reported but does not fail the test; an entry whose cell behaves
 * as expected fails it (remove the entry once the bug is fixed). */
static const struct known_bug {
	const char *action;
	const char *principal;
	long actual;
	const char *note;
} KNOWN_BUGS[] = {
	{ NULL, NULL, 0, NULL },
};

/* The route policy as specified (issues 2 and 5): action, accepted
 * permissions (space-separated; "" = any authenticated caller), public,
 * account-scoped, ungated (open to a person who must still accept the terms,
 * enrol a second factor or change an expired password: only the routes that
 * do those steps, read what is pending, or log out). The route table must
 * match it; a deliberate change updates both. */
static const struct policy {
	const char *action;
	const char *perms;
	bool public, account, ungated;
} POLICY[] = {
	{ "system.health", "", true, false, false },
	{ "system.ready", "", true, false, false },
	{ "system.metrics", "", true, false, false },
	{ "system.openapi", "", true, false, false },
	{ "sessions.create", "", true, false, false },
	{ "sso.start", "", true, false, true },
	{ "sso.callback", "", true, false, true },
	{ "sso.session", "", true, false, true },
	{ "sso.saml_metadata", "", true, false, true },
	{ "sso.saml_acs", "", true, false, true },
	{ "sso.discover", "", true, false, true },
	{ "sessions.delete", "", false, false, true },
	{ "me.get", "", false, false, true },
	{ "me.update", "", false, false, true },
	{ "me.sessions.list", "", false, false, false },
	{ "me.white_label.logo", "", false, false, true },
	{ "me.sessions.delete", "", false, false, false },
	{ "me.password.change", "", false, false, true },
	{ "me.mfa.begin", "", false, false, true },
	{ "me.mfa.qr", "", false, false, true },
	{ "me.mfa.confirm", "", false, false, true },
	{ "me.mfa.remove", "", false, false, false },
	{ "me.terms.accept", "", false, false, true },
	{ "terms.current", "", true, false, true },
	{ "password_resets.create", "", true, false, false },
	{ "password_resets.complete", "", true, false, false },
	{ "password_resets.complete_in_path", "", true, false, false },
	{ "invitations.accept", "", true, false, false },
	{ "invitations.accept_in_path", "", true, false, false },
	{ "permissions.list", "", false, false, true },
	{ "accounts.create", "provider.accounts.manage partner.accounts.manage", false, false, false },
	{ "accounts.list", "provider.accounts.read partner.accounts.read account.read", false, false, false },
	{ "accounts.get", "provider.accounts.read partner.accounts.read account.read", false, true, false },
	{ "accounts.update", "provider.accounts.manage settings.manage partner.accounts.manage", false, true, false },
	{ "accounts.suspend", "provider.accounts.manage partner.accounts.manage", false, true, false },
	{ "accounts.reactivate", "provider.accounts.manage partner.accounts.manage", false, true, false },
	{ "accounts.close", "provider.accounts.manage", false, true, false },
	{ "accounts.owner_transfer", "ownership.transfer", false, true, false },
	{ "accounts.closure.get", "provider.accounts.read partner.accounts.read account.read", false, true,
		false },
	{ "accounts.closure.start", "provider.accounts.manage ownership.transfer", false, true, false },
	{ "accounts.closure.cancel", "provider.accounts.manage ownership.transfer", false, true, false },
	{ "users.list", "users.manage admins.manage data.read", false, true, false },
	{ "users.create", "users.manage admins.manage", false, true, false },
	{ "users.get", "users.manage admins.manage data.read", false, true, false },
	{ "users.update", "users.manage admins.manage", false, true, false },
	{ "users.delete", "users.manage admins.manage", false, true, false },
	{ "users.unlock", "users.manage security.manage", false, true, false },
	{ "users.export", "security.manage", false, true, false },
	{ "users.export_deliver", "security.manage", false, true, false },
	{ "users.export_status", "security.manage", false, true, false },
	{ "users.erase", "security.manage", false, true, false },
	{ "roles.list", "users.manage admins.manage data.read", false, true, false },
	{ "roles.create", "users.manage admins.manage", false, true, false },
	{ "roles.get", "users.manage admins.manage data.read", false, true, false },
	{ "roles.update", "users.manage admins.manage", false, true, false },
	{ "roles.delete", "users.manage admins.manage", false, true, false },
	{ "security.get", "data.read security.manage config.read partner.config.read", false, true, false },
	{ "security.update", "security.manage", false, true, false },
	{ "account_sessions.list", "security.manage", false, true, false },
	{ "account_sessions.delete", "security.manage", false, true, false },
	{ "terms.pending", "users.manage data.read security.manage", false, true, false },
	{ "contacts.confirm", "ownership.transfer", false, true, false },
	{ "posture.get", "data.read security.manage", false, true, false },
	{ "api_keys.list", "api_keys.own security.manage", false, true, false },
	{ "api_keys.create", "api_keys.own", false, true, false },
	{ "api_keys.delete", "api_keys.own security.manage", false, true, false },
	{ "identity_providers.list", "security.manage", false, true, false },
	{ "identity_providers.create", "security.manage", false, true, false },
	{ "identity_providers.get", "security.manage", false, true, false },
	{ "identity_providers.update", "security.manage", false, true, false },
	{ "identity_providers.delete", "security.manage", false, true, false },
	{ "scim_tokens.list", "security.manage", false, true, false },
	{ "scim_tokens.create", "security.manage", false, true, false },
	{ "scim_tokens.delete", "security.manage", false, true, false },
	{ "sso_domains.list", "security.manage", false, true, false },
	{ "sso_domains.create", "security.manage", false, true, false },
	{ "sso_domains.delete", "security.manage", false, true, false },
	{ "sso_domains.verify", "security.manage", false, true, false },
	{ "provider.sso_domains.verify", "provider.accounts.manage", false, false, false },
	{ "webhooks.list", "settings.manage data.read config.read partner.config.read", false, true, false },
	{ "webhooks.create", "settings.manage", false, true, false },
	{ "webhooks.get", "settings.manage data.read config.read partner.config.read", false, true, false },
	{ "webhooks.update", "settings.manage", false, true, false },
	{ "webhooks.delete", "settings.manage", false, true, false },
	{ "webhooks.rotate_secret", "settings.manage", false, true, false },
	{ "webhooks.test", "settings.manage", false, true, false },
	{ "webhooks.deliveries.list", "settings.manage data.read", false, true, false },
	{ "faxes.create", "fax.send", false, false, false },
	{ "faxes.quote", "fax.send", false, false, false },
	{ "faxes.quote_get", "fax.send", false, false, false },
	{ "faxes.list", "fax.read.own data.read", false, false, false },
	{ "faxes.get", "fax.read.own data.read", false, false, false },
	{ "faxes.delete", "fax.read.own data.read", false, false, false },
	{ "retention.get", "security.manage data.read config.read partner.config.read", false, true, false },
	{ "retention.update", "security.manage", false, true, false },
	{ "fax_by_email.get", "security.manage data.read config.read partner.config.read", false, true, false },
	{ "fax_by_email.update", "security.manage", false, true, false },
	{ "faxes.legal_hold.set", "security.manage", false, true, false },
	{ "faxes.legal_hold.lift", "security.manage", false, true, false },
	{ "faxes.cancel", "fax.send", false, false, false },
	{ "faxes.resend", "fax.send", false, false, false },
	{ "faxes.document", "fax.read.own data.read", false, false, false },
	{ "faxes.page", "fax.read.own data.read", false, false, false },
	{ "safeboxes.create", "safebox.use", false, false, false },
	{ "safeboxes.list", "safebox.use data.read", false, false, false },
	{ "safeboxes.get", "safebox.use data.read", false, false, false },
	{ "safeboxes.delete", "safebox.use data.read", false, false, false },
	{ "safeboxes.files.create", "safebox.use", false, false, false },
	{ "safeboxes.files.get", "safebox.use data.read", false, false, false },
	{ "safeboxes.messages.create", "safebox.use", false, false, false },
	{ "safeboxes.close", "safebox.use", false, false, false },
	{ "safeboxes.extend", "safebox.use", false, false, false },
	{ "safeboxes.participants.revoke", "safebox.use", false, false, false },
	{ "safeboxes.legal_hold.set", "security.manage", false, true, false },
	{ "safeboxes.legal_hold.lift", "security.manage", false, true, false },
	{ "safebox_profile.get", "safebox.use security.manage config.read partner.config.read", false, true, false },
	{ "safebox_profile.update", "security.manage", false, true, false },
	{ "cdrs.list", "billing.read", false, true, false },
	{ "billing.plan.get", "billing.read partner.usage.read", false, true, false },
	{ "billing.balance", "billing.read", false, true, false },
	{ "billing.ledger.list", "billing.read", false, true, false },
	{ "billing.plan.update", "provider.accounts.manage partner.accounts.manage", false, true, false },
	{ "billing.credit", "provider.accounts.manage", false, true, false },
	{ "billing.invoice.list", "billing.read provider.accounts.manage partner.usage.read", false, true, false },
	{ "billing.invoice.get", "billing.read provider.accounts.manage partner.usage.read", false, true, false },
	{ "billing.overdue_invoices.list", "provider.accounts.manage", false, false, false },
	{ "billing.invoice.run", "provider.accounts.manage", false, false, false },
	{ "billing.payment", "provider.accounts.manage", false, true, false },
	{ "billing.webhook", "", true, false, false },
	{ "rates.get", "provider.telephony.manage", false, false, false },
	{ "rates.update", "provider.telephony.manage", false, false, false },
	{ "trunks.list", "provider.telephony.manage", false, false, false },
	{ "trunks.create", "provider.telephony.manage", false, false, false },
	{ "trunks.get", "provider.telephony.manage", false, false, false },
	{ "trunks.update", "provider.telephony.manage", false, false, false },
	{ "numbers.import", "provider.telephony.manage", false, false, false },
	{ "provider.numbers.list", "provider.telephony.manage", false, false, false },
	{ "provider.port_requests.list", "provider.telephony.manage", false, false, false },
	{ "port_requests.status", "provider.telephony.manage", false, false, false },
	{ "numbers.list", "numbers.manage data.read account.read config.read partner.config.read", false, true, false },
	{ "numbers.request", "numbers.manage", false, true, false },
	{ "numbers.get", "numbers.manage data.read account.read config.read partner.config.read", false, true, false },
	{ "numbers.route", "numbers.manage", false, true, false },
	{ "numbers.release", "numbers.manage", false, true, false },
	{ "port_requests.create", "numbers.manage", false, true, false },
	{ "port_requests.list", "numbers.manage data.read", false, true, false },
	{ "port_requests.get", "numbers.manage data.read", false, true, false },
	{ "notifications.list", "account.read", false, true, false },
	{ "audit_events.list", "data.read security.manage provider.audit.read", false, true, false },
	{ "provider.audit_events.list", "provider.audit.read", false, false, false },
	{ "audit_checkpoints.list", "data.read security.manage provider.audit.read", false, true, false },
	{ "audit_events.export", "data.read security.manage provider.audit.read", false, true, false },
	{ "provider.audit.verify", "provider.audit.verify", false, false, false },
	{ "provider.audit_checkpoints.list", "provider.audit.verify", false, false, false },
	{ "provider.audit_checkpoints.create", "provider.audit.verify", false, false, false },
	{ "terms.publish", "provider.terms.manage", false, false, false },
	{ "staff.list", "provider.staff.manage", false, false, false },
	{ "staff.create", "provider.staff.manage", false, false, false },
	{ "staff.get", "provider.staff.manage", false, false, false },
	{ "staff.update", "provider.staff.manage", false, false, false },
	{ "staff.delete", "provider.staff.manage", false, false, false },
	{ "partners.list", "provider.partners.manage", false, false, false },
	{ "partners.create", "provider.partners.manage", false, false, false },
	{ "partners.get", "provider.partners.manage partner.staff.read", false, false, false },
	{ "partners.update", "provider.partners.manage", false, false, false },
	{ "partners.staff.list", "provider.partners.manage partner.staff.read", false, false, false },
	{ "partners.staff.create", "provider.partners.manage partner.staff.manage", false, false, false },
	{ "partners.staff.update", "provider.partners.manage partner.staff.manage", false, false, false },
	{ "partners.white_label.update", "provider.partners.manage partner.staff.manage", false, false,
		false },
	{ "partners.white_label.logo.update", "provider.partners.manage partner.staff.manage", false,
		false, false },
	{ "partners.white_label.logo.delete", "provider.partners.manage partner.staff.manage", false,
		false, false },
	{ "partners.staff.delete", "provider.partners.manage partner.staff.manage", false, false, false },
	{ "partners.accounts.list", "provider.partners.manage provider.accounts.read partner.usage.read", false, false,
		false },
	{ "status.page", "", true, false, true },
	{ "status.board", "", true, false, true },
	{ "status.feed", "", true, false, true },
	{ "provider.incidents.list", "provider.status.manage", false, false, false },
	{ "provider.incidents.create", "provider.status.manage", false, false, false },
	{ "provider.incidents.get", "provider.status.manage", false, false, false },
	{ "provider.incidents.update", "provider.status.manage", false, false, false },
	{ "provider.status.components", "provider.status.manage", false, false, false },
	{ "provider.status.component_set", "provider.status.manage", false, false, false },
	{ "status_subscriptions.list", "settings.manage security.manage", false, true, false },
	{ "status_subscriptions.create", "settings.manage security.manage", false, true, false },
	{ "status_subscriptions.delete", "settings.manage security.manage", false, true, false },
	{ "status_subscriptions.me.get", "account.read", false, true, false },
	{ "status_subscriptions.me.create", "account.read", false, true, false },
	{ "status_subscriptions.me.delete", "account.read", false, true, false },
	{ "status_subscriptions.unsubscribe", "", true, false, false },
	{ "security_contacts.list", "security.manage", false, true, false },
	{ "security_contacts.create", "security.manage", false, true, false },
	{ "security_contacts.delete", "security.manage", false, true, false },
	{ "consents.create", "ownership.transfer", false, true, false },
	{ "consents.list", "ownership.transfer admins.manage security.manage partner.accounts.read", false, true, false },
	{ "consents.delete", "ownership.transfer", false, true, false },
	{ "consents.letter.create", "ownership.transfer", false, true, false },
	{ "provider.consents.list", "provider.accounts.manage", false, false, false },
	{ "provider.consents.letter", "provider.accounts.manage", false, false, false },
	{ "provider.consents.review", "provider.accounts.manage", false, false, false },
	{ "access_grants.create", "provider.accounts.read", false, true, false },
	{ "access_grants.list", "security.manage data.read provider.accounts.read", false, true, false },
	{ "access_grants.approve", "security.manage", false, true, false },
	{ "access_grants.revoke", "security.manage", false, true, false },
	{ "fraud_reports.create", "account.read partner.accounts.read", false, true, false },
	{ "fraud_reports.list", "account.read partner.accounts.read", false, true, false },
	{ "fraud_reports.get", "account.read partner.accounts.read", false, true, false },
	{ "fraud_reports.confirm_safe", "security.manage", false, true, false },
	{ "pentest_requests.create", "security.manage", false, true, false },
	{ "pentest_requests.list", "security.manage", false, true, false },
	{ "pentest_requests.get", "security.manage", false, true, false },
	{ "traffic_forecasts.create", "numbers.manage settings.manage", false, true, false },
	{ "traffic_forecasts.list", "numbers.manage settings.manage", false, true, false },
	{ "traffic_forecasts.get", "numbers.manage settings.manage", false, true, false },
	{ "provider.requests.list", "provider.requests.manage", false, false, false },
	{ "provider.requests.get", "provider.requests.manage", false, false, false },
	{ "provider.requests.answer", "provider.requests.manage", false, false, false },
	{ "provider.capacity.get", "provider.requests.manage", false, false, false },
	{ "provider.queue.get", "provider.requests.manage", false, false, false },
	{ "provider.queue.retry", "provider.requests.manage", false, false, false },
	{ "provider.security_incidents.create", "provider.security.manage", false, false, false },
	{ "provider.security_incidents.list", "provider.security.manage", false, false, false },
	{ "provider.security_incidents.get", "provider.security.manage", false, false, false },
	{ "provider.security_incidents.update", "provider.security.manage", false, false, false },
	{ "provider.security_incidents.accounts", "provider.security.manage", false, false, false },
	{ "provider.security_incidents.notify", "provider.security.manage", false, false, false },
	{ "breach_notices.list", "security.manage", false, true, false },
	{ "breach_notices.get", "security.manage", false, true, false },
	{ "breach_notices.acknowledge", "security.manage", false, true, false },
	{ NULL, NULL, false, false, false },
};

#define PASSWORD "correct horse battery staple"
#define CUSTOM_PERMS "users.manage data.read"
#define KEY_PERMS "data.read api_keys.own account.read"
#define CONSENT_PERMS "users.manage data.read"
#define ID_LEN 64

/* The principals of the matrix (columns). */
enum who {
	W_ANON,
	W_OWNER,
	W_ADMIN,
	W_BILLING,
	W_USER,
	W_CUSTOM,
	W_GATED,
	W_KEY,
	W_OTHER_ADMIN,
	W_OPERATOR,
	W_SUPPORT,
	W_SECURITY,
	W_PARTNER,
	W_PARTNER_OTHER,
	W_PARTNER_SUPPORT, /* partner 1's support staff: reads, changes nothing */
	W_PARTNER_BILLING, /* partner 1's billing staff: usage and plans */
	W_DELEGATE, /* staff of a third partner, holding the owner's consent on A */
	W_COUNT
};

struct actor {
	const char *label;
	const char *kind; /* "account", "provider", "partner"; NULL: anonymous */
	char token[160];
	char email[128];  /* "" for an API key: no password login */
	char person_id[ID_LEN];
	char account_id[ID_LEN];
	char partner_id[ID_LEN];
	perm_set_t perms; /* what the specification says it holds */
	perm_set_t lent;  /* what a consent lends it on account A */
	bool gated;       /* has not accepted the current terms of service */
};

struct world {
	fvd_t d;
	char boot[160]; /* the bootstrapped operator's session: sets things up */
	char acc_a[ID_LEN], acc_b[ID_LEN], prt_1[ID_LEN], prt_2[ID_LEN], prt_3[ID_LEN];
	char target_user[ID_LEN]; /* a member of A the cells read and rename */
	char target_staff[ID_LEN]; /* a provider staff member read and renamed */
	char terms_version[48];    /* the current terms, accepted by every person */
	struct actor p[W_COUNT];
	int seq;
	int setup_errors;
};

/* What one cell sends and, when let through, the status it should get. */
struct cell {
	char path[512];
	json_t *body;       /* owned; NULL: no body */
	const char *token;  /* borrowed; NULL: anonymous */
	char token_buf[160];
	char acc[ID_LEN];   /* the account of {id}: A unless the fixture says */
	const char *acc_partner;
	long ok_status;     /* expected status when authorization lets it through */
	const char *ok_kind; /* its problem kind when ok_status is an error chosen by the domain */
	const char *note;   /* why ok_status differs from the route's, or NULL */
	char *raw;          /* owned: a non-JSON body (multipart upload), or NULL */
	const char *header; /* its Content-Type header line */
};

static int failures;

/* ---- set-up through the API ---- */

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* A request that set-up needs; NULL (and a failure counted) unless it
 * answers `want`. Returns the parsed answer (new reference). */
static json_t *must(struct world *w, const char *method, const char *path, const char *token,
	json_t *body, long want)
{
	long st;
	json_t *r = http_jcall(&w->d, method, path, token, body, &st);
	json_decref(body);
	if (st != want) {
		char *s = r ? json_dumps(r, JSON_COMPACT) : NULL;
		printf("SETUP FAILED: %s %s: status %ld, want %ld: %s\n", method, path, st, want,
			s ? s : "");
		free(s);
		json_decref(r);
		w->setup_errors++;
		return NULL;
	}
	return r ? r : json_object();
}

static int login(struct world *w, const char *email, char *token, size_t n, char *sid, size_t sn)
{
	json_t *r = must(w, "POST", "/v1/sessions", NULL,
		json_pack("{s:s, s:s}", "email", email, "password", PASSWORD), 201);
	copy(token, n, jstr(r, "token"));
	if (sid)
		copy(sid, sn, jstr(r, "session_id"));
	json_decref(r);
	return r ? 0 : -1;
}

static int accept_invitation(struct world *w, const char *tok)
{
	json_t *r = must(w, "POST", "/v1/invitations/accept", NULL,
		json_pack("{s:s, s:s}", "token", tok, "password", PASSWORD), 200);
	json_decref(r);
	return r ? 0 : -1;
}

static void next_email(struct world *w, const char *tag, char *out, size_t n)
{
	snprintf(out, n, "%s-%d@matrix.test", tag, ++w->seq);
}

/* Creates a person (POST path with body by creator), accepts the
 * invitation and logs in as p. body is consumed; its "email" is set. */
static void make_person(struct world *w, const char *path, const char *creator, json_t *body,
	const char *tag, struct actor *p)
{
	next_email(w, tag, p->email, sizeof p->email);
	json_object_set_new(body, "email", json_string(p->email));
	json_object_set_new(body, "name", json_string(p->label));
	json_t *r = must(w, "POST", path, creator, body, 201);
	if (!r)
		return;
	copy(p->person_id, sizeof p->person_id, jstr(r, "id"));
	const char *inv = jstr(json_object_get(r, "invitation"), "token");
	if (accept_invitation(w, inv) == 0)
		login(w, p->email, p->token, sizeof p->token, NULL, 0);
	json_decref(r);
}

/* An account with its owner logged in as `owner`. */
static void make_account(struct world *w, const char *name, const char *partner, char *acc,
	struct actor *owner, struct actor *billing)
{
	next_email(w, "owner", owner->email, sizeof owner->email);
	json_t *body = json_pack("{s:s, s:{s:s, s:s}}", "name", name, "owner", "email", owner->email,
		"name", owner->label);
	if (partner)
		json_object_set_new(body, "partner_id", json_string(partner));
	if (billing) {
		next_email(w, "billing", billing->email, sizeof billing->email);
		json_object_set_new(body, "billing_contacts", json_pack("[{s:s, s:s}]", "email",
			billing->email, "name", billing->label));
	}
	json_t *r = must(w, "POST", "/v1/accounts", w->boot, body, 201);
	if (!r)
		return;
	copy(acc, ID_LEN, jstr(r, "id"));
	copy(owner->person_id, sizeof owner->person_id, jstr(json_object_get(r, "owner"), "id"));
	if (accept_invitation(w, jstr(json_object_get(r, "owner_invitation"), "token")) == 0)
		login(w, owner->email, owner->token, sizeof owner->token, NULL, 0);
	if (billing) {
		const json_t *bi = json_array_get(json_object_get(r, "billing_invitations"), 0);
		copy(billing->person_id, sizeof billing->person_id, jstr(bi, "user_id"));
		if (accept_invitation(w, jstr(bi, "token")) == 0)
			login(w, billing->email, billing->token, sizeof billing->token, NULL, 0);
	}
	json_decref(r);
}

/* The operator `token` publishes a new version of the terms of service. */
static void publish_terms(struct world *w, const char *token)
{
	char v[48];
	snprintf(v, sizeof v, "matrix-%d", ++w->seq);
	json_decref(must(w, "POST", "/v1/provider/terms", token, json_pack("{s:s, s:s, s:s}", "version", v,
		"text_en", "Terms of the matrix.", "text_fr", "Conditions de la matrice."), 201));
}

/* Every person of the matrix but the gated one accepts the current terms
 * when they changed (an API key cannot: its person, the admin, does). */
static void accept_terms(struct world *w)
{
	json_t *t = must(w, "GET", "/v1/terms/current", NULL, NULL, 200);
	const char *v = jstr(t, "version");
	if (t && strcmp(v, w->terms_version) != 0) {
		copy(w->terms_version, sizeof w->terms_version, v);
		for (int i = W_OWNER; i < W_COUNT; i++)
			if (w->p[i].email[0] && !w->p[i].gated)
				json_decref(must(w, "POST", "/v1/me/terms/accept", w->p[i].token,
					json_pack("{s:s}", "version", v), 200));
	}
	json_decref(t);
}

static void init_principals(struct world *w)
{
	static const struct {
		const char *label, *kind, *role;
	} cols[W_COUNT] = {
		[W_ANON] = { "anonymous", NULL, NULL },
		[W_OWNER] = { "owner", "account", "owner" },
		[W_ADMIN] = { "admin", "account", "admin" },
		[W_BILLING] = { "billing", "account", "billing" },
		[W_USER] = { "user", "account", "user" },
		[W_CUSTOM] = { "custom", "account", NULL },
		[W_GATED] = { "gated-user", "account", "user" },
		[W_KEY] = { "api-key", "account", NULL },
		[W_OTHER_ADMIN] = { "other-admin", "account", "admin" },
		[W_OPERATOR] = { "operator", "provider", "operator" },
		[W_SUPPORT] = { "support", "provider", "support" },
		[W_SECURITY] = { "security", "provider", "security" },
		[W_PARTNER] = { "partner", "partner", "partner_admin" },
		[W_PARTNER_OTHER] = { "partner-other", "partner", "partner_admin" },
		[W_PARTNER_SUPPORT] = { "partner-support", "partner", "partner_support" },
		[W_PARTNER_BILLING] = { "partner-billing", "partner", "partner_billing" },
		[W_DELEGATE] = { "delegate", "partner", "partner_admin" },
	};
	for (int i = 0; i < W_COUNT; i++) {
		w->p[i].label = cols[i].label;
		w->p[i].kind = cols[i].kind;
		w->p[i].perms = cols[i].role ? perm_role(cols[i].kind, cols[i].role) : 0;
	}
	w->p[W_CUSTOM].perms = perm_set_from_string(CUSTOM_PERMS);
	w->p[W_GATED].gated = true;
	w->p[W_DELEGATE].lent = perm_set_from_string(CONSENT_PERMS);
	/* A key holds its own permissions within its creator's (an admin). */
	w->p[W_KEY].perms = perm_set_from_string(KEY_PERMS) & perm_role("account", "admin");
}

static void setup(struct world *w)
{
	init_principals(w);
	json_t *r = must(w, "POST", "/v1/sessions", NULL, json_pack("{s:s, s:s}", "email",
		w->d.op_email, "password", w->d.op_password), 201);
	copy(w->boot, sizeof w->boot, jstr(r, "token"));
	json_decref(r);
	r = must(w, "POST", "/v1/partners", w->boot, json_pack("{s:s}", "name", "Partner One"), 201);
	copy(w->prt_1, ID_LEN, jstr(r, "id"));
	json_decref(r);
	r = must(w, "POST", "/v1/partners", w->boot, json_pack("{s:s}", "name", "Partner Two"), 201);
	copy(w->prt_2, ID_LEN, jstr(r, "id"));
	json_decref(r);

	/* Account A, provisioned for partner 1, holds the members under test;
	 * account B is another tenant. */
	make_account(w, "Acme", w->prt_1, w->acc_a, &w->p[W_OWNER], &w->p[W_BILLING]);
	struct actor owner_b = { .label = "owner-b" };
	make_account(w, "Beta", NULL, w->acc_b, &owner_b, NULL);

	char path[256];
	snprintf(path, sizeof path, "/v1/accounts/%s/users", w->acc_a);
	const char *owner = w->p[W_OWNER].token;
	make_person(w, path, owner, json_pack("{s:s}", "role", "admin"), "admin", &w->p[W_ADMIN]);
	make_person(w, path, owner, json_pack("{s:s}", "role", "user"), "user", &w->p[W_USER]);
	json_t *custom = perm_set_to_json(perm_set_from_string(CUSTOM_PERMS));
	make_person(w, path, owner, json_pack("{s:s, s:o}", "role", "custom", "permissions", custom),
		"custom", &w->p[W_CUSTOM]);
	make_person(w, path, owner, json_pack("{s:s}", "role", "user"), "gated", &w->p[W_GATED]);
	char email[128];
	next_email(w, "target", email, sizeof email);
	r = must(w, "POST", path, owner, json_pack("{s:s, s:s, s:s}", "email", email, "name", "Target",
		"role", "user"), 201);
	copy(w->target_user, ID_LEN, jstr(r, "id"));
	json_decref(r);

	snprintf(path, sizeof path, "/v1/accounts/%s/api-keys", w->acc_a);
	r = must(w, "POST", path, w->p[W_ADMIN].token, json_pack("{s:s, s:o}", "name", "matrix key",
		"permissions", perm_set_to_json(perm_set_from_string(KEY_PERMS))), 201);
	copy(w->p[W_KEY].token, sizeof w->p[W_KEY].token, jstr(r, "secret"));
	copy(w->p[W_KEY].person_id, ID_LEN, w->p[W_ADMIN].person_id);
	json_decref(r);

	snprintf(path, sizeof path, "/v1/accounts/%s/users", w->acc_b);
	make_person(w, path, owner_b.token, json_pack("{s:s}", "role", "admin"), "other-admin",
		&w->p[W_OTHER_ADMIN]);

	static const struct {
		enum who w;
		const char *role;
	} staff[] = { { W_OPERATOR, "operator" }, { W_SUPPORT, "support" }, { W_SECURITY, "security" } };
	for (size_t i = 0; i < sizeof staff / sizeof staff[0]; i++)
		make_person(w, "/v1/provider/staff", w->boot, json_pack("{s:s}", "role", staff[i].role),
			staff[i].role, &w->p[staff[i].w]);

	snprintf(path, sizeof path, "/v1/partners/%s/staff", w->prt_1);
	make_person(w, path, w->boot, json_object(), "partner", &w->p[W_PARTNER]);
	/* Partner 1's admin gives its colleagues their roles. */
	make_person(w, path, w->p[W_PARTNER].token, json_pack("{s:s}", "role", "partner_support"),
		"partner-support", &w->p[W_PARTNER_SUPPORT]);
	make_person(w, path, w->p[W_PARTNER].token, json_pack("{s:s}", "role", "partner_billing"),
		"partner-billing", &w->p[W_PARTNER_BILLING]);
	snprintf(path, sizeof path, "/v1/partners/%s/staff", w->prt_2);
	make_person(w, path, w->boot, json_object(), "partner-other", &w->p[W_PARTNER_OTHER]);
	/* Partners may provision accounts themselves (R01) within a limit the
	 * provider sets. */
	const char *prts[] = { w->prt_1, w->prt_2 };
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "/v1/partners/%s", prts[i]);
		json_decref(must(w, "PATCH", path, w->boot, json_pack("{s:i}", "max_accounts", 1000), 200));
	}
	/* A third partner, which did not provision A, holds a consent of A's
	 * owner: its staff reach A, within the consent's scope. */
	r = must(w, "POST", "/v1/partners", w->boot, json_pack("{s:s}", "name", "Partner Three"), 201);
	copy(w->prt_3, ID_LEN, jstr(r, "id"));
	json_decref(r);
	snprintf(path, sizeof path, "/v1/partners/%s", w->prt_3);
	json_decref(must(w, "PATCH", path, w->boot, json_pack("{s:i}", "max_accounts", 1000), 200));
	snprintf(path, sizeof path, "/v1/partners/%s/staff", w->prt_3);
	make_person(w, path, w->boot, json_object(), "delegate", &w->p[W_DELEGATE]);
	char until[40];
	time_t t = time(NULL) + 30 * 86400;
	strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	snprintf(path, sizeof path, "/v1/accounts/%s/consents", w->acc_a);
	json_decref(must(w, "POST", path, owner, json_pack("{s:s, s:o, s:s}", "partner_id", w->prt_3,
		"scope", perm_set_to_json(perm_set_from_string(CONSENT_PERMS)), "expires_at", until), 201));

	next_email(w, "target-staff", email, sizeof email);
	r = must(w, "POST", "/v1/provider/staff", w->boot, json_pack("{s:s, s:s, s:s}", "email", email,
		"name", "Target staff", "role", "support"), 201);
	copy(w->target_staff, ID_LEN, jstr(r, "id"));
	json_decref(r);

	for (int i = W_OWNER; i <= W_GATED; i++)
		copy(w->p[i].account_id, ID_LEN, w->acc_a);
	copy(w->p[W_KEY].account_id, ID_LEN, w->acc_a);
	copy(w->p[W_OTHER_ADMIN].account_id, ID_LEN, w->acc_b);
	copy(w->p[W_PARTNER].partner_id, ID_LEN, w->prt_1);
	copy(w->p[W_PARTNER_OTHER].partner_id, ID_LEN, w->prt_2);
	copy(w->p[W_PARTNER_SUPPORT].partner_id, ID_LEN, w->prt_1);
	copy(w->p[W_PARTNER_BILLING].partner_id, ID_LEN, w->prt_1);
	copy(w->p[W_DELEGATE].partner_id, ID_LEN, w->prt_3);
	for (int i = W_OWNER; i < W_COUNT; i++)
		if (!w->p[i].token[0]) {
			printf("SETUP FAILED: no credential for %s\n", w->p[i].label);
			w->setup_errors++;
		}
	publish_terms(w, w->boot);
	accept_terms(w);
}

/* ---- the route policy ---- */

static const struct policy *policy_of(const char *action)
{
	for (const struct policy *p = POLICY; p->action; p++)
		if (strcmp(p->action, action) == 0)
			return p;
	return NULL;
}

/* The route table against POLICY, both ways. */
static void check_policy(void)
{
	for (const struct route *r = router_routes(); r->method; r++) {
		const struct policy *p = policy_of(r->action);
		if (!p) {
			printf("POLICY: route %s %s (%s) is not in POLICY: review its permissions and add it\n",
				r->method, r->pattern, r->action);
			failures++;
			continue;
		}
		perm_set_t want = perm_set_from_string(p->perms);
		if (want != r->perms || p->public != !!(r->flags & ROUTE_PUBLIC) ||
		    p->account != !!(r->flags & ROUTE_ACCOUNT) ||
		    p->ungated != !!(r->flags & ROUTE_UNGATED)) {
			char *got = perm_set_to_string(r->perms);
			printf("POLICY: %s %s (%s) accepts [%s]%s%s%s; the policy says [%s]%s%s%s\n", r->method,
				r->pattern, r->action, got, r->flags & ROUTE_PUBLIC ? " public" : "",
				r->flags & ROUTE_ACCOUNT ? " account-scoped" : "",
				r->flags & ROUTE_UNGATED ? " ungated" : "", p->perms, p->public ? " public" : "",
				p->account ? " account-scoped" : "", p->ungated ? " ungated" : "");
			free(got);
			failures++;
		}
	}
	for (const struct policy *p = POLICY; p->action; p++) {
		bool found = false;
		for (const struct route *r = router_routes(); r->method && !found; r++)
			found = strcmp(r->action, p->action) == 0;
		if (!found) {
			printf("POLICY: %s is in POLICY but not a route\n", p->action);
			failures++;
		}
	}
}

/* ---- expectations ---- */

struct expect {
	long status;      /* 401, 403, 404 for a denial; 0: let through */
	const char *kind; /* the problem kind of a denial */
};

static bool has_param(const struct route *r, const char *name)
{
	char b[64];
	snprintf(b, sizeof b, "{%s}", name);
	return strstr(r->pattern, b) != NULL;
}

/* The specification, cell by cell. Account-scoped routes target the cell's
 * account (A, partner 1's, unless the fixture says); partner routes target
 * partner 1. */
static struct expect expect(const struct world *w, const struct route *r, const struct actor *p,
	const struct cell *c)
{
	struct expect e = { 0, NULL };
	/* A person with a step pending is held at the gate before anything
	 * else, public routes included (the matrix sends its credential), but
	 * on the routes that do the steps. */
	if (p->gated && !(r->flags & (ROUTE_SYSTEM | ROUTE_UNGATED)))
		return (struct expect) { 403, "terms-not-accepted" };
	if (r->flags & ROUTE_PUBLIC)
		return e;
	if (!p->kind)
		return (struct expect) { 401, "unauthenticated" };
	/* A consent lends its scope on A, and lets its holder see A; of its
	 * partner's own powers, only seeing the account holds there. */
	perm_set_t held = p->perms;
	bool consent = (r->flags & ROUTE_ACCOUNT) && p->lent && strcmp(c->acc, w->acc_a) == 0;
	if (consent)
		held = (held & perm_set_from_string("partner.accounts.read")) | p->lent;
	if (r->flags & ROUTE_ACCOUNT) {
		const char *ap = c->acc_partner ? c->acc_partner : "";
		bool other_tenant = strcmp(p->kind, "account") == 0 && strcmp(p->account_id, c->acc) != 0;
		bool other_partner = strcmp(p->kind, "partner") == 0 && strcmp(p->partner_id, ap) != 0 &&
			!consent;
		if (other_tenant || other_partner)
			return (struct expect) { 404, "not-found" };
	}
	if (r->perms && !(r->perms & held))
		return (struct expect) { 403, "forbidden" };
	/* Partner staff see their own organization only. */
	if (has_param(r, "partner_id") && strcmp(p->kind, "partner") == 0 &&
	    strcmp(p->partner_id, w->prt_1) != 0)
		return (struct expect) { 404, "not-found" };
	return e;
}

/* ---- fixtures: what each cell sends ---- */

/* The webhook subscription of A that the cell's {webhook_id} names. */
static char cell_webhook[ID_LEN] = "whk_none";
/* The identity provider of A that the cell's {idp_id} names. */
static char cell_idp[ID_LEN] = "idp_none";
/* The SCIM token of A that the cell's {token_id} names. */
static char cell_scim_token[ID_LEN] = "sct_none";

static void fill_path(const struct world *w, const struct route *r, struct cell *c,
	const char *user_id, const char *key_id, const char *session_id)
{
	char *o = c->path;
	size_t n = sizeof c->path;
	for (const char *s = r->pattern; *s && n > 1;) {
		if (*s != '{') {
			*o++ = *s++;
			n--;
			continue;
		}
		size_t len = strcspn(s + 1, "}");
		char name[32];
		snprintf(name, sizeof name, "%.*s", (int)len, s + 1);
		const char *v = strcmp(name, "id") == 0 ? c->acc
			: strcmp(name, "user_id") == 0 ? user_id
			: strcmp(name, "key_id") == 0 ? key_id
			: strcmp(name, "webhook_id") == 0 ? cell_webhook
			: strcmp(name, "idp_id") == 0 ? cell_idp
			: strcmp(name, "account_id") == 0 ? w->acc_a
			: strcmp(name, "token_id") == 0 ? cell_scim_token
			: strcmp(name, "partner_id") == 0 ? w->prt_1
			: strcmp(name, "session_id") == 0 ? session_id
			: strcmp(name, "trunk_id") == 0 ? "loopback"
			: strcmp(name, "number") == 0 ? "%2B99900000000" /* A has no number: 404 */
			: strcmp(name, "port_id") == 0 ? "prt_none"
			: strcmp(name, "fax_id") == 0 ? "fax_none"
			: strcmp(name, "quote_id") == 0 ? "quo_none"
			: strcmp(name, "consent_id") == 0 ? "cns_none"
			: strcmp(name, "grant_id") == 0 ? "agr_none"
			: strcmp(name, "safebox_id") == 0 ? "sbx_none"
			: strcmp(name, "file_id") == 0 ? "sbf_none"
			: strcmp(name, "participant_id") == 0 ? "sbp_none"
			: strcmp(name, "n") == 0 ? "1"
			: strcmp(name, "incident_id") == 0 ? "inc_none"
			: strcmp(name, "request_id") == 0 ? "rq_none"
			: strcmp(name, "notice_id") == 0 ? "brn_none"
			: strcmp(name, "invoice_id") == 0 ? "inv_none"
			: strcmp(name, "provider") == 0 ? "paytest"
			: strcmp(name, "component") == 0 ? "api"
			: strcmp(name, "subscription_id") == 0 ? "sts_none"
			: strcmp(name, "contact_id") == 0 ? "scn_none"
			: strcmp(name, "domain_id") == 0 ? "sdm_none"
			: strcmp(name, "role_id") == 0 ? "rol_none"
			: strcmp(name, "export_id") == 0 || strcmp(name, "job_id") == 0 ? "job_none"
			: strcmp(name, "token") == 0 && strncmp(r->pattern, "/v1/password-resets/", 20) == 0
			? "fvr_no-such-reset"
			: strcmp(name, "token") == 0 ? "fvi_no-such-invitation" : NULL;
		if (!v) {
			printf("FIXTURE: %s: no value for path parameter {%s}: extend fill_path()\n", r->pattern,
				name);
			failures++;
			v = "x";
		}
		int k = snprintf(o, n, "%s", v);
		if (k < 0 || (size_t)k >= n)
			break;
		o += k;
		n -= (size_t)k;
		s += len + 2;
	}
	*o = '\0';
}

/* A new member of A (role user), to be deprovisioned by the cell. */
static void fresh_member(struct world *w, char *id)
{
	char path[256], email[128];
	snprintf(path, sizeof path, "/v1/accounts/%s/users", w->acc_a);
	next_email(w, "doomed", email, sizeof email);
	json_t *r = must(w, "POST", path, w->p[W_OWNER].token, json_pack("{s:s, s:s, s:s}", "email",
		email, "name", "Doomed", "role", "user"), 201);
	copy(id, ID_LEN, jstr(r, "id"));
	json_decref(r);
}

/* A new key of A, made by the caller when it may make keys there (so that
 * revoking it is revoking one's own), else by the owner. */
static void fresh_key(struct world *w, const struct actor *p, char *id)
{
	char path[256];
	snprintf(path, sizeof path, "/v1/accounts/%s/api-keys", w->acc_a);
	bool own = p->kind && strcmp(p->kind, "account") == 0 && strcmp(p->account_id, w->acc_a) == 0 &&
		(p->perms & PERM_BIT(PERM_APIKEYS_OWN)) && !p->gated;
	json_t *r = must(w, "POST", path, own ? p->token : w->p[W_OWNER].token,
		json_pack("{s:s, s:[s]}", "name", "doomed", "permissions", "api_keys.own"), 201);
	copy(id, ID_LEN, jstr(r, "id"));
	json_decref(r);
}

/* A new person (invited) created by the bootstrap operator at path. */
static void fresh_person(struct world *w, const char *path, const char *role, char *id)
{
	char email[128];
	next_email(w, "doomed-staff", email, sizeof email);
	json_t *body = json_pack("{s:s, s:s}", "email", email, "name", "Doomed");
	if (role)
		json_object_set_new(body, "role", json_string(role));
	json_t *r = must(w, "POST", path, w->boot, body, 201);
	copy(id, ID_LEN, jstr(r, "id"));
	json_decref(r);
}

/* A new account of partner 1, to be closed by the cell. */
static void fresh_account(struct world *w, char *id)
{
	char email[128];
	next_email(w, "doomed-owner", email, sizeof email);
	json_t *r = must(w, "POST", "/v1/accounts", w->boot, json_pack("{s:s, s:{s:s, s:s}, s:s}", "name",
		"Doomed", "owner", "email", email, "name", "Doomed", "partner_id", w->prt_1), 201);
	copy(id, ID_LEN, jstr(r, "id"));
	json_decref(r);
}

/* A cell of an API key on a route for persons only: the domain refuses it. */
static void key_refused(const struct actor *p, struct cell *c)
{
	if (p->kind && !p->email[0]) {
		c->ok_status = 403;
		c->ok_kind = "forbidden";
		c->note = "API key";
	}
}

/* Begins a second-factor enrolment for a person (harmless: nothing changes
 * at login until it is confirmed). */
static void begin_enrolment(struct world *w, const struct actor *p)
{
	if (p->kind && p->email[0])
		json_decref(must(w, "POST", "/v1/me/mfa/totp", p->token, NULL, 201));
}

/* A new webhook subscription of A, made by the owner and disabled at once:
 * its URL is a public address literal (no resolver needed) that nothing is
 * ever sent to. */
static void fresh_webhook(struct world *w, char *id)
{
	char path[256];
	snprintf(path, sizeof path, "/v1/accounts/%s/webhooks", w->acc_a);
	json_t *r = must(w, "POST", path, w->p[W_OWNER].token, json_pack("{s:s, s:[s]}", "url",
		"https://192.88.99.1/matrix", "events", "fax.queued"), 201);
	copy(id, ID_LEN, jstr(r, "id"));
	json_decref(r);
	snprintf(path, sizeof path, "/v1/accounts/%s/webhooks/%s", w->acc_a, id);
	json_decref(must(w, "PATCH", path, w->p[W_OWNER].token, json_pack("{s:s}", "status",
		"disabled"), 200));
}

static json_t *idp_body(void)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "type", "oidc", "issuer",
		"https://idp.matrix.example", "client_id", "matrix", "client_secret", "matrix-secret");
}

/* A new identity provider of A, made by the owner (nothing is fetched
 * until someone signs in through it). */
static void fresh_idp(struct world *w, char *id)
{
	char path[256];
	snprintf(path, sizeof path, "/v1/accounts/%s/identity-providers", w->acc_a);
	json_t *r = must(w, "POST", path, w->p[W_OWNER].token, idp_body(), 201);
	copy(id, ID_LEN, jstr(r, "id"));
	json_decref(r);
}

/* Prepares the cell of route r for principal p. */
static void prepare(struct world *w, const struct route *r, struct actor *p, struct cell *c)
{
	char user_id[ID_LEN], key_id[ID_LEN] = "key_none", sid[ID_LEN] = "ses_none";
	copy(user_id, sizeof user_id, w->target_user);
	c->token = p->kind ? p->token : NULL;
	copy(c->acc, sizeof c->acc, w->acc_a);
	c->acc_partner = w->prt_1;
	c->ok_status = r->status;
	c->ok_kind = NULL;
	c->note = NULL;
	c->body = (r->flags & ROUTE_BODY) ? json_object() : NULL;
	const char *a = r->action;
	char email[128];

	if (strcmp(a, "sessions.create") == 0) {
		c->ok_status = 422; /* {} lacks the password: nobody logs in */
		c->note = "empty body";
	} else if (strcmp(a, "sso.start") == 0 || strcmp(a, "sso.saml_metadata") == 0 ||
		   strcmp(a, "sso.saml_acs") == 0) {
		copy(cell_idp, sizeof cell_idp, "idp_none"); /* nothing is fetched */
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such provider";
	} else if (strcmp(a, "sso.callback") == 0 || strcmp(a, "sso.session") == 0) {
		c->ok_status = 401; /* no state, no handoff cookie: nobody signs in */
		c->ok_kind = "sso-failed";
		c->note = "nothing to complete";
	} else if (strcmp(a, "system.metrics") == 0) {
		c->ok_status = 404; /* off the API listener unless metrics.token_file is set, */
		c->ok_kind = "not-found"; /* and no session or API key opens it */
		c->note = "off the API listener";
	} else if (strcmp(a, "sessions.delete") == 0) {
		if (p->kind && p->email[0]) {
			login(w, p->email, c->token_buf, sizeof c->token_buf, NULL, 0);
			c->token = c->token_buf; /* log out a fresh session */
		} else if (p->kind) {
			c->ok_status = 422; /* an API key is not a session */
			c->note = "API key";
		}
	} else if (strcmp(a, "me.sessions.delete") == 0) {
		if (p->kind && p->email[0]) {
			char tmp[160];
			login(w, p->email, tmp, sizeof tmp, sid, sizeof sid);
		} else if (p->kind) {
			c->ok_status = 404; /* the key's person has no such session */
			c->note = "no session";
		}
	} else if (strcmp(a, "me.password.change") == 0) {
		/* The right current password, the same as new: refused, nothing changes. */
		json_object_set_new(c->body, "current_password", json_string(PASSWORD));
		json_object_set_new(c->body, "new_password", json_string(PASSWORD));
		c->ok_status = 422;
		c->ok_kind = "weak-password";
		c->note = "new == current";
		if (p->kind && !p->email[0]) {
			c->ok_status = 403; /* a key never changes its person's password */
			c->ok_kind = "forbidden";
			c->note = "API key";
		}
	} else if (strcmp(a, "me.update") == 0) {
		json_object_set_new(c->body, "lang", json_string("en")); /* the default: nothing changes */
		key_refused(p, c);
	} else if (strcmp(a, "me.mfa.begin") == 0) {
		key_refused(p, c);
	} else if (strcmp(a, "me.mfa.qr") == 0) {
		begin_enrolment(w, p); /* the QR code of an enrolment in progress */
		key_refused(p, c);
	} else if (strcmp(a, "me.mfa.confirm") == 0) {
		begin_enrolment(w, p);
		json_object_set_new(c->body, "code", json_string("not-a-code"));
		c->ok_status = 422; /* never confirmed: logins stay password-only */
		c->ok_kind = "invalid-mfa-code";
		c->note = "wrong code";
		key_refused(p, c);
	} else if (strcmp(a, "me.mfa.remove") == 0) {
		json_object_set_new(c->body, "code", json_string("000000"));
		c->ok_status = 404; /* nobody of the matrix has a second factor */
		c->ok_kind = "not-found";
		c->note = "none enrolled";
		key_refused(p, c);
	} else if (strcmp(a, "me.terms.accept") == 0) {
		json_object_set_new(c->body, "version", json_string(w->terms_version)); /* again: idempotent */
		key_refused(p, c);
		if (p->gated) {
			/* Not the current version: the gated person stays gated. */
			json_object_set_new(c->body, "version", json_string("not-the-current-version"));
			c->ok_status = 422;
			c->ok_kind = "validation-failed";
			c->note = "old version";
		}
	} else if (strcmp(a, "terms.publish") == 0) {
		/* Allowed: a new version, which restore() has everyone accept. */
		snprintf(email, sizeof email, "matrix-%d", ++w->seq);
		json_object_set_new(c->body, "version", json_string(email));
		json_object_set_new(c->body, "text_en", json_string("New terms of the matrix."));
		json_object_set_new(c->body, "text_fr", json_string("Nouvelles conditions de la matrice."));
	} else if (strcmp(a, "password_resets.create") == 0) {
		next_email(w, "nobody", email, sizeof email); /* unknown: no token is issued */
		json_object_set_new(c->body, "email", json_string(email));
	} else if (strncmp(a, "password_resets.complete", 24) == 0) {
		if (strcmp(a, "password_resets.complete") == 0) /* else in the path */
			json_object_set_new(c->body, "token", json_string("fvr_no-such-reset"));
		json_object_set_new(c->body, "password", json_string(PASSWORD));
		c->ok_status = 404;
		c->ok_kind = "reset-invalid";
		c->note = "unknown token";
	} else if (strcmp(a, "users.unlock") == 0) {
		fresh_member(w, user_id);
	} else if (strcmp(a, "security.update") == 0) {
		/* A value the settings have already: no lock-out, no lower limits. */
		json_object_set_new(c->body, "password_policy", json_pack("{s:i}", "history", 0));
	} else if (strcmp(a, "account_sessions.delete") == 0) {
		char tmp[160]; /* a fresh session of the user of A */
		login(w, w->p[W_USER].email, tmp, sizeof tmp, sid, sizeof sid);
	} else if (strcmp(a, "accounts.close") == 0) {
		/* Closing is for good: staff close a fresh account of partner 1;
		 * members of A aim at A, which they must not be able to close. */
		if (p->kind && strcmp(p->kind, "account") != 0)
			fresh_account(w, c->acc);
	} else if (strcmp(a, "staff.get") == 0) {
		copy(user_id, sizeof user_id, w->target_staff);
	} else if (strcmp(a, "staff.update") == 0) {
		copy(user_id, sizeof user_id, w->target_staff);
		json_object_set_new(c->body, "name", json_string("Target staff"));
	} else if (strcmp(a, "staff.delete") == 0) {
		fresh_person(w, "/v1/provider/staff", "support", user_id);
	} else if (strcmp(a, "partners.update") == 0) {
		json_object_set_new(c->body, "name", json_string("Partner One"));
	} else if (strcmp(a, "partners.white_label.logo.update") == 0) {
		/* A GIF: refused by its header, nothing stored. */
		c->raw = strdup("--mx\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"l.png\"\r\n"
				"Content-Type: image/png\r\n\r\nGIF89a, not a PNG\r\n--mx--\r\n");
		c->header = "Content-Type: multipart/form-data; boundary=mx";
		c->ok_status = 415;
		c->ok_kind = "document-unsupported";
		c->note = "not a PNG or JPEG";
	} else if (strcmp(a, "partners.white_label.logo.delete") == 0) {
		c->ok_status = 404; /* the partner has no logo */
		c->ok_kind = "not-found";
		c->note = "no logo";
	} else if (strcmp(a, "me.white_label.logo") == 0) {
		c->ok_status = 404; /* no partner's logo to show */
		c->ok_kind = "not-found";
		c->note = "no logo";
	} else if (strcmp(a, "partners.white_label.update") == 0) {
		json_object_set_new(c->body, "display_name", json_string("Partner One"));
	} else if (strcmp(a, "partners.staff.delete") == 0 || strcmp(a, "partners.staff.update") == 0) {
		char path[256];
		snprintf(path, sizeof path, "/v1/partners/%s/staff", w->prt_1);
		fresh_person(w, path, NULL, user_id);
		if (c->body)
			json_object_set_new(c->body, "role", json_string("partner_support"));
	} else if (strncmp(a, "invitations.accept", 18) == 0) {
		if (strcmp(a, "invitations.accept") == 0) /* else in the path */
			json_object_set_new(c->body, "token", json_string("fvi_no-such-invitation"));
		json_object_set_new(c->body, "password", json_string(PASSWORD));
		c->ok_status = 404; /* invitation-invalid */
		c->note = "unknown token";
	} else if (strcmp(a, "accounts.create") == 0) {
		next_email(w, "new-owner", email, sizeof email);
		json_object_set_new(c->body, "name", json_string("Matrix Co"));
		json_object_set_new(c->body, "owner", json_pack("{s:s, s:s}", "email", email, "name", "N"));
	} else if (strcmp(a, "accounts.update") == 0) {
		json_object_set_new(c->body, "name", json_string("Acme"));
	} else if (strcmp(a, "accounts.owner_transfer") == 0) {
		json_object_set_new(c->body, "user_id", json_string(w->p[W_OWNER].person_id));
		c->ok_status = 422; /* "you already own this account": ownership stays */
		c->note = "to self";
	} else if (strcmp(a, "users.create") == 0) {
		next_email(w, "new-member", email, sizeof email);
		json_object_set_new(c->body, "email", json_string(email));
		json_object_set_new(c->body, "name", json_string("New"));
		json_object_set_new(c->body, "role", json_string("custom"));
		json_object_set_new(c->body, "permissions", json_pack("[s]", "data.read"));
	} else if (strcmp(a, "users.update") == 0) {
		json_object_set_new(c->body, "name", json_string("Target"));
	} else if (strcmp(a, "users.delete") == 0) {
		fresh_member(w, user_id);
	} else if (strcmp(a, "users.erase") == 0) {
		fresh_member(w, user_id);
	} else if (strcmp(a, "users.export_deliver") == 0) {
		/* {}: the target's export in a new SafeBox of the caller. */
	} else if (strcmp(a, "users.export_status") == 0) {
		/* No such export: the cells that get through answer 404. */
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such export";
	} else if (strcmp(a, "api_keys.create") == 0) {
		json_object_set_new(c->body, "name", json_string("cell key"));
		json_object_set_new(c->body, "permissions", json_pack("[s]", "api_keys.own"));
	} else if (strcmp(a, "api_keys.delete") == 0) {
		fresh_key(w, p, key_id);
	} else if (strncmp(a, "identity_providers.", 19) == 0) {
		static char shared_idp[ID_LEN];
		if (!shared_idp[0])
			fresh_idp(w, shared_idp);
		copy(cell_idp, sizeof cell_idp, shared_idp);
		if (strcmp(a, "identity_providers.create") == 0) {
			json_decref(c->body);
			c->body = idp_body();
		} else if (strcmp(a, "identity_providers.update") == 0) {
			json_object_set_new(c->body, "status", json_string("active")); /* as it is */
		} else if (strcmp(a, "identity_providers.delete") == 0) {
			fresh_idp(w, cell_idp);
		}
	} else if (strcmp(a, "scim_tokens.create") == 0) {
		json_object_set_new(c->body, "name", json_string("cell token"));
	} else if (strcmp(a, "scim_tokens.delete") == 0) {
		char path[256];
		snprintf(path, sizeof path, "/v1/accounts/%s/scim-tokens", w->acc_a);
		json_t *t = must(w, "POST", path, w->p[W_OWNER].token, json_pack("{s:s}", "name", "doomed"), 201);
		copy(cell_scim_token, sizeof cell_scim_token, jstr(t, "id"));
		json_decref(t);
	} else if (strncmp(a, "webhooks.", 9) == 0) {
		static char shared[ID_LEN];
		if (!shared[0])
			fresh_webhook(w, shared);
		copy(cell_webhook, sizeof cell_webhook, shared);
		if (strcmp(a, "webhooks.create") == 0) {
			json_object_set_new(c->body, "url", json_string("https://10.0.0.1/hook"));
			json_object_set_new(c->body, "events", json_pack("[s]", "fax.queued"));
			c->ok_status = 422; /* a private address: nothing is created */
			c->ok_kind = "url-not-allowed";
			c->note = "private address";
		} else if (strcmp(a, "webhooks.update") == 0) {
			json_object_set_new(c->body, "status", json_string("disabled")); /* as it is */
		} else if (strcmp(a, "webhooks.delete") == 0) {
			fresh_webhook(w, cell_webhook);
		} else if (strcmp(a, "webhooks.test") == 0) {
			c->ok_status = 409; /* disabled: no event is queued, nothing is sent */
			c->ok_kind = "invalid-state";
			c->note = "disabled";
		}
	} else if (strcmp(a, "trunks.create") == 0) {
		snprintf(email, sizeof email, "matrix-%d", ++w->seq);
		json_object_set_new(c->body, "id", json_string(email));
		json_object_set_new(c->body, "name", json_string("Matrix trunk"));
		json_object_set_new(c->body, "peer", json_string("192.0.2.1:5060"));
		json_object_set_new(c->body, "status", json_string("disabled")); /* carries nothing */
	} else if (strcmp(a, "trunks.update") == 0) {
		json_object_set_new(c->body, "status", json_string("active")); /* as it is */
	} else if (strcmp(a, "numbers.import") == 0) {
		/* A number of no country we serve: nobody can request it. */
		json_object_set_new(c->body, "trunk", json_string("loopback"));
		json_object_set_new(c->body, "numbers", json_pack("[s]", "+99900000001"));
	} else if (strcmp(a, "numbers.request") == 0) {
		json_object_set_new(c->body, "country", json_string("FR"));
		json_object_set_new(c->body, "area_code", json_string("999999"));
		c->ok_status = 409; /* the inventory has none: nothing is assigned */
		c->ok_kind = "numbers-exhausted";
		c->note = "none in stock";
	} else if (strncmp(a, "numbers.", 8) == 0 && strcmp(a, "numbers.list") != 0) {
		if (r->flags & ROUTE_BODY)
			json_object_set_new(c->body, "route_to", json_string("shared"));
		c->ok_status = 404; /* get, route, release: A holds no number */
		c->ok_kind = "not-found";
		c->note = "no number";
	} else if (strcmp(a, "port_requests.create") == 0) {
		c->raw = strdup("--mx\r\nContent-Disposition: form-data; name=\"numbers\"\r\n\r\n+99900000002\r\n"
				"--mx\r\nContent-Disposition: form-data; name=\"losing_carrier\"\r\n\r\nMatrix\r\n"
				"--mx\r\nContent-Disposition: form-data; name=\"loa\"; filename=\"loa.txt\"\r\n"
				"Content-Type: text/plain\r\n\r\nnot a PDF\r\n--mx--\r\n");
		c->header = "Content-Type: multipart/form-data; boundary=mx";
		c->ok_status = 415; /* the letter is not a PDF: nothing is stored */
		c->ok_kind = "document-unsupported";
		c->note = "not a PDF";
	} else if (strcmp(a, "port_requests.get") == 0 || strcmp(a, "port_requests.status") == 0) {
		if (r->flags & ROUTE_BODY)
			json_object_set_new(c->body, "status", json_string("in_progress"));
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such request";
	} else if (strcmp(a, "staff.create") == 0) {
		next_email(w, "new-staff", email, sizeof email);
		json_object_set_new(c->body, "email", json_string(email));
		json_object_set_new(c->body, "name", json_string("New staff"));
		json_object_set_new(c->body, "role", json_string("support"));
	} else if (strcmp(a, "partners.create") == 0) {
		json_object_set_new(c->body, "name", json_string("New partner"));
	} else if (strcmp(a, "partners.staff.create") == 0) {
		next_email(w, "new-partner-staff", email, sizeof email);
		json_object_set_new(c->body, "email", json_string(email));
		json_object_set_new(c->body, "name", json_string("New partner staff"));
	} else if (strcmp(a, "faxes.create") == 0) {
		/* A document and a destination that is not a number: refused
		 * before anything is rendered or queued. */
		c->raw = strdup("--mx\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nnot-a-number\r\n"
				"--mx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
				"Content-Type: text/plain\r\n\r\nHello\r\n--mx--\r\n");
		c->header = "Content-Type: multipart/form-data; boundary=mx";
		c->ok_status = 422;
		c->ok_kind = "destination-not-allowed";
		c->note = "bad number";
	} else if (strcmp(a, "faxes.quote") == 0) {
		/* A page count and a destination that is not a number: refused
		 * before anything is priced. */
		c->raw = strdup("--mx\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nnot-a-number\r\n"
				"--mx\r\nContent-Disposition: form-data; name=\"pages\"\r\n\r\n1\r\n--mx--\r\n");
		c->header = "Content-Type: multipart/form-data; boundary=mx";
		c->ok_status = 422;
		c->ok_kind = "destination-not-allowed";
		c->note = "bad number";
	} else if (strncmp(a, "faxes.", 6) == 0 && strcmp(a, "faxes.list") != 0) {
		/* No such fax: the cells that get through answer 404, nothing changes. */
		if (strcmp(a, "faxes.resend") == 0)
			json_object_set_new(c->body, "pages", json_string("all"));
		if (strcmp(a, "faxes.legal_hold.set") == 0)
			json_object_set_new(c->body, "reason", json_string("matrix"));
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such fax";
	} else if (strcmp(a, "consents.create") == 0) {
		/* Ended before it starts: nothing is given. */
		json_object_set_new(c->body, "partner_id", json_string(w->prt_1));
		json_object_set_new(c->body, "scope", json_string("full"));
		json_object_set_new(c->body, "expires_at", json_string("2000-01-01T00:00:00Z"));
		c->ok_status = 422;
		c->ok_kind = "validation-failed";
		c->note = "already ended";
	} else if (strcmp(a, "accounts.closure.start") == 0) {
		/* Closing A would end the matrix: an unknown field, refused first. */
		json_object_set_new(c->body, "matrix", json_true());
		c->ok_status = 422;
		c->ok_kind = "validation-failed";
		c->note = "unknown field";
	} else if (strcmp(a, "accounts.closure.cancel") == 0) {
		c->ok_status = 409; /* A is not closing */
		c->ok_kind = "conflict";
		c->note = "not closing";
	} else if (strcmp(a, "consents.letter.create") == 0) {
		/* No partner named, no letter: nothing is given. */
		c->raw = strdup("--mx\r\nContent-Disposition: form-data; name=\"scope\"\r\n\r\nfull\r\n--mx--\r\n");
		c->header = "Content-Type: multipart/form-data; boundary=mx";
		c->ok_status = 422;
		c->ok_kind = "validation-failed";
		c->note = "no partner";
	} else if (strcmp(a, "provider.consents.letter") == 0 ||
		   strcmp(a, "provider.consents.review") == 0) {
		if (c->body) {
			json_object_set_new(c->body, "decision", json_string("approve"));
			json_object_set_new(c->body, "reason", json_string("matrix"));
		}
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such consent";
	} else if (strcmp(a, "consents.delete") == 0) {
		c->ok_status = 404; /* no such consent: the delegate's stays */
		c->ok_kind = "not-found";
		c->note = "no such consent";
	} else if (strcmp(a, "access_grants.create") == 0) {
		/* A request: nothing is open until the account approves it. */
		json_object_set_new(c->body, "scope", json_string("config.read"));
		json_object_set_new(c->body, "reason", json_string("matrix ticket"));
		json_object_set_new(c->body, "duration_minutes", json_integer(30));
	} else if (strcmp(a, "access_grants.approve") == 0 || strcmp(a, "access_grants.revoke") == 0) {
		c->ok_status = 404; /* no such grant: nothing is opened or ended */
		c->ok_kind = "not-found";
		c->note = "no such grant";
	} else if (strcmp(a, "safeboxes.create") == 0) {
		/* No subject: refused before anything is created. */
		c->ok_status = 422;
		c->ok_kind = "validation-failed";
		c->note = "no subject";
	} else if (strncmp(a, "safeboxes.", 10) == 0 && strcmp(a, "safeboxes.list") != 0) {
		/* No such box: the cells that get through answer 404, nothing changes. */
		if (strcmp(a, "safeboxes.files.create") == 0) {
			c->raw = strdup("--mx\r\nContent-Disposition: form-data; name=\"file\"; "
					"filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nHello\r\n--mx--\r\n");
			c->header = "Content-Type: multipart/form-data; boundary=mx";
		}
		if (strcmp(a, "safeboxes.messages.create") == 0)
			json_object_set_new(c->body, "message", json_string("matrix"));
		if (strcmp(a, "safeboxes.extend") == 0)
			json_object_set_new(c->body, "expires_at", json_string("2099-01-01T00:00:00Z"));
		if (strcmp(a, "safeboxes.legal_hold.set") == 0)
			json_object_set_new(c->body, "reason", json_string("matrix"));
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such SafeBox";
	} else if (strcmp(a, "safebox_profile.update") == 0) {
		/* Nothing changes: the profile stays as it is. */
	} else if (strcmp(a, "fax_by_email.update") == 0) {
		/* The defaults again (off): nothing changes. */
		json_object_set_new(c->body, "enabled", json_false());
	} else if (strcmp(a, "retention.update") == 0) {
		json_object_set_new(c->body, "safebox_days", json_null()); /* keep, as it is */
	} else if (strcmp(a, "provider.incidents.create") == 0) {
		json_object_set_new(c->body, "title_en", json_string("Matrix"));
		json_object_set_new(c->body, "title_fr", json_string("Matrice"));
		json_object_set_new(c->body, "message_en", json_string("Matrix"));
		json_object_set_new(c->body, "message_fr", json_string("Matrice"));
		json_object_set_new(c->body, "components", json_array());
		c->ok_status = 422; /* no component: nothing reaches the status board */
		c->ok_kind = "validation-failed";
		c->note = "no component";
	} else if (strcmp(a, "provider.incidents.get") == 0 ||
		   strcmp(a, "provider.incidents.update") == 0) {
		if (r->flags & ROUTE_BODY) {
			json_object_set_new(c->body, "status", json_string("resolved"));
			json_object_set_new(c->body, "message_en", json_string("Matrix"));
			json_object_set_new(c->body, "message_fr", json_string("Matrice"));
		}
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such incident";
	} else if (strcmp(a, "sso.discover") == 0) {
		c->ok_status = 422; /* neither email nor account: nothing is told */
		c->ok_kind = "validation-failed";
		c->note = "no address";
	} else if (strcmp(a, "roles.create") == 0) {
		c->ok_status = 422; /* {}: no role is created */
		c->ok_kind = "validation-failed";
		c->note = "empty body";
	} else if (strcmp(a, "roles.get") == 0 || strcmp(a, "roles.update") == 0 ||
		   strcmp(a, "roles.delete") == 0) {
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such role";
	} else if (strcmp(a, "sso_domains.delete") == 0 || strcmp(a, "sso_domains.verify") == 0 ||
		   strcmp(a, "provider.sso_domains.verify") == 0) {
		c->ok_status = 404; /* nothing is looked up in the DNS */
		c->ok_kind = "not-found";
		c->note = "no such domain";
	} else if (strcmp(a, "status_subscriptions.create") == 0 ||
		   strcmp(a, "status_subscriptions.me.create") == 0 ||
		   strcmp(a, "security_contacts.create") == 0 || strcmp(a, "sso_domains.create") == 0) {
		c->ok_status = 422; /* {}: nothing is created */
		c->ok_kind = "validation-failed";
		c->note = "empty body";
	} else if (strcmp(a, "status_subscriptions.delete") == 0 ||
		   strcmp(a, "status_subscriptions.me.get") == 0 ||
		   strcmp(a, "status_subscriptions.me.delete") == 0 ||
		   strcmp(a, "security_contacts.delete") == 0) {
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such record";
	} else if (strcmp(a, "status_subscriptions.unsubscribe") == 0) {
		json_object_set_new(c->body, "token", json_string("fvu_no-such-subscription"));
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "unknown token";
	} else if (strcmp(a, "provider.status.component_set") == 0) {
		json_object_set_new(c->body, "state", json_string("operational")); /* as it is */
	} else if (strcmp(a, "fraud_reports.create") == 0 || strcmp(a, "pentest_requests.create") == 0 ||
		   strcmp(a, "traffic_forecasts.create") == 0) {
		c->ok_status = 422; /* {}: nothing is filed */
		c->ok_kind = "validation-failed";
		c->note = "empty body";
	} else if (strcmp(a, "fraud_reports.get") == 0 || strcmp(a, "fraud_reports.confirm_safe") == 0 ||
		   strcmp(a, "pentest_requests.get") == 0 ||
		   strcmp(a, "traffic_forecasts.get") == 0 || strcmp(a, "provider.requests.get") == 0 ||
		   strcmp(a, "provider.requests.answer") == 0) {
		if (r->flags & ROUTE_BODY)
			json_object_set_new(c->body, "status", json_string("approved"));
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such request";
	} else if (strcmp(a, "provider.queue.retry") == 0) {
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such failed job";
	} else if (strcmp(a, "provider.security_incidents.create") == 0) {
		c->ok_status = 422; /* {}: nothing is recorded */
		c->ok_kind = "validation-failed";
		c->note = "empty body";
	} else if (strcmp(a, "provider.security_incidents.get") == 0 ||
		   strcmp(a, "provider.security_incidents.update") == 0 ||
		   strcmp(a, "provider.security_incidents.accounts") == 0 ||
		   strcmp(a, "provider.security_incidents.notify") == 0 ||
		   strcmp(a, "breach_notices.get") == 0 || strcmp(a, "breach_notices.acknowledge") == 0) {
		if (strcmp(a, "provider.security_incidents.update") == 0)
			json_object_set_new(c->body, "message", json_string("Matrix"));
		else if (strcmp(a, "provider.security_incidents.accounts") == 0)
			json_object_set_new(c->body, "affected", json_pack("{s:b}", "all", 1));
		else if (strcmp(a, "provider.security_incidents.notify") == 0) {
			json_object_set_new(c->body, "text_en", json_string("Matrix"));
			json_object_set_new(c->body, "text_fr", json_string("Matrice"));
		}
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such incident or notice";
	} else if (strcmp(a, "rates.update") == 0) {
		json_object_set_new(c->body, "rates", json_array()); /* the table stays empty */
	} else if (strcmp(a, "billing.plan.update") == 0) {
		json_object_set_new(c->body, "kind", json_string("postpaid")); /* the default plan */
	} else if (strcmp(a, "billing.credit") == 0) {
		/* A refund from an empty balance: refused, the ledger unchanged. */
		json_object_set_new(c->body, "amount_minor", json_integer(1));
		json_object_set_new(c->body, "reason", json_string("matrix"));
		json_object_set_new(c->body, "kind", json_string("refund"));
		c->ok_status = 409;
		c->ok_kind = "invalid-state";
		c->note = "refund > balance";
	} else if (strcmp(a, "billing.invoice.get") == 0) {
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such invoice";
	} else if (strcmp(a, "billing.payment") == 0) {
		json_object_set_new(c->body, "amount_minor", json_integer(1));
		json_object_set_new(c->body, "reference", json_string("matrix"));
		c->ok_status = 404;
		c->ok_kind = "not-found";
		c->note = "no such invoice";
	} else if (strcmp(a, "billing.webhook") == 0) {
		c->ok_status = 404; /* no payment provider is configured */
		c->ok_kind = "not-found";
		c->note = "no provider";
	} else if (strcmp(a, "billing.invoice.run") == 0) {
		/* A month long past with nothing to bill: nothing is issued. */
		json_object_set_new(c->body, "period", json_string("2001-01"));
	} else if (r->flags & ROUTE_BODY) {
		printf("FIXTURE: %s takes a body but has no fixture: extend prepare()\n", a);
		failures++;
	}
	fill_path(w, r, c, user_id, key_id, sid);
	if (strstr(a, "audit_events.list"))
		strncat(c->path, "?limit=5", sizeof c->path - strlen(c->path) - 1);
}

/* Undoes what an allowed destructive cell changed for the cells after it. */
static void restore(struct world *w, const struct route *r)
{
	if (strcmp(r->action, "terms.publish") == 0)
		accept_terms(w); /* new terms published by the cell: everyone accepts them */
	if (strcmp(r->action, "accounts.suspend") == 0) {
		char path[256];
		snprintf(path, sizeof path, "/v1/accounts/%s/reactivate", w->acc_a);
		json_decref(must(w, "POST", path, w->boot, NULL, 200));
	}
}

/* ---- running and reporting ---- */

struct outcome {
	long status;
	char kind[64];
	bool mismatch, known;
	char why[160];
};

static const struct known_bug *known_bug(const char *action, const char *who, long status)
{
	for (const struct known_bug *k = KNOWN_BUGS; k->action; k++)
		if (strcmp(k->action, action) == 0 && strcmp(k->principal, who) == 0 && k->actual == status)
			return k;
	return NULL;
}

static void judge(const struct route *r, const struct actor *p, const struct expect *e,
	const struct cell *c, struct outcome *o)
{
	o->mismatch = false;
	bool domain_refusal = !e->status && c->ok_kind && o->status == c->ok_status &&
		strcmp(o->kind, c->ok_kind) == 0;
	if (domain_refusal) {
		/* The status the fixture asked for, from a rule of the domain. */
	} else if (e->status) {
		if (o->status != e->status || strcmp(o->kind, e->kind) != 0) {
			o->mismatch = true;
			snprintf(o->why, sizeof o->why, "want %ld %s (denied), got %ld %s", e->status, e->kind,
				o->status, o->kind[0] ? o->kind : "");
		}
	} else if (o->status == 401 || o->status == 403 || (o->status == 404 && c->ok_status != 404)) {
		o->mismatch = true;
		snprintf(o->why, sizeof o->why, "want allowed (%ld%s%s), got %ld %s (DENIED)", c->ok_status,
			c->note ? ": " : "", c->note ? c->note : "", o->status, o->kind);
	} else if (o->status != c->ok_status || (c->ok_kind && strcmp(o->kind, c->ok_kind) != 0)) {
		o->mismatch = true;
		snprintf(o->why, sizeof o->why, "want allowed (%ld%s%s), got %ld %s", c->ok_status,
			c->note ? ": " : "", c->note ? c->note : "", o->status, o->kind);
	}
	const struct known_bug *k = known_bug(r->action, p->label, o->status);
	o->known = o->mismatch && k;
}

static void run_cell(struct world *w, const struct route *r, struct actor *p, struct outcome *o)
{
	struct cell c;
	memset(&c, 0, sizeof c);
	prepare(w, r, p, &c);
	struct expect e = expect(w, r, p, &c);
	char *body = c.raw ? c.raw : c.body ? json_dumps(c.body, JSON_COMPACT) : NULL;
	http_resp_t resp;
	memset(o, 0, sizeof *o);
	if (http_call(&w->d, r->method, c.path, c.token, body, c.header, &resp) == 0) {
		o->status = resp.status;
		json_t *j = strstr(resp.ctype, "problem+json") ? http_json(&resp) : NULL;
		const char *t = jstr(j, "type");
		const char *colon = strrchr(t, ':');
		copy(o->kind, sizeof o->kind, colon ? colon + 1 : "");
		json_decref(j);
		http_resp_free(&resp);
	}
	free(body);
	json_decref(c.body);
	judge(r, p, &e, &c, o);
	restore(w, r);
}

static void print_header(void)
{
	printf("\n%-44s", "route \\ principal");
	static const char *const short_names[W_COUNT] = { "anon", "ownr", "admn", "bill", "user", "cust",
		"gatd", "key", "oadm", "oper", "supp", "secu", "prtn", "prt2", "psup", "pbil", "dlgt" };
	for (int i = 0; i < W_COUNT; i++)
		printf(" %5s", short_names[i]);
	printf("\n");
}

/* ---- lifecycles (issue 18): what the grid's fixed consents cannot show ---- */

/* One lifecycle check: method path by token (body borrowed) answers want
 * (and, when kind is not NULL, that problem type). 1 on a failure. */
static int life(struct world *w, const char *what, const char *method, const char *path,
	const char *token, const json_t *body, long want, const char *kind, json_t **out)
{
	long st;
	json_t *r = http_jcall(&w->d, method, path, token, body, &st);
	const char *type = json_string_value(json_object_get(r, "type"));
	bool ok = st == want && (!kind || (type && strstr(type, kind)));
	printf("  %-4s %-62s %3ld %s\n", ok ? "ok" : "FAIL", what, st, ok ? "" : type ? type : "");
	if (out)
		*out = r;
	else
		json_decref(r);
	return ok ? 0 : 1;
}

/* Partner staff after the revocation of a consent (403 on the next request
 * for the account's own partner, 404 for a partner that reached it through
 * the consent alone), a consent's scope narrower than the action, a support
 * grant that expired (the test clock), break-glass without a reason. Runs
 * after the grid: it revokes the delegate's consent and moves the clock.
 * The number of failures. */
static int lifecycles(struct world *w)
{
	int f = 0;
	char path[512], until[40], id[ID_LEN] = "";
	json_t *r = NULL;
	const char *own = w->p[W_OWNER].token, *prt = w->p[W_PARTNER].token;
	printf("\nLifecycles:\n");
	time_t t = time(NULL) + 86400;
	strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));

	/* Partner 1 provisioned A: a users.manage consent lends it that, not more. */
	snprintf(path, sizeof path, "/v1/accounts/%s/users", w->acc_a);
	f += life(w, "partner staff, no consent: users.list", "GET", path, prt, NULL, 403, "forbidden", NULL);
	json_t *body = json_pack("{s:s, s:[s], s:s}", "partner_id", w->prt_1, "scope", "users.manage",
		"expires_at", until);
	snprintf(path, sizeof path, "/v1/accounts/%s/consents", w->acc_a);
	f += life(w, "the owner gives partner 1 users.manage", "POST", path, own, body, 201, NULL, &r);
	json_decref(body);
	copy(id, ID_LEN, jstr(r, "id"));
	json_decref(r);
	snprintf(path, sizeof path, "/v1/accounts/%s/users", w->acc_a);
	f += life(w, "partner staff under the consent: users.list", "GET", path, prt, NULL, 200, NULL, NULL);
	snprintf(path, sizeof path, "/v1/accounts/%s/security", w->acc_a);
	body = json_object();
	f += life(w, "consent scope narrower than the action: security.update", "PATCH", path, prt, body,
		403, "forbidden", NULL);
	json_decref(body);
	snprintf(path, sizeof path, "/v1/accounts/%s/consents/%s", w->acc_a, id);
	f += life(w, "the owner revokes it", "DELETE", path, own, NULL, 204, NULL, NULL);
	snprintf(path, sizeof path, "/v1/accounts/%s/users", w->acc_a);
	f += life(w, "partner staff, next request after revocation", "GET", path, prt, NULL, 403,
		"forbidden", NULL);

	/* The delegate reached A through its consent alone: revoked, A is gone. */
	snprintf(path, sizeof path, "/v1/accounts/%s/consents", w->acc_a);
	f += life(w, "the owner lists the consents", "GET", path, own, NULL, 200, NULL, &r);
	size_t i;
	json_t *k;
	id[0] = '\0';
	json_array_foreach(json_object_get(r, "items"), i, k)
		if (strcmp(jstr(k, "partner_id"), w->prt_3) == 0 && strcmp(jstr(k, "status"), "live") == 0)
			copy(id, ID_LEN, jstr(k, "id"));
	json_decref(r);
	snprintf(path, sizeof path, "/v1/accounts/%s/consents/%s", w->acc_a, id);
	f += life(w, "the owner revokes the delegate's consent", "DELETE", path, own, NULL, 204, NULL, NULL);
	snprintf(path, sizeof path, "/v1/accounts/%s/users", w->acc_a);
	f += life(w, "delegate, next request after revocation", "GET", path, w->p[W_DELEGATE].token, NULL,
		404, "not-found", NULL);

	/* Break-glass: operators only, never without a reason. */
	snprintf(path, sizeof path, "/v1/accounts/%s/access-grants", w->acc_a);
	body = json_pack("{s:s, s:i, s:b}", "scope", "config.read", "duration_minutes", 30, "break_glass", 1);
	f += life(w, "break-glass without a reason", "POST", path, w->p[W_OPERATOR].token, body, 422,
		"validation-failed", NULL);
	json_object_set_new(body, "reason", json_string("   "));
	f += life(w, "break-glass with a blank reason", "POST", path, w->p[W_OPERATOR].token, body, 422,
		"validation-failed", NULL);
	json_object_set_new(body, "reason", json_string("MATRIX-INC-1"));
	f += life(w, "break-glass by support staff", "POST", path, w->p[W_SUPPORT].token, body, 403,
		"forbidden", NULL);
	json_decref(body);

	/* A support grant approved, then expired on the test clock. */
	body = json_pack("{s:s, s:s, s:i}", "scope", "data.read", "reason", "MATRIX-42",
		"duration_minutes", 60);
	f += life(w, "support asks for data.read", "POST", path, w->p[W_SUPPORT].token, body, 201, NULL, &r);
	json_decref(body);
	copy(id, ID_LEN, jstr(r, "id"));
	json_decref(r);
	snprintf(path, sizeof path, "/v1/accounts/%s/users", w->acc_a);
	f += life(w, "support before the approval: users.list", "GET", path, w->p[W_SUPPORT].token, NULL,
		403, "forbidden", NULL);
	snprintf(path, sizeof path, "/v1/accounts/%s/access-grants/%s/approve", w->acc_a, id);
	f += life(w, "the owner approves", "POST", path, own, NULL, 200, NULL, NULL);
	snprintf(path, sizeof path, "/v1/accounts/%s/users", w->acc_a);
	f += life(w, "support under the grant: users.list", "GET", path, w->p[W_SUPPORT].token, NULL, 200,
		NULL, NULL);
	if (fvd_advance_clock(&w->d, 61) != 0) {
		printf("  FAIL the clock could not be moved\n");
		return f + 1;
	}
	/* Sessions idled out with the jump: the support engineer signs in again. */
	struct actor *sup = &w->p[W_SUPPORT];
	if (login(w, sup->email, sup->token, sizeof sup->token, NULL, 0) != 0)
		f++;
	f += life(w, "support grant expired: users.list", "GET", path, sup->token, NULL, 403, "forbidden",
		NULL);
	return f;
}

/* ---- resources: authz_resource()'s decisions through the API ---- */

/* The resource decisions inside an account (authz.h, authz_resource), for
 * the principals they concern, with the rules written out here: another
 * member's API key is revoked by its creator or with security.manage, and
 * does not exist for anyone else (404); an admin-like member is changed
 * only with admins.manage (403 for a users.manage holder without it); a
 * partner's record does not exist for another partner's staff. The route's
 * own permission is asked first (403 without it). The number of failures. */
static int resources(struct world *w)
{
	int f = 0;
	char path[512], what[160], id[ID_LEN];
	printf("\nResources:\n");
	static const enum who members[] = { W_OWNER, W_ADMIN, W_BILLING, W_USER, W_CUSTOM, W_KEY,
		W_OTHER_ADMIN };
	const perm_set_t key_route = PERM_BIT(PERM_APIKEYS_OWN) | PERM_BIT(PERM_SECURITY_MANAGE);
	const perm_set_t user_route = PERM_BIT(PERM_USERS_MANAGE) | PERM_BIT(PERM_ADMINS_MANAGE);
	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
		const struct actor *p = &w->p[members[i]];
		bool in_a = strcmp(p->account_id, w->acc_a) == 0;
		/* The user's own key, revoked by p. */
		snprintf(path, sizeof path, "/v1/accounts/%s/api-keys", w->acc_a);
		json_t *r = must(w, "POST", path, w->p[W_USER].token, json_pack("{s:s, s:[s]}", "name",
			"theirs", "permissions", "api_keys.own"), 201);
		copy(id, ID_LEN, jstr(r, "id"));
		json_decref(r);
		long want = !in_a ? 404 : !(p->perms & key_route) ? 403
			: strcmp(p->person_id, w->p[W_USER].person_id) == 0 ||
			(p->perms & PERM_BIT(PERM_SECURITY_MANAGE)) ? 204 : 404;
		snprintf(path, sizeof path, "/v1/accounts/%s/api-keys/%s", w->acc_a, id);
		snprintf(what, sizeof what, "%s revokes the user's API key", p->label);
		f += life(w, what, "DELETE", path, p->token, NULL, want, want == 404 ? "not-found" : NULL,
			NULL);
		/* An administrator of A, renamed by p. */
		char email[128];
		next_email(w, "res-admin", email, sizeof email);
		snprintf(path, sizeof path, "/v1/accounts/%s/users", w->acc_a);
		r = must(w, "POST", path, w->p[W_OWNER].token, json_pack("{s:s, s:s, s:s}", "email", email,
			"name", "Admin", "role", "admin"), 201);
		copy(id, ID_LEN, jstr(r, "id"));
		json_decref(r);
		want = !in_a ? 404 : !(p->perms & user_route) ? 403
			: (p->perms & PERM_BIT(PERM_ADMINS_MANAGE)) ? 200 : 403;
		snprintf(path, sizeof path, "/v1/accounts/%s/users/%s", w->acc_a, id);
		snprintf(what, sizeof what, "%s renames an administrator", p->label);
		json_t *body = json_pack("{s:s}", "name", "Renamed");
		f += life(w, what, "PATCH", path, p->token, body, want, want == 403 ? "forbidden" : NULL,
			NULL);
		json_decref(body);
	}
	static const enum who staff[] = { W_OPERATOR, W_PARTNER, W_PARTNER_OTHER };
	for (size_t i = 0; i < sizeof staff / sizeof staff[0]; i++) {
		const struct actor *p = &w->p[staff[i]];
		long want = strcmp(p->kind, "partner") == 0 && strcmp(p->partner_id, w->prt_1) != 0 ? 404
			: 200;
		snprintf(path, sizeof path, "/v1/partners/%s", w->prt_1);
		snprintf(what, sizeof what, "%s reads partner 1", p->label);
		f += life(w, what, "GET", path, p->token, NULL, want, want == 404 ? "not-found" : NULL, NULL);
	}
	return f;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FAXVAULTD\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	check_policy();
	static struct world w;
	if (fvd_start(&w.d, argv[1]) != 0)
		return 1;
	setup(&w);
	if (w.setup_errors) {
		printf("set-up failed (%d errors); the matrix cannot run\n", w.setup_errors);
		fvd_stop(&w.d);
		http_cleanup();
		return 1;
	}

	int nroutes = 0;
	for (const struct route *r = router_routes(); r->method; r++)
		nroutes++;
	struct outcome(*res)[W_COUNT] = calloc((size_t)nroutes, sizeof *res);
	int cells = 0, known = 0, i = 0;
	for (const struct route *r = router_routes(); r->method; r++, i++)
		for (int k = 0; k < W_COUNT; k++, cells++)
			run_cell(&w, r, &w.p[k], &res[i][k]);

	/* The whole matrix: status per cell, '!' marks a mismatch, '~' a known bug. */
	print_header();
	i = 0;
	for (const struct route *r = router_routes(); r->method; r++, i++) {
		char name[64];
		snprintf(name, sizeof name, "%s %s", r->method, r->pattern);
		printf("%-44.44s", name);
		for (int k = 0; k < W_COUNT; k++)
			printf("   %3ld%c", res[i][k].status,
				res[i][k].known ? '~' : res[i][k].mismatch ? '!' : ' ');
		printf("\n");
	}

	printf("\nMismatches:\n");
	i = 0;
	int mism = 0;
	for (const struct route *r = router_routes(); r->method; r++, i++)
		for (int k = 0; k < W_COUNT; k++) {
			struct outcome *o = &res[i][k];
			if (!o->mismatch)
				continue;
			printf("  %-7s %-38s %-14s %s%s\n", r->method, r->pattern, w.p[k].label, o->why,
				o->known ? "  [known bug]" : "");
			if (o->known)
				known++;
			else
				mism++;
		}
	if (!mism && !known)
		printf("  none\n");
	/* Known bugs that no longer happen: the list must shrink with the fixes. */
	for (const struct known_bug *kb = KNOWN_BUGS; kb->action; kb++) {
		bool seen = false;
		i = 0;
		for (const struct route *r = router_routes(); r->method; r++, i++)
			for (int k = 0; k < W_COUNT; k++)
				seen |= res[i][k].known && strcmp(r->action, kb->action) == 0 &&
					strcmp(w.p[k].label, kb->principal) == 0;
		if (!seen) {
			printf("  stale KNOWN_BUGS entry %s / %s (%ld): the cell now behaves; remove the entry\n",
				kb->action, kb->principal, kb->actual);
			failures++;
		}
	}
	failures += mism + w.setup_errors + resources(&w) + lifecycles(&w);
	printf("\n%d routes x %d principals = %d cells, %d mismatches, %d known bugs, %d failures\n",
		nroutes, W_COUNT, cells, mism, known, failures);
	free(res);
	int stop = fvd_stop(&w.d);
	http_cleanup();
	if (stop != 0) {
		printf("faxvaultd did not stop cleanly\n");
		failures++;
	}
	return failures ? 1 : 0;
}
