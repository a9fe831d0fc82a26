/* Call detail records of an account: `faxvault cdrs`, as a table, JSON or
 * the server's CSV export. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "i18n.h"
#include "cli_http.h"

/* A year of CDRs can be long to export. */
#define CDRS_CSV_TIMEOUT_S 600L

static const struct cli_col cdr_cols[] = {
	{ "STARTED", "started_at" }, { "FAX", "fax_id" }, { "DIRECTION", "direction" },
	{ "FROM", "from" }, { "TO", "to" }, { "DURATION", "_duration" }, { "PAGES", "_pages" },
	{ "TRANSPORT", "transport" }, { "RESULT", "result" }, { "COST", "_cost" },
};

const struct cli_opt cmd_cdrs_opts[] = {
	{ "account", "ACCOUNT_ID", 0, "the account (default: yours)" },
	{ "since", "TIME", 0, "calls started at or after TIME (RFC 3339)" },
	{ "until", "TIME", 0, "calls started before TIME (RFC 3339)" },
	{ "direction", "inbound|outbound", 0, "only calls in this direction" },
	{ "result", "RESULT", 0, "only calls with this result (ok, partial, failed, interrupted)" },
	{ "csv", NULL, 0, "ask for CSV (text/csv) and write it as received" },
	{ "output", "FILE", 0, "with --csv: write to FILE instead of standard output" },
	{ "force", NULL, 0, "with --output: replace FILE when it exists" },
	CLI_LIST_OPTS,
	{ NULL, NULL, 0, NULL },
};

int cmd_cdrs(struct cli_ctx *ctx)
{
	int csv = cli_args_has(ctx->args, "csv");
	const char *dir = cli_opt(ctx, "direction");
	int rc = cli_check_time(ctx, "since");
	if (rc == 0)
		rc = cli_check_time(ctx, "until");
	if (rc == 0 && dir && strcmp(dir, "inbound") != 0 && strcmp(dir, "outbound") != 0)
		rc = cli_usage(ctx, "--direction wants inbound or outbound");
	if (rc == 0 && !csv && (cli_opt(ctx, "output") || cli_args_has(ctx->args, "force")))
		rc = cli_usage(ctx, "--output and --force go with --csv");
	if (rc == 0 && csv && (cli_opt(ctx, "limit") || cli_opt(ctx, "cursor") ||
	    cli_args_has(ctx->args, "all")))
		rc = cli_usage(ctx, "--csv exports every record: --limit, --cursor and --all do not apply");
	if (rc != 0)
		return rc;
	char *acc = NULL;
	rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	char *base = cli_http_path("/v1/accounts/%s/cdrs", acc);
	free(acc);
	buf_t path;
	buf_init(&path, (size_t)1 << 16);
	buf_puts(&path, base);
	free(base);
	cli_http_query_add(&path, "since", cli_opt(ctx, "since"));
	cli_http_query_add(&path, "until", cli_opt(ctx, "until"));
	cli_http_query_add(&path, "direction", dir);
	cli_http_query_add(&path, "result", cli_opt(ctx, "result"));
	struct cli_call call = { .method = "GET", .path = path.data, .auth = CLI_AUTH_REQUIRED,
		.accept = "text/csv", .timeout_s = CDRS_CSV_TIMEOUT_S };
	const char *out = cli_opt(ctx, "output");
	if (csv)
		rc = cli_fetch_file(ctx, &call, NULL, 0, I18N("CSV document"), out ? out : "-");
	else
		rc = cli_list_with(ctx, path.data, cdr_cols, CLI_NCOLS(cdr_cols), cli_cdr_decorate);
	buf_free(&path);
	return rc;
}
