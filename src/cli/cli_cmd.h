/* Helpers shared by the command files (cmd_*.c) and the command tables
 * they export. A command is a function of the context: it reads its
 * arguments from ctx->args, talks to the API through cli_api() and writes
 * a table, a key/value block or JSON. Every helper returns an exit code
 * (enum cli_exit) and has already printed the error when it is not 0. */
#ifndef FV_CLI_CMD_H
#define FV_CLI_CMD_H

#include <stdint.h>

#include <jansson.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_http.h"
#include "cli_out.h"

/* Options every list command takes. */
#define CLI_LIST_OPTS \
	{ "limit", "N", 0, "at most N items per page (1-1000)" }, \
	{ "cursor", "CURSOR", 0, "start at this cursor (from a previous page)" }, \
	{ "all", NULL, 0, "follow cursors and print every item" }

/* Option of the commands that create something: a key that makes a retried
 * request harmless (the server answers the first result again). */
#define CLI_IDEMPOTENCY_OPT \
	{ "idempotency-key", "KEY", 0, "send Idempotency-Key: KEY (safe retries)" }

#define CLI_NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* Values of the auth argument of cli_api(): no token sent, the token
 * required (missing token: exit code 3 without a request), or the token
 * sent when there is one (public calls that say more to a known caller). */
enum { CLI_AUTH_NONE = 0, CLI_AUTH_REQUIRED = 1, CLI_AUTH_OPTIONAL = 2 };

/* Calls the API. body (borrowed, may be NULL) is sent as JSON. auth is a
 * CLI_AUTH_* value (1 means required). On 2xx returns 0 and sets *out to
 * the parsed answer (owned by the caller; NULL when the answer has no
 * body). Otherwise prints the problem to ctx->err, with a hint naming the
 * command to run for the steps the server insists on (terms, second
 * factor, expired password) and the wait of a 429, and returns its exit
 * code. */
int cli_api(struct cli_ctx *ctx, const char *method, const char *path, const json_t *body,
	int auth, json_t **out);
/* The same with a time limit for the whole request (seconds; 0: default),
 * for operations the server may take long over. */
int cli_api_timed(struct cli_ctx *ctx, const char *method, const char *path, const json_t *body,
	int auth, long timeout_s, json_t **out);

/* One call with everything cli_api() leaves out. Strings borrowed. */
struct cli_call {
	const char *method, *path;
	const json_t *body;     /* sent as JSON; may be NULL */
	int auth;               /* CLI_AUTH_* */
	long timeout_s;         /* 0: the default */
	const char *accept;     /* a media type such as "image/png": the 2xx answer
				   is kept as bytes in raw, not parsed; NULL: JSON */
	const char *quiet_type; /* a problem type the caller handles itself: such an
				   answer is not printed and sets quiet; NULL: none */
	const struct cli_http_part *parts; /* a multipart/form-data body (instead
					      of body) when nparts > 0 */
	size_t nparts;
};

/* What a call brought back. Release with cli_result_free(). */
struct cli_result {
	json_t *json;    /* parsed 2xx answer (owned), NULL without a body */
	buf_t raw;       /* the 2xx answer's bytes when call->accept was given */
	long status;     /* HTTP status, 0 without an answer */
	int quiet;       /* the answer was the problem call->quiet_type (not printed) */
	json_t *problem; /* that problem document (owned), when quiet */
};

/* Makes call; res is initialised in every case. Returns like cli_api(),
 * except that a quiet problem returns its exit code without printing. */
int cli_api_call(struct cli_ctx *ctx, const struct cli_call *call, struct cli_result *res);
void cli_result_free(struct cli_result *res);

/* GET path (which may already carry a query) with --limit/--cursor/--all
 * and prints the items as a table, or the JSON answer with --json (with
 * --all: one {"items": [...], "next_cursor": null} of every page). */
int cli_list(struct cli_ctx *ctx, const char *path, const struct cli_col *cols, size_t ncols);
/* The same, calling decorate (may be NULL) on each item before the table
 * is made, so that columns can show values computed from several fields
 * (e.g. an amount with its currency). --json prints the answer as it is. */
int cli_list_with(struct cli_ctx *ctx, const char *path, const struct cli_col *cols, size_t ncols,
	void (*decorate)(json_t *item));

/* Sends method path body and prints the answer as a key/value block (or
 * JSON). An answer without body prints done_msg (may be NULL). */
int cli_show(struct cli_ctx *ctx, const char *method, const char *path, const json_t *body,
	const struct cli_col *fields, size_t nfields, const char *done_msg);

/* Prints "error: <message>" and the hint to run --help; returns 2. */
int cli_usage(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "error: <message>" and returns code. */
int cli_fail(struct cli_ctx *ctx, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Positional argument i (borrowed) and option value (borrowed, NULL). */
const char *cli_pos(const struct cli_ctx *ctx, size_t i);
const char *cli_opt(const struct cli_ctx *ctx, const char *name);

/* The values of a repeatable option, each also split at commas, as a new
 * JSON array of strings (owned by the caller). Empty parts are skipped. */
json_t *cli_opt_list(const struct cli_ctx *ctx, const char *name);

/* Sets key to the value of option opt in obj when the option was given. */
void cli_set_opt(json_t *obj, const char *key, const struct cli_ctx *ctx, const char *opt);

/* Checks that option opt, when given, is an RFC 3339 time. 0 or exit 2. */
int cli_check_time(struct cli_ctx *ctx, const char *opt);

/* Reads a secret: the first line of stdin when from_stdin, else from the
 * terminal without echo (asked twice when confirm). *out is owned by the
 * caller, to be wiped with cli_secret_free(). Returns 0 or an exit code. */
int cli_read_secret(struct cli_ctx *ctx, const char *prompt, int from_stdin, int confirm,
	char **out);
/* Wipes and frees a secret. NULL is a no-op. */
void cli_secret_free(char *s);
/* Reads one line from the terminal (with echo) after prompt; owned. */
int cli_read_line(struct cli_ctx *ctx, const char *prompt, char **out);

/* An option that holds a whole number from min to max: 0 and *out set
 * (untouched when the option is absent, *given 0), or exit 2. */
int cli_opt_int(struct cli_ctx *ctx, const char *opt, int64_t min, int64_t max, int64_t *out,
	int *given);

/* Reads a whole file, or standard input for "-", into *out (owned), at
 * most max bytes. 0, or an exit code with the error printed. */
int cli_read_file(struct cli_ctx *ctx, const char *path, size_t max, buf_t *out);

/* Writes text that may span lines (terms, notes) to f: each line
 * sanitized, line ends kept. */
void cli_out_text(FILE *f, const char *text);

/* A second-factor code typed by a person, into out without spaces (apps
 * show "123 456"): 1 when it is a TOTP code (6 to 8 digits), 0 when it is
 * something else (a recovery code), -1 when empty or longer than outlen. */
int cli_code_split(const char *code, char *out, size_t outlen);

/* Prints an invitation (token shown once) for who. */
void cli_print_invitation(struct cli_ctx *ctx, const char *role, const char *email,
	const json_t *inv);

/* Top-level leaves (cmd_auth.c) and the command groups (NULL-terminated
 * arrays), one file per resource group. */
int cmd_login(struct cli_ctx *ctx);
int cmd_logout(struct cli_ctx *ctx);
int cmd_whoami(struct cli_ctx *ctx);
extern const struct cli_opt cmd_login_opts[];
extern const struct cli_cmd cmd_sessions_subs[], cmd_invitations_subs[];
extern const struct cli_cmd cmd_permissions_subs[];
extern const struct cli_cmd cmd_accounts_subs[];
extern const struct cli_cmd cmd_users_subs[];
extern const struct cli_cmd cmd_apikeys_subs[];
extern const struct cli_cmd cmd_audit_subs[];
extern const struct cli_cmd cmd_staff_subs[], cmd_partners_subs[];
extern const struct cli_cmd cmd_security_subs[];
extern const struct cli_cmd cmd_mfa_subs[];
extern const struct cli_cmd cmd_terms_subs[];
extern const struct cli_cmd cmd_status_subs[];
extern const struct cli_cmd cmd_password_subs[];
extern const struct cli_cmd cmd_contacts_subs[];
extern const struct cli_opt cmd_posture_opts[];
int cmd_posture(struct cli_ctx *ctx);
extern const struct cli_cmd cmd_fax_subs[], cmd_numbers_subs[], cmd_trunks_subs[];
/* The job queue (cmd_queue.c). */
extern const struct cli_cmd cmd_queue_subs[];
extern const struct cli_cmd cmd_webhooks_subs[];
extern const struct cli_cmd cmd_idp_subs[];
extern const struct cli_cmd cmd_scim_token_subs[];
extern const struct cli_cmd cmd_sso_domain_subs[];
extern const struct cli_cmd cmd_roles_subs[];
extern const struct cli_cmd cmd_safebox_subs[];
extern const struct cli_cmd cmd_billing_subs[];
extern const struct cli_cmd cmd_invoices_subs[];
extern const struct cli_opt cmd_cdrs_opts[];
int cmd_cdrs(struct cli_ctx *ctx);

/* The fax service (cmd_fax.c, cmd_numbers.c, cmd_cdrs.c). */

/* 1 when a fax in status will not change any more (delivered, partial,
 * failed, cancelled), 0 otherwise (also for NULL). */
int cli_fax_final(const char *status);
/* The exit code of `fax send --wait` once the faxes (a JSON array) are
 * final: 0 when every one was delivered, CLI_EXIT_ERROR otherwise. */
int cli_fax_wait_code(const json_t *faxes);
/* The media type of a file to fax from its extension (pdf, tif, tiff, png,
 * jpg, jpeg, txt, any case), or NULL when unknown. Static string. */
const char *cli_fax_media_type(const char *path);
/* Appends an amount in minor units as text: "1.25 EUR", "300 JPY",
 * "0.125 KWD"; the number alone without currency (NULL or ""). */
void cli_money(json_int_t minor, const char *currency, buf_t *out);
/* Appends a duration in milliseconds, rounded to the second: "45s",
 * "2m05s", "1h02m". */
void cli_duration(json_int_t ms, buf_t *out);
/* Adds the display fields the tables show to a fax (and its attempts):
 * "_pages" (confirmed/total), "_est_cost", "_cost", "_failure"
 * (class: reason), "_page_runs" ("1-2 confirmed, 3 failed"); to an attempt
 * or CDR: "_duration", "_pages" (confirmed/sent), "_t30", "_cost". */
void cli_fax_decorate(json_t *fax);
void cli_cdr_decorate(json_t *cdr);
/* Appends the details of a fax (`fax status`): a key/value block, then
 * the attempts as a table. fax is not changed. */
void cli_fax_format(const json_t *fax, buf_t *out);
/* 1 when s is an E.164 number as the service takes them: '+', a digit 1-9,
 * then digits, 8 to 15 digits in all. */
int cli_e164_ok(const char *s);
/* Appends the numbers of text[0..n) (one per line, or separated by
 * blanks, commas or semicolons; '#' starts a comment) to arr as strings.
 * 0, or -1 with *errline (1-based) naming the first line holding something
 * that is not an E.164 number (arr unchanged). */
int cli_numbers_parse(const char *text, size_t n, json_t *arr, unsigned *errline);
/* The account a command acts on: --account, else the logged-in person's
 * (GET /v1/me). *out owned by the caller. 0 or an exit code. */
int cli_account(struct cli_ctx *ctx, char **out);
/* Writes data[0..n) to path with mode 0600, or to ctx->out for "-". An
 * existing file is replaced only when force (a symbolic link never is). 0
 * or an exit code, with no partial file left behind. */
int cli_save_file(struct cli_ctx *ctx, const char *path, const void *data, size_t n, int force);
/* Makes call (whose accept is set) and saves the answer's bytes to out
 * ("-": standard output; an existing file replaced only with --force,
 * checked before the request), after checking that they start with magic
 * (magic_len bytes; NULL: any) or failing with exit 7 naming what. Says
 * what was written (JSON {file, bytes} with --json). 0 or an exit code. */
int cli_fetch_file(struct cli_ctx *ctx, const struct cli_call *call, const char *magic,
	size_t magic_len, const char *what, const char *out);
/* 0 when path is a regular file this process can open, else exit 1 with a
 * message (before an upload). */
int cli_file_readable(struct cli_ctx *ctx, const char *path);
/* Checks before a download that cli_save_file() may write path: 0, or exit
 * 1 with a message when the file exists and force is 0. */
int cli_save_ok(struct cli_ctx *ctx, const char *path, int force);

/* The root of the tree, its global options and --help epilogue. */
extern const struct cli_cmd cli_root;
extern const struct cli_opt cli_globals[];
extern const char cli_epilogue[];

#endif
