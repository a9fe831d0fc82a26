/* Postpaid invoices: `faxvault invoices list|show|pdf` (billing contacts,
 * administrators, provider operators, partner staff of the account) and
 * `invoices overdue` (provider operators: every overdue invoice).
 * Amounts are integer minor units of the invoice's currency. */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_http.h"
#include "i18n.h"
#include "xalloc.h"

static const struct cli_col invoice_cols[] = {
	{ "NUMBER", "number" }, { "ID", "id" }, { "PERIOD", "period" }, { "STATUS", "status" },
	{ "TOTAL", "total_minor" }, { "DUE", "due_minor" }, { "CURRENCY", "currency" },
	{ "DUE DATE", "due_at" },
};

static const struct cli_col overdue_cols[] = {
	{ "NUMBER", "number" }, { "ID", "id" }, { "ACCOUNT", "account_id" }, { "PERIOD", "period" },
	{ "DUE", "due_minor" }, { "CURRENCY", "currency" }, { "DUE DATE", "due_at" },
	{ "SUSPENDED", "suspended_at" },
};

static const struct cli_col invoice_fields[] = {
	{ "Invoice", "id" }, { "Number", "number" }, { "Account", "account_id" },
	{ "Period", "period" }, { "Status", "status" }, { "Currency", "currency" },
	{ "Pages", "pages" }, { "Included pages", "included_pages" },
	{ "Subtotal (minor units)", "subtotal_minor" }, { "Included (minor units)", "included_minor" },
	{ "Total (minor units)", "total_minor" }, { "Paid (minor units)", "paid_minor" },
	{ "Due (minor units)", "due_minor" }, { "Issued", "issued_at" }, { "Due date", "due_at" },
	{ "Paid on", "paid_at" }, { "Language", "lang" },
};

static const struct cli_opt list_opts[] = {
	{ "account", "ACCOUNT_ID", 0, "the account (default: yours)" },
	CLI_LIST_OPTS,
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt show_opts[] = {
	{ "account", "ACCOUNT_ID", 0, "the account (default: yours)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt pdf_opts[] = {
	{ "account", "ACCOUNT_ID", 0, "the account (default: yours)" },
	{ "pdf-lang", "en|fr", 0, "the document's language (default: the invoice's)" },
	{ "output", "FILE", 0, "write here (default: invoice-ID.pdf; - for standard output)" },
	{ "force", NULL, 0, "replace FILE when it exists" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_opt overdue_opts[] = {
	CLI_LIST_OPTS,
	{ NULL, NULL, 0, NULL },
};

static int invoices_list(struct cli_ctx *ctx)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	char *path = cli_http_path("/v1/accounts/%s/invoices", acc);
	free(acc);
	rc = cli_list(ctx, path, invoice_cols, CLI_NCOLS(invoice_cols));
	free(path);
	return rc;
}

static int invoices_show(struct cli_ctx *ctx)
{
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	char *path = cli_http_path("/v1/accounts/%s/invoices/%s", acc, cli_pos(ctx, 0));
	free(acc);
	rc = cli_show(ctx, "GET", path, NULL, invoice_fields, CLI_NCOLS(invoice_fields), NULL);
	free(path);
	return rc;
}

static int invoices_pdf(struct cli_ctx *ctx)
{
	static const char pdf_magic[4] = { '%', 'P', 'D', 'F' };
	const char *id = cli_pos(ctx, 0), *lang = cli_opt(ctx, "pdf-lang");
	if (lang && strcmp(lang, "en") != 0 && strcmp(lang, "fr") != 0)
		return cli_usage(ctx, "--lang wants en or fr");
	const char *out = cli_opt(ctx, "output");
	for (const char *p = id; !out && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			return cli_usage(ctx, "this id cannot name a file: give --output FILE");
	char *acc = NULL;
	int rc = cli_account(ctx, &acc);
	if (rc != 0)
		return rc;
	char *path = lang ? cli_http_path("/v1/accounts/%s/invoices/%s?lang=%s", acc, id, lang)
		: cli_http_path("/v1/accounts/%s/invoices/%s", acc, id);
	free(acc);
	char *def = xasprintf("invoice-%s.pdf", id);
	struct cli_call call = { .method = "GET", .path = path, .auth = CLI_AUTH_REQUIRED,
		.accept = "application/pdf" };
	rc = cli_fetch_file(ctx, &call, pdf_magic, sizeof pdf_magic, I18N("PDF document"),
		out ? out : def);
	free(def);
	free(path);
	return rc;
}

static int invoices_overdue(struct cli_ctx *ctx)
{
	return cli_list(ctx, "/v1/provider/overdue-invoices", overdue_cols, CLI_NCOLS(overdue_cols));
}

const struct cli_cmd cmd_invoices_subs[] = {
	{ "list", "List an account's invoices, newest first", NULL,
		"One invoice per month and currency of a postpaid account; amounts in minor units.",
		list_opts, 0, 0, invoices_list, NULL },
	{ "show", "Show an invoice with its amounts and dates", "INVOICE_ID", NULL, show_opts, 1, 1,
		invoices_show, NULL },
	{ "pdf", "Save an invoice as PDF", "INVOICE_ID",
		"Writes invoice-ID.pdf (or --output FILE) with mode 0600; an existing file is kept "
		"unless --force.", pdf_opts, 1, 1, invoices_pdf, NULL },
	{ "overdue", "List every overdue invoice (provider operators)", NULL,
		"SUSPENDED: since when the account's sending is suspended for non-payment.",
		overdue_opts, 0, 0, invoices_overdue, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
