/* Faxes (faxes.h): the quote job (FAX_QUOTE_JOB). A quote of documents
 * (POST /v1/faxes/quote with files) stores them encrypted with this job
 * in the request's own transaction and answers 202 at once; a worker of
 * the queue (queue.h) renders them as a send renders them, outside any
 * request, prices the pages for each recipient as the member who asked
 * (fx_quote_price), records the quote as the job's progress and shreds
 * the documents in the same transaction. GET /v1/faxes/quotes/{quote_id}
 * reads it (dom_fax_quote_get). A run cut by a crash renders again: the
 * documents stay until the transaction that records the quote commits. */
#include "fax.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dom_util.h"
#include "log.h"
#include "queue.h"
#include "render.h"
#include "store_jobs.h"
#include "timeutil.h"
#include "xalloc.h"
#include "fax_int.h"

/* The job's payload as fx_render_stored and fx_drop_submission read a
 * submission: {id, account_id, originals, options} (new reference). */
static json_t *as_submission(const queue_job_t *job)
{
	char *orig = json_dumps(json_object_get(job->payload, "originals"), JSON_COMPACT);
	char *opt = json_dumps(json_object_get(job->payload, "options"), JSON_COMPACT);
	json_t *sub = json_pack("{s:s, s:s, s:s, s:s}", "id", rec_str(job->payload, "quote_id"),
		"account_id", job->account_id, "originals", orig ? orig : "[]", "options",
		opt ? opt : "{}");
	free(orig);
	free(opt);
	return sub;
}

/* The documents of a quote are shredded once it is recorded (or given
 * up); no submission row exists for them. */
static void shred(store_tx_t *tx, const fax_env_t *env, const queue_job_t *job)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(job->payload, "originals"), i, v)
		doc_shred_tx(tx, env, job->account_id, json_string_value(v));
}

/* Ours (a fork, a full disk), not the document's: worth another run. */
static bool transient(enum render_fail f)
{
	return f == RENDER_E_INTERNAL || f == RENDER_E_IO;
}

/* The quote of job's rendered pages (pages), or its refusal, in tx, as
 * the member who asked: {status: "ready", quote} or {status: "failed",
 * problem: {type, detail}} (new reference), NULL on a store error. */
static json_t *quote_of(store_tx_t *tx, const queue_job_t *job, const dom_config_t *cfg,
	bool failed, enum render_fail fail, int pages)
{
	const fax_env_t *env = cfg->fax;
	const char *lang = strcmp(rec_str(job->payload, "lang"), "fr") == 0 ? "fr" : "en";
	principal_t who = { 0 };
	json_t *person = store_principal_get(tx, rec_str(job->payload, "user_id"));
	bool member = person && dom_principal_from_record(tx, person, &who) == 0 &&
		strcmp(who.account_id, job->account_id) == 0;
	json_decref(person);
	dom_ctx_t c = { .store = job->st, .tx = tx, .who = member ? &who : NULL,
		.actor = member ? NULL : fx_system_actor.actor,
		.source = rec_str(job->payload, "source"),
		.request_id = rec_str(job->payload, "request_id"), .lang = lang, .cfg = cfg };
	dom_err_t e = { 0 };
	json_t *q = NULL;
	int rc = -1;
	if (failed) {
		fx_render_problem(fail, env->max_pages, &e);
	} else if (!member) {
		dom_fail(&e, "forbidden", "", "the member who asked for the quote can no longer send faxes");
	} else {
		fax_opts_t o;
		if (fax_opts_parse(json_object_get(job->payload, "form"), &o, &e) == 0)
			rc = fx_quote_price(&c, env, &o, pages, rec_str(job->payload, "quote_id"), &q, &e);
		if (rc != 0 && e.kind && strcmp(e.kind, "internal") == 0)
			return NULL;
	}
	if (rc == 0)
		return json_pack("{s:s, s:o}", "status", "ready", "quote", q);
	return json_pack("{s:s, s:{s:s, s:s}}", "status", "failed", "problem", "type", e.kind,
		"detail", dom_err_detail(&e, lang));
}

static enum queue_outcome quote_run(const queue_job_t *job, void *arg, char *why, size_t whylen)
{
	const dom_config_t *cfg = arg;
	const fax_env_t *env = cfg ? cfg->fax : NULL;
	if (!env) {
		snprintf(why, whylen, "faxing is not available on this node");
		return QUEUE_RETRY;
	}
	json_t *sub = as_submission(job);
	int tiff_fd = -1;
	int pages = 0;
	struct render_result rr;
	int64_t t0 = time_now_ms();
	int failed = fx_render_stored(job->st, env, sub, &tiff_fd, &pages, &rr) != 0;
	json_decref(sub);
	if (tiff_fd >= 0)
		close(tiff_fd);
	if (failed && transient(rr.fail)) {
		snprintf(why, whylen, "the renderer could not run (%s)", render_fail_code(rr.fail));
		return QUEUE_RETRY;
	}
	if (failed) {
		/* The detail comes from the renderer, which reads what a stranger
		 * sent: quoted, so that it cannot forge fields or lines. */
		char lq[300];
		log_event(LOG_INFO, "fax.quote_render_failed", "quote=%s fail=%s detail=%s",
			rec_str(job->payload, "quote_id"), render_fail_code(rr.fail),
			log_quote(rr.detail, lq, sizeof lq));
	}
	store_tx_t *tx = store_begin(job->st, true);
	int rc = tx ? queue_job_hold(tx, job) : STORE_ERROR;
	json_t *result = rc == STORE_OK ? quote_of(tx, job, cfg, failed, rr.fail, pages) : NULL;
	if (result && queue_job_progress(tx, job, result) == STORE_OK) {
		shred(tx, env, job);
		rc = store_commit(tx) == STORE_OK ? STORE_OK : STORE_ERROR;
		tx = NULL;
	} else if (rc == STORE_OK) {
		rc = STORE_ERROR;
	}
	if (tx)
		store_rollback(tx);
	log_event(rc == STORE_OK ? LOG_INFO : LOG_WARN, "fax.quoted",
		"quote=%s pages=%d result=%s ms=%lld attempt=%d", rec_str(job->payload, "quote_id"),
		pages, rc != STORE_OK ? "retry" : rec_str(result, "status"),
		(long long)(time_now_ms() - t0), job->attempt);
	json_decref(result);
	if (rc == STORE_OK)
		return QUEUE_DONE;
	snprintf(why, whylen, rc == STORE_NOTFOUND ? "the job's lease was lost"
		: "the quote could not be recorded");
	return QUEUE_RETRY;
}

/* Given up (the renderer could not run, again and again): the documents
 * are shredded; the quote reads as failed. */
static int quote_failed(store_tx_t *tx, const queue_job_t *job, void *arg, const char *why)
{
	const dom_config_t *cfg = arg;
	log_event(LOG_ERROR, "fax.quote_given_up", "quote=%s why=\"%s\"",
		rec_str(job->payload, "quote_id"), why);
	if (cfg && cfg->fax)
		shred(tx, cfg->fax, job);
	return 0;
}

int fx_quote_enqueue(dom_ctx_t *c, const char *quote_id, const json_t *form,
	const json_t *originals, const json_t *options)
{
	json_t *p = json_pack("{s:s, s:s, s:O, s:O, s:O, s:s, s:s, s:s}", "quote_id", quote_id,
		"user_id", c->who->person_id, "form", form, "originals", originals, "options", options,
		"lang", c->lang ? c->lang : "en", "source", c->source ? c->source : "",
		"request_id", c->request_id ? c->request_id : "");
	int rc = queue_enqueue(c->tx, FAX_QUOTE_JOB, c->who->account_id, quote_id, p,
		FAX_RENDER_ATTEMPTS, 0, NULL);
	json_decref(p);
	return rc;
}

int dom_fax_quote_get(dom_ctx_t *c, const char *quote_id, json_t **out, dom_err_t *e)
{
	*out = NULL;
	if (fx_need_member(c, e) != 0)
		return -1;
	json_t *job = store_job_by_ref(c->tx, FAX_QUOTE_JOB, quote_id);
	json_t *payload = job ? json_loads(rec_str(job, "payload"), 0, NULL) : NULL;
	/* A quote is its member's own: anyone else, in the account or not,
	 * learns nothing of it. */
	if (!job || strcmp(rec_str(job, "account_id"), c->who->account_id) != 0 ||
	    strcmp(rec_str(payload, "user_id"), c->who->person_id) != 0) {
		json_decref(job);
		json_decref(payload);
		return dom_fail(e, "not-found", "", "no such quote");
	}
	const char *ps = rec_str(job, "progress"), *state = rec_str(job, "state");
	json_t *res = *ps ? json_loads(ps, 0, NULL) : NULL;
	char b[40];
	*out = json_pack("{s:s, s:s}", "id", quote_id, "created_at",
		time_format_rfc3339(json_integer_value(json_object_get(job, "created_at")), b,
			sizeof b));
	if (strcmp(state, "done") == 0 && res) {
		json_object_set(*out, "status", json_object_get(res, "status"));
		json_t *q = json_object_get(res, "quote");
		if (q)
			json_object_update(*out, q);
		json_t *p = json_object_get(res, "problem");
		if (p)
			json_object_set(*out, "problem", p);
	} else if (strcmp(state, "failed") == 0) {
		dom_err_t why = { 0 };
		fx_render_problem(RENDER_E_INTERNAL, 0, &why);
		json_object_set_new(*out, "status", json_string("failed"));
		json_object_set_new(*out, "problem", json_pack("{s:s, s:s}", "type", why.kind,
			"detail", dom_err_detail(&why, c->lang)));
	} else {
		json_object_set_new(*out, "status", json_string("rendering"));
	}
	json_decref(res);
	json_decref(payload);
	json_decref(job);
	return dom_read_audited(c, "fax.quote_read", quote_id, c->who->account_id, out, e);
}

int fax_quote_register(struct queue *q, const dom_config_t *cfg)
{
	queue_kind_t k = { .kind = FAX_QUOTE_JOB, .run = quote_run, .failed = quote_failed,
		.arg = (void *)cfg, .backoff_ms = 5000 };
	return queue_register(q, &k);
}
