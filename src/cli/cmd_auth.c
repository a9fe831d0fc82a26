/* Who am I and how do I get in: login, logout, whoami, sessions,
 * invitations. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_config.h"
#include "cli_http.h"
#include "xalloc.h"

const struct cli_opt cmd_login_opts[] = {
	{ "email", "EMAIL", 0, "log in as EMAIL (asked when missing)" },
	{ "password-stdin", NULL, 0, "read the password from the first line of standard input" },
	{ NULL, NULL, 0, NULL },
};

int cmd_login(struct cli_ctx *ctx)
{
	const struct cli_conf *conf = ctx->conf;
	int from_stdin = cli_args_has(ctx->args, "password-stdin");
	if (!conf->path)
		return cli_fail(ctx, CLI_EXIT_ERROR,
			"no place for the config file: set HOME or XDG_CONFIG_HOME, or give --config FILE");
	char *email = cli_opt(ctx, "email") ? xstrdup(cli_opt(ctx, "email")) : NULL;
	int rc;
	if (!email) {
		if (from_stdin)
			return cli_usage(ctx, "--password-stdin needs --email");
		if ((rc = cli_read_line(ctx, "Email: ", &email)) != 0)
			return rc;
	}
	char *password = NULL;
	if ((rc = cli_read_secret(ctx, "Password: ", from_stdin, 0, &password)) != 0) {
		free(email);
		return rc;
	}
	json_t *body = json_object();
	json_object_set_new(body, "email", json_string(email));
	json_object_set_new(body, "password", json_string(password));
	cli_secret_free(password);
	json_t *res = NULL;
	rc = cli_api(ctx, "POST", "/v1/sessions", body, 0, &res);
	json_decref(body);
	if (rc != CLI_EXIT_OK)
		goto out;
	const char *token = json_string_value(json_object_get(res, "token"));
	const char *expires = json_string_value(json_object_get(res, "expires_at"));
	if (!token || !token[0]) {
		rc = cli_fail(ctx, CLI_EXIT_SERVER, "the server's answer has no token");
		goto out;
	}
	buf_t err;
	buf_init(&err, 4096);
	if (cli_config_save(conf->path, conf->url, token, &err) != 0) {
		rc = cli_fail(ctx, CLI_EXIT_ERROR, "%s", cli_buf_str(&err));
		buf_free(&err);
		goto out;
	}
	buf_free(&err);
	if (ctx->json) {
		/* Never the token: it lives in the config file only. */
		json_t *o = json_pack("{s:s, s:s, s:s?, s:s}", "url", conf->url, "email", email,
			"expires_at", expires, "config", conf->path);
		cli_out_json(ctx->out, o);
		json_decref(o);
	} else {
		buf_t e;
		buf_init(&e, 4096);
		cli_out_sanitize(expires ? expires : "-", &e);
		fprintf(ctx->out, "Logged in to %s as %s (session expires %s).\nSession saved in %s.\n",
			conf->url, email, cli_buf_str(&e), conf->path);
		buf_free(&e);
	}
out:
	json_decref(res);
	free(email);
	return rc;
}

int cmd_logout(struct cli_ctx *ctx)
{
	const struct cli_conf *conf = ctx->conf;
	json_t *res = NULL;
	int rc = cli_api(ctx, "DELETE", "/v1/sessions/current", NULL, 1, &res);
	json_decref(res);
	/* A session the server no longer knows is as good as ended: still
	 * forget it here. */
	if (rc != CLI_EXIT_OK && rc != CLI_EXIT_UNAUTH)
		return rc;
	if (conf->token_src == CLI_SRC_FILE) {
		buf_t err;
		buf_init(&err, 4096);
		if (cli_config_save(conf->path, conf->file_url, NULL, &err) != 0) {
			rc = cli_fail(ctx, CLI_EXIT_ERROR, "%s", cli_buf_str(&err));
			buf_free(&err);
			return rc;
		}
		buf_free(&err);
	} else if (rc == CLI_EXIT_UNAUTH) {
		return rc;
	}
	if (!ctx->json)
		fprintf(ctx->out, "Logged out.\n");
	return CLI_EXIT_OK;
}

static const struct cli_col me_fields[] = {
	{ "ID", "id" }, { "Email", "email" }, { "Name", "name" }, { "Kind", "kind" },
	{ "Role", "role" }, { "Account", "account_id" }, { "Partner", "partner_id" },
	{ "Permissions", "permissions" }, { "Credential", "credential.type" },
};

int cmd_whoami(struct cli_ctx *ctx)
{
	return cli_show(ctx, "GET", "/v1/me", NULL, me_fields, CLI_NCOLS(me_fields), NULL);
}

static const struct cli_col session_cols[] = {
	{ "ID", "id" }, { "CREATED", "created_at" }, { "LAST SEEN", "last_seen_at" },
	{ "EXPIRES", "expires_at" }, { "CURRENT", "current" },
};

static const struct cli_opt list_opts[] = { CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };

static int sessions_list(struct cli_ctx *ctx)
{
	return cli_list(ctx, "/v1/me/sessions", session_cols, CLI_NCOLS(session_cols));
}

static int sessions_revoke(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/me/sessions/%s", cli_pos(ctx, 0));
	int rc = cli_show(ctx, "DELETE", path, NULL, NULL, 0, "Session revoked.");
	free(path);
	return rc;
}

const struct cli_cmd cmd_sessions_subs[] = {
	{ "list", "List your sessions", NULL, NULL, list_opts, 0, 0, sessions_list, NULL },
	{ "revoke", "End one of your sessions", "SESSION_ID",
		"Revoking the current session is the same as 'faxvault logout' on the server "
		"side; the stored token then stops working.",
		NULL, 1, 1, sessions_revoke, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};

static const struct cli_opt accept_opts[] = {
	{ "password-stdin", NULL, 0, "read the new password from the first line of standard input" },
	{ NULL, NULL, 0, NULL },
};

static int invitations_accept(struct cli_ctx *ctx)
{
	char *password = NULL;
	int rc = cli_read_secret(ctx, "New password: ",
		cli_args_has(ctx->args, "password-stdin"), 1, &password);
	if (rc != 0)
		return rc;
	json_t *body = json_object();
	json_object_set_new(body, "password", json_string(password));
	cli_secret_free(password);
	char *path = cli_http_path("/v1/invitations/%s/accept", cli_pos(ctx, 0));
	json_t *res = NULL;
	rc = cli_api(ctx, "POST", path, body, 0, &res);
	free(path);
	json_decref(body);
	if (rc == CLI_EXIT_OK) {
		if (ctx->json && res) {
			cli_out_json(ctx->out, res);
		} else if (!ctx->json) {
			char *email = cli_out_cell(res, "email");
			char *id = cli_out_cell(res, "user_id");
			fprintf(ctx->out, "Invitation accepted: %s (%s) can now log in with "
				"'faxvault login --email %s'.\n", email, id, email);
			free(email);
			free(id);
		}
	}
	json_decref(res);
	return rc;
}

const struct cli_cmd cmd_invitations_subs[] = {
	{ "accept", "Accept an invitation and set a password", "TOKEN",
		"Needs no login. The password is asked twice on the terminal, or read from "
		"standard input with --password-stdin.",
		accept_opts, 1, 1, invitations_accept, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
