/* Webhook subscriptions of an account: `faxvault webhooks list|create|
 * delete|deliveries|test`. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "i18n.h"
#include "cli_http.h"

#define ACCOUNT_OPT { "account", "ACCOUNT_ID", 0, "the account (default: yours)" }

static const struct cli_col hook_cols[] = {
	{ "ID", "id" }, { "URL", "url" }, { "EVENTS", "events" }, { "STATUS", "status" },
	{ "CREATED", "created_at" },
};

static const struct cli_col delivery_cols[] = {
	{ "ID", "id" }, { "EVENT", "event_id" }, { "TYPE", "type" }, { "STATUS", "status" },
	{ "ATTEMPTS", "attempts" }, { "HTTP", "last_status_code" }, { "ERROR", "last_error" },
	{ "NEXT ATTEMPT", "next_attempt_at" }, { "CREATED", "created_at" },
};

static const struct cli_col test_fields[] = {
	{ "Event", "event_id" }, { "Delivery", "delivery_id" }, { "Status", "status" },
};

static const struct cli_opt list_opts[] = { ACCOUNT_OPT, CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };
static const struct cli_opt account_opts[] = { ACCOUNT_OPT, { NULL, NULL, 0, NULL } };

/* One webhook command once its path is known: a list (method NULL) or a
 * call whose answer is shown with cols. */
struct hook_op {
	const char *sub; /* NULL: the account's webhooks; "": the webhook; else below it */
	const char *method;
	const struct cli_col *cols;
	size_t ncols;
	const char *done;
};

/* Runs op for the account of the command (and the webhook named by the
 * first argument), sending body (may be NULL). */
static int hook_run(struct cli_ctx *ctx, const struct hook_op *op, const json_t *body)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	buf_t path;
	buf_init(&path, (size_t)1 << 16);
	char *base = !op->sub ? cli_http_path("/v1/accounts/%s/webhooks", acc)
		: cli_http_path("/v1/accounts/%s/webhooks/%s", acc, cli_pos(ctx, 0));
	buf_puts(&path, base);
	if (op->sub && op->sub[0])
		buf_printf(&path, "/%s", op->sub);
	if (op->method)
		rc = cli_show(ctx, op->method, path.data, body, op->cols, op->ncols, op->done);
	else
		rc = cli_list(ctx, path.data, op->cols, op->ncols);
	buf_free(&path);
	free(base);
	free(acc);
	return rc;
}

static int hooks_list(struct cli_ctx *ctx)
{
	static const struct hook_op op = { NULL, NULL, hook_cols, CLI_NCOLS(hook_cols), NULL };
	return hook_run(ctx, &op, NULL);
}

static const struct cli_opt create_opts[] = {
	ACCOUNT_OPT,
	{ "event", "EVENT[,EVENT...]", CLI_OPT_REQUIRED | CLI_OPT_REPEAT,
		"fax.queued, fax.delivered, fax.partial, fax.failed or fax.received" },
	{ "description", "TEXT", 0, "what the webhook is for" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static const struct cli_col created_fields[] = {
	{ "ID", "id" }, { "URL", "url" }, { "Events", "events" }, { "Signing secret", "secret" },
};

static int hooks_create(struct cli_ctx *ctx)
{
	static const struct hook_op op = { NULL, "POST", created_fields, CLI_NCOLS(created_fields),
		"Webhook created. Its signing secret is shown only now: verify each request's "
		"webhook-signature header with it." };
	const char *url = cli_pos(ctx, 0);
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return cli_usage(ctx, "the URL must start with https:// (or http://)");
	json_t *events = cli_opt_list(ctx, "event");
	if (json_array_size(events) == 0) {
		json_decref(events);
		return cli_usage(ctx, "--event needs at least one event name");
	}
	json_t *body = json_pack("{s:s, s:o}", "url", url, "events", events);
	cli_set_opt(body, "description", ctx, "description");
	int rc = hook_run(ctx, &op, body);
	json_decref(body);
	return rc;
}

static int hooks_delete(struct cli_ctx *ctx)
{
	static const struct hook_op op = { "", "DELETE", hook_cols, CLI_NCOLS(hook_cols),
		I18N("Webhook deleted.") };
	return hook_run(ctx, &op, NULL);
}

static int hooks_deliveries(struct cli_ctx *ctx)
{
	static const struct hook_op op = { "deliveries", NULL, delivery_cols,
		CLI_NCOLS(delivery_cols), NULL };
	return hook_run(ctx, &op, NULL);
}

static int hooks_test(struct cli_ctx *ctx)
{
	static const struct hook_op op = { "test", "POST", test_fields, CLI_NCOLS(test_fields),
		I18N("Test event queued (see 'faxvault webhooks deliveries').") };
	return hook_run(ctx, &op, NULL);
}

const struct cli_cmd cmd_webhooks_subs[] = {
	{ "list", "List an account's webhooks", NULL, NULL, list_opts, 0, 0, hooks_list, NULL },
	{ "create", "Subscribe a URL to fax events (the signing secret is printed once)", "URL",
		"Each event is POSTed to URL signed as the Standard Webhooks specification "
		"says (webhook-id, webhook-timestamp, webhook-signature) and retried with "
		"backoff. URLs of loopback, private or link-local addresses are refused unless "
		"the provider allows them.",
		create_opts, 1, 1, hooks_create, NULL },
	{ "delete", "Delete a webhook", "WEBHOOK_ID", NULL, account_opts, 1, 1, hooks_delete, NULL },
	{ "deliveries", "Show the delivery log of a webhook", "WEBHOOK_ID", NULL, list_opts, 1, 1,
		hooks_deliveries, NULL },
	{ "test", "Send a test event to a webhook", "WEBHOOK_ID", NULL, account_opts, 1, 1,
		hooks_test, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
