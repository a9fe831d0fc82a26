/* Faxes: the shared helpers (options, views, visibility, events), and the
 * inbox and outbox as the API reads them: list, get, cancel, delete. The
 * rest of faxes.h is in fax_submit.c (submission, quote, resend),
 * fax_document.c (documents and previews), fax_runner.c (the runner's
 * side: claim, page confirmations, finish with the retry policy, recovery
 * after a crash, leases) and fax_inbound.c (received faxes). See
 * docs/fax-service.md and faxes.h. */
#include "fax.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "billing/billing.h"
#include "records/records.h"
#include "dom_util.h"
#include "fax_int.h"
#include "fdio.h"
#include "operations/operations.h"
#include "i18n.h"
#include "log.h"
#include "numbers/numbers.h"
#include "numparse.h"
#include "render.h"
#include "sec.h"
#include "store_fax.h"
#include "store_retention.h"
#include "timeutil.h"
#include "notify/notify.h"
#include "safebox/safebox.h"
#include "xalloc.h"

/* The fax service acting on its own (final statuses, received faxes,
 * submissions rendered again after a crash). */
const audit_ctx_t fx_system_actor = { .who = NULL, .actor = "system:faxsvc", .source = "",
	.request_id = "" };

int fax_audit(store_tx_t *tx, const audit_ctx_t *actor, const char *action, const char *target,
	const char *account_id, const char *outcome, json_t *detail)
{
	int rc = audit_record(tx, actor, action, target, account_id, outcome, detail);
	json_decref(detail);
	return rc;
}

int fax_audit_c(dom_ctx_t *c, const char *action, const char *target, const char *account_id,
	const char *outcome, json_t *detail)
{
	audit_ctx_t a = { .who = c->who, .actor = c->actor, .source = c->source,
		.request_id = c->request_id };
	return fax_audit(c->tx, &a, action, target, account_id, outcome, detail);
}

/* ---- fields (pure) ---- */

static int one_value(const json_t *fields, const char *name, const char **out, dom_err_t *e)
{
	*out = NULL;
	const json_t *v = json_object_get(fields, name);
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) != 1 || !json_is_string(json_array_get(v, 0)))
		return dom_fail(e, "validation-failed", name, "\"%s\" must be given once", name);
	*out = json_string_value(json_array_get(v, 0));
	return 0;
}

static int text_field(const json_t *fields, const char *name, size_t max, const char **out,
	dom_err_t *e)
{
	if (one_value(fields, name, out, e) != 0)
		return -1;
	if (*out && strlen(*out) > max)
		return dom_fail(e, "validation-failed", name, "\"%s\" is longer than %zu bytes", name, max);
	if (*out && !**out)
		*out = NULL;
	return 0;
}

int fx_int_field(const json_t *fields, const char *name, int64_t min, int64_t max, int dflt,
	int *out, dom_err_t *e)
{
	const char *s;
	if (one_value(fields, name, &s, e) != 0)
		return -1;
	*out = dflt;
	if (!s)
		return 0;
	int64_t v;
	if (parse_i64z(s, min, max, &v) != 0)
		return dom_fail(e, "validation-failed", name, "\"%s\" must be a whole number from %lld to %lld",
			name, (long long)min, (long long)max);
	*out = (int)v;
	return 0;
}

static int add_to(fax_opts_t *o, const char *s, size_t len, dom_err_t *e)
{
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (!len)
		return 0;
	char n[E164_MAX + 1];
	if (e164_normalize(s, len, n) != 0)
		return dom_fail(e, "destination-not-allowed", "to",
			"\"%.*s\" is not an international number (E.164, like +33123456789)",
			(int)(len > 40 ? 40 : len), s);
	for (int i = 0; i < o->nto; i++)
		if (strcmp(o->to[i], n) == 0)
			return 0;
	if (o->nto == FAX_TO_MAX)
		return dom_fail(e, "validation-failed", "to", "at most %d recipients per submission",
			FAX_TO_MAX);
	memcpy(o->to[o->nto++], n, sizeof n);
	return 0;
}

int fax_opts_parse(const json_t *fields, fax_opts_t *o, dom_err_t *e)
{
	static const char *const known[] = { "to", "cover_text", "cover_subject", "header_text",
		"send_at", "retries", "retry_delay_seconds", "resolution", NULL };
	memset(o, 0, sizeof *o);
	if (!json_is_object(fields))
		return dom_fail(e, "validation-failed", "", "the form has no fields");
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)fields, k, v) {
		int ok = 0;
		for (int i = 0; known[i]; i++)
			ok |= strcmp(known[i], k) == 0;
		if (!ok)
			return dom_fail(e, "validation-failed", k, "unknown field \"%.40s\"", k);
	}
	const json_t *to = json_object_get(fields, "to");
	size_t i;
	json_array_foreach(to, i, v) {
		const char *s = json_string_value(v);
		if (!s)
			return dom_fail(e, "validation-failed", "to", "\"to\" must be text");
		while (*s) {
			size_t n = strcspn(s, ",");
			if (add_to(o, s, n, e) != 0)
				return -1;
			s += n;
			if (*s == ',')
				s++;
		}
	}
	if (o->nto == 0)
		return dom_fail(e, "validation-failed", "to", "\"to\" needs at least one number");
	if (text_field(fields, "cover_text", FAX_TEXT_MAX, &o->cover_text, e) != 0 ||
	    text_field(fields, "cover_subject", FAX_LINE_MAX, &o->cover_subject, e) != 0 ||
	    text_field(fields, "header_text", FAX_LINE_MAX, &o->header_text, e) != 0)
		return -1;
	const char *s;
	if (one_value(fields, "send_at", &s, e) != 0)
		return -1;
	if (s && *s && time_parse_rfc3339(s, &o->send_at) != 0)
		return dom_fail(e, "validation-failed", "send_at",
			"\"send_at\" must be an RFC 3339 time, like 2026-05-01T09:00:00Z");
	if (fx_int_field(fields, "retries", 0, FAX_RETRIES_MAX, 3, &o->retries, e) != 0 ||
	    fx_int_field(fields, "retry_delay_seconds", FAX_DELAY_MIN, FAX_DELAY_MAX, 300,
		    &o->retry_delay_seconds, e) != 0)
		return -1;
	if (one_value(fields, "resolution", &s, e) != 0)
		return -1;
	o->fine = 1;
	if (s && strcmp(s, "standard") == 0)
		o->fine = 0;
	else if (s && strcmp(s, "fine") != 0)
		return dom_fail(e, "validation-failed", "resolution",
			"\"resolution\" must be \"standard\" or \"fine\"");
	return 0;
}

/* ---- records to JSON ---- */

static json_t *int_or_null(const json_t *v)
{
	return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}

static json_t *str_or_null(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? json_string(s) : json_null();
}

json_t *fax_attempt_json(const json_t *a)
{
	const json_t *ecm = json_object_get(a, "ecm");
	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:I,"
			 " s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:I, s:o, s:o}",
		"id", rec_str(a, "id"), "fax_id", rec_str(a, "fax_id"),
		"account_id", rec_str(a, "account_id"), "user_id", str_or_null(a, "user_id"),
		"attempt", json_integer_value(json_object_get(a, "attempt")),
		"direction", rec_str(a, "direction"), "from", rec_str(a, "from_number"),
		"to", rec_str(a, "to_number"), "trunk", str_or_null(a, "trunk_id"),
		"started_at", time_json(json_object_get(a, "started_at")),
		"answered_at", time_json(json_object_get(a, "answered_at")),
		"ended_at", time_json(json_object_get(a, "ended_at")),
		"duration_ms", int_or_null(json_object_get(a, "duration_ms")),
		"pages_sent", json_integer_value(json_object_get(a, "pages_sent")),
		"pages_confirmed", json_integer_value(json_object_get(a, "pages_confirmed")),
		"first_page", json_integer_value(json_object_get(a, "first_page")),
		"transport", str_or_null(a, "transport"),
		"bit_rate", int_or_null(json_object_get(a, "bit_rate")),
		"ecm", json_is_integer(ecm) ? json_boolean(json_integer_value(ecm)) : json_null(),
		"remote_ident", str_or_null(a, "remote_ident"),
		"t30_code", int_or_null(json_object_get(a, "t30_code")),
		"t30_text", str_or_null(a, "t30_text"),
		"result", rec_str(a, "result"),
		"failure_class", str_or_null(a, "failure_class"),
		"cost", json_integer_value(json_object_get(a, "cost")),
		"sip_status", int_or_null(json_object_get(a, "sip_status")),
		"failover_to", str_or_null(a, "failover_to"));
}

/* The API form of a fax record (new reference). */
json_t *fx_json(store_tx_t *tx, const json_t *f, bool with_attempts)
{
	const char *id = rec_str(f, "id");
	json_t *pages = store_fax_pages(tx, id);
	json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:o, s:o,"
			      " s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:o, s:s, s:o, s:o, s:o}",
		"id", id, "account_id", rec_str(f, "account_id"), "user_id", str_or_null(f, "user_id"),
		"direction", rec_str(f, "direction"), "status", rec_str(f, "status"),
		"from", rec_str(f, "from_number"), "to", rec_str(f, "to_number"),
		"page_count", json_integer_value(json_object_get(f, "page_count")),
		"pages_confirmed", json_integer_value(json_object_get(f, "pages_confirmed")),
		"pages", pages ? pages : json_array(),
		"resolution", rec_str(f, "resolution"),
		"header_text", str_or_null(f, "header_text"),
		"cover_subject", str_or_null(f, "cover_subject"),
		"send_at", time_json(json_object_get(f, "send_at")),
		"retries", json_integer_value(json_object_get(f, "retries")),
		"retry_delay_seconds", json_integer_value(json_object_get(f, "retry_delay_seconds")),
		"attempts_made", json_integer_value(json_object_get(f, "attempts_made")),
		"next_attempt_at", time_json(json_object_get(f, "next_attempt_at")),
		"failure_class", str_or_null(f, "failure_class"),
		"failure_reason", str_or_null(f, "failure_reason"),
		"estimated_cost", json_integer_value(json_object_get(f, "estimated_cost")),
		"cost", int_or_null(json_object_get(f, "cost")),
		"currency", rec_str(f, "currency"),
		"created_at", time_json(json_object_get(f, "created_at")),
		"updated_at", time_json(json_object_get(f, "updated_at")),
		"completed_at", time_json(json_object_get(f, "completed_at")));
	json_object_set_new(o, "legal_hold", json_pack("{s:b, s:o}", "held",
		*rec_str(f, "legal_hold_reason") != '\0', "reason", str_or_null(f, "legal_hold_reason")));
	if (with_attempts) {
		json_t *arr = json_array(), *rows = store_attempts_of(tx, id);
		size_t i;
		json_t *a;
		json_array_foreach(rows, i, a)
			json_array_append_new(arr, fax_attempt_json(a));
		json_decref(rows);
		json_object_set_new(o, "attempts", arr);
	}
	return o;
}

static json_t *fax_json_list(store_tx_t *tx, store_page_t *pg)
{
	json_t *items = json_array();
	size_t i;
	json_t *f;
	json_array_foreach(pg->items, i, f)
		json_array_append_new(items, fx_json(tx, f, false));
	json_t *o = json_pack("{s:o, s:o}", "items", items, "next_cursor",
		pg->next_cursor ? json_string(pg->next_cursor) : json_null());
	store_page_free(pg);
	return o;
}

/* ---- shared helpers ---- */

const fax_env_t *fx_env_of(dom_ctx_t *c)
{
	return c->cfg && fax_env_has_keys(c->cfg->fax) ? c->cfg->fax : NULL;
}

/* The currency of an account: its own, else the provider's default (into
 * out, 4 bytes). */
const char *fx_currency_of(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	char out[4])
{
	json_t *a = store_account_get(tx, account_id, NULL);
	const char *cur = a ? rec_str(a, "currency") : "";
	if (!*cur)
		cur = fax_env_currency(env);
	snprintf(out, 4, "%s", cur);
	json_decref(a);
	return out;
}

/* The price of a page to `to` in currency (0 when no rate matches). */
int64_t fx_price_for(store_tx_t *tx, const char *to, const char *currency)
{
	json_t *r = store_rate_for(tx, to, currency);
	int64_t p = r ? json_integer_value(json_object_get(r, "price_per_page")) : 0;
	json_decref(r);
	return p;
}

/* The caller as an account member (faxes belong to accounts). */
int fx_need_member(dom_ctx_t *c, dom_err_t *e)
{
	if (!authz_is_member(c->who))
		return dom_fail(e, "forbidden", "", "faxes belong to account members and API keys");
	return 0;
}

static bool sees_all(dom_ctx_t *c)
{
	authz_resource_t r = { .kind = AUTHZ_RES_FAX };
	return authz_resource(c->who, AUTHZ_READ_ALL, &r, NULL) == AUTHZ_ALLOW;
}

/* The fax if the caller may see it: every fax of the account with
 * data.read, else those the caller sent or that are routed to them. */
json_t *fx_visible_fax(dom_ctx_t *c, const char *fax_id, dom_err_t *e)
{
	if (fx_need_member(c, e) != 0)
		return NULL;
	json_t *f = fax_id ? store_fax_get(c->tx, c->who->account_id, fax_id) : NULL;
	authz_resource_t r = { .kind = AUTHZ_RES_FAX, .owner_id = rec_str(f, "user_id") };
	if (f && authz_resource(c->who, AUTHZ_READ, &r, NULL) != AUTHZ_ALLOW) {
		json_decref(f);
		f = NULL;
	}
	if (!f)
		dom_fail(e, "not-found", "", "no such fax");
	return f;
}

int fx_emit(store_tx_t *tx, const json_t *fax_rec, const char *type)
{
	json_t *data = fx_json(tx, fax_rec, false);
	int rc = dom_webhook_emit(tx, rec_str(fax_rec, "account_id"), type, data);
	json_decref(data);
	return rc;
}

int fx_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc = len ? fd_write_all(fd, data, len) : 0;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

int fx_read_file(const char *path, unsigned char **data, size_t *len)
{
	buf_t b;
	buf_init(&b, RENDER_INPUT_MAX);
	if (buf_read_file(&b, path) != 0) {
		buf_free(&b);
		return -1;
	}
	*len = b.len;
	*data = (unsigned char *)buf_steal(&b);
	return 0;
}

/* ---- rendering a submission ---- */

/* What a submission needs to be rendered again after a crash. */
/* ---- reading, cancelling, resending ---- */

int dom_fax_list(dom_ctx_t *c, const json_t *query, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	if (fx_need_member(c, e) != 0)
		return -1;
	const char *dir = json_string_value(json_object_get(query, "direction"));
	const char *status = json_string_value(json_object_get(query, "status"));
	if (dir && strcmp(dir, "outbound") != 0 && strcmp(dir, "inbound") != 0)
		return dom_fail(e, "invalid-parameter", "direction",
			"direction must be outbound or inbound");
	static const char *const statuses[] = { "queued", "rendering", "sending", "delivered",
		"received", "partial", "failed", "cancelled", NULL };
	if (status) {
		int ok = 0;
		for (int i = 0; statuses[i]; i++)
			ok |= strcmp(statuses[i], status) == 0;
		if (!ok)
			return dom_fail(e, "invalid-parameter", "status", "unknown status");
	}
	store_fax_filter_t f = { .account_id = c->who->account_id,
		.user_id = sees_all(c) ? NULL : c->who->person_id, .direction = dir, .status = status };
	/* q: text in the id or the cover subject; when it is written like a
	 * telephone number (digits, spaces, + - . ( ) only), its digits in a
	 * number too. The digits of other text (an id, "invoice 2024") are not
	 * looked for in numbers: they would match unrelated faxes. */
	const char *q = json_string_value(json_object_get(query, "q"));
	char text[FAX_SEARCH_MAX + 1], digits[FAX_SEARCH_MAX + 1];
	size_t nd = 0;
	bool phone = true;
	if (q && strlen(q) > FAX_SEARCH_MAX)
		return dom_fail(e, "invalid-parameter", "q", "q is longer than %d bytes", FAX_SEARCH_MAX);
	if (q && *q) {
		size_t i;
		for (i = 0; q[i]; i++) {
			text[i] = q[i] >= 'A' && q[i] <= 'Z' ? (char)(q[i] - 'A' + 'a') : q[i];
			if (q[i] >= '0' && q[i] <= '9')
				digits[nd++] = q[i];
			else if (!strchr(" +-.()", q[i]))
				phone = false;
		}
		text[i] = digits[nd] = '\0';
		f.text = text;
		f.digits = nd && phone ? digits : NULL;
	}
	const char *tk[] = { "since", "until" };
	int64_t *tv[] = { &f.since, &f.until };
	for (int i = 0; i < 2; i++) {
		const char *s = json_string_value(json_object_get(query, tk[i]));
		if (s && time_parse_rfc3339(s, tv[i]) != 0)
			return dom_fail(e, "invalid-parameter", tk[i], "%s must be an RFC 3339 time", tk[i]);
	}
	store_page_t pg;
	if (store_fax_list(c->tx, &f, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the faxes could not be listed");
	*out = fax_json_list(c->tx, &pg);
	json_t *fl = json_object();
	if (dir)
		json_object_set_new(fl, "direction", json_string(dir));
	if (status)
		json_object_set_new(fl, "status", json_string(status));
	/* The search's text is the person's and may be a number: only that
	 * there was one is recorded. */
	if (f.text)
		json_object_set_new(fl, "search", json_true());
	for (int i = 0; i < 2; i++)
		if (*tv[i])
			json_object_set(fl, tk[i], json_object_get(query, tk[i]));
	int rc = dom_read_audited_filter(c, "fax.list", c->who->account_id, c->who->account_id, fl, out, e);
	json_decref(fl);
	return rc;
}

int dom_fax_get(dom_ctx_t *c, const char *fax_id, json_t **out, dom_err_t *e)
{
	json_t *f = fx_visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	*out = fx_json(c->tx, f, true);
	int rc = dom_read_audited(c, "fax.read", fax_id, rec_str(f, "account_id"), out, e);
	json_decref(f);
	return rc;
}

int dom_fax_cancel(dom_ctx_t *c, const char *fax_id, json_t **out, dom_err_t *e)
{
	json_t *f = fx_visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	const char *st = rec_str(f, "status");
	bool rendering = strcmp(st, "rendering") == 0;
	if (strcmp(st, "queued") != 0 && strcmp(st, "sending") != 0 && !rendering) {
		dom_fail(e, "invalid-state", "", "a fax in status %s cannot be cancelled", st);
		json_decref(f);
		return -1;
	}
	int64_t now = time_now_ms();
	json_t *upd = json_pack("{s:s, s:I, s:I, s:s, s:s}", "status", "cancelled", "updated_at",
		(json_int_t)now, "completed_at", (json_int_t)now, "failure_class", "cancelled",
		"failure_reason", "cancelled before all pages were sent");
	/* Not rendered yet: it gives back the pages it held (the render job
	 * leaves a cancelled fax alone). */
	if (rendering) {
		json_object_set_new(upd, "page_count", json_integer(0));
		json_object_set_new(upd, "estimated_cost", json_integer(0));
	}
	int64_t confirmed = json_integer_value(json_object_get(f, "pages_confirmed"));
	json_object_set_new(upd, "cost",
		json_integer(confirmed * fx_price_for(c->tx, rec_str(f, "to_number"), rec_str(f, "currency"))));
	int rc = store_fax_update_if(c->tx, fax_id, st, upd);
	json_decref(upd);
	if (rc == STORE_OK)
		rc = store_fax_pages_move(c->tx, fax_id, "queued", "failed");
	if (rc == STORE_OK && faxreport_forget(c->tx, fax_id) != 0)
		rc = STORE_ERROR;
	if (rc == STORE_OK)
		rc = dom_audit(c, "fax.cancel", fax_id, c->who->account_id, "success", NULL);
	json_decref(f);
	if (rc != STORE_OK)
		return dom_fail(e, "internal", "", "the fax could not be cancelled");
	json_t *g = store_fax_get(c->tx, c->who->account_id, fax_id);
	*out = fx_json(c->tx, g, true);
	json_decref(g);
	return 0;
}

int dom_fax_delete(dom_ctx_t *c, const char *fax_id, dom_err_t *e)
{
	json_t *f = fx_visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	const char *st = rec_str(f, "status");
	if (strcmp(st, "queued") == 0 || strcmp(st, "rendering") == 0 ||
	    strcmp(st, "sending") == 0) {
		dom_fail(e, "invalid-state", "", "a fax in status %s cannot be deleted; cancel it first",
			st);
		json_decref(f);
		return -1;
	}
	if (dom_retention_held(c->tx, f)) {
		dom_fail(e, "legal-hold", "", "the fax is under a legal hold (on the fax or its account); "
			"an administrator with security.manage must lift it first");
		json_decref(f);
		return -1;
	}
	if (!fx_env_of(c)) {
		json_decref(f);
		return dom_fail(e, "unavailable", "", "fax documents are not available on this service");
	}
	audit_ctx_t who = { .who = c->who, .actor = c->actor, .source = c->source,
		.request_id = c->request_id };
	int rc = fax_destroy_tx(c->tx, fx_env_of(c), &who, f, "fax.delete", NULL, time_now_ms());
	json_decref(f);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the fax could not be deleted");
	return 0;
}

int fax_destroy_tx(store_tx_t *tx, const fax_env_t *env, const audit_ctx_t *actor,
	const json_t *f, const char *action, json_t *detail, int64_t now)
{
	const char *fax_id = rec_str(f, "id"), *account_id = rec_str(f, "account_id");
	char doc_id[DOC_ID_MAX];
	snprintf(doc_id, sizeof doc_id, "%s", rec_str(f, "doc_id"));
	int rc = store_fax_mark_deleted(tx, account_id, fax_id, now);
	int users = rc == STORE_OK && doc_id[0] ? store_fax_doc_users(tx, doc_id) : 0;
	bool shred = doc_id[0] && users == 0;
	if (!detail)
		detail = json_object();
	if (rc == STORE_OK && users >= 0) {
		json_object_set_new(detail, "direction", json_string(rec_str(f, "direction")));
		json_object_set_new(detail, "document_destroyed", json_boolean(shred));
		if (shred)
			backup_note_until(detail, env, now);
		rc = fax_audit(tx, actor, action, fax_id, account_id, "success", detail);
		detail = NULL;
	} else if (rc == STORE_OK) {
		rc = STORE_ERROR;
	}
	json_decref(detail);
	if (rc != STORE_OK)
		return -1;
	/* The wrapped key goes with this transaction, the blob once it has
	 * committed (a crash before the commit leaves the fax whole, to be
	 * deleted again). */
	return shred ? doc_shred_tx(tx, env, account_id, doc_id) : 0;
}
