/* Faxes (faxes.h): the runner's side: claim, page confirmations, failover,
 * finish with the retry policy, recovery after a crash, leases and their
 * takeover, queue depth. */
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
#include "queue.h"
#include "render.h"
#include "sec.h"
#include "store_fax.h"
#include "store_jobs.h"
#include "store_retention.h"
#include "timeutil.h"
#include "notify/notify.h"
#include "safebox/safebox.h"
#include "xalloc.h"

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
 * e-mail gets its delivery report (faxes_int.h). */
int fx_fax_end(store_tx_t *tx, const fax_env_t *env, const char *fax_id, const char *status,
	const char *fclass, const char *reason, int64_t now)
{
	json_t *f = store_fax_get(tx, NULL, fax_id);
	if (!f)
		return -1;
	int confirmed = store_fax_pages_count(tx, fax_id, "confirmed");
	int64_t cost = (int64_t)(confirmed < 0 ? 0 : confirmed) *
		fx_price_for(tx, rec_str(f, "to_number"), rec_str(f, "currency"));
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
	if (!g || fx_emit(tx, g, final_event(status)) != 0 ||
	    fax_audit(tx, &fx_system_actor, final_event(status), fax_id, rec_str(f, "account_id"),
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

/* Claims the due fax f (a row of store_fax_due_one) in tx: 1 claimed into *j
 * (status sending, a new attempt in progress naming node), 0 not now (no
 * trunk under its max_calls, or the account at its call limit), 2 ended
 * here (no route any more, every page already confirmed, no credit left);
 * *err set on a store failure. */
static int claim_row(store_tx_t *tx, const fax_env_t *env, const char *node, const json_t *f,
	int64_t now, fax_job_t *j, int *err)
{
	const char *id = rec_str(f, "id"), *acc = rec_str(f, "account_id");
	json_t *alternates = dom_trunks_for(tx, env, rec_str(f, "to_number"));
	json_t *trunk = claim_trunk(tx, alternates);
	if (!alternates) {
		/* The route went away since submission: a final answer, not a
		 * fax waiting forever. */
		if (fx_fax_end(tx, env, id, "failed", "no_route",
			    "no trunk can reach this number any more", now) != 0)
			*err = 1;
		return 2;
	}
	int acc_max = env->account_max_calls > 0 ? env->account_max_calls : FAX_ACCOUNT_MAX_CALLS;
	if (!trunk || store_fax_count_sending(tx, acc, NULL) >= acc_max) {
		json_decref(trunk);
		json_decref(alternates);
		return 0;
	}
	int first = first_open_page(tx, id);
	int count = (int)json_integer_value(json_object_get(f, "page_count"));
	if (first == 0) {
		/* Nothing left to send (every page confirmed before a crash). */
		json_decref(trunk);
		json_decref(alternates);
		if (fx_fax_end(tx, env, id, "delivered", NULL, NULL, now) != 0)
			*err = 1;
		return 2;
	}
	/* Priced again before dialling (billing.h). */
	int credit = billing_dial_check(tx, env, acc, rec_str(f, "currency"), (int64_t)(count - first + 1) *
		fx_price_for(tx, rec_str(f, "to_number"), rec_str(f, "currency")), id);
	if (credit != 0) {
		json_decref(trunk);
		json_decref(alternates);
		if (credit < 0 || fx_fax_end(tx, env, id, "failed", "insufficient_credit",
			"the prepaid balance cannot cover the pages left", now) != 0)
			*err = 1;
		return 2;
	}
	json_t *atts = store_attempts_of(tx, id);
	int attempt = atts ? (int)json_array_size(atts) + 1 : 1;
	json_decref(atts);
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
		*err = 1;
	j->alternates = alternates;
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
		*err = 1;
		return 0;
	}
	return 1;
}

void dom_fax_log_claimed(const fax_job_t *j)
{
	log_event(LOG_INFO, "fax.claimed", "fax=%s attempt=%d first_page=%d pages=%d trunk=%s",
		j->fax_id, j->attempt, j->first_page, j->page_count, rec_str(j->trunk, "id"));
}

static int interrupt_attempts(store_tx_t *tx, const fax_env_t *env, const json_t *open,
	int64_t now, int *err);

int fx_send_enqueue(store_tx_t *tx, const char *fax_id, const char *account_id, int64_t at)
{
	json_t *p = json_pack("{s:s}", "fax", fax_id);
	int rc = queue_enqueue_once(tx, FAX_SEND_JOB, account_id, fax_id, p, at);
	json_decref(p);
	return rc < 0 ? -1 : 0;
}

int dom_fax_claim_tx(store_tx_t *tx, const fax_env_t *env, const char *node, const char *fax_id,
	int64_t now, int64_t busy_ms, fax_job_t *job, int64_t *again)
{
	*again = -1;
	int err = 0, n = 0;
	json_t *f = store_fax_get(tx, NULL, fax_id);
	const char *status = f ? rec_str(f, "status") : "";
	if (f && strcmp(rec_str(f, "direction"), "outbound") == 0 && strcmp(status, "sending") == 0) {
		/* The run before this one died with its node: its attempt is
		 * taken over once its lease has passed, not before. */
		json_t *atts = store_attempts_live(tx, fax_id), *open = json_array();
		int64_t until = 0;
		size_t i;
		json_t *a;
		if (!atts)
			err = 1;
		json_array_foreach(atts, i, a) {
			int64_t lu = json_integer_value(json_object_get(a, "lease_until"));
			if (lu > now && lu > until)
				until = lu;
			json_array_append(open, a);
		}
		json_decref(atts);
		if (until > 0) {
			*again = until + 1;
		} else if (json_array_size(open) == 0) {
			*again = now + FAX_HELD_RETRY_MS; /* no attempt: not ours to end */
		} else {
			interrupt_attempts(tx, env, open, now, &err);
			json_array_foreach(open, i, a)
				log_event(LOG_WARN, "fax.lease_expired", "fax=%s attempt=%s node=%s taken_by=%s",
					fax_id, rec_str(a, "id"), rec_str(a, "node"), node ? node : "");
			json_decref(f);
			f = store_fax_get(tx, NULL, fax_id);
			status = f ? rec_str(f, "status") : "";
		}
		json_decref(open);
	}
	if (!err && f && *again < 0 && strcmp(status, "queued") == 0 &&
	    strcmp(rec_str(f, "direction"), "outbound") == 0) {
		int64_t due = json_integer_value(json_object_get(f, "next_attempt_at"));
		json_t *row = due <= now ? store_fax_due_one(tx, fax_id, now) : NULL;
		if (due > now)
			*again = due;
		else if (!row)
			*again = now + FAX_HELD_RETRY_MS; /* the account is held (fraud, unpaid) */
		else {
			int r = claim_row(tx, env, node, row, now, job, &err);
			if (r == 1)
				n = 1;
			else if (r == 0)
				*again = now + busy_ms;
		}
		json_decref(row);
	}
	json_decref(f);
	if (err) {
		if (n)
			fax_job_clear(job);
		return -1;
	}
	return n;
}

int dom_fax_claim_one(store_t *st, const fax_env_t *env, const char *node, const char *fax_id,
	int64_t now, int64_t busy_ms, fax_job_t *job, int64_t *again)
{
	*again = -1;
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int n = dom_fax_claim_tx(tx, env, node, fax_id, now, busy_ms, job, again);
	if (n < 0)
		store_rollback(tx);
	if (n < 0 || store_commit(tx) != STORE_OK) {
		if (n > 0)
			fax_job_clear(job);
		log_event(LOG_ERROR, "fax.claim_failed", "node=%s fax=%s", node ? node : "", fax_id);
		return -1;
	}
	if (n)
		dom_fax_log_claimed(job);
	return n;
}

int dom_fax_send_next(store_t *st, const char *fax_id, int64_t *at)
{
	*at = -1;
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	json_t *f = store_fax_get(tx, NULL, fax_id);
	store_rollback(tx);
	const char *status = f ? rec_str(f, "status") : "";
	if (strcmp(status, "queued") == 0)
		*at = json_integer_value(json_object_get(f, "next_attempt_at"));
	else if (strcmp(status, "sending") == 0)
		*at = time_now_ms();
	json_decref(f);
	return 0;
}

int dom_fax_send_jobs(store_t *st, int limit)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *rows = store_fax_without_send_job(tx, FAX_SEND_JOB, limit);
	int n = rows ? 0 : -1;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		if (fx_send_enqueue(tx, rec_str(r, "id"), rec_str(r, "account_id"),
			    json_integer_value(json_object_get(r, "next_attempt_at"))) != 0) {
			n = -1;
			break;
		}
		n++;
	}
	json_decref(rows);
	if (n < 0 || store_commit(tx) != STORE_OK) {
		if (n >= 0)
			n = -1;
		else
			store_rollback(tx);
	}
	if (n > 0)
		log_event(LOG_INFO, "fax.send_jobs_enqueued", "faxes=%d", n);
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
json_t *fx_cdr_fields(const fax_result_t *r, const char *result, int64_t started,
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
	json_t *cdr = fx_cdr_fields(r, "failed", job->started_at, now, 0);
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
	return dom_fax_finish_at(st, env, job, r, time_now_ms());
}

int dom_fax_finish_at(store_t *st, const fax_env_t *env, const fax_job_t *job, const fax_result_t *r,
	int64_t now)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
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
	int64_t price = fx_price_for(tx, job->to, rec_str(f, "currency"));
	bool all = count > 0 && done >= count;
	const char *result = all ? "ok" : r->pages_confirmed > 0 ? "partial" : "failed";
	json_t *cdr = fx_cdr_fields(r, result, job->started_at, now, (int64_t)r->pages_confirmed * price);
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
			if (rc == STORE_OK && job->send_job &&
			    queue_job_done_tx(tx, job->send_job) == STORE_ERROR)
				rc = STORE_ERROR;
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
				rc = fx_fax_end(tx, env, job->fax_id, out.status, out.failure_class, out.failure_reason,
					now) == 0 ? STORE_OK : STORE_ERROR;
				/* Nothing more to send: the send job ends with the fax. */
				if (rc == STORE_OK && job->send_job &&
				    queue_job_done_tx(tx, job->send_job) == STORE_ERROR)
					rc = STORE_ERROR;
			} else {
				json_t *upd = json_pack("{s:s, s:I, s:i, s:i, s:i, s:s, s:s, s:I}",
					"status", "queued", "next_attempt_at", (json_int_t)(now + out.delay_ms),
					"next_ecm", out.ecm, "next_max_rate", out.max_rate,
					"pages_confirmed", confirmed, "failure_class", out.failure_class,
					"failure_reason", out.failure_reason, "updated_at", (json_int_t)now);
				rc = store_fax_update_if(tx, job->fax_id, "sending", upd);
				json_decref(upd);
				if (rc == STORE_OK && fx_send_enqueue(tx, job->fax_id, job->account_id,
					    now + out.delay_ms) != 0)
					rc = STORE_ERROR;
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
	char id[1][64];
	int c = 0;
	snprintf(id[0], sizeof id[0], "%s", fax_id);
	return dom_fax_cancelled_n(st, (const char (*)[64])id, 1, &c) == 0 && c;
}

int dom_fax_cancelled_n(store_t *st, const char (*fax_ids)[64], int n, int *cancelled)
{
	for (int i = 0; i < n; i++)
		cancelled[i] = 0;
	if (n <= 0)
		return 0;
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	int rc = store_fax_cancelled_n(tx, fax_ids, n, cancelled);
	store_rollback(tx);
	return rc;
}

/* Renders a submission left rendering without a render job (accepted
 * before rendering moved to the queue) again, from its originals, as the
 * job does: its faxes end queued, or failed with the renderer's reason. */
static int recover_submission(store_t *st, const fax_env_t *env, const json_t *sub)
{
	json_t *opt = json_loads(rec_str(sub, "options"), 0, NULL);
	int tiff_fd = -1;
	int pages = 0;
	struct render_result rr;
	int failed = fx_render_stored(st, env, sub, &tiff_fd, &pages, &rr) != 0;
	store_tx_t *tx = store_begin(st, true);
	int rc = tx ? 0 : -1;
	if (tx && !failed) {
		rc = fx_queue_submission(tx, env, &fx_system_actor, sub, tiff_fd, pages, NULL);
		if (rc == 0)
			fx_drop_submission(tx, env, sub);
	} else if (tx) {
		/* A final answer with the renderer's reason, never a fax left
		 * rendering forever. */
		enum render_lang lang = RENDER_LANG_EN;
		render_lang_parse(rec_str(opt, "lang"), &lang);
		rc = fx_submission_fail(tx, env, sub, "document", render_fail_message(rr.fail, lang));
	}
	if (tx && (rc != 0 || store_commit(tx) != STORE_OK)) {
		if (rc != 0)
			store_rollback(tx);
		rc = -1;
	}
	if (tiff_fd >= 0)
		close(tiff_fd);
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
		bool sending = f && strcmp(rec_str(f, "status"), "sending") == 0;
		int done = sending ? pages_done(tx, fax_id) : 0;
		int count = sending ? (int)json_integer_value(json_object_get(f, "page_count")) : 0;
		if (sending && done >= count && count > 0) {
			/* The call was cut after its last page was confirmed: the
			 * attempt carried the fax, as a call that ended normally
			 * with every page through (dom_fax_finish: "ok", priced). */
			json_object_set_new(upd, "result", json_string("ok"));
			json_object_del(upd, "failure_class");
			json_object_set_new(upd, "cost", json_integer((json_int_t)in_call *
				fx_price_for(tx, rec_str(f, "to_number"), rec_str(f, "currency"))));
		}
		if (store_attempt_update(tx, rec_str(a, "id"), upd) != STORE_OK)
			*err = 1;
		json_decref(upd);
		if (sending) {
			if (done >= count && count > 0) {
				if (fx_fax_end(tx, env, fax_id, "delivered", NULL, NULL, now) != 0)
					*err = 1;
			} else {
				/* The interrupted attempt does not count against the retries:
				 * the crash was ours, not the line's. */
				json_t *fu = json_pack("{s:s, s:I, s:I, s:i, s:I}", "status", "queued",
					"next_attempt_at", (json_int_t)now, "updated_at", (json_int_t)now,
					"pages_confirmed", confirmed < 0 ? 0 : confirmed, "attempts_made",
					json_integer_value(json_object_get(f, "attempts_made")) > 0
						? json_integer_value(json_object_get(f, "attempts_made")) - 1 : 0);
				if (store_fax_update_if(tx, fax_id, "sending", fu) != STORE_OK ||
				    fx_send_enqueue(tx, fax_id, rec_str(f, "account_id"), now) != 0)
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

int dom_fax_interrupted(store_t *st, const fax_env_t *env, const fax_job_t *job)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	if (store_attempt_leased(tx, job->attempt_id) == 0) {
		store_rollback(tx);
		return 0;
	}
	json_t *open = json_pack("[{s:s, s:s, s:i, s:I, s:i}]", "fax_id", job->fax_id, "id",
		job->attempt_id, "first_page", job->first_page, "started_at", (json_int_t)job->started_at,
		"pages_sent", 0);
	int err = open ? 0 : 1;
	int n = err ? 0 : interrupt_attempts(tx, env, open, time_now_ms(), &err);
	json_decref(open);
	if (err) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx) == STORE_OK ? n : -1;
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
	/* Those with a render job are the queue's (fax_render_job.c): it
	 * renders each once, whether or not a crash cut a run. */
	for (i = 0; subs && i < json_array_size(subs);) {
		json_t *job = store_job_by_ref(tx, FAX_RENDER_JOB,
			rec_str(json_array_get(subs, i), "id"));
		if (job)
			json_array_remove(subs, i);
		else
			i++;
		json_decref(job);
	}
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

int dom_fax_attempt_hold(store_tx_t *tx, const fax_env_t *env, const fax_job_t *job, int64_t now)
{
	return store_attempt_renew(tx, job->attempt_id, now + fax_env_lease_ms(env));
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
