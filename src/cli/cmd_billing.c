/* Billing of an account: `faxvault billing balance|plan|ledger` (billing
 * contacts and administrators) and `billing credit|set-plan` (provider
 * operators). Amounts are integer minor units of the account's currency. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_http.h"

static const struct cli_col balance_fields[] = {
	{ "Account", "account_id" }, { "Plan", "kind" }, { "Balance (minor units)", "balance_minor" },
	{ "Currency", "currency" }, { "Low-balance threshold", "low_balance_minor" }, { "Low", "low" },
};

static const struct cli_col plan_fields[] = {
	{ "Account", "account_id" }, { "Plan", "kind" }, { "Included pages", "included_pages" },
	{ "Low-balance threshold", "low_balance_minor" }, { "Currency", "currency" },
	{ "Updated", "updated_at" },
};

static const struct cli_col ledger_cols[] = {
	{ "WHEN", "created_at" }, { "ID", "id" }, { "KIND", "kind" }, { "AMOUNT", "delta_minor" },
	{ "CURRENCY", "currency" }, { "REASON", "reason" }, { "CDR", "cdr_id" }, { "BY", "actor" },
};

static const struct cli_col credit_fields[] = {
	{ "Balance (minor units)", "balance_minor" }, { "Currency", "currency" },
};

static const struct cli_opt account_opts[] = {
	{ "account", "ACCOUNT_ID", 0, "the account (default: yours)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt ledger_opts[] = {
	{ "account", "ACCOUNT_ID", 0, "the account (default: yours)" },
	CLI_LIST_OPTS,
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt credit_opts[] = {
	{ "amount", "MINOR_UNITS", CLI_OPT_REQUIRED, "the amount in minor units (cents), > 0" },
	{ "reason", "TEXT", CLI_OPT_REQUIRED, "why (kept in the ledger and the audit log)" },
	{ "kind", "topup|credit|refund", 0, "topup (default) or credit add; refund takes" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt set_plan_opts[] = {
	{ "kind", "prepaid|postpaid", CLI_OPT_REQUIRED, "how the account pays" },
	{ "included-pages", "N", 0, "pages included each month" },
	{ "low-balance", "MINOR_UNITS", 0, "a prepaid balance at or under this is low" },
	{ NULL, NULL, 0, NULL },
};

/* GET /v1/accounts/{id}/<what> shown as fields. */
static int show_account(struct cli_ctx *ctx, const char *what, const struct cli_col *fields,
	size_t n)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	char *path = cli_http_path("/v1/accounts/%s/%s", acc, what);
	free(acc);
	rc = cli_show(ctx, "GET", path, NULL, fields, n, NULL);
	free(path);
	return rc;
}

static int billing_balance(struct cli_ctx *ctx)
{
	return show_account(ctx, "balance", balance_fields, CLI_NCOLS(balance_fields));
}

static int billing_plan(struct cli_ctx *ctx)
{
	return show_account(ctx, "plan", plan_fields, CLI_NCOLS(plan_fields));
}

static int billing_ledger(struct cli_ctx *ctx)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	char *path = cli_http_path("/v1/accounts/%s/ledger", acc);
	free(acc);
	rc = cli_list(ctx, path, ledger_cols, CLI_NCOLS(ledger_cols));
	free(path);
	return rc;
}

static int billing_credit(struct cli_ctx *ctx)
{
	int64_t amount;
	int given;
	int rc = cli_opt_int(ctx, "amount", 1, 1000000000000LL, &amount, &given);
	if (rc != 0)
		return rc;
	const char *kind = cli_opt(ctx, "kind");
	if (kind && strcmp(kind, "topup") != 0 && strcmp(kind, "credit") != 0 &&
	    strcmp(kind, "refund") != 0)
		return cli_usage(ctx, "--kind wants topup, credit or refund");
	json_t *body = json_pack("{s:I}", "amount_minor", (json_int_t)amount);
	cli_set_opt(body, "reason", ctx, "reason");
	cli_set_opt(body, "kind", ctx, "kind");
	char *path = cli_http_path("/v1/provider/accounts/%s/credits", cli_pos(ctx, 0));
	rc = cli_show(ctx, "POST", path, body, credit_fields, CLI_NCOLS(credit_fields), NULL);
	free(path);
	json_decref(body);
	return rc;
}

static int billing_set_plan(struct cli_ctx *ctx)
{
	const char *kind = cli_opt(ctx, "kind");
	if (strcmp(kind, "prepaid") != 0 && strcmp(kind, "postpaid") != 0)
		return cli_usage(ctx, "--kind wants prepaid or postpaid");
	int64_t pages, low;
	int pages_given, low_given;
	int rc = cli_opt_int(ctx, "included-pages", 0, 100000000, &pages, &pages_given);
	if (rc == 0)
		rc = cli_opt_int(ctx, "low-balance", 0, 1000000000000LL, &low, &low_given);
	if (rc != 0)
		return rc;
	json_t *body = json_pack("{s:s}", "kind", kind);
	if (pages_given)
		json_object_set_new(body, "included_pages", json_integer(pages));
	if (low_given)
		json_object_set_new(body, "low_balance_minor", json_integer(low));
	char *path = cli_http_path("/v1/provider/accounts/%s/plan", cli_pos(ctx, 0));
	rc = cli_show(ctx, "PUT", path, body, plan_fields, CLI_NCOLS(plan_fields), NULL);
	free(path);
	json_decref(body);
	return rc;
}

const struct cli_cmd cmd_billing_subs[] = {
	{ "balance", "Show an account's balance", NULL,
		"Charges of finished calls are posted to the ledger first.", account_opts, 0, 0,
		billing_balance, NULL },
	{ "plan", "Show an account's billing plan", NULL, NULL, account_opts, 0, 0, billing_plan,
		NULL },
	{ "ledger", "List an account's ledger, newest first", NULL,
		"Top-ups, credits, refunds, and one charge per call with a cost (its CDR).",
		ledger_opts, 0, 0, billing_ledger, NULL },
	{ "credit", "Record a top-up, credit or refund (provider operators)", "ACCOUNT_ID",
		"A refund cannot take the balance below zero.", credit_opts, 1, 1, billing_credit, NULL },
	{ "set-plan", "Set an account's billing plan (provider operators)", "ACCOUNT_ID", NULL,
		set_plan_opts, 1, 1, billing_set_plan, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
