/* Named custom roles of an account: `faxvault roles list|create|show|
 * update|delete` (POST|GET|PATCH|DELETE /v1/accounts/{id}/roles). A member
 * is given one with `faxvault users create|update --role custom
 * --custom-role ROLE_ID`. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_http.h"
#include "cli_msg.h"
#include "i18n.h"

#define ACCOUNT_OPT { "account", "ACCOUNT_ID", 0, "the account (default: yours)" }

static const struct cli_col role_cols[] = {
	{ "ID", "id" }, { "NAME", "name" }, { "HOLDERS", "holders" },
	{ "PERMISSIONS", "permissions" },
};

static const struct cli_col role_fields[] = {
	{ "ID", "id" }, { "Name", "name" }, { "Description", "description" },
	{ "Permissions", "permissions" }, { "Holders", "holders" }, { "Created", "created_at" },
	{ "Updated", "updated_at" },
};

static const struct cli_opt list_opts[] = { ACCOUNT_OPT, CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };
static const struct cli_opt account_opts[] = { ACCOUNT_OPT, { NULL, NULL, 0, NULL } };

/* The account's roles (role NULL) or one role, with method (NULL: a list)
 * and body; the answer shown with role_fields and done said. */
static int role_run(struct cli_ctx *ctx, const char *role, const char *method, const char *query,
	const json_t *body, const char *done)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	char *path = role ? cli_http_path("/v1/accounts/%s/roles/%s", acc, role)
		: cli_http_path("/v1/accounts/%s/roles", acc);
	buf_t p;
	buf_init(&p, (size_t)1 << 16);
	buf_puts(&p, path);
	if (query)
		buf_puts(&p, query);
	rc = method ? cli_show(ctx, method, p.data, body, role_fields, CLI_NCOLS(role_fields), done)
		: cli_list(ctx, p.data, role_cols, CLI_NCOLS(role_cols));
	buf_free(&p);
	free(path);
	free(acc);
	return rc;
}

static int roles_list(struct cli_ctx *ctx)
{
	return role_run(ctx, NULL, NULL, NULL, NULL, NULL);
}

static const struct cli_opt create_opts[] = {
	ACCOUNT_OPT,
	{ "permission", "PERM[,PERM...]", CLI_OPT_REQUIRED | CLI_OPT_REPEAT,
		"an account permission of the role (see 'faxvault permissions list')" },
	{ "description", "TEXT", 0, "what the role is for" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int roles_create(struct cli_ctx *ctx)
{
	json_t *perms = cli_opt_list(ctx, "permission");
	if (json_array_size(perms) == 0) {
		json_decref(perms);
		return cli_usage(ctx, "--permission needs at least one permission name");
	}
	json_t *body = json_pack("{s:s, s:o}", "name", cli_pos(ctx, 0), "permissions", perms);
	cli_set_opt(body, "description", ctx, "description");
	int rc = role_run(ctx, NULL, "POST", NULL, body,
		I18N("Role created. Give it with 'faxvault users update USER_ID --role custom --custom-role ROLE_ID'."));
	json_decref(body);
	return rc;
}

static int roles_show(struct cli_ctx *ctx)
{
	return role_run(ctx, cli_pos(ctx, 0), "GET", NULL, NULL, NULL);
}

static const struct cli_opt update_opts[] = {
	ACCOUNT_OPT,
	{ "name", "NAME", 0, "a new name" },
	{ "description", "TEXT", 0, "a new description (\"\" for none)" },
	{ "permission", "PERM[,PERM...]", CLI_OPT_REPEAT,
		"the role's permissions, all of them (every holder's change at once)" },
	{ NULL, NULL, 0, NULL },
};

static int roles_update(struct cli_ctx *ctx)
{
	json_t *body = json_object();
	cli_set_opt(body, "name", ctx, "name");
	cli_set_opt(body, "description", ctx, "description");
	json_t *perms = cli_opt_list(ctx, "permission");
	if (json_array_size(perms) > 0)
		json_object_set_new(body, "permissions", perms);
	else
		json_decref(perms);
	int rc = json_object_size(body) == 0
		? cli_usage(ctx, "nothing to change: give --name, --description or --permission")
		: role_run(ctx, cli_pos(ctx, 0), "PATCH", NULL, body, I18N("Role updated."));
	json_decref(body);
	return rc;
}

static const struct cli_opt delete_opts[] = {
	ACCOUNT_OPT,
	{ "holders-to-user", NULL, 0, "make the members who hold the role users first" },
	{ NULL, NULL, 0, NULL },
};

static int roles_delete(struct cli_ctx *ctx)
{
	return role_run(ctx, cli_pos(ctx, 0), "DELETE",
		cli_args_has(ctx->args, "holders-to-user") ? "?reassign=user" : NULL, NULL,
		I18N("Role deleted."));
}

const struct cli_cmd cmd_roles_subs[] = {
	{ "list", "List an account's named custom roles", NULL, NULL, list_opts, 0, 0, roles_list,
		NULL },
	{ "create", "Define a named custom role", "NAME",
		"A role holds account permissions (never ownership.transfer), only ones you hold; "
		"a role holding admins.manage needs admins.manage to manage. The name is unique in "
		"the account, whatever its case.",
		create_opts, 1, 1, roles_create, NULL },
	{ "show", "Show a custom role", "ROLE_ID", NULL, account_opts, 1, 1, roles_show, NULL },
	{ "update", "Rename a custom role, or change its description or permissions", "ROLE_ID",
		"A change of permissions reaches every member holding the role on their next "
		"request.",
		update_opts, 1, 1, roles_update, NULL },
	{ "delete", "Delete a custom role", "ROLE_ID",
		"A role members hold is refused unless --holders-to-user makes them users first.",
		delete_opts, 1, 1, roles_delete, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
