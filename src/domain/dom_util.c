/* Shared domain helpers (see dom_util.h). */
#include "dom_util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "notify/notify.h"
#include "sec.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

int dom_fail_msg(dom_err_t *e, const char *kind, const char *field, const i18n_msg_t *m)
{
	e->kind = kind;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	e->retry_after_s = 0;
	snprintf(e->detail, sizeof e->detail, "%s", m->en);
	snprintf(e->detail_fr, sizeof e->detail_fr, "%s", m->fr);
	return -1;
}

int dom_fail(dom_err_t *e, const char *kind, const char *field, const char *fmt, ...)
{
	i18n_msg_t m;
	va_list ap;
	va_start(ap, fmt);
	i18n_msg_vset(&m, fmt, ap);
	va_end(ap);
	return dom_fail_msg(e, kind, field, &m);
}

int dom_fail_text(dom_err_t *e, const char *kind, const char *field, const char *text)
{
	i18n_msg_t m;
	i18n_msg_text(&m, text);
	return dom_fail_msg(e, kind, field, &m);
}

int dom_fail_sub(dom_err_t *e, const char *kind, const char *field, const char *fmt,
	const char *text)
{
	i18n_msg_t m;
	i18n_msg_sub(&m, fmt, text);
	return dom_fail_msg(e, kind, field, &m);
}

const char *dom_err_detail(const dom_err_t *e, const char *lang)
{
	return i18n_is_fr(lang) && e->detail_fr[0] ? e->detail_fr : e->detail;
}

int dom_audit(dom_ctx_t *c, const char *action, const char *target, const char *account_id,
	const char *outcome, const json_t *detail)
{
	audit_ctx_t a = { .who = c->who, .actor = c->actor, .source = c->source,
		.request_id = c->request_id };
	return audit_record(c->tx, &a, action, target, account_id, outcome, detail);
}

const char *rec_str(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? s : "";
}

int body_only(const json_t *body, const char *const *allowed, dom_err_t *e)
{
	if (!json_is_object(body))
		return dom_fail(e, "validation-failed", "", "the request body must be a JSON object");
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)body, k, v) {
		bool ok = false;
		for (int i = 0; allowed[i] && !ok; i++)
			ok = strcmp(allowed[i], k) == 0;
		if (!ok)
			return dom_fail(e, "validation-failed", k, "unknown field \"%.60s\"", k);
	}
	return 0;
}

int body_str(const json_t *body, const char *key, bool required, const char **out, dom_err_t *e)
{
	const json_t *v = json_object_get(body, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return dom_fail(e, "validation-failed", key, "\"%s\" is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return dom_fail(e, "validation-failed", key, "\"%s\" must be a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return dom_fail(e, "validation-failed", key, "\"%s\" must not contain NUL", key);
	*out = json_string_value(v);
	return 0;
}

int body_email(const json_t *body, const char *key, char *out, dom_err_t *e)
{
	const char *s;
	if (body_str(body, key, true, &s, e))
		return -1;
	size_t n = strlen(s);
	if (!valid_email(s, n))
		return dom_fail(e, "validation-failed", key, "\"%s\" is not a valid e-mail address", key);
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	return 0;
}

int body_name(const json_t *body, const char *key, bool required, const char **out, dom_err_t *e)
{
	if (body_str(body, key, required, out, e))
		return -1;
	if (*out && !valid_name(*out, strlen(*out)))
		return dom_fail(e, "validation-failed", key,
			"\"%s\" must be 1 to 200 bytes of text without control characters", key);
	return 0;
}

int body_text(const json_t *body, bool required, const char *key, size_t max, const char **out,
	dom_err_t *e)
{
	if (body_str(body, key, required, out, e) != 0)
		return -1;
	if (!*out)
		return 0;
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)*out; *p; p++) {
		if ((*p & 0xC0) != 0x80)
			n++;
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			return dom_fail(e, "validation-failed", key, "\"%s\" must not hold control characters",
				key);
	}
	if (n == 0 || n > max)
		return dom_fail(e, "validation-failed", key, "\"%s\" must be 1 to %zu characters", key, max);
	return 0;
}

const char *dom_actor_id(const dom_ctx_t *c)
{
	return c->who ? c->who->id : c->actor ? c->actor : "system";
}

json_t *time_json(const json_t *ms)
{
	if (!json_is_integer(ms) || json_integer_value(ms) == 0)
		return json_null();
	char b[40];
	return json_string(time_format_rfc3339(json_integer_value(ms), b, sizeof b));
}

perm_set_t person_perms(const json_t *p)
{
	const char *role = rec_str(p, "role");
	if (strcmp(role, "custom") == 0)
		return perm_set_from_string(rec_str(p, "permissions")) & perm_account_scope();
	return perm_role(rec_str(p, "kind"), role);
}

json_t *person_public(const json_t *p)
{
	return person_public_as(p, person_perms(p));
}

/* p's string member key, shared (its text as read, not copied), or a new
 * "" when p has none. */
static json_t *rec_string(const json_t *p, const char *key)
{
	json_t *v = json_object_get(p, key);
	return json_is_string(v) ? json_incref(v) : json_string_nocheck("");
}

json_t *person_public_as(const json_t *p, perm_set_t perms)
{
	/* Member by member, the record's strings shared: json_pack read its
	 * format, and checked and copied each string again, in every answer
	 * about a person (GET /v1/me, a member's record). */
	static const char *const shown[] = { "id", "email", "name", "role", "status", NULL };
	json_t *o = json_object();
	for (int i = 0; shown[i]; i++)
		json_object_set_new_nocheck(o, shown[i], rec_string(p, shown[i]));
	json_object_set_new_nocheck(o, "permissions", perm_set_to_json(perms));
	json_object_set_new_nocheck(o, "created_at", time_json(json_object_get(p, "created_at")));
	json_object_set_new_nocheck(o, "updated_at", time_json(json_object_get(p, "updated_at")));
	if (*rec_str(p, "account_id"))
		json_object_set_new_nocheck(o, "account_id", rec_string(p, "account_id"));
	if (*rec_str(p, "partner_id"))
		json_object_set_new_nocheck(o, "partner_id", rec_string(p, "partner_id"));
	/* A named custom role (roles.h): its id and name. */
	if (*rec_str(p, "role_id")) {
		json_t *cr = json_object();
		json_object_set_new_nocheck(cr, "id", rec_string(p, "role_id"));
		json_object_set_new_nocheck(cr, "name", rec_string(p, "role_name"));
		json_object_set_new_nocheck(o, "custom_role", cr);
	}
	/* A hard bounce of the current address (docs/mail.md, "Bounces"). */
	if (json_is_integer(json_object_get(p, "mail_bounced_at"))) {
		json_object_set_new_nocheck(o, "mail_bounced_at", time_json(json_object_get(p,
			"mail_bounced_at")));
		json_object_set_new_nocheck(o, "mail_bounce_status", rec_string(p, "mail_bounce_status"));
	}
	return o;
}

json_t *invite(dom_ctx_t *c, const char *principal_id)
{
	char *tok = sec_new_token("fvi_");
	char h[SEC_SHA256_HEX];
	sec_token_hash(tok, h);
	int64_t exp = time_now_ms() + (int64_t)c->cfg->invitation_days * 86400000;
	json_t *r = NULL;
	if (store_invitation_insert(c->tx, h, principal_id, exp) == STORE_OK) {
		char b[40];
		r = json_pack("{s:s, s:s}", "token", tok, "expires_at", time_format_rfc3339(exp, b, sizeof b));
		/* The invitation goes by mail too, in the inviter's language
		 * (the person has chosen none yet). */
		json_t *p = store_principal_get(c->tx, principal_id);
		json_t *params = json_pack("{s:s, s:s}", "name", p ? rec_str(p, "name") : "",
			"expires_at", b);
		if (!p || dom_mail_queue(c, MAIL_KIND_INVITATION, p, c->lang, params, tok) != 0) {
			json_decref(r);
			r = NULL;
		}
		json_decref(params);
		json_decref(p);
	}
	free(tok);
	return r;
}

char *person_insert(dom_ctx_t *c, const char *kind, const char *account_id,
	const char *partner_id, const char *email, const char *name, const char *role,
	perm_set_t custom, dom_err_t *e)
{
	char *id = sec_new_id("usr");
	char *perms = perm_set_to_string(custom);
	int64_t now = time_now_ms();
	json_t *rec = json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
		"id", id, "kind", kind, "account_id", account_id, "partner_id", partner_id,
		"email", email, "name", name, "role", role, "permissions", perms, "status", "invited",
		"created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	free(perms);
	int rc = store_principal_insert(c->tx, rec);
	json_decref(rec);
	if (rc == STORE_CONFLICT) {
		free(id);
		dom_fail(e, "email-taken", "email", "the e-mail address %s is already in use", email);
		return NULL;
	}
	if (rc != STORE_OK) {
		free(id);
		dom_fail(e, "internal", "", "the record could not be stored");
		return NULL;
	}
	return id;
}

json_t *person_by_token(dom_ctx_t *c, char *(*find)(store_tx_t *, const char *, int64_t),
	const char *token, const char *status)
{
	char h[SEC_SHA256_HEX];
	sec_token_hash(token, h);
	char *pid = find(c->tx, h, time_now_ms());
	json_t *p = pid ? store_principal_get(c->tx, pid) : NULL;
	free(pid);
	if (p && strcmp(rec_str(p, "status"), status) != 0) {
		json_decref(p);
		p = NULL;
	}
	return p;
}

int token_use(dom_ctx_t *c, char *(*take)(store_tx_t *, const char *, int64_t), const char *token)
{
	char h[SEC_SHA256_HEX];
	sec_token_hash(token, h);
	char *pid = take(c->tx, h, time_now_ms());
	int rc = pid ? 0 : -1;
	free(pid);
	return rc;
}

int token_attempt_failed(dom_ctx_t *c, const char *action, const json_t *person,
	const char *reason)
{
	principal_t who;
	const principal_t *prev = c->who;
	if (person) {
		dom_principal_from_record(c->tx, person, &who);
		c->who = &who;
	}
	json_t *d = json_pack("{s:s}", "reason", reason);
	if (dom_audit(c, action, person ? rec_str(person, "id") : "",
		    person ? rec_str(person, "account_id") : NULL, "failure", d) == 0)
		c->keep_on_error = true;
	json_decref(d);
	c->who = prev;
	return -1;
}

int invited_person_answer(dom_ctx_t *c, const char *id, const char *action,
	const char *account_id, const json_t *detail, json_t **out, dom_err_t *e)
{
	json_t *inv = invite(c, id);
	int rc = dom_audit(c, action, id, account_id, "success", detail);
	json_t *p = store_principal_get(c->tx, id);
	if (rc != 0 || !p || !inv) {
		json_decref(p);
		json_decref(inv);
		return dom_fail(e, "internal", "", "the person could not be stored");
	}
	*out = person_public(p);
	json_object_set_new(*out, "invitation", inv);
	json_decref(p);
	return 0;
}

json_t *page_json(store_page_t *pg, json_t *(*fn)(const json_t *))
{
	json_t *items = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(pg->items, i, it)
		json_array_append_new(items, fn(it));
	json_t *o = json_pack("{s:o, s:s?}", "items", items, "next_cursor", pg->next_cursor);
	store_page_free(pg);
	return o;
}

int dom_tx_pause(dom_ctx_t *c, dom_err_t *e)
{
	if (!c->tx)
		return dom_fail(e, "internal", "", "no transaction to pause");
	int rc = store_commit(c->tx);
	c->tx = NULL;
	if (rc != STORE_OK)
		return dom_fail(e, "unavailable", "", "the change could not be committed");
	return 0;
}

int dom_tx_resume(dom_ctx_t *c, dom_err_t *e)
{
	if (c->tx)
		return 0;
	c->tx = store_begin(c->store, true);
	if (!c->tx)
		return dom_fail(e, "unavailable", "", "the database is not reachable");
	return 0;
}

int dom_read_audited(dom_ctx_t *c, const char *action, const char *target,
	const char *account_id, json_t **out, dom_err_t *e)
{
	return dom_read_audited_filter(c, action, target, account_id, NULL, out, e);
}

int dom_read_audited_filter(dom_ctx_t *c, const char *action, const char *target,
	const char *account_id, const json_t *filter, json_t **out, dom_err_t *e)
{
	const json_t *items = json_object_get(*out, "items");
	json_t *d = json_is_array(items) ? json_pack("{s:I}", "count", (json_int_t)json_array_size(items))
		: NULL;
	if (d && filter && json_object_size(filter))
		json_object_set(d, "filter", (json_t *)filter);
	int rc = dom_audit(c, action, target, account_id, "success", d);
	json_decref(d);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the read could not be recorded");
	}
	return 0;
}
