/* Helpers shared by the command files (see cli_cmd.h). */
#include "cli_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "cli_config.h"
#include "cli_http.h"
#include "cli_msg.h"
#include "i18n.h"
#include "numparse.h"
#include "timeutil.h"
#include "xalloc.h"

/* Longest secret or line we read from a terminal or stdin. */
#define CLI_LINE_MAX 1024
/* Pages --all follows before giving up (a server that loops). */
#define CLI_PAGES_MAX 100000

/* With --json, an error is one JSON object on standard error, in the shape
 * of a problem: {type, detail, exit_code} (urn:faxvault:cli:usage for the
 * command line, urn:faxvault:cli:error for the rest). 1 when written. */
static int json_error(struct cli_ctx *ctx, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int json_error(struct cli_ctx *ctx, int code, const char *fmt, va_list ap)
{
	if (!ctx->json)
		return 0;
	buf_t msg;
	buf_init(&msg, 4096);
	buf_vprintf(&msg, cli_tr(fmt), ap);
	json_t *o = json_pack("{s:s, s:s, s:i}", "type", code == CLI_EXIT_USAGE
		? "urn:faxvault:cli:usage" : "urn:faxvault:cli:error", "detail",
		msg.data ? msg.data : "", "exit_code", code);
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (line)
		fprintf(ctx->err, "%s\n", line);
	free(line);
	json_decref(o);
	buf_free(&msg);
	return 1;
}

int cli_fail(struct cli_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!json_error(ctx, code, fmt, ap)) {
		va_end(ap);
		va_start(ap, fmt);
		cli_msg_vprint(ctx->err, I18N("error: %s"), fmt, ap);
	}
	va_end(ap);
	return code;
}

int cli_usage(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (json_error(ctx, CLI_EXIT_USAGE, fmt, ap)) {
		va_end(ap);
		return CLI_EXIT_USAGE;
	}
	va_end(ap);
	va_start(ap, fmt);
	cli_msg_vprint(ctx->err, I18N("error: %s"), fmt, ap);
	va_end(ap);
	buf_t name;
	buf_init(&name, 512);
	cli_args_cmd_name(ctx->args, &name);
	fprintf(ctx->err, cli_tr("Run '%s --help' for usage.\n"), name.data);
	buf_free(&name);
	return CLI_EXIT_USAGE;
}

const char *cli_pos(const struct cli_ctx *ctx, size_t i)
{
	return i < ctx->args->npos ? ctx->args->pos[i] : NULL;
}

const char *cli_opt(const struct cli_ctx *ctx, const char *name)
{
	return cli_args_get(ctx->args, name);
}

json_t *cli_opt_list(const struct cli_ctx *ctx, const char *name)
{
	json_t *arr = json_array();
	size_t n = cli_args_count(ctx->args, name);
	for (size_t i = 0; i < n; i++) {
		const char *v = cli_args_nth(ctx->args, name, i);
		while (v && *v) {
			const char *comma = strchr(v, ',');
			size_t len = comma ? (size_t)(comma - v) : strlen(v);
			if (len)
				json_array_append_new(arr, json_stringn(v, len));
			v = comma ? comma + 1 : NULL;
		}
	}
	return arr;
}

void cli_set_opt(json_t *obj, const char *key, const struct cli_ctx *ctx, const char *opt)
{
	const char *v = cli_opt(ctx, opt);
	if (v)
		json_object_set_new(obj, key, json_string(v));
}

int cli_check_time(struct cli_ctx *ctx, const char *opt)
{
	const char *v = cli_opt(ctx, opt);
	int64_t ms;
	if (v && time_parse_rfc3339(v, &ms) != 0)
		return cli_usage(ctx, "--%s wants an RFC 3339 time such as 2026-01-31T12:00:00Z", opt);
	return 0;
}

/* The message for a call that needs a token and has none. */
static int no_token(struct cli_ctx *ctx)
{
	const struct cli_conf *c = ctx->conf;
	if (c->token_withheld)
		return cli_fail(ctx, CLI_EXIT_UNAUTH,
			"not logged in to %s (the stored session is for %s): "
			"run 'faxvault login --url %s'", c->url,
			c->file_url ? c->file_url : CLI_DEFAULT_URL, c->url);
	return cli_fail(ctx, CLI_EXIT_UNAUTH,
		"not logged in: run 'faxvault login', or set FAXVAULT_TOKEN");
}

int cli_api(struct cli_ctx *ctx, const char *method, const char *path, const json_t *body,
	int auth, json_t **out)
{
	return cli_api_timed(ctx, method, path, body, auth, 0, out);
}

int cli_api_timed(struct cli_ctx *ctx, const char *method, const char *path, const json_t *body,
	int auth, long timeout_s, json_t **out)
{
	struct cli_call call = {
		.method = method, .path = path, .body = body, .auth = auth, .timeout_s = timeout_s,
	};
	struct cli_result res;
	int rc = cli_api_call(ctx, &call, &res);
	*out = res.json;
	res.json = NULL;
	cli_result_free(&res);
	return rc;
}

void cli_result_free(struct cli_result *res)
{
	if (!res)
		return;
	json_decref(res->json);
	json_decref(res->problem);
	buf_free(&res->raw);
	res->json = res->problem = NULL;
}

/* The next step for a problem the server answers until the person acts,
 * as a CLI command, or NULL. */
static const char *gate_hint(const char *type)
{
	static const struct {
		const char *type, *hint;
	} hints[] = {
		{ "urn:faxvault:problem:terms-not-accepted",
			I18N("accept the terms of service first: read them with 'faxvault terms show', "
			"then run 'faxvault terms accept'") },
		{ "urn:faxvault:problem:mfa-enrolment-required",
			I18N("this account requires a second factor: run 'faxvault mfa enrol' first") },
		{ "urn:faxvault:problem:password-expired",
			I18N("your password has expired: run 'faxvault password change' first") },
		{ "urn:faxvault:problem:ip-not-allowed",
			I18N("your address is outside the account's IP allow-list "
			"(see 'faxvault security show'; an admin can change it from an allowed address)") },
		{ "urn:faxvault:problem:mfa-required",
			I18N("this person has a second factor: add --totp CODE (or --recovery-code CODE)") },
	};
	for (size_t i = 0; type && i < sizeof hints / sizeof hints[0]; i++)
		if (strcmp(type, hints[i].type) == 0)
			return hints[i].hint;
	return NULL;
}

int cli_api_call(struct cli_ctx *ctx, const struct cli_call *call, struct cli_result *res)
{
	memset(res, 0, sizeof *res);
	buf_init(&res->raw, CLI_HTTP_BODY_MAX);
	const char *token = call->auth != CLI_AUTH_NONE ? ctx->conf->token : NULL;
	if (call->auth == CLI_AUTH_REQUIRED && !token)
		return no_token(ctx);
	if (token && cli_http_header_ok(token, CLI_HTTP_TOKEN_MAX) != 0)
		return cli_fail(ctx, CLI_EXIT_UNAUTH, "the token is malformed (control characters "
			"or longer than %d bytes)", CLI_HTTP_TOKEN_MAX);
	const char *idem = cli_opt(ctx, "idempotency-key");
	if (idem && cli_http_header_ok(idem, CLI_HTTP_IDEM_MAX) != 0)
		return cli_usage(ctx, "--idempotency-key must be printable and at most 200 bytes");
	char *json = call->body ? json_dumps(call->body, JSON_COMPACT) : NULL;
	struct cli_http_resp resp;
	buf_t err;
	buf_init(&err, 4096);
	if ((token || call->body || call->nparts) && !ctx->warned_insecure && cli_http_url_insecure(ctx->conf->url)) {
		cli_warn(ctx, "%s is plain http to another machine: "
			"credentials travel in clear text (use https)", ctx->conf->url);
		ctx->warned_insecure = 1;
	}
	struct cli_http_req req = {
		.base_url = ctx->conf->url, .method = call->method, .path = call->path,
		.json_body = json, .token = token, .lang = ctx->lang,
		.idempotency_key = strcmp(call->method, "POST") == 0 ? idem : NULL,
		.accept = call->accept, .timeout_s = call->timeout_s,
		.parts = call->parts, .nparts = call->nparts,
	};
	int rc = cli_http_request(&req, &resp, &err);
	cli_secret_free(json); /* bodies may carry passwords */
	if (rc != 0) {
		rc = cli_fail(ctx, CLI_EXIT_SERVER, "%s", err.data ? err.data : cli_tr("request failed"));
		goto done;
	}
	res->status = resp.status;
	rc = cli_http_exit_code(resp.status);
	if (rc != CLI_EXIT_OK) {
		json_t *prob = resp.body.len
			? json_loadb(resp.body.data, resp.body.len, JSON_REJECT_DUPLICATES, NULL) : NULL;
		const char *type = json_string_value(json_object_get(prob, "type"));
		if (call->quiet_type && type && strcmp(type, call->quiet_type) == 0) {
			res->quiet = 1;
			res->problem = prob;
			goto done;
		}
		if (ctx->json && json_is_object(prob)) {
			/* --json: the server's problem as it came (one line, on
			 * standard error), with the exit code added. */
			json_t *o = json_deep_copy(prob);
			json_object_set_new(o, "exit_code", json_integer(rc));
			char *line = json_dumps(o, JSON_COMPACT);
			if (line)
				fprintf(ctx->err, "%s\n", line);
			free(line);
			json_decref(o);
		} else {
			buf_t msg;
			buf_init(&msg, 8192);
			cli_http_problem_format(resp.status, resp.body.data, resp.body.len,
				resp.request_id, &msg);
			cli_out_write(ctx->err, &msg);
			buf_free(&msg);
		}
		const char *hint = gate_hint(type);
		if (hint)
			cli_hint(ctx, "%s", cli_tr(hint));
		if (resp.status == 429) {
			long wait = resp.retry_after >= 0 ? resp.retry_after : resp.ratelimit_reset;
			if (wait >= 0)
				cli_note(ctx, "rate limited, retry in %ld s", wait);
			else
				cli_note(ctx, "rate limited, retry later");
		}
		if (resp.status == 401 && call->auth != CLI_AUTH_NONE && token &&
		    ctx->conf->token_src == CLI_SRC_FILE)
			cli_hint(ctx, "the stored session may have expired: run 'faxvault login'");
		json_decref(prob);
		goto done;
	}
	if (call->accept) {
		if (resp.body.len && buf_append(&res->raw, resp.body.data, resp.body.len) != 0)
			rc = cli_fail(ctx, CLI_EXIT_SERVER, "the server's answer is too large");
	} else if (resp.body.len) {
		json_error_t je;
		res->json = json_loadb(resp.body.data, resp.body.len, JSON_REJECT_DUPLICATES, &je);
		if (!res->json)
			rc = cli_fail(ctx, CLI_EXIT_SERVER, "the server's answer is not JSON (%s)", je.text);
	}
done:
	cli_http_resp_free(&resp);
	buf_free(&err);
	return rc;
}

int cli_list(struct cli_ctx *ctx, const char *path, const struct cli_col *cols, size_t ncols)
{
	return cli_list_with(ctx, path, cols, ncols, NULL);
}

int cli_list_with(struct cli_ctx *ctx, const char *path, const struct cli_col *cols, size_t ncols,
	void (*decorate)(json_t *item))
{
	int64_t limit = 0;
	const char *slimit = cli_opt(ctx, "limit");
	if (slimit && parse_i64z(slimit, 1, 1000, &limit) != 0)
		return cli_usage(ctx, "--limit wants a number from 1 to 1000");
	int all = cli_args_has(ctx->args, "all");
	char *cursor = cli_opt(ctx, "cursor") ? xstrdup(cli_opt(ctx, "cursor")) : NULL;
	json_t *items = json_array();
	json_t *last = NULL;
	int rc = CLI_EXIT_OK;

	for (size_t page = 0; ; page++) {
		if (page == CLI_PAGES_MAX) {
			rc = cli_fail(ctx, CLI_EXIT_SERVER, "more than %d pages: giving up", CLI_PAGES_MAX);
			break;
		}
		buf_t p;
		buf_init(&p, (size_t)1 << 16);
		buf_puts(&p, path);
		cli_http_query_add(&p, "limit", slimit);
		cli_http_query_add(&p, "cursor", cursor);
		json_decref(last);
		last = NULL;
		rc = cli_api(ctx, "GET", p.data, NULL, 1, &last);
		buf_free(&p);
		if (rc != CLI_EXIT_OK)
			break;
		json_t *page_items = json_object_get(last, "items");
		if (!json_is_array(page_items)) {
			rc = cli_fail(ctx, CLI_EXIT_SERVER, "the server's answer has no \"items\" list");
			break;
		}
		json_array_extend(items, page_items);
		const char *next = json_string_value(json_object_get(last, "next_cursor"));
		if (!all || !next || !next[0])
			break;
		if (cursor && strcmp(cursor, next) == 0) {
			rc = cli_fail(ctx, CLI_EXIT_SERVER, "the server returned the same cursor twice");
			break;
		}
		free(cursor);
		cursor = xstrdup(next);
	}

	if (rc == CLI_EXIT_OK) {
		if (ctx->json && !all) {
			cli_out_json(ctx->out, last);
		} else if (ctx->json) {
			json_t *o = json_pack("{s:O, s:n}", "items", items, "next_cursor");
			cli_out_json(ctx->out, o);
			json_decref(o);
		} else {
			buf_t t;
			buf_init(&t, (size_t)1 << 30);
			size_t i;
			json_t *item;
			json_array_foreach(items, i, item)
				if (decorate && json_is_object(item))
					decorate(item);
			cli_out_table(cols, ncols, items, &t);
			cli_out_write(ctx->out, &t);
			buf_free(&t);
			const char *next = json_string_value(json_object_get(last, "next_cursor"));
			if (!all && next && next[0]) {
				buf_t s;
				buf_init(&s, 4096);
				cli_out_sanitize(next, &s);
				cli_note(ctx, "(more items: add --cursor %s, or --all)", cli_buf_str(&s));
				buf_free(&s);
			}
		}
	}
	json_decref(last);
	json_decref(items);
	free(cursor);
	return rc;
}

int cli_show(struct cli_ctx *ctx, const char *method, const char *path, const json_t *body,
	const struct cli_col *fields, size_t nfields, const char *done_msg)
{
	json_t *res = NULL;
	int rc = cli_api(ctx, method, path, body, 1, &res);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (!res) {
		if (done_msg && !ctx->json)
			cli_say(ctx, "%s", cli_tr(done_msg));
	} else if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		if (done_msg)
			cli_say(ctx, "%s", cli_tr(done_msg));
		buf_t t;
		buf_init(&t, (size_t)1 << 24);
		cli_out_kv(fields, nfields, res, &t);
		cli_out_write(ctx->out, &t);
		buf_free(&t);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

void cli_secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Reads one line from fd into a new string (without the line end).
 * 0, or -1 at end of input / error / overlong line. */
static int fd_read_line(int fd, char **out)
{
	char *line = xmalloc(CLI_LINE_MAX + 1);
	size_t n = 0;
	int ok = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ok = n > 0;
			break;
		}
		if (c == '\n') {
			ok = 1;
			break;
		}
		if (n == CLI_LINE_MAX)
			break;
		line[n++] = c;
	}
	if (n && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	if (!ok) {
		explicit_bzero(line, CLI_LINE_MAX + 1);
		free(line);
		return -1;
	}
	*out = line;
	return 0;
}

int cli_read_line(struct cli_ctx *ctx, const char *prompt, char **out)
{
	if (!isatty(STDIN_FILENO))
		return cli_usage(ctx, "standard input is not a terminal; give the value as an option");
	fputs(cli_tr(prompt), ctx->err);
	fflush(ctx->err);
	if (fd_read_line(STDIN_FILENO, out) != 0)
		return cli_fail(ctx, CLI_EXIT_ERROR, "no input");
	return 0;
}

/* The terminal whose echo is off, so that a signal can turn it back on. */
static volatile sig_atomic_t quiet_fd = -1;
static struct termios quiet_saved;

static void restore_echo(int sig)
{
	if (quiet_fd >= 0)
		tcsetattr(quiet_fd, TCSAFLUSH, &quiet_saved); /* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int quiet_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* Reads a line from the terminal without echo. 0 / -1. An interrupt
 * while reading restores the echo before the process dies. */
static int tty_secret(const char *prompt, char **out)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct termios old, quiet;
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	struct sigaction sa, prev[sizeof quiet_signals / sizeof quiet_signals[0]];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = restore_echo;
	sigemptyset(&sa.sa_mask);
	quiet_saved = old;
	quiet_fd = fd;
	for (size_t i = 0; i < sizeof quiet_signals / sizeof quiet_signals[0]; i++)
		sigaction(quiet_signals[i], &sa, &prev[i]);
	int rc = -1;
	if (write(fd, prompt, strlen(prompt)) >= 0 && tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
		rc = fd_read_line(fd, out);
	tcsetattr(fd, TCSAFLUSH, &old);
	quiet_fd = -1;
	for (size_t i = 0; i < sizeof quiet_signals / sizeof quiet_signals[0]; i++)
		sigaction(quiet_signals[i], &prev[i], NULL);
	ssize_t w = write(fd, "\n", 1); /* end the silent line; nothing to do on failure */
	(void)w;
	close(fd);
	return rc;
}

int cli_read_secret(struct cli_ctx *ctx, const char *prompt, int from_stdin, int confirm,
	char **out)
{
	*out = NULL;
	if (from_stdin) {
		if (fd_read_line(STDIN_FILENO, out) != 0 || !(*out)[0]) {
			cli_secret_free(*out);
			*out = NULL;
			return cli_fail(ctx, CLI_EXIT_USAGE, "expected the password on standard input");
		}
		return 0;
	}
	char *first = NULL;
	if (tty_secret(cli_tr(prompt), &first) != 0)
		return cli_usage(ctx, "no terminal to ask for the password: use --password-stdin");
	if (!first[0]) {
		cli_secret_free(first);
		return cli_fail(ctx, CLI_EXIT_USAGE, "empty password");
	}
	if (confirm) {
		char *again = NULL;
		int same = tty_secret(cli_tr("Repeat: "), &again) == 0 && strcmp(first, again) == 0;
		cli_secret_free(again);
		if (!same) {
			cli_secret_free(first);
			return cli_fail(ctx, CLI_EXIT_USAGE, "the passwords differ");
		}
	}
	*out = first;
	return 0;
}

void cli_print_invitation(struct cli_ctx *ctx, const char *role, const char *email,
	const json_t *inv)
{
	const char *token = json_string_value(json_object_get(inv, "token"));
	if (!token)
		return;
	buf_t t, e, x;
	buf_init(&t, 4096);
	buf_init(&e, 4096);
	buf_init(&x, 4096);
	cli_out_sanitize(token, &t);
	cli_out_sanitize(email ? email : "-", &e);
	const char *exp = json_string_value(json_object_get(inv, "expires_at"));
	cli_out_sanitize(exp ? exp : "-", &x);
	cli_say(ctx, "Invitation for %s (%s), expires %s, shown once:\n  %s",
		cli_buf_str(&e), role, cli_buf_str(&x), cli_buf_str(&t));
	buf_free(&t);
	buf_free(&e);
	buf_free(&x);
}

int cli_opt_int(struct cli_ctx *ctx, const char *opt, int64_t min, int64_t max, int64_t *out,
	int *given)
{
	const char *v = cli_opt(ctx, opt);
	*given = v != NULL;
	if (v && parse_i64z(v, min, max, out) != 0)
		return cli_usage(ctx, "--%s wants a whole number from %" PRId64 " to %" PRId64, opt,
			min, max);
	return 0;
}

int cli_read_file(struct cli_ctx *ctx, const char *path, size_t max, buf_t *out)
{
	buf_init(out, max);
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(ctx, CLI_EXIT_ERROR, "cannot open %s: %s", path, strerror(errno));
	int rc = 0;
	for (;;) {
		char chunk[8192];
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cli_fail(ctx, CLI_EXIT_ERROR, "cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		if (buf_append(out, chunk, (size_t)r) != 0) {
			rc = cli_fail(ctx, CLI_EXIT_USAGE, "%s is larger than %zu bytes", path, max);
			break;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc != 0)
		buf_free(out);
	return rc;
}

void cli_out_text(FILE *f, const char *text)
{
	buf_t b;
	buf_init(&b, (size_t)1 << 26);
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && p[n - 1] == '\r')
			n--; /* CRLF text: the CR would be shown as '?' */
		char *line = xstrndup(p, n);
		/* Tabs are text, not terminal control. */
		for (char *t = line; *t; t++)
			if (*t == '\t')
				*t = ' ';
		cli_out_sanitize(line, &b);
		buf_puts(&b, "\n");
		free(line);
		p = nl ? nl + 1 : p + strlen(p);
	}
	cli_out_write(f, &b);
	buf_free(&b);
}
