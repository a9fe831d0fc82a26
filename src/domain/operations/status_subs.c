/* Mail subscriptions to the status board and maintenance reminders (see
 * status_subs.h). */
#include "operations.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dom_util.h"
#include "log.h"
#include "notify/notify.h"
#include "sec.h"
#include "identity/identity.h"
#include "operations_int.h"
#include "store.h"
#include "store_status.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define UNSUB_PURPOSE "status_unsubscribe"

/* A maintenance reminder's lead before the window: its mark in the
 * incident's reminders column and its words. Nearest last. */
static const struct lead {
	const char *mark;
	int64_t ms;
	const char *en, *fr;
} leads[] = {
	{ "24h", 24 * 3600000LL, "24 hours", "24 heures" },
	{ "1h", 3600000LL, "1 hour", "1 heure" },
};
#define NLEADS (sizeof leads / sizeof leads[0])

static bool lang_fr(const char *lang)
{
	return strcmp(lang, "fr") == 0;
}

/* The subscription's components as an array (new reference; [] when unreadable). */
static json_t *json_list(const char *text)
{
	json_t *a = json_loads(text, 0, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		a = json_array();
	}
	return a;
}

static json_t *sub_json(const json_t *r)
{
	const char *uid = rec_str(r, "user_id");
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", rec_str(r, "id"), "email",
		rec_str(r, "email"), "name", rec_str(r, "name"), "lang", rec_str(r, "lang"), "components",
		json_list(rec_str(r, "components")), "user_id", *uid ? json_string(uid) : json_null(),
		"created_at", time_json(json_object_get(r, "created_at")));
}

/* Whether subscription s still gets mail: a member's own subscription
 * stops while the member is not active (deprovisioned, or gone). */
static bool sub_live(dom_ctx_t *c, const json_t *s)
{
	const char *uid = rec_str(s, "user_id");
	if (!*uid)
		return true;
	json_t *m = store_member_get(c->tx, rec_str(s, "account_id"), uid);
	bool live = m && strcmp(rec_str(m, "status"), "active") == 0;
	json_decref(m);
	return live;
}

/* The names of the component ids of ids in the language of list (component
 * records), joined with ", " (malloc'd). */
static char *component_names(json_t *list, const json_t *ids)
{
	buf_t b;
	buf_init(&b, 1 << 16);
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		json_t *comp = status_component_find(list, json_string_value(id));
		if (b.len)
			buf_puts(&b, ", ");
		buf_puts(&b, comp ? rec_str(comp, "name") : json_string_value(id));
	}
	if (!b.len)
		buf_puts(&b, "-");
	return buf_steal(&b);
}

/* Whether the arrays of component ids a and b share one. */
static bool share(const json_t *a, const json_t *b)
{
	size_t i, k;
	json_t *x, *y;
	json_array_foreach(a, i, x)
		json_array_foreach(b, k, y)
			if (json_equal(x, y))
				return true;
	return false;
}

/* The components lists in English and in French (new references). */
static void lists_load(dom_ctx_t *c, json_t **en, json_t **fr)
{
	dom_ctx_t cc = *c;
	cc.lang = "en";
	*en = status_component_list(&cc);
	cc.lang = "fr";
	*fr = status_component_list(&cc);
}

/* "Window: A to B (UTC)" or "Since A (UTC)" for inc in lang, into out. */
static void when_text(const json_t *inc, bool fr, char *out, size_t outlen)
{
	char a[40], b[40];
	if (strcmp(rec_str(inc, "kind"), "maintenance") == 0) {
		time_format_rfc3339(json_integer_value(json_object_get(inc, "starts_at")), a, sizeof a);
		time_format_rfc3339(json_integer_value(json_object_get(inc, "ends_at")), b, sizeof b);
		snprintf(out, outlen, fr ? "Fenêtre : du %s au %s (UTC)" : "Window: %s to %s (UTC)", a, b);
	} else {
		time_format_rfc3339(json_integer_value(json_object_get(inc, "created_at")), a, sizeof a);
		snprintf(out, outlen, fr ? "Depuis le %s (UTC)" : "Since %s (UTC)", a);
	}
}

/* Queues one mail of kind to subscription s about incident inc, with the
 * update u (NULL: the first one) and, for a reminder, lead. 0 / -1. */
static int sub_mail(dom_ctx_t *c, const char *kind, const json_t *s, const json_t *inc,
	const json_t *u, const struct lead *lead, json_t *list_en, json_t *list_fr)
{
	bool fr = lang_fr(rec_str(s, "lang"));
	json_t *ids = json_list(rec_str(inc, "components"));
	char *names = component_names(fr ? list_fr : list_en, ids);
	json_decref(ids);
	char when[160];
	when_text(inc, fr, when, sizeof when);
	bool maint = strcmp(rec_str(inc, "kind"), "maintenance") == 0;
	json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", rec_str(s, "name"),
		"components", names, "title", rec_str(inc, fr ? "title_fr" : "title_en"), "when", when,
		"kind_label", maint ? "Maintenance" : "Incident", "incident_id", rec_str(inc, "id"));
	free(names);
	if (u) {
		json_object_set_new(params, "status", json_string(status_label(fr, "status",
			rec_str(u, "status"))));
		json_object_set_new(params, "message", json_string(rec_str(u, fr ? "body_fr" : "body_en")));
	}
	if (lead)
		json_object_set_new(params, "lead", json_string(fr ? lead->fr : lead->en));
	char *token = secret_open_tx(c->tx, c->cfg->fax, rec_str(s, "account_id"), UNSUB_PURPOSE,
		rec_str(s, "id"), rec_str(s, "token_sealed"));
	json_t *person = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", rec_str(s, "id"), "account_id",
		rec_str(s, "account_id"), "email", rec_str(s, "email"), "name", rec_str(s, "name"), "lang",
		rec_str(s, "lang"));
	/* Without its token (no key: tools) the mail could not be stopped: none. */
	int rc = token ? dom_mail_queue(c, kind, person, NULL, params, token) : 0;
	if (token) {
		sodium_memzero(token, strlen(token));
		free(token);
	}
	json_decref(person);
	json_decref(params);
	return rc;
}

int status_subs_notify(dom_ctx_t *c, const char *incident_id)
{
	if (!c->cfg->mail_on)
		return 0;
	json_t *inc = store_status_incident_get(c->tx, incident_id);
	json_t *ups = inc ? store_status_updates(c->tx, incident_id) : NULL;
	json_t *subs = ups ? store_status_subs(c->tx, NULL) : NULL;
	if (!subs) {
		json_decref(inc);
		json_decref(ups);
		return -1;
	}
	const json_t *u = json_array_get(ups, json_array_size(ups) - 1);
	json_t *ids = json_list(rec_str(inc, "components"));
	json_t *en, *fr;
	lists_load(c, &en, &fr);
	int rc = 0, n = 0;
	size_t i;
	json_t *s;
	json_array_foreach(subs, i, s) {
		json_t *mine = json_list(rec_str(s, "components"));
		if (share(mine, ids) && sub_live(c, s)) {
			if (sub_mail(c, MAIL_KIND_STATUS_UPDATE, s, inc, u, NULL, en, fr) != 0)
				rc = -1;
			n++;
		}
		json_decref(mine);
	}
	if (n)
		log_event(LOG_INFO, "status.mailed", "incident=%s subscribers=%d", incident_id, n);
	json_decref(en);
	json_decref(fr);
	json_decref(ids);
	json_decref(subs);
	json_decref(ups);
	json_decref(inc);
	return rc;
}

/* Whether the space-separated marks hold mark. */
static bool has_mark(const char *marks, const char *mark)
{
	size_t n = strlen(mark);
	for (const char *p = marks; (p = strstr(p, mark)) != NULL; p += n)
		if ((p == marks || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

/* The time left before a window, in words ("50 minutes", "23 heures
 * 10 minutes"), for a reminder mailed after its lead passed. */
static void left_words(int64_t left_ms, bool fr, char *out, size_t outlen)
{
	int64_t m = left_ms / 60000, h = m / 60;
	m %= 60;
	if (h == 0 && m == 0) {
		snprintf(out, outlen, "%s", fr ? "moins d’une minute" : "less than a minute");
		return;
	}
	char hp[40] = "", mp[40] = "";
	if (h)
		snprintf(hp, sizeof hp, "%lld %s%s", (long long)h, fr ? "heure" : "hour", h > 1 ? "s" : "");
	if (m)
		snprintf(mp, sizeof mp, "%lld minute%s", (long long)m, m > 1 ? "s" : "");
	snprintf(out, outlen, "%s%s%s", hp, h && m ? " " : "", mp);
}

/* A reminder more than this late (the service was stopped, the clock
 * jumped) says the time actually left instead of its lead's words. */
#define REMINDER_LATE_MS (10 * 60000LL)

int status_subs_remind(dom_ctx_t *c, int64_t now)
{
	json_t *wins = store_status_windows_ahead(c->tx, now);
	if (!wins)
		return -1;
	json_t *subs = NULL, *en = NULL, *fr = NULL;
	int rc = 0, changed = 0;
	size_t i;
	json_t *w;
	json_array_foreach(wins, i, w) {
		int64_t starts = json_integer_value(json_object_get(w, "starts_at"));
		int64_t created = json_integer_value(json_object_get(w, "created_at"));
		const char *marks = rec_str(w, "reminders");
		const struct lead *due[NLEADS];
		size_t ndue = 0;
		buf_t nm;
		buf_init(&nm, 1024);
		buf_puts(&nm, marks);
		for (size_t k = 0; k < NLEADS; k++) {
			if (has_mark(marks, leads[k].mark) || starts - now > leads[k].ms)
				continue;
			/* Announced inside the lead already: that lead is passed. */
			if (created <= starts - leads[k].ms)
				due[ndue++] = &leads[k];
			buf_printf(&nm, "%s%s", nm.len ? " " : "", leads[k].mark);
		}
		if (nm.len != strlen(marks)) {
			if (ndue && !subs) {
				subs = store_status_subs(c->tx, NULL);
				lists_load(c, &en, &fr);
			}
			json_t *ids = json_list(rec_str(w, "components"));
			json_t *ups = ndue ? store_status_updates(c->tx, rec_str(w, "id")) : NULL;
			const json_t *u = json_array_get(ups, json_array_size(ups) - 1);
			/* Every lead due is mailed, farthest first: of several due at
			 * once (the service was stopped), none is lost. */
			for (size_t d = 0; d < ndue; d++) {
				struct lead late = *due[d];
				char w_en[64], w_fr[64];
				if (due[d]->ms - (starts - now) > REMINDER_LATE_MS) {
					left_words(starts - now, false, w_en, sizeof w_en);
					left_words(starts - now, true, w_fr, sizeof w_fr);
					late.en = w_en;
					late.fr = w_fr;
				}
				size_t k;
				json_t *s;
				json_array_foreach(subs, k, s) {
					json_t *mine = json_list(rec_str(s, "components"));
					if (share(mine, ids) && sub_live(c, s) &&
					    sub_mail(c, MAIL_KIND_STATUS_REMINDER, s, w, u, &late, en, fr) != 0)
						rc = -1;
					json_decref(mine);
				}
				log_event(LOG_INFO, "status.reminder", "window=%s lead=%s", rec_str(w, "id"),
					due[d]->mark);
			}
			json_decref(ups);
			json_decref(ids);
			if (store_status_set_reminders(c->tx, rec_str(w, "id"), nm.data) != STORE_OK)
				rc = -1;
			changed++;
		}
		buf_free(&nm);
	}
	json_decref(en);
	json_decref(fr);
	json_decref(subs);
	json_decref(wins);
	return rc == 0 ? changed : -1;
}

/* ---- the account's side ---- */

int dom_status_sub_list(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e)
{
	const char *acc = rec_str(account, "id");
	json_t *rows = store_status_subs(c->tx, acc);
	if (!rows)
		return dom_fail(e, "internal", "", "the subscriptions could not be read");
	json_t *items = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append_new(items, sub_json(r));
	json_decref(rows);
	*out = json_pack("{s:o}", "items", items);
	return dom_read_audited(c, "status_subscription.list", acc, acc, out, e);
}

/* Checks components (1 to 64 known ids, each once). 0 / -1. */
static int check_ids(dom_ctx_t *c, const json_t *arr, dom_err_t *e)
{
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 64)
		return dom_fail(e, "validation-failed", "components",
			"\"components\" must be a list of 1 to 64 component ids (see GET /status.json)");
	json_t *list = status_component_list(c);
	size_t i, k;
	json_t *id, *other;
	int rc = 0;
	json_array_foreach(arr, i, id) {
		if (!json_is_string(id) || !status_component_find(list, json_string_value(id))) {
			rc = dom_fail(e, "validation-failed", "components", "no such component: %.80s",
				json_is_string(id) ? json_string_value(id) : "(not a string)");
			break;
		}
		json_array_foreach(arr, k, other)
			if (k < i && json_equal(id, other)) {
				rc = dom_fail(e, "validation-failed", "components",
					"a component is named twice: %.80s", json_string_value(id));
				break;
			}
		if (rc)
			break;
	}
	json_decref(list);
	return rc;
}

/* Records a subscription of email (a member's own when user_id is set) to
 * comps and mails its confirmation. 0 / -1. */
static int sub_insert(dom_ctx_t *c, const char *acc, const char *email, const char *name,
	const char *lang, const json_t *comps, const char *user_id, json_t **out, dom_err_t *e)
{
	json_t *have = store_status_subs(c->tx, acc);
	if (!have)
		return dom_fail(e, "internal", "", "the subscriptions could not be read");
	size_t n = json_array_size(have), i;
	json_t *r;
	bool dup = false;
	json_array_foreach(have, i, r)
		if (strcmp(rec_str(r, "email"), email) == 0)
			dup = true;
	json_decref(have);
	if (dup)
		return dom_fail(e, "conflict", "email",
			"this address is subscribed already: remove its subscription first");
	if (n >= STATUS_SUBS_MAX)
		return dom_fail(e, "validation-failed", "", "an account has at most 100 subscriptions");
	char *id = sec_new_id("sts");
	char *token = sec_new_token("fvu_");
	char hash[SEC_SHA256_HEX];
	sec_token_hash(token, hash);
	char *sealed = secret_seal_tx(c->tx, c->cfg->fax, acc, UNSUB_PURPOSE, id, token);
	char *ctext = json_dumps(comps, JSON_COMPACT);
	json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", id,
		"account_id", acc, "email", email, "name", name ? name : "", "lang", lang, "components",
		ctext ? ctext : "[]", "token_hash", hash, "token_sealed", sealed ? sealed : "",
		"created_by", dom_actor_id(c), "created_at", (json_int_t)time_now_ms());
	if (user_id)
		json_object_set_new(row, "user_id", json_string(user_id));
	free(ctext);
	json_t *detail = json_pack("{s:O, s:s, s:b}", "components", comps, "lang", lang, "own",
		user_id != NULL);
	int rc = !sealed || store_status_sub_insert(c->tx, row) != STORE_OK ||
		dom_audit(c, "status_subscription.create", id, acc, "success", detail) != STORE_OK;
	json_decref(detail);
	if (!rc) {
		json_t *en, *fr;
		lists_load(c, &en, &fr);
		bool f = lang_fr(lang);
		char *names = component_names(f ? fr : en, comps);
		json_t *params = json_pack("{s:s, s:s}", "name", name ? name : "", "components", names);
		json_t *person = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "account_id", acc,
			"email", email, "name", name ? name : "", "lang", lang);
		rc = dom_mail_queue(c, MAIL_KIND_STATUS_SUBSCRIBED, person, NULL, params, token) != 0;
		json_decref(person);
		json_decref(params);
		free(names);
		json_decref(en);
		json_decref(fr);
	}
	sodium_memzero(token, strlen(token));
	free(token);
	free(sealed);
	free(id);
	if (rc) {
		json_decref(row);
		return dom_fail(e, "internal", "", "the subscription could not be recorded");
	}
	*out = sub_json(row);
	json_decref(row);
	return 0;
}

/* Takes "lang" of body (en or fr; dflt when absent) into *lang. 0 / -1. */
static int body_lang(const json_t *body, const char *dflt, const char **lang, dom_err_t *e)
{
	if (body_str(body, "lang", false, lang, e) != 0)
		return -1;
	if (!*lang)
		*lang = dflt;
	if (strcmp(*lang, "en") != 0 && strcmp(*lang, "fr") != 0)
		return dom_fail(e, "validation-failed", "lang", "\"lang\" is en or fr");
	return 0;
}

int dom_status_sub_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "email", "name", "lang", "components", NULL };
	const char *name, *lang;
	char email[EMAIL_MAX + 1];
	if (body_only(body, allowed, e) != 0 || body_email(body, "email", email, e) != 0 ||
	    body_name(body, "name", false, &name, e) != 0 || body_lang(body, "en", &lang, e) != 0 ||
	    check_ids(c, json_object_get(body, "components"), e) != 0)
		return -1;
	return sub_insert(c, rec_str(account, "id"), email, name, lang,
		json_object_get(body, "components"), NULL, out, e);
}

/* The calling member of account acc (a new reference), or NULL with e
 * filled in: only a person who is a member subscribes themselves. */
static json_t *caller_member(dom_ctx_t *c, const char *acc, dom_err_t *e)
{
	json_t *m = c->who ? store_member_get(c->tx, acc, c->who->person_id) : NULL;
	if (!m || strcmp(rec_str(m, "status"), "active") != 0) {
		json_decref(m);
		dom_fail(e, "forbidden", "", "only a member of the account subscribes themselves");
		return NULL;
	}
	return m;
}

/* The caller's own subscription in account acc (new reference), or NULL. */
static json_t *own_sub(dom_ctx_t *c, const char *acc, const char *user_id)
{
	json_t *rows = store_status_subs(c->tx, acc), *mine = NULL;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		if (!mine && strcmp(rec_str(r, "user_id"), user_id) == 0)
			mine = json_incref(r);
	json_decref(rows);
	return mine;
}

int dom_status_sub_self_create(dom_ctx_t *c, const json_t *account, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "lang", "components", NULL };
	const char *acc = rec_str(account, "id"), *lang;
	json_t *m = caller_member(c, acc, e);
	if (!m)
		return -1;
	const char *mlang = rec_str(m, "lang");
	int rc = -1;
	json_t *mine = own_sub(c, acc, rec_str(m, "id"));
	if (mine)
		dom_fail(e, "conflict", "", "you are subscribed already: remove your subscription first");
	else if (body_only(body, allowed, e) == 0 &&
		 body_lang(body, strcmp(mlang, "fr") == 0 ? "fr" : "en", &lang, e) == 0 &&
		 check_ids(c, json_object_get(body, "components"), e) == 0)
		rc = sub_insert(c, acc, rec_str(m, "email"), rec_str(m, "name"), lang,
			json_object_get(body, "components"), rec_str(m, "id"), out, e);
	json_decref(mine);
	json_decref(m);
	return rc;
}

/* The calling member's own subscription in account (new reference), or
 * NULL with e filled in (forbidden for a non-member, not-found when none). */
static json_t *caller_sub(dom_ctx_t *c, const json_t *account, dom_err_t *e)
{
	const char *acc = rec_str(account, "id");
	json_t *m = caller_member(c, acc, e);
	if (!m)
		return NULL;
	json_t *mine = own_sub(c, acc, rec_str(m, "id"));
	json_decref(m);
	if (!mine)
		dom_fail(e, "not-found", "", "you are not subscribed to the status board");
	return mine;
}

int dom_status_sub_self_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e)
{
	json_t *mine = caller_sub(c, account, e);
	if (!mine)
		return -1;
	*out = sub_json(mine);
	int rc = dom_read_audited(c, "status_subscription.read", rec_str(mine, "id"),
		rec_str(account, "id"), out, e);
	json_decref(mine);
	return rc;
}

int dom_status_sub_self_delete(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e)
{
	json_t *mine = caller_sub(c, account, e);
	if (!mine)
		return -1;
	int rc = dom_status_sub_delete(c, account, rec_str(mine, "id"), out, e);
	json_decref(mine);
	return rc;
}

int dom_status_sub_delete(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e)
{
	const char *acc = rec_str(account, "id");
	int rc = store_status_sub_delete(c->tx, acc, id);
	if (rc == STORE_NOTFOUND)
		return dom_fail(e, "not-found", "", "no such subscription");
	if (rc != STORE_OK ||
	    dom_audit(c, "status_subscription.delete", id, acc, "success", NULL) != STORE_OK)
		return dom_fail(e, "internal", "", "the subscription could not be removed");
	*out = NULL;
	return 0;
}

int dom_status_unsubscribe(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "token", NULL };
	const char *token;
	if (body_only(body, allowed, e) != 0 || body_str(body, "token", true, &token, e) != 0)
		return -1;
	char hash[SEC_SHA256_HEX];
	sec_token_hash(token, hash);
	json_t *s = store_status_sub_by_token(c->tx, hash);
	if (!s)
		return dom_fail(e, "not-found", "", "this unsubscribe token is unknown or was used");
	const char *acc = rec_str(s, "account_id"), *id = rec_str(s, "id");
	json_t *detail = json_pack("{s:s}", "email", rec_str(s, "email"));
	int rc = store_status_sub_delete(c->tx, acc, id) != STORE_OK ||
		dom_audit(c, "status_subscription.unsubscribe", id, acc, "success", detail) != STORE_OK;
	json_decref(detail);
	if (rc) {
		json_decref(s);
		return dom_fail(e, "internal", "", "the subscription could not be removed");
	}
	*out = json_pack("{s:s, s:o}", "email", rec_str(s, "email"), "components",
		json_list(rec_str(s, "components")));
	json_decref(s);
	return 0;
}
