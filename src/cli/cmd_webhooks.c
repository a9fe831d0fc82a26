/* Webhook subscriptions of an account: `faxvault webhooks list|create|
 * delete|deliveries|test`. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
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

/* path for the account of the command, with the webhook id when sub is
 * not NULL ("" for the webhook itself). */
static int hook_path(struct cli_ctx *ctx, const char *sub, char **out)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	if (!sub)
		*out = cli_http_path("/v1/accounts/%s/webhooks", acc);
	else if (!sub[0])
		*out = cli_http_path("/v1/accounts/%s/webhooks/%s", acc, cli_pos(ctx, 0));
	else if (strcmp(sub, "deliveries") == 0)
		*out = cli_http_path("/v1/accounts/%s/webhooks/%s/deliveries", acc, cli_pos(ctx, 0));
	else
		*out = cli_http_path("/v1/accounts/%s/webhooks/%s/test", acc, cli_pos(ctx, 0));
	free(acc);
	return 0;
}

static int hooks_list(struct cli_ctx *ctx)
{
	char *path = NULL;
	int rc = hook_path(ctx, NULL, &path);
	if (rc == 0)
		rc = cli_list(ctx, path, hook_cols, CLI_NCOLS(hook_cols));
	free(path);
	return rc;
}

static const struct cli_opt create_opts[] = {
	ACCOUNT_OPT,
	{ "event", "EVENT[,EVENT...]", CLI_OPT_REQUIRED | CLI_OPT_REPEAT,
		"fax.queued, fax.delivered, fax.partial, fax.failed or fax.received" },
	{ "description", "TEXT", 0, "what the webhook is for" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int hooks_create(struct cli_ctx *ctx)
{
	const char *url = cli_pos(ctx, 0);
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return cli_usage(ctx, "the URL must start with https:// (or http://)");
	json_t *events = cli_opt_list(ctx, "event");
	if (json_array_size(events) == 0) {
		json_decref(events);
		return cli_usage(ctx, "--event needs at least one event name");
	}
	char *path = NULL;
	int rc = hook_path(ctx, NULL, &path);
	if (rc != 0) {
		json_decref(events);
		return rc;
	}
	json_t *body = json_pack("{s:s, s:o}", "url", url, "events", events);
	cli_set_opt(body, "description", ctx, "description");
	json_t *res = NULL;
	rc = cli_api(ctx, "POST", path, body, CLI_AUTH_REQUIRED, &res);
	free(path);
	json_decref(body);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		char *id = cli_out_cell(res, "id");
		char *secret = cli_out_cell(res, "secret");
		fprintf(ctx->out, "Created webhook %s.\n"
			"Signing secret, shown only now (verify the webhook-signature header with it):\n\n"
			"    %s\n\n", id, secret);
		free(id);
		cli_secret_free(secret);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static int hooks_delete(struct cli_ctx *ctx)
{
	char *path = NULL;
	int rc = hook_path(ctx, "", &path);
	if (rc == 0)
		rc = cli_show(ctx, "DELETE", path, NULL, hook_cols, CLI_NCOLS(hook_cols),
			"Webhook deleted.");
	free(path);
	return rc;
}

static int hooks_deliveries(struct cli_ctx *ctx)
{
	char *path = NULL;
	int rc = hook_path(ctx, "deliveries", &path);
	if (rc == 0)
		rc = cli_list(ctx, path, delivery_cols, CLI_NCOLS(delivery_cols));
	free(path);
	return rc;
}

static int hooks_test(struct cli_ctx *ctx)
{
	char *path = NULL;
	int rc = hook_path(ctx, "test", &path);
	if (rc == 0)
		rc = cli_show(ctx, "POST", path, NULL, test_fields, CLI_NCOLS(test_fields),
			"Test event queued (see 'faxvault webhooks deliveries').");
	free(path);
	return rc;
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
