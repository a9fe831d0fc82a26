/* The logged-in person's second factor (TOTP): `faxvault mfa enrol`,
 * `confirm`, `qr`, `status`, `disable`. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "cli_http.h"
#include "xalloc.h"

#define MFA_PATH "/v1/me/mfa/totp"
#define QR_PATH "/v1/me/mfa/totp/qr.png"
/* Codes asked for on the terminal before giving up. */
#define CODE_TRIES 3

static const char png_magic[8] = { '\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n' };

int cli_code_split(const char *code, char *out, size_t outlen)
{
	size_t n = 0, digits = 0, other = 0;
	for (const char *p = code; *p; p++) {
		if (*p == ' ' || *p == '\t')
			continue; /* apps show "123 456" */
		if (n + 1 >= outlen)
			return -1;
		if (*p >= '0' && *p <= '9')
			digits++;
		else
			other++;
		out[n++] = *p;
	}
	out[n] = '\0';
	if (n == 0)
		return -1;
	return other == 0 && digits >= 6 && digits <= 8 ? 1 : 0;
}

/* Writes data[0..n) to path with mode 0600, replacing a regular file (not
 * following a symbolic link). 0 or an exit code. */
static int write_private(struct cli_ctx *ctx, const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cli_fail(ctx, CLI_EXIT_ERROR, "cannot write %s: %s", path, strerror(errno));
	const char *p = data;
	size_t done = 0;
	int rc = 0;
	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = cli_fail(ctx, CLI_EXIT_ERROR, "cannot write %s: %s", path, strerror(errno));
			break;
		}
		done += (size_t)w;
	}
	if (fchmod(fd, 0600) != 0 && rc == 0) /* an existing file keeps its mode otherwise */
		rc = cli_fail(ctx, CLI_EXIT_ERROR, "cannot restrict %s: %s", path, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = cli_fail(ctx, CLI_EXIT_ERROR, "cannot write %s: %s", path, strerror(errno));
	return rc;
}

/* Fetches the QR code of the enrolment in progress into file. */
static int fetch_qr(struct cli_ctx *ctx, const char *file)
{
	struct cli_call call = { .method = "GET", .path = QR_PATH, .auth = CLI_AUTH_REQUIRED,
		.accept = "image/png" };
	struct cli_result res;
	int rc = cli_api_call(ctx, &call, &res);
	if (rc == CLI_EXIT_OK && (res.raw.len < sizeof png_magic ||
	    memcmp(res.raw.data, png_magic, sizeof png_magic) != 0))
		rc = cli_fail(ctx, CLI_EXIT_SERVER, "the server's QR code is not a PNG image");
	if (rc == CLI_EXIT_OK)
		rc = write_private(ctx, file, res.raw.data, res.raw.len);
	cli_result_free(&res);
	return rc;
}

/* Prints the answer of POST /v1/me/mfa/totp/confirm. */
static void print_recovery(struct cli_ctx *ctx, const json_t *res)
{
	cli_say(ctx, "Second factor enrolled: logins now need a code from your app.\n"
		"Recovery codes, shown only now (each works once, in place of a code; "
		"store them safely):\n");
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(res, "recovery_codes"), i, c) {
		buf_t b;
		buf_init(&b, 4096);
		cli_out_sanitize(json_is_string(c) ? json_string_value(c) : "?", &b);
		fprintf(ctx->out, "    %s\n", cli_buf_str(&b));
		buf_free(&b);
	}
	const char *note = json_string_value(json_object_get(res, "note"));
	if (note) {
		fputc('\n', ctx->out);
		cli_out_text(ctx->out, note);
	}
}

/* POST confirm with code. On success *out is the answer. With tty set, a
 * wrong code is reported without the problem block (the caller asks
 * again): returns CLI_EXIT_INVALID and *wrong = 1. */
static int confirm_code(struct cli_ctx *ctx, const char *code, int quiet_wrong, int *wrong,
	json_t **out)
{
	char norm[128];
	*wrong = 0;
	if (cli_code_split(code, norm, sizeof norm) != 1)
		return cli_usage(ctx, "the code is the 6 digits your authenticator app shows");
	json_t *body = json_pack("{s:s}", "code", norm);
	struct cli_call call = { .method = "POST", .path = MFA_PATH "/confirm", .body = body,
		.auth = CLI_AUTH_REQUIRED,
		.quiet_type = quiet_wrong ? "urn:faxvault:problem:invalid-mfa-code" : NULL };
	struct cli_result res;
	int rc = cli_api_call(ctx, &call, &res);
	json_decref(body);
	if (res.quiet) {
		*wrong = 1;
		cli_note(ctx, "That code is wrong or was used already; wait for the next one.");
	}
	*out = res.json;
	res.json = NULL;
	cli_result_free(&res);
	return rc;
}

static int confirm_and_print(struct cli_ctx *ctx, const char *code, json_t *begin)
{
	json_t *res = NULL;
	int wrong = 0, rc;
	if (code) {
		rc = confirm_code(ctx, code, 0, &wrong, &res);
	} else {
		rc = CLI_EXIT_INVALID;
		for (int t = 0; t < CODE_TRIES; t++) {
			char *line = NULL;
			rc = cli_read_line(ctx, "Code shown by the app: ", &line);
			if (rc != 0)
				break;
			rc = confirm_code(ctx, line, t + 1 < CODE_TRIES, &wrong, &res);
			free(line);
			if (!wrong)
				break;
		}
	}
	if (rc != CLI_EXIT_OK) {
		json_decref(res);
		return rc;
	}
	if (ctx->json) {
		json_t *all = begin ? json_deep_copy(begin) : json_object();
		json_object_update(all, res ? res : json_object());
		cli_out_json(ctx->out, all);
		json_decref(all);
	} else {
		print_recovery(ctx, res);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static const struct cli_opt enrol_opts[] = {
	{ "qr", "FILE.png", 0, "also write the QR code to FILE.png (mode 0600)" },
	{ "no-confirm", NULL, 0, "only begin; confirm later with 'faxvault mfa confirm'" },
	{ NULL, NULL, 0, NULL },
};

static int mfa_enrol(struct cli_ctx *ctx)
{
	json_t *res = NULL;
	int rc = cli_api(ctx, "POST", MFA_PATH, NULL, 1, &res);
	if (rc != CLI_EXIT_OK)
		return rc;
	const char *secret = json_string_value(json_object_get(res, "secret"));
	const char *uri = json_string_value(json_object_get(res, "otpauth_uri"));
	if (!secret || !uri) {
		json_decref(res);
		return cli_fail(ctx, CLI_EXIT_SERVER, "the server's answer has no secret");
	}
	const char *qr = cli_opt(ctx, "qr");
	if (qr && (rc = fetch_qr(ctx, qr)) != 0) {
		json_decref(res);
		return rc;
	}
	int later = cli_args_has(ctx->args, "no-confirm") || !isatty(STDIN_FILENO);
	if (!ctx->json) {
		buf_t s, u;
		buf_init(&s, 4096);
		buf_init(&u, 8192);
		cli_out_sanitize(secret, &s);
		cli_out_sanitize(uri, &u);
		cli_say(ctx, "Enrolment started. Add this key to your authenticator app "
			"(shown only now):\n\n    Secret:  %s\n    URI:     %s\n",
			cli_buf_str(&s), cli_buf_str(&u));
		buf_free(&s);
		buf_free(&u);
		if (qr)
			cli_say(ctx, "QR code written to %s (scan it, then delete the file).", qr);
	} else if (later) {
		cli_out_json(ctx->out, res);
	}
	if (later) {
		if (!ctx->json)
			cli_say(ctx, "Then confirm with the code the app shows: "
				"'faxvault mfa confirm --code CODE'.");
		json_decref(res);
		return CLI_EXIT_OK;
	}
	rc = confirm_and_print(ctx, NULL, res);
	if (rc != CLI_EXIT_OK)
		cli_hint(ctx, "the enrolment stays open: 'faxvault mfa confirm --code CODE' finishes it");
	json_decref(res);
	return rc;
}

static const struct cli_opt code_opts[] = {
	{ "code", "CODE", 0, "the code the app shows (asked on the terminal when missing)" },
	{ NULL, NULL, 0, NULL },
};

static int mfa_confirm(struct cli_ctx *ctx)
{
	return confirm_and_print(ctx, cli_opt(ctx, "code"), NULL);
}

static const struct cli_opt qr_opts[] = {
	{ "output", "FILE.png", CLI_OPT_REQUIRED, "where to write the PNG (mode 0600)" },
	{ NULL, NULL, 0, NULL },
};

static int mfa_qr(struct cli_ctx *ctx)
{
	int rc = fetch_qr(ctx, cli_opt(ctx, "output"));
	if (rc == 0 && !ctx->json)
		cli_say(ctx, "QR code written to %s.", cli_opt(ctx, "output"));
	return rc;
}

static int mfa_status(struct cli_ctx *ctx)
{
	json_t *me = NULL;
	int rc = cli_api(ctx, "GET", "/v1/me", NULL, 1, &me);
	if (rc != CLI_EXIT_OK)
		return rc;
	const json_t *totp = json_object_get(json_object_get(me, "mfa"), "totp");
	if (ctx->json) {
		json_t *o = json_pack("{s:O}", "totp", totp ? totp : json_null());
		cli_out_json(ctx->out, o);
		json_decref(o);
	} else if (json_is_true(totp)) {
		cli_say(ctx, "Second factor: enrolled (TOTP).");
	} else {
		cli_say(ctx, "Second factor: none. Enrol with 'faxvault mfa enrol'.");
	}
	json_decref(me);
	return CLI_EXIT_OK;
}

static int mfa_disable(struct cli_ctx *ctx)
{
	char *asked = NULL;
	const char *code = cli_opt(ctx, "code");
	int rc;
	if (!code) {
		if ((rc = cli_read_line(ctx, "Code shown by the app: ", &asked)) != 0)
			return rc;
		code = asked;
	}
	char norm[128];
	if (cli_code_split(code, norm, sizeof norm) != 1) {
		free(asked);
		return cli_usage(ctx, "the code is the 6 digits your authenticator app shows");
	}
	free(asked);
	json_t *body = json_pack("{s:s}", "code", norm);
	rc = cli_show(ctx, "DELETE", MFA_PATH, body, NULL, 0,
		"Second factor removed: logins need only the password now.");
	json_decref(body);
	return rc;
}

const struct cli_cmd cmd_mfa_subs[] = {
	{ "enrol", "Enrol a second factor (TOTP app) and get recovery codes", NULL,
		"Prints the secret and the otpauth:// URI (and writes the QR code with --qr), "
		"then asks for the first code the app shows and prints ten single-use recovery "
		"codes, once. Without a terminal (or with --no-confirm) it only begins: finish "
		"with 'faxvault mfa confirm --code CODE'. Beginning again replaces an enrolment "
		"not yet confirmed.",
		enrol_opts, 0, 0, mfa_enrol, NULL },
	{ "confirm", "Finish an enrolment with the first code; prints the recovery codes", NULL,
		NULL, code_opts, 0, 0, mfa_confirm, NULL },
	{ "qr", "Write the QR code of the enrolment in progress to a PNG file", NULL, NULL,
		qr_opts, 0, 0, mfa_qr, NULL },
	{ "status", "Say whether you have a second factor", NULL, NULL, NULL, 0, 0, mfa_status,
		NULL },
	{ "disable", "Remove your second factor (needs a current code)", NULL,
		"An account whose policy requires a second factor for you will ask you to enrol "
		"again before anything else.",
		code_opts, 0, 0, mfa_disable, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
