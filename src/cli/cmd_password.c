/* Passwords: `faxvault password change`, `password reset request|complete`. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "cli_http.h"

static const struct cli_opt change_opts[] = {
	{ "password-stdin", NULL, 0,
		"read the current password, then the new one, from two lines of standard input" },
	{ NULL, NULL, 0, NULL },
};

static int password_change(struct cli_ctx *ctx)
{
	int from_stdin = cli_args_has(ctx->args, "password-stdin");
	char *cur = NULL, *new_pw = NULL;
	int rc = cli_read_secret(ctx, "Current password: ", from_stdin, 0, &cur);
	if (rc != 0)
		return rc;
	rc = cli_read_secret(ctx, "New password: ", from_stdin, 1, &new_pw);
	if (rc != 0) {
		cli_secret_free(cur);
		return rc;
	}
	if (strcmp(cur, new_pw) == 0) {
		cli_secret_free(cur);
		cli_secret_free(new_pw);
		return cli_usage(ctx, "the new password is the current one");
	}
	json_t *body = json_object();
	json_object_set_new(body, "current_password", json_string(cur));
	json_object_set_new(body, "new_password", json_string(new_pw));
	cli_secret_free(cur);
	cli_secret_free(new_pw);
	json_t *res = NULL;
	rc = cli_api(ctx, "POST", "/v1/me/password", body, 1, &res);
	json_decref(body); /* the dump sent was wiped; jansson's copy is freed */
	json_decref(res);
	if (rc == CLI_EXIT_OK && !ctx->json)
		cli_say(ctx, "Password changed.");
	return rc;
}

static const struct cli_opt request_opts[] = {
	{ "email", "EMAIL", CLI_OPT_REQUIRED, "the address of the person who forgot" },
	{ NULL, NULL, 0, NULL },
};

static int reset_request(struct cli_ctx *ctx)
{
	json_t *body = json_pack("{s:s}", "email", cli_opt(ctx, "email"));
	json_t *res = NULL;
	int rc = cli_api(ctx, "POST", "/v1/password-resets", body, CLI_AUTH_NONE, &res);
	json_decref(body);
	if (rc == CLI_EXIT_OK) {
		if (ctx->json)
			cli_out_json(ctx->out, res ? res : json_null());
		else
			cli_say(ctx, "Reset requested. If %s belongs to an active person, a reset "
				"token is on its way to them; they finish with\n"
				"'faxvault password reset complete TOKEN'.", cli_opt(ctx, "email"));
	}
	json_decref(res);
	return rc;
}

static const struct cli_opt complete_opts[] = {
	{ "password-stdin", NULL, 0, "read the new password from the first line of standard input" },
	{ NULL, NULL, 0, NULL },
};

static int reset_complete(struct cli_ctx *ctx)
{
	char *pw = NULL;
	int rc = cli_read_secret(ctx, "New password: ", cli_args_has(ctx->args, "password-stdin"), 1,
		&pw);
	if (rc != 0)
		return rc;
	/* The token goes in the body, never in a URL (which servers and proxies log). */
	json_t *body = json_object();
	json_object_set_new(body, "token", json_string(cli_pos(ctx, 0)));
	json_object_set_new(body, "password", json_string(pw));
	cli_secret_free(pw);
	json_t *res = NULL;
	rc = cli_api(ctx, "POST", "/v1/password-resets/complete", body, CLI_AUTH_NONE, &res);
	json_decref(body);
	json_decref(res);
	if (rc == CLI_EXIT_OK && !ctx->json)
		cli_say(ctx, "Password reset; every session of yours was ended. Log in with "
			"'faxvault login'.");
	return rc;
}

static const struct cli_cmd reset_subs[] = {
	{ "request", "Ask for a reset token for a forgotten password (no login needed)", NULL,
		"The answer is the same whether the address is known or not. The token goes to "
		"the person (operators can also issue one with 'faxvaultd password-reset').",
		request_opts, 0, 0, reset_request, NULL },
	{ "complete", "Set a new password with a reset token (no login needed)", "TOKEN",
		"The new password is asked twice on the terminal, or read from standard input "
		"with --password-stdin. It must meet the account's password policy.",
		complete_opts, 1, 1, reset_complete, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};

const struct cli_cmd cmd_password_subs[] = {
	{ "change", "Change your password", NULL,
		"Asks for the current password, then the new one twice, on the terminal without "
		"echo; with --password-stdin reads two lines (current, new). The new password must "
		"meet the account's policy (length, common passwords, history).",
		change_opts, 0, 0, password_change, NULL },
	{ "reset", "Reset a forgotten password", NULL, NULL, NULL, 0, 0, NULL, reset_subs },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
