/* The job of a GDPR export delivered in a SafeBox (gdpr.h): adds the
 * documents of every fax of the person to the box the request made, a few
 * per transaction. Crash-safe: each transaction holds the job's lease
 * (a node that lost it commits nothing), and a document whose file is
 * already in the box is not added again, so a run resumed after a crash
 * or a stop adds only what is missing. The outcome is audited once
 * (gdpr.export_delivered, in the transaction that records it). */
#include "records.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "dom_util.h"
#include "queue.h"
#include "safebox/safebox.h"
#include "store_safebox.h"

struct run {
	dom_ctx_t c;
	principal_t who;
	const char *box_id, *uid;
};

/* Starts a write transaction of the job acting as the member who asked:
 * 0, or -1 with why (the lease lost, the member gone). */
static int run_begin(const queue_job_t *job, const dom_config_t *cfg, struct run *r, char *why,
	size_t whylen)
{
	memset(&r->c, 0, sizeof r->c);
	r->box_id = rec_str(job->payload, "safebox_id");
	r->uid = rec_str(job->payload, "user_id");
	store_tx_t *tx = store_begin(job->st, true);
	if (!tx) {
		snprintf(why, whylen, "the database could not be reached");
		return -1;
	}
	if (queue_job_hold(tx, job) != STORE_OK) {
		store_rollback(tx);
		snprintf(why, whylen, "the job's lease was lost");
		return -1;
	}
	json_t *person = store_principal_get(tx, rec_str(job->payload, "actor_id"));
	memset(&r->who, 0, sizeof r->who);
	int rc = person ? dom_principal_from_record(tx, person, &r->who) : -1;
	json_decref(person);
	if (rc != 0 || strcmp(r->who.account_id, job->account_id) != 0) {
		store_rollback(tx);
		snprintf(why, whylen, "the member who asked for the export is gone");
		return -1;
	}
	r->c = (dom_ctx_t){ .store = job->st, .tx = tx, .who = &r->who, .request_id = job->id,
		.lang = "en", .cfg = cfg };
	return 0;
}

static void run_abort(struct run *r)
{
	store_rollback(r->c.tx);
	r->c.tx = NULL;
}

/* The file names of the box (an object used as a set). */
static json_t *names_in(struct run *r, const char *account_id)
{
	json_t *files = store_sbf_list(r->c.tx, account_id, r->box_id);
	if (!files)
		return NULL;
	json_t *names = json_object();
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f)
		json_object_set_new(names, rec_str(f, "filename"), json_true());
	json_decref(files);
	return names;
}

static enum queue_outcome export_run(const queue_job_t *job, void *arg, char *why,
	size_t whylen)
{
	const dom_config_t *cfg = arg;
	if (json_is_true(json_object_get(job->progress, "delivered")))
		return QUEUE_DONE; /* ended, its end not recorded */
	for (;;) {
		struct run r;
		if (run_begin(job, cfg, &r, why, whylen) != 0)
			return QUEUE_RETRY;
		json_t *docs = json_array(), *names = names_in(&r, job->account_id);
		dom_err_t e = { 0 };
		int rc = names && gdpr_fax_docs(&r.c, job->account_id, r.uid, docs) == 0 ? 0 : -1;
		if (rc != 0)
			snprintf(why, whylen, "the export's documents could not be listed");
		json_int_t added = 0, batch = 0;
		size_t i;
		json_t *d;
		json_array_foreach(docs, i, d) {
			if (rc != 0)
				break;
			char name[96];
			snprintf(name, sizeof name, "%s.tiff", rec_str(d, "fax_id"));
			if (json_object_get(names, name)) {
				added++;
				continue;
			}
			if (batch == GDPR_EXPORT_BATCH)
				continue; /* the next transaction */
			unsigned char *data = NULL;
			size_t len = 0;
			if (sb_doc_read(r.c.tx, cfg->fax, job->account_id, rec_str(d, "doc_id"), &data,
				    &len) != 0) {
				rc = -1;
				snprintf(why, whylen, "the document of fax %s could not be read",
					rec_str(d, "fax_id"));
			} else if (dom_safebox_attach(&r.c, r.box_id, data, len, name, "image/tiff",
					   &e) != 0) {
				rc = -1;
				snprintf(why, whylen, "the document of fax %s could not be added: %s",
					rec_str(d, "fax_id"), e.detail);
			}
			if (data) {
				sodium_memzero(data, len);
				free(data);
			}
			added++;
			batch++;
		}
		json_int_t total = (json_int_t)json_array_size(docs);
		json_decref(docs);
		json_decref(names);
		bool last = rc == 0 && batch < GDPR_EXPORT_BATCH;
		if (rc == 0 && last) {
			json_t *detail = json_pack("{s:s, s:s, s:I}", "safebox_id", r.box_id, "export_id",
				job->id, "documents", total);
			rc = dom_audit(&r.c, "gdpr.export_delivered", r.uid, job->account_id, "success",
				detail);
			json_decref(detail);
			if (rc != 0)
				snprintf(why, whylen, "the delivery could not be audited");
		}
		json_t *pr = json_pack("{s:I, s:I, s:b}", "documents", total, "documents_added", added,
			"delivered", last);
		if (rc == 0 && queue_job_progress(r.c.tx, job, pr) != STORE_OK) {
			rc = -1;
			snprintf(why, whylen, "the job's lease was lost");
		}
		json_decref(pr);
		if (rc != 0) {
			run_abort(&r);
			return QUEUE_RETRY;
		}
		if (store_commit(r.c.tx) != STORE_OK) {
			snprintf(why, whylen, "the database refused the commit");
			return QUEUE_RETRY;
		}
		if (last)
			return QUEUE_DONE;
		if (queue_job_stopping(job))
			return QUEUE_YIELD;
	}
}

/* Given up: the failure is audited, by the member who asked. */
static int export_failed(store_tx_t *tx, const queue_job_t *job, void *arg, const char *why)
{
	const dom_config_t *cfg = arg;
	principal_t who = { 0 };
	json_t *person = store_principal_get(tx, rec_str(job->payload, "actor_id"));
	if (person)
		dom_principal_from_record(tx, person, &who);
	json_decref(person);
	dom_ctx_t c = { .store = job->st, .tx = tx, .who = person ? &who : NULL,
		.actor = person ? NULL : "system:queue", .request_id = job->id, .lang = "en",
		.cfg = cfg };
	json_t *detail = json_pack("{s:s, s:s, s:s}", "safebox_id",
		rec_str(job->payload, "safebox_id"), "export_id", job->id, "reason", why);
	int rc = dom_audit(&c, "gdpr.export_delivered", rec_str(job->payload, "user_id"),
		job->account_id, "failure", detail);
	json_decref(detail);
	return rc;
}

int gdpr_export_register(struct queue *q, const dom_config_t *cfg)
{
	queue_kind_t k = { .kind = GDPR_EXPORT_JOB, .run = export_run, .failed = export_failed,
		.arg = (void *)cfg };
	return queue_register(q, &k);
}
