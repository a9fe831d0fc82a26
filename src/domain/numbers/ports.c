/* Port-in requests (C04a): a customer asks to bring numbers from another
 * carrier with a signed letter of authorization; the operators move the
 * request along (submitted, in_progress, completed or rejected), and each
 * change is an account notification mailed to its owner and
 * administrators (EN/FR). On completion the numbers join the account. */
#include "numbers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "dom_util.h"
#include "notify/notify.h"
#include "numbers_int.h"
#include "render.h"
#include "sec.h"
#include "store_incidents.h"
#include "store_numbers.h"
#include "timeutil.h"
#include "xalloc.h"

#define PORT_NUMBERS_MAX 100

static json_t *port_public(const json_t *p)
{
	json_t *nums = json_loads(rec_str(p, "numbers"), 0, NULL);
	const char *acn = rec_str(p, "account_number_at_carrier");
	const char *doc = rec_str(p, "loa_document_id");
	const char *reason = rec_str(p, "reason");
	const char *trunk = rec_str(p, "trunk_id");
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
		rec_str(p, "id"), "account_id", rec_str(p, "account_id"), "status", rec_str(p, "status"),
		"numbers", json_is_array(nums) ? nums : (json_decref(nums), json_array()),
		"losing_carrier", rec_str(p, "losing_carrier"), "account_number_at_carrier",
		*acn ? json_string(acn) : json_null(), "loa_document_id",
		*doc ? json_string(doc) : json_null(), "reason", *reason ? json_string(reason) : json_null(),
		"trunk", *trunk ? json_string(trunk) : json_null(), "created_at",
		nb_time_or_null(p, "created_at"), "updated_at", nb_time_or_null(p, "updated_at"));
}

/* The numbers of a port request: every string of arr, each one number or
 * several separated by commas, normalized, without repeats. */
static json_t *port_numbers(const json_t *arr, dom_err_t *e)
{
	json_t *out = json_array();
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		if (!s)
			goto bad;
		while (*s) {
			const char *comma = strchr(s, ',');
			size_t len = comma ? (size_t)(comma - s) : strlen(s);
			char num[E164_MAX + 1];
			if (e164_normalize(s, len, num) != 0)
				goto bad;
			size_t j;
			const json_t *w;
			int dup = 0;
			json_array_foreach(out, j, w)
				dup |= strcmp(json_string_value(w), num) == 0;
			if (!dup)
				json_array_append_new(out, json_string(num));
			if (json_array_size(out) > PORT_NUMBERS_MAX) {
				json_decref(out);
				dom_fail(e, "validation-failed", "numbers",
					"a port request has at most 100 numbers");
				return NULL;
			}
			s = comma ? comma + 1 : s + len;
		}
	}
	if (json_array_size(out) == 0) {
		json_decref(out);
		dom_fail(e, "validation-failed", "numbers", "\"numbers\" is required");
		return NULL;
	}
	return out;
bad:
	json_decref(out);
	dom_fail(e, "validation-failed", "numbers",
		"each number must be E.164 (\"+\" then 8 to 15 digits, the first not 0)");
	return NULL;
}

/* A number already held by an account cannot be ported in again. */
static int port_numbers_free(dom_ctx_t *c, const json_t *nums, const char *account_id,
	dom_err_t *e)
{
	size_t i;
	const json_t *v;
	json_array_foreach(nums, i, v) {
		json_t *n = store_number_get(c->tx, json_string_value(v));
		int held = n && strcmp(rec_str(n, "status"), "assigned") == 0 &&
			(!account_id || strcmp(rec_str(n, "account_id"), account_id) != 0);
		json_decref(n);
		if (held)
			return dom_fail(e, "conflict", "numbers", "%s is already in service here",
				json_string_value(v));
	}
	return 0;
}

/* Records the notification of a request's status for the account's people,
 * in both languages, and mails it to the account's owner and
 * administrators, each in their language, in the same transaction. */
static int port_notify(dom_ctx_t *c, const json_t *p, const char *status, const char *reason)
{
	static const struct { const char *status, *en, *fr; } words[] = {
		{ "submitted", "submitted", "soumise" },
		{ "in_progress", "in progress", "en cours" },
		{ "completed", "completed: the numbers are now yours", "terminée : les numéros sont à vous" },
		{ "rejected", "rejected", "refusée" },
	};
	const char *en = status, *fr = status;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(words[i].status, status) == 0) {
			en = words[i].en;
			fr = words[i].fr;
		}
	json_t *nums = json_loads(rec_str(p, "numbers"), 0, NULL);
	char list[512] = "";
	size_t i, off = 0;
	const json_t *v;
	json_array_foreach(nums, i, v) {
		int w = snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "", json_string_value(v));
		if (w < 0 || (size_t)w >= sizeof list - off)
			break;
		off += (size_t)w;
	}
	json_decref(nums);
	const char *id = rec_str(p, "id");
	char *subj_en = xasprintf("Port request %s: %s", id, en);
	char *subj_fr = xasprintf("Demande de portabilité %s : %s", id, fr);
	char *body_en = xasprintf("Your request to port %s from %s is %s.%s%s", list,
		rec_str(p, "losing_carrier"), en, reason ? " Reason: " : "", reason ? reason : "");
	char *body_fr = xasprintf("Votre demande de portabilité de %s depuis %s est %s.%s%s", list,
		rec_str(p, "losing_carrier"), fr, reason ? " Motif : " : "", reason ? reason : "");
	int rc = dom_notify(c, rec_str(p, "account_id"), "port_request.status", id, subj_en, subj_fr,
		body_en, body_fr);
	json_t *people = rc == STORE_OK ? store_incident_recipients(c->tx, rec_str(p, "account_id"))
		: NULL;
	size_t k;
	json_t *person;
	json_array_foreach(people, k, person) {
		json_t *mp = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
			rec_str(person, "name"), "request_id", id, "numbers", list, "carrier",
			rec_str(p, "losing_carrier"), "status_en", en, "status_fr", fr, "reason",
			reason ? reason : "-");
		if (dom_mail_queue(c, MAIL_KIND_PORT_REQUEST, person, NULL, mp, NULL) != 0)
			rc = STORE_ERROR;
		json_decref(mp);
	}
	json_decref(people);
	free(subj_en);
	free(subj_fr);
	free(body_en);
	free(body_fr);
	return rc;
}

int dom_port_create(dom_ctx_t *c, const json_t *account, const json_t *fields, const void *loa,
	size_t loa_len, json_t **out, dom_err_t *e)
{
	const char *carrier, *acn;
	if (body_name(fields, "losing_carrier", true, &carrier, e) ||
		body_name(fields, "account_number_at_carrier", false, &acn, e))
		return -1;
	if (!loa)
		return dom_fail(e, "validation-failed", "loa",
			"the signed letter of authorization (file part \"loa\", a PDF) is required");
	if (dom_av_check(c, rec_str(account, "id"), "loa", loa, loa_len, e) != 0)
		return -1;
	if (render_sniff(loa, loa_len) != RENDER_TYPE_PDF)
		return dom_fail(e, "document-unsupported", "loa",
			"the letter of authorization must be a PDF");
	const char *acc = rec_str(account, "id");
	json_t *nums = port_numbers(json_object_get(fields, "numbers"), e);
	if (!nums)
		return -1;
	if (port_numbers_free(c, nums, NULL, e)) {
		json_decref(nums);
		return -1;
	}
	char doc_id[DOC_ID_MAX];
	if (dom_doc_put(c, acc, "loa", loa, loa_len, doc_id, e)) {
		json_decref(nums);
		return -1;
	}
	char *id = sec_new_id("por");
	int64_t now = time_now_ms();
	char *nums_txt = json_dumps(nums, JSON_COMPACT);
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:I, s:I}", "id", id,
		"account_id", acc, "status", "submitted", "numbers", nums_txt, "losing_carrier", carrier,
		"account_number_at_carrier", acn, "loa_document_id", doc_id, "created_by",
		c->who ? c->who->id : "", "created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	free(nums_txt);
	int rc = store_port_insert(c->tx, p);
	if (rc == STORE_OK)
		rc = port_notify(c, p, "submitted", NULL);
	rc = nb_audited(c, rc, "port_request.create", id, acc, json_pack("{s:o, s:s, s:s}", "numbers",
		nums, "losing_carrier", carrier, "loa_document_id", doc_id), e);
	if (rc == 0)
		*out = port_public(p);
	json_decref(p);
	free(id);
	return rc;
}

int dom_port_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_port_list(c->tx, rec_str(account, "id"), NULL, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "port requests could not be read");
	*out = page_json(&pg, port_public);
	return dom_read_audited(c, "port_request.list", rec_str(account, "id"), rec_str(account, "id"),
		out, e);
}

int dom_port_get(dom_ctx_t *c, const json_t *account, const char *id, json_t **out, dom_err_t *e)
{
	json_t *p = store_port_get(c->tx, rec_str(account, "id"), id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such port request");
	*out = port_public(p);
	json_decref(p);
	return dom_read_audited(c, "port_request.read", id, rec_str(account, "id"), out, e);
}

static const char *const port_statuses[] = { "submitted", "in_progress", "completed", "rejected",
	NULL };

int dom_port_queue(dom_ctx_t *c, const char *status, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	if (status && !nb_one_of(status, port_statuses))
		return dom_fail(e, "invalid-parameter", "status",
			"status must be submitted, in_progress, completed or rejected");
	store_page_t pg;
	if (store_port_list(c->tx, NULL, status, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "port requests could not be read");
	*out = page_json(&pg, port_public);
	/* Every account's requests (their numbers and carriers). */
	return dom_read_audited(c, "port_request.list", "*", NULL, out, e);
}

/* The workflow: submitted -> in_progress -> completed | rejected (a
 * submitted request may also be rejected at once). */
static int port_may_move(const char *from, const char *to)
{
	if (strcmp(to, "in_progress") == 0)
		return strcmp(from, "submitted") == 0;
	if (strcmp(to, "completed") == 0)
		return strcmp(from, "in_progress") == 0;
	if (strcmp(to, "rejected") == 0)
		return strcmp(from, "submitted") == 0 || strcmp(from, "in_progress") == 0;
	return 0;
}

/* On completion the numbers join the account, routed to its shared inbox. */
static int port_complete(dom_ctx_t *c, const json_t *p, const char *trunk_id, dom_err_t *e)
{
	const char *acc = rec_str(p, "account_id");
	json_t *nums = json_loads(rec_str(p, "numbers"), 0, NULL);
	if (port_numbers_free(c, nums, acc, e)) {
		json_decref(nums);
		return -1;
	}
	int64_t now = time_now_ms();
	size_t i;
	const json_t *v;
	int rc = STORE_OK;
	json_array_foreach(nums, i, v) {
		const char *num = json_string_value(v);
		json_t *row = nb_inventory_row(num, trunk_id, now);
		rc = store_number_insert(c->tx, row);
		json_decref(row);
		if (rc == STORE_CONFLICT || rc == STORE_OK)
			rc = store_number_assign(c->tx, num, acc, NULL, trunk_id, now);
		if (rc == STORE_OK)
			rc = dom_audit(c, "number.assign", num, acc, "success", NULL);
		if (rc != STORE_OK)
			break;
	}
	json_decref(nums);
	return rc == STORE_OK ? 0 : dom_fail(e, "internal", "", "the numbers could not be assigned");
}

int dom_port_set_status(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "status", "reason", "trunk", NULL };
	static const char *const targets[] = { "in_progress", "completed", "rejected", NULL };
	const char *to, *reason, *trunk;
	if (body_only(body, allowed, e) || body_str(body, "status", true, &to, e) ||
		body_name(body, "reason", false, &reason, e) || body_str(body, "trunk", false, &trunk, e))
		return -1;
	if (!nb_one_of(to, targets))
		return dom_fail(e, "validation-failed", "status",
			"\"status\" must be in_progress, completed or rejected");
	if (strcmp(to, "rejected") == 0 && !reason)
		return dom_fail(e, "validation-failed", "reason", "a rejection needs a reason");
	if (trunk && strcmp(to, "completed") != 0)
		return dom_fail(e, "validation-failed", "trunk", "\"trunk\" goes with status completed");
	json_t *p = store_port_get(c->tx, NULL, id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such port request");
	char from[16];
	snprintf(from, sizeof from, "%s", rec_str(p, "status"));
	if (!port_may_move(from, to)) {
		json_decref(p);
		return dom_fail(e, "invalid-state", "status", "a %s request cannot become %s", from, to);
	}
	const char *trunk_id = NULL;
	if (strcmp(to, "completed") == 0) {
		trunk_id = trunk ? trunk : LOOPBACK;
		json_t *t = store_trunk_get(c->tx, trunk_id);
		json_decref(t);
		if (!t) {
			json_decref(p);
			return dom_fail(e, "validation-failed", "trunk", "no such trunk: %s", trunk_id);
		}
		if (port_complete(c, p, trunk_id, e)) {
			json_decref(p);
			return -1;
		}
	}
	int rc = store_port_set_status(c->tx, id, from, to, reason, trunk_id, time_now_ms());
	if (rc == STORE_NOTFOUND) {
		json_decref(p);
		return dom_fail(e, "invalid-state", "status", "the request changed meanwhile");
	}
	if (rc == STORE_OK)
		rc = port_notify(c, p, to, reason);
	rc = nb_audited(c, rc, "port_request.status", id, rec_str(p, "account_id"), json_pack(
		"{s:s, s:s, s:s?, s:s?}", "from", from, "to", to, "reason", reason, "trunk", trunk_id), e);
	json_decref(p);
	if (rc != 0)
		return -1;
	json_t *now = store_port_get(c->tx, NULL, id);
	*out = port_public(now);
	json_decref(now);
	return 0;
}
