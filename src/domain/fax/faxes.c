/* Faxes: submission, the inbox and outbox, cancel, resend, documents and
 * previews (API), and the runner's side: claim, page confirmations, finish
 * with the retry policy, recovery after a crash, inbound faxes. See
 * docs/fax-service.md and faxes.h. */
#include "faxes.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "billing.h"
#include "backupkeys.h"
#include "docs.h"
#include "dom_util.h"
#include "faxdest.h"
#include "faxreport.h"
#include "fdio.h"
#include "fraud.h"
#include "i18n.h"
#include "invoices.h"
#include "log.h"
#include "numbers.h"
#include "numparse.h"
#include "render.h"
#include "sec.h"
#include "store_fax.h"
#include "store_retention.h"
#include "timeutil.h"
#include "avscan.h"
#include "mailq.h"
#include "retention.h"
#include "safebox.h"
#include "webhooks.h"
#include "xalloc.h"

/* The fax service acting on its own (final statuses, received faxes,
 * submissions rendered again after a crash). */
static const audit_ctx_t system_actor = { .who = NULL, .actor = "system:faxsvc", .source = "",
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

static int int_field(const json_t *fields, const char *name, int64_t min, int64_t max, int dflt,
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
	if (int_field(fields, "retries", 0, FAX_RETRIES_MAX, 3, &o->retries, e) != 0 ||
	    int_field(fields, "retry_delay_seconds", FAX_DELAY_MIN, FAX_DELAY_MAX, 300,
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
static json_t *fax_json(store_tx_t *tx, const json_t *f, bool with_attempts)
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
		json_array_append_new(items, fax_json(tx, f, false));
	json_t *o = json_pack("{s:o, s:o}", "items", items, "next_cursor",
		pg->next_cursor ? json_string(pg->next_cursor) : json_null());
	store_page_free(pg);
	return o;
}

/* ---- shared helpers ---- */

static const fax_env_t *env_of(dom_ctx_t *c)
{
	return c->cfg && fax_env_has_keys(c->cfg->fax) ? c->cfg->fax : NULL;
}

/* The currency of an account: its own, else the provider's default (into
 * out, 4 bytes). */
static const char *currency_of(store_tx_t *tx, const fax_env_t *env, const char *account_id,
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
static int64_t price_for(store_tx_t *tx, const char *to, const char *currency)
{
	json_t *r = store_rate_for(tx, to, currency);
	int64_t p = r ? json_integer_value(json_object_get(r, "price_per_page")) : 0;
	json_decref(r);
	return p;
}

/* The caller as an account member (faxes belong to accounts). */
static int need_member(dom_ctx_t *c, dom_err_t *e)
{
	if (!c->who || strcmp(c->who->kind, "account") != 0 || !c->who->account_id[0])
		return dom_fail(e, "forbidden", "", "faxes belong to account members and API keys");
	return 0;
}

static bool sees_all(dom_ctx_t *c)
{
	return (c->who->perms & PERM_BIT(PERM_DATA_READ)) != 0;
}

/* The fax if the caller may see it: every fax of the account with
 * data.read, else those the caller sent or that are routed to them. */
static json_t *visible_fax(dom_ctx_t *c, const char *fax_id, dom_err_t *e)
{
	if (need_member(c, e) != 0)
		return NULL;
	json_t *f = fax_id ? store_fax_get(c->tx, c->who->account_id, fax_id) : NULL;
	if (f && !sees_all(c) && strcmp(rec_str(f, "user_id"), c->who->person_id) != 0) {
		json_decref(f);
		f = NULL;
	}
	if (!f)
		dom_fail(e, "not-found", "", "no such fax");
	return f;
}

static int emit(store_tx_t *tx, const json_t *fax_rec, const char *type)
{
	json_t *data = fax_json(tx, fax_rec, false);
	int rc = dom_webhook_emit(tx, rec_str(fax_rec, "account_id"), type, data);
	json_decref(data);
	return rc;
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc = len ? fd_write_all(fd, data, len) : 0;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

static int read_file(const char *path, unsigned char **data, size_t *len)
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
static json_t *render_options(const fax_opts_t *o, const char *from, const char *lang)
{
	json_t *to = json_array();
	for (int i = 0; i < o->nto; i++)
		json_array_append_new(to, json_string(o->to[i]));
	/* The date its cover and header lines show, kept so that the same
	 * document can be drawn again (docrewrite.h). */
	json_t *opt = json_pack("{s:o, s:s, s:s, s:b, s:I}", "to", to, "from", from, "lang", lang,
		"fine", o->fine, "date_ms", (json_int_t)time_now_ms());
	if (o->cover_text)
		json_object_set_new(opt, "cover_text", json_string(o->cover_text));
	if (o->cover_subject)
		json_object_set_new(opt, "cover_subject", json_string(o->cover_subject));
	if (o->header_text)
		json_object_set_new(opt, "header_text", json_string(o->header_text));
	return opt;
}

/* Renders the inputs of a work directory (in-0, in-1, …) into dir/fax.tif
 * with the options saved for the submission. 0 with *pages, or -1 with
 * r->fail. */
static int render_submission(const fax_env_t *env, const char *dir, int ninputs,
	const json_t *opt, const char *log_id, int *pages, struct render_result *r)
{
	char **paths = xcalloc((size_t)ninputs, sizeof *paths);
	for (int i = 0; i < ninputs; i++)
		paths[i] = xasprintf("%s/in-%d", dir, i);
	char *out = xasprintf("%s/fax.tif", dir);
	struct render_opts ro;
	render_opts_init(&ro);
	ro.fine = json_is_true(json_object_get(opt, "fine"));
	enum render_lang lang = RENDER_LANG_EN;
	render_lang_parse(rec_str(opt, "lang"), &lang);
	ro.lang = lang;
	if (env->max_pages > 0)
		ro.max_pages = env->max_pages;
	if (env->render_timeout_ms > 0)
		ro.timeout_ms = env->render_timeout_ms;
	/* One rendering serves every recipient: the cover names them all. */
	buf_t to;
	buf_init(&to, 512);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(opt, "to"), i, v)
		buf_printf(&to, "%s%s", i ? ", " : "", json_string_value(v));
	const char *subject = json_string_value(json_object_get(opt, "cover_subject"));
	const char *text = json_string_value(json_object_get(opt, "cover_text"));
	if (subject || text) {
		ro.cover = 1;
		ro.cover_subject = subject;
		ro.cover_text = text;
		ro.from = rec_str(opt, "from");
		ro.to = to.data ? to.data : "";
	}
	ro.header = json_string_value(json_object_get(opt, "header_text"));
	ro.header_number = rec_str(opt, "from");
	ro.date_ms = json_integer_value(json_object_get(opt, "date_ms"));
	ro.log_id = log_id;
	ro.helper_path = env->render_helper;
	memset(r, 0, sizeof *r);
	int rc = render_documents((const char *const *)paths, (size_t)ninputs, out, &ro, r);
	*pages = r->pages;
	buf_free(&to);
	for (int k = 0; k < ninputs; k++)
		free(paths[k]);
	free(paths);
	free(out);
	return rc;
}

/* Writes the documents into a new private work directory (dir, "" when it
 * could not be made; the caller wipes it) and renders them there with opt:
 * 0 with *pages, or -1 with r->fail. */
static int render_files(const fax_env_t *env, const fax_file_t *files, int nfiles,
	const json_t *opt, const char *log_id, char *dir, size_t dirlen, int *pages,
	struct render_result *r)
{
	memset(r, 0, sizeof *r);
	if (dom_workdir_new(env, dir, dirlen) != 0) {
		dir[0] = '\0';
		r->fail = RENDER_E_INTERNAL;
		return -1;
	}
	for (int i = 0; i < nfiles; i++) {
		char *p = xasprintf("%s/in-%d", dir, i);
		int rc = write_file(p, files[i].data, files[i].len);
		free(p);
		if (rc != 0) {
			r->fail = RENDER_E_IO;
			return -1;
		}
	}
	return render_submission(env, dir, nfiles, opt, log_id, pages, r);
}

/* The problem of a refused rendering, with the page cap named when it is
 * the reason. */
static int render_problem(enum render_fail f, const char *lang, int max_pages, dom_err_t *e)
{
	(void)lang; /* both languages are formatted; the API answers the one asked for */
	if (f == RENDER_E_TOO_MANY_PAGES)
		return dom_fail(e, "too-many-pages", "file",
			"A fax may carry at most %d pages, the cover page included.",
			max_pages > 0 ? max_pages : RENDER_PAGES_DEFAULT);
	const char *kind = f == RENDER_E_UNSUPPORTED ? "document-unsupported"
		: f == RENDER_E_TEXT_ENCODING ? "document-not-utf8" : "document-unrenderable";
	/* The renderer's messages carry their own French. */
	i18n_msg_t m;
	i18n_msg_pair(&m, render_fail_message(f, RENDER_LANG_EN), render_fail_message(f, RENDER_LANG_FR));
	return dom_fail_msg(e, kind, "file", &m);
}

/* 0 when document i of n can be handed to the renderer (its type read
 * from the content), else -1 with a problem of its own for each reason:
 * empty, too large, text in a character set we do not read, another type. */
static int check_document(const fax_file_t *f, int i, int n, enum render_lang lang, dom_err_t *e)
{
	(void)lang;
	if (f->len == 0)
		return dom_fail(e, "document-empty", "file", "Document %d of %d has 0 bytes.", i + 1, n);
	if (f->len > RENDER_INPUT_MAX)
		return dom_fail(e, "payload-too-large", "file",
			"Document %d is larger than %u MiB, the most one document may be.", i + 1,
			RENDER_INPUT_MAX >> 20);
	if (render_sniff(f->data, f->len) != RENDER_TYPE_UNKNOWN)
		return 0;
	switch (render_text_kind(f->data, f->len)) {
	case RENDER_TEXT_CP1252:
		return 0; /* the renderer takes it as Windows-1252 */
	case RENDER_TEXT_OTHER:
		return dom_fail(e, "document-not-utf8", "file",
			"Document %d is text in another character set (UTF-16, Cyrillic, damaged "
			"UTF-8…): save it as UTF-8 and send it again.", i + 1);
	case RENDER_TEXT_NONE:
		break;
	}
	return render_problem(RENDER_E_UNSUPPORTED, NULL, 0, e);
}

/* The rendered TIFF becomes the faxes' document: each fax of the
 * submission is queued with its pages, estimated cost, webhook and audit
 * event. The submission and its originals are destroyed. items (may be
 * NULL) receives the faxes. */
static int queue_submission(store_tx_t *tx, const fax_env_t *env, const audit_ctx_t *actor,
	const json_t *sub, const char *tiff, int pages, json_t *items)
{
	char doc_id[DOC_ID_MAX];
	const char *account_id = rec_str(sub, "account_id");
	if (doc_put_file_tx(tx, env, account_id, "fax", tiff, pages, doc_id) != 0)
		return -1;
	/* How it was drawn, for a rewrite (docrewrite.h). */
	json_t *opt = json_loads(rec_str(sub, "options"), 0, NULL);
	int64_t drawn = json_integer_value(json_object_get(opt, "date_ms"));
	int rrc = drawn > 0 ? store_fax_rendering_put(tx, doc_id, account_id,
		json_object_get(opt, "cover_subject") || json_object_get(opt, "cover_text"),
		*rec_str(opt, "lang") ? rec_str(opt, "lang") : "en", drawn) : STORE_OK;
	json_decref(opt);
	if (rrc != STORE_OK)
		return -1;
	json_t *faxes = store_fax_by_submission(tx, rec_str(sub, "id"));
	int64_t now = time_now_ms();
	size_t i;
	json_t *f;
	int rc = faxes ? 0 : -1;
	json_array_foreach(faxes, i, f) {
		const char *id = rec_str(f, "id");
		const json_t *send_at = json_object_get(f, "send_at");
		int64_t due = json_is_integer(send_at) && json_integer_value(send_at) > now
			? json_integer_value(send_at) : now;
		json_t *upd = json_pack("{s:s, s:s, s:i, s:I, s:I, s:I, s:n}", "status", "queued",
			"doc_id", doc_id, "page_count", pages,
			"estimated_cost", (json_int_t)(pages * price_for(tx, rec_str(f, "to_number"),
				rec_str(f, "currency"))),
			"next_attempt_at", (json_int_t)due, "updated_at", (json_int_t)now,
			"submission_id");
		if (store_fax_update_if(tx, id, "rendering", upd) != STORE_OK ||
		    store_fax_pages_init(tx, id, pages, "queued") != STORE_OK)
			rc = -1;
		json_decref(upd);
		json_t *fresh = store_fax_get(tx, NULL, id);
		if (!fresh || emit(tx, fresh, "fax.queued") != 0 ||
		    fax_audit(tx, actor, "fax.submit", id, account_id, "success",
			    json_pack("{s:s, s:i}", "to", rec_str(fresh, "to_number"), "pages", pages)) != 0)
			rc = -1;
		if (fresh && items)
			json_array_append_new(items, fax_json(tx, fresh, false));
		json_decref(fresh);
	}
	json_decref(faxes);
	return rc;
}

/* Destroys a submission's originals and row. */
static void drop_submission(store_tx_t *tx, const fax_env_t *env, const json_t *sub)
{
	json_t *orig = json_loads(rec_str(sub, "originals"), 0, NULL);
	size_t i;
	json_t *v;
	json_array_foreach(orig, i, v)
		doc_shred_tx(tx, env, rec_str(sub, "account_id"), json_string_value(v));
	json_decref(orig);
	store_submission_delete(tx, rec_str(sub, "id"));
}

/* ---- submission ---- */

int dom_fax_submit(dom_ctx_t *c, const json_t *fields, const fax_file_t *files, int nfiles,
	json_t **out, dom_err_t *e)
{
	if (need_member(c, e) != 0)
		return -1;
	fax_opts_t o;
	if (fax_opts_parse(fields, &o, e) != 0)
		return -1;
	const fax_env_t *env = env_of(c);
	if (!env)
		return dom_fail(e, "unavailable", "", "faxing is not available on this service");
	if (nfiles <= 0)
		return dom_fail(e, "validation-failed", "file", "attach at least one document as \"file\"");
	if (nfiles > RENDER_INPUTS_MAX)
		return dom_fail(e, "validation-failed", "file", "at most %d documents per fax",
			RENDER_INPUTS_MAX);
	enum render_lang lang = RENDER_LANG_EN;
	render_lang_parse(c->lang, &lang);
	for (int i = 0; i < nfiles; i++)
		if (dom_av_check(c, c->who->account_id, "file", files[i].data, files[i].len, e) != 0 ||
		    check_document(&files[i], i, nfiles, lang, e) != 0)
			return -1;
	const char *account_id = c->who->account_id, *user_id = c->who->person_id;
	json_t *acc = store_account_get(c->tx, account_id, NULL);
	bool active = acc && strcmp(rec_str(acc, "status"), "active") == 0;
	/* The sender name of the header line: the account's setting, else its
	 * name (both validated, at most 200 bytes). */
	char sender[256];
	const char *hdr = acc ? rec_str(acc, "fax_header") : "";
	snprintf(sender, sizeof sender, "%s", *hdr ? hdr : acc ? rec_str(acc, "name") : "");
	json_decref(acc);
	if (!active)
		return dom_fail(e, "account-suspended", "", "the account cannot send faxes");
	if (dom_fraud_check_outbound(c, account_id, e) != 0 ||
	    dom_invoice_check_outbound(c, account_id, e) != 0)
		return -1;
	for (int i = 0; i < o.nto; i++) {
		json_t *trunk = dom_trunk_for(c->tx, env, o.to[i]);
		if (!trunk)
			return dom_fail(e, "no-route", "to", "no trunk can reach %s", o.to[i]);
		json_decref(trunk);
	}
	char from[32];
	dom_caller_id(c->tx, account_id, user_id, from);
	/* Every page carries a header line (date and time, sender, number,
	 * page n/m), as 47 USC 227(d) requires and fax machines do; its sender
	 * text is the account's unless the submission gives one, and the
	 * number is always the sending number (render_submission). */
	if (!o.header_text)
		o.header_text = sender;

	/* Accepted: the originals are kept encrypted and the faxes exist in
	 * status rendering, so that a crash during rendering loses nothing. */
	int64_t now = time_now_ms();
	json_t *orig = json_array();
	for (int i = 0; i < nfiles; i++) {
		char doc_id[DOC_ID_MAX];
		if (doc_put_tx(c->tx, env, account_id, "original", files[i].data, files[i].len, -1,
			    doc_id) != 0) {
			json_decref(orig);
			return dom_fail(e, doc_failure_kind(), "", "the document could not be stored");
		}
		json_array_append_new(orig, json_string(doc_id));
	}
	char *sub_id = sec_new_id("sub");
	json_t *opt = render_options(&o, from, c->lang ? c->lang : "en");
	char *orig_s = json_dumps(orig, JSON_COMPACT), *opt_s = json_dumps(opt, JSON_COMPACT);
	json_t *sub = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", sub_id, "account_id",
		account_id, "user_id", user_id, "originals", orig_s, "options", opt_s, "created_at",
		(json_int_t)now);
	free(orig_s);
	free(opt_s);
	json_decref(orig);
	char cur[4];
	currency_of(c->tx, env, account_id, cur);
	int rc = store_submission_insert(c->tx, sub);
	for (int i = 0; i < o.nto && rc == STORE_OK; i++) {
		char *id = sec_new_id("fax");
		json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s,"
				      " s:I, s:I, s:i, s:i}",
			"id", id, "account_id", account_id, "user_id", user_id, "direction", "outbound",
			"status", "rendering", "from_number", from, "to_number", o.to[i],
			"submission_id", sub_id, "resolution", o.fine ? "fine" : "standard",
			"retries", o.retries, "retry_delay_seconds", o.retry_delay_seconds,
			"currency", cur, "created_at", (json_int_t)now, "updated_at",
			(json_int_t)now, "next_ecm", 1, "next_max_rate", 14400);
		/* The address it came from, for the fraud detection (fraud.h). */
		json_object_set_new(f, "source", json_string(c->source ? c->source : ""));
		if (o.header_text)
			json_object_set_new(f, "header_text", json_string(o.header_text));
		if (o.cover_subject)
			json_object_set_new(f, "cover_subject", json_string(o.cover_subject));
		if (o.send_at)
			json_object_set_new(f, "send_at", json_integer(o.send_at));
		rc = store_fax_insert(c->tx, f);
		json_decref(f);
		free(id);
	}
	free(sub_id);
	if (rc != STORE_OK) {
		json_decref(opt);
		json_decref(sub);
		return dom_fail(e, "internal", "", "the fax could not be stored");
	}

	/* Rendering, outside the transaction, in a private directory. */
	if (dom_tx_pause(c, e) != 0) {
		json_decref(opt);
		json_decref(sub);
		return -1;
	}
	char dir[512];
	struct render_result rr = { 0 };
	int pages = 0;
	int failed = render_files(env, files, nfiles, opt, rec_str(sub, "id"), dir, sizeof dir,
		&pages, &rr) != 0;
	json_decref(opt);
	if (dom_tx_resume(c, e) != 0) {
		dom_workdir_wipe(dir);
		json_decref(sub);
		return -1;
	}
	if (failed) {
		/* Nothing is kept: the faxes, the submission and its originals go,
		 * and that removal is what this failed request commits. */
		/* The detail comes from the renderer, which reads what a stranger
		 * sent: quoted, so that it cannot forge fields or lines. */
		char q[300];
		log_event(LOG_INFO, "fax.render_failed", "sub=%s fail=%s detail=%s", rec_str(sub, "id"),
			render_fail_code(rr.fail), log_quote(rr.detail, q, sizeof q));
		dom_workdir_wipe(dir);
		store_fax_delete_submission(c->tx, rec_str(sub, "id"));
		drop_submission(c->tx, env, sub);
		json_decref(sub);
		c->keep_on_error = true;
		return render_problem(rr.fail, c->lang, env->max_pages, e);
	}
	/* A prepaid account pays first (billing.h). */
	int64_t price = 0;
	for (int i = 0; i < o.nto; i++)
		price += (int64_t)pages * price_for(c->tx, o.to[i], cur);
	int credit = billing_submit_check(c, account_id, user_id, cur, (int64_t)pages * o.nto,
		price, e);
	if (credit != 0) {
		dom_workdir_wipe(dir);
		store_fax_delete_submission(c->tx, rec_str(sub, "id"));
		drop_submission(c->tx, env, sub);
		json_decref(sub);
		c->keep_on_error = credit > 0;
		return -1;
	}
	json_t *items = json_array();
	char *tiff = xasprintf("%s/fax.tif", dir);
	audit_ctx_t actor = { .who = c->who, .actor = c->actor, .source = c->source,
		.request_id = c->request_id };
	rc = queue_submission(c->tx, env, &actor, sub, tiff, pages, items);
	free(tiff);
	dom_workdir_wipe(dir);
	if (rc == 0)
		drop_submission(c->tx, env, sub);
	json_decref(sub);
	if (rc != 0) {
		json_decref(items);
		return dom_fail(e, "internal", "", "the fax could not be queued");
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

/* ---- quote ---- */

/* A reason the quote does not allow the submission (the first one found). */
static void quote_refuse(dom_ctx_t *c, json_t *out, const dom_err_t *why)
{
	if (json_is_true(json_object_get(out, "allowed")))
		json_object_set_new(out, "refusal", json_pack("{s:s, s:s}", "reason", why->kind,
			"detail", dom_err_detail(why, c->lang)));
	json_object_set_new(out, "allowed", json_false());
}

/* The pages of a quote: the documents rendered as a send renders them, in
 * a private directory that is wiped, outside the transaction. */
static int quote_render(dom_ctx_t *c, const fax_env_t *env, const fax_opts_t *o,
	const fax_file_t *files, int nfiles, int *pages, dom_err_t *e)
{
	enum render_lang lang = RENDER_LANG_EN;
	render_lang_parse(c->lang, &lang);
	for (int i = 0; i < nfiles; i++)
		if (dom_av_check(c, c->who->account_id, "file", files[i].data, files[i].len, e) != 0 ||
		    check_document(&files[i], i, nfiles, lang, e) != 0)
			return -1;
	char from[32];
	dom_caller_id(c->tx, c->who->account_id, c->who->person_id, from);
	json_t *opt = render_options(o, from, c->lang ? c->lang : "en");
	if (dom_tx_pause(c, e) != 0) {
		json_decref(opt);
		return -1;
	}
	char dir[512];
	struct render_result rr = { 0 };
	int failed = render_files(env, files, nfiles, opt, "quote", dir, sizeof dir, pages, &rr) != 0;
	json_decref(opt);
	dom_workdir_wipe(dir);
	if (dom_tx_resume(c, e) != 0)
		return -1;
	if (failed)
		return render_problem(rr.fail, c->lang, env->max_pages, e);
	return 0;
}

int dom_fax_quote(dom_ctx_t *c, const json_t *fields, const fax_file_t *files, int nfiles,
	json_t **out, dom_err_t *e)
{
	if (need_member(c, e) != 0)
		return -1;
	const fax_env_t *env = env_of(c);
	if (!env)
		return dom_fail(e, "unavailable", "", "faxing is not available on this service");
	/* "pages" is the quote's own field: the rest is a send's form. */
	json_t *form = json_is_object(fields) ? json_deep_copy(fields) : json_object();
	int given = 0;
	int max = env->max_pages > 0 ? env->max_pages : RENDER_PAGES_DEFAULT;
	int rc = int_field(form, "pages", 1, max, 0, &given, e);
	json_object_del(form, "pages");
	fax_opts_t o;
	if (rc == 0)
		rc = fax_opts_parse(form, &o, e);
	if (rc == 0 && nfiles > RENDER_INPUTS_MAX)
		rc = dom_fail(e, "validation-failed", "file", "at most %d documents per fax",
			RENDER_INPUTS_MAX);
	if (rc == 0 && (nfiles > 0) == (given > 0))
		rc = dom_fail(e, "validation-failed", "pages",
			"give either the documents (\"file\") or their number of pages (\"pages\")");
	int pages = given;
	if (rc == 0 && nfiles > 0)
		rc = quote_render(c, env, &o, files, nfiles, &pages, e);
	if (rc != 0) {
		json_decref(form);
		return -1;
	}
	const char *account_id = c->who->account_id;
	char cur[4];
	currency_of(c->tx, env, account_id, cur);
	json_t *items = json_array();
	*out = json_pack("{s:i, s:s, s:o, s:b}", "pages", pages, "currency", cur, "items", items,
		"allowed", 1);
	dom_err_t why = { 0 };
	int64_t total = 0;
	for (int i = 0; i < o.nto; i++) {
		json_t *trunk = dom_trunk_for(c->tx, env, o.to[i]);
		int64_t price = price_for(c->tx, o.to[i], cur);
		json_array_append_new(items, json_pack("{s:s, s:b, s:I, s:i, s:I, s:s}", "to", o.to[i],
			"reachable", trunk != NULL, "price_per_page", (json_int_t)price, "pages", pages,
			"amount", (json_int_t)(price * pages), "currency", cur));
		total += price * pages;
		if (!trunk) {
			dom_fail(&why, "no-route", "to", "no trunk can reach %s", o.to[i]);
			quote_refuse(c, *out, &why);
		}
		json_decref(trunk);
	}
	json_object_set_new(*out, "total", json_integer(total));
	json_t *acc = store_account_get(c->tx, account_id, NULL);
	bool active = acc && strcmp(rec_str(acc, "status"), "active") == 0;
	json_decref(acc);
	if (!active) {
		dom_fail(&why, "account-suspended", "", "the account cannot send faxes");
		quote_refuse(c, *out, &why);
	}
	if (dom_fraud_check_outbound(c, account_id, &why) != 0 ||
	    dom_invoice_check_outbound(c, account_id, &why) != 0)
		quote_refuse(c, *out, &why);
	int fits = billing_quote(c, account_id, c->who->person_id, cur, (int64_t)pages * o.nto,
		total, *out, &why);
	if (fits < 0) {
		json_decref(form);
		return dom_fail(e, "internal", "", "the balance could not be read");
	}
	if (fits > 0)
		quote_refuse(c, *out, &why);
	json_decref(form);
	return fax_audit_c(c, "fax.quote", account_id, account_id, "success",
		json_pack("{s:i, s:i, s:I, s:s, s:O}", "recipients", o.nto, "pages", pages, "total",
			(json_int_t)total, "currency", cur, "allowed", json_object_get(*out, "allowed")))
		!= 0 ? dom_fail(e, "internal", "", "the read could not be recorded") : 0;
}

/* ---- reading, cancelling, resending ---- */

int dom_fax_list(dom_ctx_t *c, const json_t *query, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	if (need_member(c, e) != 0)
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
	json_t *f = visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	*out = fax_json(c->tx, f, true);
	int rc = dom_read_audited(c, "fax.read", fax_id, rec_str(f, "account_id"), out, e);
	json_decref(f);
	return rc;
}

int dom_fax_cancel(dom_ctx_t *c, const char *fax_id, json_t **out, dom_err_t *e)
{
	json_t *f = visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	const char *st = rec_str(f, "status");
	if (strcmp(st, "queued") != 0 && strcmp(st, "sending") != 0) {
		dom_fail(e, "invalid-state", "", "a fax in status %s cannot be cancelled", st);
		json_decref(f);
		return -1;
	}
	int64_t now = time_now_ms();
	json_t *upd = json_pack("{s:s, s:I, s:I, s:s, s:s}", "status", "cancelled", "updated_at",
		(json_int_t)now, "completed_at", (json_int_t)now, "failure_class", "cancelled",
		"failure_reason", "cancelled before all pages were sent");
	int64_t confirmed = json_integer_value(json_object_get(f, "pages_confirmed"));
	json_object_set_new(upd, "cost",
		json_integer(confirmed * price_for(c->tx, rec_str(f, "to_number"), rec_str(f, "currency"))));
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
	*out = fax_json(c->tx, g, true);
	json_decref(g);
	return 0;
}

int dom_fax_delete(dom_ctx_t *c, const char *fax_id, dom_err_t *e)
{
	json_t *f = visible_fax(c, fax_id, e);
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
	if (!env_of(c)) {
		json_decref(f);
		return dom_fail(e, "unavailable", "", "fax documents are not available on this service");
	}
	audit_ctx_t who = { .who = c->who, .actor = c->actor, .source = c->source,
		.request_id = c->request_id };
	int rc = fax_destroy_tx(c->tx, env_of(c), &who, f, "fax.delete", NULL, time_now_ms());
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
	/* The wrapped key goes with this transaction; the blob at once (a crash
	 * before the commit leaves the fax to be deleted again). */
	return shred ? doc_shred_tx(tx, env, account_id, doc_id) : 0;
}

int dom_fax_resend(dom_ctx_t *c, const char *fax_id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "pages", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	const char *which = "all";
	if (body_str(body, "pages", false, &which, e) != 0)
		return -1;
	if (!which)
		which = "all";
	if (strcmp(which, "all") != 0 && strcmp(which, "failed") != 0)
		return dom_fail(e, "validation-failed", "pages", "\"pages\" must be \"failed\" or \"all\"");
	json_t *f = visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	const fax_env_t *env = env_of(c);
	const char *st = rec_str(f, "status");
	int rc = -1;
	if (!env) {
		dom_fail(e, "unavailable", "", "faxing is not available on this service");
	} else if (strcmp(rec_str(f, "direction"), "outbound") != 0 || !*rec_str(f, "doc_id")) {
		dom_fail(e, "invalid-state", "", "only a sent fax with its document can be sent again");
	} else if (strcmp(st, "partial") != 0 && strcmp(st, "failed") != 0 &&
		   strcmp(st, "cancelled") != 0 && strcmp(st, "delivered") != 0) {
		dom_fail(e, "invalid-state", "", "a fax in status %s is still being sent", st);
	} else {
		rc = dom_fraud_check_outbound(c, c->who->account_id, e);
		if (rc == 0)
			rc = dom_invoice_check_outbound(c, c->who->account_id, e);
	}
	json_t *trunk = rc == 0 ? dom_trunk_for(c->tx, env, rec_str(f, "to_number")) : NULL;
	if (rc == 0 && !trunk) {
		rc = dom_fail(e, "no-route", "to", "no trunk can reach %s", rec_str(f, "to_number"));
	}
	json_decref(trunk);
	json_t *pages = rc == 0 ? store_fax_pages(c->tx, fax_id) : NULL;
	int page_count = (int)json_integer_value(json_object_get(f, "page_count"));
	int skip = 0; /* leading pages already confirmed */
	if (rc == 0 && strcmp(which, "failed") == 0) {
		size_t i;
		json_t *p;
		json_array_foreach(pages, i, p) {
			if (strcmp(rec_str(p, "status"), "confirmed") != 0 &&
			    strcmp(rec_str(p, "status"), "skipped") != 0)
				break;
			skip++;
		}
		if (skip >= page_count)
			rc = dom_fail(e, "invalid-state", "pages", "every page of this fax went through");
	}
	json_decref(pages);
	if (rc != 0) {
		json_decref(f);
		return -1;
	}
	int64_t now = time_now_ms();
	char *id = sec_new_id("fax");
	char from[32];
	dom_caller_id(c->tx, c->who->account_id, c->who->person_id, from);
	int64_t price = price_for(c->tx, rec_str(f, "to_number"), rec_str(f, "currency"));
	json_t *nf = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:s,"
			       " s:I, s:I, s:I, s:s, s:i, s:i}",
		"id", id, "account_id", c->who->account_id, "user_id", c->who->person_id,
		"direction", "outbound", "status", "queued", "from_number", from,
		"to_number", rec_str(f, "to_number"), "doc_id", rec_str(f, "doc_id"),
		"page_count", page_count, "resolution", rec_str(f, "resolution"),
		"retries", json_integer_value(json_object_get(f, "retries")),
		"retry_delay_seconds", json_integer_value(json_object_get(f, "retry_delay_seconds")),
		"estimated_cost", (json_int_t)((page_count - skip) * price),
		"currency", rec_str(f, "currency"), "next_attempt_at", (json_int_t)now,
		"created_at", (json_int_t)now, "updated_at", (json_int_t)now, "resent_from", fax_id,
		"next_ecm", 1, "next_max_rate", 14400);
	if (*rec_str(f, "header_text"))
		json_object_set_new(nf, "header_text", json_string(rec_str(f, "header_text")));
	if (*rec_str(f, "cover_subject"))
		json_object_set_new(nf, "cover_subject", json_string(rec_str(f, "cover_subject")));
	json_object_set_new(nf, "source", json_string(c->source ? c->source : ""));
	rc = store_fax_insert(c->tx, nf);
	json_decref(nf);
	if (rc == STORE_OK)
		rc = store_fax_pages_init(c->tx, id, page_count, "queued");
	for (int p = 1; p <= skip && rc == STORE_OK; p++)
		rc = store_fax_page_set(c->tx, id, p, "skipped");
	json_t *g = rc == STORE_OK ? store_fax_get(c->tx, NULL, id) : NULL;
	if (!g || emit(c->tx, g, "fax.queued") != 0 ||
	    fax_audit_c(c, "fax.resend", id, c->who->account_id, "success",
		    json_pack("{s:s, s:s}", "from_fax", fax_id, "pages", which)) != 0)
		rc = STORE_ERROR;
	json_decref(f);
	free(id);
	if (rc != STORE_OK) {
		json_decref(g);
		return dom_fail(e, "internal", "", "the fax could not be queued");
	}
	*out = json_pack("{s:[o]}", "items", fax_json(c->tx, g, false));
	json_decref(g);
	return 0;
}

/* Decrypts the fax's TIFF into a new work directory (dir, its path in
 * tiff). The caller wipes dir. */
static int fax_tiff(dom_ctx_t *c, const json_t *f, char *dir, size_t dirlen, char **tiff,
	dom_err_t *e)
{
	const fax_env_t *env = env_of(c);
	dir[0] = '\0';
	*tiff = NULL;
	if (!env)
		return dom_fail(e, "unavailable", "", "fax documents are not available on this service");
	if (!*rec_str(f, "doc_id"))
		return dom_fail(e, "invalid-state", "", "this fax has no document yet");
	if (dom_workdir_new(env, dir, dirlen) != 0)
		return dom_fail(e, "internal", "", "no work directory");
	*tiff = xasprintf("%s/fax.tif", dir);
	if (doc_get_file_tx(c->tx, env, rec_str(f, "account_id"), rec_str(f, "doc_id"), *tiff) != 0)
		return dom_fail(e, doc_failure_kind(), "", "the document could not be read");
	return 0;
}

/* The audit event of a read that succeeded (rc 0); when it cannot be
 * recorded, the content is not answered. detail is taken over. */
static int audit_read(dom_ctx_t *c, int rc, const json_t *f, const char *action, json_t *detail,
	unsigned char **data, dom_err_t *e)
{
	if (rc != 0) {
		json_decref(detail);
		return rc;
	}
	if (fax_audit_c(c, action, rec_str(f, "id"), rec_str(f, "account_id"), "success", detail) == 0)
		return 0;
	free(*data);
	*data = NULL;
	return dom_fail(e, "internal", "", "the read could not be recorded");
}

int dom_fax_document(dom_ctx_t *c, const char *fax_id, unsigned char **data, size_t *len,
	dom_err_t *e)
{
	json_t *f = visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	char dir[512];
	char *tiff = NULL, *pdf = NULL;
	int rc = fax_tiff(c, f, dir, sizeof dir, &tiff, e);
	/* The conversion runs outside the transaction (the write lock is
	 * shared); the read is audited in the next one. */
	if (rc == 0)
		rc = dom_tx_pause(c, e);
	if (rc == 0) {
		pdf = xasprintf("%s/fax.pdf", dir);
		struct render_result rr = { 0 };
		struct render_opts ro;
		render_opts_init(&ro);
		ro.helper_path = c->cfg->fax ? c->cfg->fax->render_helper : NULL;
		if (render_tiff_to_pdf_opts(tiff, pdf, &ro, &rr) != 0 || read_file(pdf, data, len) != 0)
			rc = dom_fail(e, "internal", "", "the document could not be converted to PDF");
		dom_err_t re = { 0 };
		if (dom_tx_resume(c, &re) != 0 && rc == 0) {
			*e = re;
			rc = -1;
		}
	}
	rc = audit_read(c, rc, f, "fax.document.read", NULL, data, e);
	dom_workdir_wipe(dir);
	free(tiff);
	free(pdf);
	json_decref(f);
	return rc;
}

/* The document of a fax for a mail: a PDF (thumb 0) or the first page as
 * a PNG thumb pixels wide. */
static int fax_file_for_mail(store_t *st, const fax_env_t *env, const char *account_id,
	const char *fax_id, const char *mail_id, const char *to, int thumb, unsigned char **data,
	size_t *len)
{
	*data = NULL;
	*len = 0;
	char dir[512] = "";
	char *tiff = NULL, *pdf = NULL;
	store_tx_t *tx = store_begin(st, false);
	json_t *f = tx ? store_fax_get(tx, account_id, fax_id) : NULL;
	int rc = f && *rec_str(f, "doc_id") ? 0 : 1;
	if (rc == 0 && dom_workdir_new(env, dir, sizeof dir) != 0)
		rc = -1;
	if (rc == 0) {
		tiff = xasprintf("%s/fax.tif", dir);
		pdf = xasprintf(thumb ? "%s/page1.png" : "%s/fax.pdf", dir);
		if (doc_get_file_tx(tx, env, account_id, rec_str(f, "doc_id"), tiff) != 0)
			rc = -1;
	}
	if (tx)
		store_rollback(tx);
	if (rc == 0) {
		struct render_result rr = { 0 };
		struct render_opts ro;
		render_opts_init(&ro);
		ro.helper_path = env->render_helper;
		if ((thumb ? render_tiff_preview_opts(tiff, 1, thumb, pdf, &ro, &rr) :
			     render_tiff_to_pdf_opts(tiff, pdf, &ro, &rr)) != 0 ||
		    read_file(pdf, data, len) != 0)
			rc = -1;
	}
	/* The document leaves by mail: an access to customer data. */
	static const audit_ctx_t mailer = { .who = NULL, .actor = "system:mail", .source = "",
		.request_id = "" };
	if (rc == 0) {
		store_tx_t *at = store_begin(st, true);
		if (!at) {
			rc = -1;
		} else if (fax_audit(at, &mailer, "fax.document.mailed", fax_id, account_id, "success",
				   json_pack("{s:s, s:s, s:s}", "mail", mail_id, "to", to, "part",
					   thumb ? "thumbnail" : "pdf")) != 0) {
			store_rollback(at);
			rc = -1;
		} else if (store_commit(at) != STORE_OK) {
			rc = -1;
		}
	}
	if (rc != 0) {
		free(*data);
		*data = NULL;
		*len = 0;
	}
	if (dir[0])
		dom_workdir_wipe(dir);
	free(tiff);
	free(pdf);
	json_decref(f);
	return rc;
}

int fax_pdf_for_mail(store_t *st, const fax_env_t *env, const char *account_id,
	const char *fax_id, const char *mail_id, const char *to, unsigned char **data, size_t *len)
{
	return fax_file_for_mail(st, env, account_id, fax_id, mail_id, to, 0, data, len);
}

int fax_thumb_for_mail(store_t *st, const fax_env_t *env, const char *account_id,
	const char *fax_id, const char *mail_id, const char *to, unsigned char **data, size_t *len)
{
	return fax_file_for_mail(st, env, account_id, fax_id, mail_id, to, FAX_THUMB_WIDTH, data,
		len);
}

int dom_fax_page(dom_ctx_t *c, const char *fax_id, const char *page, const char *width,
	unsigned char **data, size_t *len, dom_err_t *e)
{
	json_t *f = visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	int64_t n = 0, w = 0;
	int rc = 0;
	if (!page || parse_i64z(page, 1, FAX_PAGES_MAX, &n) != 0 ||
	    n > json_integer_value(json_object_get(f, "page_count")))
		rc = dom_fail(e, "not-found", "", "no such page");
	else if (width && *width &&
		 parse_i64z(width, RENDER_PREVIEW_WIDTH_MIN, RENDER_WIDTH, &w) != 0)
		rc = dom_fail(e, "invalid-parameter", "width", "width must be %d to %d pixels",
			RENDER_PREVIEW_WIDTH_MIN, RENDER_WIDTH);
	char dir[512] = "";
	char *tiff = NULL, *png = NULL;
	if (rc == 0)
		rc = fax_tiff(c, f, dir, sizeof dir, &tiff, e);
	if (rc == 0)
		rc = dom_tx_pause(c, e);
	if (rc == 0) {
		png = xasprintf("%s/page.png", dir);
		struct render_result rr = { 0 };
		struct render_opts ro;
		render_opts_init(&ro);
		ro.helper_path = c->cfg->fax ? c->cfg->fax->render_helper : NULL;
		int r = render_tiff_preview_opts(tiff, (int)n, (int)w, png, &ro, &rr);
		if (r != 0 && rr.fail == RENDER_E_PAGE_RANGE)
			rc = dom_fail(e, "not-found", "", "no such page");
		else if (r != 0 || read_file(png, data, len) != 0)
			rc = dom_fail(e, "internal", "", "the page could not be drawn");
		dom_err_t re = { 0 };
		if (dom_tx_resume(c, &re) != 0 && rc == 0) {
			*e = re;
			rc = -1;
		}
	}
	rc = audit_read(c, rc, f, "fax.page.read", json_pack("{s:I}", "page", (json_int_t)n), data, e);
	dom_workdir_wipe(dir);
	free(tiff);
	free(png);
	json_decref(f);
	return rc;
}

/* ---- the runner ---- */

void fax_job_clear(fax_job_t *j)
{
	if (!j)
		return;
	json_decref(j->trunk);
	j->trunk = NULL;
	json_decref(j->alternates);
	j->alternates = NULL;
}

/* The first of the candidates (dom_trunks_for) under its max_calls, taken
 * out of the array (the rest stay, in order, for failover): a new
 * reference, or NULL when every candidate is at its limit. */
static json_t *claim_trunk(store_tx_t *tx, json_t *cands)
{
	size_t i;
	json_t *t;
	json_array_foreach(cands, i, t) {
		int maxc = (int)json_integer_value(json_object_get(t, "max_calls"));
		if (maxc > 0 && store_fax_count_sending(tx, NULL, rec_str(t, "id")) >= maxc)
			continue;
		json_incref(t);
		json_array_remove(cands, i);
		return t;
	}
	return NULL;
}

static int first_open_page(store_tx_t *tx, const char *fax_id)
{
	json_t *pages = store_fax_pages(tx, fax_id);
	int first = 0;
	size_t i;
	json_t *p;
	json_array_foreach(pages, i, p)
		if (strcmp(rec_str(p, "status"), "queued") == 0) {
			first = (int)json_integer_value(json_object_get(p, "page"));
			break;
		}
	json_decref(pages);
	return first;
}

static int pages_done(store_tx_t *tx, const char *fax_id)
{
	int a = store_fax_pages_count(tx, fax_id, "confirmed");
	int b = store_fax_pages_count(tx, fax_id, "skipped");
	return a < 0 || b < 0 ? -1 : a + b;
}

static const char *final_event(const char *status)
{
	return strcmp(status, "delivered") == 0 ? "fax.delivered"
		: strcmp(status, "partial") == 0 ? "fax.partial" : "fax.failed";
}

/* Ends a fax in a final status: pages not confirmed fail, the cost is set,
 * the webhook event and audit event are written, and a fax that came by
 * e-mail gets its delivery report. */
static int fax_end(store_tx_t *tx, const fax_env_t *env, const char *fax_id, const char *status,
	const char *fclass, const char *reason, int64_t now)
{
	json_t *f = store_fax_get(tx, NULL, fax_id);
	if (!f)
		return -1;
	int confirmed = store_fax_pages_count(tx, fax_id, "confirmed");
	int64_t cost = (int64_t)(confirmed < 0 ? 0 : confirmed) *
		price_for(tx, rec_str(f, "to_number"), rec_str(f, "currency"));
	json_t *upd = json_pack("{s:s, s:I, s:I, s:I, s:i}", "status", status, "updated_at",
		(json_int_t)now, "completed_at", (json_int_t)now, "cost", (json_int_t)cost,
		"pages_confirmed", confirmed < 0 ? 0 : confirmed);
	json_object_set_new(upd, "next_attempt_at", json_null());
	json_object_set_new(upd, "failure_class", fclass && *fclass ? json_string(fclass) : json_null());
	json_object_set_new(upd, "failure_reason", reason && *reason ? json_string(reason) : json_null());
	int rc = store_fax_update(tx, fax_id, upd);
	json_decref(upd);
	if (rc == STORE_OK)
		rc = store_fax_pages_move(tx, fax_id, "queued", "failed");
	json_t *g = rc == STORE_OK ? store_fax_get(tx, NULL, fax_id) : NULL;
	if (!g || emit(tx, g, final_event(status)) != 0 ||
	    fax_audit(tx, &system_actor, final_event(status), fax_id, rec_str(f, "account_id"),
		    strcmp(status, "delivered") == 0 ? "success" : "failure",
		    json_pack("{s:i, s:s}", "pages_confirmed", confirmed,
			    "reason", reason ? reason : "")) != 0 ||
	    faxreport_queue(tx, env, g) != 0)
		rc = -1;
	json_decref(g);
	json_decref(f);
	return rc == STORE_OK ? 0 : -1;
}

static int t38_mode(const json_t *trunk)
{
	const char *t = rec_str(trunk, "transport");
	if (strcmp(t, "g711_only") == 0)
		return 0;
	if (strcmp(t, "t38_only") == 0)
		return 2;
	return 1;
}

int dom_fax_claim(store_t *st, const fax_env_t *env, const char *node, int64_t now, int max,
	fax_job_t *jobs)
{
	if (max <= 0)
		return 0;
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *due = store_fax_due(tx, now, max * 8 + 64);
	if (!due) {
		store_rollback(tx);
		return -1;
	}
	int n = 0, err = 0;
	size_t i;
	json_t *f;
	json_array_foreach(due, i, f) {
		if (n == max)
			break;
		const char *id = rec_str(f, "id"), *acc = rec_str(f, "account_id");
		json_t *alternates = dom_trunks_for(tx, env, rec_str(f, "to_number"));
		json_t *trunk = claim_trunk(tx, alternates);
		if (!alternates) {
			/* The route went away since submission: a final answer, not a
			 * fax waiting forever. */
			if (fax_end(tx, env, id, "failed", "no_route",
				    "no trunk can reach this number any more", now) != 0)
				err = 1;
			continue;
		}
		int acc_max = env->account_max_calls > 0 ? env->account_max_calls : FAX_ACCOUNT_MAX_CALLS;
		if (!trunk || store_fax_count_sending(tx, acc, NULL) >= acc_max) {
			json_decref(trunk);
			json_decref(alternates);
			continue;
		}
		int first = first_open_page(tx, id);
		int count = (int)json_integer_value(json_object_get(f, "page_count"));
		if (first == 0) {
			/* Nothing left to send (every page confirmed before a crash). */
			json_decref(trunk);
			json_decref(alternates);
			if (fax_end(tx, env, id, "delivered", NULL, NULL, now) != 0)
				err = 1;
			continue;
		}
		/* Priced again before dialling (billing.h). */
		int credit = billing_dial_check(tx, env, acc, rec_str(f, "currency"), (int64_t)(count - first + 1) *
			price_for(tx, rec_str(f, "to_number"), rec_str(f, "currency")), id);
		if (credit != 0) {
			json_decref(trunk);
			json_decref(alternates);
			if (credit < 0 || fax_end(tx, env, id, "failed", "insufficient_credit",
				"the prepaid balance cannot cover the pages left", now) != 0)
				err = 1;
			continue;
		}
		json_t *atts = store_attempts_of(tx, id);
		int attempt = atts ? (int)json_array_size(atts) + 1 : 1;
		json_decref(atts);
		fax_job_t *j = &jobs[n];
		memset(j, 0, sizeof *j);
		char *aid = sec_new_id("att");
		snprintf(j->attempt_id, sizeof j->attempt_id, "%s", aid);
		free(aid);
		snprintf(j->fax_id, sizeof j->fax_id, "%s", id);
		snprintf(j->account_id, sizeof j->account_id, "%s", acc);
		snprintf(j->user_id, sizeof j->user_id, "%s", rec_str(f, "user_id"));
		snprintf(j->doc_id, sizeof j->doc_id, "%s", rec_str(f, "doc_id"));
		snprintf(j->to, sizeof j->to, "%s", rec_str(f, "to_number"));
		dom_caller_id(tx, acc, rec_str(f, "user_id"), j->from);
		if (!j->from[0])
			snprintf(j->from, sizeof j->from, "%s", rec_str(f, "from_number"));
		j->first_page = first;
		j->page_count = count;
		j->attempt = attempt;
		j->ecm = (int)json_integer_value(json_object_get(f, "next_ecm"));
		j->max_rate = (int)json_integer_value(json_object_get(f, "next_max_rate"));
		if (j->max_rate != 9600)
			j->max_rate = 14400;
		j->t38 = t38_mode(trunk);
		j->started_at = now;
		j->trunk = trunk;
		if (dom_faxdest_choose(tx, j, now) != 0)
			err = 1;
		j->alternates = alternates;
		alternates = NULL;
		json_t *upd = json_pack("{s:s, s:s, s:s, s:I, s:I}", "status", "sending", "trunk_id",
			rec_str(trunk, "id"), "from_number", j->from, "attempts_made",
			json_integer_value(json_object_get(f, "attempts_made")) + 1, "updated_at",
			(json_int_t)now);
		json_t *att = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I,"
					" s:i, s:i, s:i}",
			"id", j->attempt_id, "fax_id", id, "account_id", acc, "user_id", j->user_id,
			"attempt", attempt, "direction", "outbound", "from_number", j->from,
			"to_number", j->to, "trunk_id", rec_str(trunk, "id"), "node", node ? node : "",
			"result", "in_progress", "started_at", (json_int_t)now, "first_page", first,
			"ecm", j->ecm, "bit_rate", j->max_rate);
		json_object_set_new(att, "lease_until", json_integer(now + fax_env_lease_ms(env)));
		int rc = store_fax_update_if(tx, id, "queued", upd);
		if (rc == STORE_OK)
			rc = store_attempt_insert(tx, att);
		json_decref(upd);
		json_decref(att);
		if (rc != STORE_OK) {
			fax_job_clear(j);
			err = 1;
			break;
		}
		n++;
	}
	json_decref(due);
	if (err || store_commit(tx) != STORE_OK) {
		if (err)
			store_rollback(tx);
		for (int k = 0; k < n; k++)
			fax_job_clear(&jobs[k]);
		log_event(LOG_ERROR, "fax.claim_failed", "node=%s", node ? node : "");
		return -1;
	}
	for (int k = 0; k < n; k++)
		log_event(LOG_INFO, "fax.claimed", "fax=%s attempt=%d first_page=%d pages=%d trunk=%s",
			jobs[k].fax_id, jobs[k].attempt, jobs[k].first_page, jobs[k].page_count,
			rec_str(jobs[k].trunk, "id"));
	return n;
}

int dom_fax_page_confirmed(store_t *st, const fax_job_t *job, int page)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int rc = store_fax_page_set(tx, job->fax_id, page, "confirmed");
	int confirmed = store_fax_pages_count(tx, job->fax_id, "confirmed");
	if (rc == STORE_OK && confirmed >= 0) {
		json_t *upd = json_pack("{s:i, s:I}", "pages_confirmed", confirmed, "updated_at",
			(json_int_t)time_now_ms());
		rc = store_fax_update(tx, job->fax_id, upd);
		json_decref(upd);
		int in_call = page - job->first_page + 1;
		json_t *a = json_pack("{s:i}", "pages_confirmed", in_call > 0 ? in_call : 0);
		if (rc == STORE_OK)
			rc = store_attempt_update(tx, job->attempt_id, a);
		json_decref(a);
	}
	if (rc != STORE_OK || confirmed < 0) {
		store_rollback(tx);
		log_event(LOG_ERROR, "fax.page_confirm_failed", "fax=%s page=%d", job->fax_id, page);
		return -1;
	}
	return store_commit(tx) == STORE_OK ? 0 : -1;
}

/* The CDR columns of a call's result. */
static json_t *cdr_fields(const fax_result_t *r, const char *result, int64_t started,
	int64_t now, int64_t cost)
{
	json_t *a = json_pack("{s:s, s:I, s:I, s:i, s:i, s:I}", "result", result, "ended_at",
		(json_int_t)now, "duration_ms", (json_int_t)(r->duration_ms > 0 ? r->duration_ms
			: now - started), "pages_sent", r->outbound ? r->pages_sent : r->pages_received,
		"pages_confirmed", r->outbound ? r->pages_confirmed : r->pages_received,
		"cost", (json_int_t)cost);
	if (r->answered)
		json_object_set_new(a, "answered_at", json_integer(r->start_ms > 0 ? r->start_ms : started));
	if (r->transport[0])
		json_object_set_new(a, "transport", json_string(r->transport));
	if (r->bit_rate > 0)
		json_object_set_new(a, "bit_rate", json_integer(r->bit_rate));
	if (r->t30_heard)
		json_object_set_new(a, "ecm", json_integer(r->ecm ? 1 : 0));
	if (r->remote_ident[0])
		json_object_set_new(a, "remote_ident", json_stringn_nocheck(r->remote_ident,
			strnlen(r->remote_ident, sizeof r->remote_ident)));
	if (r->t30_heard || r->t30_code)
		json_object_set_new(a, "t30_code", json_integer(r->t30_code));
	if (r->t30_text[0])
		json_object_set_new(a, "t30_text", json_stringn_nocheck(r->t30_text,
			strnlen(r->t30_text, sizeof r->t30_text)));
	if (!r->ok && r->fail_class[0])
		json_object_set_new(a, "failure_class", json_string(r->fail_class));
	if (r->sip_status > 0)
		json_object_set_new(a, "sip_status", json_integer(r->sip_status));
	return a;
}

int dom_fax_failover_wanted(const fax_result_t *r)
{
	if (r->ok || r->pages_confirmed > 0 || r->answered)
		return 0;
	/* Nobody answered at all, or the carrier said it cannot take the call
	 * now (503) or found nobody behind it (408), or failed itself (500). */
	return r->sip_status == 0 || r->sip_status == 503 || r->sip_status == 408 ||
		r->sip_status == 500;
}

int dom_fax_failover(store_t *st, const fax_env_t *env, fax_job_t *job, const fax_result_t *r)
{
	json_t *next = json_array_get(job->alternates, 0);
	if (!next)
		return 1;
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int64_t now = time_now_ms();
	json_t *f = store_fax_get(tx, NULL, job->fax_id);
	if (!f || strcmp(rec_str(f, "status"), "sending") != 0 ||
	    store_attempt_leased(tx, job->attempt_id) != 1) {
		/* Cancelled (or gone, or taken over by another node) meanwhile. */
		/* Cancelled (or gone) meanwhile: the call's end is recorded as usual. */
		json_decref(f);
		store_rollback(tx);
		return 1;
	}
	const char *next_id = rec_str(next, "id");
	json_t *cdr = cdr_fields(r, "failed", job->started_at, now, 0);
	json_object_set_new(cdr, "failover_to", json_string(next_id));
	int rc = store_attempt_update(tx, job->attempt_id, cdr);
	json_decref(cdr);
	json_t *atts = rc == STORE_OK ? store_attempts_of(tx, job->fax_id) : NULL;
	int attempt = atts ? (int)json_array_size(atts) + 1 : 0;
	json_decref(atts);
	char *aid = sec_new_id("att");
	json_t *att = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:i}",
		"id", aid, "fax_id", job->fax_id, "account_id", job->account_id, "user_id", job->user_id,
		"attempt", attempt, "direction", "outbound", "from_number", job->from, "to_number", job->to,
		"trunk_id", next_id, "node", "", "result", "in_progress", "started_at",
		(json_int_t)now, "first_page", job->first_page, "ecm", job->ecm, "bit_rate", job->max_rate);
	/* The node of the attempt that failed goes on with the call, under a
	 * lease of its own. */
	json_t *old = store_attempt_get(tx, job->attempt_id);
	if (old)
		json_object_set_new(att, "node", json_string(rec_str(old, "node")));
	json_object_set_new(att, "lease_until", json_integer(now + fax_env_lease_ms(env)));
	json_decref(old);
	if (rc == STORE_OK && attempt > 0)
		rc = store_attempt_insert(tx, att);
	else
		rc = STORE_ERROR;
	json_decref(att);
	if (rc == STORE_OK) {
		json_t *upd = json_pack("{s:s, s:I}", "trunk_id", next_id, "updated_at", (json_int_t)now);
		rc = store_fax_update_if(tx, job->fax_id, "sending", upd);
		json_decref(upd);
	}
	json_decref(f);
	if (rc != STORE_OK || store_commit(tx) != STORE_OK) {
		if (rc != STORE_OK)
			store_rollback(tx);
		free(aid);
		log_event(LOG_ERROR, "fax.failover_failed", "fax=%s attempt=%d", job->fax_id, job->attempt);
		return -1;
	}
	log_event(LOG_INFO, "fax.failover", "fax=%s attempt=%d from=%s to=%s sip_status=%d class=%s",
		job->fax_id, job->attempt, rec_str(job->trunk, "id"), next_id, r->sip_status,
		r->fail_class[0] ? r->fail_class : "-");
	snprintf(job->attempt_id, sizeof job->attempt_id, "%s", aid);
	free(aid);
	job->attempt = attempt;
	job->started_at = now;
	json_decref(job->trunk);
	job->trunk = json_incref(next);
	job->t38 = t38_mode(next);
	job->remembered = 0;
	json_array_remove(job->alternates, 0);
	return 0;
}

int dom_fax_finish(store_t *st, const fax_env_t *env, const fax_job_t *job, const fax_result_t *r)
{
	(void)env;
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int64_t now = time_now_ms();
	json_t *f = store_fax_get(tx, NULL, job->fax_id);
	if (!f) {
		store_rollback(tx);
		return -1;
	}
	if (store_attempt_leased(tx, job->attempt_id) == 0) {
		/* This node let its lease pass (it stalled longer than the lease):
		 * another node recorded the attempt as interrupted and owns the
		 * fax now. The pages confirmed during the call are kept (they were
		 * persisted one by one); the fax and the CDR are left to it. */
		json_decref(f);
		store_rollback(tx);
		log_event(LOG_WARN, "fax.lease_lost", "fax=%s attempt=%d", job->fax_id, job->attempt);
		return 0;
	}
	/* Pages confirmed in this call (they are sequential in T.30, from
	 * first_page), and any page the per-page results (numbered in the whole
	 * document) name as confirmed. A number beyond the document is ignored. */
	int rc = STORE_OK;
	for (int k = 0; k < r->pages_confirmed && rc != STORE_ERROR; k++)
		if (store_fax_page_set(tx, job->fax_id, job->first_page + k, "confirmed") == STORE_ERROR)
			rc = STORE_ERROR;
	for (int k = 0; k < r->npages && k < FAX_PAGES_MAX && rc != STORE_ERROR; k++)
		if ((strcmp(r->pages[k].result, "MCF") == 0 || strcmp(r->pages[k].result, "PIP") == 0) &&
		    store_fax_page_set(tx, job->fax_id, r->pages[k].page, "confirmed") == STORE_ERROR)
			rc = STORE_ERROR;
	int done = pages_done(tx, job->fax_id);
	int confirmed = store_fax_pages_count(tx, job->fax_id, "confirmed");
	int count = (int)json_integer_value(json_object_get(f, "page_count"));
	int64_t price = price_for(tx, job->to, rec_str(f, "currency"));
	bool all = count > 0 && done >= count;
	const char *result = all ? "ok" : r->pages_confirmed > 0 ? "partial" : "failed";
	json_t *cdr = cdr_fields(r, result, job->started_at, now, (int64_t)r->pages_confirmed * price);
	if (store_attempt_update(tx, job->attempt_id, cdr) != STORE_OK)
		rc = STORE_ERROR;
	json_decref(cdr);
	if (rc != STORE_ERROR && dom_faxdest_learn(tx, job, r, now) != 0)
		rc = STORE_ERROR;

	const char *status = rec_str(f, "status");
	if (rc != STORE_ERROR && done >= 0 && confirmed >= 0) {
		if (strcmp(status, "cancelled") == 0) {
			/* Cancelled during the call: it stays cancelled, with what went
			 * through counted. */
			json_t *upd = json_pack("{s:i, s:I, s:I}", "pages_confirmed", confirmed, "cost",
				(json_int_t)(confirmed * price), "updated_at", (json_int_t)now);
			rc = store_fax_update(tx, job->fax_id, upd);
			json_decref(upd);
		} else {
			retry_in_t in = { .ok = r->ok, .fail_class = r->fail_class, .reason = r->reason,
				.attempts_made = (int)json_integer_value(json_object_get(f, "attempts_made")),
				.retries = (int)json_integer_value(json_object_get(f, "retries")),
				.retry_delay_seconds =
					(int)json_integer_value(json_object_get(f, "retry_delay_seconds")),
				.pages_done = done, .pages_confirmed = confirmed, .page_count = count,
				.ecm = job->ecm, .max_rate = job->max_rate };
			retry_out_t out;
			retry_decide(&in, &out);
			if (out.final) {
				rc = fax_end(tx, env, job->fax_id, out.status, out.failure_class, out.failure_reason,
					now) == 0 ? STORE_OK : STORE_ERROR;
			} else {
				json_t *upd = json_pack("{s:s, s:I, s:i, s:i, s:i, s:s, s:s, s:I}",
					"status", "queued", "next_attempt_at", (json_int_t)(now + out.delay_ms),
					"next_ecm", out.ecm, "next_max_rate", out.max_rate,
					"pages_confirmed", confirmed, "failure_class", out.failure_class,
					"failure_reason", out.failure_reason, "updated_at", (json_int_t)now);
				rc = store_fax_update_if(tx, job->fax_id, "sending", upd);
				json_decref(upd);
			}
			log_event(LOG_INFO, "fax.attempt_done", "fax=%s attempt=%d result=%s class=%s next=%s",
				job->fax_id, job->attempt, result, r->ok ? "" : r->fail_class, out.status);
		}
	} else {
		rc = STORE_ERROR;
	}
	json_decref(f);
	if (rc != STORE_OK) {
		store_rollback(tx);
		log_event(LOG_ERROR, "fax.finish_failed", "fax=%s attempt=%d", job->fax_id, job->attempt);
		return -1;
	}
	return store_commit(tx) == STORE_OK ? 0 : -1;
}

int dom_fax_job_tiff(store_t *st, const fax_env_t *env, const fax_job_t *job, const char *path)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	int rc = doc_get_file_tx(tx, env, job->account_id, job->doc_id, path);
	store_rollback(tx);
	return rc;
}

int dom_fax_cancelled(store_t *st, const char *fax_id)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return 0;
	json_t *f = store_fax_get(tx, NULL, fax_id);
	int c = f && strcmp(rec_str(f, "status"), "cancelled") == 0;
	json_decref(f);
	store_rollback(tx);
	return c;
}

/* Renders a submission left by a crash again, from its originals. */
static int recover_submission(store_t *st, const fax_env_t *env, const json_t *sub)
{
	const char *account_id = rec_str(sub, "account_id");
	json_t *orig = json_loads(rec_str(sub, "originals"), 0, NULL);
	json_t *opt = json_loads(rec_str(sub, "options"), 0, NULL);
	char dir[512] = "";
	int n = (int)json_array_size(orig), pages = 0, failed = 0;
	struct render_result rr = { 0 };
	rr.fail = RENDER_E_INTERNAL;
	store_tx_t *tx = store_begin(st, false);
	if (!tx || dom_workdir_new(env, dir, sizeof dir) != 0) {
		failed = 1;
	}
	for (int i = 0; i < n && !failed; i++) {
		char *p = xasprintf("%s/in-%d", dir, i);
		if (doc_get_file_tx(tx, env, account_id, json_string_value(json_array_get(orig, (size_t)i)),
			    p) != 0)
			failed = 1;
		free(p);
	}
	if (tx)
		store_rollback(tx);
	if (!failed && (n == 0 || render_submission(env, dir, n, opt, rec_str(sub, "id"), &pages,
					   &rr) != 0))
		failed = 1;
	tx = store_begin(st, true);
	int rc = tx ? 0 : -1;
	if (tx && !failed) {
		char *tiff = xasprintf("%s/fax.tif", dir);
		rc = queue_submission(tx, env, &system_actor, sub, tiff, pages, NULL);
		free(tiff);
	} else if (tx) {
		/* A final answer with the renderer's reason, never a fax left
		 * rendering forever. */
		json_t *faxes = store_fax_by_submission(tx, rec_str(sub, "id"));
		size_t i;
		json_t *f;
		int64_t now = time_now_ms();
		enum render_lang lang = RENDER_LANG_EN;
		render_lang_parse(rec_str(opt, "lang"), &lang);
		json_array_foreach(faxes, i, f)
			if (fax_end(tx, env, rec_str(f, "id"), "failed", "document",
				    render_fail_message(rr.fail, lang), now) != 0)
				rc = -1;
		json_decref(faxes);
	}
	if (tx && rc == 0)
		drop_submission(tx, env, sub);
	if (tx && (rc != 0 || store_commit(tx) != STORE_OK)) {
		if (rc != 0)
			store_rollback(tx);
		rc = -1;
	}
	dom_workdir_wipe(dir);
	json_decref(orig);
	json_decref(opt);
	log_event(rc == 0 ? LOG_INFO : LOG_ERROR, "fax.submission_recovered", "sub=%s rendered=%s",
		rec_str(sub, "id"), failed ? "no" : "yes");
	return rc;
}

/* The attempts of open (in progress, their call gone) become interrupted,
 * their faxes queued again at once with the confirmed pages kept, or
 * delivered when every page went through. The number of faxes requeued or
 * ended; *err set on a failure. */
static int interrupt_attempts(store_tx_t *tx, const fax_env_t *env, const json_t *open,
	int64_t now, int *err)
{
	int n = 0;
	size_t i;
	json_t *a;
	json_array_foreach(open, i, a) {
		const char *fax_id = rec_str(a, "fax_id");
		json_t *upd = json_pack("{s:s, s:I, s:I, s:s}", "result", "interrupted", "ended_at",
			(json_int_t)now, "duration_ms",
			(json_int_t)(now - json_integer_value(json_object_get(a, "started_at"))),
			"failure_class", "interrupted");
		int confirmed = store_fax_pages_count(tx, fax_id, "confirmed");
		int first = (int)json_integer_value(json_object_get(a, "first_page"));
		json_t *f = store_fax_get(tx, NULL, fax_id);
		/* pages of this call already persisted one by one */
		int in_call = 0;
		json_t *pages = store_fax_pages(tx, fax_id);
		size_t k;
		json_t *p;
		json_array_foreach(pages, k, p)
			if (json_integer_value(json_object_get(p, "page")) >= first &&
			    strcmp(rec_str(p, "status"), "confirmed") == 0)
				in_call++;
		json_decref(pages);
		json_object_set_new(upd, "pages_confirmed", json_integer(in_call));
		/* A confirmed page was sent: the attempt's count of pages sent
		 * must not say less than it confirmed, whatever the crash cut. */
		if (json_integer_value(json_object_get(a, "pages_sent")) < in_call)
			json_object_set_new(upd, "pages_sent", json_integer(in_call));
		if (store_attempt_update(tx, rec_str(a, "id"), upd) != STORE_OK)
			*err = 1;
		json_decref(upd);
		if (f && strcmp(rec_str(f, "status"), "sending") == 0) {
			int done = pages_done(tx, fax_id);
			int count = (int)json_integer_value(json_object_get(f, "page_count"));
			if (done >= count && count > 0) {
				if (fax_end(tx, env, fax_id, "delivered", NULL, NULL, now) != 0)
					*err = 1;
			} else {
				/* The interrupted attempt does not count against the retries:
				 * the crash was ours, not the line's. */
				json_t *fu = json_pack("{s:s, s:I, s:I, s:i, s:I}", "status", "queued",
					"next_attempt_at", (json_int_t)now, "updated_at", (json_int_t)now,
					"pages_confirmed", confirmed < 0 ? 0 : confirmed, "attempts_made",
					json_integer_value(json_object_get(f, "attempts_made")) > 0
						? json_integer_value(json_object_get(f, "attempts_made")) - 1 : 0);
				if (store_fax_update_if(tx, fax_id, "sending", fu) != STORE_OK)
					*err = 1;
				json_decref(fu);
			}
			n++;
		}
		json_decref(f);
		log_event(LOG_INFO, "fax.attempt_interrupted", "fax=%s attempt=%s node=%s", fax_id,
			rec_str(a, "id"), rec_str(a, "node"));
	}
	return n;
}

int dom_fax_recover(store_t *st, const fax_env_t *env, const char *node, int64_t now,
	int64_t stale_ms)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *open = store_attempts_open(tx, node, stale_ms > 0 ? now - stale_ms : 0);
	int err = open ? 0 : 1;
	int n = interrupt_attempts(tx, env, open, now, &err);
	size_t i;
	json_decref(open);
	json_t *subs = err ? NULL : store_submissions_all(tx);
	if (err || store_commit(tx) != STORE_OK) {
		if (err)
			store_rollback(tx);
		json_decref(subs);
		return -1;
	}
	json_t *s;
	json_array_foreach(subs, i, s) {
		if (recover_submission(st, env, s) != 0)
			err = 1;
		n++;
	}
	json_decref(subs);
	return err ? -1 : n;
}

int dom_fax_lease_renew(store_t *st, const fax_env_t *env, const char *node, int64_t now)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int n = store_attempts_renew(tx, node, now + fax_env_lease_ms(env));
	if (n < 0) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx) == STORE_OK ? n : -1;
}

int dom_fax_take_over(store_t *st, const fax_env_t *env, const char *node, int64_t now)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	/* A look in a read transaction first: most of the time there is none,
	 * and the writers of every node are not held up for it. */
	json_t *open = store_attempts_expired(tx, node, now);
	store_rollback(tx);
	if (!open)
		return -1;
	if (json_array_size(open) == 0) {
		json_decref(open);
		return 0;
	}
	json_decref(open);
	tx = store_begin(st, true);
	if (!tx)
		return -1;
	open = store_attempts_expired(tx, node, now);
	int err = open ? 0 : 1;
	int n = interrupt_attempts(tx, env, open, now, &err);
	size_t i;
	json_t *a;
	json_array_foreach(open, i, a)
		log_event(LOG_WARN, "fax.lease_expired", "fax=%s attempt=%s node=%s taken_by=%s",
			rec_str(a, "fax_id"), rec_str(a, "id"), rec_str(a, "node"), node ? node : "");
	json_decref(open);
	if (err || store_commit(tx) != STORE_OK) {
		if (err)
			store_rollback(tx);
		return -1;
	}
	return n;
}

int dom_fax_queue_depth(store_t *st, int *rendering, int *queued, int *sending)
{
	*rendering = *queued = *sending = 0;
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	json_t *rows = store_fax_count_open(tx);
	store_rollback(tx);
	if (!rows)
		return -1;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const char *s = rec_str(r, "status");
		int n = (int)json_integer_value(json_object_get(r, "n"));
		if (strcmp(s, "rendering") == 0)
			*rendering = n;
		else if (strcmp(s, "queued") == 0)
			*queued = n;
		else if (strcmp(s, "sending") == 0)
			*sending = n;
	}
	json_decref(rows);
	return 0;
}

int dom_fax_inbound_refused(store_t *st, const char *account_id, const char *number,
	const char *trunk_id, int sip_status, const char *why)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int rc = fax_audit(tx, &system_actor, "fax.inbound.refused", number, account_id, "failure",
		json_pack("{s:s, s:s, s:i, s:s}", "number", number, "trunk", trunk_id, "sip_status",
			sip_status, "reason", why));
	if (rc != 0) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx) == STORE_OK ? 0 : -1;
}

/* How the account mails received faxes (its security settings'
 * received_fax_mail): "attachment" (the default), "link", "safebox" (the
 * fax in a SafeBox of the member, the mail a notice) or "none". */
static const char *fax_mail_mode(store_tx_t *tx, const char *account_id)
{
	json_t *row = store_settings_get(tx, account_id);
	json_t *doc = row ? json_loads(rec_str(row, "security"), 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(doc, "received_fax_mail"));
	const char *mode = "attachment";
	if (m && strcmp(m, "link") == 0)
		mode = "link";
	else if (m && strcmp(m, "none") == 0)
		mode = "none";
	else if (m && strcmp(m, "safebox") == 0)
		mode = "safebox";
	json_decref(doc);
	json_decref(row);
	return mode;
}

/* Whether faxes of the shared inbox are delivered as SafeBoxes (security
 * setting shared_inbox_safebox, with received_fax_mail = safebox). */
static bool shared_inbox_safebox(store_tx_t *tx, const char *account_id)
{
	json_t *row = store_settings_get(tx, account_id);
	json_t *doc = row ? json_loads(rec_str(row, "security"), 0, NULL) : NULL;
	bool on = json_is_true(json_object_get(doc, "shared_inbox_safebox"));
	json_decref(doc);
	json_decref(row);
	return on;
}

/* Fax to e-mail: queues the mail of received fax f to the member its
 * number routes to, in f's transaction; box: the SafeBox it was delivered
 * in ("" : none, and a "safebox" account is then mailed a link). 0 (queued,
 * or nothing to queue), -1 when the outbox could not be written. */
static int mail_received(store_tx_t *tx, const fax_env_t *env, const json_t *f,
	const char *person_id, const char *box)
{
	if (!env->mail_on)
		return 0;
	const char *mode = fax_mail_mode(tx, rec_str(f, "account_id"));
	if (strcmp(mode, "safebox") == 0 && !*box)
		mode = "link";
	json_t *p = strcmp(mode, "none") != 0 ? store_principal_get(tx, person_id) : NULL;
	if (!p || strcmp(rec_str(p, "status"), "active") != 0) {
		json_decref(p);
		return 0;
	}
	char when[40];
	json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "name",
		rec_str(p, "name"), "fax_id", rec_str(f, "id"), "from", rec_str(f, "from_number"),
		"number", rec_str(f, "to_number"), "pages",
		json_integer_value(json_object_get(f, "page_count")), "received_at",
		time_format_rfc3339(json_integer_value(json_object_get(f, "created_at")), when,
			sizeof when), "mode", mode, "account_id", rec_str(f, "account_id"));
	if (strcmp(mode, "attachment") == 0)
		json_object_set_new(params, "doc_id", json_string(rec_str(f, "doc_id")));
	if (strcmp(mode, "safebox") == 0)
		json_object_set_new(params, "safebox_id", json_string(box));
	int rc = mail_queue_tx(tx, env, true, MAIL_KIND_FAX_RECEIVED, p, "en", params, NULL);
	json_decref(params);
	json_decref(p);
	return rc;
}

/* received_fax_mail = safebox: the received TIFF tiff_path as a PDF into
 * *pdf (malloc'd, caller frees), when the fax is routed to a member of an
 * account that asks for it. Rendered before the fax's write transaction.
 * 1 made, 0 not wanted, -1 wanted but the PDF could not be made. */
static int inbound_safebox_pdf(store_t *st, const fax_env_t *env, const json_t *route,
	const char *tiff_path, unsigned char **pdf, size_t *len)
{
	*pdf = NULL;
	*len = 0;
	bool shared = strncmp(rec_str(route, "route_to"), "usr_", 4) != 0;
	store_tx_t *rt = store_begin(st, false);
	if (!rt)
		return -1;
	bool want = strcmp(fax_mail_mode(rt, rec_str(route, "account_id")), "safebox") == 0 &&
		(!shared || shared_inbox_safebox(rt, rec_str(route, "account_id")));
	store_rollback(rt);
	if (!want)
		return 0;
	char dir[512];
	if (dom_workdir_new(env, dir, sizeof dir) != 0)
		return -1;
	char *out = xasprintf("%s/fax.pdf", dir);
	struct render_result rr = { 0 };
	struct render_opts ro;
	render_opts_init(&ro);
	ro.helper_path = env->render_helper;
	int rc = render_tiff_to_pdf_opts(tiff_path, out, &ro, &rr) == 0 &&
		read_file(out, pdf, len) == 0 ? 1 : -1;
	dom_workdir_wipe(dir);
	free(out);
	return rc;
}

/* Delivers received fax f to member person_id in a SafeBox holding pdf,
 * named in the member's language; its id into box. 0 / -1. */
static int inbound_to_safebox(store_tx_t *tx, const fax_env_t *env, const json_t *f,
	const char *person_id, const unsigned char *pdf, size_t len, char box[64],
	char sb_doc[DOC_ID_MAX])
{
	json_t *p = store_principal_get(tx, person_id);
	char subject[160];
	snprintf(subject, sizeof subject, i18n_is_fr(p ? rec_str(p, "lang") : "") ?
		"Fax de %s pour %s" : "Fax from %s to %s", rec_str(f, "from_number"),
		rec_str(f, "to_number"));
	json_decref(p);
	return safebox_from_fax(tx, env, f, person_id, subject, pdf, len, box, sb_doc);
}

/* fax.receive's detail: the number, the pages, and the SafeBoxes it was
 * delivered in from the shared inbox (when any). */
static json_t *receive_detail(const json_t *route, int pages, int shared_boxes)
{
	json_t *d = json_pack("{s:s, s:i}", "number", rec_str(route, "number"), "pages", pages);
	if (shared_boxes > 0)
		json_object_set_new(d, "shared_inbox_safeboxes", json_integer(shared_boxes));
	return d;
}

/* A fax of the shared inbox delivered as SafeBoxes: one for each member
 * who may read the inbox, each mailed a notice in their language. The
 * number of boxes into *n. 0 / -1. */
static int inbound_to_shared(store_tx_t *tx, const fax_env_t *env, const json_t *f,
	const unsigned char *pdf, size_t len, int *n)
{
	json_t *who = safebox_inbox_readers(tx, rec_str(f, "account_id"));
	int rc = who ? 0 : -1;
	size_t i;
	json_t *m;
	json_array_foreach(who, i, m) {
		char box[64] = "", sb_doc[DOC_ID_MAX] = "";
		if (rc == 0)
			rc = inbound_to_safebox(tx, env, f, json_string_value(m), pdf, len, box, sb_doc);
		if (rc == 0)
			rc = mail_received(tx, env, f, json_string_value(m), box);
		if (rc == 0)
			(*n)++;
	}
	json_decref(who);
	return rc;
}

int dom_fax_inbound(store_t *st, const fax_env_t *env, const json_t *route, const char *tiff_path,
	const fax_result_t *r, char fax_id_out[64])
{
	unsigned char *sbpdf = NULL;
	size_t sblen = 0;
	/* Without its PDF the fax stays in the inbox and the member is
	 * mailed a link. */
	if (r->pages_received > 0 &&
	    inbound_safebox_pdf(st, env, route, tiff_path, &sbpdf, &sblen) < 0)
		log_event(LOG_WARN, "fax.inbound_safebox_failed", "account=%s reason=pdf",
			rec_str(route, "account_id"));
	const char *account_id = rec_str(route, "account_id");
	char cur[4];
	const char *route_to = rec_str(route, "route_to");
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int64_t now = time_now_ms();
	int pages = r->pages_received;
	char doc_id[DOC_ID_MAX] = "";
	int rc = STORE_OK;
	if (pages > 0 && doc_put_file_tx(tx, env, account_id, "received", tiff_path, pages, doc_id) != 0)
		rc = STORE_ERROR;
	/* Inbound: "received" when the call ended well with pages ("delivered"
	 * is a sent fax's word), "partial" when it broke off after some. */
	const char *status = r->ok && pages > 0 ? "received" : pages > 0 ? "partial" : "failed";
	char *id = sec_new_id("fax");
	snprintf(fax_id_out, 64, "%s", id);
	json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:i, s:i, s:I, s:s,"
			      " s:I, s:I, s:I, s:i}",
		"id", id, "account_id", account_id, "direction", "inbound", "status", status,
		"from_number", r->from_user, "to_number", rec_str(route, "number"),
		"page_count", pages, "pages_confirmed", pages, "resolution", "fine", "retries", 0,
		"attempts_made", 1, "cost", (json_int_t)0, "currency", currency_of(tx, env, account_id, cur),
		"created_at", (json_int_t)now, "updated_at", (json_int_t)now,
		"completed_at", (json_int_t)now, "estimated_cost", 0);
	if (strncmp(route_to, "usr_", 4) == 0)
		json_object_set_new(f, "user_id", json_string(route_to));
	if (doc_id[0])
		json_object_set_new(f, "doc_id", json_string(doc_id));
	if (*rec_str(route, "trunk_id"))
		json_object_set_new(f, "trunk_id", json_string(rec_str(route, "trunk_id")));
	if (!r->ok) {
		json_object_set_new(f, "failure_class", json_string(r->fail_class[0] ? r->fail_class : "network"));
		json_object_set_new(f, "failure_reason", json_string(r->reason[0] ? r->reason
			: "the call ended before the fax was received"));
	}
	if (rc == STORE_OK)
		rc = store_fax_insert(tx, f);
	json_decref(f);
	if (rc == STORE_OK)
		rc = store_fax_pages_init(tx, id, pages, "received");
	for (int k = 0; k < r->npages && rc == STORE_OK; k++)
		if (strcmp(r->pages[k].result, "OK") != 0 && r->pages[k].page >= 1 &&
		    r->pages[k].page <= pages)
			rc = store_fax_page_set(tx, id, r->pages[k].page, "bad");
	char *aid = sec_new_id("att");
	json_t *att = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:I, s:i}", "id", aid,
		"fax_id", id, "account_id", account_id, "attempt", 1, "direction", "inbound",
		"from_number", r->from_user, "to_number", rec_str(route, "number"),
		"result", "in_progress", "started_at",
		(json_int_t)(r->start_ms > 0 ? r->start_ms : now), "first_page", 1);
	if (strncmp(route_to, "usr_", 4) == 0)
		json_object_set_new(att, "user_id", json_string(route_to));
	if (*rec_str(route, "trunk_id"))
		json_object_set_new(att, "trunk_id", json_string(rec_str(route, "trunk_id")));
	if (rc == STORE_OK)
		rc = store_attempt_insert(tx, att);
	json_decref(att);
	json_t *cdr = cdr_fields(r, r->ok && pages > 0 ? "ok" : pages > 0 ? "partial" : "failed",
		r->start_ms > 0 ? r->start_ms : now, now, 0);
	if (rc == STORE_OK)
		rc = store_attempt_update(tx, aid, cdr);
	json_decref(cdr);
	free(aid);
	json_t *g = rc == STORE_OK ? store_fax_get(tx, NULL, id) : NULL;
	char box[64] = "", sb_doc[DOC_ID_MAX] = "";
	bool to_member = strncmp(route_to, "usr_", 4) == 0;
	int shared_boxes = 0;
	if (g && sbpdf && doc_id[0] && (to_member
		? inbound_to_safebox(tx, env, g, route_to, sbpdf, sblen, box, sb_doc)
		: inbound_to_shared(tx, env, g, sbpdf, sblen, &shared_boxes)) != 0)
		rc = STORE_ERROR;
	if (sbpdf) {
		sodium_memzero(sbpdf, sblen);
		free(sbpdf);
	}
	if (g && doc_id[0] && strncmp(route_to, "usr_", 4) == 0 &&
	    mail_received(tx, env, g, route_to, box) != 0)
		rc = STORE_ERROR;
	if (!g || emit(tx, g, "fax.received") != 0 ||
	    fax_audit(tx, &system_actor, "fax.receive", id, account_id,
		    r->ok ? "success" : "failure", receive_detail(route, pages, shared_boxes)) != 0)
		rc = STORE_ERROR;
	json_decref(g);
	free(id);
	if (rc != STORE_OK || store_commit(tx) != STORE_OK) {
		if (rc != STORE_OK)
			store_rollback(tx);
		if (doc_id[0])
			vault_blob_remove(env->doc_dir, doc_id);
		if (sb_doc[0])
			vault_blob_remove(env->doc_dir, sb_doc);
		log_event(LOG_ERROR, "fax.inbound_failed", "account=%s", account_id);
		return -1;
	}
	log_event(LOG_INFO, "fax.received", "fax=%s account=%s pages=%d status=%s", fax_id_out,
		account_id, pages, status);
	return 0;
}
