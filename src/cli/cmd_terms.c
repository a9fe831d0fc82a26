/* Terms of service (C06): `faxvault terms show|accept|publish|pending`. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "cli_http.h"

/* Largest terms text we read from a file (the server takes 200000 bytes). */
#define TERMS_FILE_MAX (1024 * 1024)

static int terms_show(struct cli_ctx *ctx)
{
	/* The global --lang (checked by cli_run) picks the text too. */
	const char *lang = cli_opt(ctx, "lang");
	json_t *res = NULL;
	/* Public, but a logged-in person also learns whether they accepted. */
	int rc = cli_api(ctx, "GET", "/v1/terms/current", NULL, CLI_AUTH_OPTIONAL, &res);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, res);
		json_decref(res);
		return CLI_EXIT_OK;
	}
	char *version = cli_out_cell(res, "version");
	char *published = cli_out_cell(res, "published_at");
	cli_say(ctx, "Terms of service, version %s (published %s)", version, published);
	const json_t *acc = json_object_get(res, "accepted");
	if (json_is_boolean(acc))
		cli_say(ctx, "%s", json_is_true(acc) ? cli_tr("You have accepted this version.")
			: cli_tr("You have not accepted this version. Accept it with 'faxvault terms accept'."));
	const char *key = lang ? (strcmp(lang, "fr") == 0 ? "text_fr" : "text_en") : "text";
	const char *text = json_string_value(json_object_get(res, key));
	if (!text)
		text = json_string_value(json_object_get(res, "text_en"));
	fputc('\n', ctx->out);
	cli_out_text(ctx->out, text ? text : "");
	free(version);
	free(published);
	json_decref(res);
	return CLI_EXIT_OK;
}

static int terms_accept(struct cli_ctx *ctx)
{
	const char *version = cli_pos(ctx, 0);
	json_t *cur = NULL;
	int rc;
	if (!version) {
		/* The version in force now: what 'terms show' printed. */
		rc = cli_api(ctx, "GET", "/v1/terms/current", NULL, CLI_AUTH_OPTIONAL, &cur);
		if (rc != CLI_EXIT_OK)
			return rc;
		version = json_string_value(json_object_get(cur, "version"));
		if (!version || !version[0]) {
			json_decref(cur);
			return cli_fail(ctx, CLI_EXIT_SERVER, "the server's answer has no version");
		}
	}
	json_t *body = json_pack("{s:s}", "version", version);
	json_t *res = NULL;
	rc = cli_api(ctx, "POST", "/v1/me/terms/accept", body, 1, &res);
	json_decref(body);
	if (rc == CLI_EXIT_OK) {
		if (ctx->json) {
			cli_out_json(ctx->out, res ? res : json_null());
		} else {
			char *v = cli_out_cell(res, "version");
			char *at = cli_out_cell(res, "accepted_at");
			cli_say(ctx, "Accepted the terms of service, version %s, at %s.", v, at);
			free(v);
			free(at);
		}
	}
	json_decref(res);
	json_decref(cur);
	return rc;
}

static const struct cli_opt publish_opts[] = {
	{ "en", "FILE", CLI_OPT_REQUIRED, "the English text (UTF-8; - for standard input)" },
	{ "fr", "FILE", CLI_OPT_REQUIRED, "the French text (UTF-8; - for standard input)" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

/* Reads one text file of publish into a new JSON string. 0 or exit code. */
static int read_text(struct cli_ctx *ctx, const char *opt, json_t **out)
{
	const char *file = cli_opt(ctx, opt);
	buf_t b;
	int rc = cli_read_file(ctx, file, TERMS_FILE_MAX, &b);
	if (rc != 0)
		return rc;
	const char *text = cli_buf_str(&b);
	size_t len = b.len;
	if (len == 0 || strlen(text) != len) {
		buf_free(&b);
		return len ? cli_usage(ctx, "--%s %s holds a NUL byte", opt, file)
			: cli_usage(ctx, "--%s %s is empty", opt, file);
	}
	*out = json_stringn(text, b.len);
	buf_free(&b);
	if (!*out)
		return cli_usage(ctx, "--%s %s is not UTF-8 text", opt, file);
	return 0;
}

static int terms_publish(struct cli_ctx *ctx)
{
	if (strcmp(cli_opt(ctx, "en"), "-") == 0 && strcmp(cli_opt(ctx, "fr"), "-") == 0)
		return cli_usage(ctx, "only one of --en and --fr can read standard input");
	json_t *en = NULL, *fr = NULL;
	int rc = read_text(ctx, "en", &en);
	if (rc == 0)
		rc = read_text(ctx, "fr", &fr);
	if (rc != 0) {
		json_decref(en);
		return rc;
	}
	json_t *body = json_pack("{s:s, s:o, s:o}", "version", cli_pos(ctx, 0),
		"text_en", en, "text_fr", fr);
	static const struct cli_col fields[] = {
		{ "Version", "version" }, { "Published", "published_at" },
	};
	rc = cli_show(ctx, "POST", "/v1/provider/terms", body, fields, CLI_NCOLS(fields),
		"Terms published: every person must accept them before anything else.");
	json_decref(body);
	return rc;
}

static const struct cli_opt pending_opts[] = {
	{ "account", "ACCOUNT_ID", CLI_OPT_REQUIRED, "the account" },
	CLI_LIST_OPTS,
	{ NULL, NULL, 0, NULL },
};

static const struct cli_col pending_cols[] = {
	{ "ID", "id" }, { "EMAIL", "email" }, { "NAME", "name" }, { "ROLE", "role" },
};

static int terms_pending(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s/terms/pending", cli_opt(ctx, "account"));
	int rc = cli_list(ctx, path, pending_cols, CLI_NCOLS(pending_cols));
	free(path);
	return rc;
}

const struct cli_cmd cmd_terms_subs[] = {
	{ "show", "Show the current terms of service (no login needed)", NULL,
		"When logged in, also says whether you accepted them. The global --lang picks the "
		"text's language (default: the server's choice from the locale).",
		NULL, 0, 0, terms_show, NULL },
	{ "accept", "Accept the current terms of service", "[VERSION]",
		"Without VERSION, accepts the version 'faxvault terms show' prints. Until you "
		"accept it, every other call is refused.",
		NULL, 0, 1, terms_accept, NULL },
	{ "publish", "Publish a new version in English and French (provider operators)", "VERSION",
		"VERSION names the new version (e.g. 2026-11; at most 40 characters). Every person "
		"must accept it before their next call.",
		publish_opts, 1, 1, terms_publish, NULL },
	{ "pending", "List the members of an account who have not accepted the current terms",
		NULL, NULL, pending_opts, 0, 0, terms_pending, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
