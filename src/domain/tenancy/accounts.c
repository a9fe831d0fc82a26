/* Accounts (tenants): provisioning, status, regulatory profile, ownership. */
#include <ctype.h>
#include <string.h>

#include "tenancy.h"
#include "dom_util.h"
#include "sec.h"
#include "store_consents.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

static const char *const profiles[] = { "none", "hipaa", "hds", "gdpr", NULL };

static int check_profile(const char *p, dom_err_t *e)
{
	for (int i = 0; profiles[i]; i++)
		if (strcmp(p, profiles[i]) == 0)
			return 0;
	return dom_fail(e, "validation-failed", "regulatory_profile",
		"regulatory_profile must be one of none, hipaa, hds, gdpr");
}

/* Prefixes the field name of an error with the path of a nested object. */
static void prefix_field(dom_err_t *e, const char *pre)
{
	char f[sizeof e->field];
	size_t n = strlen(pre);
	if (n >= sizeof f)
		return;
	memcpy(f, pre, n);
	size_t m = strnlen(e->field, sizeof f - n - 1);
	memcpy(f + n, e->field, m);
	f[n + m] = '\0';
	memcpy(e->field, f, sizeof f);
}

/* The currency an account's faxes are priced in: its own, else the
 * provider's default (fax.currency). Static or the record's storage. */
static const char *account_currency(const dom_ctx_t *c, const json_t *a)
{
	const char *cur = rec_str(a, "currency");
	if (*cur)
		return cur;
	return fax_env_currency(c->cfg ? c->cfg->fax : NULL);
}

/* 0 when cur is an ISO 4217 code (three capital letters), else -1 with e. */
static int check_currency(const char *cur, dom_err_t *e)
{
	if (strlen(cur) == 3 && isupper((unsigned char)cur[0]) && isupper((unsigned char)cur[1]) &&
	    isupper((unsigned char)cur[2]))
		return 0;
	return dom_fail(e, "validation-failed", "currency", "currency must be an ISO 4217 code, like EUR");
}

/* The longest sender name of the header line, in characters: with the
 * date, the sending number and "Page n/m" it fits the line. */
#define FAX_HEADER_CHARS 60

/* The "fax_header" of body: absent (*present false), null (reset to the
 * account's name: *out NULL) or a sender name for the header line of every
 * page sent: 1..FAX_HEADER_CHARS characters without control characters. */
static int body_fax_header(const json_t *body, bool *present, const char **out, dom_err_t *e)
{
	*present = json_object_get(body, "fax_header") != NULL;
	if (body_str(body, "fax_header", false, out, e))
		return -1;
	if (!*out)
		return 0;
	size_t chars = 0, n = strlen(*out);
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)(*out)[i] & 0xc0) != 0x80;
	if (!valid_name(*out, n) || chars > FAX_HEADER_CHARS)
		return dom_fail(e, "validation-failed", "fax_header",
			"fax_header must be 1 to %d characters without control characters (null: the "
			"account's name)", FAX_HEADER_CHARS);
	return 0;
}

static json_t *str_or_null(const json_t *a, const char *key)
{
	return *rec_str(a, key) ? json_string(rec_str(a, key)) : json_null();
}

/* Public view of an account, with its owner's identity. */
static json_t *account_view(dom_ctx_t *c, const json_t *a)
{
	store_tx_t *tx = c->tx;
	json_t *owner = json_null();
	json_t *p = *rec_str(a, "owner_id") ? store_principal_get(tx, rec_str(a, "owner_id")) : NULL;
	if (p)
		owner = json_pack("{s:s, s:s, s:s}", "id", rec_str(p, "id"), "email", rec_str(p, "email"),
			"name", rec_str(p, "name"));
	json_decref(p);
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "id",
		rec_str(a, "id"), "name", rec_str(a, "name"), "status", dom_closure_status(tx, a),
		"regulatory_profile", rec_str(a, "regulatory_profile"), "regulatory_effects",
		regprofile_effects(regprofile_find(rec_str(a, "regulatory_profile")), c->lang),
		"currency", account_currency(c, a), "fax_header", str_or_null(a, "fax_header"),
		"partner_id", str_or_null(a, "partner_id"), "owner", owner, "created_at",
		time_json(json_object_get(a, "created_at")), "updated_at",
		time_json(json_object_get(a, "updated_at")));
}

int dom_account_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", "owner", "billing_contacts",
		"regulatory_profile", "partner_id", "currency", "fax_header", NULL };
	static const char *const person_keys[] = { "email", "name", NULL };
	const char *name, *profile, *partner_id, *currency, *fax_header;
	bool has_header;
	if (body_only(body, allowed, e) || body_name(body, "name", true, &name, e) ||
	    body_str(body, "regulatory_profile", false, &profile, e) ||
	    body_str(body, "partner_id", false, &partner_id, e) ||
	    body_str(body, "currency", false, &currency, e) ||
	    body_fax_header(body, &has_header, &fax_header, e))
		return -1;
	if (profile && check_profile(profile, e))
		return -1;
	if (currency && check_currency(currency, e))
		return -1;
	/* Partner staff provision accounts for their own partner only. */
	if (authz_partner_scope(c->who))
		partner_id = authz_partner_scope(c->who);
	if (partner_id) {
		json_t *pa = store_partner_get(c->tx, partner_id);
		if (!pa)
			return dom_fail(e, "validation-failed", "partner_id", "no such partner");
		const json_t *max = json_object_get(pa, "max_accounts");
		int64_t limit = json_is_integer(max) ? json_integer_value(max) : 0;
		json_decref(pa);
		/* Partner self-service (R01), within the provider's limit. */
		if (authz_is_partner(c->who)) {
			int64_t n = store_partner_account_count(c->tx, partner_id);
			if (n < 0)
				return dom_fail(e, "internal", "", "the partner's accounts could not be counted");
			if (n >= limit)
				return dom_fail(e, "partner-limit-reached", "", "your partner may provision %lld accounts and has %lld: "
					"ask the provider for more", (long long)limit, (long long)n);
		}
	}
	const json_t *owner = json_object_get(body, "owner");
	if (!json_is_object(owner))
		return dom_fail(e, "validation-failed", "owner", "\"owner\" must be an object {email, name}");
	char oemail[EMAIL_MAX + 1];
	const char *oname;
	if (body_only(owner, person_keys, e) || body_email(owner, "email", oemail, e) ||
	    body_name(owner, "name", true, &oname, e)) {
		prefix_field(e, "owner.");
		return -1;
	}
	const json_t *billing = json_object_get(body, "billing_contacts");
	if (billing && !json_is_array(billing))
		return dom_fail(e, "validation-failed", "billing_contacts",
			"\"billing_contacts\" must be an array of {email, name}");
	if (json_array_size(billing) > 20)
		return dom_fail(e, "validation-failed", "billing_contacts", "at most 20 billing contacts");

	char *id = sec_new_id("acc");
	int64_t now = time_now_ms();
	json_t *acc = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:I, s:I}", "id", id, "name",
		name, "status", "active", "regulatory_profile", profile ? profile : "none", "partner_id",
		partner_id, "currency", currency, "fax_header", fax_header, "created_at", (json_int_t)now,
		"updated_at", (json_int_t)now);
	int rc = store_account_insert(c->tx, acc);
	json_decref(acc);
	if (rc != STORE_OK) {
		free(id);
		return dom_fail(e, "internal", "", "the account could not be stored");
	}
	char *oid = person_insert(c, "account", id, NULL, oemail, oname, "owner", 0, e);
	if (!oid) {
		free(id);
		return -1;
	}
	json_t *upd = json_pack("{s:s}", "owner_id", oid);
	store_account_update(c->tx, id, upd);
	json_decref(upd);
	json_t *oinv = invite(c, oid);
	json_t *binvs = json_array();
	size_t i;
	const json_t *b;
	json_array_foreach(billing, i, b) {
		char bemail[EMAIL_MAX + 1];
		const char *bname;
		if (body_only(b, person_keys, e) || body_email(b, "email", bemail, e) ||
		    body_name(b, "name", true, &bname, e)) {
			char pre[40];
			snprintf(pre, sizeof pre, "billing_contacts[%zu].", i);
			prefix_field(e, pre);
			goto fail;
		}
		char *bid = person_insert(c, "account", id, NULL, bemail, bname, "billing", 0, e);
		if (!bid)
			goto fail;
		json_t *inv = invite(c, bid);
		json_object_set_new(inv, "email", json_string(bemail));
		json_object_set_new(inv, "user_id", json_string(bid));
		json_array_append_new(binvs, inv);
		free(bid);
	}
	/* A declared profile turns on its stricter settings at once. */
	json_t *changes;
	if (dom_regprofile_apply(c, id, profile, &changes, e) != 0)
		goto fail;
	json_t *detail = json_pack("{s:s, s:s, s:I, s:o}", "name", name, "owner", oemail,
		"billing_contacts", (json_int_t)json_array_size(billing), "regulatory_changes", changes);
	rc = dom_audit(c, "account.create", id, id, "success", detail);
	json_decref(detail);
	if (rc != 0)
		goto fail;
	json_t *stored = store_account_get(c->tx, id, NULL);
	*out = account_view(c, stored);
	json_decref(stored);
	json_object_set_new(*out, "owner_invitation", oinv);
	json_object_set_new(*out, "billing_invitations", binvs);
	free(oid);
	free(id);
	return 0;
fail:
	json_decref(oinv);
	json_decref(binvs);
	free(oid);
	free(id);
	return -1;
}

static json_t *account_item(const json_t *a)
{
	/* List rows carry the owner's identity from a join (see store_account_list). */
	json_t *owner = *rec_str(a, "owner_id")
		? json_pack("{s:s, s:s, s:s}", "id", rec_str(a, "owner_id"), "email",
			rec_str(a, "owner_email"), "name", rec_str(a, "owner_name"))
		: json_null();
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id", rec_str(a, "id"),
		"name", rec_str(a, "name"), "status", rec_str(a, "status"), "regulatory_profile",
		rec_str(a, "regulatory_profile"), "currency", str_or_null(a, "currency"), "fax_header",
		str_or_null(a, "fax_header"), "partner_id", str_or_null(a, "partner_id"),
		"owner", owner, "created_at", time_json(json_object_get(a, "created_at")),
		"updated_at", time_json(json_object_get(a, "updated_at")));
}

int dom_account_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (authz_is_member(c->who)) {
		/* A member's list is its own account. */
		json_t *a = store_account_get(c->tx, c->who->account_id, NULL);
		json_t *items = json_array();
		if (a && !(cursor && *cursor))
			json_array_append_new(items, account_view(c, a));
		json_decref(a);
		*out = json_pack("{s:o, s:n}", "items", items, "next_cursor");
		return 0;
	}
	const char *partner = authz_partner_scope(c->who);
	if (store_account_list(c->tx, partner, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "accounts could not be read");
	*out = page_json(&pg, account_item);
	/* Accounts without a currency of their own use the provider's. */
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(*out, "items"), i, it) {
		if (strcmp(rec_str(it, "status"), "closed") == 0)
			json_object_set_new(it, "status", json_string(dom_closure_status(c->tx, it)));
		if (json_is_null(json_object_get(it, "currency")))
			json_object_set_new(it, "currency", json_string(account_currency(c, it)));
		json_object_set_new(it, "regulatory_effects", regprofile_effects(regprofile_find(
			rec_str(it, "regulatory_profile")), c->lang));
	}
	return 0;
}

int dom_account_get(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	(void)e;
	*out = account_view(c, a);
	json_object_set_new(*out, "contacts_review_due", json_boolean(dom_contacts_overdue(c, a)));
	return dom_audit(c, "account.read", rec_str(a, "id"), rec_str(a, "id"), "success", NULL);
}

/* Writes fields to the account, records `action` with detail, and answers
 * the account as it now is. */
static int account_apply(dom_ctx_t *c, const json_t *a, const json_t *fields, const char *action,
	const json_t *detail, json_t **out, dom_err_t *e)
{
	int rc = store_account_update(c->tx, rec_str(a, "id"), fields);
	if (rc == STORE_OK)
		rc = dom_audit(c, action, rec_str(a, "id"), rec_str(a, "id"), "success", detail);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the account could not be updated");
	json_t *stored = store_account_get(c->tx, rec_str(a, "id"), NULL);
	*out = account_view(c, stored);
	json_decref(stored);
	return 0;
}

int dom_account_update(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "name", "regulatory_profile", "currency", "fax_header",
		NULL };
	const char *name, *profile, *currency, *fax_header;
	bool has_header;
	if (body_only(body, allowed, e) || body_name(body, "name", false, &name, e) ||
	    body_str(body, "regulatory_profile", false, &profile, e) ||
	    body_str(body, "currency", false, &currency, e) ||
	    body_fax_header(body, &has_header, &fax_header, e))
		return -1;
	if (profile && check_profile(profile, e))
		return -1;
	if (currency && check_currency(currency, e))
		return -1;
	/* The currency prices the account's faxes: the provider's to set. */
	if (currency && !authz_holds(c->who, PERM_PROVIDER_ACCOUNTS_MANAGE))
		return dom_fail(e, "forbidden", "currency",
			"the account's currency is set by the provider (provider.accounts.manage)");
	json_t *upd = json_pack("{s:I}", "updated_at", (json_int_t)time_now_ms());
	json_t *detail = json_object();
	if (name) {
		json_object_set_new(upd, "name", json_string(name));
		json_object_set_new(detail, "name", json_pack("{s:s, s:s}", "old", rec_str(a, "name"), "new", name));
	}
	if (currency) {
		json_object_set_new(upd, "currency", json_string(currency));
		json_object_set_new(detail, "currency", json_pack("{s:s, s:s}", "old",
			account_currency(c, a), "new", currency));
	}
	if (has_header) {
		/* null: back to the account's name. */
		json_object_set_new(upd, "fax_header", fax_header ? json_string(fax_header) : json_null());
		json_object_set_new(detail, "fax_header", json_pack("{s:o, s:o}", "old",
			str_or_null(a, "fax_header"), "new", fax_header ? json_string(fax_header) : json_null()));
	}
	if (profile) {
		json_object_set_new(upd, "regulatory_profile", json_string(profile));
		json_object_set_new(detail, "regulatory_profile", json_pack("{s:s, s:s}", "old",
			rec_str(a, "regulatory_profile"), "new", profile));
		/* The profile's settings apply from now on (and are kept by every
		 * later change); leaving a profile relaxes nothing by itself. */
		json_t *changes;
		if (dom_regprofile_apply(c, rec_str(a, "id"), profile, &changes, e) != 0) {
			json_decref(upd);
			json_decref(detail);
			return -1;
		}
		json_object_set_new(detail, "regulatory_changes", changes);
	}
	int rc = account_apply(c, a, upd, "account.update", detail, out, e);
	json_decref(upd);
	json_decref(detail);
	return rc;
}

int dom_account_set_status(dom_ctx_t *c, const json_t *a, const char *status, json_t **out,
	dom_err_t *e)
{
	const char *old = rec_str(a, "status");
	if (strcmp(old, "closed") == 0)
		return dom_fail(e, "conflict", "", "a closed account cannot change status");
	const char *action = strcmp(status, "suspended") == 0 ? "account.suspend"
		: strcmp(status, "closed") == 0 ? "account.close" : "account.reactivate";
	json_t *upd = json_pack("{s:s, s:I}", "status", status, "updated_at", (json_int_t)time_now_ms());
	json_t *detail = json_pack("{s:s, s:s}", "old", old, "new", status);
	int rc = account_apply(c, a, upd, action, detail, out, e);
	json_decref(upd);
	json_decref(detail);
	return rc;
}

int dom_owner_transfer(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "user_id", NULL };
	const char *uid;
	if (body_only(body, allowed, e) || body_str(body, "user_id", true, &uid, e))
		return -1;
	/* Only the owner, in person, hands ownership over. */
	authz_resource_t own = { .kind = AUTHZ_RES_ACCOUNT, .account_id = rec_str(a, "id") };
	if (authz_resource(c->who, AUTHZ_OWN, &own, NULL) != AUTHZ_ALLOW)
		return dom_fail(e, "owner-only", "", "only the account owner can transfer ownership");
	if (strcmp(uid, c->who->person_id) == 0)
		return dom_fail(e, "validation-failed", "user_id", "you already own this account");
	json_t *target = store_member_get(c->tx, rec_str(a, "id"), uid);
	if (!target) {
		return dom_fail(e, "not-found", "user_id", "no such user in this account");
	}
	if (strcmp(rec_str(target, "status"), "active") != 0) {
		json_decref(target);
		return dom_fail(e, "validation-failed", "user_id",
			"the new owner must be an active user (invitation accepted)");
	}
	int64_t now = time_now_ms();
	json_t *up_new = json_pack("{s:s, s:s, s:I}", "role", "owner", "permissions", "", "updated_at",
		(json_int_t)now);
	json_t *up_old = json_pack("{s:s, s:I}", "role", "admin", "updated_at", (json_int_t)now);
	json_t *up_acc = json_pack("{s:s, s:I}", "owner_id", uid, "updated_at", (json_int_t)now);
	int rc = store_principal_update(c->tx, uid, up_new);
	if (rc == STORE_OK)
		rc = store_principal_update(c->tx, c->who->person_id, up_old);
	if (rc == STORE_OK)
		rc = store_account_update(c->tx, rec_str(a, "id"), up_acc);
	json_decref(up_new);
	json_decref(up_old);
	json_decref(up_acc);
	json_t *detail = json_pack("{s:s, s:s}", "old_owner", c->who->person_id, "new_owner", uid);
	if (rc == STORE_OK)
		rc = dom_audit(c, "account.owner_transfer", rec_str(a, "id"), rec_str(a, "id"), "success", detail);
	json_decref(detail);
	json_decref(target);
	if (rc != 0)
		return dom_fail(e, "internal", "", "ownership could not be transferred");
	json_t *stored = store_account_get(c->tx, rec_str(a, "id"), NULL);
	*out = account_view(c, stored);
	json_decref(stored);
	return 0;
}

int dom_account_close(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	/* The older form of POST /v1/accounts/{id}/closure: the account
	 * answered as it now is, closing. */
	json_t *k;
	if (dom_closure_start(c, a, NULL, &k, e) != 0)
		return -1;
	json_decref(k);
	json_t *stored = store_account_get(c->tx, rec_str(a, "id"), NULL);
	*out = account_view(c, stored);
	json_decref(stored);
	return 0;
}
