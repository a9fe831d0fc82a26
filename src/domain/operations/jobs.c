/* The job queue for operators (see jobs.h). */
#include "operations.h"

#include "audit/audit.h"
#include "dom_util.h"
#include "queue.h"
#include "timeutil.h"
#include "store_jobs.h"

int dom_jobs_overview(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = queue_overview(c->tx, DOM_JOBS_FAILED_MAX);
	if (!*out)
		return dom_fail(e, "internal", "", "the queue could not be read");
	return dom_read_audited(c, "queue.read", "queue", NULL, out, e);
}

int dom_jobs_retry(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *j = store_job_get(c->tx, NULL, id);
	int rc = j ? queue_retry(c->tx, id) : STORE_NOTFOUND;
	if (rc == STORE_NOTFOUND) {
		json_decref(j);
		return dom_fail(e, "not-found", "", "no such failed job");
	}
	json_t *detail = json_pack("{s:s, s:I}", "kind", rec_str(j, "kind"), "attempts",
		json_integer_value(json_object_get(j, "attempts")));
	const char *acc = rec_str(j, "account_id");
	if (rc == STORE_OK)
		rc = dom_audit(c, "queue.retry", id, *acc ? acc : NULL, "success", detail);
	json_decref(detail);
	json_decref(j);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the job could not be queued again");
	*out = queue_job_view(c->tx, NULL, id);
	return *out ? 0 : dom_fail(e, "internal", "", "the job could not be read");
}

int dom_jobs_purged(store_tx_t *tx, int n, int64_t before, void *arg)
{
	(void)arg;
	char b[40];
	json_t *d = json_pack("{s:i, s:s}", "jobs", n, "finished_before",
		time_format_rfc3339(before, b, sizeof b));
	audit_ctx_t a = { .who = NULL, .actor = "system:queue", .source = "", .request_id = "" };
	int rc = audit_record(tx, &a, "queue.purged", "queue", NULL, "success", d);
	json_decref(d);
	return rc == 0 ? 0 : -1;
}
