/* An account's security contacts (see seccontacts.h). */
#include "tenancy.h"

#include <string.h>
#include <strings.h>

#include "dom_util.h"
#include "numbers/numbers.h"
#include "sec.h"
#include "store_status.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

static json_t *contact_json(const json_t *r)
{
	const char *phone = rec_str(r, "phone");
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o}", "id", rec_str(r, "id"), "name",
		rec_str(r, "name"), "email", rec_str(r, "email"), "phone",
		*phone ? json_string(phone) : json_null(), "lang", rec_str(r, "lang"), "created_at",
		time_json(json_object_get(r, "created_at")));
}

int dom_seccontact_list(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e)
{
	const char *acc = rec_str(account, "id");
	json_t *rows = store_seccontacts(c->tx, acc);
	if (!rows)
		return dom_fail(e, "internal", "", "the security contacts could not be read");
	json_t *items = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append_new(items, contact_json(r));
	json_decref(rows);
	*out = json_pack("{s:o}", "items", items);
	return dom_read_audited(c, "security_contact.list", acc, acc, out, e);
}

int dom_seccontact_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "name", "email", "phone", "lang", NULL };
	const char *name, *phone, *lang;
	char email[EMAIL_MAX + 1];
	if (body_only(body, allowed, e) != 0 || body_name(body, "name", true, &name, e) != 0 ||
	    body_email(body, "email", email, e) != 0 || body_str(body, "phone", false, &phone, e) != 0 ||
	    body_str(body, "lang", false, &lang, e) != 0)
		return -1;
	if (phone && !e164_valid(phone))
		return dom_fail(e, "validation-failed", "phone", "\"phone\" is a number in E.164 form (+…)");
	if (!lang)
		lang = "en";
	if (strcmp(lang, "en") != 0 && strcmp(lang, "fr") != 0)
		return dom_fail(e, "validation-failed", "lang", "\"lang\" is en or fr");
	const char *acc = rec_str(account, "id");
	json_t *have = store_seccontacts(c->tx, acc);
	if (!have)
		return dom_fail(e, "internal", "", "the security contacts could not be read");
	size_t n = json_array_size(have), i;
	json_t *r;
	bool dup = false;
	json_array_foreach(have, i, r)
		if (strcmp(rec_str(r, "email"), email) == 0)
			dup = true;
	json_decref(have);
	if (dup)
		return dom_fail(e, "conflict", "email", "this address is already a security contact");
	if (n >= SECCONTACTS_MAX)
		return dom_fail(e, "validation-failed", "", "an account has at most 10 security contacts");
	char *id = sec_new_id("scn");
	json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "account_id", acc,
		"name", name, "email", email, "phone", phone ? phone : "", "lang", lang, "created_by",
		dom_actor_id(c), "created_at", (json_int_t)time_now_ms());
	json_t *detail = json_pack("{s:s}", "lang", lang);
	int rc = store_seccontact_insert(c->tx, row) != STORE_OK ||
		dom_audit(c, "security_contact.create", id, acc, "success", detail) != STORE_OK;
	json_decref(detail);
	if (rc) {
		json_decref(row);
		free(id);
		return dom_fail(e, "internal", "", "the security contact could not be recorded");
	}
	*out = contact_json(row);
	json_decref(row);
	free(id);
	return 0;
}

int dom_seccontact_delete(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e)
{
	const char *acc = rec_str(account, "id");
	int rc = store_seccontact_delete(c->tx, acc, id);
	if (rc == STORE_NOTFOUND)
		return dom_fail(e, "not-found", "", "no such security contact");
	if (rc != STORE_OK || dom_audit(c, "security_contact.delete", id, acc, "success", NULL) != STORE_OK)
		return dom_fail(e, "internal", "", "the security contact could not be removed");
	*out = NULL;
	return 0;
}

int seccontact_recipients(store_tx_t *tx, const char *account_id, json_t *people)
{
	json_t *rows = store_seccontacts(tx, account_id);
	if (!rows)
		return -1;
	size_t i, k;
	json_t *r, *p;
	json_array_foreach(rows, i, r) {
		bool known = false;
		json_array_foreach(people, k, p)
			if (strcasecmp(rec_str(p, "email"), rec_str(r, "email")) == 0)
				known = true;
		if (!known)
			json_array_append_new(people, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id",
				rec_str(r, "id"), "account_id", account_id, "email", rec_str(r, "email"), "name",
				rec_str(r, "name"), "lang", rec_str(r, "lang")));
	}
	json_decref(rows);
	return 0;
}
