/* The permission table and the built-in roles: `faxvault permissions`. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"

static const struct cli_col perm_cols[] = {
	{ "NAME", "name" }, { "SCOPE", "scope" }, { "DESCRIPTION", "description" },
};

static const struct cli_opt list_opts[] = {
	{ "role", "ROLE", 0, "only the permissions a built-in role holds" },
	{ NULL, NULL, 0, NULL },
};

/* Items of res whose name is in the role's list; new array. */
static json_t *filter_role(const json_t *items, const json_t *names)
{
	json_t *out = json_array();
	size_t i, k;
	const json_t *it, *n;
	json_array_foreach(items, i, it) {
		const char *name = json_string_value(json_object_get(it, "name"));
		json_array_foreach(names, k, n) {
			if (name && json_is_string(n) && strcmp(name, json_string_value(n)) == 0) {
				json_array_append(out, (json_t *)it);
				break;
			}
		}
	}
	return out;
}

static int permissions_list(struct cli_ctx *ctx)
{
	json_t *res = NULL;
	int rc = cli_api(ctx, "GET", "/v1/permissions", NULL, 1, &res);
	if (rc != CLI_EXIT_OK)
		return rc;
	const char *role = cli_opt(ctx, "role");
	json_t *items = json_incref(json_object_get(res, "items"));
	if (role) {
		const json_t *names = json_object_get(json_object_get(res, "roles"), role);
		if (!json_is_array(names)) {
			rc = cli_fail(ctx, CLI_EXIT_INVALID, "no built-in role '%s' "
				"(see 'faxvault permissions roles')", role);
			goto out;
		}
		json_t *f = filter_role(items, names);
		json_decref(items);
		items = f;
	}
	if (ctx->json) {
		json_t *o = role ? json_pack("{s:s, s:O}", "role", role, "items", items) : json_incref(res);
		cli_out_json(ctx->out, o);
		json_decref(o);
	} else {
		buf_t t;
		buf_init(&t, (size_t)1 << 24);
		cli_out_table(perm_cols, CLI_NCOLS(perm_cols), items, &t);
		cli_out_write(ctx->out, &t);
		buf_free(&t);
	}
out:
	json_decref(items);
	json_decref(res);
	return rc;
}

static int permissions_roles(struct cli_ctx *ctx)
{
	json_t *res = NULL;
	int rc = cli_api(ctx, "GET", "/v1/permissions", NULL, 1, &res);
	if (rc != CLI_EXIT_OK)
		return rc;
	const json_t *roles = json_object_get(res, "roles");
	if (ctx->json) {
		cli_out_json(ctx->out, roles ? roles : json_null());
	} else {
		/* Turn {role: [perm...]} into rows for the table renderer. */
		json_t *rows = json_array();
		const char *name;
		json_t *perms;
		json_object_foreach((json_t *)roles, name, perms)
			json_array_append_new(rows, json_pack("{s:s, s:O}", "role", name, "permissions", perms));
		static const struct cli_col cols[] = { { "ROLE", "role" }, { "PERMISSIONS", "permissions" } };
		buf_t t;
		buf_init(&t, (size_t)1 << 24);
		cli_out_table(cols, CLI_NCOLS(cols), rows, &t);
		cli_out_write(ctx->out, &t);
		buf_free(&t);
		json_decref(rows);
	}
	json_decref(res);
	return rc;
}

const struct cli_cmd cmd_permissions_subs[] = {
	{ "list", "List every permission (name, scope, description)", NULL, NULL,
		list_opts, 0, 0, permissions_list, NULL },
	{ "roles", "List the built-in roles and the permissions each holds", NULL, NULL,
		NULL, 0, 0, permissions_roles, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
