/* Provider staff and partner organizations: `faxvault staff …`,
 * `faxvault partners …`. */
#include <stdlib.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "cli_http.h"

static const struct cli_col staff_cols[] = {
	{ "ID", "id" }, { "EMAIL", "email" }, { "NAME", "name" }, { "ROLE", "role" },
	{ "STATUS", "status" }, { "CREATED", "created_at" },
};

static const struct cli_opt list_opts[] = { CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };

/* POST body to path, then print "Invited …" and the invitation. */
static int invite(struct cli_ctx *ctx, const char *path, const json_t *body, const char *role)
{
	json_t *res = NULL;
	int rc = cli_api(ctx, "POST", path, body, 1, &res);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		char *id = cli_out_cell(res, "id");
		cli_say(ctx, "Invited %s as %s (user %s).", cli_opt(ctx, "email"), role, id);
		free(id);
		cli_print_invitation(ctx, role, cli_opt(ctx, "email"), json_object_get(res, "invitation"));
		cli_say(ctx, "They accept with 'faxvault invitations accept TOKEN'.");
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static int staff_list(struct cli_ctx *ctx)
{
	return cli_list(ctx, "/v1/provider/staff", staff_cols, CLI_NCOLS(staff_cols));
}

static const struct cli_opt staff_create_opts[] = {
	{ "email", "EMAIL", CLI_OPT_REQUIRED, "e-mail address" },
	{ "name", "NAME", CLI_OPT_REQUIRED, "name" },
	{ "role", "ROLE", CLI_OPT_REQUIRED, "operator, support or security" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int staff_create(struct cli_ctx *ctx)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "email", cli_opt(ctx, "email"),
		"name", cli_opt(ctx, "name"), "role", cli_opt(ctx, "role"));
	int rc = invite(ctx, "/v1/provider/staff", body, cli_opt(ctx, "role"));
	json_decref(body);
	return rc;
}

const struct cli_cmd cmd_staff_subs[] = {
	{ "list", "List provider staff", NULL, NULL, list_opts, 0, 0, staff_list, NULL },
	{ "create", "Invite a provider staff member (operator, support, security)", NULL, NULL,
		staff_create_opts, 0, 0, staff_create, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};

static const struct cli_col partner_cols[] = {
	{ "ID", "id" }, { "NAME", "name" }, { "CREATED", "created_at" },
};

static int partners_list(struct cli_ctx *ctx)
{
	return cli_list(ctx, "/v1/partners", partner_cols, CLI_NCOLS(partner_cols));
}

static const struct cli_opt partner_create_opts[] = {
	{ "name", "NAME", CLI_OPT_REQUIRED, "the partner organization's name" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int partners_show(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/partners/%s", cli_pos(ctx, 0));
	int rc = cli_show(ctx, "GET", path, NULL, partner_cols, CLI_NCOLS(partner_cols), NULL);
	free(path);
	return rc;
}

static int partners_create(struct cli_ctx *ctx)
{
	json_t *body = json_pack("{s:s}", "name", cli_opt(ctx, "name"));
	int rc = cli_show(ctx, "POST", "/v1/partners", body, partner_cols, CLI_NCOLS(partner_cols),
		"Partner created.");
	json_decref(body);
	return rc;
}

#define PARTNER_OPT { "partner", "PARTNER_ID", CLI_OPT_REQUIRED, "the partner organization" }

static const struct cli_opt pstaff_list_opts[] = { PARTNER_OPT, CLI_LIST_OPTS,
	{ NULL, NULL, 0, NULL } };

static int pstaff_list(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/partners/%s/staff", cli_opt(ctx, "partner"));
	int rc = cli_list(ctx, path, staff_cols, CLI_NCOLS(staff_cols));
	free(path);
	return rc;
}

static const struct cli_opt pstaff_create_opts[] = {
	PARTNER_OPT,
	{ "email", "EMAIL", CLI_OPT_REQUIRED, "e-mail address" },
	{ "name", "NAME", CLI_OPT_REQUIRED, "name" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int pstaff_create(struct cli_ctx *ctx)
{
	json_t *body = json_pack("{s:s, s:s}", "email", cli_opt(ctx, "email"),
		"name", cli_opt(ctx, "name"));
	char *path = cli_http_path("/v1/partners/%s/staff", cli_opt(ctx, "partner"));
	int rc = invite(ctx, path, body, "partner staff");
	free(path);
	json_decref(body);
	return rc;
}

static const struct cli_cmd pstaff_subs[] = {
	{ "list", "List a partner's staff", NULL, NULL, pstaff_list_opts, 0, 0, pstaff_list, NULL },
	{ "create", "Invite a partner staff member", NULL, NULL, pstaff_create_opts, 0, 0,
		pstaff_create, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};

const struct cli_cmd cmd_partners_subs[] = {
	{ "list", "List partner organizations", NULL, NULL, list_opts, 0, 0, partners_list, NULL },
	{ "show", "Show one partner organization", "PARTNER_ID", NULL, NULL, 1, 1, partners_show,
		NULL },
	{ "create", "Create a partner organization", NULL, NULL, partner_create_opts, 0, 0,
		partners_create, NULL },
	{ "staff", "Manage a partner's staff", NULL, NULL, NULL, 0, 0, NULL, pstaff_subs },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
