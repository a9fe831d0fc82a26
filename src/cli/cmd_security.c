/* An account's security controls: `faxvault security show|set`, the
 * posture checklist `faxvault posture`, and `faxvault contacts confirm`
 * (issue 5, customer security controls). */
#include <stdlib.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "i18n.h"
#include "cli_http.h"
#include "xalloc.h"

#define ACCOUNT_OPT { "account", "ACCOUNT_ID", CLI_OPT_REQUIRED, "the account" }
/* Largest --json-patch document we read. */
#define PATCH_MAX (1024 * 1024)

static const struct cli_opt account_opts[] = { ACCOUNT_OPT, { NULL, NULL, 0, NULL } };

/* The two-column listing of GET /v1/accounts/{id}/security. */
static const struct cli_col security_fields[] = {
	{ "Password minimum length", "password_policy.min_length" },
	{ "Password maximum length", "password_policy.max_length" },
	{ "Check common passwords", "password_policy.check_common" },
	{ "Password history", "password_policy.history" },
	{ "Password maximum age (days)", "password_policy.max_age_days" },
	{ "Lockout threshold (failures)", "password_policy.lockout_threshold" },
	{ "Lockout duration (minutes)", "password_policy.lockout_minutes" },
	{ "Require an upper-case letter", "password_policy.composition.require_upper" },
	{ "Require a lower-case letter", "password_policy.composition.require_lower" },
	{ "Require a digit", "password_policy.composition.require_digit" },
	{ "Require a symbol", "password_policy.composition.require_symbol" },
	{ "Second factor required for", "mfa.required_for" },
	{ "Session idle timeout (minutes)", "session.idle_timeout_minutes" },
	{ "Session maximum lifetime (hours)", "session.max_lifetime_hours" },
	{ "IP allow-list", "ip_allowlist" },
	{ "Rate limit (requests/minute)", "rate_limit.requests_per_minute" },
	{ "Rate limit burst", "rate_limit.burst" },
	{ "Contacts review (months)", "contacts_review_months" },
	{ "Received faxes by mail", "received_fax_mail" },
	{ "Shared inbox faxes as SafeBoxes", "shared_inbox_safebox" },
	{ "Updated", "updated_at" },
};

/* Prints the security document as the listing (or JSON). Values that only
 * mean something in words are put in words first. */
static void print_security(struct cli_ctx *ctx, const json_t *doc, const char *done)
{
	if (ctx->json) {
		cli_out_json(ctx->out, doc);
		return;
	}
	json_t *view = json_deep_copy(doc);
	const json_t *ips = json_object_get(view, "ip_allowlist");
	if (json_is_array(ips) && json_array_size(ips) == 0)
		json_object_set_new(view, "ip_allowlist", json_string("any address (empty list)"));
	json_t *pw = json_object_get(view, "password_policy");
	const json_t *age = json_object_get(pw, "max_age_days");
	if (json_is_integer(age) && json_integer_value(age) == 0)
		json_object_set_new(pw, "max_age_days", json_string("0 (no expiry)"));
	const json_t *hist = json_object_get(pw, "history");
	if (json_is_integer(hist) && json_integer_value(hist) == 0)
		json_object_set_new(pw, "history", json_string("0 (reuse allowed)"));
	if (done)
		cli_say(ctx, "%s", cli_tr(done));
	buf_t t;
	buf_init(&t, (size_t)1 << 24);
	cli_out_kv(security_fields, CLI_NCOLS(security_fields), view, &t);
	cli_out_write(ctx->out, &t);
	buf_free(&t);
	json_decref(view);
}

static int security_show(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s/security", cli_opt(ctx, "account"));
	json_t *res = NULL;
	int rc = cli_api(ctx, "GET", path, NULL, 1, &res);
	free(path);
	if (rc == CLI_EXIT_OK)
		print_security(ctx, res ? res : json_null(), NULL);
	json_decref(res);
	return rc;
}

/* Integer options of `security set`: option, object ("" for the top
 * level), key, and the bounds checked here (the server checks its own). */
static const struct {
	const char *opt, *obj, *key;
	int64_t min, max;
} int_settings[] = {
	{ "min-length", "password_policy", "min_length", 1, 4096 },
	{ "max-length", "password_policy", "max_length", 1, 4096 },
	{ "history", "password_policy", "history", 0, 1000 },
	{ "max-age-days", "password_policy", "max_age_days", 0, 100000 },
	{ "lockout-threshold", "password_policy", "lockout_threshold", 1, 1000000 },
	{ "lockout-minutes", "password_policy", "lockout_minutes", 1, 1000000 },
	{ "idle-timeout", "session", "idle_timeout_minutes", 1, 1000000 },
	{ "max-lifetime", "session", "max_lifetime_hours", 1, 1000000 },
	{ "rate-limit", "rate_limit", "requests_per_minute", 1, 1000000000 },
	{ "burst", "rate_limit", "burst", 1, 1000000000 },
	{ "contacts-review-months", "", "contacts_review_months", 1, 1200 },
};

/* Flag pairs --X / --no-X: option, object path, key. */
static const struct {
	const char *opt, *no_opt, *obj, *sub, *key;
} bool_settings[] = {
	{ "check-common", "no-check-common", "password_policy", NULL, "check_common" },
	{ "require-upper", "no-require-upper", "password_policy", "composition", "require_upper" },
	{ "require-lower", "no-require-lower", "password_policy", "composition", "require_lower" },
	{ "require-digit", "no-require-digit", "password_policy", "composition", "require_digit" },
	{ "require-symbol", "no-require-symbol", "password_policy", "composition", "require_symbol" },
	{ "shared-inbox-safebox", "no-shared-inbox-safebox", "", NULL, "shared_inbox_safebox" },
};

/* The object at obj (created when missing) inside body; "" is body. */
static json_t *sub_object(json_t *body, const char *obj)
{
	if (!obj[0])
		return body;
	json_t *o = json_object_get(body, obj);
	if (!o) {
		o = json_object();
		json_object_set_new(body, obj, o);
	}
	return o;
}

/* Builds the PATCH body from the options into body. 0 or exit 2. */
static int patch_from_options(struct cli_ctx *ctx, json_t *body)
{
	for (size_t i = 0; i < sizeof int_settings / sizeof int_settings[0]; i++) {
		int64_t v;
		int given;
		int rc = cli_opt_int(ctx, int_settings[i].opt, int_settings[i].min, int_settings[i].max,
			&v, &given);
		if (rc != 0)
			return rc;
		if (given)
			json_object_set_new(sub_object(body, int_settings[i].obj), int_settings[i].key,
				json_integer((json_int_t)v));
	}
	for (size_t i = 0; i < sizeof bool_settings / sizeof bool_settings[0]; i++) {
		int yes = cli_args_has(ctx->args, bool_settings[i].opt);
		int no = cli_args_has(ctx->args, bool_settings[i].no_opt);
		if (yes && no)
			return cli_usage(ctx, "--%s and --%s contradict each other", bool_settings[i].opt,
				bool_settings[i].no_opt);
		if (!yes && !no)
			continue;
		json_t *o = sub_object(body, bool_settings[i].obj);
		if (bool_settings[i].sub)
			o = sub_object(o, bool_settings[i].sub);
		json_object_set_new(o, bool_settings[i].key, json_boolean(yes));
	}
	const char *mfa = cli_opt(ctx, "mfa");
	if (mfa) {
		if (strcmp(mfa, "none") != 0 && strcmp(mfa, "admins") != 0 && strcmp(mfa, "all") != 0)
			return cli_usage(ctx, "--mfa wants none, admins or all");
		json_object_set_new(sub_object(body, "mfa"), "required_for", json_string(mfa));
	}
	json_t *allow = cli_opt_list(ctx, "allow");
	int clear = cli_args_has(ctx->args, "clear-allowlist");
	if (clear && json_array_size(allow) > 0) {
		json_decref(allow);
		return cli_usage(ctx, "--clear-allowlist and --allow contradict each other");
	}
	if (clear || json_array_size(allow) > 0)
		json_object_set_new(body, "ip_allowlist", allow);
	else
		json_decref(allow);
	return 0;
}

/* Reads the --json-patch document into *out (new reference). 0 or an
 * exit code. */
static int patch_from_file(struct cli_ctx *ctx, const char *file, json_t **out)
{
	buf_t text;
	int rc = cli_read_file(ctx, file, PATCH_MAX, &text);
	if (rc != 0)
		return rc;
	json_error_t je;
	size_t len = text.len;
	json_t *doc = len ? json_loadb(text.data, len, JSON_REJECT_DUPLICATES, &je) : NULL;
	buf_free(&text);
	if (!doc)
		return len ? cli_usage(ctx, "--json-patch %s is not JSON: %s", file, je.text)
			: cli_usage(ctx, "--json-patch %s is not JSON (it is empty)", file);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return cli_usage(ctx, "--json-patch %s must hold a JSON object", file);
	}
	/* A document saved with 'security show --json' goes back as it is:
	 * updated_at is the server's to set. */
	json_object_del(doc, "updated_at");
	*out = doc;
	return 0;
}

static int security_set(struct cli_ctx *ctx)
{
	json_t *body = json_object();
	int rc = patch_from_options(ctx, body);
	const char *file = cli_opt(ctx, "json-patch");
	if (rc == 0 && file) {
		if (json_object_size(body) > 0) {
			rc = cli_usage(ctx, "--json-patch goes alone: put every change in the document");
		} else {
			json_decref(body);
			body = NULL;
			rc = patch_from_file(ctx, file, &body);
		}
	}
	if (rc == 0 && json_object_size(body) == 0)
		rc = cli_usage(ctx, "nothing to change: give a setting (see --help) or --json-patch FILE");
	if (rc == 0) {
		char *path = cli_http_path("/v1/accounts/%s/security", cli_opt(ctx, "account"));
		json_t *res = NULL;
		rc = cli_api(ctx, "PATCH", path, body, 1, &res);
		free(path);
		if (rc == CLI_EXIT_OK)
			print_security(ctx, res ? res : json_null(), I18N("Security settings updated."));
		json_decref(res);
	}
	json_decref(body);
	return rc;
}

static const struct cli_opt set_opts[] = {
	ACCOUNT_OPT,
	{ "min-length", "N", 0, "shortest password allowed" },
	{ "max-length", "N", 0, "longest password allowed (at least 64)" },
	{ "check-common", NULL, 0, "refuse common and breached passwords (default)" },
	{ "no-check-common", NULL, 0, "do not check new passwords against the list" },
	{ "history", "N", 0, "the last N passwords may not be reused (0: no history)" },
	{ "max-age-days", "N", 0, "passwords expire after N days (0: never)" },
	{ "lockout-threshold", "N", 0, "failed logins before a lockout" },
	{ "lockout-minutes", "N", 0, "how long a lockout lasts" },
	{ "require-upper", NULL, 0, "require an upper-case letter (not recommended by NIST)" },
	{ "no-require-upper", NULL, 0, "do not require an upper-case letter" },
	{ "require-lower", NULL, 0, "require a lower-case letter (not recommended by NIST)" },
	{ "no-require-lower", NULL, 0, "do not require a lower-case letter" },
	{ "require-digit", NULL, 0, "require a digit (not recommended by NIST)" },
	{ "no-require-digit", NULL, 0, "do not require a digit" },
	{ "require-symbol", NULL, 0, "require a symbol (not recommended by NIST)" },
	{ "no-require-symbol", NULL, 0, "do not require a symbol" },
	{ "mfa", "none|admins|all", 0, "who must have a second factor" },
	{ "idle-timeout", "MINUTES", 0, "sessions end after this long without use" },
	{ "max-lifetime", "HOURS", 0, "sessions end this long after login" },
	{ "allow", "CIDR[,CIDR...]", CLI_OPT_REPEAT,
		"the IP allow-list becomes exactly these networks (IPv4 or IPv6)" },
	{ "clear-allowlist", NULL, 0, "empty the IP allow-list (any address)" },
	{ "rate-limit", "RPM", 0, "API requests per minute (at most the provider's)" },
	{ "burst", "N", 0, "API requests allowed in a burst" },
	{ "contacts-review-months", "N", 0, "how often the owner confirms the contacts" },
	{ "shared-inbox-safebox", NULL, 0, "with received_fax_mail safebox, deliver faxes of the "
		"shared inbox as SafeBoxes to every member who may read it" },
	{ "no-shared-inbox-safebox", NULL, 0, "faxes of the shared inbox stay in the inbox only "
		"(default)" },
	{ "json-patch", "FILE|-", 0, "send this JSON document as the change (alone)" },
	{ NULL, NULL, 0, NULL },
};

const struct cli_cmd cmd_security_subs[] = {
	{ "show", "Show an account's security settings", NULL,
		"Password policy, second factor, sessions, IP allow-list, API rate limit and "
		"contacts review. Needs data.read or security.manage.",
		account_opts, 0, 0, security_show, NULL },
	{ "set", "Change an account's security settings (security.manage)", NULL,
		"Sends only the settings given; the others stay. --allow replaces the whole "
		"allow-list (list every network to keep; --clear-allowlist empties it). The "
		"provider's defaults are the loosest allowed: an account can only tighten them. "
		"--json-patch FILE (or - for standard input) sends any subset of the document "
		"'faxvault security show --json' prints; its updated_at is ignored. Prints the "
		"whole new document.",
		set_opts, 0, 0, security_set, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};

/* ---- posture ---- */

const struct cli_opt cmd_posture_opts[] = {
	ACCOUNT_OPT,
	{ "strict", NULL, 0, "exit 1 when any check fails" },
	{ NULL, NULL, 0, NULL },
};

static const struct cli_col posture_cols[] = {
	{ "ID", "id" }, { "STATUS", "marker" }, { "TITLE", "title" }, { "DETAIL", "detail" },
};

/* The marker shown for a status. */
static const char *posture_marker(const char *status)
{
	if (!status)
		return "?";
	if (strcmp(status, "pass") == 0)
		return "[ok]";
	if (strcmp(status, "fail") == 0)
		return "[FAIL]";
	if (strcmp(status, "not_applicable") == 0)
		return "[n/a]";
	return "?";
}

int cmd_posture(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s/posture", cli_opt(ctx, "account"));
	json_t *res = NULL;
	int rc = cli_api(ctx, "GET", path, NULL, 1, &res);
	free(path);
	if (rc != CLI_EXIT_OK)
		return rc;
	const json_t *items = json_object_get(res, "items");
	if (!json_is_array(items)) {
		json_decref(res);
		return cli_fail(ctx, CLI_EXIT_SERVER, "the server's answer has no \"items\" list");
	}
	size_t npass = 0, nfail = 0, nna = 0, i;
	const json_t *it;
	json_t *rows = json_array();
	json_array_foreach(items, i, it) {
		const char *st = json_string_value(json_object_get(it, "status"));
		npass += st && strcmp(st, "pass") == 0;
		nfail += st && strcmp(st, "fail") == 0;
		nna += st && strcmp(st, "not_applicable") == 0;
		json_t *row = json_is_object(it) ? json_copy((json_t *)it) : json_object();
		json_object_set_new(row, "marker", json_string(posture_marker(st)));
		json_array_append_new(rows, row);
	}
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		buf_t t;
		buf_init(&t, (size_t)1 << 24);
		cli_out_table(posture_cols, CLI_NCOLS(posture_cols), rows, &t);
		cli_out_write(ctx->out, &t);
		buf_free(&t);
		cli_say(ctx, "\n%zu passed, %zu failed, %zu not applicable.", npass, nfail, nna);
	}
	json_decref(rows);
	json_decref(res);
	if (nfail > 0 && cli_args_has(ctx->args, "strict")) {
		return cli_fail(ctx, CLI_EXIT_ERROR, nfail == 1 ? "%zu posture check failed"
			: "%zu posture checks failed", nfail);
	}
	return CLI_EXIT_OK;
}

/* ---- contacts ---- */

static const struct cli_col confirm_fields[] = {
	{ "Confirmed at", "confirmed_at" }, { "Next review due", "next_review_due" },
};

static int contacts_confirm(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/accounts/%s/contacts/confirm", cli_opt(ctx, "account"));
	int rc = cli_show(ctx, "POST", path, NULL, confirm_fields, CLI_NCOLS(confirm_fields),
		"Owner and billing contacts confirmed as current.");
	free(path);
	return rc;
}

const struct cli_cmd cmd_contacts_subs[] = {
	{ "confirm", "Confirm the owner and billing contacts are current (owner only)", NULL,
		"Check the owner and billing contacts first ('faxvault accounts show ID', "
		"'faxvault users list --account ID'). The posture check C01 fails when the last "
		"confirmation is older than the account's contacts review period.",
		account_opts, 0, 0, contacts_confirm, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
