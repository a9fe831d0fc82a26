/* Security incidents and breach notices (see incidents.h). */
#include "operations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "dom_util.h"
#include "log.h"
#include "notify/notify.h"
#include "numbers/numbers.h"
#include "sec.h"
#include "tenancy/tenancy.h"
#include "store_incidents.h"
#include "store_numbers.h"
#include "timeutil.h"
#include "xalloc.h"

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)

/* The regulatory clocks: how long from the detection, and when the alert
 * that it runs down is raised (that much before its end). */
static const struct clock {
	const char *name;
	int64_t span_ms, warn_ms;
} clocks[] = {
	{ "gdpr_72h", 72 * HOUR_MS, 24 * HOUR_MS },
	{ "hipaa_60d", 60 * DAY_MS, 7 * DAY_MS },
};
#define NCLOCKS (sizeof clocks / sizeof clocks[0])

static const char *const severities[] = { "low", "medium", "high", "critical", NULL };
/* The life of an incident, in order: a step goes forward only. */
static const char *const statuses[] = { "open", "investigating", "contained", "closed", NULL };

static int index_of(const char *const *list, const char *s)
{
	for (int i = 0; s && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

static const char *who_id(const dom_ctx_t *c)
{
	return c->who ? c->who->person_id : dom_actor_id(c);
}

static int event_add(store_tx_t *tx, const char *incident_id, const char *kind,
	const char *status, const char *msg, const char *by, int64_t now)
{
	char *id = sec_new_id("sie");
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "incident_id",
		incident_id, "kind", kind, "status", status, "message", msg ? msg : "", "created_by", by,
		"created_at", (json_int_t)now);
	int rc = store_incident_event_insert(tx, ev);
	json_decref(ev);
	free(id);
	return rc;
}

/* ---- views ---- */

/* The state of clock k for incident inc and its accounts at now. */
static json_t *clock_json(const struct clock *k, const json_t *inc, const json_t *accounts,
	int64_t now)
{
	int64_t due = json_integer_value(json_object_get(inc, "detected_at")) + k->span_ms;
	size_t n = json_array_size(accounts), notified = 0, i;
	int64_t last = 0;
	json_t *a;
	json_array_foreach(accounts, i, a) {
		int64_t t = json_integer_value(json_object_get(a, "notified_at"));
		if (t) {
			notified++;
			if (t > last)
				last = t;
		}
	}
	const char *state;
	if (n > 0 && notified == n)
		state = last <= due ? "met" : "late";
	else
		state = now > due ? "overdue" : "running";
	char b[40];
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "name", k->name, "due_at",
		time_format_rfc3339(due, b, sizeof b), "state", state, "seconds_left",
		(json_int_t)((due - now) / 1000), "accounts_affected", (json_int_t)n,
		"accounts_notified", (json_int_t)notified);
}

static json_t *clocks_json(const json_t *inc, const json_t *accounts, int64_t now)
{
	json_t *arr = json_array();
	if (json_integer_value(json_object_get(inc, "personal_data")))
		for (size_t i = 0; i < NCLOCKS; i++)
			json_array_append_new(arr, clock_json(&clocks[i], inc, accounts, now));
	return arr;
}

static json_t *account_json(const json_t *a)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:s?, s:o, s:o, s:s?}", "account_id",
		rec_str(a, "account_id"), "account_name", rec_str(a, "account_name"), "reason",
		rec_str(a, "reason"), "added_at", time_json(json_object_get(a, "added_at")),
		"notice_id", json_string_value(json_object_get(a, "notice_id")), "notified_at",
		time_json(json_object_get(a, "notified_at")), "acknowledged_at",
		time_json(json_object_get(a, "acknowledged_at")), "acknowledged_by",
		json_string_value(json_object_get(a, "acknowledged_by")));
}

/* The incident as answered; full: with its accounts and timeline. */
static json_t *incident_json(store_tx_t *tx, const json_t *inc, bool full)
{
	const char *id = rec_str(inc, "id");
	json_t *accounts = store_incident_accounts(tx, id);
	if (!accounts)
		accounts = json_array();
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:s, s:o, s:o, s:o, s:o, s:I}",
		"id", id, "title", rec_str(inc, "title"), "description", rec_str(inc, "description"),
		"severity", rec_str(inc, "severity"), "status", rec_str(inc, "status"), "personal_data",
		json_integer_value(json_object_get(inc, "personal_data")) != 0, "detected_at",
		time_json(json_object_get(inc, "detected_at")), "created_by", rec_str(inc, "created_by"),
		"created_at", time_json(json_object_get(inc, "created_at")), "updated_at",
		time_json(json_object_get(inc, "updated_at")), "closed_at",
		time_json(json_object_get(inc, "closed_at")), "clocks",
		clocks_json(inc, accounts, time_now_ms()), "accounts_affected",
		(json_int_t)json_array_size(accounts));
	if (full) {
		json_t *arr = json_array(), *a;
		size_t i;
		json_array_foreach(accounts, i, a)
			json_array_append_new(arr, account_json(a));
		json_object_set_new(o, "accounts", arr);
		json_t *evs = store_incident_events(tx, id), *tl = json_array(), *ev;
		json_array_foreach(evs, i, ev)
			json_array_append_new(tl, json_pack("{s:s, s:s, s:s, s:s, s:o}", "kind",
				rec_str(ev, "kind"), "status", rec_str(ev, "status"), "message",
				rec_str(ev, "message"), "created_by", rec_str(ev, "created_by"), "created_at",
				time_json(json_object_get(ev, "created_at"))));
		json_decref(evs);
		json_object_set_new(o, "timeline", tl);
	}
	json_decref(accounts);
	return o;
}

static json_t *notice_json(const json_t *n)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:s?}", "id",
		rec_str(n, "id"), "incident_id", rec_str(n, "incident_id"), "title", rec_str(n, "title"),
		"severity", rec_str(n, "severity"), "detected_at",
		time_json(json_object_get(n, "detected_at")), "text_en", rec_str(n, "text_en"), "text_fr",
		rec_str(n, "text_fr"), "sent_at", time_json(json_object_get(n, "sent_at")),
		"acknowledged_at", time_json(json_object_get(n, "acknowledged_at")), "acknowledged_by",
		json_string_value(json_object_get(n, "acknowledged_by")));
}

/* ---- the affected accounts ---- */

/* Adds to incident id the accounts body's "affected" selects; *added
 * counts the new ones. Absent and not required: 0. */
static int add_affected(dom_ctx_t *c, const char *id, const json_t *body, bool required,
	int64_t now, int *added, dom_err_t *e)
{
	*added = 0;
	const json_t *sel = json_object_get(body, "affected");
	if (!sel && !required)
		return 0;
	if (!json_is_object(sel))
		return dom_fail(e, "validation-failed", "affected", "\"affected\" must be an object:"
			" {trunk_id, from, to}, {account_ids} or {all: true}");
	json_t *rows = NULL;
	char reason[300];
	const json_t *ids = json_object_get(sel, "account_ids");
	const char *trunk = json_string_value(json_object_get(sel, "trunk_id"));
	if (json_is_true(json_object_get(sel, "all")) && !ids && !trunk) {
		rows = store_incident_all_accounts(c->tx);
		snprintf(reason, sizeof reason, "all accounts");
	} else if (json_is_array(ids) && !trunk) {
		size_t n = json_array_size(ids), i;
		if (n < 1 || n > INCIDENT_ACCOUNTS_MAX)
			return dom_fail(e, "validation-failed", "affected.account_ids",
				"\"account_ids\" must list 1 to %d accounts", INCIDENT_ACCOUNTS_MAX);
		rows = json_array();
		json_t *v;
		json_array_foreach(ids, i, v) {
			json_t *a = json_is_string(v) ? store_account_get(c->tx, json_string_value(v), NULL)
						      : NULL;
			if (!a) {
				json_decref(rows);
				return dom_fail(e, "validation-failed", "affected.account_ids",
					"item %zu of \"account_ids\" is not an account", i + 1);
			}
			json_decref(a);
			json_array_append_new(rows, json_pack("{s:O}", "account_id", v));
		}
		snprintf(reason, sizeof reason, "listed");
	} else if (trunk && !ids) {
		const char *fs = json_string_value(json_object_get(sel, "from"));
		const char *ts = json_string_value(json_object_get(sel, "to"));
		int64_t from, to;
		if (!fs || time_parse_rfc3339(fs, &from) != 0)
			return dom_fail(e, "validation-failed", "affected.from",
				"\"%s\" must be an RFC 3339 time", "from");
		if (!ts || time_parse_rfc3339(ts, &to) != 0)
			return dom_fail(e, "validation-failed", "affected.to",
				"\"%s\" must be an RFC 3339 time", "to");
		if (to <= from)
			return dom_fail(e, "validation-failed", "affected.to",
				"the window must end after it starts");
		json_t *t = store_trunk_get(c->tx, trunk);
		if (!t)
			return dom_fail(e, "validation-failed", "affected.trunk_id", "no such trunk");
		json_decref(t);
		rows = store_incident_trunk_accounts(c->tx, trunk, from, to);
		char b1[40], b2[40];
		snprintf(reason, sizeof reason, "calls through trunk %s between %s and %s", trunk,
			time_format_rfc3339(from, b1, sizeof b1), time_format_rfc3339(to, b2, sizeof b2));
	} else {
		return dom_fail(e, "validation-failed", "affected", "\"affected\" must be an object:"
			" {trunk_id, from, to}, {account_ids} or {all: true}");
	}
	if (!rows)
		return dom_fail(e, "internal", "", "the affected accounts could not be found");
	size_t i;
	json_t *r;
	int rc = 0;
	json_array_foreach(rows, i, r) {
		int s = store_incident_account_add(c->tx, id, rec_str(r, "account_id"), reason, now);
		if (s == STORE_OK)
			(*added)++;
		else if (s != STORE_CONFLICT)
			rc = -1;
	}
	json_decref(rows);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the affected accounts could not be recorded");
	return 0;
}

/* ---- the provider's side ---- */

int dom_incident_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "title", "description", "severity", "detected_at",
		"personal_data", "affected", NULL };
	const char *title, *desc, *sev, *det;
	if (body_only(body, allowed, e) != 0 ||
	    body_text(body, true, "title", INCIDENT_TITLE_MAX, &title, e) != 0 ||
	    body_text(body, true, "description", INCIDENT_TEXT_MAX, &desc, e) != 0 ||
	    body_str(body, "severity", true, &sev, e) != 0 ||
	    body_str(body, "detected_at", false, &det, e) != 0)
		return -1;
	if (index_of(severities, sev) < 0)
		return dom_fail(e, "validation-failed", "severity",
			"severity is low, medium, high or critical");
	const json_t *pd = json_object_get(body, "personal_data");
	if (!json_is_boolean(pd))
		return dom_fail(e, "validation-failed", "personal_data",
			"say whether personal data may have been disclosed (\"personal_data\": true or false)");
	int64_t now = time_now_ms(), detected = now;
	if (det && time_parse_rfc3339(det, &detected) != 0)
		return dom_fail(e, "validation-failed", "detected_at", "\"%s\" must be an RFC 3339 time",
			"detected_at");
	if (detected > now)
		return dom_fail(e, "validation-failed", "detected_at",
			"an incident cannot be detected in the future");
	char *id = sec_new_id("sin");
	json_t *inc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:I, s:I}", "id", id,
		"title", title, "description", desc, "severity", sev, "status", "open", "personal_data",
		json_is_true(pd), "detected_at", (json_int_t)detected, "created_by", who_id(c),
		"created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	int added = 0, rc = 0;
	if (store_incident_insert(c->tx, inc) != STORE_OK ||
	    event_add(c->tx, id, "created", "open", desc, who_id(c), now) != STORE_OK)
		rc = dom_fail(e, "internal", "", "the incident could not be recorded");
	if (rc == 0)
		rc = add_affected(c, id, body, false, now, &added, e);
	if (rc == 0) {
		json_t *detail = json_pack("{s:s, s:b, s:i}", "severity", sev, "personal_data",
			json_is_true(pd), "accounts_added", added);
		if (dom_audit(c, "security_incident.create", id, NULL, "success", detail) != STORE_OK)
			rc = dom_fail(e, "internal", "", "the incident could not be recorded");
		json_decref(detail);
	}
	if (rc == 0) {
		json_t *got = store_incident_get(c->tx, id);
		*out = got ? incident_json(c->tx, got, true) : json_object();
		json_decref(got);
	}
	json_decref(inc);
	free(id);
	return rc;
}

int dom_incident_list(dom_ctx_t *c, const char *status, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	if (status && *status && index_of(statuses, status) < 0)
		return dom_fail(e, "validation-failed", "status",
			"status is open, investigating, contained or closed");
	store_page_t pg;
	if (store_incident_page(c->tx, status && *status ? status : NULL, cursor, limit, &pg) !=
		STORE_OK)
		return dom_fail(e, "internal", "", "the incidents could not be read");
	json_t *items = json_array(), *r;
	size_t i;
	json_array_foreach(pg.items, i, r)
		json_array_append_new(items, incident_json(c->tx, r, false));
	json_decref(pg.items);
	*out = json_pack("{s:o, s:o}", "items", items, "next_cursor",
		pg.next_cursor ? json_string(pg.next_cursor) : json_null());
	free(pg.next_cursor);
	return 0;
}

int dom_incident_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *inc = store_incident_get(c->tx, id);
	if (!inc)
		return dom_fail(e, "not-found", "", "no such incident");
	*out = incident_json(c->tx, inc, true);
	json_decref(inc);
	return 0;
}

/* The incident id, not closed (409 otherwise); NULL with e set. */
static json_t *open_incident(dom_ctx_t *c, const char *id, dom_err_t *e)
{
	json_t *inc = store_incident_get(c->tx, id);
	if (!inc) {
		dom_fail(e, "not-found", "", "no such incident");
		return NULL;
	}
	if (strcmp(rec_str(inc, "status"), "closed") == 0) {
		json_decref(inc);
		dom_fail(e, "invalid-state", "", "the incident is closed");
		return NULL;
	}
	return inc;
}

static int answer_incident(dom_ctx_t *c, const char *id, json_t **out)
{
	json_t *got = store_incident_get(c->tx, id);
	*out = got ? incident_json(c->tx, got, true) : json_object();
	json_decref(got);
	return 0;
}

int dom_incident_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "message", "status", NULL };
	const char *msg, *status;
	if (body_only(body, allowed, e) != 0 ||
	    body_text(body, true, "message", INCIDENT_TEXT_MAX, &msg, e) != 0 ||
	    body_str(body, "status", false, &status, e) != 0)
		return -1;
	json_t *inc = open_incident(c, id, e);
	if (!inc)
		return -1;
	const char *from = rec_str(inc, "status");
	int rc = 0;
	int64_t now = time_now_ms();
	if (status && index_of(statuses, status) < 0)
		rc = dom_fail(e, "validation-failed", "status",
			"status is open, investigating, contained or closed");
	else if (status && index_of(statuses, status) <= index_of(statuses, from))
		rc = dom_fail(e, "invalid-state", "status", "an incident that is %s cannot become %s",
			from, status);
	const char *to = status ? status : from;
	if (rc == 0 && ((status && store_incident_set_status(c->tx, id, to, now,
					strcmp(to, "closed") == 0 ? now : 0) != STORE_OK) ||
			       event_add(c->tx, id, "update", to, msg, who_id(c), now) != STORE_OK))
		rc = dom_fail(e, "internal", "", "the update could not be recorded");
	if (rc == 0) {
		json_t *detail = json_pack("{s:s, s:s}", "from", from, "to", to);
		if (dom_audit(c, "security_incident.update", id, NULL, "success", detail) != STORE_OK)
			rc = dom_fail(e, "internal", "", "the update could not be recorded");
		json_decref(detail);
	}
	json_decref(inc);
	return rc == 0 ? answer_incident(c, id, out) : rc;
}

int dom_incident_add_accounts(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "affected", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	json_t *inc = open_incident(c, id, e);
	if (!inc)
		return -1;
	json_decref(inc);
	int64_t now = time_now_ms();
	int added = 0;
	if (add_affected(c, id, body, true, now, &added, e) != 0)
		return -1;
	char msg[80];
	snprintf(msg, sizeof msg, "%d account(s) added", added);
	json_t *detail = json_pack("{s:i}", "accounts_added", added);
	int rc = 0;
	if (event_add(c->tx, id, "accounts", "", msg, who_id(c), now) != STORE_OK ||
	    dom_audit(c, "security_incident.accounts", id, NULL, "success", detail) != STORE_OK)
		rc = dom_fail(e, "internal", "", "the affected accounts could not be recorded");
	json_decref(detail);
	return rc == 0 ? answer_incident(c, id, out) : rc;
}

/* The notice of incident inc to account row a: kept, the account's
 * notification, a mail to its owner and administrators, its audit event. */
static int notify_account(dom_ctx_t *c, const json_t *inc, const json_t *a, const char *en,
	const char *fr, int64_t now)
{
	const char *iid = rec_str(inc, "id"), *acc = rec_str(a, "account_id");
	char *nid = sec_new_id("brn");
	json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", nid, "incident_id", iid,
		"account_id", acc, "text_en", en, "text_fr", fr, "sent_by", who_id(c), "sent_at",
		(json_int_t)now);
	int rc = store_breach_notice_insert(c->tx, n) == STORE_OK &&
			store_incident_account_notified(c->tx, iid, acc, nid, now) == STORE_OK
		? 0
		: -1;
	json_decref(n);
	if (rc == 0) {
		char *subj_en = xasprintf("Security notice: %s", rec_str(inc, "title"));
		char *subj_fr = xasprintf("Avis de sécurité : %s", rec_str(inc, "title"));
		rc = dom_notify(c, acc, "breach_notice", nid, subj_en, subj_fr, en, fr);
		free(subj_en);
		free(subj_fr);
	}
	json_t *people = rc == 0 ? store_incident_recipients(c->tx, acc) : NULL;
	/* The account's security contacts too (seccontacts.h). */
	if (people && seccontact_recipients(c->tx, acc, people) != 0)
		rc = -1;
	size_t i;
	json_t *p;
	char det[40];
	json_array_foreach(people, i, p) {
		json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
			rec_str(p, "name"), "account", rec_str(a, "account_name"), "title",
			rec_str(inc, "title"), "incident_id", iid, "notice_id", nid, "detected_at",
			time_format_rfc3339(json_integer_value(json_object_get(inc, "detected_at")), det,
				sizeof det),
			"notice_en", en, "notice_fr", fr);
		if (dom_mail_queue(c, MAIL_KIND_BREACH_NOTICE, p, NULL, params, NULL) != 0)
			rc = -1;
		json_decref(params);
	}
	json_t *detail = json_pack("{s:s, s:i}", "incident_id", iid, "recipients",
		(int)json_array_size(people));
	if (rc == 0 && dom_audit(c, "breach_notice.send", nid, acc, "success", detail) != STORE_OK)
		rc = -1;
	json_decref(detail);
	json_decref(people);
	free(nid);
	return rc;
}

int dom_incident_notify(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "text_en", "text_fr", NULL };
	const char *en, *fr;
	if (body_only(body, allowed, e) != 0 ||
	    body_text(body, true, "text_en", INCIDENT_TEXT_MAX, &en, e) != 0 ||
	    body_text(body, true, "text_fr", INCIDENT_TEXT_MAX, &fr, e) != 0)
		return -1;
	json_t *inc = store_incident_get(c->tx, id);
	if (!inc)
		return dom_fail(e, "not-found", "", "no such incident");
	json_t *accounts = store_incident_accounts(c->tx, id);
	int64_t now = time_now_ms();
	int sent = 0, rc = accounts ? 0 : -1;
	size_t i;
	json_t *a;
	json_array_foreach(accounts, i, a) {
		if (rc != 0)
			break;
		if (json_is_string(json_object_get(a, "notice_id")))
			continue;
		rc = notify_account(c, inc, a, en, fr, now);
		sent++;
	}
	json_decref(accounts);
	if (rc == 0 && sent == 0)
		rc = dom_fail(e, "invalid-state", "",
			"no affected account is left to notify: add the affected accounts first");
	else if (rc != 0)
		rc = dom_fail(e, "internal", "", "the notices could not be recorded");
	if (rc == 0) {
		char msg[80];
		snprintf(msg, sizeof msg, "notice sent to %d account(s)", sent);
		json_t *detail = json_pack("{s:i}", "accounts_notified", sent);
		if (event_add(c->tx, id, "notice", rec_str(inc, "status"), msg, who_id(c), now) !=
			    STORE_OK ||
		    dom_audit(c, "security_incident.notify", id, NULL, "success", detail) != STORE_OK)
			rc = dom_fail(e, "internal", "", "the notices could not be recorded");
		json_decref(detail);
	}
	json_decref(inc);
	return rc == 0 ? answer_incident(c, id, out) : rc;
}

/* ---- the account's side ---- */

int dom_breach_notice_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	const char *acc = rec_str(account, "id");
	store_page_t pg;
	if (store_breach_notice_page(c->tx, acc, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the notices could not be read");
	*out = page_json(&pg, notice_json);
	return dom_read_audited(c, "breach_notice.list", acc, acc, out, e);
}

int dom_breach_notice_get(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e)
{
	const char *acc = rec_str(account, "id");
	json_t *n = store_breach_notice_get(c->tx, acc, id);
	if (!n)
		return dom_fail(e, "not-found", "", "no such notice");
	*out = notice_json(n);
	json_decref(n);
	return dom_read_audited(c, "breach_notice.read", id, acc, out, e);
}

int dom_breach_notice_ack(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e)
{
	const char *acc = rec_str(account, "id");
	json_t *n = store_breach_notice_get(c->tx, acc, id);
	if (!n)
		return dom_fail(e, "not-found", "", "no such notice");
	int64_t now = time_now_ms();
	const char *iid = rec_str(n, "incident_id");
	int s = store_breach_notice_ack(c->tx, iid, acc, who_id(c), now);
	int rc = 0;
	if (s == STORE_NOTFOUND) {
		rc = dom_fail(e, "invalid-state", "", "the notice was acknowledged before");
	} else if (s != STORE_OK) {
		rc = dom_fail(e, "internal", "", "the acknowledgement could not be recorded");
	} else {
		char msg[120];
		snprintf(msg, sizeof msg, "account %s acknowledged notice %s", acc, id);
		json_t *detail = json_pack("{s:s}", "incident_id", iid);
		if (event_add(c->tx, iid, "acknowledged", "", msg, who_id(c), now) != STORE_OK ||
		    dom_audit(c, "breach_notice.acknowledge", id, acc, "success", detail) != STORE_OK)
			rc = dom_fail(e, "internal", "", "the acknowledgement could not be recorded");
		json_decref(detail);
	}
	json_decref(n);
	if (rc != 0)
		return rc;
	n = store_breach_notice_get(c->tx, acc, id);
	*out = n ? notice_json(n) : json_object();
	json_decref(n);
	return 0;
}

/* ---- the clocks' alerts ---- */

/* Whether alerts (a space-separated list) holds mark. */
static bool has_mark(const char *alerts, const char *mark)
{
	size_t l = strlen(mark);
	for (const char *p = alerts; (p = strstr(p, mark)) != NULL; p += l)
		if ((p == alerts || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0'))
			return true;
	return false;
}

/* Raises the alert mark of clock state st on incident inc: a timeline
 * event, an audit event, a warning, a mail to the provider's staff. */
static int raise_alert(store_tx_t *tx, const dom_config_t *cfg, const json_t *inc,
	const json_t *clk, const char *level, int64_t now)
{
	const char *iid = rec_str(inc, "id");
	char msg[300];
	long long left = (long long)json_integer_value(json_object_get(clk, "seconds_left"));
	long long n = (long long)json_integer_value(json_object_get(clk, "accounts_affected"));
	long long done = (long long)json_integer_value(json_object_get(clk, "accounts_notified"));
	snprintf(msg, sizeof msg, "%s %s: due %s, %lld h %s, %lld of %lld account(s) notified",
		rec_str(clk, "name"), level, rec_str(clk, "due_at"), (left < 0 ? -left : left) / 3600,
		left < 0 ? "past" : "left", done, n);
	audit_ctx_t actx = { .actor = "system:incidents", .source = "" };
	json_t *detail = json_pack("{s:s, s:s, s:s, s:I, s:I}", "clock", rec_str(clk, "name"),
		"level", level, "due_at", rec_str(clk, "due_at"), "accounts_affected", (json_int_t)n,
		"accounts_notified", (json_int_t)done);
	int rc = event_add(tx, iid, "clock", rec_str(inc, "status"), msg, "system:incidents", now) ==
				STORE_OK &&
			audit_record(tx, &actx, "security_incident.clock", iid, NULL, "success", detail) ==
				STORE_OK
		? 0
		: -1;
	json_decref(detail);
	log_event(LOG_WARN, "incident.clock", "incident=%s clock=%s level=%s due=%s notified=%lld/%lld",
		iid, rec_str(clk, "name"), level, rec_str(clk, "due_at"), done, n);
	json_t *staff = rc == 0 ? store_incident_recipients(tx, NULL) : NULL;
	size_t i;
	json_t *p;
	json_array_foreach(staff, i, p) {
		json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name",
			rec_str(p, "name"), "incident_id", iid, "title", rec_str(inc, "title"), "clock",
			rec_str(clk, "name"), "level", level, "due_at", rec_str(clk, "due_at"), "notified",
			(json_int_t)done, "affected", (json_int_t)n);
		if (mail_queue_tx(tx, cfg->fax, cfg->mail_on, MAIL_KIND_INCIDENT_CLOCK, p, NULL, params,
			    NULL) != 0)
			rc = -1;
		json_decref(params);
	}
	json_decref(staff);
	return rc;
}

int dom_incident_sweep(store_t *st, const dom_config_t *cfg, int64_t now, int limit)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *rows = store_incident_clocks_due(tx, limit);
	int raised = 0, rc = rows ? 0 : -1;
	size_t i;
	json_t *inc;
	json_array_foreach(rows, i, inc) {
		if (rc != 0)
			break;
		json_t *accounts = store_incident_accounts(tx, rec_str(inc, "id"));
		char *alerts = xstrdup(rec_str(inc, "alerts"));
		bool changed = false;
		for (size_t k = 0; rc == 0 && accounts && k < NCLOCKS; k++) {
			json_t *clk = clock_json(&clocks[k], inc, accounts, now);
			const char *state = rec_str(clk, "state");
			int64_t left_ms = json_integer_value(json_object_get(clk, "seconds_left")) * 1000;
			const char *level = strcmp(state, "overdue") == 0 ? "overdue"
				: strcmp(state, "running") == 0 && left_ms <= clocks[k].warn_ms ? "warning"
												 : NULL;
			char mark[64];
			snprintf(mark, sizeof mark, "%s:%s", clocks[k].name, level ? level : "");
			if (level && !has_mark(alerts, mark)) {
				rc = raise_alert(tx, cfg, inc, clk, level, now);
				char *next = xasprintf("%s%s%s", alerts, *alerts ? " " : "", mark);
				free(alerts);
				alerts = next;
				changed = true;
				raised++;
			}
			json_decref(clk);
		}
		if (rc == 0 && changed &&
		    store_incident_set_alerts(tx, rec_str(inc, "id"), alerts) != STORE_OK)
			rc = -1;
		free(alerts);
		json_decref(accounts);
	}
	json_decref(rows);
	if (rc == 0 && store_commit(tx) == STORE_OK)
		return raised;
	if (rc != 0)
		store_rollback(tx);
	log_event(LOG_ERROR, "incident.sweep_failed", "alerts=%d", raised);
	return -1;
}
