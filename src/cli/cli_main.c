/* The command tree of `faxvault` and cli_run(), which parses the command
 * line, resolves the configuration and runs one command. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_cmd.h"
#include "cli_config.h"
#include "cli_http.h"
#include "cli_msg.h"
#include "i18n.h"

const struct cli_opt cli_globals[] = {
	{ "url", "URL", 0, "API base URL (env FAXVAULT_URL; default " CLI_DEFAULT_URL ")" },
	{ "token", "TOKEN", 0, "session token or API key (env FAXVAULT_TOKEN)" },
	{ "config", "FILE", 0, "config file (default $XDG_CONFIG_HOME/faxvault/config)" },
	{ "json", NULL, 0, "print the API's JSON instead of tables" },
	{ "lang", "en|fr", 0, "language of messages (default: from LC_ALL, LC_MESSAGES or LANG)" },
	{ "version", NULL, 0, "print the version and exit" },
	{ NULL, NULL, 0, NULL },
};

const char cli_epilogue[] =
	"Configuration, highest precedence first:\n"
	"  --url / --token, then FAXVAULT_URL / FAXVAULT_TOKEN, then the config file\n"
	"  ($XDG_CONFIG_HOME/faxvault/config, else ~/.config/faxvault/config; lines\n"
	"  'url = …' and 'token = …'), which 'faxvault login' writes with mode 0600.\n"
	"  A stored token is only sent to the URL stored with it.\n"
	"\n"
	"Exit codes:\n"
	"  0  success\n"
	"  1  error (local failure; broken audit chain; fax send --wait: a fax not delivered)\n"
	"  2  usage error (bad command line)\n"
	"  3  not authenticated (HTTP 401, or no token)\n"
	"  4  forbidden (HTTP 403)\n"
	"  5  not found (HTTP 404, 410)\n"
	"  6  conflict or invalid input (HTTP 400, 409, 413, 415, 422)\n"
	"  7  server or network error (HTTP 5xx, connection failure, bad answer)\n"
	"  8  rate limited (HTTP 429; the wait is printed)\n";

static int cmd_health(struct cli_ctx *ctx)
{
	struct cli_http_resp resp;
	buf_t err;
	buf_init(&err, 4096);
	struct cli_http_req req = { .base_url = ctx->conf->url, .method = "GET", .path = "/healthz" };
	int rc = cli_http_request(&req, &resp, &err);
	if (rc != 0) {
		rc = cli_fail(ctx, CLI_EXIT_SERVER, "%s", cli_buf_str(&err));
	} else if ((rc = cli_http_exit_code(resp.status)) != CLI_EXIT_OK) {
		cli_fail(ctx, rc, "%s is unhealthy (HTTP %ld)", ctx->conf->url, resp.status);
	} else if (ctx->json) {
		json_t *j = resp.body.len ? json_loadb(resp.body.data, resp.body.len, 0, NULL) : NULL;
		if (!j)
			j = json_pack("{s:s}", "status", "ok");
		cli_out_json(ctx->out, j);
		json_decref(j);
	} else {
		fprintf(ctx->out, "%s: ok\n", ctx->conf->url);
	}
	cli_http_resp_free(&resp);
	buf_free(&err);
	return rc;
}

static const struct cli_cmd root_subs[] = {
	{ "login", "Log in and store a session token in the config file", NULL,
		"Asks for the e-mail address (unless --email) and the password (on the terminal "
		"without echo, or the first line of standard input with --password-stdin). A "
		"person with a second factor gives --totp CODE or --recovery-code CODE, or is "
		"asked for the code on the terminal. The session token is written to the config "
		"file with mode 0600, next to the URL.",
		cmd_login_opts, 0, 0, cmd_login, NULL },
	{ "logout", "End the session and forget the stored token", NULL, NULL, NULL, 0, 0,
		cmd_logout, NULL },
	{ "whoami", "Show who the token belongs to and its permissions", NULL, NULL, NULL, 0, 0,
		cmd_whoami, NULL },
	{ "sessions", "List or revoke your sessions", NULL, NULL, NULL, 0, 0, NULL, cmd_sessions_subs },
	{ "invitations", "Accept an invitation", NULL, NULL, NULL, 0, 0, NULL, cmd_invitations_subs },
	{ "permissions", "List permissions and built-in roles", NULL, NULL, NULL, 0, 0, NULL,
		cmd_permissions_subs },
	{ "accounts", "Manage accounts (tenants)", NULL, NULL, NULL, 0, 0, NULL, cmd_accounts_subs },
	{ "users", "Manage the members of an account", NULL, NULL, NULL, 0, 0, NULL, cmd_users_subs },
	{ "roles", "Manage an account's named custom roles", NULL, NULL, NULL, 0, 0, NULL,
		cmd_roles_subs },
	{ "api-keys", "Manage the API keys of an account", NULL, NULL, NULL, 0, 0, NULL,
		cmd_apikeys_subs },
	{ "audit", "Read the audit log and verify its hash chain", NULL, NULL, NULL, 0, 0, NULL,
		cmd_audit_subs },
	{ "staff", "Manage provider staff", NULL, NULL, NULL, 0, 0, NULL, cmd_staff_subs },
	{ "partners", "Manage partner organizations and their staff", NULL, NULL, NULL, 0, 0, NULL,
		cmd_partners_subs },
	{ "security", "Show or change an account's security settings", NULL, NULL, NULL, 0, 0,
		NULL, cmd_security_subs },
	{ "idp", "Manage an account's identity providers (single sign-on)", NULL, NULL, NULL, 0, 0,
		NULL, cmd_idp_subs },
	{ "scim-token", "Manage the bearer tokens of an account's SCIM endpoint", NULL, NULL, NULL,
		0, 0, NULL, cmd_scim_token_subs },
	{ "sso-domain", "Manage the e-mail domains that route people to an account's providers",
		NULL, NULL, NULL, 0, 0, NULL, cmd_sso_domain_subs },
	{ "posture", "Check an account against the customer's security responsibilities", NULL,
		"One line per responsibility (C01-C18) the service can observe: pass, FAIL or "
		"not applicable, with the reason, in the language of the locale. Exits 0 even "
		"when checks fail, unless --strict (then 1).",
		cmd_posture_opts, 0, 0, cmd_posture, NULL },
	{ "mfa", "Manage your second factor (TOTP)", NULL, NULL, NULL, 0, 0, NULL, cmd_mfa_subs },
	{ "password", "Change or reset a password", NULL, NULL, NULL, 0, 0, NULL, cmd_password_subs },
	{ "terms", "Read, accept and publish the terms of service", NULL, NULL, NULL, 0, 0, NULL,
		cmd_terms_subs },
	{ "status", "Read the status board; open and update incidents (provider operators)", NULL,
		NULL, NULL, 0, 0, NULL, cmd_status_subs },
	{ "contacts", "Confirm an account's owner and billing contacts", NULL, NULL, NULL, 0, 0,
		NULL, cmd_contacts_subs },
	{ "fax", "Send faxes, follow them, fetch their documents", NULL, NULL, NULL, 0, 0, NULL,
		cmd_fax_subs },
	{ "numbers", "Request, route and release fax numbers; the provider's inventory", NULL, NULL,
		NULL, 0, 0, NULL, cmd_numbers_subs },
	{ "trunks", "Manage the provider's SIP trunks", NULL, NULL, NULL, 0, 0, NULL,
		cmd_trunks_subs },
	{ "queue", "See the job queue and retry failed jobs (provider operators)", NULL, NULL, NULL,
		0, 0, NULL, cmd_queue_subs },
	{ "cdrs", "List or export an account's call detail records", NULL,
		"One record per call attempt, both directions. --csv asks the server for CSV "
		"(Accept: text/csv) and writes it as received.",
		cmd_cdrs_opts, 0, 0, cmd_cdrs, NULL },
	{ "billing", "An account's balance, plan and ledger; top-ups and credits", NULL, NULL, NULL,
		0, 0, NULL, cmd_billing_subs },
	{ "invoices", "An account's postpaid invoices, as data or PDF; overdue invoices", NULL,
		NULL, NULL, 0, 0, NULL, cmd_invoices_subs },
	{ "webhooks", "Subscribe URLs to an account's fax events", NULL, NULL, NULL, 0, 0, NULL,
		cmd_webhooks_subs },
	{ "safebox", "Exchange files and messages with people outside the account", NULL, NULL,
		NULL, 0, 0, NULL, cmd_safebox_subs },
	{ "health", "Check that the server answers (GET /healthz)", NULL, NULL, NULL, 0, 0,
		cmd_health, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};

const struct cli_cmd cli_root = {
	"faxvault", "Command-line client of the faxvault API.", NULL, NULL, NULL, 0, 0, NULL, root_subs,
};

void cli_lang_from_locale(const char *locale, char *out, size_t outlen)
{
	size_t n = 0;
	if (outlen == 0)
		return;
	/* Only a plain two- or three-letter language code is passed on. */
	while (locale && n + 1 < outlen && locale[n] >= 'a' && locale[n] <= 'z')
		n++;
	if (n < 2 || n > 3 || (locale[n] != '\0' && locale[n] != '_' && locale[n] != '.' &&
	    locale[n] != '@')) {
		out[0] = '\0';
		return;
	}
	memcpy(out, locale, n);
	out[n] = '\0';
}

/* An error found before a command runs: with --json one JSON object
 * {type, detail, exit_code} (as cli_fail writes them), else "error: …",
 * in the language of messages. 1 when it was JSON (nothing else should be
 * printed). */
__attribute__((format(printf, 4, 5)))
static int early_error(FILE *err, const struct cli_args *args, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!cli_args_has(args, "json")) {
		cli_msg_vprint(err, I18N("error: %s"), fmt, ap);
		va_end(ap);
		return 0;
	}
	buf_t msg;
	buf_init(&msg, 1 << 16);
	buf_vprintf(&msg, cli_tr(fmt), ap);
	va_end(ap);
	json_t *o = json_pack("{s:s, s:s, s:i}", "type", code == CLI_EXIT_USAGE
		? "urn:faxvault:cli:usage" : "urn:faxvault:cli:error", "detail", cli_buf_str(&msg),
		"exit_code", code);
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (line)
		fprintf(err, "%s\n", line);
	free(line);
	json_decref(o);
	buf_free(&msg);
	return 1;
}

/* The value of --lang in argv, looked for before the command line is
 * parsed so that a parse error is already in that language; NULL. */
static const char *lang_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--lang=", 7) == 0)
			return argv[i] + 7;
	}
	return NULL;
}

int cli_run(int argc, char **argv, const struct cli_env *env, FILE *out, FILE *err)
{
	struct cli_args args;
	struct cli_conf conf;
	buf_t msg;
	int rc;
	memset(&conf, 0, sizeof conf);
	buf_init(&msg, 1 << 20);

	/* The language: --lang, else the locale's. */
	char lang[8];
	const char *asked = lang_arg(argc, argv);
	int asked_ok = asked && (strcmp(asked, "en") == 0 || strcmp(asked, "fr") == 0);
	if (asked_ok)
		snprintf(lang, sizeof lang, "%s", asked);
	else
		cli_lang_from_locale(env->lang, lang, sizeof lang);
	cli_msg_set_lang(lang);

	rc = cli_args_parse(&cli_root, cli_globals, argc, argv, &args, &msg);
	if (cli_args_has(&args, "version")) {
		fprintf(out, "faxvault %s\n", FV_VERSION);
		rc = CLI_EXIT_OK;
		goto done;
	}
	if (rc != 0) {
		if (early_error(err, &args, CLI_EXIT_USAGE, "%s", cli_buf_str(&msg))) {
			rc = CLI_EXIT_USAGE;
			goto done;
		}
		buf_reset(&msg);
		if (cli_args_cmd(&args)->subs && args.npos == 0) {
			/* A group without its command: show what it offers. */
			cli_args_help(&args, cli_globals, NULL, &msg);
			cli_out_write(err, &msg);
		} else {
			cli_args_cmd_name(&args, &msg);
			fprintf(err, cli_tr("Run '%s --help' for usage.\n"), cli_buf_str(&msg));
		}
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	if (asked && !asked_ok) {
		early_error(err, &args, CLI_EXIT_USAGE, "--lang wants en or fr");
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	/* Everything we send is JSON or a URL: refuse bytes that are not text
	 * here, with a clear message, instead of a field silently dropped. */
	for (size_t i = 0; rc == 0 && i < args.nopts; i++) {
		if (args.opts[i].value && !cli_out_text_ok(args.opts[i].value)) {
			early_error(err, &args, CLI_EXIT_USAGE, "the value of --%s is not valid UTF-8 text",
				args.opts[i].opt->name);
			rc = CLI_EXIT_USAGE;
			goto done;
		}
	}
	for (size_t i = 0; i < args.npos; i++) {
		if (!cli_out_text_ok(args.pos[i])) {
			early_error(err, &args, CLI_EXIT_USAGE, "argument %zu is not valid UTF-8 text", i + 1);
			rc = CLI_EXIT_USAGE;
			goto done;
		}
	}
	if (args.help) {
		cli_args_help(&args, cli_globals, cli_epilogue, &msg);
		cli_out_write(out, &msg);
		rc = CLI_EXIT_OK;
		goto done;
	}
	if (cli_config_resolve(cli_args_get(&args, "url"), cli_args_get(&args, "token"),
		    cli_args_get(&args, "config"), env, &conf, &msg) != 0) {
		early_error(err, &args, CLI_EXIT_ERROR, "%s", cli_buf_str(&msg));
		rc = CLI_EXIT_ERROR;
		goto done;
	}
	struct cli_ctx ctx = {
		.out = out, .err = err, .args = &args, .conf = &conf,
		.json = cli_args_has(&args, "json"),
	};
	/* The server answers in the same language. */
	snprintf(ctx.lang, sizeof ctx.lang, "%s", lang);
	if (conf.file_loose)
		cli_warn(&ctx, "%s is accessible by other users; run 'chmod 600 %s'", conf.path, conf.path);
	rc = cli_args_cmd(&args)->run(&ctx);
	if (fflush(out) != 0 && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_ERROR;
done:
	cli_conf_free(&conf);
	cli_args_free(&args);
	buf_free(&msg);
	return rc;
}
