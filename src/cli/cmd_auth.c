/* Who am I and how do I get in: login, logout, whoami, sessions,
 * invitations. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "cli_config.h"
#include "cli_http.h"
#include "xalloc.h"

const struct cli_opt cmd_login_opts[] = {
	{ "email", "EMAIL", 0, "log in as EMAIL (asked when missing)" },
	{ "password-stdin", NULL, 0, "read the password from the first line of standard input" },
	{ "totp", "CODE", 0, "the code of your authenticator app (second factor)" },
	{ "recovery-code", "CODE", 0, "a single-use recovery code instead of --totp" },
	{ NULL, NULL, 0, NULL },
};

#define MFA_REQUIRED "urn:faxvault:problem:mfa-required"

/* Adds the second factor typed on the terminal to body: a TOTP code or a
 * recovery code, told apart by their form. 0 or an exit code. */
static int ask_second_factor(struct cli_ctx *ctx, json_t *body)
{
	char *line = NULL;
	int rc = cli_read_line(ctx, "Code from your authenticator app (or a recovery code): ", &line);
	if (rc != 0)
		return rc;
	char norm[256];
	int kind = cli_code_split(line, norm, sizeof norm);
	free(line);
	if (kind < 0)
		return cli_fail(ctx, CLI_EXIT_USAGE, "no code given");
	json_object_set_new(body, kind ? "totp" : "recovery_code", json_string(norm));
	explicit_bzero(norm, sizeof norm);
	return 0;
}

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
	const char *totp = cli_opt(ctx, "totp"), *rcode = cli_opt(ctx, "recovery-code");
	json_t *body = json_object();
	json_object_set_new(body, "email", json_string(email));
	json_object_set_new(body, "password", json_string(password));
	cli_secret_free(password);
	if (totp && rcode) {
		json_decref(body);
		free(email);
		return cli_usage(ctx, "give --totp or --recovery-code, not both");
	}
	if (totp || rcode) {
		char norm[256];
		if (cli_code_split(totp ? totp : rcode, norm, sizeof norm) < 0) {
			json_decref(body);
			free(email);
			return cli_usage(ctx, "--%s is empty", totp ? "totp" : "recovery-code");
		}
		json_object_set_new(body, totp ? "totp" : "recovery_code", json_string(norm));
	}
	json_t *res = NULL;
	/* A person with a second factor is asked for it: on a terminal we ask
	 * and try again; otherwise the error says which option to add. */
	int can_ask = !totp && !rcode && isatty(STDIN_FILENO);
	struct cli_call call = { .method = "POST", .path = "/v1/sessions", .body = body,
		.auth = CLI_AUTH_NONE, .quiet_type = can_ask ? MFA_REQUIRED : NULL };
	struct cli_result r;
	rc = cli_api_call(ctx, &call, &r);
	if (r.quiet) {
		cli_result_free(&r);
		rc = ask_second_factor(ctx, body);
		if (rc == 0) {
			call.quiet_type = NULL;
			rc = cli_api_call(ctx, &call, &r);
		} else {
			memset(&r, 0, sizeof r);
		}
	}
	res = r.json;
	r.json = NULL;
	cli_result_free(&r);
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
		cli_say(ctx, "Logged in to %s as %s (session expires %s).\nSession saved in %s.",
			conf->url, email, cli_buf_str(&e), conf->path);
		buf_free(&e);
	}
	const json_t *left = json_object_get(res, "recovery_codes_left");
	if (json_is_integer(left))
		cli_note(ctx, json_integer_value(left) <= 3
			? "note: recovery code used; %" JSON_INTEGER_FORMAT " left. Enrol again "
			  "('faxvault mfa disable', then 'faxvault mfa enrol') for new ones."
			: "note: recovery code used; %" JSON_INTEGER_FORMAT " left.",
			json_integer_value(left));
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
		cli_say(ctx, "Logged out.");
	return CLI_EXIT_OK;
}

static const struct cli_col me_fields[] = {
	{ "ID", "id" }, { "Email", "email" }, { "Name", "name" }, { "Kind", "kind" },
	{ "Role", "role" }, { "Account", "account_id" }, { "Partner", "partner_id" },
	{ "Permissions", "permissions" }, { "Credential", "credential.type" },
	{ "MFA (TOTP)", "mfa.totp" }, { "Pending", "pending" },
};

int cmd_whoami(struct cli_ctx *ctx)
{
	return cli_show(ctx, "GET", "/v1/me", NULL, me_fields, CLI_NCOLS(me_fields), NULL);
}

static const struct cli_col session_cols[] = {
	{ "ID", "id" }, { "CREATED", "created_at" }, { "LAST SEEN", "last_seen_at" },
	{ "EXPIRES", "expires_at" }, { "CURRENT", "current" },
};

static const struct cli_col account_session_cols[] = {
	{ "ID", "id" }, { "USER", "user_id" }, { "EMAIL", "email" }, { "SOURCE", "source" },
	{ "CREATED", "created_at" }, { "LAST SEEN", "last_seen_at" }, { "EXPIRES", "expires_at" },
};

#define SESSION_ACCOUNT_OPT { "account", "ACCOUNT_ID", 0, \
	"the sessions of every member of this account (security.manage)" }

static const struct cli_opt list_opts[] = { SESSION_ACCOUNT_OPT, CLI_LIST_OPTS,
	{ NULL, NULL, 0, NULL } };
static const struct cli_opt revoke_opts[] = { SESSION_ACCOUNT_OPT, { NULL, NULL, 0, NULL } };

static int sessions_list(struct cli_ctx *ctx)
{
	const char *account = cli_opt(ctx, "account");
	if (!account)
		return cli_list(ctx, "/v1/me/sessions", session_cols, CLI_NCOLS(session_cols));
	char *path = cli_http_path("/v1/accounts/%s/sessions", account);
	int rc = cli_list(ctx, path, account_session_cols, CLI_NCOLS(account_session_cols));
	free(path);
	return rc;
}

static int sessions_revoke(struct cli_ctx *ctx)
{
	const char *account = cli_opt(ctx, "account");
	char *path = account
		? cli_http_path("/v1/accounts/%s/sessions/%s", account, cli_pos(ctx, 0))
		: cli_http_path("/v1/me/sessions/%s", cli_pos(ctx, 0));
	int rc = cli_show(ctx, "DELETE", path, NULL, NULL, 0, "Session revoked.");
	free(path);
	return rc;
}

const struct cli_cmd cmd_sessions_subs[] = {
	{ "list", "List your sessions, or with --account those of an account's members", NULL,
		NULL, list_opts, 0, 0, sessions_list, NULL },
	{ "revoke", "End one of your sessions, or with --account any session of the account",
		"SESSION_ID",
		"Revoking the current session is the same as 'faxvault logout' on the server "
		"side; the stored token then stops working. With --account, an admin holding "
		"security.manage ends any member's session.",
		revoke_opts, 1, 1, sessions_revoke, NULL },
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
	/* The token goes in the body, never in a URL (which servers and proxies log). */
	json_t *body = json_object();
	json_object_set_new(body, "token", json_string(cli_pos(ctx, 0)));
	json_object_set_new(body, "password", json_string(password));
	cli_secret_free(password);
	json_t *res = NULL;
	rc = cli_api(ctx, "POST", "/v1/invitations/accept", body, 0, &res);
	json_decref(body);
	if (rc == CLI_EXIT_OK) {
		if (ctx->json && res) {
			cli_out_json(ctx->out, res);
		} else if (!ctx->json) {
			char *email = cli_out_cell(res, "email");
			char *id = cli_out_cell(res, "user_id");
			cli_say(ctx, "Invitation accepted: %s (%s) can now log in with "
				"'faxvault login --email %s'.", email, id, email);
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
