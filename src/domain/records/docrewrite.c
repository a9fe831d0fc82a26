/* Rewriting stored fax documents (see docrewrite.h). */
#include "records_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "buf.h"
#include "fax/fax.h"
#include "dom_util.h"
#include "i18n.h"
#include "log.h"
#include "render.h"
#include "store_fax.h"
#include "store_retention.h"
#include "timeutil.h"
#include "xalloc.h"

const char *doc_rewrite_notice(const char *lang)
{
	return i18n_fmt(lang, "The message of this cover page was removed when personal data it "
		"may have held was erased.");
}

/* What the document was rendered with, from its faxes (the first one's
 * texts; every recipient on the cover, as at submission) and its recorded
 * rendering (rnd, NULL for documents rendered before it was recorded). */
struct rewrite_plan {
	int cover;
	char lang[8];
	int64_t date_ms;
	int pages;
	buf_t to;
};

static void plan_of(const json_t *faxes, const json_t *rnd, struct rewrite_plan *p)
{
	const json_t *f0 = json_array_get(faxes, 0);
	p->cover = rnd ? json_integer_value(json_object_get(rnd, "cover")) != 0
		: *rec_str(f0, "cover_subject") != '\0';
	snprintf(p->lang, sizeof p->lang, "%s", rnd && *rec_str(rnd, "lang") ? rec_str(rnd, "lang")
		: "en");
	p->date_ms = rnd ? json_integer_value(json_object_get(rnd, "date_ms"))
		: json_integer_value(json_object_get(f0, "created_at"));
	p->pages = (int)json_integer_value(json_object_get(f0, "page_count"));
	buf_init(&p->to, 256);
	size_t i, k;
	json_t *f, *g;
	json_array_foreach(faxes, i, f) {
		const char *n = rec_str(f, "to_number");
		bool seen = false;
		json_array_foreach(faxes, k, g) {
			if (k >= i)
				break;
			seen |= strcmp(rec_str(g, "to_number"), n) == 0;
		}
		if (!seen)
			buf_printf(&p->to, "%s%s", p->to.len ? ", " : "", n);
	}
}

/* Renders the stored document in into out with the faxes' texts as they
 * are now: 0 with *pages, or -1. */
static int render_again(const fax_env_t *env, const json_t *faxes, const struct rewrite_plan *p,
	const char *in, const char *out, int *pages)
{
	const json_t *f0 = json_array_get(faxes, 0);
	struct render_opts ro;
	render_opts_init(&ro);
	ro.fine = strcmp(rec_str(f0, "resolution"), "fine") == 0;
	enum render_lang lang = RENDER_LANG_EN;
	render_lang_parse(p->lang, &lang);
	ro.lang = lang;
	/* The pages it has, whatever the cap is today. */
	ro.max_pages = RENDER_PAGES_MAX;
	if (env->render_timeout_ms > 0)
		ro.timeout_ms = env->render_timeout_ms;
	ro.date_ms = p->date_ms > 0 ? p->date_ms : time_now_ms();
	if (p->cover) {
		ro.cover = 1;
		ro.replace_first_page = 1;
		ro.cover_subject = *rec_str(f0, "cover_subject") ? rec_str(f0, "cover_subject") : NULL;
		ro.cover_text = doc_rewrite_notice(p->lang);
		ro.from = rec_str(f0, "from_number");
		ro.to = p->to.data ? p->to.data : "";
	}
	ro.header = *rec_str(f0, "header_text") ? rec_str(f0, "header_text") : NULL;
	ro.header_number = rec_str(f0, "from_number");
	ro.log_id = rec_str(f0, "id");
	ro.helper_path = env->render_helper;
	struct render_result rr = { 0 };
	int rc = render_documents((const char *const[]){ in }, 1, out, &ro, &rr);
	if (rc != 0)
		log_event(LOG_WARN, "fax.document_rewrite_failed", "fax=%s reason=%s",
			rec_str(f0, "id"), render_fail_code(rr.fail));
	*pages = rr.pages;
	return rc;
}

/* Drops the row of a document no live fax uses any more. */
static int drop_row(store_t *st, const char *doc_id)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	if (store_doc_rewrite_done(tx, doc_id) != STORE_OK) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx) == STORE_OK ? 0 : -1;
}

/* Rewrites the document of row: 1 done (or dropped), -1 failed. */
static int rewrite_one(store_t *st, const fax_env_t *env, const audit_ctx_t *actor,
	const json_t *row)
{
	char old[DOC_ID_MAX], acc[64];
	snprintf(old, sizeof old, "%s", rec_str(row, "doc_id"));
	snprintf(acc, sizeof acc, "%s", rec_str(row, "account_id"));
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	json_t *faxes = store_fax_by_doc(tx, old), *rnd = store_fax_rendering_get(tx, old);
	char dir[512] = "", *in = NULL, *out = NULL;
	int rc = -1, pages = 0;
	struct rewrite_plan p = { 0 };
	buf_init(&p.to, 16);
	if (faxes && json_array_size(faxes) == 0) {
		store_rollback(tx);
		rc = drop_row(st, old) == 0 ? 1 : -1;
		goto out;
	}
	if (faxes && dom_workdir_new(env, dir, sizeof dir) == 0) {
		in = xasprintf("%s/stored.tif", dir);
		out = xasprintf("%s/rewritten.tif", dir);
		rc = doc_get_file_tx(tx, env, acc, old, in);
	} else {
		dir[0] = '\0';
	}
	store_rollback(tx);
	if (rc != 0)
		goto out;
	buf_free(&p.to);
	plan_of(faxes, rnd, &p);
	/* Rendered outside any transaction; the same pages or nothing. */
	rc = render_again(env, faxes, &p, in, out, &pages);
	if (rc == 0 && p.pages > 0 && pages != p.pages)
		rc = -1;
	if (rc != 0)
		goto out;
	tx = store_begin(st, true);
	if (!tx) {
		rc = -1;
		goto out;
	}
	/* The faxes as they are now (one deleted meanwhile is not rewritten). */
	json_decref(faxes);
	faxes = store_fax_by_doc(tx, old);
	char fresh[DOC_ID_MAX] = "";
	int64_t now = time_now_ms();
	rc = faxes && json_array_size(faxes) > 0 &&
		doc_put_file_tx(tx, env, acc, "fax", out, pages, fresh) == 0 &&
		store_fax_doc_replace(tx, old, fresh, now) == STORE_OK &&
		(rnd ? store_fax_rendering_move(tx, old, fresh) : store_fax_rendering_put(tx, fresh, acc,
			p.cover, p.lang, p.date_ms)) == STORE_OK &&
		store_doc_rewrite_done(tx, old) == STORE_OK &&
		store_doc_delete(tx, acc, old) != STORE_ERROR ? 0 : -1;
	size_t i;
	json_t *f;
	json_array_foreach(faxes, i, f) {
		if (rc != 0)
			break;
		json_t *detail = json_pack("{s:s, s:s, s:s, s:i, s:b, s:b, s:b, s:b}", "reason",
			rec_str(row, "reason"), "rule", "GDPR art. 17: the person's name replaced by the "
			"pseudonym", "person", rec_str(row, "subject_id"), "pages", pages, "cover_redrawn",
			p.cover, "cover_message_removed", p.cover, "header_redrawn", 1,
			"old_document_destroyed", 1);
		backup_note_until(detail, env, now);
		rc = fax_audit(tx, actor, "fax.document_rewritten", rec_str(f, "id"), acc, "success",
			detail);
	}
	if (rc == 0 && store_commit(tx) == STORE_OK) {
		/* The old key is gone with the commit: now its blob. */
		doc_blob_remove(env, old);
		log_event(LOG_INFO, "fax.document_rewritten", "faxes=%zu pages=%d",
			json_array_size(faxes), pages);
		rc = 1;
	} else {
		if (rc == 0)
			rc = -1; /* the commit failed */
		else
			store_rollback(tx);
		/* The new blob has no row: removed (else the orphan sweep would). */
		if (fresh[0])
			doc_blob_remove(env, fresh);
	}
out:
	if (dir[0])
		dom_workdir_wipe(dir);
	free(in);
	free(out);
	buf_free(&p.to);
	json_decref(faxes);
	json_decref(rnd);
	return rc;
}

int dom_doc_rewrites_run(store_t *st, const fax_env_t *env, const audit_ctx_t *actor,
	const char *account_id, int limit)
{
	if (!env || !fax_env_has_keys(env))
		return 0;
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	json_t *due = store_doc_rewrites_due(tx, account_id, limit);
	store_rollback(tx);
	if (!due)
		return -1;
	int n = 0, failed = 0;
	size_t i;
	json_t *d;
	json_array_foreach(due, i, d) {
		if (rewrite_one(st, env, actor, d) == 1)
			n++;
		else
			failed++;
	}
	json_decref(due);
	return failed ? -1 : n;
}
