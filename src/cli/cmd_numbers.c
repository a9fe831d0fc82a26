/* Fax numbers: an account's (`faxvault numbers request|list|route|release`)
 * and the provider's inventory (`faxvault numbers import|inventory`). */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "i18n.h"
#include "cli_http.h"
#include "xalloc.h"

/* Longest list of numbers read by import --file. */
#define NUMBERS_FILE_MAX (4u * 1024 * 1024)
/* Numbers one import may carry. */
#define NUMBERS_IMPORT_MAX 10000

#define ACCOUNT_OPT { "account", "ACCOUNT_ID", 0, "the account (default: yours)" }

int cli_e164_ok(const char *s)
{
	if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	size_t n = 0;
	for (const char *p = s + 1; *p; p++, n++)
		if (*p < '0' || *p > '9')
			return 0;
	return n >= 8 && n <= 15;
}

int cli_numbers_parse(const char *text, size_t n, json_t *arr, unsigned *errline)
{
	json_t *found = json_array();
	unsigned line = 1;
	size_t i = 0;
	while (i < n) {
		char c = text[i];
		if (c == '\n') {
			line++;
			i++;
		} else if (c == '#') {
			while (i < n && text[i] != '\n')
				i++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == ',' || c == ';') {
			i++;
		} else {
			size_t start = i;
			while (i < n && !strchr(" \t\r\n,;#", text[i]) && text[i] != '\0')
				i++;
			if (i == start) { /* a NUL byte: not a list of numbers */
				*errline = line;
				json_decref(found);
				return -1;
			}
			char *word = xstrndup(text + start, i - start);
			int ok = cli_e164_ok(word) && json_array_size(found) < NUMBERS_IMPORT_MAX;
			if (ok)
				json_array_append_new(found, json_string(word));
			free(word);
			if (!ok) {
				*errline = line;
				json_decref(found);
				return -1;
			}
		}
	}
	json_array_extend(arr, found);
	json_decref(found);
	return 0;
}

int cli_account(struct cli_ctx *ctx, char **out)
{
	*out = NULL;
	const char *given = cli_opt(ctx, "account");
	if (given) {
		*out = xstrdup(given);
		return 0;
	}
	json_t *me = NULL;
	int rc = cli_api(ctx, "GET", "/v1/me", NULL, CLI_AUTH_REQUIRED, &me);
	if (rc != CLI_EXIT_OK)
		return rc;
	const char *acc = json_string_value(json_object_get(me, "account_id"));
	if (acc && acc[0])
		*out = xstrdup(acc);
	json_decref(me);
	if (!*out)
		return cli_usage(ctx, "you are not a member of an account: give --account ACCOUNT_ID");
	return 0;
}

static const struct cli_col number_cols[] = {
	{ "NUMBER", "number" }, { "COUNTRY", "country" }, { "TRUNK", "trunk|trunk_id" },
	{ "STATUS", "status" }, { "ROUTE TO", "route_to|route_user_id" }, { "ASSIGNED", "assigned_at" },
};

static const struct cli_col number_fields[] = {
	{ "Number", "number" }, { "Country", "country" }, { "Trunk", "trunk|trunk_id" },
	{ "Status", "status" }, { "Route to", "route_to|route_user_id" },
	{ "Assigned", "assigned_at" },
};

static const struct cli_col inventory_cols[] = {
	{ "NUMBER", "number" }, { "TRUNK", "trunk_id|trunk" }, { "STATUS", "status" },
	{ "ACCOUNT", "account_id" }, { "ASSIGNED", "assigned_at" },
	{ "QUARANTINE UNTIL", "quarantine_until" },
};

/* Sends method (NULL: lists) to the account's numbers, or to the number
 * named by the first argument when one, with body (may be NULL); the
 * answer is shown as a number. */
static int account_numbers(struct cli_ctx *ctx, int one, const char *method, const json_t *body,
	const char *done)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	char *path = one ? cli_http_path("/v1/accounts/%s/numbers/%s", acc, cli_pos(ctx, 0))
		: cli_http_path("/v1/accounts/%s/numbers", acc);
	if (method)
		rc = cli_show(ctx, method, path, body, number_fields, CLI_NCOLS(number_fields), done);
	else
		rc = cli_list(ctx, path, number_cols, CLI_NCOLS(number_cols));
	free(path);
	free(acc);
	return rc;
}

static const struct cli_opt request_opts[] = {
	ACCOUNT_OPT,
	{ "country", "CC", CLI_OPT_REQUIRED, "country of the number (ISO 3166 code: FR, US, ...)" },
	{ "area-code", "N", 0, "area code wanted" },
	{ "route-to", "USER_ID|shared", 0, "whose inbox receives its faxes (default: shared)" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int numbers_request(struct cli_ctx *ctx)
{
	json_t *body = json_object();
	cli_set_opt(body, "country", ctx, "country");
	cli_set_opt(body, "area_code", ctx, "area-code");
	cli_set_opt(body, "route_to", ctx, "route-to");
	int rc = account_numbers(ctx, 0, "POST", body, I18N("Number assigned."));
	json_decref(body);
	return rc;
}

static const struct cli_opt list_opts[] = { ACCOUNT_OPT, CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };

static int numbers_list(struct cli_ctx *ctx)
{
	return account_numbers(ctx, 0, NULL, NULL, NULL);
}

static const struct cli_opt route_opts[] = {
	ACCOUNT_OPT,
	{ "to", "USER_ID|shared", CLI_OPT_REQUIRED, "a member of the account, or the shared inbox" },
	{ NULL, NULL, 0, NULL },
};

static int numbers_route(struct cli_ctx *ctx)
{
	json_t *body = json_object();
	cli_set_opt(body, "route_to", ctx, "to");
	int rc = account_numbers(ctx, 1, "PATCH", body, I18N("Number routed."));
	json_decref(body);
	return rc;
}

static const struct cli_opt account_opts[] = { ACCOUNT_OPT, { NULL, NULL, 0, NULL } };

static int numbers_release(struct cli_ctx *ctx)
{
	return account_numbers(ctx, 1, "DELETE", NULL,
		I18N("Number released: it returns to the inventory after its quarantine."));
}

static const struct cli_opt import_opts[] = {
	{ "trunk", "TRUNK_ID", CLI_OPT_REQUIRED, "the trunk that reaches the numbers (e.g. loopback)" },
	{ "file", "FILE", 0, "read the numbers from FILE (- for standard input): one per line, "
		"# starts a comment" },
	{ NULL, NULL, 0, NULL },
};

static int numbers_import(struct cli_ctx *ctx)
{
	const struct cli_args *a = ctx->args;
	const char *file = cli_opt(ctx, "file");
	if ((a->npos > 0) == (file != NULL))
		return cli_usage(ctx, "give the numbers as arguments or with --file, not both");
	json_t *numbers = json_array();
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < a->npos; i++) {
		if (!cli_e164_ok(a->pos[i]))
			rc = cli_usage(ctx, "%s is not an E.164 number (+33123456789)", a->pos[i]);
		else
			json_array_append_new(numbers, json_string(a->pos[i]));
	}
	if (rc == 0 && file) {
		buf_t text;
		rc = cli_read_file(ctx, file, NUMBERS_FILE_MAX, &text);
		if (rc == 0) {
			unsigned line = 0;
			if (cli_numbers_parse(cli_buf_str(&text), text.len, numbers, &line) != 0)
				rc = cli_usage(ctx, "%s line %u: not an E.164 number (or more than %d "
					"numbers)", file, line, NUMBERS_IMPORT_MAX);
			else if (json_array_size(numbers) == 0)
				rc = cli_usage(ctx, "%s holds no number", file);
			buf_free(&text);
		}
	}
	if (rc != 0) {
		json_decref(numbers);
		return rc;
	}
	size_t sent = json_array_size(numbers);
	json_t *body = json_pack("{s:s, s:o}", "trunk", cli_opt(ctx, "trunk"), "numbers", numbers);
	json_t *res = NULL;
	rc = cli_api(ctx, "POST", "/v1/provider/numbers", body, CLI_AUTH_REQUIRED, &res);
	json_decref(body);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		if (res)
			cli_out_json(ctx->out, res);
	} else {
		const json_t *imported = json_object_get(res, "imported");
		size_t count = json_is_integer(imported) ? (size_t)json_integer_value(imported) : sent;
		cli_say(ctx, count == 1 ? "Imported %zu number." : "Imported %zu numbers.", count);
		const json_t *skipped = json_object_get(res, "skipped");
		size_t i;
		const json_t *sk;
		json_array_foreach(skipped, i, sk) {
			char *num = cli_out_cell(sk, "number");
			char *why = cli_out_cell(sk, "reason");
			cli_say(ctx, "Skipped %s (%s).", num, why);
			free(num);
			free(why);
		}
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static const struct cli_opt inventory_opts[] = { CLI_LIST_OPTS, { NULL, NULL, 0, NULL } };

static int numbers_inventory(struct cli_ctx *ctx)
{
	return cli_list(ctx, "/v1/provider/numbers", inventory_cols, CLI_NCOLS(inventory_cols));
}

const struct cli_cmd cmd_numbers_subs[] = {
	{ "request", "Get a fax number for an account from the inventory", NULL,
		"Needs numbers.manage. The number is taken from the provider's inventory for "
		"the country (and area code when given) and routes to --route-to: a member of "
		"the account or its shared inbox.",
		request_opts, 0, 0, numbers_request, NULL },
	{ "list", "List an account's fax numbers", NULL, NULL, list_opts, 0, 0, numbers_list, NULL },
	{ "route", "Choose whose inbox receives a number's faxes", "NUMBER", NULL, route_opts, 1, 1,
		numbers_route, NULL },
	{ "release", "Give a number back (it returns to the inventory after a quarantine)", "NUMBER",
		NULL, account_opts, 1, 1, numbers_release, NULL },
	{ "import", "Add numbers to the provider's inventory (provider operators)", "[NUMBER...]",
		"The numbers (E.164) are reached through --trunk; the built-in loopback trunk "
		"is 'loopback'.",
		import_opts, 0, NUMBERS_IMPORT_MAX, numbers_import, NULL },
	{ "inventory", "List the provider's numbers and their state (provider operators)", NULL,
		NULL, inventory_opts, 0, 0, numbers_inventory, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
