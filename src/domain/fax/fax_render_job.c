/* Faxes (faxes.h): the render job (FAX_RENDER_JOB). A submission's
 * originals are stored, encrypted, with this job in the request's own
 * transaction (dom_fax_submit); a worker of the queue (queue.h) renders
 * them outside any request, counts the pages, applies what depends on
 * them (the plan's quotas, the prepaid balance) and moves the faxes to
 * queued, or to failed with the reason in the submitter's language, the
 * webhook event, the audit event and, for a fax by e-mail, the report
 * mail.
 *
 * Crash-safe: the submission row exists until the transaction that
 * settles it commits, and that transaction holds the job's lease; a run
 * that finds the submission gone has nothing left to do, so a daemon
 * killed during a render renders it again after its restart, once. */
#include "fax.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "billing/billing.h"
#include "dom_util.h"
#include "i18n.h"
#include "log.h"
#include "queue.h"
#include "render.h"
#include "store_fax.h"
#include "timeutil.h"
#include "xalloc.h"
#include "fax_int.h"

/* The job acting on its own (a fax queued after its rendering). */
static const audit_ctx_t render_actor = { .who = NULL, .actor = "system:render", .source = "",
	.request_id = "" };

/* Tests only (testing.render_hold_file): while the file exists, wait, at
 * most 10 minutes, before rendering: a test sees a submission pending for
 * as long as it needs, whatever the renderer's speed. */
static void test_hold(const fax_env_t *env)
{
	if (!env->test_render_hold || !*env->test_render_hold)
		return;
	for (int i = 0; i < 12000 && access(env->test_render_hold, F_OK) == 0; i++)
		usleep(50 * 1000);
}

int fx_render_stored(store_t *st, const fax_env_t *env, const json_t *sub, int *out_fd,
	int *pages, struct render_result *rr)
{
	test_hold(env);
	const char *account_id = rec_str(sub, "account_id");
	json_t *orig = json_loads(rec_str(sub, "originals"), 0, NULL);
	json_t *opt = json_loads(rec_str(sub, "options"), 0, NULL);
	int n = (int)json_array_size(orig), failed = 0;
	*pages = 0;
	*out_fd = -1;
	memset(rr, 0, sizeof *rr);
	rr->fail = RENDER_E_INTERNAL;
	/* The originals decrypted into memfds, the rendering into another: no
	 * work directory, no file (each new inode costs the file system more
	 * than the copy), no plaintext on disk. */
	int *in = xcalloc(n > 0 ? (size_t)n : 1, sizeof *in);
	for (int i = 0; i < n; i++)
		in[i] = -1;
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		failed = 1;
	for (int i = 0; i < n && !failed; i++) {
		in[i] = memfd_create("fax-original", MFD_CLOEXEC);
		if (in[i] < 0 || doc_get_fd_tx(tx, env, account_id,
			    json_string_value(json_array_get(orig, (size_t)i)), in[i]) != 0) {
			rr->fail = RENDER_E_IO;
			failed = 1;
		}
	}
	if (tx)
		store_rollback(tx);
	if (!failed && n == 0) {
		rr->fail = RENDER_E_EMPTY;
		failed = 1;
	}
	if (!failed && (*out_fd = memfd_create("fax-rendered", MFD_CLOEXEC)) < 0)
		failed = 1;
	if (!failed && fx_render_submission(env, in, n, *out_fd, opt, rec_str(sub, "id"), pages,
			   rr) != 0)
		failed = 1;
	for (int i = 0; i < n; i++)
		if (in[i] >= 0)
			close(in[i]);
	free(in);
	if (failed && *out_fd >= 0) {
		close(*out_fd);
		*out_fd = -1;
	}
	json_decref(orig);
	json_decref(opt);
	return failed ? -1 : 0;
}

/* The language the submitter asked in, from the submission's options. */
static const char *sub_lang(const json_t *opt)
{
	return strcmp(rec_str(opt, "lang"), "fr") == 0 ? "fr" : "en";
}

/* A fax rendering gives back the pages and price it held (page_count,
 * estimated_cost: the fewest its documents can make) against the quotas
 * and the prepaid balance. 0, or -1. */
static int release(store_tx_t *tx, const char *fax_id)
{
	json_t *upd = json_pack("{s:i, s:i}", "page_count", 0, "estimated_cost", 0);
	int rc = store_fax_update_if(tx, fax_id, "rendering", upd);
	json_decref(upd);
	return rc == STORE_OK ? 0 : -1;
}

int fx_submission_fail(store_tx_t *tx, const fax_env_t *env, const json_t *sub,
	const char *fclass, const char *reason)
{
	json_t *faxes = store_fax_by_submission(tx, rec_str(sub, "id"));
	int rc = faxes ? 0 : -1;
	int64_t now = time_now_ms();
	size_t i;
	json_t *f;
	json_array_foreach(faxes, i, f)
		if (strcmp(rec_str(f, "status"), "rendering") == 0 &&
		    (release(tx, rec_str(f, "id")) != 0 ||
			    fx_fax_end(tx, env, rec_str(f, "id"), "failed", fclass, reason, now) != 0))
			rc = -1;
	json_decref(faxes);
	if (rc == 0)
		fx_drop_submission(tx, env, sub);
	return rc;
}

/* The failure class, and the reason in lang (into reason), of a refused
 * rendering: what the submission's answer said before rendering moved out
 * of the request. */
static const char *render_refusal(enum render_fail f, const fax_env_t *env, const char *lang,
	char reason[I18N_MSG_MAX])
{
	dom_err_t e = { 0 };
	fx_render_problem(f, env->max_pages, &e);
	snprintf(reason, I18N_MSG_MAX, "%s", dom_err_detail(&e, lang));
	return f == RENDER_E_TOO_MANY_PAGES ? "too_many_pages" : "document";
}

/* In tx: the rendered document of sub (tiff, pages) queues those of its
 * faxes still rendering, unless the plan's quotas or the prepaid balance
 * refuse their pages (billing_submit_check, acting as the submitter):
 * they then fail with the refusal's reason. 0 queued, 1 refused, or -1. */
static int settle(store_tx_t *tx, const queue_job_t *job, const dom_config_t *cfg,
	const json_t *sub, int tiff_fd, int pages)
{
	const fax_env_t *env = cfg->fax;
	const char *account_id = rec_str(sub, "account_id"), *user_id = rec_str(sub, "user_id");
	json_t *opt = json_loads(rec_str(sub, "options"), 0, NULL);
	const char *lang = sub_lang(opt);
	json_t *faxes = store_fax_by_submission(tx, rec_str(sub, "id"));
	int64_t price = 0, n = 0;
	char cur[4] = "";
	size_t i;
	json_t *f;
	int rc = 0;
	json_array_foreach(faxes, i, f) {
		if (strcmp(rec_str(f, "status"), "rendering") != 0)
			continue;
		snprintf(cur, sizeof cur, "%s", rec_str(f, "currency"));
		price += (int64_t)pages * fx_price_for(tx, rec_str(f, "to_number"), cur);
		n++;
		/* Checked with the real count in place of what it held. */
		if (release(tx, rec_str(f, "id")) != 0)
			rc = -1;
	}
	json_decref(faxes);
	if (rc != 0) {
		json_decref(opt);
		return -1;
	}
	principal_t who = { 0 };
	json_t *person = store_principal_get(tx, user_id);
	bool member = person && dom_principal_from_record(tx, person, &who) == 0;
	json_decref(person);
	dom_ctx_t c = { .store = job->st, .tx = tx, .who = member ? &who : NULL,
		.actor = member ? NULL : render_actor.actor,
		.source = rec_str(job->payload, "source"),
		.request_id = rec_str(job->payload, "request_id"), .lang = lang, .cfg = cfg };
	dom_err_t e = { 0 };
	int credit = n > 0 ? billing_submit_check(&c, account_id, user_id, cur, (int64_t)pages * n,
		price, &e) : 0;
	if (credit < 0) {
		rc = -1;
	} else if (credit > 0) {
		char reason[I18N_MSG_MAX];
		snprintf(reason, sizeof reason, "%s", dom_err_detail(&e, lang));
		rc = fx_submission_fail(tx, env, sub, e.kind && strcmp(e.kind, "quota-exceeded") == 0
			? "quota_exceeded" : "insufficient_credit", reason) == 0 ? 1 : -1;
	} else {
		rc = fx_queue_submission(tx, env, &render_actor, sub, tiff_fd, pages, NULL);
		/* The originals' files go once this commits: a crash before
		 * the commit leaves them for the next run. */
		if (rc == 0)
			fx_drop_submission(tx, env, sub);
	}
	json_decref(opt);
	return rc;
}

/* Ours (a fork, a full disk), not the document's: worth another run. */
static bool transient(enum render_fail f)
{
	return f == RENDER_E_INTERNAL || f == RENDER_E_IO;
}

static enum queue_outcome render_run(const queue_job_t *job, void *arg, char *why,
	size_t whylen)
{
	const dom_config_t *cfg = arg;
	const fax_env_t *env = cfg ? cfg->fax : NULL;
	if (!env) {
		snprintf(why, whylen, "faxing is not available on this node");
		return QUEUE_RETRY;
	}
	const char *sub_id = rec_str(job->payload, "submission_id");
	store_tx_t *tx = store_begin(job->st, false);
	if (!tx) {
		snprintf(why, whylen, "the database could not be reached");
		return QUEUE_RETRY;
	}
	json_t *sub = store_submission_get(tx, sub_id);
	store_rollback(tx);
	if (!sub)
		return QUEUE_DONE; /* settled by a run whose end was not recorded */
	int tiff_fd = -1;
	int pages = 0;
	struct render_result rr;
	int64_t t0 = time_now_ms();
	int failed = fx_render_stored(job->st, env, sub, &tiff_fd, &pages, &rr) != 0;
	if (failed && transient(rr.fail)) {
		json_decref(sub);
		snprintf(why, whylen, "the renderer could not run (%s)", render_fail_code(rr.fail));
		return QUEUE_RETRY;
	}
	enum queue_outcome out = QUEUE_DONE;
	const char *result = failed ? "document" : "queued";
	tx = store_begin(job->st, true);
	int rc = tx ? queue_job_hold(tx, job) : STORE_ERROR;
	json_t *now_sub = rc == STORE_OK ? store_submission_get(tx, sub_id) : NULL;
	if (rc != STORE_OK) {
		snprintf(why, whylen, rc == STORE_NOTFOUND ? "the job's lease was lost"
			: "the database could not be reached");
		out = QUEUE_RETRY;
	} else if (!now_sub) {
		result = "settled_before"; /* another run settled it meanwhile */
	} else if (failed) {
		/* The detail comes from the renderer, which reads what a stranger
		 * sent: quoted, so that it cannot forge fields or lines. */
		char q[300];
		log_event(LOG_INFO, "fax.render_failed", "sub=%s fail=%s detail=%s", sub_id,
			render_fail_code(rr.fail), log_quote(rr.detail, q, sizeof q));
		json_t *opt = json_loads(rec_str(sub, "options"), 0, NULL);
		char reason[I18N_MSG_MAX];
		const char *fclass = render_refusal(rr.fail, env, sub_lang(opt), reason);
		json_decref(opt);
		if (fx_submission_fail(tx, env, sub, fclass, reason) != 0)
			out = QUEUE_RETRY;
	} else {
		int srs = settle(tx, job, cfg, sub, tiff_fd, pages);
		if (srs < 0)
			out = QUEUE_RETRY;
		else if (srs > 0)
			result = "refused";
	}
	json_decref(now_sub);
	if (tiff_fd >= 0)
		close(tiff_fd);
	/* The job ends with the faxes it queued: one commit, not two. */
	if (out == QUEUE_DONE && tx && queue_job_done_tx(tx, job) == STORE_ERROR)
		out = QUEUE_RETRY;
	if (tx && (out != QUEUE_DONE || store_commit(tx) != STORE_OK)) {
		if (out != QUEUE_DONE)
			store_rollback(tx);
		if (!*why)
			snprintf(why, whylen, "the rendered faxes could not be recorded");
		out = QUEUE_RETRY;
	}
	log_event(out == QUEUE_DONE ? LOG_INFO : LOG_WARN, "fax.rendered",
		"sub=%s pages=%d result=%s ms=%lld attempt=%d", sub_id, pages,
		out == QUEUE_DONE ? result : "retry", (long long)(time_now_ms() - t0), job->attempt);
	json_decref(sub);
	return out;
}

/* Given up (the renderer could not run, again and again): the faxes still
 * rendering fail, so that none is left rendering forever. */
static int render_failed(store_tx_t *tx, const queue_job_t *job, void *arg, const char *why)
{
	const dom_config_t *cfg = arg;
	const fax_env_t *env = cfg ? cfg->fax : NULL;
	json_t *sub = store_submission_get(tx, rec_str(job->payload, "submission_id"));
	if (!sub)
		return 0;
	json_t *opt = json_loads(rec_str(sub, "options"), 0, NULL);
	enum render_lang lang = RENDER_LANG_EN;
	render_lang_parse(sub_lang(opt), &lang);
	json_decref(opt);
	log_event(LOG_ERROR, "fax.render_given_up", "sub=%s why=\"%s\"", rec_str(sub, "id"), why);
	int rc = fx_submission_fail(tx, env, sub, "document",
		render_fail_message(RENDER_E_INTERNAL, lang));
	json_decref(sub);
	return rc;
}

int fax_render_enqueue(store_tx_t *tx, const char *account_id, const char *submission_id,
	const char *source, const char *request_id)
{
	json_t *p = json_pack("{s:s, s:s, s:s}", "submission_id", submission_id, "source",
		source ? source : "", "request_id", request_id ? request_id : "");
	int rc = queue_enqueue(tx, FAX_RENDER_JOB, account_id, submission_id, p,
		FAX_RENDER_ATTEMPTS, 0, NULL);
	json_decref(p);
	return rc;
}

int fax_render_register(struct queue *q, const dom_config_t *cfg)
{
	queue_kind_t k = { .kind = FAX_RENDER_JOB, .run = render_run, .failed = render_failed,
		.arg = (void *)cfg, .backoff_ms = 5000 };
	return queue_register(q, &k);
}
