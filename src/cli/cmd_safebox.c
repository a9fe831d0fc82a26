/* SafeBoxes from the command line: `faxvault safebox list|create|show|send|
 * download|close` on /v1/safeboxes (docs/safebox.md). */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_http.h"
#include "cli_msg.h"
#include "cli_out.h"
#include "i18n.h"
#include "xalloc.h"

static const struct cli_col box_cols[] = {
	{ "ID", "id" }, { "SUBJECT", "subject" }, { "STATUS", "status" },
	{ "EXPIRES", "expires_at" }, { "CREATED", "created_at" },
};

static const struct cli_col box_fields[] = {
	{ "ID", "id" }, { "Subject", "subject" }, { "Status", "status" },
	{ "Expires", "expires_at" }, { "Created", "created_at" },
};

static const struct cli_col file_cols[] = {
	{ "FILE", "id" }, { "NAME", "filename" }, { "TYPE", "content_type" }, { "SIZE", "size" },
	{ "BY", "author.email" }, { "CREATED", "created_at" },
};

static const struct cli_col participant_cols[] = {
	{ "PARTICIPANT", "id" }, { "EMAIL", "email" }, { "KIND", "kind" }, { "STATUS", "status" },
};

static const struct cli_opt list_opts[] = { CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };

static int sb_list(struct cli_ctx *ctx)
{
	return cli_list(ctx, "/v1/safeboxes", box_cols, CLI_NCOLS(box_cols));
}

static const struct cli_opt create_opts[] = {
	{ "to", "EMAIL[,EMAIL...]", CLI_OPT_REQUIRED | CLI_OPT_REPEAT,
		"a participant: a guest outside the account, or a member" },
	{ "message", "TEXT", 0, "the first message" },
	{ "expires-at", "TIME", 0, "RFC 3339 (default: the account's profile)" },
	{ "account", "ACCOUNT_ID", 0, "the account (default: yours)" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int sb_create(struct cli_ctx *ctx)
{
	json_t *to = cli_opt_list(ctx, "to");
	if (json_array_size(to) == 0) {
		json_decref(to);
		return cli_usage(ctx, "--to needs at least one address");
	}
	json_t *participants = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(to, i, v)
		json_array_append_new(participants, json_pack("{s:O}", "email", v));
	json_decref(to);
	json_t *body = json_pack("{s:s, s:o}", "subject", cli_pos(ctx, 0), "participants",
		participants);
	cli_set_opt(body, "message", ctx, "message");
	cli_set_opt(body, "expires_at", ctx, "expires-at");
	cli_set_opt(body, "account_id", ctx, "account");
	int rc = cli_show(ctx, "POST", "/v1/safeboxes", body, box_fields, CLI_NCOLS(box_fields),
		I18N("SafeBox created; each guest is mailed a link."));
	json_decref(body);
	return rc;
}

/* Prints a table of the array key of box under a title. */
static void print_part(struct cli_ctx *ctx, const json_t *box, const char *key,
	const struct cli_col *cols, size_t ncols)
{
	const json_t *items = json_object_get(box, key);
	if (!json_is_array(items) || json_array_size(items) == 0)
		return;
	buf_t t;
	buf_init(&t, (size_t)1 << 24);
	buf_puts(&t, "\n");
	cli_out_table(cols, ncols, items, &t);
	cli_out_write(ctx->out, &t);
	buf_free(&t);
}

static int sb_show(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/safeboxes/%s", cli_pos(ctx, 0));
	json_t *box = NULL;
	int rc = cli_api(ctx, "GET", path, NULL, CLI_AUTH_REQUIRED, &box);
	free(path);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, box);
	} else {
		buf_t t;
		buf_init(&t, (size_t)1 << 20);
		cli_out_kv(box_fields, CLI_NCOLS(box_fields), box, &t);
		cli_out_write(ctx->out, &t);
		buf_free(&t);
		print_part(ctx, box, "participants", participant_cols, CLI_NCOLS(participant_cols));
		print_part(ctx, box, "files", file_cols, CLI_NCOLS(file_cols));
	}
	json_decref(box);
	return CLI_EXIT_OK;
}

static const struct cli_opt send_opts[] = {
	{ "type", "MEDIA_TYPE", 0, "the file's media type (default: application/octet-stream)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_col sent_fields[] = {
	{ "File", "id" }, { "Name", "filename" }, { "Size", "size" },
};

static int sb_send(struct cli_ctx *ctx)
{
	const char *file = cli_pos(ctx, 1);
	int rc = cli_file_readable(ctx, file);
	if (rc != 0)
		return rc;
	char *path = cli_http_path("/v1/safeboxes/%s/files", cli_pos(ctx, 0));
	struct cli_http_part part = { .name = "file", .file = file, .type = cli_opt(ctx, "type") };
	struct cli_call call = { .method = "POST", .path = path, .auth = CLI_AUTH_REQUIRED,
		.parts = &part, .nparts = 1 };
	struct cli_result res;
	rc = cli_api_call(ctx, &call, &res);
	free(path);
	if (rc == CLI_EXIT_OK) {
		if (ctx->json) {
			cli_out_json(ctx->out, res.json);
		} else {
			cli_say(ctx, "File added to the SafeBox.");
			buf_t t;
			buf_init(&t, (size_t)1 << 20);
			cli_out_kv(sent_fields, CLI_NCOLS(sent_fields), res.json, &t);
			cli_out_write(ctx->out, &t);
			buf_free(&t);
		}
	}
	cli_result_free(&res);
	return rc;
}

static const struct cli_opt download_opts[] = {
	{ "output", "FILE", CLI_OPT_REQUIRED, "write here (- for standard output)" },
	{ "force", NULL, 0, "replace FILE when it exists" },
	{ NULL, NULL, 0, NULL },
};

static int sb_download(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/safeboxes/%s/files/%s", cli_pos(ctx, 0), cli_pos(ctx, 1));
	struct cli_call call = { .method = "GET", .path = path, .auth = CLI_AUTH_REQUIRED,
		.accept = "*/*" };
	int rc = cli_fetch_file(ctx, &call, NULL, 0, I18N("file"), cli_opt(ctx, "output"));
	free(path);
	return rc;
}

static int sb_close(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/safeboxes/%s/close", cli_pos(ctx, 0));
	int rc = cli_show(ctx, "POST", path, NULL, box_fields, CLI_NCOLS(box_fields),
		I18N("SafeBox closed: nothing more can be added, and guests can no longer open it."));
	free(path);
	return rc;
}

const struct cli_cmd cmd_safebox_subs[] = {
	{ "list", "List the SafeBoxes you own or take part in", NULL, NULL, list_opts, 0, 0, sb_list,
		NULL },
	{ "create", "Create a SafeBox for people outside the account", "SUBJECT",
		"Each address given with --to takes part: members of the account see it in their "
		"list, guests get a link by mail and prove their address with a one-time code.",
		create_opts, 1, 1, sb_create, NULL },
	{ "show", "Show a SafeBox: its participants and files", "SAFEBOX_ID", NULL, NULL, 1, 1,
		sb_show, NULL },
	{ "send", "Add a file to a SafeBox", "SAFEBOX_ID FILE",
		"The file is scanned for malware and stored encrypted under a key of its own.",
		send_opts, 2, 2, sb_send, NULL },
	{ "download", "Save a file of a SafeBox", "SAFEBOX_ID FILE_ID",
		"Writes FILE with mode 0600; an existing file is kept unless --force.",
		download_opts, 2, 2, sb_download, NULL },
	{ "close", "Close a SafeBox", "SAFEBOX_ID", NULL, NULL, 1, 1, sb_close, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
