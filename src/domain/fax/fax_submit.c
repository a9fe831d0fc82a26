/* Faxes (faxes.h): submission (documents checked, originals stored with
 * the render job that renders and queues them: fax_render_job.c), quote
 * and resend. */
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

/* Renders the inputs (ninputs descriptors) into out_fd with the options
 * saved for the submission. 0 with *pages, or -1 with r->fail. */
int fx_render_submission(const fax_env_t *env, const int *inputs, int ninputs, int out_fd,
	const json_t *opt, const char *log_id, int *pages, struct render_result *r)
{
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
	/* The header line and the coding in the helper: the service's own CPU
	 * is then only the writing of finished pages. */
	ro.compose_in_helper = 1;
	memset(r, 0, sizeof *r);
	int rc = render_documents_fd(inputs, (size_t)ninputs, out_fd, &ro, r);
	*pages = r->pages;
	buf_free(&to);
	return rc;
}

/* The problem of a refused rendering, with the page cap named when it is
 * the reason (faxes_int.h). Both languages are formatted: the API answers
 * the one asked for, the render job records the submitter's. */
int fx_render_problem(enum render_fail f, int max_pages, dom_err_t *e)
{
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
	return fx_render_problem(RENDER_E_UNSUPPORTED, 0, e);
}

/* The rendered TIFF becomes the faxes' document: each fax of the
 * submission still rendering is queued with its pages, estimated cost,
 * webhook and audit event (fax.rendered). items (may be NULL) receives the
 * faxes. */
int fx_queue_submission(store_tx_t *tx, const fax_env_t *env, const audit_ctx_t *actor,
	const json_t *sub, int tiff_fd, int pages, json_t *items)
{
	char doc_id[DOC_ID_MAX];
	const char *account_id = rec_str(sub, "account_id");
	if (doc_put_fd_tx(tx, env, account_id, "fax", tiff_fd, pages, doc_id) != 0)
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
		if (strcmp(rec_str(f, "status"), "rendering") != 0)
			continue; /* cancelled meanwhile */
		const json_t *send_at = json_object_get(f, "send_at");
		int64_t due = json_is_integer(send_at) && json_integer_value(send_at) > now
			? json_integer_value(send_at) : now;
		json_t *upd = json_pack("{s:s, s:s, s:i, s:I, s:I, s:I, s:n}", "status", "queued",
			"doc_id", doc_id, "page_count", pages,
			"estimated_cost", (json_int_t)(pages * fx_price_for(tx, rec_str(f, "to_number"),
				rec_str(f, "currency"))),
			"next_attempt_at", (json_int_t)due, "updated_at", (json_int_t)now,
			"submission_id");
		if (store_fax_update_if(tx, id, "rendering", upd) != STORE_OK ||
		    store_fax_pages_init(tx, id, pages, "queued") != STORE_OK ||
		    fx_send_enqueue(tx, id, account_id, due) != 0)
			rc = -1;
		json_decref(upd);
		json_t *fresh = store_fax_get(tx, NULL, id);
		if (!fresh || fx_emit(tx, fresh, "fax.queued") != 0 ||
		    fax_audit(tx, actor, "fax.rendered", id, account_id, "success",
			    json_pack("{s:s, s:i}", "to", rec_str(fresh, "to_number"), "pages", pages)) != 0)
			rc = -1;
		if (fresh && items)
			json_array_append_new(items, fx_json(tx, fresh, false));
		json_decref(fresh);
	}
	json_decref(faxes);
	return rc;
}

/* Destroys a submission's row and its originals' rows in tx, and their
 * files once tx has committed (doc_shred_tx). */
void fx_drop_submission(store_tx_t *tx, const fax_env_t *env, const json_t *sub)
{
	json_t *orig = json_loads(rec_str(sub, "originals"), 0, NULL);
	size_t i;
	json_t *v;
	json_array_foreach(orig, i, v)
		doc_shred_tx(tx, env, rec_str(sub, "account_id"), json_string_value(v));
	json_decref(orig);
	store_submission_delete(tx, rec_str(sub, "id"));
}

/* The documents of a submission or a quote stored encrypted in c->tx, as
 * originals of account_id: the array of their ids (new reference), or NULL
 * with e. */
static json_t *store_originals(dom_ctx_t *c, const fax_env_t *env, const char *account_id,
	const fax_file_t *files, int nfiles, dom_err_t *e)
{
	json_t *orig = json_array();
	for (int i = 0; i < nfiles; i++) {
		char doc_id[DOC_ID_MAX];
		if (doc_put_tx(c->tx, env, account_id, "original", files[i].data, files[i].len, -1,
			    doc_id) != 0) {
			json_decref(orig);
			dom_fail(e, doc_failure_kind(), "", "the document could not be stored");
			return NULL;
		}
		json_array_append_new(orig, json_string(doc_id));
	}
	return orig;
}

/* ---- submission ---- */

int dom_fax_submit(dom_ctx_t *c, const json_t *fields, const fax_file_t *files, int nfiles,
	json_t **out, dom_err_t *e)
{
	if (fx_need_member(c, e) != 0)
		return -1;
	fax_opts_t o;
	if (fax_opts_parse(fields, &o, e) != 0)
		return -1;
	const fax_env_t *env = fx_env_of(c);
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
	 * number is always the sending number (fx_render_submission). */
	if (!o.header_text)
		o.header_text = sender;
	char cur[4];
	fx_currency_of(c->tx, env, account_id, cur);
	/* What depends on the pages is decided by the render job; what can be
	 * decided now is: a quota already used up, or a prepaid balance that
	 * cannot cover the fewest pages these documents can make (one each,
	 * and the cover page). The job checks again with the real count. */
	int least = nfiles + (o.cover_subject || o.cover_text ? 1 : 0);
	int64_t price = 0;
	for (int i = 0; i < o.nto; i++)
		price += (int64_t)least * fx_price_for(c->tx, o.to[i], cur);
	int credit = billing_submit_check(c, account_id, user_id, cur, (int64_t)least * o.nto,
		price, e);
	if (credit != 0) {
		c->keep_on_error = credit > 0;
		return -1;
	}

	/* Accepted: the originals are kept encrypted, the faxes exist in status
	 * rendering, and the render job is enqueued, all in this transaction:
	 * the answer comes now, and a crash loses nothing. Until the job has
	 * counted them, each fax holds its fewest pages and their price
	 * (page_count, estimated_cost) against the quotas and the prepaid
	 * balance, so that submissions made meanwhile see them. */
	int64_t now = time_now_ms();
	json_t *orig = store_originals(c, env, account_id, files, nfiles, e);
	if (!orig)
		return -1;
	char *sub_id = sec_new_id("sub");
	json_t *opt = render_options(&o, from, c->lang ? c->lang : "en");
	char *orig_s = json_dumps(orig, JSON_COMPACT), *opt_s = json_dumps(opt, JSON_COMPACT);
	json_t *sub = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", sub_id, "account_id",
		account_id, "user_id", user_id, "originals", orig_s, "options", opt_s, "created_at",
		(json_int_t)now);
	free(orig_s);
	free(opt_s);
	json_decref(orig);
	json_decref(opt);
	int rc = store_submission_insert(c->tx, sub);
	json_decref(sub);
	json_t *items = json_array();
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
		json_object_set_new(f, "page_count", json_integer(least));
		json_object_set_new(f, "estimated_cost",
			json_integer((json_int_t)least * fx_price_for(c->tx, o.to[i], cur)));
		rc = store_fax_insert(c->tx, f);
		json_decref(f);
		json_t *fresh = rc == STORE_OK ? store_fax_get(c->tx, NULL, id) : NULL;
		if (!fresh || fax_audit_c(c, "fax.submit", id, account_id, "success",
			    json_pack("{s:s, s:s}", "to", o.to[i], "status", "rendering")) != 0)
			rc = STORE_ERROR;
		if (fresh)
			json_array_append_new(items, fx_json(c->tx, fresh, false));
		json_decref(fresh);
		free(id);
	}
	if (rc == STORE_OK && fax_render_enqueue(c->tx, account_id, sub_id, c->source,
				    c->request_id) != 0)
		rc = STORE_ERROR;
	free(sub_id);
	if (rc != STORE_OK) {
		json_decref(items);
		return dom_fail(e, "internal", "", "the fax could not be stored");
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

/* A quote of documents: the checks that need no rendering (type, size,
 * anti-virus) now, then the documents stored encrypted with a quote job
 * of the queue (fax_quote_job.c) in this transaction. Answers {id,
 * status: "rendering", created_at}; the job renders and prices them, and
 * GET /v1/faxes/quotes/{quote_id} reads the quote. */
static int quote_queue(dom_ctx_t *c, const fax_env_t *env, const fax_opts_t *o,
	const json_t *form, const fax_file_t *files, int nfiles, json_t **out, dom_err_t *e)
{
	enum render_lang lang = RENDER_LANG_EN;
	render_lang_parse(c->lang, &lang);
	const char *account_id = c->who->account_id;
	for (int i = 0; i < nfiles; i++)
		if (dom_av_check(c, account_id, "file", files[i].data, files[i].len, e) != 0 ||
		    check_document(&files[i], i, nfiles, lang, e) != 0)
			return -1;
	char from[32];
	dom_caller_id(c->tx, account_id, c->who->person_id, from);
	json_t *orig = store_originals(c, env, account_id, files, nfiles, e);
	if (!orig)
		return -1;
	char *id = sec_new_id("quo");
	json_t *opt = render_options(o, from, c->lang ? c->lang : "en");
	int rc = fx_quote_enqueue(c, id, form, orig, opt);
	json_decref(orig);
	json_decref(opt);
	if (rc == 0)
		rc = fax_audit_c(c, "fax.quote_queued", id, account_id, "success",
			json_pack("{s:i, s:i}", "recipients", o->nto, "documents", nfiles));
	if (rc != 0) {
		free(id);
		return dom_fail(e, "internal", "", "the quote could not be stored");
	}
	char b[40];
	*out = json_pack("{s:s, s:s, s:s}", "id", id, "status", "rendering", "created_at",
		time_format_rfc3339(time_now_ms(), b, sizeof b));
	free(id);
	return 0;
}

int fx_quote_price(dom_ctx_t *c, const fax_env_t *env, const fax_opts_t *o, int pages,
	const char *quote_id, json_t **out, dom_err_t *e)
{
	const char *account_id = c->who->account_id;
	char cur[4];
	fx_currency_of(c->tx, env, account_id, cur);
	json_t *items = json_array();
	*out = json_pack("{s:i, s:s, s:o, s:b}", "pages", pages, "currency", cur, "items", items,
		"allowed", 1);
	dom_err_t why = { 0 };
	int64_t total = 0;
	for (int i = 0; i < o->nto; i++) {
		json_t *trunk = dom_trunk_for(c->tx, env, o->to[i]);
		int64_t price = fx_price_for(c->tx, o->to[i], cur);
		json_array_append_new(items, json_pack("{s:s, s:b, s:I, s:i, s:I, s:s}", "to",
			o->to[i], "reachable", trunk != NULL, "price_per_page", (json_int_t)price,
			"pages", pages, "amount", (json_int_t)(price * pages), "currency", cur));
		total += price * pages;
		if (!trunk) {
			dom_fail(&why, "no-route", "to", "no trunk can reach %s", o->to[i]);
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
	int fits = billing_quote(c, account_id, c->who->person_id, cur, (int64_t)pages * o->nto,
		total, *out, &why);
	if (fits < 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the balance could not be read");
	}
	if (fits > 0)
		quote_refuse(c, *out, &why);
	json_t *d = json_pack("{s:i, s:i, s:I, s:s, s:O}", "recipients", o->nto, "pages", pages,
		"total", (json_int_t)total, "currency", cur, "allowed",
		json_object_get(*out, "allowed"));
	if (quote_id)
		json_object_set_new(d, "quote_id", json_string(quote_id));
	if (fax_audit_c(c, "fax.quote", account_id, account_id, "success", d) != 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the read could not be recorded");
	}
	return 0;
}

int dom_fax_quote(dom_ctx_t *c, const json_t *fields, const fax_file_t *files, int nfiles,
	json_t **out, dom_err_t *e)
{
	*out = NULL;
	if (fx_need_member(c, e) != 0)
		return -1;
	const fax_env_t *env = fx_env_of(c);
	if (!env)
		return dom_fail(e, "unavailable", "", "faxing is not available on this service");
	/* "pages" is the quote's own field: the rest is a send's form. */
	json_t *form = json_is_object(fields) ? json_deep_copy(fields) : json_object();
	int given = 0;
	int max = env->max_pages > 0 ? env->max_pages : RENDER_PAGES_DEFAULT;
	int rc = fx_int_field(form, "pages", 1, max, 0, &given, e);
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
	/* Documents are rendered by the queue, never in the request. */
	if (rc == 0)
		rc = nfiles > 0 ? quote_queue(c, env, &o, form, files, nfiles, out, e)
				: fx_quote_price(c, env, &o, given, NULL, out, e);
	json_decref(form);
	return rc;
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
	json_t *f = fx_visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	const fax_env_t *env = fx_env_of(c);
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
	int64_t price = fx_price_for(c->tx, rec_str(f, "to_number"), rec_str(f, "currency"));
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
	if (rc == STORE_OK && fx_send_enqueue(c->tx, id, c->who->account_id, now) != 0)
		rc = STORE_ERROR;
	for (int p = 1; p <= skip && rc == STORE_OK; p++)
		rc = store_fax_page_set(c->tx, id, p, "skipped");
	json_t *g = rc == STORE_OK ? store_fax_get(c->tx, NULL, id) : NULL;
	if (!g || fx_emit(c->tx, g, "fax.queued") != 0 ||
	    fax_audit_c(c, "fax.resend", id, c->who->account_id, "success",
		    json_pack("{s:s, s:s}", "from_fax", fax_id, "pages", which)) != 0)
		rc = STORE_ERROR;
	json_decref(f);
	free(id);
	if (rc != STORE_OK) {
		json_decref(g);
		return dom_fail(e, "internal", "", "the fax could not be queued");
	}
	*out = json_pack("{s:[o]}", "items", fx_json(c->tx, g, false));
	json_decref(g);
	return 0;
}
