/* Requests from customers to the provider and their answers: the kinds
 * and their lives, filing, reading and answering (numbers.h, "Requests").
 * Each kind's fields are checked in request_fields.c; the capacity view
 * that forecasts are set against is capacity.c's. */
#include "numbers_int.h"

#include <string.h>

#include "dom_util.h"
#include "notify/notify.h"
#include "sec.h"
#include "store_requests.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

/* The life of each kind: the first status, and which status may follow
 * which (from, to; "" ends a list). Closing statuses end the request. */
struct step {
	const char *from, *to;
	bool needs_message, closes;
};

struct kind_info {
	const char *kind, *first, *action;
	const char *en, *fr;           /* its name, for a subject */
	const char *noun_en, *noun_fr; /* the same within a sentence */
	const struct step *steps;
};

static const struct step fraud_steps[] = {
	{ "open", "investigating", false, false },
	{ "open", "resolved", false, true },
	{ "open", "dismissed", true, true },
	{ "investigating", "resolved", false, true },
	{ "investigating", "dismissed", true, true },
	{ NULL, NULL, false, false },
};
static const struct step pentest_steps[] = {
	{ "requested", "approved", false, false },
	{ "requested", "refused", true, true },
	{ "approved", "revoked", true, true },
	{ NULL, NULL, false, false },
};
static const struct step forecast_steps[] = {
	{ "submitted", "acknowledged", false, true },
	{ "submitted", "declined", true, true },
	{ NULL, NULL, false, false },
};

static const struct kind_info kinds[] = {
	{ "fraud", "open", "request.fraud", "Fraud report", "Signalement de fraude", "fraud report",
		"signalement de fraude", fraud_steps },
	{ "pentest", "requested", "request.pentest", "Penetration-test request",
		"Demande de test d'intrusion", "penetration-test request", "demande de test d'intrusion",
		pentest_steps },
	{ "forecast", "submitted", "request.forecast", "Traffic forecast", "Prévision de trafic",
		"traffic forecast", "prévision de trafic", forecast_steps },
};

static const struct kind_info *kind_of(const char *kind)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return NULL;
}

static const struct step *step_of(const struct kind_info *k, const char *from, const char *to)
{
	for (const struct step *s = k->steps; s->from; s++)
		if (strcmp(s->from, from) == 0 && strcmp(s->to, to) == 0)
			return s;
	return NULL;
}

/* The person who files a request (for an API key, its creator). */
static const char *requester(const dom_ctx_t *c)
{
	return c->who ? c->who->person_id : dom_actor_id(c);
}

/* ---- records to JSON ---- */

static json_t *event_json(const json_t *ev)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "status", rec_str(ev, "status"), "message",
		rec_str(ev, "message"), "by", rec_str(ev, "created_by"), "at",
		time_json(json_object_get(ev, "created_at")));
}

json_t *rq_request_json(store_tx_t *tx, const json_t *r)
{
	json_t *f = json_loads(rec_str(r, "fields"), 0, NULL);
	if (!json_is_object(f)) {
		json_decref(f);
		f = json_object();
	}
	json_object_del(f, "starts_at_ms");
	json_object_del(f, "ends_at_ms");
	json_object_del(f, "occurred_at_ms");
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", rec_str(r, "id"),
		"account_id", rec_str(r, "account_id"), "kind", rec_str(r, "kind"), "status",
		rec_str(r, "status"), "created_by", rec_str(r, "created_by"), "created_at",
		time_json(json_object_get(r, "created_at")), "updated_at",
		time_json(json_object_get(r, "updated_at")), "closed_at",
		time_json(json_object_get(r, "closed_at")));
	json_object_update(o, f);
	json_decref(f);
	json_t *evs = store_request_events(tx, rec_str(r, "id"));
	json_t *tl = json_array();
	size_t i;
	json_t *ev;
	json_array_foreach(evs, i, ev)
		json_array_append_new(tl, event_json(ev));
	json_decref(evs);
	json_object_set_new(o, "timeline", tl);
	return o;
}

static int event_add(dom_ctx_t *c, const char *request_id, const char *status, const char *msg,
	int64_t now)
{
	char *id = sec_new_id("rqe");
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "request_id", request_id,
		"status", status, "message", msg ? msg : "", "created_by", dom_actor_id(c), "created_at",
		(json_int_t)now);
	int rc = store_request_event_insert(c->tx, ev);
	json_decref(ev);
	free(id);
	return rc;
}

/* ---- the account's side ---- */

int dom_request_create(dom_ctx_t *c, const json_t *account, const char *kind,
	const json_t *body, json_t **out, dom_err_t *e)
{
	const struct kind_info *k = kind_of(kind);
	if (!k)
		return dom_fail(e, "not-found", "", "no such kind of request");
	int64_t now = time_now_ms();
	json_t *f = json_object();
	int rc = rq_fields(c, kind, body, f, now, e);
	if (rc != 0) {
		json_decref(f);
		return -1;
	}
	char *fields = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(f);
	char *id = sec_new_id("rq");
	const char *acct = rec_str(account, "id");
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "account_id", acct,
		"kind", kind, "status", k->first, "fields", fields, "created_by", requester(c),
		"created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	free(fields);
	char action[48];
	snprintf(action, sizeof action, "%s.create", k->action);
	json_t *detail = json_pack("{s:s}", "kind", kind);
	if (store_request_insert(c->tx, r) != STORE_OK || event_add(c, id, k->first, "", now) != STORE_OK ||
	    dom_audit(c, action, id, acct, "success", detail) != STORE_OK)
		rc = dom_fail(e, "internal", "", "the request could not be recorded");
	json_decref(detail);
	if (rc == 0)
		*out = rq_request_json(c->tx, r);
	json_decref(r);
	free(id);
	return rc;
}

/* Whether the caller sees every request of kind in the account, or only
 * the reports they filed (members without security.manage, for fraud). */
static bool sees_all(const dom_ctx_t *c, const char *kind)
{
	if (!c->who || strcmp(kind, "fraud") != 0)
		return true;
	authz_resource_t r = { .kind = AUTHZ_RES_REPORT };
	return authz_resource(c->who, AUTHZ_READ_ALL, &r, NULL) == AUTHZ_ALLOW;
}

static char *read_action(const char *kind, const char *what)
{
	const struct kind_info *k = kind_of(kind);
	return xasprintf("%s.%s", k ? k->action : "request", what);
}

int dom_request_list(dom_ctx_t *c, const json_t *account, const char *kind, const char *cursor,
	int limit, json_t **out, dom_err_t *e)
{
	const char *acct = rec_str(account, "id");
	store_page_t pg;
	if (store_request_page(c->tx, acct, kind, NULL, sees_all(c, kind) ? NULL : requester(c), cursor,
		    limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the requests could not be read");
	json_t *items = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(pg.items, i, r)
		json_array_append_new(items, rq_request_json(c->tx, r));
	json_decref(pg.items);
	*out = json_pack("{s:o, s:o}", "items", items, "next_cursor",
		pg.next_cursor ? json_string(pg.next_cursor) : json_null());
	free(pg.next_cursor);
	char *action = read_action(kind, "list");
	int rc = dom_read_audited(c, action, acct, acct, out, e);
	free(action);
	return rc;
}

/* The request id of the account and kind, readable by the caller; NULL
 * with e set (404) otherwise. */
static json_t *request_load(dom_ctx_t *c, const char *account_id, const char *kind, const char *id,
	dom_err_t *e)
{
	json_t *r = store_request_get(c->tx, id, account_id);
	if (r && (strcmp(rec_str(r, "kind"), kind) == 0) &&
	    (sees_all(c, kind) || strcmp(rec_str(r, "created_by"), requester(c)) == 0))
		return r;
	json_decref(r);
	dom_fail(e, "not-found", "", "no such request");
	return NULL;
}

int dom_request_get(dom_ctx_t *c, const json_t *account, const char *kind, const char *id,
	json_t **out, dom_err_t *e)
{
	const char *acct = rec_str(account, "id");
	json_t *r = request_load(c, acct, kind, id, e);
	if (!r)
		return -1;
	*out = rq_request_json(c->tx, r);
	json_decref(r);
	char *action = read_action(kind, "read");
	int rc = dom_read_audited(c, action, id, acct, out, e);
	free(action);
	return rc;
}

/* ---- the provider's side ---- */

int dom_request_queue(dom_ctx_t *c, const char *kind, const char *status, const char *cursor,
	int limit, json_t **out, dom_err_t *e)
{
	if (kind && *kind && !kind_of(kind))
		return dom_fail(e, "validation-failed", "kind", "kind is fraud, pentest or forecast");
	store_page_t pg;
	if (store_request_page(c->tx, NULL, kind && *kind ? kind : NULL,
		    status && *status ? status : NULL, NULL, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the requests could not be read");
	json_t *items = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(pg.items, i, r)
		json_array_append_new(items, rq_request_json(c->tx, r));
	json_decref(pg.items);
	*out = json_pack("{s:o, s:o}", "items", items, "next_cursor",
		pg.next_cursor ? json_string(pg.next_cursor) : json_null());
	free(pg.next_cursor);
	json_t *filter = json_pack("{s:s?, s:s?}", "kind", kind && *kind ? kind : NULL, "status",
		status && *status ? status : NULL);
	int rc = dom_read_audited_filter(c, "request.queue", "requests", NULL, filter, out, e);
	json_decref(filter);
	return rc;
}

int dom_request_staff_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *r = store_request_get(c->tx, id, NULL);
	if (!r)
		return dom_fail(e, "not-found", "", "no such request");
	*out = rq_request_json(c->tx, r);
	char *action = read_action(rec_str(r, "kind"), "read");
	int rc = dom_read_audited(c, action, id, rec_str(r, "account_id"), out, e);
	free(action);
	json_decref(r);
	return rc;
}

/* The account's notification of an answer, in both languages. */
static int answer_notify(dom_ctx_t *c, const struct kind_info *k, const json_t *r,
	const char *status, const char *msg)
{
	const char *id = rec_str(r, "id");
	char *subj_en = xasprintf("%s %s: %s", k->en, id, status);
	char *subj_fr = xasprintf("%s %s : %s", k->fr, id, status);
	char *body_en = xasprintf("The provider set your %s %s to \"%s\".%s%s", k->noun_en, id,
		status, *msg ? " Message: " : "", msg);
	char *body_fr = xasprintf("Le fournisseur a passé votre %s %s à l'état « %s ».%s%s",
		k->noun_fr, id, status, *msg ? " Message : " : "", msg);
	int rc = dom_notify(c, rec_str(r, "account_id"), "provider_request.status", id, subj_en,
		subj_fr, body_en, body_fr);
	free(subj_en);
	free(subj_fr);
	free(body_en);
	free(body_fr);
	/* The person who filed it is mailed each answer, in their language
	 * (C17); a report of the automatic detection has no such person. */
	json_t *who = rc == STORE_OK ? store_principal_get(c->tx, rec_str(r, "created_by")) : NULL;
	if (who && strcmp(rec_str(who, "status"), "active") == 0) {
		char *m_en = *msg ? xasprintf("Message: %s", msg) : xstrdup("");
		char *m_fr = *msg ? xasprintf("Message : %s", msg) : xstrdup("");
		json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
			rec_str(who, "name"), "request_id", id, "status", status, "what_en", k->en, "what_fr",
			k->fr, "noun_en", k->noun_en, "noun_fr", k->noun_fr, "message_en", m_en, "message_fr",
			m_fr);
		if (dom_mail_queue(c, MAIL_KIND_REQUEST_ANSWER, who, NULL, params, NULL) != 0)
			rc = STORE_ERROR;
		json_decref(params);
		free(m_en);
		free(m_fr);
	}
	json_decref(who);
	return rc;
}

int dom_request_answer(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "status", "message", NULL };
	const char *status, *msg;
	if (body_only(body, allowed, e) != 0 || body_str(body, "status", true, &status, e) != 0 ||
	    body_text(body, false, "message", REQUEST_TEXT_MAX, &msg, e) != 0)
		return -1;
	json_t *r = store_request_get(c->tx, id, NULL);
	if (!r)
		return dom_fail(e, "not-found", "", "no such request");
	const struct kind_info *k = kind_of(rec_str(r, "kind"));
	const struct step *s = k ? step_of(k, rec_str(r, "status"), status) : NULL;
	int rc = 0;
	int64_t now = time_now_ms();
	if (!s)
		rc = dom_fail(e, "invalid-state", "status", "a %s that is %s cannot become %s",
			rec_str(r, "kind"), rec_str(r, "status"), status);
	else if (s->needs_message && !msg)
		rc = dom_fail(e, "validation-failed", "message", "say why in \"message\"");
	if (rc == 0 && strcmp(status, "approved") == 0) {
		json_t *f = json_loads(rec_str(r, "fields"), 0, NULL);
		if (json_integer_value(json_object_get(f, "ends_at_ms")) <= now)
			rc = dom_fail(e, "invalid-state", "status", "the window of this request has ended");
		json_decref(f);
	}
	if (rc == 0) {
		char action[48];
		snprintf(action, sizeof action, "%s.answer", k->action);
		json_t *detail = json_pack("{s:s, s:s}", "from", rec_str(r, "status"), "to", status);
		if (store_request_set_status(c->tx, id, status, now, s->closes ? now : 0) != STORE_OK ||
		    event_add(c, id, status, msg, now) != STORE_OK ||
		    answer_notify(c, k, r, status, msg ? msg : "") != STORE_OK ||
		    dom_audit(c, action, id, rec_str(r, "account_id"), "success", detail) != STORE_OK)
			rc = dom_fail(e, "internal", "", "the answer could not be recorded");
		json_decref(detail);
	}
	json_decref(r);
	if (rc != 0)
		return rc;
	r = store_request_get(c->tx, id, NULL);
	*out = r ? rq_request_json(c->tx, r) : json_object();
	json_decref(r);
	return 0;
}
