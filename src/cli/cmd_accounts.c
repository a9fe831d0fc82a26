/* Accounts (tenants): `faxvault accounts …`. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "i18n.h"
#include "cli_http.h"
#include "xalloc.h"

static const struct cli_col account_cols[] = {
	{ "ID", "id" }, { "NAME", "name" }, { "STATUS", "status" },
	{ "PROFILE", "regulatory_profile" }, { "OWNER", "owner.email|owner_id" }, { "CREATED", "created_at" },
};

static const struct cli_col account_fields[] = {
	{ "ID", "id" }, { "Name", "name" }, { "Status", "status" },
	{ "Regulatory profile", "regulatory_profile" }, { "Owner", "owner.email" },
	{ "Owner id", "owner.id|owner_id" }, { "Partner", "partner_id" }, { "Created", "created_at" },
	{ "Updated", "updated_at" },
};

static const struct cli_opt list_opts[] = { CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };

static int accounts_list(struct cli_ctx *ctx)
{
	return cli_list(ctx, "/v1/accounts", account_cols, CLI_NCOLS(account_cols));
}

static int accounts_show(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s", cli_pos(ctx, 0));
	int rc = cli_show(ctx, "GET", path, NULL, account_fields, CLI_NCOLS(account_fields), NULL);
	free(path);
	return rc;
}

static const struct cli_opt create_opts[] = {
	{ "name", "NAME", CLI_OPT_REQUIRED, "the account's name" },
	{ "owner-email", "EMAIL", CLI_OPT_REQUIRED, "e-mail address of the owner" },
	{ "owner-name", "NAME", CLI_OPT_REQUIRED, "name of the owner" },
	{ "billing", "EMAIL[:NAME]", CLI_OPT_REPEAT, "a billing contact" },
	{ "regulatory-profile", "PROFILE", 0, "regulatory profile of the account" },
	{ "partner", "PARTNER_ID", 0, "the partner organization that provisions it" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int accounts_create(struct cli_ctx *ctx)
{
	json_t *body = json_object();
	cli_set_opt(body, "name", ctx, "name");
	json_object_set_new(body, "owner", json_pack("{s:s, s:s}",
		"email", cli_opt(ctx, "owner-email"), "name", cli_opt(ctx, "owner-name")));
	json_t *billing = json_array();
	for (size_t i = 0; i < cli_args_count(ctx->args, "billing"); i++) {
		const char *v = cli_args_nth(ctx->args, "billing", i);
		const char *colon = strchr(v, ':');
		json_t *c = json_object();
		json_object_set_new(c, "email", colon ? json_stringn(v, (size_t)(colon - v)) : json_string(v));
		if (colon && colon[1])
			json_object_set_new(c, "name", json_string(colon + 1));
		json_array_append_new(billing, c);
	}
	json_object_set_new(body, "billing_contacts", billing);
	cli_set_opt(body, "regulatory_profile", ctx, "regulatory-profile");
	cli_set_opt(body, "partner_id", ctx, "partner");

	json_t *res = NULL;
	int rc = cli_api(ctx, "POST", "/v1/accounts", body, 1, &res);
	json_decref(body);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		char *id = cli_out_cell(res, "id");
		char *name = cli_out_cell(res, "name");
		cli_say(ctx, "Created account %s (%s).", id, name);
		free(id);
		free(name);
		cli_print_invitation(ctx, "owner", cli_opt(ctx, "owner-email"),
			json_object_get(res, "owner_invitation"));
		size_t i;
		const json_t *inv;
		json_array_foreach(json_object_get(res, "billing_invitations"), i, inv)
			cli_print_invitation(ctx, "billing",
				json_string_value(json_object_get(inv, "email")), inv);
		cli_say(ctx, "Each person accepts with 'faxvault invitations accept TOKEN'.");
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static const struct cli_opt update_opts[] = {
	{ "name", "NAME", 0, "new name" },
	{ "regulatory-profile", "PROFILE", 0, "new regulatory profile" },
	{ NULL, NULL, 0, NULL },
};

static int accounts_update(struct cli_ctx *ctx)
{
	json_t *body = json_object();
	cli_set_opt(body, "name", ctx, "name");
	cli_set_opt(body, "regulatory_profile", ctx, "regulatory-profile");
	if (json_object_size(body) == 0) {
		json_decref(body);
		return cli_usage(ctx, "nothing to change: give --name or --regulatory-profile");
	}
	char *path = cli_http_path("/v1/accounts/%s", cli_pos(ctx, 0));
	int rc = cli_show(ctx, "PATCH", path, body, account_fields, CLI_NCOLS(account_fields),
		"Account updated.");
	free(path);
	json_decref(body);
	return rc;
}

/* POST /v1/accounts/ID/<verb> and report the new status. */
static int account_action(struct cli_ctx *ctx, const char *verb, const char *done)
{
	char *path = cli_http_path("/v1/accounts/%s/", cli_pos(ctx, 0));
	char *full = xasprintf("%s%s", path, verb);
	int rc = cli_show(ctx, "POST", full, NULL, account_fields, CLI_NCOLS(account_fields), done);
	free(full);
	free(path);
	return rc;
}

static int accounts_suspend(struct cli_ctx *ctx)
{
	return account_action(ctx, "suspend", I18N("Account suspended."));
}

static int accounts_reactivate(struct cli_ctx *ctx)
{
	return account_action(ctx, "reactivate", I18N("Account reactivated."));
}

static const struct cli_opt transfer_opts[] = {
	{ "to", "USER_ID", CLI_OPT_REQUIRED, "the member who becomes owner" },
	{ NULL, NULL, 0, NULL },
};

static int accounts_transfer(struct cli_ctx *ctx)
{
	json_t *body = json_pack("{s:s}", "user_id", cli_opt(ctx, "to"));
	char *path = cli_http_path("/v1/accounts/%s/owner-transfer", cli_pos(ctx, 0));
	int rc = cli_show(ctx, "POST", path, body, account_fields, CLI_NCOLS(account_fields),
		"Ownership transferred.");
	free(path);
	json_decref(body);
	return rc;
}

const struct cli_cmd cmd_accounts_subs[] = {
	{ "list", "List accounts", NULL, NULL, list_opts, 0, 0, accounts_list, NULL },
	{ "show", "Show one account", "ACCOUNT_ID", NULL, NULL, 1, 1, accounts_show, NULL },
	{ "create", "Create an account and invite its owner and billing contacts", NULL,
		"Prints the invitation tokens once; each person accepts theirs with "
		"'faxvault invitations accept TOKEN'.",
		create_opts, 0, 0, accounts_create, NULL },
	{ "update", "Change an account's name or regulatory profile", "ACCOUNT_ID", NULL,
		update_opts, 1, 1, accounts_update, NULL },
	{ "suspend", "Suspend an account", "ACCOUNT_ID", NULL, NULL, 1, 1, accounts_suspend, NULL },
	{ "reactivate", "Reactivate a suspended account", "ACCOUNT_ID", NULL, NULL, 1, 1,
		accounts_reactivate, NULL },
	{ "transfer-owner", "Transfer ownership to another member (owner only)", "ACCOUNT_ID", NULL,
		transfer_opts, 1, 1, accounts_transfer, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
