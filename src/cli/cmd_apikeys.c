/* API keys of an account: `faxvault api-keys … --account ID`. */
#include <stdlib.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "cli_http.h"

#define ACCOUNT_OPT { "account", "ACCOUNT_ID", CLI_OPT_REQUIRED, "the account" }

static const struct cli_col key_cols[] = {
	{ "ID", "id" }, { "NAME", "name" }, { "PREFIX", "prefix" }, { "PERMISSIONS", "permissions" },
	{ "EXPIRES", "expires_at" }, { "LAST USED", "last_used_at" }, { "CREATED", "created_at" },
};

static const struct cli_opt list_opts[] = { ACCOUNT_OPT, CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };
static const struct cli_opt account_opts[] = { ACCOUNT_OPT, { NULL, NULL, 0, NULL } };

static int keys_list(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s/api-keys", cli_opt(ctx, "account"));
	int rc = cli_list(ctx, path, key_cols, CLI_NCOLS(key_cols));
	free(path);
	return rc;
}

static const struct cli_opt create_opts[] = {
	ACCOUNT_OPT,
	{ "name", "NAME", CLI_OPT_REQUIRED, "what the key is for" },
	{ "permission", "PERM[,PERM...]", CLI_OPT_REQUIRED | CLI_OPT_REPEAT,
		"a permission of the key (a subset of yours)" },
	{ "expires-at", "TIME", 0, "expiry, RFC 3339 (e.g. 2027-01-01T00:00:00Z)" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int keys_create(struct cli_ctx *ctx)
{
	int rc = cli_check_time(ctx, "expires-at");
	if (rc != 0)
		return rc;
	json_t *body = json_object();
	cli_set_opt(body, "name", ctx, "name");
	json_t *perms = cli_opt_list(ctx, "permission");
	if (json_array_size(perms) == 0) {
		json_decref(perms);
		json_decref(body);
		return cli_usage(ctx, "--permission needs at least one permission name");
	}
	json_object_set_new(body, "permissions", perms);
	cli_set_opt(body, "expires_at", ctx, "expires-at");
	char *path = cli_http_path("/v1/accounts/%s/api-keys", cli_opt(ctx, "account"));
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
		char *secret = cli_out_cell(res, "secret");
		cli_say(ctx, "Created API key %s (%s).\n"
			"Secret, shown only now (store it safely; it cannot be shown again):\n\n"
			"    %s\n\n"
			"Use it as FAXVAULT_TOKEN or in 'Authorization: Bearer …'.",
			id, cli_opt(ctx, "name"), secret);
		free(id);
		cli_secret_free(secret);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static int keys_revoke(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s/api-keys/%s", cli_opt(ctx, "account"),
		cli_pos(ctx, 0));
	int rc = cli_show(ctx, "DELETE", path, NULL, NULL, 0, "API key revoked.");
	free(path);
	return rc;
}

const struct cli_cmd cmd_apikeys_subs[] = {
	{ "list", "List the API keys of an account", NULL, NULL, list_opts, 0, 0, keys_list, NULL },
	{ "create", "Create an API key (the secret is printed once)", NULL,
		"The key holds the permissions given with --permission, which must be a subset "
		"of yours. The secret is printed once and stored only hashed.",
		create_opts, 0, 0, keys_create, NULL },
	{ "revoke", "Revoke an API key", "KEY_ID", NULL, account_opts, 1, 1, keys_revoke, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
