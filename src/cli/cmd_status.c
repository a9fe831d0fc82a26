/* The status board (P13): `faxvault status show|incidents|open|update`:
 * the public board for anyone, incidents and maintenance windows for
 * provider operators (provider.status.manage). */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_http.h"
#include "cli_msg.h"
#include "cli_out.h"

static const struct cli_col component_cols[] = {
	{ "COMPONENT", "id" }, { "NAME", "name" }, { "STATE", "state" },
};

static const struct cli_col board_incident_cols[] = {
	{ "ID", "id" }, { "TITLE", "title" }, { "IMPACT", "impact" }, { "STATUS", "status" },
	{ "UPDATED", "updated_at" },
};

static int status_show(struct cli_ctx *ctx)
{
	json_t *res = NULL;
	int rc = cli_api(ctx, "GET", "/status.json", NULL, CLI_AUTH_NONE, &res);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, res);
		json_decref(res);
		return CLI_EXIT_OK;
	}
	char *overall = cli_out_cell(res, "overall");
	cli_say(ctx, "Overall: %s", overall);
	free(overall);
	buf_t b;
	buf_init(&b, (size_t)1 << 20);
	cli_out_table(component_cols, CLI_NCOLS(component_cols), json_object_get(res, "components"), &b);
	const char *lists[] = { "incidents", "maintenance" };
	for (size_t i = 0; i < 2; i++) {
		const json_t *items = json_object_get(res, lists[i]);
		if (json_array_size(items) == 0)
			continue;
		buf_puts(&b, "\n");
		cli_out_table(board_incident_cols, CLI_NCOLS(board_incident_cols), items, &b);
	}
	cli_out_write(ctx->out, &b);
	buf_free(&b);
	json_decref(res);
	return CLI_EXIT_OK;
}

static const struct cli_col incident_cols[] = {
	{ "ID", "id" }, { "KIND", "kind" }, { "TITLE", "title_en" }, { "IMPACT", "impact" },
	{ "STATUS", "status" }, { "CREATED", "created_at" },
};

static const struct cli_opt list_opts[] = {
	CLI_LIST_OPTS,
	{ NULL, NULL, 0, NULL },
};

static int status_incidents(struct cli_ctx *ctx)
{
	return cli_list(ctx, "/v1/provider/incidents", incident_cols, CLI_NCOLS(incident_cols));
}

static const struct cli_col incident_fields[] = {
	{ "ID", "id" }, { "Kind", "kind" }, { "Title", "title_en" }, { "Titre", "title_fr" },
	{ "Impact", "impact" }, { "Status", "status" }, { "Components", "components" },
	{ "Starts", "starts_at" }, { "Ends", "ends_at" }, { "Closed", "closed_at" },
};

static const struct cli_opt open_opts[] = {
	{ "title-en", "TEXT", CLI_OPT_REQUIRED, "the title in English" },
	{ "title-fr", "TEXT", CLI_OPT_REQUIRED, "the title in French" },
	{ "message-en", "TEXT", CLI_OPT_REQUIRED, "the first update in English" },
	{ "message-fr", "TEXT", CLI_OPT_REQUIRED, "the first update in French" },
	{ "component", "ID", CLI_OPT_REQUIRED | CLI_OPT_REPEAT,
		"a component it concerns (repeat, or separate with commas; see 'faxvault status show')" },
	{ "impact", "IMPACT", 0, "degraded (default), partial_outage or major_outage" },
	{ "maintenance", NULL, 0, "a maintenance window (needs --starts and --ends)" },
	{ "starts", "TIME", 0, "when the window starts (RFC 3339)" },
	{ "ends", "TIME", 0, "when the window ends (RFC 3339)" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int status_open(struct cli_ctx *ctx)
{
	int maint = cli_args_has(ctx->args, "maintenance");
	int rc = cli_check_time(ctx, "starts");
	if (rc == 0)
		rc = cli_check_time(ctx, "ends");
	if (rc == 0 && maint && (!cli_opt(ctx, "starts") || !cli_opt(ctx, "ends")))
		rc = cli_usage(ctx, "--maintenance needs --starts and --ends");
	if (rc == 0 && !maint && (cli_opt(ctx, "starts") || cli_opt(ctx, "ends")))
		rc = cli_usage(ctx, "--starts and --ends go with --maintenance");
	if (rc != 0)
		return rc;
	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "kind",
		maint ? "maintenance" : "incident", "title_en", cli_opt(ctx, "title-en"), "title_fr",
		cli_opt(ctx, "title-fr"), "message_en", cli_opt(ctx, "message-en"), "message_fr",
		cli_opt(ctx, "message-fr"), "components", cli_opt_list(ctx, "component"));
	cli_set_opt(body, "impact", ctx, "impact");
	cli_set_opt(body, "starts_at", ctx, "starts");
	cli_set_opt(body, "ends_at", ctx, "ends");
	rc = cli_show(ctx, "POST", "/v1/provider/incidents", body, incident_fields,
		CLI_NCOLS(incident_fields), NULL);
	json_decref(body);
	return rc;
}

static const struct cli_opt update_opts[] = {
	{ "status", "STATUS", CLI_OPT_REQUIRED,
		"investigating, identified, monitoring or resolved (an incident); scheduled, "
		"in_progress or completed (a window)" },
	{ "message-en", "TEXT", CLI_OPT_REQUIRED, "the update in English" },
	{ "message-fr", "TEXT", CLI_OPT_REQUIRED, "the update in French" },
	{ NULL, NULL, 0, NULL },
};

static int status_update(struct cli_ctx *ctx)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "status", cli_opt(ctx, "status"), "message_en",
		cli_opt(ctx, "message-en"), "message_fr", cli_opt(ctx, "message-fr"));
	char *path = cli_http_path("/v1/provider/incidents/%s/updates", cli_pos(ctx, 0));
	int rc = cli_show(ctx, "POST", path, body, incident_fields, CLI_NCOLS(incident_fields), NULL);
	free(path);
	json_decref(body);
	return rc;
}

const struct cli_cmd cmd_status_subs[] = {
	{ "show", "Show the status board (no login needed)", NULL,
		"Every component's state, and the incidents and maintenance windows on the board, "
		"in the language of the locale.",
		NULL, 0, 0, status_show, NULL },
	{ "incidents", "List incidents and maintenance windows (provider operators)", NULL, NULL,
		list_opts, 0, 0, status_incidents, NULL },
	{ "open", "Open an incident or a maintenance window (provider operators)", NULL,
		"Subscribers of its components are mailed. Every text is given in English and French.",
		open_opts, 0, 0, status_open, NULL },
	{ "update", "Add an update to an incident or a window (provider operators)", "ID",
		"resolved (an incident) or completed (a window) closes it.",
		update_opts, 1, 1, status_update, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
