/* The job queue of the installation: `faxvault queue show|retry` (provider
 * operators with provider.requests.manage). */
#include <stdlib.h>

#include "cli_cmd.h"
#include "cli_http.h"
#include "cli_msg.h"
#include "cli_out.h"

static const struct cli_col kind_cols[] = {
	{ "KIND", "kind" }, { "QUEUED", "queued" }, { "RUNNING", "running" }, { "DONE", "done" },
	{ "FAILED", "failed" },
};

static const struct cli_col failed_cols[] = {
	{ "JOB", "id" }, { "KIND", "kind" }, { "ACCOUNT", "account_id" }, { "ABOUT", "ref" },
	{ "ATTEMPTS", "attempts" }, { "ENDED", "finished_at" }, { "LAST ERROR", "last_error" },
};

static const struct cli_col job_fields[] = {
	{ "ID", "id" }, { "Kind", "kind" }, { "State", "state" }, { "Attempts", "attempts" },
	{ "Most attempts", "max_attempts" }, { "Runs after", "run_after" },
	{ "Last error", "last_error" }, { "Created", "created_at" },
};

static int queue_show(struct cli_ctx *ctx)
{
	json_t *res = NULL;
	int rc = cli_api(ctx, "GET", "/v1/provider/queue", NULL, 1, &res);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		buf_t t;
		buf_init(&t, (size_t)1 << 24);
		cli_out_table(kind_cols, CLI_NCOLS(kind_cols), json_object_get(res, "kinds"), &t);
		cli_out_write(ctx->out, &t);
		buf_reset(&t);
		const json_t *failed = json_object_get(res, "failed");
		if (json_array_size(failed) == 0) {
			cli_say(ctx, "No failed job.");
		} else {
			cli_say(ctx, "Failed jobs (the most recent first):");
			cli_out_table(failed_cols, CLI_NCOLS(failed_cols), failed, &t);
			cli_out_write(ctx->out, &t);
		}
		buf_free(&t);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static int queue_retry(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/provider/queue/jobs/%s/retry", cli_pos(ctx, 0));
	int rc = cli_show(ctx, "POST", path, NULL, job_fields, CLI_NCOLS(job_fields),
		"Job queued again.");
	free(path);
	return rc;
}

const struct cli_cmd cmd_queue_subs[] = {
	{ "show", "Show the queue's jobs by kind and state, and the failed ones", NULL,
		"Webhook deliveries, outbound mail and GDPR exports are jobs of the queue, run by "
		"whichever node of the installation claims them first.",
		NULL, 0, 0, queue_show, NULL },
	{ "retry", "Queue a failed job again for one more attempt", "JOB_ID", NULL, NULL, 1, 1,
		queue_retry, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
