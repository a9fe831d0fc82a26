/* Members of an account: `faxvault users … --account ID`. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "cli_http.h"

#define ACCOUNT_OPT { "account", "ACCOUNT_ID", CLI_OPT_REQUIRED, "the account" }

static const struct cli_col user_cols[] = {
	{ "ID", "id" }, { "EMAIL", "email" }, { "NAME", "name" }, { "ROLE", "role" },
	{ "STATUS", "status" }, { "CREATED", "created_at" },
};

static const struct cli_col user_fields[] = {
	{ "ID", "id" }, { "Email", "email" }, { "Name", "name" }, { "Role", "role" },
	{ "Permissions", "permissions" }, { "Status", "status" }, { "Created", "created_at" },
};

static const struct cli_opt list_opts[] = { ACCOUNT_OPT, CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };
static const struct cli_opt account_opts[] = { ACCOUNT_OPT, { NULL, NULL, 0, NULL } };

static int users_list(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s/users", cli_opt(ctx, "account"));
	int rc = cli_list(ctx, path, user_cols, CLI_NCOLS(user_cols));
	free(path);
	return rc;
}

static int users_show(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s/users/%s", cli_opt(ctx, "account"), cli_pos(ctx, 0));
	int rc = cli_show(ctx, "GET", path, NULL, user_fields, CLI_NCOLS(user_fields), NULL);
	free(path);
	return rc;
}

/* Adds role and permissions from the options to body, checking that a
 * custom role comes with permissions and the others without. 0 or 2. */
static int role_and_permissions(struct cli_ctx *ctx, json_t *body)
{
	const char *role = cli_opt(ctx, "role");
	const char *named = cli_opt(ctx, "custom-role");
	json_t *perms = cli_opt_list(ctx, "permission");
	int custom = role && strcmp(role, "custom") == 0;
	if (named && (!custom || json_array_size(perms) > 0)) {
		json_decref(perms);
		return cli_usage(ctx, "--custom-role goes with --role custom, without --permission");
	}
	if (custom && !named && json_array_size(perms) == 0) {
		json_decref(perms);
		return cli_usage(ctx, "--role custom needs at least one --permission, or --custom-role");
	}
	if (role && !custom && json_array_size(perms) > 0) {
		json_decref(perms);
		return cli_usage(ctx, "--permission goes with --role custom only");
	}
	cli_set_opt(body, "role", ctx, "role");
	cli_set_opt(body, "custom_role_id", ctx, "custom-role");
	if (json_array_size(perms) > 0)
		json_object_set_new(body, "permissions", perms);
	else
		json_decref(perms);
	return 0;
}

static const struct cli_opt create_opts[] = {
	ACCOUNT_OPT,
	{ "email", "EMAIL", CLI_OPT_REQUIRED, "e-mail address of the new member" },
	{ "name", "NAME", CLI_OPT_REQUIRED, "name of the new member" },
	{ "role", "ROLE", CLI_OPT_REQUIRED, "owner, admin, billing, user or custom" },
	{ "permission", "PERM[,PERM...]", CLI_OPT_REPEAT, "a permission of a custom role" },
	{ "custom-role", "ROLE_ID", 0, "a named custom role (see 'faxvault roles list')" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int users_create(struct cli_ctx *ctx)
{
	json_t *body = json_object();
	cli_set_opt(body, "email", ctx, "email");
	cli_set_opt(body, "name", ctx, "name");
	int rc = role_and_permissions(ctx, body);
	if (rc != 0) {
		json_decref(body);
		return rc;
	}
	char *path = cli_http_path("/v1/accounts/%s/users", cli_opt(ctx, "account"));
	json_t *res = NULL;
	rc = cli_api(ctx, "POST", path, body, 1, &res);
	free(path);
	json_decref(body);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		char *id = cli_out_cell(res, "id");
		cli_say(ctx, "Invited %s as %s (user %s).", cli_opt(ctx, "email"), cli_opt(ctx, "role"), id);
		free(id);
		cli_print_invitation(ctx, cli_opt(ctx, "role"), cli_opt(ctx, "email"),
			json_object_get(res, "invitation"));
		cli_say(ctx, "The user accepts with 'faxvault invitations accept TOKEN'.");
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static const struct cli_opt update_opts[] = {
	ACCOUNT_OPT,
	{ "name", "NAME", 0, "new name" },
	{ "role", "ROLE", 0, "new role: admin, billing, user or custom" },
	{ "permission", "PERM[,PERM...]", CLI_OPT_REPEAT, "a permission of a custom role" },
	{ "custom-role", "ROLE_ID", 0, "a named custom role (see 'faxvault roles list')" },
	{ NULL, NULL, 0, NULL },
};

static int users_update(struct cli_ctx *ctx)
{
	json_t *body = json_object();
	cli_set_opt(body, "name", ctx, "name");
	int rc = role_and_permissions(ctx, body);
	if (rc == 0 && json_object_size(body) == 0)
		rc = cli_usage(ctx, "nothing to change: give --name, --role or --permission");
	if (rc == 0) {
		char *path = cli_http_path("/v1/accounts/%s/users/%s", cli_opt(ctx, "account"),
			cli_pos(ctx, 0));
		rc = cli_show(ctx, "PATCH", path, body, user_fields, CLI_NCOLS(user_fields),
			"User updated.");
		free(path);
	}
	json_decref(body);
	return rc;
}

static int users_delete(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s/users/%s", cli_opt(ctx, "account"), cli_pos(ctx, 0));
	int rc = cli_show(ctx, "DELETE", path, NULL, user_fields, CLI_NCOLS(user_fields),
		"User deprovisioned: its sessions and API keys are revoked.");
	free(path);
	return rc;
}

static int users_unlock(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s/users/%s/unlock", cli_opt(ctx, "account"),
		cli_pos(ctx, 0));
	int rc = cli_show(ctx, "POST", path, NULL, user_fields, CLI_NCOLS(user_fields),
		"User unlocked: the failed-login count is reset.");
	free(path);
	return rc;
}

const struct cli_cmd cmd_users_subs[] = {
	{ "list", "List the members of an account", NULL, NULL, list_opts, 0, 0, users_list, NULL },
	{ "show", "Show one member", "USER_ID", NULL, account_opts, 1, 1, users_show, NULL },
	{ "create", "Invite a member", NULL,
		"Prints the invitation token once; the member accepts it with "
		"'faxvault invitations accept TOKEN'. A custom role is built from --permission.",
		create_opts, 0, 0, users_create, NULL },
	{ "update", "Change a member's name, role or permissions", "USER_ID", NULL,
		update_opts, 1, 1, users_update, NULL },
	{ "delete", "Deprovision a member (revokes its sessions and API keys at once)", "USER_ID",
		NULL, account_opts, 1, 1, users_delete, NULL },
	{ "unlock", "Lift a member's lockout after too many failed logins", "USER_ID",
		"A locked login answers like a wrong password; the lockout also ends by itself "
		"after the policy's lockout duration.",
		account_opts, 1, 1, users_unlock, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
