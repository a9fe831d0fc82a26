/* The audit log: `faxvault audit list --account ID` and `audit verify`. */
#include <stdlib.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "cli_http.h"
#include "xalloc.h"

#define AUDIT_VERIFY_TIMEOUT_S 3600L

static const struct cli_col event_cols[] = {
	{ "SEQ", "seq" }, { "TIME", "time" }, { "ACTOR", "actor.id" },
	{ "ON BEHALF OF", "actor.on_behalf_of" }, { "ACTION", "action" }, { "TARGET", "target" },
	{ "OUTCOME", "outcome" }, { "SOURCE", "source" },
};

static const struct cli_opt list_opts[] = {
	{ "account", "ACCOUNT_ID", 0, "the account (without it: every account, provider staff)" },
	{ "since", "TIME", 0, "events at or after TIME (RFC 3339)" },
	{ "until", "TIME", 0, "events before TIME (RFC 3339)" },
	{ "actor", "ID", 0, "events of this actor (user, key or staff id)" },
	{ "action", "ACTION", 0, "events of this action (e.g. user.create)" },
	CLI_LIST_OPTS,
	{ NULL, NULL, 0, NULL },
};

static int audit_list(struct cli_ctx *ctx)
{
	int rc = cli_check_time(ctx, "since");
	if (rc == 0)
		rc = cli_check_time(ctx, "until");
	if (rc != 0)
		return rc;
	const char *account = cli_opt(ctx, "account");
	char *base = account ? cli_http_path("/v1/accounts/%s/audit-events", account)
		: cli_http_path("/v1/provider/audit-events");
	buf_t path;
	buf_init(&path, (size_t)1 << 16);
	buf_puts(&path, base);
	free(base);
	cli_http_query_add(&path, "since", cli_opt(ctx, "since"));
	cli_http_query_add(&path, "until", cli_opt(ctx, "until"));
	cli_http_query_add(&path, "actor", cli_opt(ctx, "actor"));
	cli_http_query_add(&path, "action", cli_opt(ctx, "action"));
	rc = cli_list(ctx, path.data, event_cols, CLI_NCOLS(event_cols));
	buf_free(&path);
	return rc;
}

static int audit_verify(struct cli_ctx *ctx)
{
	json_t *res = NULL;
	/* The server reads the whole chain: give it time on a large log. */
	int rc = cli_api_timed(ctx, "GET", "/v1/provider/audit/verify", NULL, 1, AUDIT_VERIFY_TIMEOUT_S, &res);
	if (rc != CLI_EXIT_OK)
		return rc;
	const json_t *ok = json_object_get(res, "ok");
	if (!json_is_boolean(ok)) {
		json_decref(res);
		return cli_fail(ctx, CLI_EXIT_SERVER, "the server's answer has no \"ok\"");
	}
	char *events = cli_out_cell(res, "events");
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else if (json_is_true(ok)) {
		cli_say(ctx, "Audit chain intact: %s events checked.", events);
		/* What the server could not rule out, in the caller's language. */
		size_t i;
		const json_t *c;
		json_array_foreach(json_object_get(res, "not_ruled_out"), i, c)
			fprintf(ctx->out, "%s\n", json_string_value(json_object_get(c, "detail")) ?
				json_string_value(json_object_get(c, "detail")) : "");
	}
	if (!json_is_true(ok)) {
		char *seq = cli_out_cell(res, "first_broken.seq");
		char *id = cli_out_cell(res, "first_broken.id");
		cli_fail(ctx, CLI_EXIT_ERROR, "audit chain broken: first broken event seq %s (%s), "
			"%s events checked", seq, id, events);
		free(seq);
		free(id);
		rc = CLI_EXIT_ERROR;
	}
	free(events);
	json_decref(res);
	return rc;
}

const struct cli_cmd cmd_audit_subs[] = {
	{ "list", "List the audit events of an account, or of all accounts", NULL,
		"With --account: the events of that account (its admins with data.read or "
		"security.manage, provider security staff). Without: every event (provider "
		"security staff).", list_opts, 0, 0, audit_list, NULL },
	{ "verify", "Check the whole audit chain (provider operators and security staff)", NULL,
		"Exits 0 when the chain is intact, saying what could not be ruled out, and 1 naming "
		"the first broken event.",
		NULL, 0, 0, audit_verify, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
